"""A small Cangzhou with boundaries, the seeded device types, owning departments and a device factory."""
import pytest

from bohai.iot.actions import issue_credentials, load_reference_device_types, register_device
from bohai.iot.models import DeviceType
from bohai.kernel.regions import spatial
from bohai.testing.fixtures import organisation_in

CANG = (116.85, 38.35)        # in 沧县 (the square below), outside the township
TOWNSHIP = (116.805, 38.305)  # in 旧州镇
QING = (116.55, 38.6)         # in 青县


def square(west, south, size):
    return {"type": "Polygon", "coordinates": [[[west, south], [west + size, south], [west + size, south + size],
                                                [west, south + size], [west, south]]]}


@pytest.fixture
def iot_city(cangzhou, roles):
    load_reference_device_types(actor="test")
    cangzhou["cang"].boundary = square(116.7, 38.2, 0.3)
    cangzhou["cang"].save()
    cangzhou["township"].boundary = square(116.8, 38.3, 0.02)
    cangzhou["township"].save()
    cangzhou["qing"].boundary = square(116.4, 38.5, 0.3)
    cangzhou["qing"].save()
    spatial.invalidate()
    units = {"water": organisation_in(cangzhou["cang"], "water"),
             "ecology": organisation_in(cangzhou["cang"], "ecology_environment"),
             "qing_water": organisation_in(cangzhou["qing"], "water")}
    return {**cangzhou, "units": units, "types": {t.code: t for t in DeviceType.objects.all()}}


@pytest.fixture
def make_device(iot_city):
    """make_device("water_supply", code="W-1") -> (device, secret)."""

    def make(type_code="water_supply", *, code=None, unit="water", at=CANG, enterprise_code=""):
        code = code or f"{type_code.upper().replace('_', '-')}-{DeviceType.objects.get(code=type_code).devices.count() + 1:04d}"
        device = register_device(actor="test", code=code, name=f"测试设备 {code}", device_type=iot_city["types"][type_code],
                                 organisation=iot_city["units"][unit], lng=at[0], lat=at[1],
                                 enterprise_code=enterprise_code)
        return device, issue_credentials(device, actor="test")

    return make
