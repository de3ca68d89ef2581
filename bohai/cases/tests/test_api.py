"""The cases API (/api/v1/cases): the public class tree; scoping through the declarative contract and a
青县 handler before a 沧县 case; field-level 422s when reporting; the stage actions end to end (both
tracks), 409 for a dispatch on a stale version, supervision-only actions; filters and ordering;
dispatch suggestions; duplicates; photos; the OpenAPI document."""
import json
from datetime import date
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from bohai.cases import actions
from bohai.cases.models import Case, Source, Status
from bohai.kernel.accounts import actions as account_actions
from bohai.kernel.api.actions import issue_api_key
from bohai.kernel.identities import actions as identities
from bohai.kernel.identities.validators import make_resident_id
from bohai.testing.api_contract import ScopedApiContract
from bohai.testing.fixtures import signed_in_client

from .conftest import INSIDE, OUTSIDE, at

API = "/api/v1/cases"


def png_file(name="photo.png", colour=(30, 120, 200)):
    buffer = BytesIO()
    Image.new("RGB", (20, 14), colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def post_json(client, path, payload=None):
    return client.post(f"{API}{path}", json.dumps(payload or {}), content_type="application/json")


def report_form(**fields):
    return {"track": "city", "description": "解放路和永济路口有个井盖丢了，很危险", "case_class": "P0101",
            "lng": str(INSIDE[0]), "lat": str(INSIDE[1]), **fields}


def patrol(city, people, text="解放路和永济路口有个井盖丢了，很危险", code="P0101", when="2026-11-02T09:00"):
    return actions.report_case(actor=people["grid_worker"], track="city", source="patrol", description=text,
                               case_class=city["classes"][code], lng=INSIDE[0], lat=INSIDE[1], at=at(when))


def task_version(client, number, stage):
    detail = client.get(f"{API}/cases/{number}").json()
    return next(t["version"] for t in detail["open_tasks"] if t["stage"] == stage)


@pytest.fixture
def clients(people):
    return {name: signed_in_client(user) for name, user in people.items()}


@pytest.fixture
def resident(city):
    person = identities.register_person(actor="test", id_number=make_resident_id("130921", date(1990, 5, 1), 123),
                                        name="张明", phone="13812345678", region=city["township"])
    return account_actions.create_resident_account(actor="test", username="zhangming", password="Test-pass-2026!",
                                                   person=person)


# The declarative contract ----------------------------------------------------------------------

class TestCaseApiScope(ScopedApiContract):
    list_url = f"{API}/cases"
    detail_url = f"{API}/cases/{{number}}"
    view_role = "county_officer"

    def make_record(self, region):
        return actions.report_case(actor="test", track="hotline", source="hotline", appeal_type="help",
                                   description="楼下烧烤油烟太大", region=region)

    def detail_path(self, record) -> str:
        return self.detail_url.format(number=record.number)


def test_a_qing_handler_gets_404_on_a_cang_case(city, people, clients):
    case = actions.dispatch_case(actions.file_case(patrol(city, people), actor=people["supervisor"]),
                                 organisation=city["units"]["urban_management"], actor=people["dispatcher"])
    qing = clients["qing_handler"]
    for path in (f"/cases/{case.number}", f"/cases/{case.number}/duplicates"):
        response = qing.get(f"{API}{path}")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert post_json(qing, f"/cases/{case.number}/sign").status_code == 404
    assert case.number not in {r["number"] for r in qing.get(f"{API}/cases").json()["results"]}
    assert clients["urban"].get(f"{API}/cases/{case.number}").status_code == 200           # 沧县's own unit
    assert post_json(clients["urban"], f"/cases/{case.number}/sign").status_code == 200


# Classes ---------------------------------------------------------------------------------------

def test_class_tree_is_public(client, city):
    response = client.get(f"{API}/classes")
    assert response.status_code == 200
    groups = response.json()
    assert [g["code"] for g in groups][:2] == ["P01", "P02"] and groups[-1]["code"] == "T"
    facilities = groups[0]
    assert facilities["kind_label"] == "部件" and facilities["children"][0]["code"] == "P0101"
    assert facilities["children"][0]["limit_hours"] == 4 and facilities["children"][0]["urgency"] == "urgent"
    assert len(groups[-1]["children"]) == 25


# Reporting -------------------------------------------------------------------------------------

def test_a_grid_worker_reports_with_a_photo(city, people, clients):
    response = clients["grid_worker"].post(f"{API}/cases", {**report_form(), "photos": [png_file(), png_file(
        "b.png", (1, 2, 3))]})
    assert response.status_code == 201, response.content
    receipt = response.json()
    assert receipt["number"].startswith("CG") and receipt["status"] == "reported"
    assert (receipt["county"], receipt["township"]) == ("沧县", "旧州镇")
    assert len(receipt["suggestion"]) == 3 and receipt["suggestion"][0]["class_code"] == "P0101"
    case = Case.objects.get(number=receipt["number"])
    assert case.source == Source.PATROL and case.reporter == people["grid_worker"] and case.photos.count() == 2


def test_an_operator_registers_a_call_and_a_resident_reports_on_the_portal(city, people, clients, resident):
    response = clients["operator"].post(f"{API}/cases", {
        "track": "hotline", "description": "我们小区停水两天了也没人通知", "region": city["township"].key,
        "appeal_type": "complaint", "case_class": "T-water_supply", "caller_name": "王小红", "caller_phone": "13900001111"})
    assert response.status_code == 201, response.content
    appeal = Case.objects.get(number=response.json()["number"])
    assert (appeal.source, appeal.status, appeal.caller_phone_masked) == (Source.HOTLINE, Status.ACCEPTED, "139****1111")
    response = signed_in_client(resident).post(f"{API}/cases", report_form(case_class=""))
    assert response.status_code == 201, response.content
    assert Case.objects.get(number=response.json()["number"]).source == Source.PORTAL


def test_who_may_report_and_where(city, people, clients):
    response = clients["urban"].post(f"{API}/cases", report_form())           # a handling unit does not report
    assert response.status_code == 403
    response = clients["grid_worker"].post(f"{API}/cases", report_form(lng="", lat="", region=city["qing"].key))
    assert response.status_code == 422 and "不在您的辖区内" in response.json()["fields"]["location"][0]
    assert not Case.objects.exists()


@pytest.mark.parametrize("fields, field", [
    ({"lng": str(OUTSIDE[0]), "lat": str(OUTSIDE[1])}, "location"),
    ({"description": ""}, "description"),
    ({"description": "字" * 4001}, "description"),
    ({"case_class": "P9999"}, "case_class"),
    ({"lng": "东经", "lat": "38"}, "lng"),
    ({"lng": "", "lat": ""}, "location"),
    ({"caller_phone": "12345"}, "caller_phone"),
    ({"region": "no-such-region", "lng": "", "lat": ""}, "region"),
])
def test_reporting_errors_are_field_level_422s(city, people, clients, fields, field):
    response = clients["grid_worker"].post(f"{API}/cases", report_form(**fields))
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid" and field in body["fields"], body
    assert all(isinstance(m, str) and m for m in body["fields"][field])
    assert not Case.objects.exists()


def test_a_file_that_is_not_an_image_is_a_field_error(city, people, clients):
    bogus = SimpleUploadedFile("photo.png", b"%PDF-1.4 not a picture", content_type="image/png")
    response = clients["grid_worker"].post(f"{API}/cases", {**report_form(), "photos": [png_file(), bogus]})
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"photos[1]"}
    assert not Case.objects.exists()


