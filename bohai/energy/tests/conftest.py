"""Fixtures of the energy suite: key enterprises in 沧县 and 青县, energy meters and CEMS monitors registered
in the IoT registry through its models, readings written through the telemetry store."""
from datetime import date, datetime, timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest

from bohai.energy import actions
from bohai.energy.models import Industry, KeyLevel
from bohai.engines.telemetry import store
from bohai.engines.telemetry.records import Point
from bohai.kernel.identities.validators import credit_code_check_char, organisation_code_check_char
from bohai.testing.fixtures import organisation_in

BEIJING = ZoneInfo("Asia/Shanghai")
METER_METRICS = (("electricity", "kWh"), ("natural_gas", "m³"), ("coal", "kg"), ("steam", "MJ"))
CEMS_METRICS = (("so2", "mg/m³"), ("nox", "mg/m³"), ("particulates", "mg/m³"), ("flue_gas_flow", "m³/h"))


def credit_code(division: str, body: str) -> str:
    """A valid USCC of an enterprise (91) registered in `division`, body of 8 characters."""
    first17 = "91" + division + body + organisation_code_check_char(body)
    return first17 + credit_code_check_char(first17)


@pytest.fixture(autouse=True)
def fresh_series_cache():
    store.forget_cached_series()
    yield
    store.forget_cached_series()


@pytest.fixture
def device_types(db):
    from bohai.iot.models import DeviceType, MetricSpec

    meter = DeviceType.objects.create(code="energy_meter", name="企业能耗计量表", category="energy")
    cems = DeviceType.objects.create(code="emission_monitor", name="烟气排放连续监测", category="emission")
    for device_type, metrics in ((meter, METER_METRICS), (cems, CEMS_METRICS)):
        MetricSpec.objects.bulk_create([MetricSpec(device_type=device_type, code=code, name=code, unit=unit, position=i)
                                        for i, (code, unit) in enumerate(metrics)])
    return {"meter": meter, "cems": cems}


@pytest.fixture
def enterprises(cangzhou):
    steel = actions.register_enterprise(actor="test", enterprise_code=credit_code("130921", "MA0TEE11"),
                                        name="沧县示范钢铁有限公司", industry=Industry.STEEL, region=cangzhou["township"],
                                        level=KeyLevel.NATIONAL)
    glass = actions.register_enterprise(actor="test", enterprise_code=credit_code("130922", "MA0GLA21"),
                                        name="青县示范玻璃有限公司", industry=Industry.BUILDING_MATERIALS,
                                        region=cangzhou["qing"])
    return {"steel": steel, "glass": glass}


@pytest.fixture
def make_device(device_types, cangzhou):
    from bohai.iot.models import Device

    def make(code, kind, enterprise):
        region = enterprise.region
        return Device.objects.create(code=code, name=code, device_type=device_types[kind], region=region,
                                     organisation=organisation_in(cangzhou["city"], "ecology"), lng=116.8,
                                     lat=38.3, enterprise_code=enterprise.enterprise_code)

    return make


def write(device, metric: str, readings) -> None:
    """readings: (Beijing datetime or (y, m, d, h, mi), value) pairs."""
    series = store.series_ids(device.pk, [metric])[metric]
    points = []
    for when, value in readings:
        moment = when if isinstance(when, datetime) else datetime(*when, tzinfo=BEIJING)
        points.append(Point(series, moment.astimezone(dt_timezone.utc), float(value)))
    store.write(points)


def month(year: int, number: int) -> date:
    return date(year, number, 1)
