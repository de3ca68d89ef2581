from datetime import date

from django.test import Client

from bohai.kernel.identities.models import LegalEntity, Person
from bohai.kernel.organisations.models import Organisation
from bohai.kernel.pages.navigation import menu
from bohai.kernel.regions.models import Region


def test_map_page_points_the_chart_at_the_county_layer(cangzhou):
    page = Client().get("/regions/map/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="county-map"' in html
    assert "/api/v1/regions/geojson?level=county&amp;parent=130900" in html
    assert "/static/vendor/echarts/echarts.min.js" in html
    # The table beside the map lists every county for readers without the chart.
    assert html.count('href="/regions/1309') == 16
    assert "渤海新区" in html


def test_map_page_before_any_region_is_loaded(db):
    page = Client().get("/regions/map/")
    assert page.status_code == 200 and "尚未载入行政区划" in page.content.decode()


def test_region_page_shows_breadcrumb_children_and_counts(demo_grid):
    street = Region.objects.get(key="130903001")
    Organisation.objects.create(key="yunhe-gov", name="运河区人民政府", kind="government", region=Region.objects.get(key="130903"), path="/yunhe-gov/")
    html = Client().get("/regions/130903/").content.decode()
    assert '<a href="/regions/130900/">沧州市</a>' in html
    assert street.name in html
    assert "运河区人民政府" in html
    assert 'data-count="persons">0<' in html
    assert 'id="region-map-layer"' in html


def _register_person(number: int, region: Region) -> None:
    Person.objects.create(
        id_number_cipher="-", id_number_index=f"index-{number}", id_number_masked="130903********0000",
        name=f"居民{number}", gender="male", birth_date=date(1990, 1, 1), region=region,
    )


def test_region_page_counts_people_and_entities_in_the_subtree(demo_grid):
    grid = Region.objects.filter(level="grid", key__startswith="130903").first()
    for number in range(3):
        _register_person(number, grid)
    _register_person(9, Region.objects.get(key="130902"))
    LegalEntity.objects.create(credit_code="91130903MA0000000X", name="某公司", entity_type="enterprise", region=grid)
    html = Client().get("/regions/130903/").content.decode()
    assert 'data-count="persons">3<' in html
    assert 'data-count="legal-entities">1<' in html
    assert 'data-count="persons">1<' in Client().get("/regions/130902/").content.decode()


def test_a_zone_page_says_it_has_no_boundary(cangzhou):
    html = Client().get("/regions/ZONE-BHXQ/").content.decode()
    assert "无边界数据" in html


def test_unknown_region_page_is_404(cangzhou):
    assert Client().get("/regions/000000/").status_code == 404


def test_workbench_list_needs_sign_in_and_searches(cangzhou, make_user):
    assert Client().get("/work/regions/").status_code == 302
    client = Client()
    client.force_login(make_user("staff"))
    html = client.get("/work/regions/", {"q": "运河"}).content.decode()
    assert "运河区" in html and "新华区" not in html
    assert "无效" in client.get("/work/regions/", {"level": "village"}).content.decode()


def test_menu_entries_are_registered():
    assert any(item.url_name == "regions:map" and item.label == "区划地图" for item in menu.items["portal"])
    assert any(item.url_name == "regions:workbench_list" and item.label == "区划与网格" for item in menu.items["workbench"])