def test_a_department_system_reports_with_an_api_key(city, people):
    account = people["grid_worker"]
    raw = issue_api_key(actor="test", name="巡查终端", account=account)[1]
    from django.test import Client

    response = Client().post(f"{API}/cases", report_form(), HTTP_X_API_KEY=raw)
    assert response.status_code == 201, response.content


# The stage actions -----------------------------------------------------------------------------

def test_the_city_case_through_every_stage(city, people, clients):
    number = clients["grid_worker"].post(f"{API}/cases", report_form()).json()["number"]
    response = post_json(clients["supervisor"], f"/cases/{number}/file", {"case_class": "P0101"})
    assert response.status_code == 200 and response.json()["status"] == "filed"
    version = task_version(clients["dispatcher"], number, "dispatch")
    suggested = clients["dispatcher"].get(f"{API}/cases/{number}").json()["suggestion"][0]["organisation_id"]
    response = post_json(clients["dispatcher"], f"/cases/{number}/dispatch",
                         {"organisation": suggested, "expected_version": version})
    assert response.status_code == 200 and response.json()["organisation"] == city["units"]["urban_management"].name
    assert post_json(clients["urban"], f"/cases/{number}/sign").json()["status"] == "handling"
    response = clients["urban"].post(f"{API}/cases/{number}/handled", {"note": "已更换新井盖", "photos": [png_file()]})
    assert response.status_code == 200 and response.json()["status"] == "handled"
    response = clients["grid_worker"].post(f"{API}/cases/{number}/verify", {"passed": "false"})
    assert response.status_code == 422 and "note" in response.json()["fields"]
    response = clients["grid_worker"].post(f"{API}/cases/{number}/verify", {"passed": "true", "note": "已复核"})
    detail = response.json()
    assert detail["status"] == "closed" and detail["on_time"] is True and detail["open_tasks"] == []
    assert [e["kind"] for e in detail["events"]] == ["reported", "filed", "dispatched", "signed", "handled", "verified"]
    stages = [p["stage"] for p in detail["photos"]]
    assert stages == ["handled"]
    photo = clients["supervisor"].get(detail["photos"][0]["url"])
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert clients["qing_handler"].get(detail["photos"][0]["url"]).status_code == 404


