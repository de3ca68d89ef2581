"""Cases opened by other systems' events.

`iot.alarm_raised` (published by the IoT platform when an alarm opens; issue S35/S28) becomes a
数字城管 case from the sensor, once per alarm. The payload the IoT system must send:

    {"alarm_id": 17, "device_name": "运河区解放路井盖 0042", "metric": "tilt", "severity": "critical",
     "message": "井盖倾角 35°，超过阈值 15°", "lng": 116.85, "lat": 38.31, "raised_at": "2026-11-02T09:00:00+08:00"}
"""
from datetime import datetime

from django.utils.translation import gettext as _

from bohai.kernel.events.outbox import handles

from .models import Case, CaseClass, Source, Track, Urgency

# Which minor class a sensor's metric reports; anything else is "其他部件".
METRIC_CLASSES = {
    "tilt": "P0101", "open": "P0101",                   # manhole covers
    "pressure": "P0104", "flow": "P0104",               # water supply network
    "water_level": "E0103", "rainfall": "E0103",        # waterlogging
    "leak_concentration": "E0401", "pipeline_pressure": "E0401",  # gas
}
FALLBACK_CLASS = "P0601"
URGENT_SEVERITIES = {"critical", "major", "紧急", "严重"}


@handles("iot.alarm_raised")
def open_case_for_alarm(event) -> None:
    from .actions import report_case

    payload = event.payload
    token = f"alarm:{payload['alarm_id']}"
    if Case.objects.filter(external_token=token).exists():  # delivery is at least once
        return
    code = METRIC_CLASSES.get(payload.get("metric", ""), FALLBACK_CLASS)
    description = _("【传感器告警】%(device)s：%(message)s") % {"device": payload.get("device_name", ""),
                                                         "message": payload.get("message", "")}
    raised = payload.get("raised_at")
    report_case(actor="system:iot", track=Track.CITY, source=Source.SENSOR, description=description[:4000],
                case_class=CaseClass.objects.filter(code=code).first(), lng=payload.get("lng"), lat=payload.get("lat"),
                urgency=Urgency.URGENT if payload.get("severity") in URGENT_SEVERITIES else Urgency.NORMAL,
                external_token=token, at=datetime.fromisoformat(raised) if raised else None)
