"""Where the figures come from: the IoT registry's devices and the telemetry engine's series.

This module is the only place that reads another system's data, and it reads only the IoT registry's
public fields (`Device.pk`, `code`, `device_type.code`, `enterprise_code`, `status`): energy meters are
devices of type `energy_meter` (metrics electricity kWh, natural_gas m³, coal kg, steam MJ, each reading the
amount consumed since the previous one) and CEMS monitors devices of type `emission_monitor` (so2, nox,
particulates in mg/m³). A device belongs to the enterprise whose USCC is its `enterprise_code`. Retired
devices still count for the periods they reported in; devices are never written here.

Readings are read from the telemetry store's rollups with `store.export_rows`, all series in one pass: a month's
consumption is the sum of its (Beijing) daily rollups' average × count, and an hour's concentration is that
hour's rollup average. One pass instead of one `store.query` per series and month: at 200 enterprises with two
meters each, a year's recompute went from 59,000 queries (29 s on PostgreSQL) to a few hundred
(benchmarks/bench_energy_jobs.py).
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bohai.engines.telemetry import store
from bohai.engines.workdays.periods import add_months

from .models import Carrier, Pollutant

ENERGY_METER = "energy_meter"
EMISSION_MONITOR = "emission_monitor"
CARRIERS = tuple(Carrier.values)
POLLUTANTS = tuple(Pollutant.values)
BEIJING = ZoneInfo("Asia/Shanghai")


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


def monthly_consumption(meters: dict[str, list[DeviceRef]], months: list[date]) -> dict[tuple[str, date], dict]:
    """{(enterprise USCC, month): {carrier: amount}} for the given Beijing months: the sum of the meters' interval
    readings, read from the daily rollups of every meter's series in one pass."""
    if not months or not meters:
        return {}
    owner: dict[int, tuple[str, str]] = {}
    for enterprise_code, devices in meters.items():
        for device in devices:
            for carrier, series_id in store.series_ids(device.pk, CARRIERS).items():
                owner[series_id] = (enterprise_code, carrier)
    wanted = set(months)
    start, end = _local_midnight(min(months)), _local_midnight(add_months(max(months), 1))
    totals: dict[tuple[str, date], dict] = {}
    for series_id, bucket, average, _low, _high, count in store.export_rows(sorted(owner), start, end,
                                                                            resolution="day"):
        month = bucket.astimezone(BEIJING).date().replace(day=1)
        if month not in wanted:
            continue
        enterprise_code, carrier = owner[series_id]
        amounts = totals.setdefault((enterprise_code, month), dict.fromkeys(CARRIERS, 0.0))
        amounts[carrier] += average * count
    return totals


def hourly_averages(monitors: list[DeviceRef], pollutants, start: datetime, end: datetime
                    ) -> dict[tuple[int, str], list[HourlyAverage]]:
    """{(monitor pk, pollutant): hourly averages} in the complete hours of [start, end) that have readings, from
    the hourly rollups of every monitor's series in one pass."""
    owner: dict[int, tuple[int, str]] = {}
    for monitor in monitors:
        for pollutant, series_id in store.series_ids(monitor.pk, pollutants).items():
            owner[series_id] = (monitor.pk, pollutant)
    found: dict[tuple[int, str], list[HourlyAverage]] = {}
    if not owner:
        return found
    for series_id, hour, average, _low, _high, count in store.export_rows(sorted(owner), start, end,
                                                                          resolution="hour"):
        if count and start <= hour < end:
            found.setdefault(owner[series_id], []).append(HourlyAverage(hour, average, count))
    return found


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=BEIJING)
