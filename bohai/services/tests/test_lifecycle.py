"""Every lifecycle transition of an application, the forbidden ones, once-only and the clock."""
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from bohai.engines.workflows.models import TaskStatus, WorkflowTask
from bohai.kernel.audit.service import Conflict
from bohai.licenses.actions import issue_license
from bohai.licenses.models import License
from bohai.services import actions
from bohai.services.models import Application, EventKind, Status, TrustLevel

from .conftest import PNG, at

FORM = {"name": "张明", "id_number": "", "employer": "沧州市运河区某某科技公司", "start_date": "2026-11-01"}


def form_for(resident):
    return {**FORM, "id_number": resident.person.id_number}


def submit(catalogue, resident, **extra):
    options = {"uploads": {"m1": ("id.png", PNG), "m2": ("contract.png", PNG)}, "at": at("2026-11-02T09:00")}
    options.update(extra)
    uploads = {code: _upload(name, content) for code, (name, content) in options.pop("uploads").items()}
    return actions.submit_application(catalogue["employment"], actor=resident, applicant_person=resident.person,
                                      form_data=options.pop("form_data", form_for(resident)), uploads=uploads, **options)


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def task(application, stage):
    return WorkflowTask.objects.get(instance_id=application.workflow_id, stage_key=stage, status=TaskStatus.OPEN)


def run_to_completion(application, staff, start="2026-11-03T09:00"):
    actions.accept_application(application, actor=staff["clerk"], at=at(start))
    for stage, who in (("review", "hr_officer"), ("decide", "hr_head"), ("issue", "hr_officer"), ("deliver", "clerk")):
        application = actions.handle_step(application, task(application, stage), outcome="approve", actor=staff[who],
                                          license_fields={"employment_status": "就业"}, at=at("2026-11-05T10:00"))
    return application


def test_submission_starts_the_clock_and_the_timeline(catalogue, resident, staff):
    application = submit(catalogue, resident)
    assert application.status == Status.SUBMITTED
    assert application.number.startswith("20261102130921")
    assert application.organisation == catalogue["units"]["human_resources"]
    assert application.due_at == at("2026-11-17T00:00")          # 10 working days
    assert application.handled_online
    assert [e.kind for e in application.events.all()] == [EventKind.SUBMITTED]
    assert {m.trust_level for m in application.materials.all()} == {TrustLevel.C}


def test_full_path_to_a_signed_licence(catalogue, resident, staff):
    application = run_to_completion(submit(catalogue, resident), staff)
    assert application.status == Status.COMPLETED
    license = License.objects.get(number=application.license_number)
    assert license.holder_person == resident.person and license.application_number == application.number
    kinds = [e.kind for e in application.events.filter(public=True)]
    assert kinds == [EventKind.SUBMITTED, EventKind.ACCEPTED, EventKind.APPROVED, EventKind.LICENSED,
                     EventKind.DELIVERED, EventKind.COMPLETED]
    assert application.on_time and application.working_days == 3


def test_once_only_takes_the_identity_card_from_the_library(catalogue, resident, staff):
    card = issue_license(type_code="resident_id_card", issuing_organisation=catalogue["units"]["public_security"],
                         holder_person=resident.person, actor="test",
                         fields={"gender": "男", "ethnicity": "汉", "birth_date": "1990-05-01", "address": "沧县旧州镇"})
    application = submit(catalogue, resident, uploads={"m2": ("contract.png", PNG)})
    materials = {m.material_code: m for m in application.materials.all()}
    assert materials["m1"].trust_level == TrustLevel.A and materials["m1"].license_number == card.number
    assert materials["m1"].stored_file is None


def test_missing_materials_and_bad_fields_are_named_together(catalogue, resident):
    with pytest.raises(ValidationError) as error:
        submit(catalogue, resident, uploads={}, form_data={**form_for(resident), "start_date": "2026-13-01",
                                                          "monthly_wage": "-5"})
    fields = error.value.message_dict
    assert set(fields) == {"materials.m1", "materials.m2", "form.start_date", "form.monthly_wage"}
    assert "居民身份证" in fields["materials.m1"][0]
    assert not Application.objects.exists()


