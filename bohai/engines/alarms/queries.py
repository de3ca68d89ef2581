"""Reading alarms for pages and the API, always within the user's scope."""
from django.db.models import Count, Q

from .models import OPEN_STATES, Alarm, AlarmState, Severity

SEVERITY_ORDER = [Severity.CRITICAL, Severity.MAJOR, Severity.MINOR, Severity.INFO]


def open_alarms(user):
    """Open alarms the user may see, the most severe first, then the newest."""
    rank = {severity: position for position, severity in enumerate(SEVERITY_ORDER)}
    alarms = Alarm.objects.restrict(user, "view").filter(state__in=OPEN_STATES).select_related("rule")
    return sorted(alarms, key=lambda alarm: (rank.get(alarm.severity, len(rank)), -alarm.raised_at.timestamp(), -alarm.pk))


def open_counts_by_severity(user) -> dict[str, int]:
    """{"critical": 2, "major": 0, "minor": 5, "info": 1} over the user's open alarms."""
    counts = dict(Alarm.objects.restrict(user, "view").filter(state__in=OPEN_STATES).order_by()
                  .values("severity").annotate(n=Count("id")).values_list("severity", "n"))
    return {severity.value: counts.get(severity.value, 0) for severity in SEVERITY_ORDER}


def alarms_for_subject(user, subject_kind: str, subject_id: int, *, include_cleared: bool = True):
    alarms = Alarm.objects.restrict(user, "view").filter(subject_kind=subject_kind, subject_id=subject_id)
    if not include_cleared:
        alarms = alarms.filter(state__in=OPEN_STATES)
    return alarms.select_related("rule").order_by("-raised_at", "-id")


def counts_by_organisation(user) -> list[dict]:
    """Per owning organisation: open, unacknowledged and critical open alarms, the busiest first."""
    rows = (Alarm.objects.restrict(user, "view").filter(state__in=OPEN_STATES).order_by()
            .values("organisation_id", "organisation__name")
            .annotate(open=Count("id"), unacknowledged=Count("id", filter=Q(state=AlarmState.ACTIVE)),
                      critical=Count("id", filter=Q(severity=Severity.CRITICAL))))
    return sorted(rows, key=lambda row: (-row["open"], row["organisation__name"] or ""))


def alarm_in_scope(user, alarm_id: int, action: str = "view") -> Alarm:
    """The alarm, or Http404 when it is outside the user's scope for `action` ("view" or "acknowledge")."""
    return Alarm.objects.select_related("rule").get_in_scope(user, action, pk=alarm_id)


def timeline(alarm: Alarm) -> list:
    return list(alarm.events.order_by("at", "id"))
