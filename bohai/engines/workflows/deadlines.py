"""Yellow and red cards: a task or process past two thirds of its limit, or past its limit.

Run every minute by the job runner; each card is raised once (the warning level only rises)
and sent, in the app, to everyone who may act on the task and to their department heads.
"""
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import service_action
from bohai.kernel.events.outbox import publish

from .models import InstanceStatus, TaskStatus, Warning, WorkflowInstance, WorkflowTask
from .queries import heads_of, users_who_can_act

BATCH = 500


@service_action
def raise_warnings(*, actor, now=None) -> dict[str, int]:
    now = now or timezone.now()
    counts = {"yellow": 0, "red": 0}
    running_tasks = WorkflowTask.objects.filter(status=TaskStatus.OPEN, instance__status=InstanceStatus.RUNNING)
    for level, condition in _levels(now):
        due = list(running_tasks.filter(condition).filter(warning__lt=level).select_related("instance", "region", "organisation").defer("region__boundary")[:BATCH])
        for task in due:
            _warn_task(task, level, actor)
        WorkflowTask.objects.filter(pk__in=[t.pk for t in due]).update(warning=level)
        instances = list(WorkflowInstance.objects.filter(status=InstanceStatus.RUNNING, warning__lt=level)
                         .filter(condition)[:BATCH])
        for instance in instances:
            _warn_instance(instance, level, actor)
        WorkflowInstance.objects.filter(pk__in=[i.pk for i in instances]).update(warning=level)
        counts["red" if level == Warning.RED else "yellow"] += len(due) + len(instances)
    if counts["yellow"] or counts["red"]:
        record(actor=actor, action="workflows.warnings", target_type="workflows.workflowtask", after=counts)
    return counts


def _levels(now):
    # Red first, so a task that jumped past both points gets one card, the red one.
    return ((Warning.RED, Q(due_at__lte=now)), (Warning.YELLOW, Q(yellow_at__lte=now, due_at__gt=now)))


def _warn_task(task: WorkflowTask, level: int, actor) -> None:
    subject = task.instance.subject
    recipients = {*users_who_can_act(task), *heads_of(task)}
    _notify(recipients, level, _("%(step)s：%(subject)s") % {"step": task.name, "subject": subject},
            task.due_at, getattr(subject, "get_absolute_url", lambda: "")(), f"workflows.task.{task.pk}.{level}", actor)
    publish("workflows.warning", {"task_id": task.pk, "instance_id": task.instance_id, "level": level})


def _warn_instance(instance: WorkflowInstance, level: int, actor) -> None:
    subject = instance.subject
    recipients = set()
    for task in instance.tasks.filter(status=TaskStatus.OPEN).select_related("region", "organisation").defer("region__boundary"):
        recipients |= {*users_who_can_act(task), *heads_of(task)}
    _notify(recipients, level, _("办理总时限：%(subject)s") % {"subject": subject}, instance.due_at,
            getattr(subject, "get_absolute_url", lambda: "")(), f"workflows.instance.{instance.pk}.{level}", actor)
    publish("workflows.warning", {"instance_id": instance.pk, "level": level})


def _notify(recipients, level: int, what: str, due_at, link: str, dedupe_key: str, actor) -> None:
    from bohai.kernel.notifications.actions import notify

    if not recipients:
        return
    due = timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M")
    if level == Warning.RED:
        title, body, colour = _("【红牌】已超期：%(what)s") % {"what": what}, _("时限已于 %(due)s 届满，请立即办理。") % {"due": due}, "danger"
    else:
        title, body, colour = _("【黄牌】即将超期：%(what)s") % {"what": what}, _("已用去三分之二时限，截止 %(due)s。") % {"due": due}, "warning"
    notify(sorted(recipients, key=lambda u: u.pk), title=title, body=body, link=link, level=colour,
           topic="workflows.deadline", dedupe_key=dedupe_key, actor=actor)
