"""The IoT demo step: devices of every type across the counties, owned by the right departments, energy meters
and CEMS at enterprises, a day of history; running it twice gives the same devices and adds nothing."""
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from bohai.engines.alarms.models import Rule
from bohai.engines.alarms.recipients import on_duty
from bohai.engines.telemetry import store
from bohai.iot import demo
from bohai.iot.actions.registry import load_reference_device_types
from bohai.iot.models import Device
from bohai.iot.simulation.fleet import ENTERPRISE_TYPES, OWNER_FUNCTIONS, TYPE_WEIGHTS
from bohai.kernel.identities import validators
from bohai.kernel.identities.models import LegalEntity
from bohai.kernel.organisations.actions import load_reference_organisations
from bohai.kernel.regions import actions as region_actions
from bohai.kernel.regions import spatial
from bohai.kernel.regions.models import Region

ACTOR = "system:test"


def enterprise(number: int, county: Region) -> LegalEntity:
    code = validators.make_credit_code("91", county.key, f"MA0{number:05d}")
    return LegalEntity.objects.create(credit_code=code, name=f"沧州测试化工有限公司{number}", entity_type="enterprise",
                                      industry="石油化工", region=county)


@pytest.fixture
def city_with_device_types(db):
    """Cangzhou's counties with their boundaries, the government units, the seeded device types, enterprises."""
    spatial.invalidate()
    region_actions.load_reference_divisions("130900", actor=ACTOR)
    load_reference_organisations(actor=ACTOR)
    load_reference_device_types(actor=ACTOR)
    county = Region.objects.get(key="130930")
    for number in range(3):
        enterprise(number, county)
    yield
    spatial.invalidate()


@pytest.fixture
def small_demo(monkeypatch):
    monkeypatch.setattr(demo, "DEMO_DEVICES", 2 * sum(TYPE_WEIGHTS.values()))
    monkeypatch.setattr(demo, "BACKFILL_HOURS", 3)


def test_demo_devices_cover_every_type_and_county_with_their_departments_and_history(city_with_device_types,
                                                                                     small_demo):
    result = demo.generate_demo_devices(actor=ACTOR, seed=2026)

    devices = list(Device.objects.select_related("device_type", "organisation", "region"))
    assert result["devices"] == len(devices) == demo.DEMO_DEVICES
    assert {d.device_type.code for d in devices} == set(TYPE_WEIGHTS)
    assert Counter(d.device_type.code for d in devices)["manhole_cover"] == 2 * TYPE_WEIGHTS["manhole_cover"]
    assert len({d.region.path.split("/")[2] for d in devices}) >= 5      # spread over the counties
    for device in devices:
        assert device.code.startswith("DEMO-")
        assert device.organisation.function in OWNER_FUNCTIONS[device.device_type.code]
        assert device.region.path.startswith("/130900/")
        assert bool(device.enterprise_code) == (device.device_type.code in ENTERPRISE_TYPES)
    at_enterprises = [d for d in devices if d.enterprise_code]
    names = dict(LegalEntity.objects.values_list("credit_code", "name"))
    for device in at_enterprises:     # in the enterprise's county, named after it
        assert device.region.path.startswith("/130900/130930/")
        assert device.name.startswith(names[device.enterprise_code])
    meters = {d.code.rsplit("-", 1)[1]: d.enterprise_code for d in at_enterprises if d.code.startswith("DEMO-EM-")}
    monitors = {d.code.rsplit("-", 1)[1]: d.enterprise_code for d in at_enterprises if d.code.startswith("DEMO-CEMS-")}
    assert meters == monitors and len(set(meters.values())) == 3

    # A few hours of history, up to about now, for every device that was not in an outage all along.
    now = timezone.now()
    flow = Device.objects.filter(device_type__code="water_supply").first()
    series = store.series_ids(flow.pk, ["flow", "pressure"])
    history = store.query(series["flow"], now - timedelta(hours=4), now + timedelta(minutes=1))
    assert len(history.points) >= 8
    assert all(0 <= point[1] <= 20000 for point in history.points)
    assert result["readings"] > demo.DEMO_DEVICES * 8
    assert Device.objects.filter(last_seen_at__isnull=False).count() >= 0.9 * demo.DEMO_DEVICES


def test_running_the_demo_twice_gives_the_same_devices_and_adds_nothing(city_with_device_types, small_demo):
    demo.generate_demo_devices(actor=ACTOR, seed=2026)
    first = list(Device.objects.values_list("code", "lng", "lat", "organisation_id", "enterprise_code"))

    again = demo.generate_demo_devices(actor=ACTOR, seed=2026)

    assert again["devices"] == 0 and again["readings"] == 0 and again["rules"] == 0
    assert Rule.objects.filter(subject_kind="iot.device").count() == len(demo.DEMO_RULES)
    assert list(Device.objects.values_list("code", "lng", "lat", "organisation_id", "enterprise_code")) == first


def test_without_enterprises_the_meters_are_left_out(city_with_device_types, small_demo):
    LegalEntity.objects.all().delete()

    demo.generate_demo_devices(actor=ACTOR, seed=2026)

    types = set(Device.objects.values_list("device_type__code", flat=True))
    assert types == set(TYPE_WEIGHTS) - set(ENTERPRISE_TYPES)


def test_the_demo_device_officer_manages_the_busiest_water_bureaus_devices(city_with_device_types, roles):
    from bohai.kernel.accounts.models import User
    from bohai.kernel.demo.accounts import demo_accounts_table

    demo.generate_demo_devices(actor="test", seed=7)
    officer = User.objects.get(username="device_officer")
    assert demo.ensure_device_officer(actor="test") == "device_officer"  # a second run adds nothing
    assert officer.organisation.function == "water" and officer.has_perm("iot.change_device")
    mine = Device.objects.restrict(officer, "view")
    assert mine.exists() and set(mine.values_list("organisation", flat=True)) == {officer.organisation_id}
    assert "device_officer" in demo_accounts_table()
    now = timezone.now()
    assert on_duty(officer.organisation_id, now) == [officer.pk]  # the unit's alarms reach them first
    assert on_duty(officer.organisation_id, now + timedelta(days=6)) == [officer.pk]
