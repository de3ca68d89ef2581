"""The services API: the public catalogue, the applicant's side, the staff side (session and API key),
public progress; scoping through the declarative contract, field-level errors, idempotency, 409 on a
stale task, the rate limit of the progress query, the OpenAPI document."""
import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from bohai.engines.workflows.models import TaskStatus, WorkflowTask
from bohai.kernel.accounts import actions as account_actions
from bohai.kernel.api.actions import issue_api_key
from bohai.kernel.identities import actions as identities
from bohai.kernel.identities.validators import make_resident_id
from bohai.services import actions
from bohai.services.models import Application, EventKind, Status
from bohai.testing.api_contract import ScopedApiContract
from bohai.testing.fixtures import signed_in_client

from .conftest import PNG

API = "/api/v1/services"
_sequence = iter(range(201, 9999, 2))


def new_resident(region, username=None):
    person = identities.register_person(actor="test", id_number=make_resident_id(region.code[:6], date(1988, 3, 9), next(_sequence)),
                                        name="王小丽", phone="13912340000", region=region)
    return account_actions.create_resident_account(actor="test", username=username or f"r{person.pk}",
                                                   password="Test-pass-2026!", person=person)


def form_for(user) -> dict:
    return {"name": user.person.name, "id_number": user.person.id_number, "employer": "沧县某某机械厂",
            "start_date": "2026-11-01", "monthly_wage": "4500"}


