"""The live alarm list of the operations centre: open alarms on devices, within the user's scope."""
from django.utils import timezone

from bohai.engines.alarms.models import OPEN_STATES, Alarm
from bohai.iot.queries import DEVICE_KIND, codes_of

LIMIT = 50


def open_device_alarms(user, *, region_path: str | None = None, subject_ids=None):
    alarms = Alarm.objects.restrict(user, "view").filter(state__in=OPEN_STATES, subject_kind=DEVICE_KIND)
    if region_path:
        alarms = alarms.filter(region__path__startswith=region_path)
    if subject_ids is not None:
        alarms = alarms.filter(subject_id__in=subject_ids)
    return alarms.select_related("region").order_by("-raised_at", "-id")


def alarm_feed(user, *, region_path: str | None = None, subject_ids=None, limit: int = LIMIT) -> dict:
    alarms = open_device_alarms(user, region_path=region_path, subject_ids=subject_ids)
    shown = list(alarms[:limit])
    codes = codes_of(alarm.subject_id for alarm in shown)
    return {
        "at": timezone.now(),
        "total": alarms.count(),
        "alarms": [{
            "id": alarm.pk, "severity": alarm.severity, "severity_label": alarm.get_severity_display(),
            "state": alarm.state, "state_label": alarm.get_state_display(), "subject": alarm.subject_label,
            "subject_id": alarm.subject_id, "code": codes.get(alarm.subject_id, ""), "link": alarm.subject_link, "metric": alarm.metric,
            "message": alarm.message, "region": alarm.region.name if alarm.region_id else "",
            "lng": alarm.lng, "lat": alarm.lat, "raised_at": alarm.raised_at, "value": alarm.last_value,
        } for alarm in shown],
    }
