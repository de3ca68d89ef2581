"""Scoping of devices, alarms and signs by county and department; the cluster endpoint; the pages and API."""
from datetime import timedelta

import pytest

from bohai.operations import clusters
from bohai.operations.actions import compute_vital_signs
from bohai.testing.fixtures import organisation_in

pytestmark = pytest.mark.django_db
WHOLE_CITY = "115.5,37.5,118.0,39.0"


@pytest.fixture
def scene(city):
    cang_pipe = city.device("gas_pipeline", "cang", lng=116.81, lat=38.31)
    qing_pipe = city.device("gas_pipeline", "qing", lng=116.51, lat=38.61)
    city.device("water_supply", "cang", lng=116.82, lat=38.32, seen_minutes_ago=60)   # offline
    city.alarm(cang_pipe, severity="critical")
    city.alarm(qing_pipe, severity="minor")
    city.readings(city.device("air_quality", "cang"), "pm25", [80])
    compute_vital_signs(city.now)
    return {"cang_pipe": cang_pipe, "qing_pipe": qing_pipe}


@pytest.fixture
def officers(make_staff, cangzhou):
    return {
        "city": make_staff("city_officer", cangzhou["city"]),
        "cang": make_staff("county_officer", cangzhou["cang"]),
        "duty": make_staff("ops_duty_officer", cangzhou["city"]),
    }


def test_a_county_officer_sees_only_their_countys_alarms(client_for, officers, scene):
    feed = client_for(officers["cang"]).get("/api/v1/operations/alarms").json()
    city_feed = client_for(officers["duty"]).get("/api/v1/operations/alarms").json()

    assert [a["code"] for a in feed["alarms"]] == [scene["cang_pipe"].code]
    assert feed["total"] == 1
    assert {a["code"] for a in city_feed["alarms"]} == {scene["cang_pipe"].code, scene["qing_pipe"].code}


def test_a_county_officer_gets_404_for_a_device_outside_their_county(client_for, officers, scene):
    officer = client_for(officers["cang"])

    assert officer.get(f"/ops/devices/{scene['cang_pipe'].code}/").status_code == 200
    assert officer.get(f"/ops/devices/{scene['qing_pipe'].code}/").status_code == 404
    assert officer.get("/ops/counties/130922/").status_code == 404
    assert officer.get("/api/v1/operations/signs?county=130922").status_code == 404


def test_a_department_head_sees_their_departments_devices_only(client_for, make_staff, cangzhou, city, scene):
    head = make_staff("department_head", cangzhou["city"], organisation=organisation_in(cangzhou["city"], "gas"))
    from bohai.kernel.accounts import actions as account_actions
    from bohai.kernel.accounts.models import RoleAssignment

    RoleAssignment.objects.filter(user=head).delete()
    account_actions.assign_role(head, actor="test", role_code="department_head", region=cangzhou["city"],
                                organisation=city.water["qing"])
    layer = client_for(head).get(f"/api/v1/operations/map/devices?bbox={WHOLE_CITY}&zoom=8").json()
    feed = client_for(head).get("/api/v1/operations/alarms").json()

    assert [d["code"] for d in layer["devices"]] == [scene["qing_pipe"].code]
    assert [a["code"] for a in feed["alarms"]] == [scene["qing_pipe"].code]


def test_the_county_officer_screen_shows_their_county(client_for, officers, scene):
    page = client_for(officers["cang"]).get("/ops/")

    assert page.status_code == 200
    assert page.context["county"].key == "130921"
    html = page.content.decode()
    assert 'data-county="130921"' in html and "沧县" in html


def test_the_city_screen_shows_the_city_signs_with_trends(client_for, officers, scene):
    page = client_for(officers["duty"]).get("/ops/")

    signs = {now.sign.code: now for now in page.context["signs"]}
    assert signs["aqi"].value == 107 and signs["aqi"].trend
    assert signs["gas_leak_alarms"].value == 2
    html = page.content.decode()
    assert 'data-bs-theme="dark"' in html and 'id="ops-map"' in html and "轻度污染" in html


