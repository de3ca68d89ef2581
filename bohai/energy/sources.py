"""Where the figures come from: the IoT registry's devices and the telemetry engine's series.

This module is the only place that reads another system's data, and it reads only the IoT registry's
public fields (`Device.pk`, `code`, `device_type.code`, `enterprise_code`, `status`): energy meters are
devices of type `energy_meter` (metrics electricity kWh, natural_gas m³, coal kg, steam MJ, each reading the
amount consumed since the previous one) and CEMS monitors devices of type `emission_monitor` (so2, nox,
particulates in mg/m³). A device belongs to the enterprise whose USCC is its `enterprise_code`. Retired
devices still count for the periods they reported in; devices are never written here.

Readings are read with `telemetry.store.query`: a period's consumption is the sum of its points'
average × count (daily rollups for a month, so a month costs one small query per series), and an hour's
concentration the average of that hour's rollup.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from bohai.engines.telemetry import store

from .models import Carrier, Pollutant

ENERGY_METER = "energy_meter"
EMISSION_MONITOR = "emission_monitor"
CARRIERS = tuple(Carrier.values)
POLLUTANTS = tuple(Pollutant.values)


@dataclass(frozen=True)
class DeviceRef:
    pk: int
    code: str
    enterprise_code: str


@dataclass(frozen=True)
class HourlyAverage:
    hour: datetime  # start of the hour, UTC
    average: float
    count: int


def devices_by_enterprise(type_code: str, enterprise_codes=None) -> dict[str, list[DeviceRef]]:
    """Devices of one IoT type per enterprise USCC (all enterprises with such devices when none are named)."""
    from bohai.iot.models import Device

    devices = Device.objects.filter(device_type__code=type_code).exclude(enterprise_code="")
    if enterprise_codes is not None:
        devices = devices.filter(enterprise_code__in=list(enterprise_codes))
    found: dict[str, list[DeviceRef]] = defaultdict(list)
    for pk, code, enterprise_code in devices.order_by("code").values_list("pk", "code", "enterprise_code"):
        found[enterprise_code].append(DeviceRef(pk, code, enterprise_code))
    return dict(found)


def energy_meters(enterprise_codes=None) -> dict[str, list[DeviceRef]]:
    return devices_by_enterprise(ENERGY_METER, enterprise_codes)


def emission_monitors(enterprise_codes=None) -> dict[str, list[DeviceRef]]:
    return devices_by_enterprise(EMISSION_MONITOR, enterprise_codes)


def consumption(meters: list[DeviceRef], start: datetime, end: datetime) -> dict[str, float]:
    """Amount of each carrier the meters recorded in [start, end): the sum of their interval readings."""
    totals = dict.fromkeys(CARRIERS, 0.0)
    days = max(1, int((end - start) / timedelta(days=1)) + 1)
    for meter in meters:
        for carrier, series_id in store.series_ids(meter.pk, CARRIERS).items():
            result = store.query(series_id, start, end, budget=days)
            totals[carrier] += sum(average * count for _ts, average, _low, _high, count in result.points)
    return totals


def hourly_averages(monitor: DeviceRef, pollutant: str, start: datetime, end: datetime) -> list[HourlyAverage]:
    """The monitor's average concentration of a pollutant in each hour of [start, end) that has readings."""
    hours = max(1, int((end - start) / timedelta(hours=1)) + 1)
    series_id = store.series_ids(monitor.pk, [pollutant])[pollutant]
    result = store.query(series_id, start, end, budget=hours)
    # Raw points come back when they are few: fold them into hours the same way the rollup does.
    sums: dict[datetime, list[float]] = {}
    for ts, average, _low, _high, count in result.points:
        hour = ts.replace(minute=0, second=0, microsecond=0)
        if not start <= hour < end:
            continue
        bucket = sums.setdefault(hour, [0.0, 0])
        bucket[0] += average * count
        bucket[1] += count
    return [HourlyAverage(hour, total / count, count) for hour, (total, count) in sorted(sums.items()) if count]
