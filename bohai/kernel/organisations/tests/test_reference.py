import pytest

from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.organisations.actions import load_reference_organisations
from bohai.kernel.organisations.directory import counterpart
from bohai.kernel.organisations.models import Organisation, OrganisationKind, Position
from bohai.kernel.regions.actions import load_reference_divisions
from bohai.kernel.regions.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    load_reference_divisions("130900", actor="test")
    return load_reference_organisations(actor="test")


def test_city_has_at_least_25_departments_under_its_government(loaded):
    city_units = Organisation.objects.filter(region__key="130900").exclude(kind=OrganisationKind.GOVERNMENT)
    assert city_units.count() >= 25
    names = set(city_units.values_list("name", flat=True))
    for expected in ("沧州市行政审批局", "沧州市公安局", "沧州市民政局", "沧州市生态环境局", "沧州市12345政务服务便民热线中心"):
        assert expected in names
    government = Organisation.objects.get(key="130900-gov")
    assert all(unit.path.startswith(government.path) for unit in city_units)


def test_every_county_has_a_government_and_counterparts(loaded):
    for county in Region.objects.filter(level="county"):
        units = Organisation.objects.filter(region=county)
        assert units.filter(kind=OrganisationKind.GOVERNMENT).count() == 1
        assert units.filter(function="civil_affairs").exists(), county
    assert Organisation.objects.get(key="130921-civil_affairs").name == "沧县民政局"


def test_units_have_positions(loaded):
    assert Position.objects.filter(organisation__key="130921-civil_affairs", title="窗口受理员").exists()


def test_loading_twice_adds_nothing_and_is_audited_once(loaded):
    units, positions = Organisation.objects.count(), Position.objects.count()
    assert load_reference_organisations(actor="test")["organisations_created"] == 0
    assert (Organisation.objects.count(), Position.objects.count()) == (units, positions)
    assert AuditRecord.objects.filter(action="organisations.load_reference").count() == 1


def test_counterpart_falls_back_to_the_nearest_level(loaded):
    cang = Region.objects.get(key="130921")
    assert counterpart("civil_affairs", cang).key == "130921-civil_affairs"
    assert counterpart("hotline", cang).key == "130900-hotline"  # counties have no hotline centre of their own
