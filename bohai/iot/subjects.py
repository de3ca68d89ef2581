"""How the alarm engine sees devices: an alarm on a device names it, belongs to its department and region,
sits at its location and links to its page; "no data" rules ask the registry when devices last reported, and
rates the telemetry store for the reading before a batch."""
from datetime import datetime

from django.urls import reverse

from bohai.engines.alarms.subjects import Subject, register_subject_source
from bohai.engines.telemetry import store
from bohai.engines.telemetry.models import Series

from .models import Device, DeviceStatus, MetricSpec

SUBJECT_KIND = "iot.device"
SERIES_QUERY_CHUNK = 5000


def describe_devices(device_ids: list[int]) -> dict[int, Subject]:
    rows = Device.objects.filter(pk__in=device_ids).values_list(
        "pk", "code", "name", "organisation_id", "region_id", "lng", "lat")
    return {pk: Subject(label=name, organisation_id=organisation, region_id=region, lng=lng, lat=lat,
                        link=reverse("iot:device", args=[code]))
            for pk, code, name, organisation, region, lng, lat in rows}


def name_metric(type_code: str, metric: str) -> str:
    """The metric's name in its device type ("管网压力"); for a rule over every type, any type's name for it.
    Read when an alarm is raised or cleared, which is rare: no cache, so an administrator's rename shows at once."""
    names = MetricSpec.objects.filter(code=metric).order_by("id")
    named = names.filter(device_type__code=type_code).first() if type_code else None
    named = named or names.first()
    return named.name if named else metric


def last_heard(type_code: str, device_id: int | None, metric: str) -> dict[int, tuple]:
    """For "no data" rules, of every active device concerned: (its last reading, when its silence began). A device
    that never reported is silent since its credentials were issued (or it was registered). Any metric: the
    device's last_seen_at (written at most every 30 s by the ingestion); one metric: that series' latest reading."""
    devices = Device.objects.filter(status=DeviceStatus.ACTIVE)
    if type_code:
        devices = devices.filter(device_type__code=type_code)
    if device_id is not None:
        devices = devices.filter(pk=device_id)
    rows = list(devices.values_list("pk", "last_seen_at", "credentials_issued_at", "created_at"))
    last = {pk: seen for pk, seen, _issued, _created in rows}
    if metric:
        series = dict(Series.objects.filter(source_id__in=list(last), metric=metric).values_list("source_id", "pk"))
        latest = store.latest(series.values())
        last = {pk: latest[series[pk]][0] if series.get(pk) in latest else None for pk in last}
    return {pk: (last[pk], last[pk] or issued or created) for pk, _seen, issued, created in rows}


def previous_readings(bounds: dict[tuple[int, str], datetime]) -> dict[tuple[int, str], tuple[datetime, float]]:
    """For rates and combinations after a restart: each device metric's stored reading before the given time
    (the telemetry store holds every reading, so the alarm engine keeps no state of its own for devices)."""
    device_ids = sorted({device_id for device_id, _metric in bounds})
    metrics = {metric for _device_id, metric in bounds}
    series = {}
    for first in range(0, len(device_ids), SERIES_QUERY_CHUNK):  # after a restart: every device at once
        rows = Series.objects.filter(source_id__in=device_ids[first:first + SERIES_QUERY_CHUNK], metric__in=metrics)
        series.update(((device_id, metric), series_id) for device_id, metric, series_id in
                      rows.values_list("source_id", "metric", "pk") if (device_id, metric) in bounds)
    found = store.previous({series_id: bounds[key] for key, series_id in series.items()})
    return {key: found[series_id] for key, series_id in series.items() if series_id in found}


def register() -> None:
    register_subject_source(SUBJECT_KIND, describe_devices, event_prefix="iot", name_metric=name_metric,
                            last_heard=last_heard, previous_readings=previous_readings)
