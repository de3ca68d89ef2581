"""A county officer can neither see nor change another county's records through the pages."""
from datetime import date

import pytest

from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.identities import actions
from bohai.kernel.identities.models import Person
from bohai.kernel.identities.validators import make_credit_code, make_resident_id
from bohai.testing.fixtures import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_counties(cangzhou, make_staff):
    mine = actions.register_person(actor="t", id_number=make_resident_id("130921", date(1980, 3, 3), 21), name="沧县张三", region=cangzhou["cang"])
    theirs = actions.register_person(actor="t", id_number=make_resident_id("130922", date(1980, 3, 3), 23), name="青县李四", region=cangzhou["qing"])
    their_entity = actions.register_legal_entity(actor="t", credit_code=make_credit_code("91", "130922", "12345678"), name="青县某公司", region=cangzhou["qing"])
    officer = make_staff("county_officer", cangzhou["cang"])
    return {"mine": mine, "theirs": theirs, "their_entity": their_entity, "client": signed_in_client(officer), **cangzhou}


def test_person_list_shows_only_own_county(two_counties):
    page = two_counties["client"].get("/work/persons/").content.decode()
    assert "沧县张三" in page and "青县李四" not in page
    assert two_counties["mine"].id_number_masked in page


def test_other_county_pages_answer_404(two_counties):
    client = two_counties["client"]
    assert client.get(f"/work/persons/{two_counties['mine'].pk}/").status_code == 200
    assert client.get(f"/work/persons/{two_counties['theirs'].pk}/").status_code == 404
    assert client.post(f"/work/persons/{two_counties['theirs'].pk}/reveal/", {"reason": "x"}).status_code == 404
    assert client.get(f"/work/legal-entities/{two_counties['their_entity'].pk}/").status_code == 404


def test_registering_into_another_county_is_refused(two_counties):
    number = make_resident_id("130922", date(1991, 1, 1), 25)
    response = two_counties["client"].post("/work/persons/new/", {"id_number": number, "name": "越权登记"})
    assert response.status_code == 200
    assert "不在您的权限范围内" in response.content.decode()
    assert not Person.objects.filter(name="越权登记").exists()


def test_register_form_shows_field_errors_in_chinese(two_counties):
    response = two_counties["client"].post("/work/persons/new/", {"id_number": "130921198003030211", "name": ""})
    page = response.content.decode()
    assert "校验码" in page and "必填" in page or "这个字段是必填项" in page


def test_register_through_the_page_is_audited(two_counties):
    number = make_resident_id("130921", date(1992, 2, 2), 27)
    response = two_counties["client"].post("/work/persons/new/", {"id_number": number, "name": "新登记"})
    assert response.status_code == 302
    person = Person.objects.get(name="新登记")
    audit = AuditRecord.objects.get(action="identities.person.register", target_id=str(person.pk))
    assert audit.channel == "web"


def test_reveal_page_is_audited_for_data_officer(two_counties, make_staff):
    client = signed_in_client(make_staff("data_officer", two_counties["cang"]))
    response = client.post(f"/work/persons/{two_counties['mine'].pk}/reveal/", {"reason": "核对"})
    assert two_counties["mine"].id_number in response.content.decode()
    assert AuditRecord.objects.filter(action="identities.person.unmask").count() == 1


def test_residents_can_not_enter_the_workbench(two_counties, client):
    from bohai.kernel.accounts.actions import create_resident_account

    resident = create_resident_account(actor="t", username="resident1", password="Resident-2026!", person=two_counties["mine"])
    response = signed_in_client(resident).get("/work/persons/")
    assert response.status_code == 403