def test_the_hotline_loop_and_send_back(city, people, clients):
    appeal = actions.report_case(actor=people["operator"], track="hotline", source="hotline", appeal_type="help",
                                 description="楼下烧烤油烟太大", region=city["township"],
                                 case_class=city["classes"]["T-cooking_fumes"])
    number = appeal.number
    post_json(clients["operator"], f"/cases/{number}/dispatch", {"organisation": city["units"]["water"].key})
    response = post_json(clients["water"], f"/cases/{number}/send-back", {"reason": "油"})
    assert response.status_code == 422 and "reason" in response.json()["fields"]
    assert post_json(clients["water"], f"/cases/{number}/send-back", {"reason": "油烟属城管执法"}).json()["status"] == \
        "accepted"
    post_json(clients["operator"], f"/cases/{number}/dispatch", {"organisation": city["units"]["urban_management"].pk})
    assert clients["urban"].post(f"{API}/cases/{number}/handled", {"note": "已责令商户安装净化器"}).json()["status"] == \
        "replied"
    response = post_json(clients["operator"], f"/cases/{number}/follow-up", {"satisfaction": "great"})
    assert response.status_code == 422 and "satisfaction" in response.json()["fields"]
    detail = post_json(clients["operator"], f"/cases/{number}/follow-up", {"satisfaction": "satisfied"}).json()
    assert detail["status"] == "closed" and detail["satisfaction"] == "satisfied" and detail["sendback_count"] == 1


def test_a_second_dispatch_on_a_stale_version_is_409(city, people, clients, make_staff):
    case = actions.file_case(patrol(city, people), actor=people["supervisor"])
    version = task_version(clients["dispatcher"], case.number, "dispatch")
    other = signed_in_client(make_staff("case_dispatcher", city["city"]))
    first = post_json(clients["dispatcher"], f"/cases/{case.number}/dispatch",
                      {"organisation": city["units"]["urban_management"].pk, "expected_version": version})
    assert first.status_code == 200
    second = post_json(other, f"/cases/{case.number}/dispatch",
                       {"organisation": city["units"]["water"].pk, "expected_version": version})
    assert second.status_code == 409 and second.json()["code"] == "conflict"
    assert Case.objects.get(pk=case.pk).organisation == city["units"]["urban_management"]


def test_every_stage_takes_the_version_it_was_read_at(city, people, clients):
    case = actions.dispatch_case(actions.file_case(patrol(city, people), actor=people["supervisor"]),
                                 organisation=city["units"]["urban_management"], actor=people["dispatcher"])
    urban = clients["urban"]
    version = task_version(urban, case.number, "sign")
    stale = post_json(urban, f"/cases/{case.number}/sign", {"expected_version": version + 1})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    assert post_json(urban, f"/cases/{case.number}/sign", {"expected_version": version}).status_code == 200
    version = task_version(urban, case.number, "handle")
    stale = urban.post(f"{API}/cases/{case.number}/handled", {"note": "已更换新井盖", "expected_version": version + 1})
    assert stale.status_code == 409
    done = urban.post(f"{API}/cases/{case.number}/handled", {"note": "已更换新井盖", "expected_version": version})
    assert done.status_code == 200 and done.json()["status"] == "handled"
    assert post_json(urban, f"/cases/{case.number}/sign").status_code == 409      # without a version: not at that stage


def test_the_caller_s_number_for_the_call_back_is_revealed_with_a_reason(city, people, clients):
    from bohai.kernel.audit.models import AuditRecord

    appeal = actions.report_case(actor=people["operator"], track="hotline", source="hotline", appeal_type="complaint",
                                 description="我们小区停水两天了也没人通知", region=city["township"],
                                 caller_name="王小红", caller_phone="13900001111")
    detail = clients["operator"].get(f"{API}/cases/{appeal.number}").json()
    assert detail["caller_phone"] == "139****1111" and detail["caller_name"] == "王*红"
    path = f"/cases/{appeal.number}/caller-phone"
    response = post_json(clients["operator"], path, {"reason": ""})
    assert response.status_code == 422 and "reason" in response.json()["fields"]
    response = post_json(clients["operator"], path, {"reason": "回访"})
    assert response.status_code == 200 and response.json() == {"caller_phone": "13900001111"}
    assert AuditRecord.objects.filter(action="cases.caller.reveal", target_id=str(appeal.pk)).count() == 1
    assert post_json(clients["supervisor"], path, {"reason": "回访"}).status_code == 403    # sees the case, not the number
    assert post_json(clients["qing_handler"], path, {"reason": "回访"}).status_code == 404


