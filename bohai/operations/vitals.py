"""Computing the vital signs from telemetry and the registers, for the city, each county and each department.

Each `compute_*` function returns SignValues; `compute_all` runs them all for one moment. Nothing here writes:
`actions.record_vital_signs` stores what this computes.
"""
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count

from bohai.engines.alarms.models import OPEN_STATES, Alarm
from bohai.engines.telemetry import store
from bohai.iot import queries as devices

from . import aqi
from .catalog import ACTIVE_ALARMS, AQI, CONGESTION, GAS_LEAKS, ONLINE_RATE, WATER_PRESSURE, congestion_grade
from .places import CountyIndex

DEFAULT_MIN_WATER_PRESSURE_MPA = 0.14  # CJJ 207-2013: pressure at the network's end
CONGESTION_WINDOW = timedelta(minutes=15)
FREE_FLOW_WINDOW = timedelta(days=7)
FREE_FLOW_PERCENTILE = 85
SEVERITIES = ("critical", "major", "minor", "info")


@dataclass
class SignValue:
    sign: str
    region_id: int | None  # None: the city
    value: float | None
    grade: str = ""
    detail: dict = field(default_factory=dict)
    organisation_id: int | None = None


def compute_all(now: datetime) -> list[SignValue]:
    index = CountyIndex()
    return [
        *compute_aqi(now, index), *compute_water_pressure(now, index), *compute_gas_leak_alarms(index),
        *compute_online_rate(now, index), *compute_active_alarms(index), *compute_congestion(now, index),
    ]


def hour_average(series_id: int, start: datetime, end: datetime) -> float | None:
    """The count-weighted average of a series over [start, end), None without readings."""
    points = store.query(series_id, start, end, budget=500).points
    count = sum(point[4] for point in points)
    return sum(point[1] * point[4] for point in points) / count if count else None


def _averages(device_pk: int, metrics, start: datetime, end: datetime) -> dict[str, float]:
    averages = {}
    for metric, series_id in store.series_ids(device_pk, metrics).items():
        value = hour_average(series_id, start, end)
        if value is not None:
            averages[metric] = value
    return averages


def _places(region_id: int | None, index: CountyIndex) -> list[int | None]:
    """The city (None) and, when the region lies in one, its county."""
    county = index.county_of(region_id)
    return [None] if county is None else [None, county]


def compute_aqi(now: datetime, index: CountyIndex) -> list[SignValue]:
    """Per place: each pollutant's mean over the stations' last-hour averages, then the hourly AQI."""
    start = now - timedelta(hours=1)
    stations: dict[int | None, list[tuple[int, dict]]] = defaultdict(list)
    for pk, region_id in devices.active_devices("air_quality").values_list("pk", "region_id"):
        concentrations = _averages(pk, aqi.POLLUTANTS, start, now)
        if concentrations:
            for place in _places(region_id, index):
                stations[place].append((pk, concentrations))
    values = []
    for place, measured in stations.items():
        means = {p: statistics.fmean(c[p] for _, c in measured if p in c)
                 for p in aqi.POLLUTANTS if any(p in c for _, c in measured)}
        so2_24h = _so2_day_mean([pk for pk, _ in measured], now) if means.get("so2", 0) > aqi.SO2_1H_LIMIT else None
        result = aqi.hourly_aqi(means, so2_24h=so2_24h)
        detail = result.as_detail() | {"stations": len(measured),
                                       "concentrations": {p: round(v, 3) for p, v in means.items()}}
        values.append(SignValue(AQI, place, result.aqi, detail["grade"], detail))
    return values


def _so2_day_mean(device_pks: list[int], now: datetime) -> float | None:
    day = [_averages(pk, ["so2"], now - timedelta(hours=24), now).get("so2") for pk in device_pks]
    day = [value for value in day if value is not None]
    return statistics.fmean(day) if day else None


def min_water_pressure() -> float:
    return float(getattr(settings, "BOHAI_OPS_MIN_WATER_PRESSURE_MPA", DEFAULT_MIN_WATER_PRESSURE_MPA))


