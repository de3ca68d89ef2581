"""The workflow engine's actions: start a process, complete, claim and reopen tasks, pause and resume.

The engine knows nothing of applications or cases: the system that owns the subject calls these
actions from its own and reads the returned Progress to move its subject's lifecycle along.
"""
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.engines.workdays.clock import working_calendar
from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import Conflict, service_action
from bohai.kernel.database.writes import insert, insert_unread
from bohai.kernel.events.outbox import publish
from bohai.kernel.organisations.directory import counterpart

from .definitions import Process, Stage, Step
from .models import InstanceStatus, Outcome, TaskStatus, Warning, WorkflowInstance, WorkflowTask

YELLOW_FRACTION = 2 / 3
# Roles that act for a place, not for a unit: any holder over the region takes the task
# (the service hall's windows take every department's items; a grid worker verifies in their grid).
PLACE_ROLES = {"window_clerk", "grid_worker", "hotline_operator", "case_supervisor", "case_dispatcher"}


@dataclass
class Progress:
    """What completing a task did to its process."""

    instance: WorkflowInstance
    task: WorkflowTask
    stage_finished: bool = False
    entered: Stage | None = None
    finished: bool = False
    outcome: str = ""


@service_action
def start_process(subject, process: Process, *, region, department: str, limit_days: int | None = None,
                  started_at=None, actor) -> WorkflowInstance:
    """Start `process` for `subject` handled in `region` by the `department` function's unit there."""
    started_at = started_at or timezone.now()
    first = process.stages[0]
    instance = WorkflowInstance(
        subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk,
        declaration=process.declaration(), stage_key=first.key, region=region, department=department,
        organisation=counterpart(department, region), started_at=started_at, limit_days=limit_days,
    )
    _set_instance_clock(instance)
    insert(instance)
    _open_tasks(instance, first, started_at)
    record(actor=actor, action="workflows.start", target=instance,
           after={"stage": instance.stage_key, "limit_days": limit_days, "subject": f"{instance.subject_type.model}#{subject.pk}"})
    return instance


@service_action
def complete_task(task: WorkflowTask, *, outcome: str, comment: str = "", actor, expected_version: int | None = None,
                  at=None) -> Progress:
    """Finish one task; when its stage is complete, enter the next stage or finish the process.

    Two people acting on the same task: the conditional UPDATE lets exactly one win; the other gets Conflict.
    """
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": [_("办理结果只能是 通过、不予通过 或 退回")]})
    if outcome in (Outcome.DENY, Outcome.RETURN) and not comment.strip():
        raise ValidationError({"comment": [_("不予通过或退回时须写明理由")]})
    at = at or timezone.now()
    instance = _lock_instance(task.instance_id)
    if instance.status != InstanceStatus.RUNNING:
        raise Conflict(_("该流程当前不可办理（%(status)s）") % {"status": instance.get_status_display()})
    version = task.version if expected_version is None else expected_version
    won = WorkflowTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN, version=version).update(
        status=TaskStatus.DONE, outcome=outcome, comment=comment.strip(), completed_at=at,
        completed_by=actor if _is_user(actor) else None, version=F("version") + 1, updated_at=at)
    if not won:
        raise Conflict(_("该任务已由他人办理，请刷新后查看"))
    task.refresh_from_db()
    record(actor=actor, action="workflows.complete_task", target=task, after={"outcome": outcome, "stage": task.stage_key})
    progress = Progress(instance, task)
    process = instance.process
    if outcome == Outcome.DENY:
        _finish(instance, progress, outcome="denied", at=at)
    elif outcome == Outcome.RETURN:
        _return_to_previous(instance, process, task, progress, at)
    elif not instance.tasks.filter(stage_key=task.stage_key, status=TaskStatus.OPEN).exists():
        _advance(instance, process, progress, at)
    return progress


@service_action
def claim_task(task: WorkflowTask, *, actor) -> WorkflowTask:
    """Take an open task so that colleagues with the same role see it is being handled."""
    claimed = WorkflowTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN, assignee__isnull=True).update(
        assignee=actor, version=F("version") + 1)
    if not claimed:
        raise Conflict(_("该任务已被他人认领或已办结"))
    task.refresh_from_db()
    record(actor=actor, action="workflows.claim_task", target=task)
    return task


