"""The services pages in a real browser (Debian's chromium): a resident applies online end to end, a clerk
accepts at the window, officers work their queue and panel, the public query, reviews and rectifications.
Screenshots in var/screenshots/services-*.png: look at them."""
from datetime import date

import pytest

from bohai.engines.workflows.models import TaskStatus, WorkflowTask
from bohai.kernel.identities.validators import make_resident_id
from bohai.kernel.organisations.models import Organisation
from bohai.services import actions
from bohai.services.models import Application, Status, TrustLevel
from bohai.testing.browser import shoot, sign_in
from bohai.testing.fixtures import TEST_PASSWORD

from .conftest import PNG
from .test_lifecycle import at, submit, task

pytestmark = [pytest.mark.browser]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def named(cangzhou, catalogue, staff):
    """Real unit names and staff names, as the pages would show them in a city."""
    for function, name in (("human_resources", "沧州市人力资源和社会保障局"), ("health", "沧州市卫生健康委员会")):
        Organisation.objects.create(key=f"city-{function}", name=name, kind="department", function=function,
                                    region=cangzhou["city"], path=f"/city-{function}/")
    Organisation.objects.filter(function="human_resources", region=cangzhou["cang"]).update(name="沧县人力资源和社会保障局")
    Organisation.objects.filter(function="civil_affairs", region=cangzhou["cang"]).update(name="沧县政务服务中心")
    for key, name in (("clerk", "刘窗口"), ("hr_officer", "陈审批"), ("hr_head", "周局长")):
        staff[key].display_name = name
        staff[key].save(update_fields=["display_name"])
    return staff


def sign_in_as(page, user) -> None:
    page.context.clear_cookies()                      # a fresh session: the sign-in page skips signed-in users
    sign_in(page, user.username, TEST_PASSWORD)


def upload(name: str) -> dict:
    return {"name": name, "mimeType": "image/png", "buffer": PNG}


def test_a_resident_applies_online_end_to_end(browser_page, catalogue, resident, named):
    page = browser_page
    sign_in(page, resident.username, TEST_PASSWORD)
    page.goto(f"{page.base_url}/services/")
    assert page.locator("[data-item]").count() == 2
    shoot(page, "services-catalogue")

    page.fill("input[name=q]", "就业")
    page.get_by_role("button", name="搜索", exact=True).click()
    page.wait_for_load_state()
    assert page.locator("[data-item]").count() == 1
    page.locator("[data-item='TEST-HR-001']").click()
    page.wait_for_load_state()
    assert page.locator(".page-title").inner_text().startswith("就业登记")
    assert page.locator("[data-steps] .svc-step").count() == 5
    shoot(page, "services-guide")

    page.locator("[data-apply='online'] a").click()
    page.wait_for_load_state()
    assert page.input_value("[name='form-name']") == "张明"
    assert page.input_value("[name='form-id_number']") == resident.person.id_number
    page.locator("[data-submit]").click()                     # nothing uploaded, employer left empty
    page.wait_for_load_state()
    assert "“用人单位”为必填项" in page.locator("[data-field='employer']").inner_text()
    assert "请提供“居民身份证”" in page.locator("[data-material='m1']").inner_text()
    shoot(page, "services-apply-errors")

    page.fill("[name='form-employer']", "沧州市运河区某某科技公司")
    page.fill("[name='form-start_date']", "2026-11-01")
    page.fill("[name='form-monthly_wage']", "4500")
    page.set_input_files("[name='material-m1']", files=[upload("id.png")])
    page.set_input_files("[name='material-m2']", files=[upload("contract.png")])
    shoot(page, "services-apply")
    page.locator("[data-submit]").click()
    page.wait_for_load_state()

    application = Application.objects.get()
    assert page.url == f"{page.base_url}/services/applications/{application.pk}/"
    assert application.number in page.locator(".alert-success").inner_text()
    assert page.locator("[data-timeline] [data-event='submitted']").count() == 1
    assert page.locator("[data-step-state='current']").inner_text().startswith("1")
    shoot(page, "services-my-application")

    page.set_viewport_size(PHONE)
    shoot(page, "services-my-application-phone")
    page.goto(f"{page.base_url}/services/")
    shoot(page, "services-catalogue-phone")
    page.goto(f"{page.base_url}/services/items/TEST-HR-001/")
    shoot(page, "services-guide-phone")
    page.goto(f"{page.base_url}/services/applications/")
    assert page.locator("[data-application]").count() == 1
    shoot(page, "services-my-applications-phone")


