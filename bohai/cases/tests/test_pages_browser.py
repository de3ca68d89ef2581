"""The cases pages in a real browser (Debian's chromium): a grid worker reports from a phone with GPS and a
camera photo and verifies a handled case; a dispatcher works the queue and dispatches with the suggestion;
a resident pins a problem on the map and follows it; a 12345 operator takes a call by keyboard.
Screenshots in var/screenshots/cases-*.png: look at them."""
from datetime import date

import pytest

from bohai.cases import actions
from bohai.cases.models import Case, Status
from bohai.engines.workflows.models import TaskStatus, WorkflowTask
from bohai.kernel.accounts import actions as account_actions
from bohai.kernel.identities import actions as identities
from bohai.kernel.identities.validators import make_resident_id
from bohai.kernel.organisations.models import Organisation
from bohai.testing.browser import shoot, sign_in
from bohai.testing.fixtures import TEST_PASSWORD

from .conftest import INSIDE
from .test_pages import PNG

pytestmark = [pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
GPS_FIX = (116.81085, 38.30562)        # where INSIDE, read by a phone as WGS-84, lies on the (GCJ-02) map
UNIT_NAMES = {"urban_management": "城市管理综合行政执法局", "water": "水务局", "public_security": "公安局",
              "housing_construction": "住房和城乡建设局", "grid_command": "城市管理指挥中心", "civil_affairs": "民政局",
              "township_office": "人民政府"}


@pytest.fixture
def named(city, people):
    """Units and staff with the names a city would show."""
    for unit in Organisation.objects.select_related("region"):
        if unit.function in UNIT_NAMES:
            unit.name = unit.region.name + UNIT_NAMES[unit.function]
            unit.save(update_fields=["name"])
    for key, name in (("supervisor", "赵监督"), ("dispatcher", "钱派遣"), ("urban", "孙城管"), ("water", "李水务"),
                      ("grid_worker", "周网格"), ("operator", "吴话务")):
        people[key].display_name = name
        people[key].save(update_fields=["display_name"])
    return people


def sign_in_as(page, user) -> None:
    page.context.clear_cookies()
    sign_in(page, user.username, TEST_PASSWORD)


def upload(name: str) -> dict:
    return {"name": name, "mimeType": "image/png", "buffer": PNG}


def report(city, people, text, code, where=INSIDE, who="grid_worker", **extra):
    return actions.report_case(actor=people[who], track="city", source="patrol", description=text,
                               case_class=city["classes"][code], lng=where[0], lat=where[1], **extra)


def test_a_grid_worker_reports_from_a_phone_and_verifies(browser_page, city, named):
    people = named
    nearby = report(city, people, "东街路口井盖松动，车一过就响", "P0101", where=GPS_FIX, who="supervisor")
    handled = actions.file_case(report(city, people, "文化路路灯不亮", "P0102"), actor=people["supervisor"])
    handled = actions.dispatch_case(handled, organisation=city["units"]["urban_management"], actor=people["dispatcher"])
    handled = actions.sign_case(handled, actor=people["urban"])
    handled = actions.report_handled(handled, actor=people["urban"], note="已更换灯泡和镇流器，夜间亮灯正常")

    page = browser_page
    page.set_viewport_size(PHONE)
    page.context.grant_permissions(["geolocation"], origin=page.base_url)
    page.context.set_geolocation({"longitude": INSIDE[0], "latitude": INSIDE[1], "accuracy": 15})
    sign_in_as(page, people["grid_worker"])
    page.goto(f"{page.base_url}/work/cases/grid/")
    assert page.locator(f"[data-today] [data-case='{handled.number}']").count() == 1
    shoot(page, "cases-grid-phone")

    page.locator("[data-open-report]").click()
    page.wait_for_selector("[data-readout]:has-text('已定位')")
    page.wait_for_selector("#grid-map canvas")
    page.set_input_files("input[name=photos]", files=[upload("manhole.png")])
    page.select_option("[data-class-picker] [data-major]", "P01")
    page.select_option("[data-class-picker] [data-minor]", "P0101")
    page.fill("textarea[name=description]", "东街与文化路交叉口井盖缺失，已用锥桶临时围挡")
    page.wait_for_selector(f"[data-duplicate='{nearby.number}']")          # shown before filing
    assert "旧州镇" in page.locator("[data-place]").inner_text()
    shoot(page, "cases-grid-report-phone")

    page.locator("[data-submit]").click()
    page.wait_for_load_state()
    mine = Case.objects.filter(reporter=people["grid_worker"]).order_by("-pk").first()
    assert mine.number != nearby.number and mine.township == city["township"] and mine.photos.count() == 1
    assert abs(mine.lng - GPS_FIX[0]) < 1e-4 and abs(mine.lat - GPS_FIX[1]) < 1e-4
    assert mine.number in page.locator(".bohai-messages").inner_text()
    assert page.locator(f"[data-my-reports] [data-case='{mine.number}']").count() == 1
    shoot(page, "cases-grid-reported-phone")

    page.locator(f"[data-today] [data-case='{handled.number}']").click()
    page.wait_for_load_state()
    assert "已更换灯泡" in page.locator("[data-handling-note]").inner_text()
    shoot(page, "cases-grid-verify-phone")
    page.locator("label:has-text('未解决，不通过')").click()
    page.fill("textarea[name=note]", "北侧第三盏仍不亮")
    page.set_input_files("#verify-photos", files=[upload("lamp.png")])
    page.locator("[data-submit]").click()
    page.wait_for_load_state()
    assert "已退回处置单位返工" in page.locator(".bohai-messages").inner_text()
    assert Case.objects.get(pk=handled.pk).status == Status.HANDLING


def test_a_dispatcher_dispatches_from_the_queue_with_the_suggestion(browser_page, city, named):
    people = named
    case = actions.file_case(report(city, people, "解放路和永济路口有个井盖丢了，很危险", "P0101",
                                    photos=[PNG]), actor=people["supervisor"])
    other = actions.file_case(report(city, people, "小区门口的路灯坏了好几天", "P0102"), actor=people["supervisor"])
    WorkflowTask.objects.filter(instance_id=other.workflow_id, status=TaskStatus.OPEN).update(warning=1)
    page = browser_page
    sign_in_as(page, people["dispatcher"])
    page.goto(f"{page.base_url}/work/cases/queue/")
    assert page.locator("[data-queue] [data-stage='dispatch']").count() == 2
    shoot(page, "cases-queue")

    page.locator(f"[data-queue] a:has-text('{case.number}')").first.click()
    page.wait_for_load_state()
    assert page.locator("[data-panel='dispatch']").count() == 1
    top = case.suggestion["top"][0]
    assert page.locator("[data-unit-picker]").input_value() == str(top["organisation_id"])
    page.wait_for_selector("#case-map canvas")
    shoot(page, "cases-case-dispatch")

    page.locator("[data-dispatch-suggestion='1']").click()
    page.wait_for_load_state()
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.organisation_id == top["organisation_id"]
    assert "已派遣至" in page.locator(".bohai-messages").inner_text()
    assert page.locator("[data-timeline] [data-event='dispatched']").count() == 1
    shoot(page, "cases-case-dispatched")

    sign_in_as(page, people["urban"])
    page.goto(f"{page.base_url}/work/cases/{case.pk}/")
    page.locator("[data-command='sign']").click()
    page.wait_for_load_state()
    assert page.locator("[data-panel='handle']").count() == 1
    shoot(page, "cases-case-handle")
    page.goto(f"{page.base_url}/work/cases/")
    assert page.locator(f"[data-case='{case.number}']").count() == 1
    shoot(page, "cases-work-cases")


def test_a_resident_pins_a_problem_and_follows_it(browser_page, city, named):
    person = identities.register_person(actor="test", id_number=make_resident_id("130921", date(1990, 5, 1), 123),
                                        name="张明", region=city["township"])
    resident = account_actions.create_resident_account(actor="test", username="zhangming", password=TEST_PASSWORD,
                                                       person=person)
    shown = actions.file_case(report(city, named, "公园东门垃圾满地没人清，有事打13812345678", "E0101"),
                              actor=named["supervisor"])
    page = browser_page
    sign_in_as(page, resident)
    page.goto(f"{page.base_url}/cases/report/")
    page.wait_for_selector("#report-map canvas")
    box = page.locator("#report-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("[data-readout]:has-text('已标注')")
    page.set_input_files("input[name=photos]", files=[upload("light.png")])
    page.fill("textarea[name=description]", "沧县人民公园北门的两盏路灯坏了一个星期")
    shoot(page, "cases-report")
    page.locator("[data-submit]").click()
    page.wait_for_load_state()
    case = Case.objects.get(reporter=resident)
    assert case.county == city["cang"] and page.locator("[data-case-number]").inner_text() == case.number
    shoot(page, "cases-report-done")

    page.get_by_role("link", name="查询进度").click()
    page.wait_for_load_state()
    assert page.locator("[data-result='found']").count() == 1
    shoot(page, "cases-track")
    page.goto(f"{page.base_url}/cases/recent/")
    assert page.locator(f"[data-case='{shown.number}']").count() == 1
    assert "13812345678" not in page.content()
    shoot(page, "cases-recent")
    page.set_viewport_size(PHONE)
    page.goto(f"{page.base_url}/cases/report/")
    page.wait_for_selector("#report-map canvas")
    shoot(page, "cases-report-phone")
    page.goto(f"{page.base_url}/cases/recent/")
    shoot(page, "cases-recent-phone")


def test_an_operator_takes_a_call_by_keyboard(browser_page, city, named):
    page = browser_page
    sign_in_as(page, named["operator"])
    page.goto(f"{page.base_url}/work/cases/hotline/new/")
    assert page.evaluate("document.activeElement.name") == "caller_phone"
    page.keyboard.type("13900001111")
    page.keyboard.press("Tab")
    page.keyboard.type("王小红")
    page.select_option("[name=appeal_type]", "complaint")
    page.fill("textarea[name=description]", "我们小区停水两天了也没人通知，老人孩子喝水都成问题")
    page.select_option("[name=region]", city["township"].key)
    page.wait_for_selector("[data-suggestion='T-water_supply']")
    assert "沧县水务局" in page.locator("[data-suggestions]").inner_text()
    shoot(page, "cases-hotline")
    page.locator("textarea[name=description]").press("Control+Enter")
    page.wait_for_load_state()
    appeal = Case.objects.get(track="hotline")
    assert appeal.status == Status.HANDLING and appeal.organisation == city["units"]["water"]
    assert "已受理并派单" in page.locator(".bohai-messages").inner_text()
    assert page.evaluate("document.activeElement.name") == "caller_phone"
    shoot(page, "cases-hotline-routed")
