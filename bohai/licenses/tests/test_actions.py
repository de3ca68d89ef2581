"""Issuing, status changes and expiry: validation, numbering, audit, events and the verdicts."""
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.events.models import OutboxEvent
from bohai.kernel.jobs.registry import registry
from bohai.licenses import actions, queries, reference
from bohai.licenses.models import License, LicenseStatus, LicenseType
from bohai.licenses.verification import Verdict, verify_license
from bohai.testing.fixtures import organisation_in

from .conftest import BUSINESS_FIELDS, ID_CARD_FIELDS, issue_business_licence, issue_id_card, new_person


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


# The reference types ------------------------------------------------------------------------------

def test_the_reference_types_load_once_with_the_catalogues_codes(license_types):
    codes = set(LicenseType.objects.values_list("code", flat=True))
    assert {"resident_id_card", "household_register", "birth_certificate", "marriage_certificate",
            "social_security_card", "employment_card", "retirement_certificate", "medical_insurance_certificate",
            "driving_licence", "academic_certificate", "practising_doctor_certificate", "real_estate_certificate",
            "business_licence", "individual_business_licence", "food_business_permit", "drug_business_permit",
            "special_equipment_registration", "public_place_health_permit", "construction_planning_permit",
            "construction_permit", "pollutant_discharge_permit", "road_transport_permit", "pesticide_business_permit",
            "elderly_care_filing", "fire_safety_certificate"} <= codes
    assert actions.load_license_types(actor="test") == {"created": 0, "updated": 0, "total": len(reference.LICENSE_TYPES)}
    food = LicenseType.objects.get(code="food_business_permit")
    assert (food.name, food.issuing_function, food.holder_kind, food.validity_years) == (
        "食品经营许可证", "market_regulation", "entity", 5)
    assert [f["label"] for f in food.fields][:3] == ["经营场所", "主体业态", "经营项目"]
    assert LicenseType.objects.get(code="real_estate_certificate").holder_kind == "either"
    assert LicenseType.objects.get(code="household_register").validity_years is None


def test_changed_fields_give_a_type_its_next_version(license_types):
    LicenseType.objects.filter(code="marriage_certificate").update(fields=[])
    assert actions.load_license_types(actor="test")["updated"] == 1
    assert LicenseType.objects.get(code="marriage_certificate").version == 2


def test_license_types_lists_them_all(license_types):
    assert queries.license_types().count() == len(reference.LICENSE_TYPES)


# Issuing ----------------------------------------------------------------------------------------------------

def test_issue_numbers_dates_and_masks(id_card):
    today = timezone.localdate()
    assert id_card.number == f"SFZ130921{today.year}000001"
    assert (id_card.issue_date, id_card.valid_from) == (today, today)
    assert id_card.valid_until == today.replace(year=today.year + 20)
    assert id_card.holder_id_type == "111"
    assert id_card.holder_id_masked.startswith("130921") and "*" in id_card.holder_id_masked
    assert id_card.holder_id_number not in (id_card.holder_id_masked, id_card.holder_id_cipher)
    assert (id_card.agency_name, id_card.division_code) == (id_card.issuing_organisation.name, "130921")
    assert id_card.status == LicenseStatus.VALID and id_card.extension["ethnicity"] == "汉"
    assert (id_card.service_item_code, id_card.application_number) == ("11130900MB0000000X-001", "BH2026000001")


def test_serials_count_up_per_type_and_division(license_types, units, person):
    numbers = [issue_id_card(person, units["cang_police"]).number for _ in range(3)]
    assert [n[-6:] for n in numbers] == ["000001", "000002", "000003"]
    assert issue_id_card(person, units["qing_police"]).number.endswith("130922" + numbers[0][-10:-6] + "000001")


def test_issue_is_audited_without_the_plain_number_and_publishes_an_event(id_card):
    record = AuditRecord.objects.get(action="licenses.license.issue", target_id=str(id_card.pk))
    assert record.after["number"] == id_card.number and record.after["holder_id_masked"] == id_card.holder_id_masked
    assert id_card.holder_id_number not in str(record.after)
    assert "holder_id_cipher" not in record.after and "holder_id_index" not in record.after
    event = OutboxEvent.objects.get(name="licenses.issued")
    assert event.payload["number"] == id_card.number and event.payload["holder_person_id"] == id_card.holder_person_id
    assert AuditRecord.objects.filter(action="licenses.signing_key.generate").count() == 1


def test_an_entity_licence_carries_the_credit_code_type(license_types, units, entity):
    licence = issue_business_licence(entity, units["cang_market"])
    assert licence.holder_id_type == "001" and licence.holder_name == entity.name
    assert licence.valid_until is None and licence.number.startswith("YYZZ130921")
    assert verify_license(licence.number).verdict == Verdict.VALID


