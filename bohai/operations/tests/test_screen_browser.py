"""The operations centre in a real browser (Debian's chromium) over the real county boundaries: the map draws
with the device clusters and AQI per county, the sign tiles carry trends, and an alarm raised in the database
appears in the live list without a reload; drill-down to a county, a device type and a device with its history.
Screenshots in var/screenshots/ops-*.png: look at them."""
import random

import pytest

from bohai.kernel.regions.actions import load_reference_divisions
from bohai.kernel.regions.models import Region
from bohai.operations.actions import compute_vital_signs
from bohai.operations.clusters import refresh_cells
from bohai.testing.browser import shoot, sign_in
from bohai.testing.fixtures import TEST_PASSWORD

from .conftest import City

pytestmark = [pytest.mark.browser]

CHART = "echarts.getInstanceByDom(document.getElementById('ops-map'))"
DEVICES_DRAWN = f"(() => {{ const c = window.echarts && {CHART}; return !!c && c.getOption().series[0].data.length > 0; }})()"


@pytest.fixture
def screen(browser_page, make_staff):
    load_reference_divisions(actor="test")
    regions = {key: Region.objects.get(key=code) for key, code in (("city", "130900"), ("cang", "130921"),
                                                                    ("qing", "130922"))}
    regions["township"] = regions["cang"]
    city = City(regions)
    rng = random.Random(7)
    devices = []
    for county in ("cang", "qing"):
        centre = regions[county]
        for i in range(450):
            kind = ("water_supply", "manhole_cover", "traffic")[i % 3]
            devices.append(city.device(kind, county, lng=centre.centroid_lng + rng.uniform(-0.12, 0.12),
                                       lat=centre.centroid_lat + rng.uniform(-0.1, 0.1),
                                       seen_minutes_ago=rng.choice([1, 2, 3, 4, 500]) if kind != "manhole_cover" else 1))
        station = city.device("air_quality", county, lng=centre.centroid_lng, lat=centre.centroid_lat)
        city.readings(station, "pm25", [80, 85] if county == "cang" else [20, 25])
        city.readings(station, "pm10", [90, 100])
    for i, device in enumerate(devices[:6]):
        city.readings(device, "pressure", [0.2 + i * 0.01, 0.3])
    city.alarm(devices[3], severity="minor", metric="tilt")
    refresh_cells()
    for minutes in (30, 20, 10, 0):
        compute_vital_signs(city.now - __import__("datetime").timedelta(minutes=minutes))
    officer = make_staff("ops_duty_officer", regions["city"])
    sign_in(browser_page, officer.username, TEST_PASSWORD)
    return {"page": browser_page, "city": city, "devices": devices}


def test_the_screen_draws_the_map_and_a_new_alarm_appears_without_reload(screen):
    page, city = screen["page"], screen["city"]
    page.goto(f"{page.base_url}/ops/")
    page.wait_for_selector("#ops-map canvas")
    page.wait_for_function(DEVICES_DRAWN)
    page.wait_for_selector("#ops-alarms[data-loaded=true] li[data-alarm]")
    assert page.locator("#ops-alarms li[data-alarm]").count() == 1
    assert page.locator("[data-map-total]").inner_text().startswith("902")
    # the city: PM2.5 (82.5 + 22.5) / 2 = 52.5 → 72, PM10 95 → 50/100 × 45 + 50 = 72.5 → 73
    assert "73 良" in page.locator("[data-sign=aqi]").inner_text()
    assert "PM₁₀" in page.locator("[data-sign=aqi]").inner_text()
    assert page.locator("[data-sign=aqi] .spark canvas").count() == 1
    page.evaluate("window.__noReload = true")
    page.wait_for_timeout(600)
    shoot(page, "ops-screen")

    raised = city.alarm(screen["devices"][10], severity="critical", metric="pressure")

    page.wait_for_selector(f"#ops-alarms li[data-alarm='{raised.pk}']", timeout=15000)
    assert page.evaluate("window.__noReload") is True        # the same page, not a reloaded one
    assert "紧急" in page.locator(f"#ops-alarms li[data-alarm='{raised.pk}']").inner_text()
    assert page.locator("[data-alarm-total]").inner_text() == "2"
    shoot(page, "ops-screen-new-alarm")


def test_drill_down_to_a_county_a_type_and_a_device(screen):
    page, devices = screen["page"], screen["devices"]
    page.goto(f"{page.base_url}/ops/counties/130922/")
    page.wait_for_function(DEVICES_DRAWN)
    assert "青县" in page.locator(".ops-grid h2").first.inner_text()
    assert int(page.locator("#ops-map").get_attribute("data-layer-total")) == 451
    page.wait_for_timeout(400)
    shoot(page, "ops-county")

    page.goto(f"{page.base_url}/ops/types/water_supply/")
    page.wait_for_function(DEVICES_DRAWN)
    assert page.locator("[data-table=devices] tbody tr").count() == 200
    shoot(page, "ops-device-type")

    page.goto(f"{page.base_url}/ops/devices/{devices[0].code}/")
    page.wait_for_selector("#history-pressure canvas")
    assert "0.3" in page.locator("[data-device]").inner_text() or page.locator("#history-pressure").count() == 1
    shoot(page, "ops-device")
