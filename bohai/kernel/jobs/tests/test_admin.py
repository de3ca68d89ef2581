import pytest
from django.urls import reverse
from django.utils import timezone

from bohai.kernel.accounts.models import User
from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.events.models import OutboxEvent
from bohai.kernel.jobs.models import Job, PeriodicSchedule
from bohai.kernel.jobs.registry import enqueue, job
from bohai.kernel.jobs.runner import claim_next, run_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = User.objects.create_superuser("root", password=None)
    client.force_login(admin)
    session = client.session
    session["two_factor_passed"] = True
    session.save()
    return client


@pytest.fixture
def failed_job(job_registry):
    def broken():
        raise RuntimeError("no connection to the provincial platform")

    job("tests.broken", max_attempts=1)(broken)
    enqueue("tests.broken")
    return run_job(claim_next("w1"))


def test_administrators_see_a_failed_job_with_its_error(admin_client, failed_job):
    listing = admin_client.get(reverse("admin:jobs_job_changelist"))
    detail = admin_client.get(reverse("admin:jobs_job_change", args=[failed_job.pk]))

    assert listing.status_code == 200 and "tests.broken" in listing.content.decode()
    assert "no connection to the provincial platform" in detail.content.decode()


def test_retrying_from_the_admin_requeues_the_job_and_is_audited(admin_client, failed_job):
    admin_client.post(
        reverse("admin:jobs_job_changelist"), {"action": "retry_selected", "_selected_action": [failed_job.pk]}
    )

    failed_job.refresh_from_db()
    assert failed_job.status == Job.Status.QUEUED
    assert failed_job.attempts == 0
    assert AuditRecord.objects.get(action="jobs.retry").target_id == str(failed_job.pk)


def test_a_failed_event_is_redelivered_from_the_admin(admin_client):
    event = OutboxEvent.objects.create(
        name="tests.happened", status=OutboxEvent.Status.FAILED, attempts=10, available_at=timezone.now()
    )

    admin_client.post(
        reverse("admin:events_outboxevent_changelist"), {"action": "redeliver_selected", "_selected_action": [event.pk]}
    )

    event.refresh_from_db()
    assert (event.status, event.attempts) == (OutboxEvent.Status.PENDING, 0)
    assert AuditRecord.objects.filter(action="events.redeliver").count() == 1


def test_pausing_a_schedule_in_the_admin_goes_through_the_action(admin_client):
    schedule = PeriodicSchedule.objects.create(name="tests.hourly", interval_seconds=3600, next_run_at=timezone.now())
    url = reverse("admin:jobs_periodicschedule_change", args=[schedule.pk])
    next_run = timezone.localtime(schedule.next_run_at)

    admin_client.post(url, {"next_run_at_0": f"{next_run:%Y-%m-%d}", "next_run_at_1": f"{next_run:%H:%M:%S}"})

    schedule.refresh_from_db()
    assert schedule.enabled is False
    assert AuditRecord.objects.filter(action="jobs.update_schedule").count() == 1