def test_a_bad_identity_number_says_why(catalogue, resident):
    bad = resident.person.id_number[:-1] + ("0" if resident.person.id_number[-1] != "0" else "1")
    with pytest.raises(ValidationError) as error:
        submit(catalogue, resident, form_data={**form_for(resident), "id_number": bad})
    assert "校验码" in error.value.message_dict["form.id_number"][0]


def test_an_upload_that_is_not_an_image_is_refused(catalogue, resident):
    with pytest.raises(ValidationError) as error:
        submit(catalogue, resident, uploads={"m1": ("id.png", b"MZ\x90\x00 not an image"), "m2": ("c.png", PNG)})
    assert "materials.m1" in error.value.message_dict


def test_double_submit_with_one_key_creates_one_application(catalogue, resident):
    first = submit(catalogue, resident, idempotency_key="k-1")
    second = submit(catalogue, resident, idempotency_key="k-1")
    assert first.pk == second.pk and Application.objects.count() == 1


def test_entity_item_refuses_a_person(catalogue, resident):
    with pytest.raises(ValidationError) as error:
        actions.submit_application(catalogue["clinic"], actor=resident, applicant_person=resident.person, form_data={})
    assert "applicant" in error.value.message_dict


def test_reject_with_reasons(catalogue, resident, staff):
    application = actions.reject_application(submit(catalogue, resident), reason="不属于本部门职责", actor=staff["clerk"])
    assert application.status == Status.REJECTED and application.completed_at
    assert application.events.filter(kind=EventKind.REJECTED, params__reason="不属于本部门职责").exists()


def test_supplement_lists_everything_once_and_pauses_the_clock(catalogue, resident, staff):
    application = submit(catalogue, resident)
    with pytest.raises(ValidationError):
        actions.request_supplement(application, items=[" "], actor=staff["clerk"])
    application = actions.request_supplement(application, items=["劳动合同缺少签字页", "身份证照片不清晰"],
                                             actor=staff["clerk"], at=at("2026-11-02T15:00"))
    assert application.status == Status.SUPPLEMENT
    assert application.events.get(kind=EventKind.SUPPLEMENT_REQUESTED).params["items"] == ["劳动合同缺少签字页", "身份证照片不清晰"]
    with pytest.raises(Conflict):
        actions.accept_application(application, actor=staff["clerk"])
    application = actions.supplement_application(application, actor=resident, uploads={"m2": _upload("c2.png", PNG)},
                                                 at=at("2026-11-05T09:00"))
    assert application.status == Status.SUBMITTED
    assert application.due_at == at("2026-11-20T00:00")      # three paused working days added back


def test_denial_in_review(catalogue, resident, staff):
    application = submit(catalogue, resident)
    actions.accept_application(application, actor=staff["clerk"])
    application = actions.handle_step(application, task(application, "review"), outcome="deny", comment="劳动合同无效",
                                      actor=staff["hr_officer"])
    assert application.status == Status.DENIED and application.reason == "劳动合同无效"
    assert not License.objects.exists()


def test_withdraw_before_decision_only(catalogue, resident, staff):
    application = submit(catalogue, resident)
    application = actions.withdraw_application(application, reason="不办了", actor=resident)
    assert application.status == Status.WITHDRAWN
    decided = run_to_completion(submit(catalogue, resident, idempotency_key="2"), staff)
    with pytest.raises(Conflict):
        actions.withdraw_application(decided, actor=resident)


def test_only_the_steps_officer_may_act(catalogue, resident, staff):
    application = submit(catalogue, resident)
    with pytest.raises(PermissionDenied):
        actions.accept_application(application, actor=staff["hr_officer"])
    actions.accept_application(application, actor=staff["clerk"])
    with pytest.raises(PermissionDenied):
        actions.handle_step(application, task(application, "review"), outcome="approve", actor=staff["health_officer"])


def test_two_officers_on_one_step_only_one_wins(catalogue, resident, staff):
    application = submit(catalogue, resident)
    actions.accept_application(application, actor=staff["clerk"])
    review = task(application, "review")
    stale = WorkflowTask.objects.get(pk=review.pk)
    actions.handle_step(application, review, outcome="approve", actor=staff["hr_officer"])
    with pytest.raises(Conflict):
        actions.handle_step(application, stale, outcome="approve", actor=staff["hr_officer"])


