"""The statistics dashboard in a real browser (Debian's chromium) over demo data: the charts draw, the
tables fill, a county officer sees their county only. Screenshots in var/screenshots/services-statistics*.png:
look at them."""
import pytest
from django.core.management import call_command

from bohai.kernel.demo.accounts import demo_password
from bohai.services.demo import generate_demo_applications
from bohai.testing.browser import shoot, sign_in

pytestmark = [pytest.mark.browser]

CHART = "echarts.getInstanceByDom(document.getElementById('{id}'))"
DRAWN = ("(() => {{ const c = window.echarts && " + CHART + ";"
         " return !!c && c.getOption().series[0].data.length > 0; }})()")


@pytest.fixture
def page(browser_page):
    call_command("demo", "--persons", "800", "--entities", "150", "--kernel-only", "--quiet")
    generate_demo_applications(seed=2026, count=1500, replayed=30)
    return browser_page


def _open(page, username: str, query: str = "") -> None:
    page.context.clear_cookies()
    sign_in(page, username, demo_password())
    page.goto(f"{page.base_url}/work/services/statistics/{query}")
    for chart in ("chart-months", "chart-ratings", "chart-departments", "chart-counties"):
        page.wait_for_function(DRAWN.format(id=chart))
    page.wait_for_timeout(700)  # the entry animation, before the picture


def test_the_city_officer_sees_the_year(page):
    _open(page, "city_officer")
    months = page.evaluate(f"{CHART.format(id='chart-months')}.getOption().xAxis[0].data")
    assert len(months) == 13
    online = page.locator("[data-card=online] .stat-value").inner_text()
    assert online.endswith("%") and 80 <= float(online.rstrip("%")) <= 97
    assert page.locator("[data-table=departments] tbody tr").count() >= 10
    assert page.locator("[data-table=items] tbody tr").count() == 20
    counties = page.evaluate(f"{CHART.format(id='chart-counties')}.getOption().yAxis[0].data")
    assert {"沧县", "任丘市", "市本级"} <= set(counties)
    assert page.get_by_role("link", name="服务统计").count() == 1          # the menu entry
    shoot(page, "services-statistics")
    with page.expect_download() as download:
        page.locator("[data-export]").click()
    assert download.value.suggested_filename.endswith(".xlsx")


def test_a_county_officer_sees_their_county_only(page):
    _open(page, "county_officer", "?department=civil_affairs")
    counties = page.evaluate(f"{CHART.format(id='chart-counties')}.getOption().yAxis[0].data")
    assert counties == ["沧县"]
    options = page.locator("#stats-county option").all_inner_texts()
    assert options[1:] == ["沧县"]
    assert page.locator("[data-table=departments] tbody tr").count() == 1
    shoot(page, "services-statistics-county")