def test_refuse_as_duplicate_and_the_duplicates_list(city, people, clients):
    first = patrol(city, people)
    second = patrol(city, people, text="路口井盖没了，差点有人掉下去", when="2026-11-02T11:00")
    found = clients["supervisor"].get(f"{API}/cases/{second.number}/duplicates").json()
    assert [c["number"] for c in found] == [first.number]
    assert clients["qing_handler"].get(f"{API}/cases/{second.number}/duplicates").status_code == 404
    response = post_json(clients["supervisor"], f"/cases/{second.number}/refuse", {"reason": "重复", "duplicate_of": "X"})
    assert response.status_code == 422 and "duplicate_of" in response.json()["fields"]
    detail = post_json(clients["supervisor"], f"/cases/{second.number}/refuse",
                       {"reason": "与先报案件重复", "duplicate_of": first.number}).json()
    assert detail["status"] == "merged" and detail["duplicate_of"] == first.number


def test_forbidden_stages_are_403_and_supervision_is_the_centre_s(city, people, clients):
    case = patrol(city, people, code="P0102", text="小区门口路灯不亮好几天了")
    assert post_json(clients["grid_worker"], f"/cases/{case.number}/file").status_code == 403
    assert post_json(clients["supervisor"], f"/cases/{case.number}/sign").status_code == 409  # not at that stage
    case = actions.dispatch_case(actions.file_case(case, actor=people["supervisor"]),
                                 organisation=city["units"]["urban_management"], actor=people["dispatcher"])
    actions.sign_case(case, actor=people["urban"])
    response = post_json(clients["urban"], f"/cases/{case.number}/extension", {"days": 2, "reason": "需更换整段电缆"})
    assert response.status_code == 201 and response.json()["status"] == "pending"
    # The unit may not approve its own extension, nor put the case on the backlog.
    assert post_json(clients["urban"], f"/cases/{case.number}/extension/decide", {"approve": True}).status_code == 404
    assert post_json(clients["urban"], f"/cases/{case.number}/defer", {"reason": "等资金"}).status_code == 404
    detail = post_json(clients["supervisor"], f"/cases/{case.number}/extension/decide", {"approve": True}).json()
    assert detail["extended_days"] == 2 and detail["extensions"][0]["status"] == "approved"
    assert post_json(clients["supervisor"], f"/cases/{case.number}/extension/decide",
                     {"approve": True}).status_code == 409
    assert post_json(clients["supervisor"], f"/cases/{case.number}/defer",
                     {"reason": "需列入明年改造计划"}).json()["status"] == "deferred"
    assert post_json(clients["supervisor"], f"/cases/{case.number}/resume").json()["status"] == "handling"


# Lists -----------------------------------------------------------------------------------------