@service_action
def assign_unit(instance: WorkflowInstance, organisation, *, actor) -> WorkflowInstance:
    """Name the unit that handles the rest of the process (a dispatcher's choice); later stages go to it."""
    instance = _lock_instance(instance.pk)
    before = {"organisation": instance.organisation_id, "department": instance.department}
    instance.organisation, instance.department = organisation, organisation.function or instance.department
    instance.save(update_fields=["organisation", "department", "updated_at"])
    record(actor=actor, action="workflows.assign_unit", target=instance, before=before,
           after={"organisation": organisation.pk, "department": instance.department})
    return instance


@service_action
def redeclare(instance: WorkflowInstance, process: Process, *, actor) -> WorkflowInstance:
    """Replace the process of a running instance by one with the same stages (a corrected class
    changes the handling limit); open tasks keep their clocks, later stages use the new limits."""
    instance = _lock_instance(instance.pk)
    if [s.key for s in process.stages] != [s.key for s in instance.process.stages]:
        raise ValidationError({"workflow": [_("新流程的环节须与原流程相同")]})
    instance.declaration = process.declaration()
    instance.save(update_fields=["declaration", "updated_at"])
    record(actor=actor, action="workflows.redeclare", target=instance, after={"stages": len(process.stages)})
    return instance


@service_action
def extend_stage(instance: WorkflowInstance, stage_key: str, days: int, *, actor) -> WorkflowInstance:
    """An approved extension: the stage's open tasks get `days` more working days."""
    for task in instance.tasks.filter(stage_key=stage_key, status=TaskStatus.OPEN):
        task.paused_days += days  # extensions and pauses both add working days to the limit
        _set_task_clock(task)
        task.save(update_fields=["paused_days", "due_at", "yellow_at", "warning", "updated_at"])
    record(actor=actor, action="workflows.extend_stage", target=instance, after={"stage": stage_key, "days": days})
    return instance


@service_action
def reopen_stage(instance: WorkflowInstance, stage_key: str, *, reason: str, actor, at=None) -> WorkflowInstance:
    """Send the process back to a stage (rework): open tasks are cancelled, the stage's steps open again."""
    at = at or timezone.now()
    instance = _lock_instance(instance.pk)
    if instance.status != InstanceStatus.RUNNING:
        raise Conflict(_("该流程当前不可办理（%(status)s）") % {"status": instance.get_status_display()})
    stage = instance.process.stage(stage_key)
    _cancel_open_tasks(instance, at)
    _enter_stage(instance, stage, at)
    record(actor=actor, action="workflows.reopen_stage", target=instance, after={"stage": stage_key, "reason": reason})
    return instance


@service_action
def pause_process(instance: WorkflowInstance, *, reason: str, actor, at=None) -> WorkflowInstance:
    """Stop the clocks (awaiting the applicant's supplement): no warnings, no time counted."""
    at = at or timezone.now()
    instance = _lock_instance(instance.pk)
    if instance.status != InstanceStatus.RUNNING:
        raise Conflict(_("只有办理中的流程可以暂停"))
    instance.status, instance.paused_since = InstanceStatus.PAUSED, at
    instance.save(update_fields=["status", "paused_since", "updated_at"])
    record(actor=actor, action="workflows.pause", target=instance, after={"reason": reason})
    return instance


@service_action
def resume_process(instance: WorkflowInstance, *, actor, at=None) -> WorkflowInstance:
    """Restart the clocks; the paused working days are added to every running limit."""
    at = at or timezone.now()
    instance = _lock_instance(instance.pk)
    if instance.status != InstanceStatus.PAUSED:
        raise Conflict(_("该流程未暂停"))
    paused = working_calendar().elapsed_days(instance.paused_since, at)
    instance.status, instance.paused_since = InstanceStatus.RUNNING, None
    instance.paused_days += paused
    _set_instance_clock(instance)
    instance.save()
    for task in instance.tasks.filter(status=TaskStatus.OPEN):
        task.paused_days += paused
        _set_task_clock(task)
        task.save(update_fields=["paused_days", "due_at", "yellow_at", "warning", "updated_at"])
    record(actor=actor, action="workflows.resume", target=instance, after={"paused_days": paused})
    return instance


@service_action
def cancel_process(instance: WorkflowInstance, *, reason: str, actor, at=None) -> WorkflowInstance:
    """End a process early (withdrawn by the applicant, merged as a duplicate)."""
    at = at or timezone.now()
    instance = _lock_instance(instance.pk)
    if instance.status in (InstanceStatus.FINISHED, InstanceStatus.CANCELLED):
        raise Conflict(_("流程已结束"))
    _cancel_open_tasks(instance, at)
    instance.status, instance.outcome, instance.finished_at = InstanceStatus.CANCELLED, "cancelled", at
    instance.save(update_fields=["status", "outcome", "finished_at", "updated_at"])
    record(actor=actor, action="workflows.cancel", target=instance, after={"reason": reason})
    return instance