def test_a_person_type_refuses_an_entity_with_a_field_message(license_types, units, entity):
    errors = errors_of(lambda: actions.issue_license(
        type_code="resident_id_card", issuing_organisation=units["cang_police"], holder_entity=entity,
        fields=ID_CARD_FIELDS, actor="test"))
    assert errors == {"holder_entity": ["居民身份证只能颁发给自然人，不能颁发给法人或其他组织"]}


def test_an_entity_type_refuses_a_person_with_a_field_message(license_types, units, person):
    errors = errors_of(lambda: actions.issue_license(
        type_code="business_licence", issuing_organisation=units["cang_market"], holder_person=person,
        fields=BUSINESS_FIELDS, actor="test"))
    assert errors == {"holder_person": ["营业执照只能颁发给法人或其他组织，不能颁发给自然人"]}


def test_either_kind_takes_one_holder_but_not_two_or_none(license_types, cangzhou, person, entity):
    unit = organisation_in(cangzhou["cang"], "natural_resources")
    fields = {"unit_number": "130921001001GB00001F00010001", "location": "沧县旧州镇东街 8 号", "right_type": "国有建设用地使用权/房屋所有权",
              "usage": "住宅", "area": "96.5"}
    for holder in ({"holder_person": person}, {"holder_entity": entity}):
        assert actions.issue_license(type_code="real_estate_certificate", issuing_organisation=unit, fields=fields,
                                     actor="test", **holder).status == LicenseStatus.VALID
    assert "holder_entity" in errors_of(lambda: actions.issue_license(
        type_code="real_estate_certificate", issuing_organisation=unit, fields=fields, actor="test",
        holder_person=person, holder_entity=entity))
    assert errors_of(lambda: actions.issue_license(
        type_code="real_estate_certificate", issuing_organisation=unit, fields=fields, actor="test")) == {
        "holder_person": ["请指定持证主体"]}


def test_fields_are_checked_one_by_one_in_chinese(license_types, units, entity):
    fields = {**BUSINESS_FIELDS, "established_on": "2016-02-30", "legal_representative": " ", "colour": "红"}
    errors = errors_of(lambda: actions.issue_license(
        type_code="business_licence", issuing_organisation=units["cang_market"], holder_entity=entity,
        fields=fields, actor="test"))
    assert errors == {
        "fields.established_on": ["成立日期应为日期，格式 YYYY-MM-DD"],
        "fields.legal_representative": ["请填写法定代表人"],
        "fields.colour": ["证照类型中没有此项"],
    }
    assert not License.objects.exists()


def test_a_number_field_must_be_a_number(license_types, cangzhou, entity):
    unit = organisation_in(cangzhou["cang"], "civil_affairs")
    errors = errors_of(lambda: actions.issue_license(
        type_code="elderly_care_filing", issuing_organisation=unit, holder_entity=entity, actor="test",
        fields={"address": "沧县", "beds": "很多", "service_scope": "全托"}))
    assert errors == {"fields.beds": ["床位数应为数字"]}


def test_the_issuer_must_be_the_types_department_or_the_approval_bureau(license_types, cangzhou, units, entity):
    errors = errors_of(lambda: issue_business_licence(entity, units["cang_police"]))
    assert list(errors) == ["issuing_organisation"] and "不是营业执照的颁证部门" in errors["issuing_organisation"][0]
    bureau = organisation_in(cangzhou["cang"], "administrative_approval")
    assert issue_business_licence(entity, bureau).agency_name == bureau.name


def test_unknown_type_and_reversed_dates(license_types, units, person):
    assert list(errors_of(lambda: actions.issue_license(
        type_code="no_such", issuing_organisation=units["cang_police"], holder_person=person, actor="test"))) == ["type_code"]
    assert errors_of(lambda: issue_id_card(person, units["cang_police"], valid_from=date(2026, 1, 1),
                                           valid_until=date(2025, 1, 1))) == {"valid_until": ["有效期截止日期不能早于起始日期"]}


def test_a_failed_issue_leaves_nothing(license_types, units, entity):
    before = (AuditRecord.objects.count(), OutboxEvent.objects.count())
    with pytest.raises(ValidationError):
        issue_business_licence(entity, units["cang_police"])
    assert (AuditRecord.objects.count(), OutboxEvent.objects.count()) == before


