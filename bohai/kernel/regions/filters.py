"""Filtering the region list, shared by the API and the workbench page."""
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from bohai.kernel.api.paging import apply_ordering

from .models import Level, Region

ORDERING_FIELDS = {"path", "key", "code", "name", "level", "population", "area_km2", "updated_at"}


def filter_regions(queryset, *, level: str | None = None, parent: str | None = None, q: str | None = None,
                   ordering: str | None = None):
    """`parent` is a key or code; `q` matches the name or the beginning of the code."""
    if level:
        if level not in Level.values:
            choices = "、".join(Level.values)
            raise ValidationError({"level": [_("层级“%(level)s”无效，可选：%(choices)s") % {"level": level, "choices": choices}]})
        queryset = queryset.filter(level=level)
    if parent:
        queryset = queryset.filter(Q(parent__key=parent) | Q(parent__code=parent))
    if q:
        queryset = queryset.filter(Q(name__icontains=q.strip()) | Q(code__startswith=q.strip()))
    return apply_ordering(queryset, ordering, ORDERING_FIELDS)


def counts_by_level(queryset) -> dict[str, int]:
    return dict(queryset.values_list("level").annotate(n=Count("id")).order_by())


def subtree_counts(region: Region) -> dict[str, int]:
    """Regions below `region`, by level."""
    return counts_by_level(region.subtree().exclude(pk=region.pk))