def compute_water_pressure(now: datetime, index: CountyIndex) -> list[SignValue]:
    threshold = min_water_pressure()
    counts: dict[int | None, dict] = defaultdict(lambda: {"measured": 0, "compliant": 0})
    for pk, region_id in devices.active_devices("water_supply").values_list("pk", "region_id"):
        pressure = _averages(pk, ["pressure"], now - timedelta(hours=1), now).get("pressure")
        if pressure is None:
            continue
        for place in _places(region_id, index):
            counts[place]["measured"] += 1
            counts[place]["compliant"] += pressure >= threshold
    return [SignValue(WATER_PRESSURE, place, round(100.0 * c["compliant"] / c["measured"], 2), "",
                      c | {"threshold_mpa": threshold}) for place, c in counts.items()]


def _open_device_alarms(type_code: str | None = None):
    alarms = Alarm.objects.filter(state__in=OPEN_STATES, subject_kind=devices.DEVICE_KIND)
    if type_code:
        alarms = alarms.filter(subject_id__in=devices.active_devices(type_code).values("pk"))
    return alarms.order_by()


def _alarm_counts(sign: str, alarms, index: CountyIndex) -> list[SignValue]:
    by_place: dict[int | None, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SEVERITIES, 0))
    for place in [None, *index.by_path.values()]:  # every place has a value, zero or not
        by_place[place]
    for region_id, severity, n in alarms.values("region_id", "severity").annotate(n=Count("pk")).values_list(
            "region_id", "severity", "n"):
        for place in _places(region_id, index):
            by_place[place][severity] = by_place[place].get(severity, 0) + n
    return [SignValue(sign, place, float(sum(counts.values())), "", {"by_severity": counts})
            for place, counts in by_place.items()]


def compute_gas_leak_alarms(index: CountyIndex) -> list[SignValue]:
    return _alarm_counts(GAS_LEAKS, _open_device_alarms("gas_pipeline"), index)


def compute_active_alarms(index: CountyIndex) -> list[SignValue]:
    return _alarm_counts(ACTIVE_ALARMS, _open_device_alarms(), index)


def compute_online_rate(now: datetime, index: CountyIndex) -> list[SignValue]:
    by_place: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])
    by_department: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for row in devices.online_counts(devices.active_devices(), now, "region_id", "organisation_id"):
        for place in _places(row["region_id"], index):
            by_place[place][0] += row["online"]
            by_place[place][1] += row["total"]
        by_department[row["organisation_id"]][0] += row["online"]
        by_department[row["organisation_id"]][1] += row["total"]
    values = [SignValue(ONLINE_RATE, place, _rate(online, total), "", {"online": online, "total": total})
              for place, (online, total) in by_place.items()]
    values += [SignValue(ONLINE_RATE, None, _rate(online, total), "", {"online": online, "total": total},
                         organisation_id=organisation_id)
               for organisation_id, (online, total) in by_department.items()]
    return values


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def congestion_index(free_flow_speed: float, current_speed: float) -> float:
    """0–10 from the travel-time ratio free-flow ÷ current speed: ratio 1 → 0, ratio 2.5 or more → 10."""
    if current_speed <= 0:
        return 10.0
    ratio = max(free_flow_speed / current_speed, 1.0)
    return round(min((ratio - 1.0) * 10.0 / 1.5, 10.0), 2)


def free_flow_speed(series_id: int, now: datetime) -> float | None:
    points = store.query(series_id, now - FREE_FLOW_WINDOW, now, budget=500).points
    speeds = sorted(point[1] for point in points)
    if not speeds:
        return None
    return speeds[min(len(speeds) - 1, int(len(speeds) * FREE_FLOW_PERCENTILE / 100))]


def compute_congestion(now: datetime, index: CountyIndex) -> list[SignValue]:
    weighted: dict[int | None, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for pk, region_id in devices.active_devices("traffic").values_list("pk", "region_id"):
        series = store.series_ids(pk, ["speed", "flow"])
        current = hour_average(series["speed"], now - CONGESTION_WINDOW, now)
        free_flow = free_flow_speed(series["speed"], now)
        if current is None or free_flow is None:
            continue
        flow = hour_average(series["flow"], now - CONGESTION_WINDOW, now) or 0.0
        weight = max(flow, 1.0)
        for place in _places(region_id, index):
            weighted[place][0] += congestion_index(max(free_flow, current), current) * weight
            weighted[place][1] += weight
            weighted[place][2] += 1
    values = []
    for place, (total, weights, detectors) in weighted.items():
        value = round(total / weights, 2)
        values.append(SignValue(CONGESTION, place, value, congestion_grade(value), {"detectors": detectors}))
    return values