# Status changes --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("change, status, verdict", [
    (actions.revoke_license, "03", Verdict.REVOKED),
    (actions.suspend_license, "02", Verdict.SEIZED),
    (actions.cancel_license, "04", Verdict.CANCELLED),
    (actions.revoke_license_by_penalty, "07", Verdict.REVOKED_BY_PENALTY),
    (actions.transfer_license_out, "06", Verdict.TRANSFERRED),
])
def test_a_status_change_changes_the_verdict_and_is_audited(id_card, change, status, verdict):
    changed = change(id_card, reason="依法处理", actor="test")
    assert changed.status == status and changed.status_reason == "依法处理"
    assert verify_license(id_card.number).verdict == verdict
    record = AuditRecord.objects.filter(target_type="licenses.license", target_id=str(id_card.pk)).exclude(
        action="licenses.license.issue").get()
    assert record.before == {"status": "01", "status_reason": "", "status_changed_at": None,
                             "updated_at": record.before["updated_at"]}
    assert record.after["status"] == status and record.after["status_reason"] == "依法处理"
    assert OutboxEvent.objects.filter(name="licenses.status_changed").get().payload["previous_status"] == "01"


def test_restore_brings_a_seized_licence_back(id_card):
    actions.suspend_license(id_card, reason="涉嫌违法", actor="test")
    assert verify_license(id_card.number).verdict == Verdict.SEIZED
    actions.restore_license(id_card, reason="调查结束", actor="test")
    assert verify_license(id_card.number).verdict == Verdict.VALID
    assert AuditRecord.objects.filter(action="licenses.license.restore", target_id=str(id_card.pk)).count() == 1


def test_transitions_that_make_no_sense_are_refused(id_card):
    assert errors_of(lambda: actions.restore_license(id_card, reason="x", actor="test")) == {
        "status": ["证照当前状态为“有效”，不能恢复"]}
    actions.revoke_license(id_card, reason="错发", actor="test")
    assert "status" in errors_of(lambda: actions.suspend_license(id_card, reason="x", actor="test"))
    assert errors_of(lambda: actions.cancel_license(id_card, reason=" ", actor="test")) == {"reason": ["请填写原因"]}


def test_the_expiry_job_marks_licences_past_their_last_day(license_types, units, person):
    today = timezone.localdate()
    past = issue_id_card(person, units["cang_police"], valid_from=today.replace(year=today.year - 21))
    last_day = issue_id_card(person, units["cang_police"], valid_from=today - timedelta(days=365 * 20),
                             valid_until=today)
    assert verify_license(past.number).verdict == Verdict.EXPIRED  # by its dates, before the job runs
    definition = registry.get("licenses.expire_due")
    assert definition.every == timedelta(hours=1)
    assert definition.function() == {"expired": 1}
    assert License.objects.get(pk=past.pk).status == LicenseStatus.EXPIRED
    assert License.objects.get(pk=last_day.pk).status == LicenseStatus.VALID
    record = AuditRecord.objects.get(action="licenses.license.expire")
    assert record.after["count"] == 1 and record.after["first"] == past.number
    assert record.actor_label == "system:licenses.expire"
    assert verify_license(past.number).verdict == Verdict.EXPIRED
    assert definition.function() == {"expired": 0}


def test_a_licence_not_yet_in_force(license_types, units, person):
    soon = issue_id_card(person, units["cang_police"], valid_from=timezone.localdate() + timedelta(days=3))
    assert verify_license(soon.number).verdict == Verdict.NOT_YET_VALID


# What other systems call -------------------------------------------------------------------------------

def test_valid_licenses_of_a_holder(license_types, units, cangzhou, person, entity):
    today = timezone.localdate()
    valid = issue_id_card(person, units["cang_police"])
    issue_id_card(person, units["cang_police"], valid_from=today.replace(year=today.year - 21))
    revoked = issue_id_card(person, units["cang_police"])
    actions.revoke_license(revoked, reason="错发", actor="test")
    issue_id_card(new_person(cangzhou["cang"], "李四"), units["cang_police"])
    business = issue_business_licence(entity, units["cang_market"])
    assert list(queries.valid_licenses_of(person=person)) == [valid]
    assert list(queries.valid_licenses_of(legal_entity=entity)) == [business]
    with pytest.raises(TypeError):
        queries.valid_licenses_of()


def test_the_issuing_unit_for_a_place(license_types, cangzhou, units):
    assert queries.issuing_unit("resident_id_card", cangzhou["township"]) == units["cang_police"]
    city_fire = organisation_in(cangzhou["city"], "fire_rescue")
    assert queries.issuing_unit("fire_safety_certificate", cangzhou["township"]) == city_fire


def test_a_unit_in_a_functional_zone_numbers_with_its_citys_code(license_types, cangzhou, entity):
    from bohai.kernel.regions.models import Region

    zone = Region(key="ZONE-BHXQ", name="渤海新区", level="zone", parent=cangzhou["city"])
    zone.path = zone.build_path()
    zone.save()
    licence = issue_business_licence(entity, organisation_in(zone, "market_regulation"))
    assert licence.division_code == "130900" and licence.number.startswith("YYZZ130900")
    assert verify_license(licence.number).verdict == Verdict.VALID
