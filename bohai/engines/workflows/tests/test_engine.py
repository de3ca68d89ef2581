"""The workflow engine: stages in order, parallel branches, returns, denials, races, clocks, cards."""
from datetime import datetime

import pytest
from django.core.exceptions import ValidationError

from bohai.engines.workdays.actions import load_reference_holidays
from bohai.engines.workdays.clock import LOCAL_ZONE
from bohai.engines.workflows import actions
from bohai.engines.workflows.deadlines import raise_warnings
from bohai.engines.workflows.definitions import Process
from bohai.engines.workflows.models import InstanceStatus, TaskStatus, Warning
from bohai.engines.workflows.queries import can_act, tasks_for
from bohai.kernel.accounts import actions as account_actions
from bohai.kernel.audit.service import Conflict
from bohai.testing.fixtures import organisation_in

BUILDING = {"stages": [
    {"key": "accept", "name": "受理", "role": "window_clerk", "days": 1},
    {"key": "review", "name": "并联审查", "parallel": [
        {"key": "planning", "name": "规划审查", "role": "county_officer", "days": 5, "department": "natural_resources"},
        {"key": "fire", "name": "消防审查", "role": "county_officer", "days": 3, "department": "fire_rescue"}]},
    {"key": "decide", "name": "决定", "role": "department_head", "days": 2},
]}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_ZONE)


@pytest.fixture
def units(cangzhou, roles):
    load_reference_holidays(actor="test")
    return {function: organisation_in(cangzhou["cang"], function)
            for function in ("housing_construction", "natural_resources", "fire_rescue")}


@pytest.fixture
def started(cangzhou, units):
    subject = cangzhou["township"]
    return actions.start_process(subject, Process.from_declaration(BUILDING), region=cangzhou["cang"],
                                 department="housing_construction", limit_days=10,
                                 started_at=at("2026-11-02T09:00"), actor="test")


def officer(make_staff, cangzhou, role, unit=None):
    user = make_staff(None, cangzhou["cang"], organisation=unit)
    account_actions.assign_role(user, actor="test", role_code=role, region=cangzhou["cang"], organisation=unit)
    return user


def open_tasks(instance):
    return {t.step_key: t for t in instance.tasks.filter(status=TaskStatus.OPEN)}


def test_declaration_errors_name_the_place():
    with pytest.raises(ValidationError) as error:
        Process.from_declaration({"stages": [{"key": "a", "name": "受理", "role": "window_clerk"},
                                             {"key": "a", "name": "x", "parallel": [{"key": "b", "name": "b", "role": "r", "days": 1}]}]})
    fields = error.value.message_dict
    assert "workflow.stages[0].days" in fields
    assert "workflow.stages[1].parallel" in fields


def test_declaration_round_trip():
    assert Process.from_declaration(BUILDING).declaration() == BUILDING
    assert Process.from_declaration(BUILDING).days == 1 + 5 + 2


def test_stages_run_in_order_and_parallel_branches_all_finish(started, units):
    assert started.stage_key == "accept"
    progress = actions.complete_task(open_tasks(started)["accept"], outcome="approve", actor="test", at=at("2026-11-02T10:00"))
    assert progress.entered.key == "review"
    branches = open_tasks(started)
    assert set(branches) == {"planning", "fire"}
    assert branches["planning"].organisation == units["natural_resources"]
    assert branches["fire"].organisation == units["fire_rescue"]
    first = actions.complete_task(branches["fire"], outcome="approve", actor="test")
    assert not first.stage_finished
    started.refresh_from_db()
    assert started.stage_key == "review"
    second = actions.complete_task(branches["planning"], outcome="approve", actor="test")
    assert second.stage_finished and second.entered.key == "decide"
    final = actions.complete_task(open_tasks(started)["decide"], outcome="approve", actor="test")
    assert final.finished and final.outcome == "approved"
    started.refresh_from_db()
    assert started.status == InstanceStatus.FINISHED


def test_a_denial_ends_the_process_and_cancels_the_other_branch(started):
    actions.complete_task(open_tasks(started)["accept"], outcome="approve", actor="test")
    progress = actions.complete_task(open_tasks(started)["fire"], outcome="deny", comment="消防通道不符合要求", actor="test")
    assert progress.finished and progress.outcome == "denied"
    assert not open_tasks(started)
    assert started.tasks.get(step_key="planning").status == TaskStatus.CANCELLED


def test_denial_and_return_need_a_reason(started):
    with pytest.raises(ValidationError) as error:
        actions.complete_task(open_tasks(started)["accept"], outcome="deny", actor="test")
    assert "comment" in error.value.message_dict


def test_return_goes_back_one_stage(started):
    actions.complete_task(open_tasks(started)["accept"], outcome="approve", actor="test")
    progress = actions.complete_task(open_tasks(started)["planning"], outcome="return", comment="材料不齐", actor="test")
    assert progress.entered.key == "accept"
    assert set(open_tasks(started)) == {"accept"}


def test_first_stage_cannot_return(started):
    with pytest.raises(ValidationError):
        actions.complete_task(open_tasks(started)["accept"], outcome="return", comment="x", actor="test")


def test_two_officers_on_one_task_only_one_wins(started):
    task = open_tasks(started)["accept"]
    stale_copy = type(task).objects.get(pk=task.pk)
    actions.complete_task(task, outcome="approve", actor="test")
    with pytest.raises(Conflict):
        actions.complete_task(stale_copy, outcome="approve", actor="test")
    assert started.tasks.filter(step_key="accept").count() == 1


