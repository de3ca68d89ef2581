"""The worker: claims jobs, runs them, schedules periodic jobs and delivers outbox events.

Several workers, on one machine or many, share one queue. On PostgreSQL a claim is
`SELECT … FOR UPDATE SKIP LOCKED`, so two workers never take the same row and never wait
for each other. On SQLite `select_for_update` does nothing, but every transaction starts
IMMEDIATE (see settings), which takes the database's write lock at BEGIN: claims are
serialised by the database itself.

A job runs at least once: a worker that dies mid-job leaves a lease that runs out, and
another worker then runs the job again. Jobs change data through actions, which are
atomic, so a repeated job must only be safe to repeat, like an outbox handler.
"""
import json
import logging
import os
import socket
import threading
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.kernel.audit.context import origin
from bohai.kernel.events.outbox import deliver_pending

from . import wakeup
from .models import Job, PeriodicSchedule
from .registry import registry

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY = timedelta(hours=1)
MAX_LOG_CHARACTERS = 200_000
JOBS_PER_CYCLE = 50
EVENTS_PER_CYCLE = 200

_stop_requested = threading.Event()


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


# Claiming --------------------------------------------------------------------------------

def claim_next(worker_name: str, now: datetime | None = None) -> Job | None:
    """Take the next due job (or one whose worker's lease ran out) and mark it running."""
    now = now or timezone.now()
    while True:
        with transaction.atomic():
            candidate = (
                Job.objects.filter(
                    Q(status=Job.Status.QUEUED, run_after__lte=now) | Q(status=Job.Status.RUNNING, lease_until__lt=now)
                )
                .order_by("run_after", "id")
                .select_for_update(skip_locked=True)
                .first()
            )
            if candidate is None:
                return None
            if candidate.status == Job.Status.RUNNING and candidate.attempts >= candidate.max_attempts:
                _give_up_abandoned(candidate, now)
                continue
            return _mark_running(candidate, worker_name, now)


def _mark_running(job: Job, worker_name: str, now: datetime) -> Job:
    if job.status == Job.Status.RUNNING:
        job.log = _append(job.log, _("执行者 %(worker)s 未在期限内完成，视为中断") % {"worker": job.worker})
    job.status = Job.Status.RUNNING
    job.attempts += 1
    job.worker = worker_name[:80]
    job.started_at = now
    job.finished_at = None
    job.lease_until = now + _lease_for(job.name)
    job.save(update_fields=["status", "attempts", "worker", "started_at", "finished_at", "lease_until", "log"])
    return job


def _give_up_abandoned(job: Job, now: datetime) -> None:
    job.status = Job.Status.FAILED
    job.finished_at = now
    job.lease_until = None
    job.error = _("执行者 %(worker)s 未在期限内完成，且已达最多执行次数") % {"worker": job.worker}
    job.log = _append(job.log, job.error)
    job.save(update_fields=["status", "finished_at", "lease_until", "error", "log"])


def _lease_for(name: str) -> timedelta:
    definition = registry.definitions.get(name)
    return definition.lease if definition else timedelta(hours=1)


# Running ---------------------------------------------------------------------------------

class _JobLogHandler(logging.Handler):
    """Collects the log records of one thread while it runs one job."""

    def __init__(self):
        super().__init__(level=logging.INFO)
        self.thread = threading.get_ident()
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record):
        if record.thread == self.thread:
            self.lines.append(self.format(record))


@contextmanager
def _captured_log():
    # Loggers below "bohai" inherit the root's WARNING; a job's INFO lines belong in its log.
    platform_logger = logging.getLogger("bohai")
    if platform_logger.getEffectiveLevel() > logging.INFO:
        platform_logger.setLevel(logging.INFO)
    handler = _JobLogHandler()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def run_job(job: Job) -> Job:
    """Run a claimed job; record its result, or its error and the next retry."""
    with origin("job", address=f"job:{job.id}"), _captured_log() as captured:
        logger.info("第 %s 次执行（共可执行 %s 次）", job.attempts, job.max_attempts)
        try:
            definition = registry.get(job.name)
            result = definition.function(**job.arguments)
        except (KeyboardInterrupt, SystemExit):
            _put_back(job, captured.lines)
            raise
        except Exception as error:
            logger.exception("执行失败：%s", error)
            _finish_failed(job, captured.lines, traceback.format_exc())
        else:
            logger.info("执行成功")
            _finish_succeeded(job, captured.lines, result)
    job.refresh_from_db()
    return job


def _finish_succeeded(job: Job, lines: list[str], result) -> None:
    _save_outcome(job, lines, status=Job.Status.SUCCEEDED, result=_as_json(result), error="",
                  finished_at=timezone.now(), lease_until=None)


def _finish_failed(job: Job, lines: list[str], error: str) -> None:
    now = timezone.now()
    if job.attempts < job.max_attempts:
        delay = _retry_delay(job)
        retry_at = f"{timezone.localtime(now + delay):%Y-%m-%d %H:%M:%S}"
        lines = [*lines, _("将于 %(time)s 重试") % {"time": retry_at}]
        _save_outcome(job, lines, status=Job.Status.QUEUED, error=error, run_after=now + delay, lease_until=None)
    else:
        _save_outcome(job, lines, status=Job.Status.FAILED, error=error, finished_at=now, lease_until=None)


