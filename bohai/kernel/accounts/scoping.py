"""The one restriction mechanism: every query of scoped data goes through `restrict`.

A model opts in with `objects = ScopedQuerySet.as_manager()` and declares where its
scope lives:

    scope_fields = {"region": "region", "organisation": "organisation"}

Each value is a lookup path to a Region (or an Organisation); "" means the record is
itself a Region (or an Organisation). A user's role assignments each carry a region
subtree and optionally an organisation subtree; `restrict(user, action)` keeps the rows
inside at least one assignment whose role grants `<app>.<action>_<model>`.
Rows outside answer 404 in pages and the API because they are simply not found.
"""
from django.db import models
from django.db.models import Q
from django.http import Http404


def _path_lookup(field: str) -> str:
    return f"{field}__path__startswith" if field else "path__startswith"


def scope_condition(model, region_path: str, organisation_path: str | None) -> Q:
    fields = getattr(model, "scope_fields", None)
    if fields is None or "region" not in fields:
        raise TypeError(f"{model.__name__} has no scope_fields['region']; every scoped model needs one")
    condition = Q(**{_path_lookup(fields["region"]): region_path})
    if organisation_path and "organisation" in fields:
        condition &= Q(**{_path_lookup(fields["organisation"]): organisation_path})
    return condition


def permission_code(model, action: str) -> str:
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


class ScopedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view", *, permission: str | None = None):
        """Rows inside the user's scopes for `<app>.<action>_<model>`, or for another system's `permission`
        (the departments a user may register devices for: `permission="iot.add_device"`)."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        scopes = user.scopes_for(permission or permission_code(self.model, action))
        if not scopes:
            return self.none()
        condition = Q()
        for region_path, organisation_path in scopes:
            condition |= scope_condition(self.model, region_path, organisation_path)
        return self.filter(condition)

    def get_in_scope(self, user, action: str = "view", **lookup):
        """The object if the user may act on it, else Http404 (never 403: existence stays hidden)."""
        try:
            return self.restrict(user, action).get(**lookup)
        except (self.model.DoesNotExist, ValueError, TypeError):
            raise Http404
