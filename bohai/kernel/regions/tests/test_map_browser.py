"""The county map in a real browser (Debian's chromium, headless); screenshots in var/screenshots/."""
import pytest

from bohai.kernel.regions import actions
from bohai.testing.browser import shoot

from .conftest import SYSTEM

pytestmark = [pytest.mark.browser]

CHART_OPTION = "echarts.getInstanceByDom(document.getElementById('{id}')).getOption()"
CHART_HAS_DATA = (
    "(() => {{ const chart = window.echarts && echarts.getInstanceByDom(document.getElementById('{id}'));"
    " return !!chart && chart.getOption().series[0].data.length > 0; }})()"
)


@pytest.fixture
def page(browser_page):
    actions.load_reference_divisions("130900", actor=SYSTEM)
    return browser_page


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