def test_a_clerk_accepts_at_the_window(browser_page, catalogue, resident, named):
    page = browser_page
    sign_in(page, named["clerk"].username, TEST_PASSWORD)
    page.goto(f"{page.base_url}/work/services/window/")
    shoot(page, "services-window-start")
    page.fill("[name=identity]", make_resident_id("130921", date(1970, 1, 1), 31))    # valid, not registered
    page.get_by_role("button", name="查找").click()
    page.wait_for_load_state()
    assert "尚未登记" in page.locator("[data-unknown]").inner_text()
    shoot(page, "services-window-unknown")

    page.fill("[name=identity]", resident.person.id_number)
    page.get_by_role("button", name="查找").click()
    page.wait_for_load_state()
    assert "张明" in page.locator("[data-applicant]").inner_text()
    assert resident.person.id_number not in page.url and resident.person.id_number not in page.content()
    page.fill("[data-item-picker] input[type=search]", "就业")
    assert page.locator("[data-items] option:visible").count() == 1
    page.select_option("[data-items]", "TEST-HR-001")
    page.get_by_role("button", name="选择").click()
    page.wait_for_load_state()
    assert page.input_value("[name='form-name']") == "张明"
    page.fill("[name='form-employer']", "沧县某某商贸有限公司")
    page.fill("[name='form-start_date']", "2026-11-16")
    page.check("[name='paper-m1']")
    page.check("[name='paper-m2']")
    shoot(page, "services-window-form")
    page.locator("[data-submit]").click()
    page.wait_for_load_state()

    application = Application.objects.get()
    assert page.url == f"{page.base_url}/work/services/applications/{application.pk}/"
    assert application.status == Status.IN_REVIEW and application.channel == "window"
    assert {m.trust_level for m in application.materials.all()} == {TrustLevel.B}
    assert "已当场受理" in page.locator(".bohai-messages").inner_text()
    assert page.locator("[data-materials] [data-trust='B']").count() == 2
    shoot(page, "services-window-accepted")


def test_officers_work_the_queue_and_the_panel(browser_page, catalogue, resident, named):
    page = browser_page
    reviewing = actions.accept_application(submit(catalogue, resident, at=at("2026-11-16T09:00")), actor=named["clerk"])
    waiting = submit(catalogue, resident, idempotency_key="2")           # still at 受理, not the officer's
    issuing = actions.accept_application(submit(catalogue, resident, idempotency_key="3"), actor=named["clerk"])
    for stage, who in (("review", "hr_officer"), ("decide", "hr_head")):
        issuing = actions.handle_step(issuing, task(issuing, stage), outcome="approve", comment="符合条件", actor=named[who])
    WorkflowTask.objects.filter(instance_id=reviewing.workflow_id, status=TaskStatus.OPEN).update(warning=2)
    WorkflowTask.objects.filter(instance_id=issuing.workflow_id, status=TaskStatus.OPEN).update(warning=1)

    sign_in(page, named["hr_officer"].username, TEST_PASSWORD)
    page.goto(f"{page.base_url}/work/services/tasks/")
    assert page.locator("[data-task]").count() == 2 and page.locator("[data-warning='2']").count() == 1
    assert waiting.number not in page.content()
    shoot(page, "services-tasks")

    page.goto(f"{page.base_url}/work/services/applications/{issuing.pk}/")
    assert page.locator("[data-license-fields]").count() == 1
    shoot(page, "services-work-application-issue")
    page.fill(f"[name='license{task(issuing, 'issue').pk}-employment_status']", "就业")
    page.locator("[data-command='step']").click()
    page.wait_for_load_state()
    issuing.refresh_from_db()
    assert issuing.status == Status.LICENSED
    shoot(page, "services-work-application-licensed")

    page.goto(f"{page.base_url}/work/services/applications/")
    assert page.locator("[data-application]").count() == 3
    shoot(page, "services-work-applications")

    sign_in_as(page, named["clerk"])
    page.goto(f"{page.base_url}/work/services/applications/{waiting.pk}/")
    page.locator("[data-supplement-editor] input[name=items]").fill("劳动合同缺少签字页")
    page.locator("[data-supplement-editor] button", has_text="添加一项").click()
    page.locator("[data-supplement-editor] input[name=items]").nth(1).fill("身份证照片不清晰，请重新上传")
    shoot(page, "services-work-application-accept-panel")
    page.locator("[data-command='supplement']").click()
    page.wait_for_load_state()
    waiting.refresh_from_db()
    assert waiting.supplement_items == ["劳动合同缺少签字页", "身份证照片不清晰，请重新上传"]
    shoot(page, "services-work-application-supplement")


