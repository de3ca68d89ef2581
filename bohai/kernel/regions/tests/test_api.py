import io
import secrets

import pytest
from django.test import Client

from bohai.kernel.api.auth import KEY_PREFIX_LENGTH, key_digest
from bohai.kernel.api.models import ApiKey
from bohai.kernel.regions.models import Region

BASE = "/api/v1/regions"


@pytest.fixture
def reader(make_user):
    client = Client()
    client.force_login(make_user("reader"))
    return client


def test_reading_needs_a_session_or_an_api_key(cangzhou):
    response = Client().get(f"{BASE}/")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_an_api_key_may_read(cangzhou, make_user):
    raw = secrets.token_urlsafe(24)
    ApiKey.objects.create(name="部门系统", prefix=raw[:KEY_PREFIX_LENGTH], digest=key_digest(raw), account=make_user("system"))
    response = Client().get(f"{BASE}/130903", headers={"X-API-Key": raw})
    assert response.status_code == 200
    assert response.json()["name"] == "运河区"


def test_list_is_paged(reader, cangzhou):
    body = reader.get(f"{BASE}/", {"page_size": 5, "page": 2}).json()
    assert body["count"] == 20
    assert (body["page"], body["page_size"], len(body["results"])) == (2, 5, 5)


def test_list_filters_by_level_parent_and_name(reader, cangzhou):
    counties = reader.get(f"{BASE}/", {"level": "county", "parent": "130900", "page_size": 100}).json()
    assert counties["count"] == 16
    assert {r["level_label"] for r in counties["results"]} == {"县级单位"}
    found = reader.get(f"{BASE}/", {"q": "运河"}).json()["results"]
    assert [r["key"] for r in found] == ["130903"]
    assert found[0]["parent"] == "130900" and found[0]["population"] == 320_000
    by_code = reader.get(f"{BASE}/", {"q": "13098"}).json()["count"]
    assert by_code == 4


def test_list_orders_by_an_allowed_field(reader, cangzhou):
    results = reader.get(f"{BASE}/", {"level": "county", "ordering": "-population"}).json()["results"]
    assert results[0]["name"] == "任丘市"


def test_bad_filters_are_field_errors_in_chinese(reader, cangzhou):
    body = reader.get(f"{BASE}/", {"level": "village"}).json()
    assert body["code"] == "invalid" and "层级" in body["fields"]["level"][0]
    body = reader.get(f"{BASE}/", {"ordering": "boundary"}).json()
    assert "不能按" in body["fields"]["ordering"][0]


def test_detail_counts_children_and_names_ancestors(reader, demo_grid):
    body = reader.get(f"{BASE}/130903").json()
    assert body["ancestors"] == [{"key": "130900", "code": "130900", "name": "沧州市", "level": "city"}]
    assert body["children_counts"]["township"] == Region.objects.filter(parent__key="130903").count()
    assert body["subtree_counts"]["grid"] == Region.objects.filter(level="grid", path__startswith="/130900/130903/").count()
    assert body["has_boundary"] is True
    city = reader.get(f"{BASE}/130900").json()
    assert city["children_counts"] == {"county": 16, "zone": 3}


def test_unknown_region_is_404(reader, cangzhou):
    response = reader.get(f"{BASE}/999999")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_locate_finds_the_branch(reader, demo_grid):
    body = reader.get(f"{BASE}/locate", {"lng": 116.8385, "lat": 38.3045}).json()
    assert body["county"]["name"] == "运河区"
    assert body["grid"]["code"].startswith(body["community"]["code"])


@pytest.mark.parametrize("query, fields", [
    ({"lng": 190, "lat": 38.3}, {"lng"}),
    ({"lng": 116.8, "lat": -91}, {"lat"}),
    ({"lng": -181, "lat": 95}, {"lng", "lat"}),
])
def test_locate_rejects_out_of_range_coordinates(reader, cangzhou, query, fields):
    response = reader.get(f"{BASE}/locate", query)
    assert response.status_code == 422
    body = response.json()
    assert set(body["fields"]) == fields
    assert all(("经度" in m or "纬度" in m) for messages in body["fields"].values() for m in messages)


def test_locate_without_coordinates_is_a_field_error(reader, cangzhou):
    body = reader.get(f"{BASE}/locate", {"lng": "东经"}).json()
    assert body["fields"]["lng"] == ["应为数字"] and body["fields"]["lat"] == ["必填"]


def test_locate_outside_the_city_is_404(reader, cangzhou):
    response = reader.get(f"{BASE}/locate", {"lng": 118.5, "lat": 38.5})
    assert response.status_code == 404
    assert response.json()["message"] == "该位置不在本市区划范围内"


def test_map_layer_is_public_and_simplified(cangzhou):
    response = Client().get(f"{BASE}/geojson", {"level": "county"})
    assert response.status_code == 200
    layer = response.json()
    assert layer["type"] == "FeatureCollection" and len(layer["features"]) == 16
    yunhe = next(f for f in layer["features"] if f["properties"]["code"] == "130903")
    assert yunhe["properties"]["name"] == "运河区" and yunhe["properties"]["population"] == 320_000
    stored = Region.objects.get(key="130903").boundary
    assert len(str(yunhe["geometry"]["coordinates"])) < len(str(stored["coordinates"]))


def test_map_layer_of_one_region(cangzhou):
    layer = Client().get(f"{BASE}/geojson", {"key": "130902"}).json()
    assert [f["id"] for f in layer["features"]] == ["130902"]


def test_import_needs_the_permission(cangzhou, make_user):
    client = Client()
    client.force_login(make_user("clerk"))
    upload = io.BytesIO("code,name,level,parent_key\n130903101,街道,township,130903\n".encode())
    upload.name = "streets.csv"
    response = client.post(f"{BASE}/import", {"file": upload})
    assert response.status_code == 403
    assert not Region.objects.filter(key="130903101").exists()


def test_import_by_a_county_officer_reports_rows(cangzhou, make_user):
    client = Client()
    client.force_login(make_user("officer", permissions=("regions.import_region",), region_key="130903"))
    upload = io.BytesIO("code,name,level,parent_key\n130903101,街道,township,130903\n130903102,坏,nope,130903\n".encode())
    upload.name = "streets.csv"
    body = client.post(f"{BASE}/import", {"file": upload}).json()
    assert body["created"] == 1
    assert body["errors"] == [{"line": 3, "field": "level", "reason": body["errors"][0]["reason"]}]
