"""The services pages through Django's test client: who may see what, applying online (once per key), field
errors, the public progress query and its limit, 一窗受理 with paper checks, the action panel and conflicts,
好差评 and rectifications; and the once-only prefill behind the forms."""
from datetime import date

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from bohai.engines.workflows.models import TaskStatus, WorkflowTask
from bohai.kernel.accounts import actions as accounts
from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.identities import actions as identities
from bohai.kernel.identities.validators import make_resident_id
from bohai.kernel.organisations.models import Organisation
from bohai.licenses.actions import issue_license
from bohai.services import actions, queries
from bohai.services.models import Application, RectificationStatus, ServiceItem, Status, TrustLevel
from bohai.testing.fixtures import TEST_PASSWORD, signed_in_client

from .conftest import PNG
from .test_lifecycle import run_to_completion, submit, task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()  # the rate-limit budget lives in the cache table


@pytest.fixture
def city_units(cangzhou):
    """City departments with their real names: the catalogue shows these."""
    for function, name in (("human_resources", "沧州市人力资源和社会保障局"), ("health", "沧州市卫生健康委员会")):
        Organisation.objects.create(key=f"city-{function}", name=name, kind="department", function=function,
                                    region=cangzhou["city"], path=f"/city-{function}/")


def png(name="scan.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def apply_payload(resident, key="key-1", **changes):
    payload = {"idempotency_key": key, "form-name": "张明", "form-id_number": resident.person.id_number,
               "form-employer": "沧州市运河区某某科技公司", "form-start_date": "2026-11-01", "form-monthly_wage": "",
               "material-m1": png("id.png"), "material-m2": png("contract.png")}
    payload.update(changes)
    return {key: value for key, value in payload.items() if value is not None}


def id_card(person, catalogue):
    return issue_license(type_code="resident_id_card", issuing_organisation=catalogue["units"]["public_security"],
                         holder_person=person, actor="test",
                         fields={"gender": "男", "ethnicity": "汉", "birth_date": "1990-05-01", "address": "沧县旧州镇东街 8 号"})


# Once-only: prefill and materials ------------------------------------------------------------------------

def test_the_form_is_prefilled_from_the_person_and_their_licences(catalogue, resident):
    assert queries.prefilled_form(catalogue["employment"], person=resident.person) == {
        "name": "张明", "id_number": resident.person.id_number}
    card = id_card(resident.person, catalogue)
    item = ServiceItem(form=[
        {"key": "address", "label": "住址", "type": "address", "prefill": "license:resident_id_card.address"},
        {"key": "card", "label": "身份证号", "type": "text", "prefill": "license:resident_id_card.number"},
        {"key": "phone", "label": "手机", "type": "phone", "prefill": "person.phone"},
        {"key": "born", "label": "出生日期", "type": "date", "prefill": "person.birth_date"},
        {"key": "gender", "label": "性别", "type": "choice", "choices": ["男", "女"], "prefill": "person.gender"},
        {"key": "region", "label": "所在地", "type": "region", "prefill": "person.region"},
        {"key": "school", "label": "学校", "type": "text", "prefill": "license:academic_certificate.school"},
        {"key": "company", "label": "单位", "type": "text", "prefill": "entity.name"},
    ])
    assert queries.prefilled_form(item, person=resident.person) == {
        "address": "沧县旧州镇东街 8 号", "card": card.number, "phone": "13812345678", "born": "1990-05-01",
        "gender": "男", "region": "130921100"}


def test_an_entity_is_prefilled_from_its_register(catalogue, enterprise):
    item = ServiceItem(form=[{"key": "n", "label": "名称", "type": "text", "prefill": "entity.name"},
                             {"key": "c", "label": "代码", "type": "credit_code", "prefill": "entity.credit_code"},
                             {"key": "p", "label": "经办人", "type": "text", "prefill": "person.name"}])
    assert queries.prefilled_form(item, entity=enterprise) == {"n": enterprise.name, "c": enterprise.credit_code}


def test_the_materials_plan_takes_what_the_licence_library_holds(catalogue, resident):
    item = catalogue["employment"]
    assert [(p.material.code, p.from_library) for p in queries.materials_plan(item, person=resident.person)] == [
        ("m1", False), ("m2", False), ("m3", False)]
    card = id_card(resident.person, catalogue)
    plan = queries.materials_plan(item, person=resident.person)
    assert plan[0].license == card and not plan[1].from_library
    assert not any(p.from_library for p in queries.materials_plan(item))


def test_who_applies_as_whom(catalogue, resident, enterprise, staff, cangzhou):
    agent = accounts.create_agent_account(actor="test", username="agent1", password=TEST_PASSWORD,
                                          person=new_person(cangzhou, "赵六", 7), legal_entity=enterprise)
    assert queries.applicant_for(resident, catalogue["employment"]) == (resident.person, None)
    assert queries.applicant_for(resident, catalogue["clinic"]) is None
    assert queries.applicant_for(agent, catalogue["clinic"]) == (None, enterprise)
    assert queries.applicant_for(agent, catalogue["employment"]) == (agent.person, None)
    assert queries.applicant_for(staff["clerk"], catalogue["employment"]) is None


def new_person(cangzhou, name, serial):
    return identities.register_person(actor="test", id_number=make_resident_id("130921", date(1985, 2, 3), serial),
                                      name=name, region=cangzhou["township"])


# The catalogue and the guide ------------------------------------------------------------------------------

def test_the_catalogue_searches_in_chinese_and_filters(catalogue, city_units):
    client = Client()
    page = client.get("/services/").content.decode()
    assert "就业登记" in page and "公共场所卫生许可" in page and "沧州市人力资源和社会保障局" in page
    assert 'data-badge="fully-online"' in page and "最多跑一次" in page and "零跑腿" in page
    found = client.get("/services/", {"q": "找工作"}).content.decode()       # a keyword
    assert "就业登记" in found and "公共场所卫生许可" not in found
    assert "就业登记" not in client.get("/services/", {"q": "宾馆"}).content.decode()
    assert "公共场所卫生许可" not in client.get("/services/", {"audience": "person"}).content.decode()
    assert "就业登记" not in client.get("/services/", {"department": "health"}).content.decode()
    by_event = client.get("/services/", {"event": "employment"}).content.decode()
    assert "就业登记" in by_event and "公共场所卫生许可" not in by_event
    assert "就业登记" not in client.get("/services/", {"depth": "3"}).content.decode()
    empty = client.get("/services/", {"q": "不存在的事项"}).content.decode()
    assert "data-empty" in empty and "没有找到符合条件的服务事项" in empty


def test_the_guide_lists_materials_steps_and_the_apply_button(catalogue, resident, staff, city_units):
    page = Client().get("/services/items/TEST-HR-001/").content.decode()
    assert "居民身份证" in page and "可用电子证照免提交" in page and "高校毕业生" in page
    assert all(name in page for name in ("受理", "审查", "决定", "制证", "送达"))
    assert 'data-apply="sign_in"' in page and "/accounts/login/?next=/services/items/TEST-HR-001/apply/" in page
    assert 'data-apply="online"' in signed_in_client(resident).get("/services/items/TEST-HR-001/").content.decode()
    assert 'data-apply="mismatch"' in signed_in_client(resident).get("/services/items/TEST-HEALTH-002/").content.decode()
    assert 'data-apply="staff"' in signed_in_client(staff["clerk"]).get("/services/items/TEST-HR-001/").content.decode()
    parallel = Client().get("/services/items/TEST-HEALTH-002/").content.decode()
    assert "并联审查" in parallel and "卫生审查" in parallel and "消防审查" in parallel
    assert Client().get("/services/items/NO-SUCH/").status_code == 404


def test_every_shipped_item_shows_its_guide_its_form_and_its_window_form(catalogue, resident, enterprise, cangzhou, staff):
    from django.core import signing

    from bohai.services.views.workbench import WINDOW_SALT

    actions.load_catalogue(actor="test")
    agent = accounts.create_agent_account(actor="test", username="agent1", password=TEST_PASSWORD,
                                          person=new_person(cangzhou, "赵六", 7), legal_entity=enterprise)
    applicants = {"person": signed_in_client(resident), "entity": signed_in_client(agent)}
    tokens = {"person": signing.dumps({"person": resident.person.pk, "entity": None}, salt=WINDOW_SALT),
              "entity": signing.dumps({"person": None, "entity": enterprise.pk}, salt=WINDOW_SALT)}
    clerk, visitor = signed_in_client(staff["clerk"]), Client()
    shipped = ServiceItem.objects.exclude(code__startswith="TEST-").prefetch_related("materials")
    assert shipped.count() >= 60
    for item in shipped:
        assert visitor.get(f"/services/items/{item.code}/").status_code == 200, item.code
        kind = "person" if "person" in item.applicant_kinds else "entity"
        if item.handled_online:
            page = applicants[kind].get(f"/services/items/{item.code}/apply/")
            assert page.status_code == 200 and 'data-apply-form' in page.content.decode(), item.code
        window = clerk.post("/work/services/window/", {"applicant": tokens[kind], "item": item.code}).content.decode()
        assert "data-window-form" in window and all(f'data-material="{m.code}"' in window for m in item.materials.all())
    assert "就业登记" not in visitor.get("/services/", {"q": "出生"}).content.decode()
    assert visitor.get("/services/", {"page": "2"}).status_code == 200


# Applying online --------------------------------------------------------------------------------------------

def test_apply_needs_sign_in_the_right_applicant_and_an_online_item(catalogue, resident, staff):
    response = Client().get("/services/items/TEST-HR-001/apply/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert signed_in_client(staff["clerk"]).get("/services/items/TEST-HR-001/apply/").status_code == 403
    assert signed_in_client(resident).get("/services/items/TEST-HEALTH-002/apply/").status_code == 403
    ServiceItem.objects.filter(code="TEST-HR-001").update(online_depth=2)
    assert signed_in_client(resident).get("/services/items/TEST-HR-001/apply/").status_code == 404


def test_the_apply_form_is_prefilled_and_offers_the_library(catalogue, resident):
    id_card(resident.person, catalogue)
    page = signed_in_client(resident).get("/services/items/TEST-HR-001/apply/").content.decode()
    assert 'value="张明"' in page and f'value="{resident.person.id_number}"' in page
    assert 'name="idempotency_key"' in page and 'type="date"' in page
    assert "已从电子证照库调取（A级）" in page and 'name="material-m1"' not in page
    assert 'name="material-m2"' in page and 'accept=".pdf,.jpg,.jpeg,.png"' in page and "不超过 50.0 MB" in page


def test_applying_twice_with_one_key_creates_one_application(catalogue, resident):
    client = signed_in_client(resident)
    first = client.post("/services/items/TEST-HR-001/apply/", apply_payload(resident))
    application = Application.objects.get()
    assert first.status_code == 302 and first["Location"] == f"/services/applications/{application.pk}/"
    second = client.post("/services/items/TEST-HR-001/apply/", apply_payload(resident))
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert Application.objects.count() == 1
    assert {m.trust_level for m in application.materials.all()} == {TrustLevel.C}
    page = client.get(first["Location"]).content.decode()
    assert f"申请已提交，申请编号：{application.number}" in page
    assert 'data-event="submitted"' in page and "网上申请" in page


def test_field_and_material_errors_are_shown_beside_their_fields(catalogue, resident):
    response = signed_in_client(resident).post("/services/items/TEST-HR-001/apply/", apply_payload(
        resident, **{"form-start_date": "2026-13-01", "form-employer": "", "material-m2": None}))
    assert response.status_code == 422 and not Application.objects.exists()
    page = response.content.decode()
    start = page.split('data-field="start_date"')[1].split('data-field=')[0]
    assert "日期格式应为 YYYY-MM-DD" in start and "is-invalid" in start
    assert "“用人单位”为必填项" in page.split('data-field="employer"')[1].split('data-field=')[0]
    assert "请提供“劳动合同”" in page.split('data-material="m2"')[1].split('data-material=')[0]
    assert 'value="key-1"' in page                       # the same key goes round again


# The applicant's applications --------------------------------------------------------------------------------

def test_applicants_see_only_their_own_applications(catalogue, resident, cangzhou, staff):
    application = submit(catalogue, resident)
    other = accounts.create_resident_account(actor="test", username="lisi", password=TEST_PASSWORD,
                                             person=new_person(cangzhou, "李四", 9))
    assert application.number in signed_in_client(resident).get("/services/applications/").content.decode()
    assert application.number not in signed_in_client(other).get("/services/applications/").content.decode()
    assert signed_in_client(other).get(f"/services/applications/{application.pk}/").status_code == 404
    assert Client().get("/services/applications/").status_code == 302


def test_an_agent_sees_the_entitys_applications(catalogue, enterprise, cangzhou):
    agent = accounts.create_agent_account(actor="test", username="agent1", password=TEST_PASSWORD,
                                          person=new_person(cangzhou, "赵六", 7), legal_entity=enterprise)
    colleague = accounts.create_agent_account(actor="test", username="agent2", password=TEST_PASSWORD,
                                              person=new_person(cangzhou, "钱七", 11), legal_entity=enterprise)
    application = actions.submit_application(catalogue["clinic"], actor=agent, applicant_entity=enterprise,
                                             form_data={"place": "好客旅馆", "area": "320"},
                                             uploads={"m1": png()})
    page = signed_in_client(colleague).get(f"/services/applications/{application.pk}/").content.decode()
    assert "公共场所卫生许可" in page and enterprise.name in page


def test_the_applicants_timeline_hides_staff_names_and_identity_numbers(catalogue, resident, staff):
    application = submit(catalogue, resident)
    accepted = actions.accept_application(application, actor=staff["clerk"])
    page = signed_in_client(resident).get(f"/services/applications/{accepted.pk}/").content.decode()
    assert 'data-event="accepted"' in page and staff["clerk"].username not in page
    assert staff["clerk"].organisation.name in page                  # the unit, not the person
    assert resident.person.id_number not in page and resident.person.id_number_masked in page
    assert 'data-event="step_done"' not in page                       # internal steps stay inside


def test_supplement_withdraw_and_the_licence_link(catalogue, resident, staff):
    application = actions.request_supplement(submit(catalogue, resident), items=["劳动合同缺少签字页", "身份证照片不清晰"],
                                             actor=staff["clerk"])
    client = signed_in_client(resident)
    page = client.get(f"/services/applications/{application.pk}/").content.decode()
    notice = page.split("data-supplement-items")[1].split("</ol>")[0]
    assert "劳动合同缺少签字页" in notice and "身份证照片不清晰" in notice
    assert client.post(f"/services/applications/{application.pk}/supplement/", {"note": ""}).status_code == 422
    response = client.post(f"/services/applications/{application.pk}/supplement/",
                           {"note": "已补签字页", "supplement-m2": png("c2.png")})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert "withdraw-modal" in client.get(f"/services/applications/{application.pk}/").content.decode()
    client.post(f"/services/applications/{application.pk}/withdraw/", {"reason": "不办了"})
    application.refresh_from_db()
    assert application.status == Status.WITHDRAWN
    done = run_to_completion(submit(catalogue, resident, idempotency_key="2"), staff)
    page = client.get(f"/services/applications/{done.pk}/").content.decode()
    assert f"/licenses/{done.license_number}/" in page and "withdraw-modal" not in page


def test_a_bad_review_needs_a_reason_and_opens_a_rectification(catalogue, resident, staff):
    application = run_to_completion(submit(catalogue, resident), staff)
    client = signed_in_client(resident)
    page = client.get(f"/services/applications/{application.pk}/").content.decode()
    assert "非常满意" in page and "办理效率" in page
    response = client.post(f"/services/applications/{application.pk}/review/", {"rating": "2"})
    assert response.status_code == 422 and "差评请写明不满意的原因" in response.content.decode()
    client.post(f"/services/applications/{application.pk}/review/",
                {"rating": "2", "dimension_efficiency": "1", "comment": "窗口让我跑了两趟"})
    application.refresh_from_db()
    assert application.review.dimensions == {"efficiency": 1}
    reviews = client.get("/services/reviews/").content.decode()
    assert "窗口让我跑了两趟" in reviews and 'data-rectification="open"' in reviews


# The public progress query ------------------------------------------------------------------------------------

def test_progress_by_number_and_identity_without_sign_in(catalogue, resident, staff):
    application = actions.accept_application(submit(catalogue, resident), actor=staff["clerk"])
    client = Client(REMOTE_ADDR="203.0.113.7")
    assert client.get("/services/progress/").status_code == 200
    page = client.post("/services/progress/", {"number": application.number,
                                               "identity": resident.person.id_number.lower()}).content.decode()
    assert 'data-result="found"' in page and "审查中" in page and "就业登记" in page
    assert resident.person.id_number not in page and staff["clerk"].username not in page
    wrong_identity = client.post("/services/progress/", {"number": application.number,
                                                         "identity": make_resident_id("130921", date(1990, 5, 1), 125)})
    wrong_number = client.post("/services/progress/", {"number": "20261102130921999999",
                                                       "identity": resident.person.id_number})
    for response in (wrong_identity, wrong_number):
        assert 'data-result="not_found"' in response.content.decode() and "就业登记" not in response.content.decode()


def test_progress_queries_are_limited_per_address(catalogue, resident, settings):
    settings.BOHAI_SERVICES_PROGRESS_RATE = "3/min"
    client = Client(REMOTE_ADDR="203.0.113.9")
    statuses = [client.post("/services/progress/", {"number": "x", "identity": "y"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    page = client.post("/services/progress/", {"number": "x", "identity": "y"})
    assert page.status_code == 429 and "查询过于频繁" in page.content.decode()
    # the page and the API share one budget per address
    assert client.get("/api/v1/services/progress", {"number": "x", "identity": "y"}).status_code == 429
    assert Client(REMOTE_ADDR="203.0.113.10").post("/services/progress/", {"number": "x", "identity": "y"}).status_code == 200


# 一窗受理 ------------------------------------------------------------------------------------------------------

def window_token(person):
    from django.core import signing

    from bohai.services.views.workbench import WINDOW_SALT

    return signing.dumps({"person": person.pk, "entity": None}, salt=WINDOW_SALT)


def test_the_window_finds_the_applicant_by_identity_number(catalogue, resident, staff, enterprise):
    client = signed_in_client(staff["clerk"])
    assert client.get("/work/services/window/").status_code == 200
    page = client.post("/work/services/window/", {"identity": resident.person.id_number}).content.decode()
    assert "张明" in page and resident.person.id_number_masked in page and "TEST-HR-001" in page
    assert resident.person.id_number not in page                          # carried as a signed token
    audit = AuditRecord.objects.get(action="services.window.identify")
    assert audit.after == {"number_masked": resident.person.id_number_masked, "found": True}
    assert "TEST-HEALTH-002" not in page                                   # an entity item
    entity = client.post("/work/services/window/", {"identity": enterprise.credit_code.lower()}).content.decode()
    assert enterprise.name in entity and "TEST-HEALTH-002" in entity and "TEST-HR-001" not in entity
    unknown = client.post("/work/services/window/", {"identity": make_resident_id("130921", date(1970, 1, 1), 31)})
    assert 'data-unknown' in unknown.content.decode() and "/work/persons/new/" in unknown.content.decode()
    invalid = client.post("/work/services/window/", {"identity": "130921199005011230"}).content.decode()
    assert "校验码" in invalid
    forged = client.post("/work/services/window/", {"applicant": "forged", "item": "TEST-HR-001"}, follow=True)
    assert "申请人识别已过期" in forged.content.decode() and 'name="form-name"' not in forged.content.decode()
    assert signed_in_client(resident).get("/work/services/window/").status_code == 403
    assert signed_in_client(staff["hr_officer"]).get("/work/services/window/").status_code == 403


def test_a_clerk_submits_with_paper_checks_and_accepts_at_once(catalogue, resident, staff):
    client = signed_in_client(staff["clerk"])
    form = client.post("/work/services/window/", {"applicant": window_token(resident.person), "item": "TEST-HR-001"})
    assert 'value="张明"' in form.content.decode() and 'name="paper-m1"' in form.content.decode()
    response = client.post("/work/services/window/", {
        "applicant": window_token(resident.person), "item": "TEST-HR-001", "idempotency_key": "w-1",
        "form-name": "张明", "form-id_number": resident.person.id_number, "form-employer": "沧县某公司",
        "form-start_date": "2026-11-01", "paper-m1": "1", "paper-m2": "1", "accept_now": "1"})
    application = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/work/services/applications/{application.pk}/"
    assert application.channel == "window" and application.status == Status.IN_REVIEW
    assert {m.trust_level for m in application.materials.all()} == {TrustLevel.B}
    assert all(m.checked_by == staff["clerk"] for m in application.materials.all())
    assert not application.handled_online


def test_a_window_submission_names_the_missing_material(catalogue, resident, staff):
    response = signed_in_client(staff["clerk"]).post("/work/services/window/", {
        "applicant": window_token(resident.person), "item": "TEST-HR-001", "idempotency_key": "w-2",
        "form-name": "张明", "form-id_number": resident.person.id_number, "form-employer": "沧县某公司",
        "form-start_date": "2026-11-01", "paper-m1": "1"})
    assert response.status_code == 422 and not Application.objects.exists()
    assert "请提供“劳动合同”" in response.content.decode().split('data-material="m2"')[1]


# The workbench: queue, applications in scope, the action panel ------------------------------------------------------

def test_a_clerk_accepts_through_the_panel(catalogue, resident, staff):
    application = submit(catalogue, resident)
    accept = task(application, "accept")
    client = signed_in_client(staff["clerk"])
    page = client.get(f"/work/services/applications/{application.pk}/").content.decode()
    assert 'data-panel="accept"' in page and 'data-command="supplement"' in page
    response = client.post(f"/work/services/applications/{application.pk}/tasks/{accept.pk}/",
                           {"command": "accept", "version": accept.version})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.IN_REVIEW and application.accepted_at


def test_a_stale_version_shows_the_conflict(catalogue, resident, staff):
    application = submit(catalogue, resident)
    accept = task(application, "accept")
    client = signed_in_client(staff["clerk"])
    url = f"/work/services/applications/{application.pk}/tasks/{accept.pk}/"
    assert client.post(url, {"command": "accept", "version": accept.version}).status_code == 302
    page = client.post(url, {"command": "accept", "version": accept.version}, follow=True).content.decode()
    assert "该任务已由他人办理，请刷新后查看" in page
    review = task(application, "review")
    page = signed_in_client(staff["hr_officer"]).post(
        f"/work/services/applications/{application.pk}/tasks/{review.pk}/",
        {"command": "step", "version": review.version + 1, "t%d-outcome" % review.pk: "approve"}, follow=True).content.decode()
    assert "该任务已由他人办理，请刷新后查看" in page
    assert WorkflowTask.objects.get(pk=review.pk).status == TaskStatus.OPEN


def test_one_notice_lists_every_item_and_reject_needs_a_reason(catalogue, resident, staff):
    application = submit(catalogue, resident)
    accept = task(application, "accept")
    client = signed_in_client(staff["clerk"])
    url = f"/work/services/applications/{application.pk}/tasks/{accept.pk}/"
    assert "请逐项列明" in client.post(url, {"command": "supplement", "version": accept.version, "items": [" "]}).content.decode()
    client.post(url, {"command": "supplement", "version": accept.version, "items": ["劳动合同缺少签字页", "", "照片不清晰"]})
    application.refresh_from_db()
    assert application.status == Status.SUPPLEMENT and application.supplement_items == ["劳动合同缺少签字页", "照片不清晰"]
    other = submit(catalogue, resident, idempotency_key="2")
    accept = task(other, "accept")
    url = f"/work/services/applications/{other.pk}/tasks/{accept.pk}/"
    assert client.post(url, {"command": "reject", "version": accept.version}).status_code == 422
    client.post(url, {"command": "reject", "version": accept.version, f"t{accept.pk}-reason": "不属于本部门职责"})
    other.refresh_from_db()
    assert other.status == Status.REJECTED and other.reason == "不属于本部门职责"


def test_officers_review_decide_and_issue_the_licence_from_the_panel(catalogue, resident, staff):
    application = actions.accept_application(submit(catalogue, resident), actor=staff["clerk"])
    officer, head = signed_in_client(staff["hr_officer"]), signed_in_client(staff["hr_head"])

    def post(client, stage, **fields):
        step = task(application, stage)
        data = {"command": "step", "version": step.version, **{f"t{step.pk}-{k}": v for k, v in fields.items()}}
        return client.post(f"/work/services/applications/{application.pk}/tasks/{step.pk}/", data)

    denied = post(officer, "review", outcome="deny")
    assert denied.status_code == 422 and "不予通过或退回时须写明理由" in denied.content.decode()
    assert post(officer, "review", outcome="approve", comment="材料齐全").status_code == 302
    assert post(head, "decide", outcome="approve").status_code == 302
    issue = task(application, "issue")
    page = officer.get(f"/work/services/applications/{application.pk}/").content.decode()
    assert "data-license-fields" in page and "就业失业状态" in page
    missing = post(officer, "issue", outcome="approve")
    assert missing.status_code == 422 and "就业失业状态" in missing.content.decode()
    data = {"command": "step", "version": issue.version, f"t{issue.pk}-outcome": "approve",
            f"license{issue.pk}-employment_status": "就业", f"license{issue.pk}-registered_on": "2026-11-05"}
    assert officer.post(f"/work/services/applications/{application.pk}/tasks/{issue.pk}/", data).status_code == 302
    application.refresh_from_db()
    assert application.status == Status.LICENSED and application.license_number
    internal = officer.get(f"/work/services/applications/{application.pk}/").content.decode()
    assert "材料齐全" in internal and 'data-event="step_done"' in internal


def test_the_queue_shows_the_officers_tasks_with_their_warning(catalogue, resident, staff):
    application = actions.accept_application(submit(catalogue, resident), actor=staff["clerk"])
    WorkflowTask.objects.filter(instance_id=application.workflow_id, status=TaskStatus.OPEN).update(warning=1)
    client = signed_in_client(staff["hr_officer"])
    page = client.get("/work/services/tasks/").content.decode()
    assert application.number in page and "张*" in page and "张明" not in page and "黄牌预警" in page
    assert application.number not in client.get("/work/services/tasks/", {"warning": "2"}).content.decode()
    assert application.number not in signed_in_client(staff["health_officer"]).get("/work/services/tasks/").content.decode()


def test_applications_in_scope_and_their_materials(catalogue, resident, staff, make_staff, cangzhou):
    application = submit(catalogue, resident)
    material = application.materials.get(material_code="m2")
    officer = signed_in_client(staff["hr_officer"])
    page = officer.get("/work/services/applications/", {"status": "submitted"}).content.decode()
    assert application.number in page
    assert application.number not in officer.get("/work/services/applications/", {"status": "completed"}).content.decode()
    assert application.number not in officer.get("/work/services/applications/", {"county": "130922"}).content.decode()
    detail = officer.get(f"/work/services/applications/{application.pk}/").content.decode()
    assert resident.person.id_number not in detail and resident.person.id_number_masked in detail
    download = officer.get(f"/work/services/applications/{application.pk}/materials/{material.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    qing = signed_in_client(make_staff("window_clerk", cangzhou["qing"]))
    assert application.number not in qing.get("/work/services/applications/").content.decode()
    assert qing.get(f"/work/services/applications/{application.pk}/").status_code == 404
    assert qing.get(f"/work/services/applications/{application.pk}/materials/{material.pk}/").status_code == 404
    assert signed_in_client(staff["health_officer"]).get(f"/work/services/applications/{application.pk}/").status_code == 404
    assert signed_in_client(resident).get("/work/services/applications/").status_code == 403


def test_an_officer_without_the_step_sees_no_panel(catalogue, resident, staff):
    application = submit(catalogue, resident)
    page = signed_in_client(staff["hr_officer"]).get(f"/work/services/applications/{application.pk}/").content.decode()
    assert "data-panel" not in page and "您不是当前环节的办理人" in page


# 差评整改 ------------------------------------------------------------------------------------------------------------

def test_the_department_answers_and_the_city_office_closes(catalogue, resident, staff, make_staff, cangzhou):
    application = run_to_completion(submit(catalogue, resident), staff)
    review = actions.review_application(application, rating=1, comment="态度差", actor=resident)
    rectification = review.rectification
    head = signed_in_client(staff["hr_head"])
    assert "态度差" in head.get("/work/services/rectifications/").content.decode()
    page = head.get(f"/work/services/rectifications/{rectification.pk}/").content.decode()
    assert 'name="response"' in page and "data-close" not in page
    assert head.post(f"/work/services/rectifications/{rectification.pk}/answer/", {"response": "太短"}).status_code == 422
    head.post(f"/work/services/rectifications/{rectification.pk}/answer/", {"response": "已约谈窗口人员并优化材料清单，推行一次告知。"})
    rectification.refresh_from_db()
    assert rectification.status == RectificationStatus.ANSWERED
    assert head.post(f"/work/services/rectifications/{rectification.pk}/close/").status_code == 403
    office = signed_in_client(make_staff("city_officer", cangzhou["city"]))
    assert "data-close" in office.get(f"/work/services/rectifications/{rectification.pk}/").content.decode()
    office.post(f"/work/services/rectifications/{rectification.pk}/close/")
    rectification.refresh_from_db()
    assert rectification.status == RectificationStatus.CLOSED
    assert signed_in_client(staff["health_officer"]).get(f"/work/services/rectifications/{rectification.pk}/").status_code == 403
    assert signed_in_client(staff["health_head"]).get(f"/work/services/rectifications/{rectification.pk}/").status_code == 404


# Menus ------------------------------------------------------------------------------------------------------------

def test_the_menus_lead_to_the_pages(catalogue, resident, staff):
    portal = Client().get("/").content.decode()
    assert 'href="/services/"' in portal
    mine = signed_in_client(resident).get("/").content.decode()
    assert 'href="/services/applications/"' in mine and 'href="/services/reviews/"' in mine
    work = signed_in_client(staff["clerk"]).get("/work/").content.decode()
    assert 'href="/work/services/window/"' in work and 'href="/work/services/tasks/"' in work
    assert 'href="/work/services/rectifications/"' not in work
    assert 'href="/work/services/rectifications/"' in signed_in_client(staff["hr_head"]).get("/work/").content.decode()