def test_progress_reviews_and_rectification(browser_page, catalogue, resident, named, make_staff, cangzhou):
    from .test_lifecycle import run_to_completion

    page = browser_page
    application = run_to_completion(submit(catalogue, resident), named)
    page.goto(f"{page.base_url}/services/progress/")
    page.fill("[name=number]", application.number)
    page.fill("[name=identity]", "130921199005011245")
    page.get_by_role("button", name="查询").click()
    page.wait_for_load_state()
    assert page.locator("[data-result='not_found']").count() == 1
    shoot(page, "services-progress-not-found")
    page.fill("[name=number]", application.number)
    page.fill("[name=identity]", resident.person.id_number)
    page.get_by_role("button", name="查询").click()
    page.wait_for_load_state()
    assert page.locator("[data-result='found']").count() == 1
    shoot(page, "services-progress")

    sign_in_as(page, resident)
    page.goto(f"{page.base_url}/services/applications/{application.pk}/")
    page.locator("[data-rating] label", has_text="不满意").first.click()
    page.locator("[data-review] button").click()
    page.wait_for_load_state()
    assert "差评请写明" in page.locator("[data-review]").inner_text()
    shoot(page, "services-review-error")
    page.locator("[data-rating] label", has_text="不满意").first.click()
    page.select_option("[name=dimension_efficiency]", "2")
    page.fill("[name=comment]", "窗口让我多跑了一趟，材料清单没写清楚。")
    page.locator("[data-review] button").click()
    page.wait_for_load_state()
    page.goto(f"{page.base_url}/services/reviews/")
    assert page.locator("[data-rectification='open']").count() == 1
    shoot(page, "services-reviews")

    sign_in_as(page, named["hr_head"])
    page.goto(f"{page.base_url}/work/services/rectifications/")
    shoot(page, "services-rectifications")
    page.locator("[data-rectification] a").first.click()
    page.wait_for_load_state()
    page.fill("[name=response]", "已约谈窗口人员，材料清单增加示例，推行一次告知。")
    page.get_by_role("button", name="提交整改情况").click()
    page.wait_for_load_state()
    assert page.locator("[data-status='answered']").count() == 1
    shoot(page, "services-rectification")


def test_the_shipped_catalogue_and_its_richer_forms(browser_page, catalogue, resident, enterprise, named, cangzhou):
    from bohai.kernel.accounts import actions as accounts
    from bohai.kernel.identities import actions as identities

    from bohai.kernel.organisations.reference import department_specs

    page = browser_page
    for spec in department_specs():                   # the city's departments, as `bohai setup` loads them
        Organisation.objects.get_or_create(key=f"city-{spec.function}", defaults={
            "name": f"沧州市{spec.name}", "short_name": spec.short_name, "kind": "department", "function": spec.function,
            "region": cangzhou["city"], "path": f"/city-{spec.function}/"})
    actions.load_catalogue(actor="test")
    page.goto(f"{page.base_url}/services/")
    assert page.locator("[data-life-events] [data-event]").count() >= 10
    shoot(page, "services-catalogue-shipped")
    page.goto(f"{page.base_url}/services/?audience=entity&depth=4")
    shoot(page, "services-catalogue-shipped-filtered")

    sign_in_as(page, resident)
    page.goto(f"{page.base_url}/services/items/130900074000507010000/apply/")      # 最低生活保障审核确认
    assert page.input_value("[name='form-home_region']") == cangzhou["township"].key
    shoot(page, "services-apply-shipped-person")
    page.set_viewport_size(PHONE)
    shoot(page, "services-apply-shipped-person-phone")
    page.set_viewport_size({"width": 1366, "height": 900})

    person = identities.register_person(actor="test", id_number=make_resident_id("130921", date(1985, 2, 3), 7),
                                        name="赵六", region=cangzhou["township"])
    agent = accounts.create_agent_account(actor="test", username="agent1", password=TEST_PASSWORD, person=person,
                                          legal_entity=enterprise)
    sign_in_as(page, agent)
    page.goto(f"{page.base_url}/services/items/130900273000124010000/apply/")      # 食品经营许可
    assert page.input_value("[name='form-credit_code']") == enterprise.credit_code if page.locator(
        "[name='form-credit_code']").count() else True
    shoot(page, "services-apply-shipped-entity")
