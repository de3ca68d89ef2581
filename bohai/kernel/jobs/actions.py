"""Changes to jobs and schedules made by people (the admin); the worker's own bookkeeping is not audited."""
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.kernel.audit.recording import actor_label, record, snapshot
from bohai.kernel.audit.service import service_action

from .models import Job, PeriodicSchedule
from .wakeup import announce_work

_NOT_AUDITED = ("log", "result", "error")


@service_action
def retry_job(job: Job, *, actor) -> Job:
    """Queue a failed job again with a fresh set of attempts."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.status != Job.Status.FAILED:
        raise ValidationError({"status": [_("只能重新执行失败的任务")]})
    before = snapshot(job, exclude=_NOT_AUDITED)
    job.status = Job.Status.QUEUED
    job.attempts = 0
    job.run_after = timezone.now()
    job.finished_at = None
    job.log = "\n".join(filter(None, [job.log, _("由 %(actor)s 重新排队") % {"actor": actor_label(actor)}]))
    job.save(update_fields=["status", "attempts", "run_after", "finished_at", "log"])
    record(actor=actor, action="jobs.retry", target=job, before=before, after=snapshot(job, exclude=_NOT_AUDITED))
    announce_work()
    return job


@service_action
def update_schedule(schedule: PeriodicSchedule, *, actor, enabled: bool, next_run_at: datetime) -> PeriodicSchedule:
    """Pause or resume a periodic job, or move its next run (its interval is set in code)."""
    if timezone.is_naive(next_run_at):
        raise ValidationError({"next_run_at": [_("时间须带时区")]})
    schedule = PeriodicSchedule.objects.select_for_update().get(pk=schedule.pk)
    before = snapshot(schedule)
    schedule.enabled = enabled
    schedule.next_run_at = next_run_at
    schedule.save(update_fields=["enabled", "next_run_at", "updated_at"])
    record(actor=actor, action="jobs.update_schedule", target=schedule, before=before, after=snapshot(schedule))
    announce_work()
    return schedule
