"""A small city of devices for the operations centre: types, devices in 沧县 and 青县, readings, alarms."""
import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from bohai.engines.alarms.models import Alarm, Rule
from bohai.engines.telemetry import store
from bohai.engines.telemetry.records import Point
from bohai.iot.models import Device, DeviceType, MetricSpec
from bohai.testing.fixtures import organisation_in

TYPES = {
    "water_supply": ("供水监测", "water", 15, ["pressure", "flow"]),
    "gas_pipeline": ("燃气管网监测", "gas", 10, ["pipeline_pressure", "leak_concentration"]),
    "traffic": ("交通流量检测", "traffic", 10, ["flow", "speed", "occupancy"]),
    "air_quality": ("空气质量监测站", "air", 90, ["pm25", "pm10", "so2", "no2", "co", "o3"]),
    "manhole_cover": ("智能井盖", "manhole", 1500, ["tilt", "open"]),
}
_codes = itertools.count(1)


@pytest.fixture(autouse=True)
def fresh_series_cache():
    store.forget_cached_series()
    yield
    store.forget_cached_series()


class City:
    """Builds devices, readings and alarms on the `cangzhou` fixture's two counties."""

    def __init__(self, cangzhou):
        self.regions = cangzhou  # {"city", "cang", "qing", "township"}: devices of 沧县 go to its township
        self.now = timezone.now().replace(second=0, microsecond=0)
        self.types = {}
        for code, (name, category, offline, metrics) in TYPES.items():
            kind = DeviceType.objects.create(code=code, name=name, category=category, offline_after_minutes=offline)
            for position, metric in enumerate(metrics):
                MetricSpec.objects.create(device_type=kind, code=metric, name=metric, position=position)
            self.types[code] = kind
        self.water = {"cang": organisation_in(cangzhou["cang"], "water"), "qing": organisation_in(cangzhou["qing"], "water")}

    def device(self, type_code: str, county: str, *, seen_minutes_ago: float | None = 1, status: str = "active",
               organisation=None, lng: float | None = None, lat: float = 38.3) -> Device:
        number = next(_codes)
        region = self.regions["township"] if county == "cang" else self.regions["qing"]
        seen = self.now - timedelta(minutes=seen_minutes_ago) if seen_minutes_ago is not None else None
        return Device.objects.create(
            code=f"{type_code}-{number:04d}", name=f"{self.types[type_code].name}{number:04d}",
            device_type=self.types[type_code], organisation=organisation or self.water[county], region=region,
            lng=lng if lng is not None else (116.80 if county == "cang" else 116.55) + number / 10000, lat=lat,
            status=status, last_seen_at=seen)

    def readings(self, device: Device, metric: str, values, *, minutes_apart: float = 5, ending_minutes_ago: float = 1):
        series = store.series_ids(device.pk, [metric])[metric]
        end = self.now - timedelta(minutes=ending_minutes_ago)
        points = [Point(series, end - timedelta(minutes=minutes_apart * i), float(v)) for i, v in enumerate(reversed(values))]
        store.write(points)

    def alarm(self, device: Device, *, severity: str = "major", state: str = "active", metric: str = "") -> Alarm:
        rule = Rule.objects.create(name=f"规则{next(_codes)}", subject_kind="iot.device", subject_type=device.device_type.code,
                                   metric=metric, kind="above", threshold=1, severity=severity,
                                   region=self.regions["city"])
        raised = self.now - timedelta(minutes=3)
        return Alarm.objects.create(
            rule=rule, subject_kind="iot.device", subject_id=device.pk, subject_label=str(device), metric=metric,
            organisation=device.organisation, region=device.region, lng=device.lng, lat=device.lat, severity=severity,
            state=state, escalated_at=raised, raised_at=raised, last_seen_at=raised, message=f"{device.name} 超限",
            cleared_at=raised if state == "cleared" else None)


@pytest.fixture
def city(cangzhou):
    return City(cangzhou)
