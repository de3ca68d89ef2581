import pytest
import shapely
from django.core.exceptions import PermissionDenied, ValidationError

from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.regions import actions
from bohai.kernel.regions.geometry import area_km2, geometry_from_geojson
from bohai.kernel.regions.models import Level, Region
from bohai.kernel.regions.reference import SOURCE_CNMAPS, UnknownCity, city_divisions, city_figures

from .conftest import SYSTEM, region

CANGZHOU_COUNTIES = {
    "130902", "130903", "130921", "130922", "130923", "130924", "130925", "130926",
    "130927", "130928", "130929", "130930", "130981", "130982", "130983", "130984",
}


def test_cangzhou_has_its_16_county_units_and_3_zones(cangzhou):
    counties = Region.objects.filter(parent=cangzhou, level=Level.COUNTY)
    zones = Region.objects.filter(parent=cangzhou, level=Level.ZONE)
    assert set(counties.values_list("code", flat=True)) == CANGZHOU_COUNTIES
    assert set(zones.values_list("key", flat=True)) == {"ZONE-BHXQ", "ZONE-KFQ", "ZONE-GXQ"}
    assert cangzhou.name == "沧州市" and cangzhou.level == Level.CITY and cangzhou.path == "/130900/"


def test_county_carries_boundary_centroid_population_and_source(cangzhou):
    yunhe = region("130903")
    assert yunhe.name == "运河区"
    assert yunhe.path == "/130900/130903/"
    assert yunhe.boundary["type"] == "MultiPolygon"
    assert yunhe.population == 320_000
    assert yunhe.area_km2 == 138
    assert yunhe.source == SOURCE_CNMAPS
    assert geometry_from_geojson(yunhe.boundary).contains(shapely.Point(yunhe.centroid_lng, yunhe.centroid_lat))


def test_label_point_stays_inside_a_ring_shaped_county(cangzhou):
    # 沧县 surrounds the city seat: its plain centroid lies outside it.
    cangxian = region("130921")
    assert geometry_from_geojson(cangxian.boundary).contains(shapely.Point(cangxian.centroid_lng, cangxian.centroid_lat))


def test_city_population_is_the_sum_of_its_units(cangzhou):
    assert cangzhou.population == sum(f["population"] for f in city_figures("130900").values())
    assert 7_300_000 <= cangzhou.population <= 7_600_000


def test_functional_zones_have_no_code_and_honestly_no_boundary(cangzhou):
    for zone in Region.objects.filter(level=Level.ZONE):
        assert zone.code is None
        assert zone.boundary is None
        assert "无官方边界" in zone.source


def test_shipped_names_agree_with_the_cnmaps_index():
    names = {d.code: d.name for d in city_divisions("130900") if d.code}
    for code, figures in city_figures("130900").items():
        assert names[code] == figures["name"]


def test_area_of_the_city_boundary_is_close_to_the_published_14000_km2():
    city = next(d for d in city_divisions("130900") if d.level == Level.CITY)
    assert 13_300 < city.area_km2 < 14_700


def test_area_of_one_degree_square_at_the_equator():
    # 111.195 km per degree on the authalic sphere.
    assert area_km2(shapely.box(0, 0, 1, 1)) == pytest.approx(12_364, rel=0.002)


def test_loading_twice_changes_nothing(cangzhou):
    stamps = dict(Region.objects.values_list("key", "updated_at"))
    summary = actions.load_reference_divisions("130900", actor=SYSTEM)
    assert summary.created == [] and summary.updated == []
    assert summary.unchanged == 20
    assert dict(Region.objects.values_list("key", "updated_at")) == stamps


def test_a_changed_value_is_restored_on_reload(cangzhou):
    Region.objects.filter(key="130903").update(name="改名区")
    summary = actions.load_reference_divisions("130900", actor=SYSTEM)
    assert summary.updated == ["130903"]
    assert region("130903").name == "运河区"


def test_load_writes_one_summary_audit_record(db):
    before = AuditRecord.objects.count()
    actions.load_reference_divisions("130900", actor=SYSTEM)
    assert AuditRecord.objects.count() == before + 1
    entry = AuditRecord.objects.order_by("-id").first()
    assert entry.action == "regions.load_reference_divisions"
    assert entry.actor_label == SYSTEM
    assert entry.after["created"] == 20
    assert "130903" in entry.after["created_keys"]


def test_another_city_loads_from_its_code(db):
    actions.load_reference_divisions("130600", actor=SYSTEM)
    baoding = region("130600")
    assert baoding.name == "保定市"
    counties = Region.objects.filter(parent=baoding, level=Level.COUNTY)
    assert counties.count() == 24
    assert counties.filter(name="莲池区").exists()
    # No shipped figures: area from the boundary, no population, no zones.
    lianchi = counties.get(name="莲池区")
    assert lianchi.population is None and lianchi.area_km2 > 0
    assert not Region.objects.filter(level=Level.ZONE).exists()


def test_unknown_city_code_is_a_field_error(db):
    with pytest.raises(ValidationError) as raised:
        actions.load_reference_divisions("999900", actor=SYSTEM)
    assert "city_code" in raised.value.message_dict
    with pytest.raises(UnknownCity):
        city_divisions("999900")


def test_a_user_without_the_permission_may_not_load(db, make_user):
    with pytest.raises(PermissionDenied):
        actions.load_reference_divisions("130900", actor=make_user("clerk"))
    assert not Region.objects.exists()
