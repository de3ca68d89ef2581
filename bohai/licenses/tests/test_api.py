"""The API: the scoping contract, the public verification, the holder's own, the audited holder query,
status changes and the PDF."""
import json

import pytest
from django.test import Client

from bohai.kernel.accounts import actions as accounts
from bohai.kernel.audit.models import AuditRecord
from bohai.licenses import actions
from bohai.licenses.models import License, LicenseStatus
from bohai.testing.api_contract import ScopedApiContract
from bohai.testing.fixtures import TEST_PASSWORD, organisation_in, signed_in_client

from .conftest import issue_business_licence, issue_id_card, new_entity, new_person


class TestLicenseApi(ScopedApiContract):
    list_url = "/api/v1/licenses"
    detail_url = "/api/v1/licenses/{pk}"

    @pytest.fixture(autouse=True)
    def types(self, license_types):
        pass

    def make_record(self, region):
        return issue_business_licence(new_entity(region), organisation_in(region, "market_regulation"))


def post(client, url, payload):
    return client.post(url, json.dumps(payload), content_type="application/json")


def test_verify_without_sign_in(id_card):
    response = Client().get(f"/api/v1/licenses/verify/{id_card.number}")
    assert response.status_code == 200
    body = response.json()
    assert body["verdict"] == "valid" and body["verdict_label"] == "有效"
    assert body["license"]["holder_name"] == "张*明" and body["license"]["type_code"] == "resident_id_card"
    assert id_card.holder_id_masked not in response.content.decode()


def test_verify_answers_tampered_and_unknown_without_details(id_card):
    License.objects.filter(pk=id_card.pk).update(valid_until=None)
    body = Client().get(f"/api/v1/licenses/verify/{id_card.number}").json()
    assert body["verdict"] == "tampered" and body["license"] is None
    assert Client().get("/api/v1/licenses/verify/NOSUCH").json() == {
        "number": "NOSUCH", "verdict": "unknown", "verdict_label": "未找到",
        "explanation": "没有找到该编号的证照，请核对编号。", "license": None}


def test_the_list_filters_by_type_and_status(cangzhou, license_types, units, person, entity, make_staff):
    card = issue_id_card(person, units["cang_police"])
    business = issue_business_licence(entity, units["cang_market"])
    actions.suspend_license(business, reason="涉嫌违法", actor="test")
    client = signed_in_client(make_staff("county_officer", cangzhou["cang"]))
    by_type = client.get("/api/v1/licenses", {"type": "resident_id_card"}).json()
    assert [row["number"] for row in by_type["results"]] == [card.number]
    by_status = client.get("/api/v1/licenses", {"status": "02"}).json()["results"]
    assert [(row["number"], row["status_label"]) for row in by_status] == [(business.number, "暂扣")]
    row = client.get(f"/api/v1/licenses/{card.pk}").json()
    assert row["key_id"] == card.signing_key_id and row["extension"]["ethnicity"] == "汉"
    assert "holder_id_cipher" not in row and card.holder_id_number not in json.dumps(row)


def test_the_holder_query_is_audited_and_scoped(cangzhou, license_types, units, person, make_staff):
    mine = issue_id_card(person, units["cang_police"])
    issue_id_card(person, units["qing_police"])
    issue_id_card(new_person(cangzhou["cang"], "李四"), units["cang_police"])
    officer = make_staff("county_officer", cangzhou["cang"])
    client = signed_in_client(officer)
    response = client.get("/api/v1/licenses/by-holder", {"id_number": person.id_number, "purpose": "办理低保审核"})
    assert [row["number"] for row in response.json()["results"]] == [mine.number]
    response = client.get("/api/v1/licenses", {"holder_id_number": person.id_number.lower()})
    assert [row["number"] for row in response.json()["results"]] == [mine.number]
    records = AuditRecord.objects.filter(action="licenses.query_by_holder").order_by("id")
    assert records.count() == 2 and all(r.actor_id == officer.pk and r.channel == "api" for r in records)
    assert records[0].after["purpose"] == "办理低保审核" and records[0].after["found"] == 1
    assert person.id_number not in str(records[0].after)


def test_the_holder_query_can_keep_only_valid_licences(cangzhou, license_types, units, person, make_staff):
    valid = issue_id_card(person, units["cang_police"])
    actions.revoke_license(issue_id_card(person, units["cang_police"]), reason="错发", actor="test")
    client = signed_in_client(make_staff("county_officer", cangzhou["cang"]))
    response = client.get("/api/v1/licenses/by-holder", {"id_number": person.id_number, "valid_only": "true"})
    assert [row["number"] for row in response.json()["results"]] == [valid.number]


def test_mine_holds_the_residents_own(cangzhou, license_types, units, person):
    resident = accounts.create_resident_account(actor="test", username="r1", password=TEST_PASSWORD, person=person)
    own = issue_id_card(person, units["cang_police"])
    issue_id_card(new_person(cangzhou["cang"], "李四"), units["cang_police"])
    body = signed_in_client(resident).get("/api/v1/licenses/mine").json()
    assert [row["number"] for row in body["results"]] == [own.number]
    assert Client().get("/api/v1/licenses/mine").status_code == 401


def test_status_changes_through_the_api(id_card, cangzhou, make_staff):
    head = signed_in_client(make_staff("department_head", cangzhou["cang"]))
    url = f"/api/v1/licenses/{id_card.pk}"
    assert post(head, f"{url}/suspend", {"reason": "涉嫌违法"}).json()["status"] == "02"
    assert post(head, f"{url}/restore", {"reason": "调查结束"}).json()["status"] == "01"
    response = post(head, f"{url}/restore", {"reason": "再来一次"})
    assert response.status_code == 422 and response.json()["fields"]["status"]
    response = post(head, f"{url}/revoke", {})
    assert response.status_code == 422 and response.json()["fields"] == {"reason": ["必填"]}
    assert post(head, f"{url}/revoke", {"reason": "错发"}).json()["status"] == "03"
    assert Client().get(f"/api/v1/licenses/verify/{id_card.number}").json()["verdict"] == "revoked"
    assert AuditRecord.objects.filter(target_type="licenses.license", target_id=str(id_card.pk),
                                      channel="api").count() == 3


def test_status_changes_need_the_permission_and_the_scope(cangzhou, license_types, units, person, make_staff):
    theirs = issue_id_card(person, units["qing_police"])
    mine = issue_id_card(person, units["cang_police"])
    head = signed_in_client(make_staff("department_head", cangzhou["cang"]))
    assert post(head, f"/api/v1/licenses/{theirs.pk}/revoke", {"reason": "x"}).status_code == 404
    viewer = signed_in_client(make_staff("county_officer", cangzhou["cang"]))
    response = post(viewer, f"/api/v1/licenses/{mine.pk}/revoke", {"reason": "x"})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert License.objects.get(pk=mine.pk).status == LicenseStatus.VALID


def test_the_pdf_through_the_api(id_card, cangzhou, make_staff):
    response = signed_in_client(make_staff("county_officer", cangzhou["cang"])).get(f"/api/v1/licenses/{id_card.pk}/pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert f'filename="{id_card.number}.pdf"' in response["Content-Disposition"]


def test_the_types_are_listed(license_types, cangzhou, make_staff):
    body = signed_in_client(make_staff("county_officer", cangzhou["cang"])).get("/api/v1/licenses/types").json()
    assert {"code": "food_business_permit", "name": "食品经营许可证"}.items() <= next(
        t for t in body if t["code"] == "food_business_permit").items()
