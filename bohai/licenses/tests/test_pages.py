"""Pages: public verification without sign-in, the holder's wallet, the workbench within scope."""
import pytest
from django.test import Client

from bohai.kernel.accounts import actions as accounts
from bohai.kernel.audit.models import AuditRecord
from bohai.licenses import actions
from bohai.licenses.models import License, LicenseStatus
from bohai.testing.fixtures import TEST_PASSWORD, organisation_in, signed_in_client

from .conftest import issue_business_licence, issue_id_card, new_person


@pytest.fixture
def resident(person):
    return accounts.create_resident_account(actor="test", username="resident1", password=TEST_PASSWORD, person=person)


# Public verification ---------------------------------------------------------------------------------

def test_the_verify_page_needs_no_sign_in_and_masks_the_holder(id_card):
    response = Client().get(f"/licenses/verify/{id_card.number}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-verdict="valid"' in page and "有效" in page
    assert "张*明" in page and "张小明" not in page
    assert id_card.holder_id_number not in page and id_card.holder_id_masked not in page
    assert id_card.agency_name in page and "居民身份证" in page


def test_an_organisations_name_is_shown_in_full(license_types, units, entity):
    licence = issue_business_licence(entity, units["cang_market"])
    page = Client().get(f"/licenses/verify/{licence.number}/").content.decode()
    assert entity.name in page and entity.credit_code not in page


def test_the_verify_page_says_revoked_tampered_and_unknown(id_card):
    actions.revoke_license(id_card, reason="错发", actor="test")
    assert 'data-verdict="revoked"' in Client().get(f"/licenses/verify/{id_card.number}/").content.decode()
    License.objects.filter(pk=id_card.pk).update(holder_name="李四")
    page = Client().get(f"/licenses/verify/{id_card.number}/").content.decode()
    assert 'data-verdict="tampered"' in page and "李" not in page.split("data-verdict")[1]
    page = Client().get("/licenses/verify/SFZ0000/").content.decode()
    assert 'data-verdict="unknown"' in page


def test_the_form_leads_to_the_verdict(id_card):
    response = Client().get("/licenses/verify/", {"number": f" {id_card.number} "})
    assert response.status_code == 302 and response["Location"] == f"/licenses/verify/{id_card.number}/"
    assert Client().get("/licenses/verify/").status_code == 200


def test_verification_is_limited_per_client_address(id_card, settings):
    settings.BOHAI_API_ANON_RATE = "3/min"
    client = Client(REMOTE_ADDR="203.0.113.7")
    statuses = [client.get(f"/licenses/verify/{id_card.number}/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    # The API shares the address's budget; a forged X-Forwarded-For from an untrusted peer changes nothing.
    response = client.get(f"/api/v1/licenses/verify/{id_card.number}", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert response.status_code == 429 and response.json()["code"] == "rate_limited"
    assert Client(REMOTE_ADDR="203.0.113.8").get(f"/licenses/verify/{id_card.number}/").status_code == 200


# The wallet -------------------------------------------------------------------------------------------

def test_the_wallet_shows_only_the_holders_own_licences(cangzhou, license_types, units, person, resident):
    mine = issue_id_card(person, units["cang_police"])
    theirs = issue_id_card(new_person(cangzhou["cang"], "李四"), units["cang_police"])
    page = signed_in_client(resident).get("/licenses/").content.decode()
    assert mine.number in page and theirs.number not in page
    assert signed_in_client(resident).get(f"/licenses/{theirs.number}/").status_code == 404
    assert signed_in_client(resident).get(f"/licenses/{theirs.number}/pdf/").status_code == 404


def test_the_wallet_needs_sign_in(db):
    response = Client().get("/licenses/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_holder_opens_details_and_downloads_the_pdf(id_card, resident):
    client = signed_in_client(resident)
    page = client.get(f"/licenses/{id_card.number}/").content.decode()
    assert "沧县旧州镇东街 8 号" in page and id_card.holder_id_masked in page and "<svg" in page
    response = client.get(f"/licenses/{id_card.number}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_an_agent_sees_the_organisations_licences(license_types, units, cangzhou, entity):
    agent = accounts.create_agent_account(actor="test", username="agent1", password=TEST_PASSWORD,
                                          person=new_person(cangzhou["cang"], "赵六"), legal_entity=entity)
    licence = issue_business_licence(entity, units["cang_market"])
    page = signed_in_client(agent).get("/licenses/").content.decode()
    assert licence.number in page and 'data-section="organisation"' in page


# The workbench ------------------------------------------------------------------------------------------

def test_a_county_officer_sees_only_licences_of_units_in_the_county(cangzhou, license_types, units, person, make_staff):
    mine = issue_id_card(person, units["cang_police"])
    theirs = issue_id_card(person, units["qing_police"])
    officer = signed_in_client(make_staff("county_officer", cangzhou["cang"]))
    page = officer.get("/work/licenses/").content.decode()
    assert mine.number in page and theirs.number not in page
    assert officer.get(f"/work/licenses/{mine.pk}/").status_code == 200
    assert officer.get(f"/work/licenses/{theirs.pk}/").status_code == 404
    assert officer.get(f"/work/licenses/{theirs.pk}/pdf/").status_code == 404


def test_residents_cannot_use_the_workbench(id_card, resident):
    assert signed_in_client(resident).get("/work/licenses/").status_code == 403


def test_the_staff_search_by_identity_number_is_audited(id_card, cangzhou, make_staff):
    officer = make_staff("county_officer", cangzhou["cang"])
    page = signed_in_client(officer).get("/work/licenses/", {"q": id_card.holder_id_number}).content.decode()
    assert id_card.number in page
    record = AuditRecord.objects.get(action="licenses.query_by_holder")
    assert record.actor_id == officer.pk and record.after["found"] == 1
    assert id_card.holder_id_number not in str(record.after)


def test_a_department_head_suspends_and_restores_with_a_reason(id_card, cangzhou, make_staff):
    head = signed_in_client(make_staff("department_head", cangzhou["cang"]))
    page = head.get(f"/work/licenses/{id_card.pk}/").content.decode()
    assert 'data-intact="yes"' in page and 'name="reason"' in page
    response = head.post(f"/work/licenses/{id_card.pk}/status/", {"change": "suspend", "reason": "涉嫌违法经营"})
    assert response.status_code == 302
    assert License.objects.get(pk=id_card.pk).status == LicenseStatus.SEIZED
    response = head.post(f"/work/licenses/{id_card.pk}/status/", {"change": "restore", "reason": ""})
    assert response.status_code == 422 and "invalid-feedback" in response.content.decode()
    assert License.objects.get(pk=id_card.pk).status == LicenseStatus.SEIZED
    head.post(f"/work/licenses/{id_card.pk}/status/", {"change": "restore", "reason": "调查结束"})
    assert License.objects.get(pk=id_card.pk).status == LicenseStatus.VALID
    actions_done = list(AuditRecord.objects.filter(target_type="licenses.license", target_id=str(id_card.pk))
                        .order_by("id").values_list("action", "channel"))
    assert actions_done[1:] == [("licenses.license.suspend", "web"), ("licenses.license.restore", "web")]


def test_a_viewer_cannot_change_the_status(id_card, cangzhou, make_staff):
    officer = signed_in_client(make_staff("county_officer", cangzhou["cang"]))
    assert 'name="reason"' not in officer.get(f"/work/licenses/{id_card.pk}/").content.decode()
    assert officer.post(f"/work/licenses/{id_card.pk}/status/", {"change": "revoke", "reason": "x"}).status_code == 404
    assert License.objects.get(pk=id_card.pk).status == LicenseStatus.VALID


def test_the_staff_detail_shows_a_tampered_record(id_card, cangzhou, make_staff):
    License.objects.filter(pk=id_card.pk).update(holder_name="李四")
    page = signed_in_client(make_staff("county_officer", cangzhou["cang"])).get(f"/work/licenses/{id_card.pk}/")
    assert 'data-intact="no"' in page.content.decode()


def test_an_eighteen_character_licence_number_is_searched_as_a_number(license_types, cangzhou, entity, make_staff):
    unit = organisation_in(cangzhou["cang"], "market_regulation")
    permit = actions.issue_license(
        type_code="food_business_permit", issuing_organisation=unit, holder_entity=entity, actor="test",
        fields={"premises": "沧县", "main_business": "餐饮服务经营者", "business_items": "热食类食品制售",
                "person_in_charge": "王建国"})
    assert len(permit.number) == 18
    page = signed_in_client(make_staff("county_officer", cangzhou["cang"])).get("/work/licenses/", {"q": permit.number})
    assert permit.number in page.content.decode()
    assert not AuditRecord.objects.filter(action="licenses.query_by_holder").exists()


def test_a_credit_code_is_an_audited_holder_search(license_types, units, cangzhou, entity, make_staff):
    licence = issue_business_licence(entity, units["cang_market"])
    page = signed_in_client(make_staff("county_officer", cangzhou["cang"])).get("/work/licenses/", {"q": entity.credit_code})
    assert licence.number in page.content.decode()
    assert AuditRecord.objects.filter(action="licenses.query_by_holder").count() == 1