def test_filters_ordering_and_paging(city, people, clients):
    lamp = patrol(city, people, code="P0102", text="小区门口路灯不亮好几天了", when="2026-11-03T09:00")
    cover = patrol(city, people, when="2026-11-02T09:00")
    appeal = actions.report_case(actor=people["operator"], track="hotline", source="hotline", appeal_type="help",
                                 description="楼下烧烤油烟太大", region=city["township"], at=at("2026-11-04T09:00"))
    qing = actions.report_case(actor=people["operator"], track="hotline", source="hotline", appeal_type="help",
                               description="青县某路灯坏了", region=city["qing"], at=at("2026-11-05T09:00"))
    cover = actions.dispatch_case(actions.file_case(cover, actor=people["supervisor"]),
                                  organisation=city["units"]["urban_management"], actor=people["dispatcher"])
    actions.sign_case(cover, actor=people["urban"], at=at("2026-11-02T10:00"))   # due 14:00 that day: long overdue
    supervisor = clients["supervisor"]

    def numbers(**params):
        response = supervisor.get(f"{API}/cases", params)
        assert response.status_code == 200, response.content
        return [row["number"] for row in response.json()["results"]]

    assert numbers() == [qing.number, appeal.number, lamp.number, cover.number]
    assert numbers(track="city") == [lamp.number, cover.number]
    assert numbers(status="handling,accepted") == [qing.number, appeal.number, cover.number]
    assert numbers(case_class="P0102") == [lamp.number] and numbers(case_class="P01") == [lamp.number, cover.number]
    assert numbers(county="130922") == [qing.number] and numbers(township=city["township"].key) == [
        appeal.number, lamp.number, cover.number]
    assert numbers(reported_from="2026-11-03", reported_to="2026-11-04") == [appeal.number, lamp.number]
    assert numbers(overdue="true") == [cover.number]
    assert cover.number not in numbers(overdue="false")
    assert numbers(ordering="reported_at") == [cover.number, lamp.number, appeal.number, qing.number]
    page = supervisor.get(f"{API}/cases", {"page_size": 2, "page": 2}).json()
    assert page["count"] == 4 and [r["number"] for r in page["results"]] == [lamp.number, cover.number]
    row = supervisor.get(f"{API}/cases", {"track": "city", "ordering": "reported_at"}).json()["results"][0]
    assert row["overdue"] is True and row["organisation"] == city["units"]["urban_management"].name
    for bad in ({"ordering": "description"}, {"status": "lost"}, {"track": "sea"}, {"case_class": "X1"},
                {"county": "nowhere"}, {"reported_from": "2026-11-05", "reported_to": "2026-11-01"}):
        assert supervisor.get(f"{API}/cases", bad).status_code == 422, bad
    assert clients["qing_handler"].get(f"{API}/cases").json()["count"] == 0   # nothing dispatched to its unit


# Suggestions -----------------------------------------------------------------------------------

def test_suggestions_while_typing(city, people, clients):
    operator = clients["operator"]
    response = post_json(operator, "/suggest", {"text": "解放路口井盖丢了", "lng": INSIDE[0], "lat": INSIDE[1],
                                                "track": "city"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["region"] == city["township"].key and len(body["top"]) == 3
    top = body["top"][0]
    assert top["class_code"] == "P0101" and 0 < top["confidence"] <= 1
    assert top["organisation_name"] == city["units"]["urban_management"].name
    assert [s["confidence"] for s in body["top"]] == sorted((s["confidence"] for s in body["top"]), reverse=True)
    body = post_json(operator, "/suggest", {"text": "我们小区停水两天了", "region": city["township"].key}).json()
    assert body["top"][0]["class_code"] == "T-water_supply" and body["region_name"] == "旧州镇"
    assert post_json(operator, "/suggest", {"text": "停水了"}).json()["top"][0]["organisation_id"] is None
    # One label, two trees: the track picks the 12345 topic (the default) or the 数字城管 class.
    fumes = "楼下烧烤店油烟直排，熏得没法开窗"
    assert post_json(operator, "/suggest", {"text": fumes}).json()["top"][0]["class_code"] == "T-cooking_fumes"
    assert post_json(operator, "/suggest", {"text": fumes, "track": "city"}).json()["top"][0]["class_code"] == "E0104"
    for payload, field in (({"text": " "}, "text"), ({"text": "字" * 4001}, "text"),
                           ({"text": "井盖", "lng": OUTSIDE[0], "lat": OUTSIDE[1]}, "location"),
                           ({"text": "井盖", "lng": INSIDE[0]}, "location"), ({"text": "井盖", "region": "x"}, "region"),
                           ({"text": "井盖", "track": "sea"}, "track")):
        response = post_json(operator, "/suggest", payload)
        assert response.status_code == 422 and field in response.json()["fields"], payload
    from django.test import Client

    assert Client().post(f"{API}/suggest", json.dumps({"text": "井盖"}), content_type="application/json"
                         ).status_code == 401


# The OpenAPI document --------------------------------------------------------------------------

def test_openapi_lists_the_paths(client, city):
    document = client.get("/api/v1/openapi.json").json()
    paths = set(document["paths"])
    for path in ("/classes", "/cases", "/cases/{number}", "/cases/{number}/duplicates", "/cases/{number}/file",
                 "/cases/{number}/refuse", "/cases/{number}/dispatch", "/cases/{number}/sign",
                 "/cases/{number}/send-back", "/cases/{number}/handled", "/cases/{number}/verify",
                 "/cases/{number}/follow-up", "/cases/{number}/defer", "/cases/{number}/extension", "/suggest"):
        assert f"{API}{path}" in paths, path
    report = document["paths"][f"{API}/cases"]["post"]
    assert "multipart/form-data" in report["requestBody"]["content"]
    assert all("summary" in operation for p, item in document["paths"].items() if p.startswith(API)
               for operation in item.values())

