"""The county map in a real browser (Debian's chromium, headless); screenshots in var/screenshots/."""
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from bohai.kernel.regions import actions

from .conftest import SYSTEM

pytestmark = [pytest.mark.browser]

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
CHART_OPTION = "echarts.getInstanceByDom(document.getElementById('{id}')).getOption()"
CHART_HAS_DATA = (
    "(() => {{ const chart = window.echarts && echarts.getInstanceByDom(document.getElementById('{id}'));"
    " return !!chart && chart.getOption().series[0].data.length > 0; }})()"
)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's ORM calls stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    executable = os.environ.get("BOHAI_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server, transactional_db):
    actions.load_reference_divisions("130900", actor=SYSTEM)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.base_url = live_server.url
    outside_requests = []
    page.on("request", lambda request: None if request.url.startswith(live_server.url) else outside_requests.append(request.url))
    yield page
    context.close()
    assert outside_requests == []  # nothing loaded from the internet


def shoot(page, name: str) -> None:
    folder = Path(settings.BASE_DIR) / "var" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_county_map_draws_the_16_counties(page):
    page.goto(f"{page.base_url}/regions/map/")
    page.wait_for_selector("#county-map canvas")
    page.wait_for_function(CHART_HAS_DATA.format(id="county-map"))
    option = page.evaluate(f"{CHART_OPTION.format(id='county-map')}")
    names = {item["name"] for item in option["series"][0]["data"]}
    assert len(names) == 16 and {"运河区", "黄骅市", "孟村回族自治县"} <= names
    yunhe = next(item for item in option["series"][0]["data"] if item["name"] == "运河区")
    assert (yunhe["code"], yunhe["value"]) == ("130903", 32)
    page.wait_for_timeout(600)  # let the entry animation finish before the picture
    shoot(page, "county_map")


def test_clicking_a_county_opens_its_page(page):
    page.goto(f"{page.base_url}/regions/map/")
    page.wait_for_function(CHART_HAS_DATA.format(id="county-map"))
    chart_box = page.locator("#county-map").bounding_box()
    # Ask the chart where 任丘市's label point is drawn, then click there.
    x, y = page.evaluate(
        "(() => { const chart = echarts.getInstanceByDom(document.getElementById('county-map'));"
        " return chart.convertToPixel({seriesIndex: 0}, [116.157288, 38.736876]); })()"
    )
    with page.expect_navigation():
        page.mouse.click(chart_box["x"] + x, chart_box["y"] + y)
    assert page.url.endswith("/regions/130982/")
    assert "任丘市" in page.locator("h1").inner_text()
    page.wait_for_selector("#region-map canvas")
    shoot(page, "region_renqiu")


def test_region_page_maps_its_demo_streets(page):
    actions.build_demo_grid(actor=SYSTEM, cell_metres=1000)
    page.goto(f"{page.base_url}/regions/130903/")
    page.wait_for_function(CHART_HAS_DATA.format(id="region-map"))
    items = page.evaluate(f"{CHART_OPTION.format(id='region-map')}.series[0].data.length")
    assert items == page.locator("#children-table tbody tr").count() > 0
    shoot(page, "region_yunhe")
