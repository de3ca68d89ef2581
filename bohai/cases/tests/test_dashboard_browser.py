"""The leaders' dashboard in a real browser (Debian's chromium) over demo cases: the headline figures beside
the observed city figures, the charts and the two maps draw, the rankings fill with ranks, a county officer
sees their county only, the export downloads. Screenshots in var/screenshots/cases-dashboard*.png: look at them."""
import pytest
from django.core.management import call_command

from bohai.cases.demo import generate_demo_cases
from bohai.kernel.demo.accounts import demo_password
from bohai.kernel.regions.actions import build_demo_grid, load_reference_divisions
from bohai.testing.browser import shoot, sign_in

pytestmark = [pytest.mark.browser]

CHART = "echarts.getInstanceByDom(document.getElementById('{id}'))"
DRAWN = ("(() => {{ const c = window.echarts && " + CHART + ";"
         " return !!c && c.getOption().series.length > 0 && c.getOption().series[0].data.length > 0; }})()")


@pytest.fixture
def page(browser_page):
    load_reference_divisions(actor="test")
    build_demo_grid(actor="test")
    call_command("demo", "--persons", "200", "--entities", "40", "--kernel-only", "--quiet")
    generate_demo_cases(seed=2026, count=2500, replayed=20)
    return browser_page


def _open(page, username: str, query: str = "", charts=("chart-months", "chart-quality", "map-city")) -> None:
    page.context.clear_cookies()
    sign_in(page, username, demo_password())
    page.goto(f"{page.base_url}/work/cases/dashboard/{query}")
    for chart in charts:
        page.wait_for_function(DRAWN.format(id=chart))
    page.wait_for_timeout(800)  # the entry animation, before the picture


def test_the_city_officer_sees_the_city(page):
    _open(page, "city_officer", charts=("chart-months", "chart-quality", "map-city", "map-grids"))
    on_time = page.locator("[data-card=on_time_closure_rate] .ind-value").inner_text()
    assert on_time.endswith("%") and 60 <= float(on_time.rstrip("%")) <= 90
    assert "74%–76%" in page.locator("[data-card=on_time_closure_rate]").inner_text()
    months = page.evaluate(f"{CHART.format(id='chart-months')}.getOption().xAxis[0].data")
    assert len(months) == 13
    counties = page.locator("[data-table=counties] tbody tr")
    assert counties.count() >= 16
    ranks = [int(r) for r in page.locator("[data-table=counties] tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.rank).filter(r => r)")]
    assert ranks[0] == 1 and ranks == sorted(ranks)
    assert page.locator("[data-table=departments] tbody tr").count() >= 8
    assert page.locator("[data-table=townships] tbody tr").count() >= 10      # the seat's demo streets
    grids = page.evaluate(f"{CHART.format(id='map-grids')}.getOption().series[0].data.length")
    assert grids > 50
    assert page.get_by_role("link", name="网格指标排名").count() == 1          # the menu entry
    shoot(page, "cases-dashboard")
    with page.expect_download() as download:
        page.locator("[data-export]").click()
    assert download.value.suggested_filename.endswith(".xlsx")


def test_a_county_officer_sees_their_county_only(page):
    _open(page, "county_officer", "?track=hotline")
    rows = page.locator("[data-table=counties] tbody tr")
    assert rows.count() == 1 and "沧县" in rows.first.inner_text()
    assert page.locator("#ind-county option").all_inner_texts()[1:] == ["沧县"]
    assert page.locator("#map-grids").count() == 0                           # no grid layer in 沧县
    shoot(page, "cases-dashboard-county")