def test_signs_api_latest_history_and_per_county(client_for, officers, scene, city):
    client = client_for(officers["city"])
    compute_vital_signs(city.now - timedelta(minutes=5))

    latest = {s["code"]: s for s in client.get("/api/v1/operations/signs").json()}
    history = client.get("/api/v1/operations/signs/gas_leak_alarms/history?county=130921").json()
    counties = client.get("/api/v1/operations/signs/aqi/counties").json()
    cang_only = client_for(officers["cang"]).get("/api/v1/operations/signs/gas_leak_alarms/counties").json()

    assert latest["aqi"]["value"] == 107 and latest["aqi"]["detail"]["primary"] == ["pm25"]
    assert len(latest["gas_leak_alarms"]["trend"]) == 2
    assert len(latest["aqi"]["trend"]) == 1          # five minutes earlier the reading was not yet there
    assert [p["value"] for p in history] == [1, 1]
    assert counties == [{"key": "130921", "name": "沧县", "value": 107, "grade": "轻度污染",
                         "detail": counties[0]["detail"], "at": counties[0]["at"]}]
    assert [row["key"] for row in cang_only] == ["130921"]


def test_the_cluster_endpoint_groups_by_cell_and_counts_by_status(client_for, officers, city, scene):
    for i in range(400):   # more than INDIVIDUAL_LIMIT: clusters come back
        city.device("manhole_cover", "cang" if i % 2 else "qing", lng=116.5 + (i % 20) * 0.02, lat=38.0 + (i // 20) * 0.02,
                    seen_minutes_ago=1 if i % 4 else None)
    client = client_for(officers["duty"])

    layer = client.get(f"/api/v1/operations/map/devices?bbox={WHOLE_CITY}&zoom=7").json()
    fine = client.get(f"/api/v1/operations/map/devices?bbox={WHOLE_CITY}&zoom=11").json()
    county = client_for(officers["cang"]).get(f"/api/v1/operations/map/devices?bbox={WHOLE_CITY}&zoom=7").json()

    # 400 manholes and the scene's two pipes, water meter and air station
    assert layer["kind"] == "clusters" and layer["total"] == 404
    assert sum(c["count"] for c in layer["clusters"]) == 404
    assert sum(c["alarm"] for c in layer["clusters"]) == 2
    assert sum(c["offline"] for c in layer["clusters"]) == 100 + 1        # never heard, and the silent water meter
    assert sum(c["online"] for c in layer["clusters"]) == 300 + 1        # and the air station
    assert len(fine["clusters"]) > len(layer["clusters"])                 # smaller cells when zoomed in
    assert county["total"] == 200 + 3                          # 沧县's manholes, pipe, water meter and air station
    assert client.get("/api/v1/operations/map/devices?bbox=1,2,3&zoom=7").status_code == 422


def test_few_devices_in_view_come_back_one_by_one_with_their_status(client_for, officers, scene):
    layer = client_for(officers["duty"]).get(f"/api/v1/operations/map/devices?bbox={WHOLE_CITY}&zoom=9").json()

    assert layer["kind"] == "devices"
    statuses = {d["code"]: d["status"] for d in layer["devices"]}
    assert statuses[scene["cang_pipe"].code] == "alarm"
    assert sorted(statuses.values()).count("offline") == 1


def test_cell_size_halves_with_each_zoom_level():
    assert clusters.cell_degrees(9) == pytest.approx(clusters.cell_degrees(8) / 2)


def test_the_device_page_draws_the_history_from_the_store(client_for, officers, city, scene):
    city.readings(scene["cang_pipe"], "leak_concentration", [1, 2, 3])
    page = client_for(officers["cang"]).get(f"/ops/devices/{scene['cang_pipe'].code}/")

    charts = {chart["code"]: chart for chart in page.context["history"]["charts"]}
    assert [p[1] for p in charts["leak_concentration"]["points"]] == [1, 2, 3]
    assert charts["leak_concentration"]["latest"][1] == 3


def test_the_device_type_page_lists_devices_in_scope(client_for, officers, scene):
    page = client_for(officers["cang"]).get("/ops/types/gas_pipeline/")

    assert page.status_code == 200
    assert [row["device"].code for row in page.context["rows"]] == [scene["cang_pipe"].code]
    assert page.context["rows"][0]["status"] == "alarm"
    assert (page.context["online"], page.context["active"], page.context["total"]) == (1, 1, 1)
    city_page = client_for(officers["duty"]).get("/ops/types/gas_pipeline/")
    assert (city_page.context["online"], city_page.context["active"], city_page.context["alarmed"]) == (2, 2, 2)


def test_visible_devices_are_the_rows_restrict_gives(make_staff, cangzhou, city, scene):
    from bohai.iot.models import Device
    from bohai.iot.queries import visible_devices
    from bohai.kernel.accounts.models import User

    users = [make_staff("county_officer", cangzhou["cang"]), make_staff("ops_duty_officer", cangzhou["city"]),
             make_staff("county_officer", cangzhou["township"]), make_staff(None, cangzhou["city"]),
             User.objects.create_superuser(username="root-ops", password="x")]
    city.device("water_supply", "cang", organisation=organisation_in(cangzhou["cang"], "gas"))

    for user in users:
        assert set(visible_devices(user)) == set(Device.objects.restrict(user, "view")), user
    assert visible_devices(users[0]).count() == 4 and visible_devices(users[3]).count() == 0


def test_online_means_heard_within_the_types_offline_time(city):
    from bohai.iot.models import Device
    from bohai.iot.queries import online_condition

    fresh = city.device("gas_pipeline", "cang", seen_minutes_ago=9)        # 10 minutes for gas pipelines
    city.device("gas_pipeline", "cang", seen_minutes_ago=11)
    slow = city.device("manhole_cover", "cang", seen_minutes_ago=1400)     # 1,500 minutes for manhole covers
    city.device("manhole_cover", "cang", seen_minutes_ago=None)

    assert set(Device.objects.filter(online_condition(city.now))) == {fresh, slow}


def _by_status(layer):
    return {key: sum(c[key] for c in layer["clusters"]) for key in ("count", "online", "offline", "alarm")}


def _many_manholes(city):
    for i in range(400):
        city.device("manhole_cover", "cang" if i % 2 else "qing", lng=116.5 + (i % 20) * 0.02, lat=38.0 + (i // 20) * 0.02,
                    seen_minutes_ago=1 if i % 4 else None)


BBOX = clusters.BBox(115.5, 37.5, 118.0, 39.0)


def test_the_pre_counted_cells_give_the_live_answer_and_alarms_stay_live(make_staff, cangzhou, city, scene):
    from bohai.kernel.accounts.models import User

    _many_manholes(city)
    admin = User.objects.create_superuser(username="root-map", password="x")
    officer = make_staff("county_officer", cangzhou["cang"])
    live, live_county = clusters.clusters(admin, BBOX, 7), clusters.clusters(officer, BBOX, 7)

    clusters.refresh_cells()
    counted, counted_county = clusters.clusters(admin, BBOX, 7), clusters.clusters(officer, BBOX, 7)

    assert live["counted"] == "live" and counted["counted"] == "counted"
    assert _by_status(counted) == _by_status(live)
    assert abs(len(counted["clusters"]) - len(live["clusters"])) <= len(live["clusters"]) // 4  # cell edges differ
    assert counted_county["total"] == live_county["total"] == 203
    assert clusters.clusters(admin, BBOX, 7, type_code="manhole_cover")["total"] == 400

    city.alarm(city.device("manhole_cover", "cang", lng=116.5, lat=38.0), severity="critical")   # after the count
    city.alarm(city.types["manhole_cover"].devices.filter(last_seen_at__isnull=False).order_by("pk").first())

    after = _by_status(clusters.clusters(admin, BBOX, 7))
    assert after["alarm"] == 2 + 2                 # alarms are live, even on a device newer than the count
    assert after["count"] == 404                   # which itself waits for the next count (a minute)
    assert after["online"] < _by_status(counted)["online"]


def test_stale_counts_are_not_used(city, scene):
    from datetime import timedelta

    from bohai.kernel.accounts.models import User

    _many_manholes(city)
    clusters.refresh_cells(timezone_now() - timedelta(minutes=10))
    user = User.objects.create_superuser(username="root-stale", password="x")

    assert clusters.clusters(user, BBOX, 7)["counted"] == "live"


def timezone_now():
    from django.utils import timezone

    return timezone.now()
