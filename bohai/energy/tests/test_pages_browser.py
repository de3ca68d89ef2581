"""The energy pages in a real browser (Debian's chromium): the overview's charts draw, the top consumers and the
month's exceedances are listed, the enterprise page draws its months, the industry report downloads as XLSX.
Screenshots in var/screenshots/energy-*.png: look at them."""
from datetime import date, datetime, timedelta

import pytest

from bohai.energy import actions, exceedances, figures
from bohai.engines.workdays.periods import add_months
from bohai.testing.browser import shoot, sign_in
from bohai.testing.fixtures import TEST_PASSWORD

from .conftest import BEIJING, write

pytestmark = [pytest.mark.browser]

CHART = "echarts.getInstanceByDom(document.getElementById('{id}'))"
DRAWN = ("(() => {{ const c = window.echarts && " + CHART + ";"
         " return !!c && c.getOption().series.length > 0 && c.getOption().series[0].data.length > 0; }})()")


@pytest.fixture
def page(browser_page, enterprises, make_device, make_staff, cangzhou):
    this_month = figures.current_month()
    months = [add_months(this_month, -i) for i in range(6)]
    for index, (key, enterprise) in enumerate(sorted(enterprises.items())):
        meter = make_device(f"EM-{key}", "meter", enterprise)
        for back, month in enumerate(months):
            when = datetime(month.year, month.month, 1, 6, 0, tzinfo=BEIJING)
            write(meter, "electricity", [(when, 800_000 + 90_000 * back + 300_000 * index)])
            write(meter, "coal", [(when + timedelta(hours=1), 200_000 + 20_000 * back)])
            actions.record_output(actor="test", enterprise=enterprise, month=month, output_value=3000 + 200 * back)
    steel = enterprises["steel"]
    actions.add_permit(actor="test", enterprise=steel, permit_number="PW-STEEL", pollutant="so2", limit_mg_m3="35",
                       valid_from=date(2020, 1, 1))
    cems = make_device("CEMS-steel", "cems", steel)
    start = datetime.combine(this_month, datetime.min.time(), tzinfo=BEIJING)
    write(cems, "so2", [(start + timedelta(hours=h, minutes=10), 30 + h * 4) for h in range(4)])
    exceedances.check(start, start + timedelta(hours=4), actor="test")
    figures.recompute(months, actor="test")
    officer = make_staff("energy_officer", cangzhou["city"])
    sign_in(browser_page, officer.username, TEST_PASSWORD)
    browser_page.steel = steel
    return browser_page


def _drawn(page, *charts):
    for chart in charts:
        page.wait_for_function(DRAWN.format(id=chart))
    page.wait_for_timeout(600)  # the entry animation, before the picture


def test_overview_enterprise_and_report(page):
    page.goto(f"{page.base_url}/work/energy/")
    _drawn(page, "chart-trend", "chart-industries", "chart-top")
    assert len(page.evaluate(f"{CHART.format(id='chart-trend')}.getOption().xAxis[0].data")) == 12
    assert page.locator("[data-table=top] tbody tr").count() == 2
    assert page.locator("[data-table=exceedances] tbody tr").count() == 2  # 30+4·2=38 and 42 mg/m³ > 35
    assert page.get_by_role("link", name="重点企业能耗").count() == 1
    shoot(page, "energy-overview")

    page.locator("[data-table=top] tbody a", has_text="钢铁").first.click()
    page.wait_for_load_state()
    _drawn(page, "chart-enterprise")
    assert page.locator("[data-table=months] tbody tr").count() == 6
    shoot(page, "energy-enterprise")
    with page.expect_download() as download:
        page.locator("[data-export]").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    page.goto(f"{page.base_url}/work/energy/industry/")
    assert page.locator("[data-row=total]").count() == 1
    shoot(page, "energy-industry")
