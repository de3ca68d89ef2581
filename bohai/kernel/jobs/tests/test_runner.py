import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from bohai.kernel.audit.context import current_origin
from bohai.kernel.jobs.models import Job
from bohai.kernel.jobs.registry import enqueue, job
from bohai.kernel.jobs.runner import claim_next, run_job, run_worker

pytestmark = pytest.mark.django_db

logger = logging.getLogger("bohai.tests.jobs")


def test_an_enqueued_job_runs_with_its_arguments_and_keeps_its_result(job_registry):
    @job("tests.add")
    def add(a, b):
        logger.info("adding %s and %s", a, b)
        return {"sum": a + b, "channel": current_origin().channel, "address": current_origin().address}

    queued = enqueue("tests.add", a=2, b=3)
    report = run_worker(burst=True, worker_name="w1")

    queued.refresh_from_db()
    assert report.jobs_run == 1
    assert queued.status == Job.Status.SUCCEEDED
    assert queued.result == {"sum": 5, "channel": "job", "address": f"job:{queued.id}"}
    assert queued.attempts == 1
    assert queued.worker == "w1"
    assert "adding 2 and 3" in queued.log
    assert queued.finished_at is not None


def test_enqueue_refuses_an_unknown_job(job_registry):
    with pytest.raises(LookupError):
        enqueue("tests.nobody_registered_this")


def test_a_job_due_later_waits(job_registry):
    job("tests.later")(lambda: None)
    enqueue("tests.later", run_after=timezone.now() + timedelta(hours=1))

    assert claim_next("w1") is None


def test_a_failing_job_is_retried_with_backoff_then_fails_with_its_traceback(job_registry):
    calls = []

    @job("tests.flaky", max_attempts=2, retry_delay=timedelta(minutes=1))
    def flaky():
        calls.append(1)
        logger.warning("attempt %d", len(calls))
        raise ValueError("the source system is down")

    queued = enqueue("tests.flaky")
    first = run_job(claim_next("w1"))

    assert first.status == Job.Status.QUEUED
    assert first.run_after > timezone.now() + timedelta(seconds=50)
    assert "ValueError: the source system is down" in first.error
    assert claim_next("w1") is None  # not due yet

    second = run_job(claim_next("w1", now=first.run_after))

    assert second.pk == queued.pk
    assert len(calls) == 2
    assert second.status == Job.Status.FAILED
    assert second.attempts == 2
    assert "Traceback" in second.error
    assert "attempt 1" in second.log and "attempt 2" in second.log
    assert claim_next("w1", now=second.run_after + timedelta(days=1)) is None


def test_a_job_whose_worker_vanished_is_taken_up_again_after_its_lease(job_registry):
    runs = []
    job("tests.long", lease=timedelta(minutes=5))(lambda: runs.append(1))
    enqueue("tests.long")
    abandoned = claim_next("dead-worker")

    assert claim_next("w2") is None  # still leased
    taken = claim_next("w2", now=timezone.now() + timedelta(minutes=6))

    assert taken.pk == abandoned.pk
    assert taken.attempts == 2
    assert "dead-worker" in taken.log
    assert run_job(taken).status == Job.Status.SUCCEEDED


def test_a_job_abandoned_on_its_last_attempt_fails(job_registry):
    job("tests.once", max_attempts=1, lease=timedelta(minutes=5))(lambda: None)
    enqueue("tests.once")
    claimed = claim_next("dead-worker")

    assert claim_next("w2", now=timezone.now() + timedelta(minutes=6)) is None
    claimed.refresh_from_db()
    assert claimed.status == Job.Status.FAILED
    assert "dead-worker" in claimed.error


def test_a_job_that_is_no_longer_registered_fails_instead_of_vanishing(job_registry):
    job("tests.removed", max_attempts=1)(lambda: None)
    queued = enqueue("tests.removed")
    del job_registry.definitions["tests.removed"]

    finished = run_job(claim_next("w1"))

    assert finished.pk == queued.pk
    assert finished.status == Job.Status.FAILED
    assert "tests.removed" in finished.error


def test_an_interrupted_job_is_put_back_without_using_an_attempt(job_registry):
    def interrupted():
        raise KeyboardInterrupt

    job("tests.interrupted")(interrupted)
    queued = enqueue("tests.interrupted")

    with pytest.raises(KeyboardInterrupt):
        run_job(claim_next("w1"))

    queued.refresh_from_db()
    assert queued.status == Job.Status.QUEUED
    assert queued.attempts == 0


def test_once_runs_a_single_cycle(job_registry):
    job("tests.noop")(lambda: None)
    enqueue("tests.noop")

    report = run_worker(stop_after=1, worker_name="w1")

    assert report.cycles == 1
    assert report.jobs_run == 1


def test_a_result_that_is_not_plain_json_is_kept_as_text(job_registry):
    moment = timezone.now()
    job("tests.odd_result")(lambda: {"at": moment, "tags": {"甲"}})
    enqueue("tests.odd_result")

    finished = run_job(claim_next("w1"))

    assert finished.status == Job.Status.SUCCEEDED
    assert finished.result["at"].startswith(f"{moment:%Y-%m-%dT%H:%M:%S}")
    assert finished.result["tags"] == "{'甲'}"
