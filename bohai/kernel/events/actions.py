"""Changes to the outbox made by people (the admin); delivery itself lives in outbox.py."""
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.kernel.audit.recording import record, snapshot
from bohai.kernel.audit.service import service_action
from bohai.kernel.jobs.wakeup import announce_work

from .models import OutboxEvent


@service_action
def redeliver_event(event: OutboxEvent, *, actor) -> OutboxEvent:
    """Offer an event whose delivery failed to its handlers again (those with receipts are skipped)."""
    event = OutboxEvent.objects.select_for_update().get(pk=event.pk)
    if event.status != OutboxEvent.Status.FAILED:
        raise ValidationError({"status": [_("只能重新投递失败的事件")]})
    before = snapshot(event, exclude=("payload",))
    event.status = OutboxEvent.Status.PENDING
    event.attempts = 0
    event.available_at = timezone.now()
    event.save(update_fields=["status", "attempts", "available_at"])
    after = snapshot(event, exclude=("payload",))
    record(actor=actor, action="events.redeliver", target=event, before=before, after=after)
    announce_work()
    return event
