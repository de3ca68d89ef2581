from datetime import timedelta

import pytest
from django.utils import timezone

from bohai.kernel.jobs.models import Job, PeriodicSchedule
from bohai.kernel.jobs.registry import job, periodic
from bohai.kernel.jobs.runner import claim_next, run_job, schedule_due_periodic, sync_schedules

pytestmark = pytest.mark.django_db


@pytest.fixture
def hourly(job_registry):
    runs = []

    @periodic(every=timedelta(hours=1))
    @job("tests.hourly")
    def hourly_job():
        runs.append(1)

    return runs


def test_sync_creates_one_schedule_row_per_periodic_job(hourly):
    sync_schedules()
    sync_schedules()

    schedule = PeriodicSchedule.objects.get(name="tests.hourly")
    assert schedule.interval_seconds == 3600
    assert schedule.enabled


def test_a_periodic_job_is_queued_once_per_interval(hourly):
    start = timezone.now()
    sync_schedules(now=start)

    first = schedule_due_periodic(now=start)
    again = schedule_due_periodic(now=start + timedelta(minutes=30))
    run_job(claim_next("w1", now=start))
    next_hour = schedule_due_periodic(now=start + timedelta(hours=1))

    assert len(first) == 1
    assert again == []
    assert len(next_hour) == 1
    assert hourly == [1]
    assert Job.objects.filter(name="tests.hourly").count() == 2


def test_missed_intervals_are_not_caught_up_one_by_one(hourly):
    start = timezone.now()
    sync_schedules(now=start)
    schedule_due_periodic(now=start)
    run_job(claim_next("w1", now=start))

    late = start + timedelta(hours=5, minutes=10)
    queued = schedule_due_periodic(now=late)

    assert len(queued) == 1
    assert PeriodicSchedule.objects.get(name="tests.hourly").next_run_at == start + timedelta(hours=6)


def test_a_periodic_job_still_queued_is_not_queued_twice(hourly):
    start = timezone.now()
    sync_schedules(now=start)
    schedule_due_periodic(now=start)

    assert schedule_due_periodic(now=start + timedelta(hours=1)) == []
    assert Job.objects.filter(name="tests.hourly").count() == 1


def test_a_disabled_schedule_queues_nothing(hourly):
    sync_schedules()
    PeriodicSchedule.objects.filter(name="tests.hourly").update(enabled=False)

    assert schedule_due_periodic(now=timezone.now() + timedelta(days=1)) == []


def test_periodic_needs_a_job_name(job_registry):
    with pytest.raises(ValueError):
        periodic(every=timedelta(minutes=1))(lambda: None)