def png(name="m.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def post_application(client, user, *, item="TEST-HR-001", form=None, files=None, key=None, applicant=None, **extra):
    data = {"item": item, "form": json.dumps(form_for(user) if form is None else form, ensure_ascii=False)}
    if applicant:
        data["applicant"] = applicant
    data.update({"m1": png("id.png"), "m2": png("contract.png")} if files is None else files)
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(f"{API}/applications", data, **headers, **extra)


def submit_directly(catalogue, user):
    return actions.submit_application(catalogue["employment"], actor=user, applicant_person=user.person,
                                      form_data=form_for(user), uploads={"m1": png(), "m2": png()})


def open_task(application, stage):
    return WorkflowTask.objects.get(instance_id=application.workflow_id, stage_key=stage, status=TaskStatus.OPEN)


def fields_of(response) -> dict:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid", body
    return body["fields"]


# The catalogue -------------------------------------------------------------------------------

def test_catalogue_is_public_and_searchable_in_chinese(catalogue, client):
    response = client.get(f"{API}/items", {"q": "找工作"})
    assert response.status_code == 200, response.content
    assert [row["code"] for row in response.json()["results"]] == ["TEST-HR-001"]
    assert response.json()["results"][0]["online_depth_label"] == "全程网办"
    codes = lambda **query: {row["code"] for row in client.get(f"{API}/items", query).json()["results"]}  # noqa: E731
    assert codes(applicant_kind="entity") == {"TEST-HEALTH-002"}
    assert codes(life_event="employment") == {"TEST-HR-001"}
    assert codes(department="health") == {"TEST-HEALTH-002"}
    assert codes(online_depth=4) == {"TEST-HR-001"}
    assert codes(q="宾馆") == {"TEST-HEALTH-002"}
    assert "online_depth" in fields_of(client.get(f"{API}/items", {"online_depth": 7}))


def test_item_guide_has_materials_form_and_stages(catalogue, client):
    guide = client.get(f"{API}/items/TEST-HEALTH-002").json()
    assert [m["code"] for m in guide["materials"]] == ["m1"]
    assert guide["materials"][0]["replaced_by_license"] == "business_licence"
    assert [f["key"] for f in guide["form"]] == ["place", "area"]
    stages = {s["key"]: s for s in guide["workflow"]}
    assert list(stages) == ["accept", "joint", "decide", "deliver"]
    assert stages["joint"]["parallel"] and {s["key"] for s in stages["joint"]["steps"]} == {"hygiene", "fire"}
    default = client.get(f"{API}/items/TEST-HR-001").json()
    assert [s["key"] for s in default["workflow"]] == ["accept", "review", "decide", "issue", "deliver"]
    assert default["life_events"] == [{"code": "employment", "name": "就业"}]
    assert client.get(f"{API}/items/NO-SUCH").status_code == 404


def test_life_events_count_their_items(catalogue, client):
    events = client.get(f"{API}/life-events").json()
    assert events == [{"code": "employment", "name": "就业", "audience": "person", "description": "", "item_count": 1}]


# Scoping: the declarative contract -------------------------------------------------------------

class TestApplicationApi(ScopedApiContract):
    list_url = f"{API}/applications"
    detail_url = f"{API}/applications/{{number}}"
    view_role = "county_officer"

    @pytest.fixture(autouse=True)
    def _catalogue(self, catalogue):
        self.catalogue = catalogue

    def make_record(self, region):
        township_or_county = region
        return submit_directly(self.catalogue, new_resident(township_or_county))

    def detail_path(self, record) -> str:
        return self.detail_url.format(number=record.number)


def test_qing_county_officer_cannot_see_an_application_in_cang(catalogue, resident, make_staff, cangzhou):
    application = submit_directly(catalogue, resident)
    officer = signed_in_client(make_staff("county_officer", cangzhou["qing"]))
    assert officer.get(f"{API}/applications/{application.number}").status_code == 404
    assert officer.get(f"{API}/applications").json()["count"] == 0
    assert officer.post(f"{API}/applications/{application.number}/accept").status_code == 404


def test_a_resident_sees_no_staff_list(catalogue, resident):
    application = submit_directly(catalogue, resident)
    client = signed_in_client(resident)
    assert client.get(f"{API}/applications").json()["count"] == 0
    assert client.get(f"{API}/applications/{application.number}").status_code == 404


# Submitting -----------------------------------------------------------------------------------

def test_submit_creates_and_the_same_key_returns_the_same_application(catalogue, resident):
    client = signed_in_client(resident)
    first = post_application(client, resident, key="k-2026-001")
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["status"] == Status.SUBMITTED and body["number"][8:14] == "130921"
    assert {m["trust_level"] for m in client.get(body["detail"]).json()["materials"]} == {"C"}
    again = post_application(client, resident, key="k-2026-001")
    assert again.status_code == 200 and again.json()["number"] == body["number"]
    assert Application.objects.count() == 1
    application = Application.objects.get()
    assert application.channel == "online" and application.submitted_by == resident
    assert post_application(client, resident, key="k-2026-002").status_code == 201
    assert Application.objects.count() == 2


def test_the_same_key_for_another_item_is_a_conflict(catalogue, resident):
    client = signed_in_client(resident)
    assert post_application(client, resident, key="k-x").status_code == 201
    response = post_application(client, resident, item="TEST-HEALTH-002", form={}, files={}, key="k-x")
    assert response.status_code == 409 and response.json()["code"] == "conflict"


def test_applicant_sees_the_form_masked(catalogue, resident):
    client = signed_in_client(resident)
    submitted = post_application(client, resident).json()
    assert number_free(submitted, resident)
    body = client.get(submitted["detail"]).json()
    number = resident.person.id_number
    assert body["form_data"]["id_number"] == number[:6] + "********" + number[-4:]
    assert number_free(body, resident)


def number_free(body: dict, user) -> bool:
    return user.person.id_number not in json.dumps(body) and user.person.phone not in json.dumps(body)


def test_a_bad_identity_number_in_the_form_is_a_field_error(catalogue, resident):
    number = resident.person.id_number
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")
    fields = fields_of(post_application(signed_in_client(resident), resident, form={**form_for(resident), "id_number": bad}))
    assert "校验码" in fields["form.id_number"][0]
    assert not Application.objects.exists()


def test_missing_material_and_bad_fields_are_all_named(catalogue, resident):
    form = {**form_for(resident), "start_date": "2026-13-01", "employer": ""}
    fields = fields_of(post_application(signed_in_client(resident), resident, form=form, files={"m1": png()}))
    assert set(fields) == {"materials.m2", "form.start_date", "form.employer"}
    assert "劳动合同" in fields["materials.m2"][0]
    assert "必填" in fields["form.employer"][0]


def test_unknown_item_code_and_bad_form_json(catalogue, resident):
    client = signed_in_client(resident)
    fields = fields_of(post_application(client, resident, item="NO-SUCH-ITEM"))
    assert set(fields) == {"item"} and "NO-SUCH-ITEM" in fields["item"][0]
    response = client.post(f"{API}/applications", {"item": "TEST-HR-001", "form": "{not json"})
    assert "JSON" in fields_of(response)["form"][0]
    assert "item" in fields_of(client.post(f"{API}/applications", {"form": "{}"}))


PROGRAM = b"MZ\x90\x00\x03 this is a program"
TOO_BIG = PNG + b"\0" * (10 * 1024 * 1024 + 1 - len(PNG))


def test_a_file_that_is_not_an_image_or_pdf_is_refused(catalogue, resident):
    files = {"m1": png(), "m2": png(), "m3": SimpleUploadedFile("diploma.png", PROGRAM, content_type="image/png")}
    fields = fields_of(post_application(signed_in_client(resident), resident, files=files))
    assert set(fields) == {"materials.m3"}
    assert "不是允许的类型" in fields["materials.m3"][0]


def test_a_file_too_big_is_refused(catalogue, resident):
    files = {"m1": png(), "m2": png(), "m3": SimpleUploadedFile("diploma.png", TOO_BIG, content_type="image/png")}
    fields = fields_of(post_application(signed_in_client(resident), resident, files=files))
    assert "文件过大" in fields["materials.m3"][0] and "10 MB" in fields["materials.m3"][0]


@pytest.mark.parametrize("content, reason", [(PROGRAM, "不是允许的类型"), (TOO_BIG, "文件过大")])
def test_a_refused_required_material_keeps_its_reason(catalogue, resident, content, reason):
    files = {"m1": png(), "m2": SimpleUploadedFile("contract.png", content, content_type="image/png")}
    fields = fields_of(post_application(signed_in_client(resident), resident, files=files))
    assert reason in fields["materials.m2"][0]


def test_a_material_the_item_does_not_have(catalogue, resident):
    files = {"m1": png(), "m2": png(), "m9": png()}
    assert "materials.m9" in fields_of(post_application(signed_in_client(resident), resident, files=files))


def test_an_entity_item_needs_an_agent(catalogue, resident, enterprise, cangzhou):
    response = post_application(signed_in_client(resident), resident, item="TEST-HEALTH-002",
                                form={"place": "好客旅馆", "area": "320"}, files={}, applicant="entity")
    assert "applicant" in fields_of(response)
    person = identities.register_person(actor="test", id_number=make_resident_id("130921", date(1980, 1, 1), 77),
                                        name="李华", region=cangzhou["cang"])
    agent = account_actions.create_agent_account(actor="test", username="lihua", password="Test-pass-2026!",
                                                 person=person, legal_entity=enterprise)
    response = post_application(signed_in_client(agent), agent, item="TEST-HEALTH-002",
                                form={"place": "好客旅馆", "area": "320"}, files={})
    fields = fields_of(response)          # the business licence is not in the library: upload it
    assert "营业执照" in fields["materials.m1"][0]
    response = post_application(signed_in_client(agent), agent, item="TEST-HEALTH-002",
                                form={"place": "好客旅馆", "area": "320"}, files={"m1": png()})
    assert response.status_code == 201, response.content
    assert Application.objects.get().applicant_entity == enterprise


def test_staff_cannot_apply_online(catalogue, staff):
    response = signed_in_client(staff["clerk"]).post(f"{API}/applications", {"item": "TEST-HR-001", "form": "{}"})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_anonymous_cannot_apply(catalogue, client):
    assert client.post(f"{API}/applications", {"item": "TEST-HR-001"}).status_code == 401


# The applicant follows, supplements, withdraws and rates -----------------------------------------

def test_my_applications_and_the_public_timeline(catalogue, resident, staff, cangzhou):
    client = signed_in_client(resident)
    number = post_application(client, resident).json()["number"]
    application = Application.objects.get(number=number)
    actions.accept_application(application, actor=staff["clerk"])
    actions.handle_step(application, open_task(application, "review"), outcome="approve", comment="材料齐全",
                        actor=staff["hr_officer"])
    mine = client.get(f"{API}/applications/mine").json()
    assert [row["number"] for row in mine["results"]] == [number]
    detail = client.get(f"{API}/applications/mine/{number}").json()
    assert [e["kind"] for e in detail["timeline"]] == [EventKind.SUBMITTED, EventKind.ACCEPTED]
    assert detail["timeline"][0]["by"] == "申请人"
    assert detail["timeline"][1]["by"] == catalogue["units"]["human_resources"].name
    assert staff["clerk"].username not in json.dumps(detail, ensure_ascii=False)
    assert detail["can_withdraw"] and not detail["can_review"]
    other = signed_in_client(new_resident(cangzhou["cang"]))
    assert other.get(f"{API}/applications/mine/{number}").status_code == 404
    assert other.get(f"{API}/applications/mine").json()["count"] == 0


def test_supplement_request_and_answer(catalogue, resident, staff):
    client = signed_in_client(resident)
    number = post_application(client, resident).json()["number"]
    clerk = signed_in_client(staff["clerk"])
    url = f"{API}/applications/{number}/supplement-request"
    assert "items" in fields_of(clerk.post(url, json.dumps({"items": [" "]}), content_type="application/json"))
    response = clerk.post(url, json.dumps({"items": ["劳动合同缺少签字页", "身份证照片不清晰"]}), content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == Status.SUPPLEMENT
    mine = client.get(f"{API}/applications/mine/{number}").json()
    assert mine["supplement_items"] == ["劳动合同缺少签字页", "身份证照片不清晰"] and mine["can_supplement"]
    answer = client.post(f"{API}/applications/mine/{number}/supplement", {"m2": png("c2.png"), "note": "已补签字页"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == Status.SUBMITTED and answer.json()["supplement_items"] == []
    again = client.post(f"{API}/applications/mine/{number}/supplement", {"m2": png("c3.png")})
    assert again.status_code == 409


def test_withdraw_then_no_more_withdrawing(catalogue, resident):
    client = signed_in_client(resident)
    number = post_application(client, resident).json()["number"]
    url = f"{API}/applications/mine/{number}/withdraw"
    response = client.post(url, json.dumps({"reason": "不办了"}), content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == Status.WITHDRAWN
    assert client.post(url, "", content_type="application/json").status_code == 409     # the body may be left out


def test_review_after_completion(catalogue, resident, staff):
    client = signed_in_client(resident)
    number = post_application(client, resident).json()["number"]
    application = Application.objects.get(number=number)
    url = f"{API}/applications/mine/{number}/review"
    assert client.post(url, json.dumps({"rating": 5}), content_type="application/json").status_code == 409
    actions.accept_application(application, actor=staff["clerk"])
    for stage, who in (("review", "hr_officer"), ("decide", "hr_head"), ("issue", "hr_officer"), ("deliver", "clerk")):
        application = actions.handle_step(application, open_task(application, stage), outcome="approve", actor=staff[who],
                                          license_fields={"employment_status": "就业"})
    assert application.status == Status.COMPLETED
    assert "comment" in fields_of(client.post(url, json.dumps({"rating": 1}), content_type="application/json"))
    assert "rating" in fields_of(client.post(url, json.dumps({"rating": "很好"}), content_type="application/json"))
    response = client.post(url, json.dumps({"rating": 2, "comment": "跑了两趟", "dimensions": {"efficiency": 2}}),
                           content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["rating_label"] == "不满意" and response.json()["rectification_due_at"]
    assert client.post(url, json.dumps({"rating": 5}), content_type="application/json").status_code == 409
    assert client.get(f"{API}/applications/mine/{number}").json()["review"]["rating"] == 2


# The staff side ---------------------------------------------------------------------------------

def test_staff_accept_reject_and_the_internal_timeline(catalogue, resident, staff):
    first, second = submit_directly(catalogue, resident), submit_directly(catalogue, resident)
    clerk = signed_in_client(staff["clerk"])
    assert signed_in_client(staff["hr_officer"]).post(f"{API}/applications/{first.number}/accept").status_code == 403
    accepted = clerk.post(f"{API}/applications/{first.number}/accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == Status.IN_REVIEW
    assert clerk.post(f"{API}/applications/{first.number}/accept").status_code == 409
    url = f"{API}/applications/{second.number}/reject"
    assert "reason" in fields_of(clerk.post(url, json.dumps({"reason": "  "}), content_type="application/json"))
    rejected = clerk.post(url, json.dumps({"reason": "不属于本部门职责"}), content_type="application/json")
    assert rejected.json()["status"] == Status.REJECTED and rejected.json()["reason"] == "不属于本部门职责"
    detail = signed_in_client(staff["hr_officer"]).get(f"{API}/applications/{first.number}").json()
    assert [e["kind"] for e in detail["events"]] == [EventKind.SUBMITTED, EventKind.STEP_DONE, EventKind.ACCEPTED]
    assert detail["events"][1]["public"] is False and detail["events"][1]["actor_label"]
    assert [t["stage_key"] for t in detail["tasks"] if t["status"] == "open"] == ["review"]
    assert detail["applicant_identity_masked"].count("*") == 8
    assert resident.person.id_number not in json.dumps(detail)


def test_staff_list_filters_and_ordering(catalogue, resident, staff):
    first, second = submit_directly(catalogue, resident), submit_directly(catalogue, resident)
    actions.accept_application(first, actor=staff["clerk"])
    client = signed_in_client(staff["hr_officer"])
    numbers = lambda **query: [r["number"] for r in client.get(f"{API}/applications", query).json()["results"]]  # noqa: E731
    assert numbers(status="in_review") == [first.number]
    assert numbers(item="TEST-HR-001", ordering="number") == [first.number, second.number]
    assert numbers(ordering="-number") == [second.number, first.number]
    assert numbers(department="health") == []
    assert set(numbers(region="130921")) == {first.number, second.number}
    today = date.today().isoformat()
    assert len(numbers(submitted_from=today, submitted_to=today)) == 2
    assert numbers(submitted_to="2020-01-01") == []
    assert numbers(overdue="true") == [] and len(numbers(overdue="false")) == 2
    assert "status" in fields_of(client.get(f"{API}/applications", {"status": "lost"}))
    assert "submitted_from" in fields_of(client.get(f"{API}/applications", {"submitted_from": "2026-02-30"}))
    assert "ordering" in fields_of(client.get(f"{API}/applications", {"ordering": "form_data"}))


def test_a_stale_task_version_is_a_conflict(catalogue, resident, staff, make_staff, cangzhou):
    application = submit_directly(catalogue, resident)
    actions.accept_application(application, actor=staff["clerk"])
    second_officer = make_staff(None, cangzhou["cang"], organisation=catalogue["units"]["human_resources"])
    account_actions.assign_role(second_officer, actor="test", role_code="service_officer", region=cangzhou["cang"],
                                organisation=catalogue["units"]["human_resources"])
    one, two = signed_in_client(staff["hr_officer"]), signed_in_client(second_officer)
    queue_one, queue_two = one.get(f"{API}/tasks").json()["results"], two.get(f"{API}/tasks").json()["results"]
    assert [t["id"] for t in queue_one] == [t["id"] for t in queue_two]
    task = queue_one[0]
    payload = {"outcome": "approve", "comment": "同意", "expected_version": task["version"]}
    first = one.post(f"{API}/tasks/{task['id']}/complete", json.dumps(payload), content_type="application/json")
    assert first.status_code == 200, first.content
    assert first.json()["status"] == Status.IN_REVIEW and first.json()["stage"] == "decide"
    late = two.post(f"{API}/tasks/{task['id']}/complete", json.dumps(payload), content_type="application/json")
    assert late.status_code == 409 and late.json()["code"] == "conflict"


def test_a_version_read_before_a_change_is_a_conflict(catalogue, resident, staff):
    application = submit_directly(catalogue, resident)
    actions.accept_application(application, actor=staff["clerk"])
    review = open_task(application, "review")
    read_at = review.version
    from bohai.engines.workflows.actions import claim_task

    claim_task(review, actor=staff["hr_officer"])          # claiming bumps the version
    payload = {"outcome": "approve", "expected_version": read_at}
    response = signed_in_client(staff["hr_officer"]).post(f"{API}/tasks/{review.pk}/complete", json.dumps(payload),
                                                           content_type="application/json")
    assert response.status_code == 409


def test_completing_needs_a_reason_to_deny_and_a_known_outcome(catalogue, resident, staff):
    application = submit_directly(catalogue, resident)
    actions.accept_application(application, actor=staff["clerk"])
    task = open_task(application, "review")
    client = signed_in_client(staff["hr_officer"])
    url = f"{API}/tasks/{task.pk}/complete"
    deny = {"outcome": "deny", "expected_version": task.version}
    assert "comment" in fields_of(client.post(url, json.dumps(deny), content_type="application/json"))
    assert "outcome" in fields_of(client.post(url, json.dumps({**deny, "outcome": "maybe"}), content_type="application/json"))
    assert "expected_version" in fields_of(client.post(url, json.dumps({"outcome": "approve"}), content_type="application/json"))
    other = signed_in_client(staff["health_officer"])
    assert other.post(url, json.dumps({"outcome": "approve", "expected_version": task.version}),
                      content_type="application/json").status_code == 404


def test_a_departmental_system_pulls_its_queue_and_decides_with_an_api_key(catalogue, resident, staff, make_staff,
                                                                           cangzhou, client):
    unit = catalogue["units"]["human_resources"]
    account = make_staff(None, cangzhou["cang"], organisation=unit)
    account_actions.assign_role(account, actor="test", role_code="service_officer", region=cangzhou["cang"], organisation=unit)
    _key, raw = issue_api_key(actor="test", name="沧县人社审批系统", account=account)
    application = submit_directly(catalogue, resident)
    assert client.get(f"{API}/tasks", HTTP_X_API_KEY=raw).json()["count"] == 0     # acceptance is the window's
    actions.accept_application(application, actor=staff["clerk"])
    queue = client.get(f"{API}/tasks", HTTP_X_API_KEY=raw).json()["results"]
    assert [(t["application_number"], t["stage_key"], t["item_code"]) for t in queue] == [
        (application.number, "review", "TEST-HR-001")]
    payload = {"outcome": "approve", "comment": "审查通过", "expected_version": queue[0]["version"]}
    response = client.post(f"{API}/tasks/{queue[0]['id']}/complete", json.dumps(payload), content_type="application/json",
                           HTTP_X_API_KEY=raw)
    assert response.status_code == 200, response.content
    assert response.json()["stage"] == "decide"
    detail = client.get(f"{API}/applications/{application.number}", HTTP_X_API_KEY=raw).json()
    assert detail["stage"] == "decide" and detail["status"] == Status.IN_REVIEW
    done = [t for t in detail["tasks"] if t["stage_key"] == "review"][0]
    assert done["status"] == "done" and done["comment"] == "审查通过"
    assert client.get(f"{API}/tasks", HTTP_X_API_KEY=raw).json()["count"] == 0
    listed = client.get(f"{API}/applications", {"status": "in_review"}, HTTP_X_API_KEY=raw).json()
    assert [row["number"] for row in listed["results"]] == [application.number]


def test_staff_download_a_material(catalogue, resident, staff, make_staff, cangzhou):
    application = submit_directly(catalogue, resident)
    material = application.materials.get(material_code="m2")
    url = f"{API}/applications/{application.number}/materials/{material.pk}/file"
    response = signed_in_client(staff["hr_officer"]).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert signed_in_client(make_staff("county_officer", cangzhou["qing"])).get(url).status_code == 404


# Public progress ------------------------------------------------------------------------------

def test_progress_answers_only_number_and_identity_together(catalogue, resident, staff, client):
    application = submit_directly(catalogue, resident)
    actions.request_supplement(application, items=["劳动合同缺少签字页"], actor=staff["clerk"])
    number, identity = application.number, resident.person.id_number
    response = client.get(f"{API}/progress", {"number": number, "identity": identity.lower()})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["applicant_name"] == "张*" and body["status"] == Status.SUPPLEMENT
    assert body["supplement_items"] == ["劳动合同缺少签字页"] and body["stage"] == "受理"
    assert all(event["params"] == {} for event in body["timeline"])
    wrong_identity = client.get(f"{API}/progress", {"number": number, "identity": make_resident_id("130921", date(1970, 1, 1), 9)})
    wrong_number = client.get(f"{API}/progress", {"number": number[:-1] + "9", "identity": identity})
    assert wrong_identity.status_code == wrong_number.status_code == 404
    assert wrong_identity.content == wrong_number.content
    assert "identity" in fields_of(client.get(f"{API}/progress", {"number": number}))


def test_progress_is_rate_limited_per_address(catalogue, resident, client):
    from django.core.cache import cache

    cache.clear()
    application = submit_directly(catalogue, resident)
    query = {"number": application.number, "identity": "130921198803090000"}
    statuses = [client.get(f"{API}/progress", query).status_code for _ in range(11)]
    assert statuses[:10] == [404] * 10 and statuses[10] == 429
    assert client.get(f"{API}/progress", query).json()["code"] == "rate_limited"
    other_address = client.get(f"{API}/progress", query, REMOTE_ADDR="10.1.2.3")
    assert other_address.status_code == 404
    assert client.get(f"{API}/items").status_code == 200        # the catalogue has its own, wider limit


# The OpenAPI document -------------------------------------------------------------------------

def test_openapi_lists_the_services_paths(client):
    document = client.get("/api/v1/openapi.json").json()
    for path in ("/items", "/items/{code}", "/life-events", "/applications", "/applications/mine",
                 "/applications/mine/{number}/withdraw", "/applications/{number}/accept", "/tasks",
                 "/tasks/{task_id}/complete", "/progress"):
        assert f"{API}{path}" in document["paths"], path
    submit = document["paths"][f"{API}/applications"]["post"]
    assert "multipart/form-data" in submit["requestBody"]["content"]
    assert any(p["name"] == "Idempotency-Key" for p in submit["parameters"])