def test_parallel_review_across_departments(catalogue, enterprise, staff, make_staff, cangzhou):
    agent = make_staff(None, cangzhou["cang"])
    issue_license(type_code="business_licence", issuing_organisation=organisation_for(catalogue, "market_regulation", cangzhou),
                  holder_entity=enterprise, actor="test",
                  fields={"entity_type": "有限责任公司", "legal_representative": "李华", "registered_capital": "50万元",
                          "established_on": "2020-03-01", "address": "沧县旧州镇", "business_scope": "住宿服务"})
    application = actions.submit_application(catalogue["clinic"], actor=agent, applicant_entity=enterprise,
                                             form_data={"place": "好客旅馆", "area": "320.5"})
    assert application.materials.get().trust_level == TrustLevel.A
    actions.accept_application(application, actor=staff["clerk"])
    fire = WorkflowTask.objects.get(instance_id=application.workflow_id, step_key="fire")
    hygiene = WorkflowTask.objects.get(instance_id=application.workflow_id, step_key="hygiene")
    assert fire.organisation == catalogue["units"]["fire_rescue"]
    application = actions.handle_step(application, fire, outcome="approve", actor=staff["fire_officer"])
    assert application.status == Status.IN_REVIEW
    application = actions.handle_step(application, hygiene, outcome="approve", actor=staff["health_officer"])
    application = actions.handle_step(application, task(application, "decide"), outcome="approve", actor=staff["health_head"])
    assert application.status == Status.APPROVED
    application = actions.handle_step(application, task(application, "deliver"), outcome="approve", actor=staff["clerk"])
    assert application.status == Status.COMPLETED and not application.license_number


def organisation_for(catalogue, function, cangzhou):
    from bohai.testing.fixtures import organisation_in

    return organisation_in(cangzhou["cang"], function)


def test_review_and_rectification(catalogue, resident, staff, make_staff, cangzhou):
    application = run_to_completion(submit(catalogue, resident), staff)
    with pytest.raises(ValidationError):
        actions.review_application(application, rating=2, actor=resident)     # a bad review needs a reason
    review = actions.review_application(application, rating=2, comment="窗口让我跑了两趟", dimensions={"efficiency": 2},
                                        actor=resident, at=at("2026-11-06T10:00"))
    rectification = review.rectification
    assert rectification.due_at == at("2026-11-28T00:00")        # 15 working days from Fri 6 Nov
    from bohai.kernel.notifications.models import Notification
    assert Notification.objects.filter(recipient=staff["hr_head"], topic="services.rectification").exists()
    with pytest.raises(Conflict):
        actions.close_rectification(rectification, actor="system:test")
    actions.answer_rectification(rectification, response="已约谈窗口人员并优化材料清单，推行一次告知。", actor=staff["hr_head"],
                                 at=at("2026-11-20T10:00"))
    with pytest.raises(PermissionDenied):
        actions.close_rectification(rectification, actor=staff["hr_head"])   # the department does not close its own
    office = make_staff("city_officer", cangzhou["city"])
    rectification = actions.close_rectification(rectification, actor=office)
    assert rectification.status == "closed" and rectification.on_time
    with pytest.raises(Conflict):
        actions.review_application(application, rating=5, actor=resident)


def test_good_review_opens_nothing(catalogue, resident, staff):
    application = run_to_completion(submit(catalogue, resident), staff)
    review = actions.review_application(application, rating=5, actor=resident)
    assert not hasattr(review, "rectification") or review.rectification is None


def test_cannot_review_before_completion(catalogue, resident):
    with pytest.raises(Conflict):
        actions.review_application(submit(catalogue, resident), rating=5, actor=resident)


def test_scoping_by_department_and_county(catalogue, resident, staff, make_staff, cangzhou):
    application = submit(catalogue, resident)
    assert Application.objects.restrict(staff["hr_officer"]).filter(pk=application.pk).exists()
    assert not Application.objects.restrict(staff["health_officer"]).filter(pk=application.pk).exists()
    qing_clerk = make_staff("window_clerk", cangzhou["qing"])
    assert not Application.objects.restrict(qing_clerk).filter(pk=application.pk).exists()
