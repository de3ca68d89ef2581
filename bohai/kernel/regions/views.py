"""Region pages: the county map (portal), a region's page, and the workbench list."""
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render

from bohai.kernel.identities.models import LegalEntity, Person
from bohai.kernel.organisations.models import Organisation

from .api import feature_collection
from .filters import filter_regions
from .models import Level, Region

CHILDREN_SHOWN = 200
ORGANISATIONS_SHOWN = 100
WORKBENCH_PAGE_SIZE = 50
MAP_LABELS_UP_TO = 40  # more labels than this overlap into noise


def county_map(request):
    city = Region.objects.filter(key=settings.BOHAI_CITY_CODE).first()
    units = Region.objects.filter(parent=city, level__in=[Level.COUNTY, Level.ZONE]) if city else Region.objects.none()
    return render(request, "regions/county_map.html", {
        "city": city,
        "counties": [u for u in units if u.level == Level.COUNTY],
        "zones": [u for u in units if u.level == Level.ZONE],
    })


def region_page(request, key: str):
    region = get_object_or_404(Region.objects.select_related("parent"), Q(key=key) | Q(code=key))
    children = region.children.annotate(child_count=Count("children")).defer("boundary")
    in_subtree = {"region__path__startswith": region.path}
    # Children tile their parent, so the map shows them when they have boundaries.
    map_regions = list(region.children.filter(boundary__isnull=False)) or ([region] if region.boundary else [])
    return render(request, "regions/region_detail.html", {
        "region": region,
        "ancestors": region.ancestors(),
        "children": children[:CHILDREN_SHOWN],
        "children_total": children.count(),
        "organisations": Organisation.objects.filter(region=region)[:ORGANISATIONS_SHOWN],
        "organisations_in_subtree": Organisation.objects.filter(**in_subtree).count(),
        "person_count": Person.objects.filter(**in_subtree).count(),
        "legal_entity_count": LegalEntity.objects.filter(**in_subtree).count(),
        "map_layer": feature_collection(map_regions) if map_regions else None,
        "map_labels": len(map_regions) <= MAP_LABELS_UP_TO,
    })


@login_required
def workbench_list(request):
    level, q = request.GET.get("level") or "", request.GET.get("q") or ""
    try:
        regions = filter_regions(Region.objects.select_related("parent").defer("boundary"), level=level, q=q)
        error = ""
    except ValidationError as invalid:
        regions, error = Region.objects.none(), "; ".join(m for ms in invalid.message_dict.values() for m in ms)
    page = Paginator(regions, WORKBENCH_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "regions/workbench_list.html", {
        "page": page, "level": level, "q": q, "levels": Level.choices, "error": error,
    })
