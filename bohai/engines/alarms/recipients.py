"""Who hears of an alarm at each escalation level.

1. the owning organisation's staff on duty now (DutyShift); when nobody is on the roster, the
   users holding a role that may acknowledge alarms scoped to that organisation;
2. the organisation's head (role `department_head` scoped to it);
3. the city operations centre's duty officers (role `ops_duty_officer` over the alarm's region).
"""
from datetime import datetime

from django.db.models import Q

from bohai.kernel.accounts.models import RoleAssignment
from bohai.kernel.organisations.models import Organisation
from bohai.kernel.regions.models import Region

from .models import Alarm, DutyShift

TOP_LEVEL = 3
HEAD_ROLE = "department_head"
OPS_ROLE = "ops_duty_officer"


def recipients(alarm: Alarm, level: int, now: datetime) -> list[int]:
    if level == 1:
        return on_duty(alarm.organisation_id, now) or acknowledgers(alarm.organisation_id)
    if level == 2:
        return _holders(_covering_organisation(alarm.organisation_id), role__code=HEAD_ROLE)
    if level == TOP_LEVEL:
        return _holders(_covering_region(alarm.region_id), role__code=OPS_ROLE)
    return []


def on_duty(organisation_id: int | None, now: datetime) -> list[int]:
    if organisation_id is None:
        return []
    shifts = DutyShift.objects.filter(organisation_id=organisation_id, starts_at__lte=now, ends_at__gt=now)
    return sorted(set(shifts.values_list("user_id", flat=True)))


def acknowledgers(organisation_id: int | None) -> list[int]:
    return _holders(_covering_organisation(organisation_id), role__permissions__content_type__app_label="alarms",
                    role__permissions__codename="acknowledge_alarm")


def _holders(scope: Q | None, **role) -> list[int]:
    if scope is None:
        return []
    assignments = RoleAssignment.objects.filter(scope, user__is_active=True, **role)
    return sorted(set(assignments.values_list("user_id", flat=True)))


def _covering_organisation(organisation_id: int | None) -> Q | None:
    """Assignments scoped to the organisation or a unit above it, or unscoped ones of its own staff."""
    if organisation_id is None:
        return None
    path = Organisation.objects.filter(pk=organisation_id).values_list("path", flat=True).first()
    if path is None:
        return None
    return Q(organisation__path__in=_prefixes(path)) | Q(organisation__isnull=True, user__organisation_id=organisation_id)


def _covering_region(region_id: int | None) -> Q:
    path = Region.objects.filter(pk=region_id).values_list("path", flat=True).first() if region_id else None
    return Q(region__path__in=_prefixes(path)) if path else Q()


def _prefixes(path: str) -> list[str]:
    """"/a/b/c/" -> ["/a/", "/a/b/", "/a/b/c/"]: the materialised paths of a node and its ancestors."""
    keys = path.strip("/").split("/")
    return ["/" + "/".join(keys[:end]) + "/" for end in range(1, len(keys) + 1)]
