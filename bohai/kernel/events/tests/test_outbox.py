import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.audit.recording import record
from bohai.kernel.events.models import HandlerReceipt, OutboxEvent
from bohai.kernel.events.outbox import MAX_ATTEMPTS, deliver_pending, handles, publish

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def test_a_published_event_reaches_its_handler_once(event_handlers):
    seen = []
    handles("tests.happened")(lambda event: seen.append((event.id, event.payload)))
    with transaction.atomic():
        publish("tests.happened", {"when": timezone.now(), "count": 3})

    event = OutboxEvent.objects.get()
    first = deliver_pending()
    second = deliver_pending()

    event.refresh_from_db()
    assert first.delivered == 1 and second.attempted == 0
    assert seen == [(event.id, event.payload)]
    assert event.payload["count"] == 3 and isinstance(event.payload["when"], str)
    assert event.status == OutboxEvent.Status.DELIVERED


def test_an_event_published_in_a_rolled_back_transaction_is_never_delivered(event_handlers):
    seen = []
    handles("tests.happened")(seen.append)

    with pytest.raises(Boom), transaction.atomic():
        publish("tests.happened", {})
        raise Boom

    assert deliver_pending().attempted == 0
    assert seen == []
    assert not OutboxEvent.objects.exists()


def test_delivery_is_nudged_only_when_the_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            publish("tests.happened", {})
            assert callbacks == []
    assert len(callbacks) == 1


@pytest.mark.django_db(transaction=True)
def test_publish_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError):
        publish("tests.happened", {})


def test_a_failed_handler_gets_the_event_again_later_and_succeeds(event_handlers):
    calls = []

    @handles("tests.happened")
    def flaky(event):
        calls.append(event.id)
        if len(calls) == 1:
            raise Boom("first time")

    with transaction.atomic():
        publish("tests.happened", {})

    event = OutboxEvent.objects.get()
    first = deliver_pending()
    event.refresh_from_db()
    assert first.retrying == 1
    assert event.status == OutboxEvent.Status.PENDING
    assert "Boom: first time" in event.last_error
    assert deliver_pending().attempted == 0  # backing off

    second = deliver_pending(now=event.available_at)

    event.refresh_from_db()
    assert second.delivered == 1
    assert calls == [event.id, event.id]
    assert event.status == OutboxEvent.Status.DELIVERED
    assert event.last_error == ""


def test_a_handler_that_succeeded_is_not_run_again_when_another_fails(event_handlers):
    steady, broken = [], []

    @handles("tests.happened")
    def steady_handler(event):
        steady.append(event.id)
        with transaction.atomic():
            record(actor="test", action="tests.steady", target_type="event", after={"event": event.id})

    @handles("tests.happened")
    def broken_handler(event):
        broken.append(event.id)
        with transaction.atomic():
            record(actor="test", action="tests.broken", target_type="event", after={"event": event.id})
        raise Boom

    with transaction.atomic():
        publish("tests.happened", {})
    event = OutboxEvent.objects.get()
    deliver_pending()
    event.refresh_from_db()
    deliver_pending(now=event.available_at)

    assert len(steady) == 1 and len(broken) == 2
    assert AuditRecord.objects.filter(action="tests.steady").count() == 1
    assert not AuditRecord.objects.filter(action="tests.broken").exists()  # rolled back with the failure
    assert list(HandlerReceipt.objects.values_list("handler", flat=True)) == [
        f"{__name__}.test_a_handler_that_succeeded_is_not_run_again_when_another_fails.<locals>.steady_handler"
    ]


def test_an_event_that_keeps_failing_is_marked_failed(event_handlers):
    @handles("tests.happened")
    def always_broken(event):
        raise Boom("still down")

    with transaction.atomic():
        publish("tests.happened", {})
    event = OutboxEvent.objects.get()
    for _ in range(MAX_ATTEMPTS):
        event.refresh_from_db()
        deliver_pending(now=event.available_at)

    event.refresh_from_db()
    assert event.status == OutboxEvent.Status.FAILED
    assert event.attempts == MAX_ATTEMPTS
    assert "still down" in event.last_error
    assert deliver_pending(now=timezone.now() + timedelta(days=30)).attempted == 0


def test_an_idempotent_handler_keyed_by_event_id_survives_redelivery(event_handlers):
    """The pattern for handlers with effects outside the transaction: look for your own trace first."""
    sent = []

    @handles("tests.happened")
    def notify_once(event):
        if AuditRecord.objects.filter(action="tests.notified", target_id=str(event.id)).exists():
            return
        sent.append(event.id)
        with transaction.atomic():
            record(actor="test", action="tests.notified", target=event)

    with transaction.atomic():
        publish("tests.happened", {})
    event = OutboxEvent.objects.get()
    deliver_pending()
    # A crash after the handler's work but before the receipt: the event comes again.
    HandlerReceipt.objects.all().delete()
    OutboxEvent.objects.filter(pk=event.pk).update(status=OutboxEvent.Status.PENDING)
    deliver_pending()

    assert sent == [event.id]
    assert AuditRecord.objects.filter(action="tests.notified").count() == 1


def test_handlers_run_as_a_job_for_the_audit_trail(event_handlers):
    @handles("tests.happened")
    def audited(event):
        with transaction.atomic():
            record(actor="system", action="tests.audited", target=event)

    with transaction.atomic():
        publish("tests.happened", {})
    event = OutboxEvent.objects.get()
    deliver_pending()

    audit = AuditRecord.objects.get(action="tests.audited")
    assert (audit.channel, audit.address) == ("job", f"event:{event.id}")


def test_an_event_without_handlers_is_simply_delivered():
    with transaction.atomic():
        publish("tests.nobody_listens", {})

    event = OutboxEvent.objects.get()
    assert deliver_pending().delivered == 1
    event.refresh_from_db()
    assert event.status == OutboxEvent.Status.DELIVERED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_at_once_hand_each_event_to_its_handler_once(event_handlers):
    seen: list[int] = []
    lock = threading.Lock()

    @handles("tests.happened")
    def count(event):
        with lock:
            seen.append(event.payload["number"])

    for number in range(30):
        with transaction.atomic():
            publish("tests.happened", {"number": number})
    start_together = threading.Barrier(2)
    errors = []

    def deliver():
        try:
            start_together.wait()
            deliver_pending(limit=100)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(seen) == list(range(30))
    assert HandlerReceipt.objects.count() == 30
