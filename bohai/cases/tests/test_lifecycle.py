"""The seven stages of a 数字城管 case and the 12345 loop: every transition, the forbidden ones, counts and limits."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from bohai.cases import actions
from bohai.cases.duplicates import possible_duplicates
from bohai.cases.models import Case, DispatchCorrection, Status, Track
from bohai.kernel.audit.service import Conflict

from .conftest import INSIDE, OUTSIDE, at


def patrol(city, people, text="解放路和永济路口有个井盖丢了，很危险", code="P0101", when="2026-11-02T09:00", where=INSIDE):
    return actions.report_case(actor=people["grid_worker"], track="city", source="patrol", description=text,
                               case_class=city["classes"][code], lng=where[0], lat=where[1], at=at(when))


def through_dispatch(case, city, people, unit="urban_management"):
    case = actions.file_case(case, actor=people["supervisor"], at=at("2026-11-02T09:20"))
    return actions.dispatch_case(case, organisation=city["units"][unit], actor=people["dispatcher"], at=at("2026-11-02T09:40"))


def test_location_resolves_to_county_township_and_suggestion(city, people):
    case = patrol(city, people)
    assert case.county == city["cang"] and case.township == city["township"]
    assert case.status == Status.REPORTED and case.number.startswith("CG20261102")
    top = case.suggestion["top"]
    assert len(top) == 3 and top[0]["class_code"] == "P0101" and top[0]["confidence"] > 0.3
    assert top[0]["organisation_name"] == city["units"]["urban_management"].name


def test_bad_input_is_refused_with_field_messages(city, people):
    with pytest.raises(ValidationError) as error:
        actions.report_case(actor=people["grid_worker"], track="city", source="patrol", description=" ",
                            lng=OUTSIDE[0], lat=OUTSIDE[1])
    assert set(error.value.message_dict) == {"description", "location"}
    with pytest.raises(ValidationError) as error:
        actions.report_case(actor=people["grid_worker"], track="city", source="patrol", description="字" * 4001,
                            lng=INSIDE[0], lat=INSIDE[1], photos=[b"not an image"])
    assert "description" in error.value.message_dict and "photos[0]" in error.value.message_dict


def test_the_seven_stages_to_closure(city, people):
    case = through_dispatch(patrol(city, people), city, people)
    assert case.status == Status.DISPATCHED
    case = actions.sign_case(case, actor=people["urban"], at=at("2026-11-02T10:00"))
    assert case.status == Status.HANDLING and case.first_dispatch_correct
    assert case.due_at == at("2026-11-02T14:00")          # urgent class: 4 clock hours from signing
    case = actions.report_handled(case, actor=people["urban"], note="已更换新井盖", at=at("2026-11-02T12:00"))
    assert case.status == Status.HANDLED
    case = actions.verify_case(case, actor=people["grid_worker"], passed=True, at=at("2026-11-02T13:00"))
    assert case.status == Status.CLOSED and case.on_time
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == ["reported", "filed", "dispatched", "signed", "handled", "verified"]


def test_send_back_and_redispatch_counts(city, people):
    case = through_dispatch(patrol(city, people), city, people, unit="water")
    with pytest.raises(PermissionDenied):
        actions.send_back(case, reason="不属于本单位", actor=people["urban"])
    case = actions.send_back(case, reason="井盖属城管维护，非供水井", actor=people["water"])
    assert case.status == Status.FILED and case.sendback_count == 1 and case.organisation is None
    case = actions.dispatch_case(case, organisation=city["units"]["urban_management"], actor=people["dispatcher"])
    case = actions.sign_case(case, actor=people["urban"])
    assert case.first_dispatch_correct is False and case.dispatch_count == 2


def test_failed_verification_is_rework(city, people):
    case = actions.sign_case(through_dispatch(patrol(city, people), city, people), actor=people["urban"])
    case = actions.report_handled(case, actor=people["urban"], note="已处理完毕")
    with pytest.raises(ValidationError):
        actions.verify_case(case, actor=people["grid_worker"], passed=False)
    case = actions.verify_case(case, actor=people["grid_worker"], passed=False, note="井盖仍未安装")
    assert case.status == Status.HANDLING and case.rework_count == 1
    case = actions.report_handled(case, actor=people["urban"], note="已安装防坠网和井盖")
    case = actions.verify_case(case, actor=people["grid_worker"], passed=True)
    assert case.status == Status.CLOSED and case.verified_count == 2


def test_forbidden_transitions(city, people):
    case = patrol(city, people)
    with pytest.raises(Conflict):
        actions.sign_case(case, actor=people["urban"])
    with pytest.raises(PermissionDenied):
        actions.file_case(case, actor=people["grid_worker"])
    case = through_dispatch(case, city, people)
    with pytest.raises(PermissionDenied):
        actions.sign_case(case, actor=people["qing_handler"])
    with pytest.raises(Conflict):
        actions.dispatch_case(case, organisation=city["units"]["water"], actor=people["dispatcher"])


def test_two_dispatchers_cannot_both_dispatch(city, people):
    from bohai.engines.workflows.models import TaskStatus, WorkflowTask

    case = actions.file_case(patrol(city, people), actor=people["supervisor"])
    task = WorkflowTask.objects.get(instance_id=case.workflow_id, stage_key="dispatch", status=TaskStatus.OPEN)
    actions.dispatch_case(case, organisation=city["units"]["urban_management"], actor=people["dispatcher"],
                          expected_version=task.version)
    with pytest.raises(Conflict):
        actions.dispatch_case(case, organisation=city["units"]["water"], actor=people["dispatcher"],
                              expected_version=task.version)
    assert Case.objects.get(pk=case.pk).organisation == city["units"]["urban_management"]


def test_refuse_and_merge_duplicates(city, people):
    first = patrol(city, people)
    second = patrol(city, people, text="路口井盖没了，差点有人掉下去", when="2026-11-02T11:00")
    assert first in possible_duplicates(second)
    far = patrol(city, people, when="2026-11-04T11:00")
    assert first not in possible_duplicates(far)
    merged = actions.refuse_case(second, reason="与先报案件重复", duplicate_of=first, actor=people["supervisor"])
    assert merged.status == Status.MERGED and merged.duplicate_of == first
    with pytest.raises(ValidationError):
        actions.refuse_case(far, reason="", actor=people["supervisor"])


def test_handling_limit_in_working_days_and_extension(city, people):
    case = patrol(city, people, text="小区门口路灯不亮好几天了", code="P0102")
    case = actions.sign_case(through_dispatch(case, city, people), actor=people["urban"], at=at("2026-11-06T10:00"))
    assert case.due_at == at("2026-11-12T00:00")           # 3 working days from Friday: Mon, Tue, Wed
    extension = actions.request_extension(case, days=2, reason="需更换整段电缆", actor=people["urban"])
    actions.decide_extension(extension, approve=True, actor=people["supervisor"])
    assert Case.objects.get(pk=case.pk).due_at == at("2026-11-14T00:00")


def test_correcting_the_class_is_kept_for_retraining(city, people):
    case = patrol(city, people, text="路边一堆建筑垃圾没人管", code="E0102")
    case = actions.file_case(case, actor=people["supervisor"])
    actions.dispatch_case(case, organisation=city["units"]["urban_management"], case_class=city["classes"]["E0302"],
                          actor=people["dispatcher"])
    correction = DispatchCorrection.objects.get(case=case)
    assert correction.chosen == "muck_spill"


def test_backlog_stops_the_clock(city, people):
    case = actions.sign_case(through_dispatch(patrol(city, people, code="P0102"), city, people), actor=people["urban"])
    case = actions.defer_case(case, reason="需列入明年改造计划", actor=people["supervisor"])
    assert case.status == Status.DEFERRED
    case = actions.resume_deferred(case, actor=people["supervisor"])
    assert case.status == Status.HANDLING


def test_hotline_loop(city, people):
    appeal = actions.report_case(actor=people["operator"], track="hotline", source="hotline", appeal_type="complaint",
                                 description="我们小区停水两天了也没人通知", region=city["township"], caller_name="王小红",
                                 caller_phone="13900001111", case_class=city["classes"]["T-water_supply"],
                                 at=at("2026-11-02T09:00"))
    assert appeal.track == Track.HOTLINE and appeal.status == Status.ACCEPTED
    assert appeal.caller_name_masked == "王*红" and appeal.caller_phone_masked == "139****1111"
    appeal = actions.dispatch_case(appeal, organisation=city["units"]["water"], actor=people["operator"],
                                   at=at("2026-11-02T09:30"))
    assert appeal.status == Status.HANDLING and appeal.due_at == at("2026-11-03T09:30")   # utilities: 24 hours
    appeal = actions.report_handled(appeal, actor=people["water"], note="管道抢修完毕，已恢复供水")
    assert appeal.status == Status.REPLIED
    appeal = actions.follow_up(appeal, satisfaction="satisfied", actor=people["operator"])
    assert appeal.status == Status.CLOSED and appeal.satisfaction == "satisfied"


def test_hotline_send_back_returns_to_routing(city, people):
    appeal = actions.report_case(actor=people["operator"], track="hotline", source="hotline", appeal_type="help",
                                 description="楼下烧烤油烟太大", region=city["township"])
    appeal = actions.dispatch_case(appeal, organisation=city["units"]["water"], actor=people["operator"])
    appeal = actions.send_back(appeal, reason="油烟属城管执法", actor=people["water"])
    assert appeal.status == Status.ACCEPTED and appeal.sendback_count == 1


def test_scoping_by_county_and_unit(city, people):
    case = through_dispatch(patrol(city, people), city, people)
    assert Case.objects.restrict(people["urban"]).filter(pk=case.pk).exists()
    assert not Case.objects.restrict(people["qing_handler"]).filter(pk=case.pk).exists()


def test_only_the_supervision_centre_defers(city, people):
    case = actions.sign_case(through_dispatch(patrol(city, people, code="P0102"), city, people), actor=people["urban"])
    with pytest.raises(PermissionDenied):
        actions.defer_case(case, reason="需列入明年改造计划", actor=people["urban"])


def test_the_callers_number_is_revealed_only_with_a_reason_and_audited(city, people):
    from bohai.kernel.audit.models import AuditRecord

    appeal = actions.report_case(actor=people["operator"], track="hotline", source="hotline", appeal_type="help",
                                 description="家里暖气不热", region=city["township"], caller_phone="13900001111")
    with pytest.raises(ValidationError):
        actions.reveal_caller_phone(appeal, reason="", actor=people["operator"])
    assert actions.reveal_caller_phone(appeal, reason="回访", actor=people["operator"]) == "13900001111"
    with pytest.raises(PermissionDenied):
        actions.reveal_caller_phone(appeal, reason="回访", actor=people["urban"])
    assert AuditRecord.objects.filter(action="cases.caller.reveal").count() == 1


def test_an_unknown_appeal_type_is_refused(city, people):
    with pytest.raises(ValidationError) as error:
        actions.report_case(actor=people["operator"], track="hotline", source="hotline", appeal_type="gossip",
                            description="随便问问", region=city["township"])
    assert "appeal_type" in error.value.message_dict
