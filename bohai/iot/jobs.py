"""The IoT platform's periodic jobs.

iot.retention (daily): raw readings older than their device type's `raw_retention_days` are deleted, type by
type; minute, hour and day rollups stay, so old charts still draw. The broker's credential sync job lives in
`mqtt/jobs.py` and is registered here so that every job worker knows it.
"""
from datetime import timedelta

from django.utils import timezone

from bohai.engines.telemetry import store
from bohai.engines.telemetry.models import Series
from bohai.kernel.jobs.registry import job, periodic

from .models import Device, DeviceType
from .mqtt import jobs as mqtt_jobs  # noqa: F401 — registers iot.sync_broker

SERIES_PER_DELETE = 5000


@periodic(every=timedelta(days=1))
@job("iot.retention", lease=timedelta(hours=2))
def purge_expired_raw_readings() -> dict:
    return purge_raw_readings(now=timezone.now())


def purge_raw_readings(*, now) -> dict:
    deleted = {}
    for device_type in DeviceType.objects.all():
        before = now - timedelta(days=device_type.raw_retention_days)
        series = list(Series.objects.filter(source_id__in=Device.objects.filter(device_type=device_type).values("pk"))
                      .values_list("pk", flat=True))
        count = 0
        for start in range(0, len(series), SERIES_PER_DELETE):
            count += store.purge_raw(series[start:start + SERIES_PER_DELETE], before)
        deleted[device_type.code] = count
    return {"deleted": deleted}