def test_claim_is_exclusive(started, make_staff, cangzhou):
    task = open_tasks(started)["accept"]
    clerk, other = (officer(make_staff, cangzhou, "window_clerk") for _ in range(2))
    actions.claim_task(task, actor=clerk)
    with pytest.raises(Conflict):
        actions.claim_task(task, actor=other)


def test_step_limits_count_working_days(started):
    actions.complete_task(open_tasks(started)["accept"], outcome="approve", actor="test", at=at("2026-09-30T10:00"))
    branches = open_tasks(started)
    # 3 working days from Wed 30 Sep: 8, 9, 10 Oct (Saturday worked in exchange) → ends 11 Oct 00:00.
    assert branches["fire"].due_at == at("2026-10-11T00:00")
    assert branches["planning"].due_at == at("2026-10-14T00:00")   # then 12 and 13 Oct


def test_pause_stops_the_clock_and_resume_extends_every_limit(started):
    task = open_tasks(started)["accept"]
    assert started.due_at == at("2026-11-17T00:00")            # 10 working days from Mon 2 Nov
    actions.pause_process(started, reason="等待补正", actor="test", at=at("2026-11-02T15:00"))
    with pytest.raises(Conflict):
        actions.complete_task(task, outcome="approve", actor="test")
    resumed = actions.resume_process(started, actor="test", at=at("2026-11-05T09:00"))   # Tue–Thu paused
    assert resumed.paused_days == 3
    assert resumed.due_at == at("2026-11-20T00:00")
    task.refresh_from_db()
    assert task.due_at == at("2026-11-07T00:00")


def test_paused_processes_raise_no_cards(started):
    actions.pause_process(started, reason="等待补正", actor="test", at=at("2026-11-02T15:00"))
    assert raise_warnings(actor="test", now=at("2026-12-30T09:00")) == {"yellow": 0, "red": 0}


def test_cards_rise_once_and_reach_officers_and_heads(started, make_staff, cangzhou, units):
    from bohai.kernel.notifications.models import Notification

    clerk = officer(make_staff, cangzhou, "window_clerk")
    counts = raise_warnings(actor="test", now=at("2026-11-03T17:00"))   # two thirds of day 1 used
    assert counts == {"yellow": 1, "red": 0}
    assert raise_warnings(actor="test", now=at("2026-11-03T17:30")) == {"yellow": 0, "red": 0}
    actions.complete_task(open_tasks(started)["accept"], outcome="approve", actor="test", at=at("2026-11-03T17:10"))
    head = officer(make_staff, cangzhou, "department_head", units["fire_rescue"])
    fire_officer = officer(make_staff, cangzhou, "county_officer", units["fire_rescue"])
    counts = raise_warnings(actor="test", now=at("2026-11-30T09:00"))
    assert counts["red"] >= 2                                  # both branches overdue, and the process
    started.refresh_from_db()
    assert started.warning == Warning.RED
    assert Notification.objects.filter(recipient=clerk, level="warning").count() == 1
    assert Notification.objects.filter(recipient=fire_officer, level="danger").exists()
    assert Notification.objects.filter(recipient=head, level="danger").exists()


def test_tasks_for_follows_role_region_and_unit(started, make_staff, cangzhou, units):
    clerk = officer(make_staff, cangzhou, "window_clerk")
    qing_clerk = make_staff("window_clerk", cangzhou["qing"])
    assert list(tasks_for(clerk)) == [open_tasks(started)["accept"]]
    assert not tasks_for(qing_clerk).exists()
    actions.complete_task(open_tasks(started)["accept"], outcome="approve", actor=clerk)
    fire_officer = officer(make_staff, cangzhou, "county_officer", units["fire_rescue"])
    assert [t.step_key for t in tasks_for(fire_officer)] == ["fire"]
    assert not can_act(fire_officer, open_tasks(started)["planning"])


def test_cancel_ends_the_process(started):
    actions.cancel_process(started, reason="申请人撤回", actor="test")
    started.refresh_from_db()
    assert started.status == InstanceStatus.CANCELLED
    assert not open_tasks(started)
    with pytest.raises(Conflict):
        actions.cancel_process(started, reason="again", actor="test")


def test_reopen_stage_for_rework(started):
    actions.complete_task(open_tasks(started)["accept"], outcome="approve", actor="test")
    actions.reopen_stage(started, "accept", reason="核查不通过，返工", actor="test")
    assert set(open_tasks(started)) == {"accept"}
    assert started.tasks.filter(step_key="planning", status=TaskStatus.CANCELLED).exists()


def test_clock_hours_run_through_nights_and_weekends(cangzhou, units):
    process = Process.from_declaration({"stages": [
        {"key": "reply", "name": "答复", "role": "county_officer", "clock_hours": 2},
        {"key": "close", "name": "办结", "role": "county_officer", "days": 1}]})
    instance = actions.start_process(cangzhou["township"], process, region=cangzhou["cang"],
                                     department="housing_construction", started_at=at("2026-11-07T23:00"), actor="test")
    task = open_tasks(instance)["reply"]
    assert task.due_at == at("2026-11-08T01:00")


def test_a_dispatcher_assigns_the_unit_for_later_stages(started, units):
    actions.assign_unit(started, units["fire_rescue"], actor="test")
    actions.complete_task(open_tasks(started)["accept"], outcome="approve", actor="test")
    assert open_tasks(started)["planning"].organisation == units["natural_resources"]  # a named department keeps its own
    started.refresh_from_db()
    assert started.department == "fire_rescue"
