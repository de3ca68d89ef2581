"""Domain events through a transactional outbox: how systems tell each other what happened.

An action publishes inside its own transaction:

    @service_action
    def register_person(..., *, actor):
        person = Person.objects.create(...)
        record(actor=actor, action="person.register", target=person, after=snapshot(person))
        publish("person.registered", {"person_id": person.pk})

and another system reacts in its `events.py`:

    @handles("person.registered")
    def open_social_security_file(event):
        ...

Guarantees, and what they ask of handlers:

- An event exists only if the action's transaction commits: `publish` writes an
  OutboxEvent row in that transaction (and refuses to run outside one). A rolled-back
  action publishes nothing, and nothing is ever delivered before its data is visible.
- Delivery is **at least once**. The worker claims one pending event at a time (on
  PostgreSQL with `FOR UPDATE SKIP LOCKED`, so workers share the outbox) and runs its
  handlers in that claim's transaction, each in a savepoint. A handler that succeeds
  leaves a HandlerReceipt beside its own writes, so its database work commits exactly
  once; a handler that raises is rolled back and the event is offered again later
  (exponential backoff, `last_error` kept) until MAX_ATTEMPTS, when it is marked failed
  for an administrator to redeliver. Anything a handler does outside the database (a
  message sent, a file written, an HTTP call) may happen more than once: such a handler
  must be idempotent, keyed by `event.id`, or hand the work to a job.
- There is no ordering guarantee between events once one of them is retried.
- Keep handlers short: they hold the claim's transaction, which on SQLite is the
  database's single write lock. Slow work belongs in a job (`enqueue` from the handler).
"""
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from bohai.kernel.audit.context import origin
from bohai.kernel.database.writes import insert_unread
from bohai.kernel.jobs.wakeup import announce_work

from .models import HandlerReceipt, OutboxEvent

MAX_ATTEMPTS = 10
FIRST_RETRY_DELAY = timedelta(seconds=10)
MAX_RETRY_DELAY = timedelta(hours=1)
MAX_ERROR_CHARACTERS = 4000

Handler = Callable[[OutboxEvent], object]


class HandlerRegistry:
    def __init__(self):
        self.by_event: dict[str, dict[str, Handler]] = {}

    def add(self, event_name: str, handler: Handler) -> None:
        self.by_event.setdefault(event_name, {})[handler_name(handler)] = handler

    def for_event(self, event_name: str) -> dict[str, Handler]:
        return dict(self.by_event.get(event_name, {}))


handlers = HandlerRegistry()


def handler_name(handler: Handler) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"


def handles(event_name: str):
    """Register a function to be called with each delivered OutboxEvent named `event_name`."""

    def register(function):
        handlers.add(event_name, function)
        return function

    return register


def publish(name: str, payload: dict) -> None:
    """Write an event in the current transaction; it is delivered only after that commits. On PostgreSQL
    the row goes to the server with the action's next statement, usually its COMMIT (insert_unread)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events.publish must run inside the action's transaction")
    insert_unread(OutboxEvent(name=name, payload=_json_safe(payload), available_at=timezone.now()))
    announce_work()


def _json_safe(payload: dict) -> dict:
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False))


# Delivery --------------------------------------------------------------------------------

@dataclass
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.retrying + self.failed


def deliver_pending(limit: int = 100, now: datetime | None = None) -> DeliveryReport:
    """Deliver up to `limit` due events, each in its own transaction."""
    report = DeliveryReport()
    for _ in range(limit):
        outcome = _deliver_next(now or timezone.now())
        if outcome is None:
            break
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _deliver_next(now: datetime) -> str | None:
    with transaction.atomic():
        event = (
            OutboxEvent.objects.filter(status=OutboxEvent.Status.PENDING, available_at__lte=now)
            .order_by("available_at", "id")
            .select_for_update(skip_locked=True)
            .first()
        )
        if event is None:
            return None
        with origin("job", address=f"event:{event.id}"):
            errors = _run_handlers(event)
        return _settle(event, errors, now)


def _run_handlers(event: OutboxEvent) -> list[str]:
    done = set(event.receipts.values_list("handler", flat=True))
    errors = []
    for name, handler in handlers.for_event(event.name).items():
        if name in done:
            continue
        try:
            with transaction.atomic():
                handler(event)
                HandlerReceipt.objects.create(event=event, handler=name)
        except Exception as error:
            errors.append(f"{name}: {type(error).__name__}: {error}")
    return errors


def _settle(event: OutboxEvent, errors: list[str], now: datetime) -> str:
    event.attempts += 1
    if not errors:
        event.status = OutboxEvent.Status.DELIVERED
        event.delivered_at = now
        event.last_error = ""
        outcome = "delivered"
    elif event.attempts >= MAX_ATTEMPTS:
        event.status = OutboxEvent.Status.FAILED
        event.last_error = "\n".join(errors)[:MAX_ERROR_CHARACTERS]
        outcome = "failed"
    else:
        event.available_at = now + retry_delay(event.attempts)
        event.last_error = "\n".join(errors)[:MAX_ERROR_CHARACTERS]
        outcome = "retrying"
    event.save(update_fields=["attempts", "status", "delivered_at", "last_error", "available_at"])
    return outcome


def retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY_DELAY * 2 ** (attempts - 1), MAX_RETRY_DELAY)