# The mechanics -------------------------------------------------------------------------------

def _lock_instance(pk: int) -> WorkflowInstance:
    # On PostgreSQL parallel branches finishing at once serialise here; SQLite's IMMEDIATE
    # transactions already hold the database's one write lock.
    return WorkflowInstance.objects.select_for_update(of=("self",)).select_related("region", "organisation").defer("region__boundary").get(pk=pk)


def _advance(instance: WorkflowInstance, process: Process, progress: Progress, at) -> None:
    progress.stage_finished = True
    following = process.next_stage(instance.stage_key)
    if following is None:
        _finish(instance, progress, outcome="approved", at=at)
        return
    _enter_stage(instance, following, at)
    progress.entered = following


def _return_to_previous(instance, process: Process, task: WorkflowTask, progress: Progress, at) -> None:
    previous = process.previous_stage(task.stage_key)
    if previous is None:
        raise ValidationError({"outcome": [_("第一个环节无法退回")]})
    _cancel_open_tasks(instance, at)
    _enter_stage(instance, previous, at)
    progress.entered = previous


def _finish(instance: WorkflowInstance, progress: Progress, *, outcome: str, at) -> None:
    _cancel_open_tasks(instance, at)
    instance.status, instance.outcome, instance.finished_at = InstanceStatus.FINISHED, outcome, at
    instance.save(update_fields=["status", "outcome", "finished_at", "updated_at"])
    progress.finished, progress.outcome = True, outcome
    publish("workflows.finished", {"instance_id": instance.pk, "outcome": outcome,
                                   "subject_type": instance.subject_type.model, "subject_id": instance.subject_id})


def _enter_stage(instance: WorkflowInstance, stage: Stage, at) -> None:
    instance.stage_key = stage.key
    instance.save(update_fields=["stage_key", "updated_at"])
    _open_tasks(instance, stage, at)


def _open_tasks(instance: WorkflowInstance, stage: Stage, at) -> None:
    for step in stage.steps:  # one INSERT each (on PostgreSQL sent with the next statement): one to a few steps
        insert_unread(_new_task(instance, stage, step, at))


def _new_task(instance: WorkflowInstance, stage: Stage, step: Step, at) -> WorkflowTask:
    organisation = instance.organisation
    if step.department and step.department != instance.department:
        organisation = counterpart(step.department, instance.region)
    if step.role in PLACE_ROLES:
        organisation = None
    task = WorkflowTask(instance=instance, stage_key=stage.key, step_key=step.key, name=step.name, role=step.role,
                        region=instance.region, organisation=organisation, opened_at=at,
                        limit_days=step.days, limit_hours=step.hours, limit_clock_hours=step.clock_hours)
    _set_task_clock(task)
    return task


def _cancel_open_tasks(instance: WorkflowInstance, at) -> None:
    instance.tasks.filter(status=TaskStatus.OPEN).update(status=TaskStatus.CANCELLED, completed_at=at,
                                                          version=F("version") + 1)


def _set_task_clock(task: WorkflowTask) -> None:
    calendar = working_calendar()
    if task.limit_clock_hours:
        paused = timedelta(days=task.paused_days)  # a pause of clock-hour work counts whole days back
        task.due_at = task.opened_at + timedelta(hours=task.limit_clock_hours) + paused
        task.yellow_at = task.opened_at + timedelta(hours=task.limit_clock_hours * YELLOW_FRACTION) + paused
    elif task.limit_hours:
        task.due_at = calendar.add_working_hours(task.opened_at, task.limit_hours)
        task.yellow_at = calendar.add_working_hours(task.opened_at, task.limit_hours * YELLOW_FRACTION)
    elif task.limit_days is not None:
        task.due_at = calendar.deadline(task.opened_at, task.limit_days + task.paused_days)
        task.yellow_at = calendar.point_within(task.opened_at, task.limit_days, YELLOW_FRACTION, task.paused_days)
    task.warning = Warning.NONE


def _set_instance_clock(instance: WorkflowInstance) -> None:
    if instance.limit_days is None:
        return
    calendar = working_calendar()
    instance.due_at = calendar.deadline(instance.started_at, instance.limit_days + instance.paused_days)
    instance.yellow_at = calendar.point_within(instance.started_at, instance.limit_days, YELLOW_FRACTION,
                                               instance.paused_days)
    instance.warning = Warning.NONE


def _is_user(actor) -> bool:
    return hasattr(actor, "pk") and not isinstance(actor, str)
