import json
from datetime import date

import pytest

from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.identities import actions
from bohai.kernel.identities.models import Person
from bohai.kernel.identities.validators import make_credit_code, make_resident_id
from bohai.testing.api_contract import UpdatableApiContract, WritableApiContract
from bohai.testing.fixtures import signed_in_client

_sequence = iter(range(1, 999, 2))


def new_resident_id(region) -> str:
    return make_resident_id(region.code, date(1985, 6, 1), next(_sequence))


class TestPersonApi(UpdatableApiContract):
    list_url = "/api/v1/identities/persons"
    detail_url = "/api/v1/identities/persons/{pk}"
    create_url = "/api/v1/identities/persons"
    patch_url = "/api/v1/identities/persons/{pk}"
    patch_payload = {"address": "沧县旧州镇东街 8 号"}
    audit_action = "identities.person.register"
    invalid_payloads = [
        ({"id_number": "130921198506010011"}, "id_number"),  # wrong check digit
        ({"id_number": "130921209906010015"}, "id_number"),  # birth date in the future
        ({"name": ""}, "name"),
        ({"phone": "12345"}, "phone"),
        ({"region": "999999"}, "region"),
    ]

    def make_record(self, region):
        return actions.register_person(actor="test", id_number=new_resident_id(region), name="张三", region=region)

    def valid_payload(self, region):
        return {"id_number": new_resident_id(region), "name": "李四", "phone": "13803170001"}


_org_body = iter(f"{n:08d}" for n in range(10000000, 10099999, 7))


class TestLegalEntityApi(WritableApiContract):
    list_url = "/api/v1/identities/legal-entities"
    detail_url = "/api/v1/identities/legal-entities/{pk}"
    create_url = "/api/v1/identities/legal-entities"
    audit_action = "identities.legal_entity.register"
    invalid_payloads = [
        ({"credit_code": "91130921MA0000000X"}, "credit_code"),
        ({"name": ""}, "name"),
    ]

    def make_record(self, region):
        return actions.register_legal_entity(actor="test", credit_code=make_credit_code("91", region.code, next(_org_body)),
                                             name="沧州测试管道有限公司", region=region)

    def valid_payload(self, region):
        return {"credit_code": make_credit_code("91", region.code, next(_org_body)), "name": "沧县测试商贸有限公司"}


@pytest.mark.django_db
def test_lookup_by_identity_number_uses_blind_index(cangzhou, make_staff):
    number = new_resident_id(cangzhou["cang"])
    person = actions.register_person(actor="test", id_number=number, name="王五", region=cangzhou["cang"])
    assert number not in Person.objects.filter(pk=person.pk).values_list("id_number_cipher", flat=True).get()
    client = signed_in_client(make_staff("county_officer", cangzhou["cang"]))
    rows = client.get("/api/v1/identities/persons", {"id_number": number.lower()}).json()["results"]
    assert [r["id"] for r in rows] == [person.pk]
    assert rows[0]["id_number_masked"] == number[:6] + "********" + number[-4:]


@pytest.mark.django_db
def test_duplicate_identity_is_a_field_error(cangzhou, make_staff):
    number = new_resident_id(cangzhou["cang"])
    client = signed_in_client(make_staff("county_officer", cangzhou["cang"]))
    payload = json.dumps({"id_number": number, "name": "赵六"})
    assert client.post("/api/v1/identities/persons", payload, content_type="application/json").status_code == 201
    response = client.post("/api/v1/identities/persons", payload, content_type="application/json")
    assert response.status_code == 422
    assert "已登记" in response.json()["fields"]["id_number"][0]
    assert Person.objects.count() == 1


@pytest.mark.django_db
def test_english_messages_on_request(cangzhou, make_staff):
    client = signed_in_client(make_staff("county_officer", cangzhou["cang"]))
    response = client.post("/api/v1/identities/persons", json.dumps({"id_number": "130921198506010011", "name": "A"}),
                           content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    message = response.json()["fields"]["id_number"][0]
    assert message.isascii() and "check" in message.lower()


@pytest.mark.django_db
def test_reveal_needs_permission_and_is_audited(cangzhou, make_staff):
    number = new_resident_id(cangzhou["cang"])
    person = actions.register_person(actor="test", id_number=number, name="钱七", phone="13912345678", region=cangzhou["cang"])
    url = f"/api/v1/identities/persons/{person.pk}/reveal"
    officer = signed_in_client(make_staff("county_officer", cangzhou["cang"]))
    assert officer.post(url, "{}", content_type="application/json").status_code == 403
    data_officer = make_staff("data_officer", cangzhou["cang"])
    response = signed_in_client(data_officer).post(url, json.dumps({"reason": "核对户籍"}), content_type="application/json")
    assert response.json() == {"id_number": number, "phone": "13912345678"}
    audit = AuditRecord.objects.get(action="identities.person.unmask")
    assert audit.actor_id == data_officer.pk and audit.after["reason"] == "核对户籍"
    assert number not in json.dumps(audit.after) + json.dumps(audit.before)


@pytest.mark.django_db
def test_other_county_officer_can_not_reveal(cangzhou, make_staff):
    person = actions.register_person(actor="test", id_number=new_resident_id(cangzhou["qing"]), name="孙八", region=cangzhou["qing"])
    client = signed_in_client(make_staff("data_officer", cangzhou["cang"]))
    response = client.post(f"/api/v1/identities/persons/{person.pk}/reveal", "{}", content_type="application/json")
    assert response.status_code == 404


@pytest.mark.django_db
def test_audit_trail_never_holds_plaintext_personal_data(cangzhou):
    number = new_resident_id(cangzhou["cang"])
    actions.register_person(actor="test", id_number=number, name="周九", phone="13700001111", region=cangzhou["cang"])
    trail = json.dumps(list(AuditRecord.objects.values("before", "after")), ensure_ascii=False)
    assert number not in trail and "13700001111" not in trail


@pytest.mark.django_db
def test_find_person_by_identity_number(cangzhou):
    number = make_resident_id("130921", date(1979, 4, 4), 7)
    person = actions.register_person(actor="test", id_number=number, name="吴十", region=cangzhou["cang"])
    found = actions.find_person(f" {number.lower()} ")
    assert found.pk == person.pk and found.region_id == cangzhou["cang"].pk
    assert found.created_at.tzinfo is not None and found.birth_date == date(1979, 4, 4)
    assert actions.find_person(make_resident_id("130921", date(1979, 4, 4), 9)) is None