def _put_back(job: Job, lines: list[str]) -> None:
    # Interrupted by the operator: this attempt does not count.
    _save_outcome(job, [*lines, _("执行被中断，已重新排队")], status=Job.Status.QUEUED, attempts=job.attempts - 1,
                  lease_until=None)


def _save_outcome(job: Job, lines: list[str], **fields) -> None:
    log = _append(job.log, *lines)
    # Filtering on attempts keeps a worker whose lease ran out from overwriting its successor.
    Job.objects.filter(pk=job.pk, attempts=job.attempts).update(log=log, **fields)


def _retry_delay(job: Job) -> timedelta:
    definition = registry.definitions.get(job.name)
    base = definition.retry_delay if definition else timedelta(seconds=30)
    return min(base * 2 ** (job.attempts - 1), MAX_RETRY_DELAY)


def _append(log: str, *lines: str) -> str:
    text = "\n".join(filter(None, [log, *lines]))
    return text[-MAX_LOG_CHARACTERS:]


class _ResultEncoder(DjangoJSONEncoder):
    # A job whose work is done must not fail (and run again) because its return value is odd.
    def default(self, value):
        try:
            return super().default(value)
        except TypeError:
            return str(value)


def _as_json(value):
    return json.loads(json.dumps(value, cls=_ResultEncoder, ensure_ascii=False))


# Periodic jobs ---------------------------------------------------------------------------

def sync_schedules(now: datetime | None = None) -> None:
    """Create or update a PeriodicSchedule row for each periodic job in the code."""
    now = now or timezone.now()
    for definition in registry.periodic():
        interval = int(definition.every.total_seconds())
        with transaction.atomic():
            schedule, created = PeriodicSchedule.objects.select_for_update().get_or_create(
                name=definition.name, defaults={"interval_seconds": interval, "next_run_at": now}
            )
            if not created and schedule.interval_seconds != interval:
                schedule.interval_seconds = interval
                schedule.next_run_at = min(schedule.next_run_at, now + definition.every)
                schedule.save(update_fields=["interval_seconds", "next_run_at", "updated_at"])


def schedule_due_periodic(now: datetime | None = None) -> list[Job]:
    """Queue each due periodic job once, however many workers call this at the same moment."""
    now = now or timezone.now()
    queued = []
    with transaction.atomic():
        due = (
            PeriodicSchedule.objects.filter(enabled=True, next_run_at__lte=now)
            .select_related("last_job")
            .select_for_update(skip_locked=True, of=("self",))
        )
        for schedule in due:
            job = _queue_periodic(schedule, now)
            if job is not None:
                queued.append(job)
    return queued


def _queue_periodic(schedule: PeriodicSchedule, now: datetime) -> Job | None:
    definition = registry.definitions.get(schedule.name)
    interval = timedelta(seconds=schedule.interval_seconds)
    missed = (now - schedule.next_run_at) // interval
    schedule.next_run_at += interval * (missed + 1)
    job = None
    last = schedule.last_job
    still_busy = last is not None and last.status in (Job.Status.QUEUED, Job.Status.RUNNING)
    if definition is not None and not still_busy:
        job = Job.objects.create(name=schedule.name, max_attempts=definition.max_attempts, run_after=now)
        schedule.last_job = job
    schedule.save(update_fields=["next_run_at", "last_job", "updated_at"])
    return job


# The worker loop -------------------------------------------------------------------------

@dataclass
class WorkerReport:
    cycles: int = 0
    jobs_run: int = 0
    events_delivered: int = 0


def request_stop() -> None:
    """Ask run_worker to stop after the job in hand (safe from a signal handler)."""
    _stop_requested.set()
    wakeup.interrupt()


def run_cycle(worker_name: str, report: WorkerReport) -> int:
    """One pass: queue due periodic jobs, deliver events, run due jobs. Returns the work done."""
    done = len(schedule_due_periodic())
    delivery = deliver_pending(limit=EVENTS_PER_CYCLE)
    report.events_delivered += delivery.delivered
    done += delivery.attempted
    for _ in range(JOBS_PER_CYCLE):
        if _stop_requested.is_set():
            break
        job = claim_next(worker_name)
        if job is None:
            break
        run_job(job)
        report.jobs_run += 1
        done += 1
    return done


def run_worker(stop_after: int | None = None, poll_seconds: float = 1.0, burst: bool = False,
               worker_name: str | None = None) -> WorkerReport:
    """Work until stopped: after `stop_after` cycles, when idle if `burst`, or on request_stop()."""
    worker_name = worker_name or default_worker_name()
    report = WorkerReport()
    _stop_requested.clear()
    sync_schedules()
    while not _stop_requested.is_set():
        _refresh_connection()
        try:
            done = run_cycle(worker_name, report)
        except DatabaseError:
            # Job and handler errors are caught where they run; this is the database itself.
            if burst or connection.in_atomic_block:
                raise
            logger.exception("数据库暂时不可用，稍后重试")
            done = 0
        report.cycles += 1
        if stop_after is not None and report.cycles >= stop_after:
            break
        if not done:
            if burst:
                break
            wakeup.wait_for_work(poll_seconds, stop=_stop_requested)
    return report


def _refresh_connection() -> None:
    # A long-lived worker must drop broken or expired connections as a request would;
    # inside an atomic block (a test) closing would break the surrounding transaction.
    if not connection.in_atomic_block:
        close_old_connections()
