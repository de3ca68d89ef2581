"""Text messages for urgent notifications, through a gateway the deployment provides.

BOHAI_SMS_BACKEND is the dotted path of a callable `send(phone: str, text: str) -> None`;
unset, the channel sends nothing. Phone numbers are stored encrypted (identities.Person):
the number is decrypted here, inside the send, handed to the backend and never logged.
`memory_backend` keeps messages in `outbox`, for tests and demonstrations.
"""
import logging

from django.conf import settings
from django.utils.module_loading import import_string

from bohai.kernel.identities.models import Person

from .models import Level, Notification

logger = logging.getLogger("bohai.notifications")

# Only what cannot wait goes out by SMS; everything else waits in the bell.
SMS_LEVELS = frozenset({Level.WARNING, Level.DANGER})
MAX_TEXT_LENGTH = 200

outbox: list[tuple[str, str]] = []


def memory_backend(phone: str, text: str) -> None:
    outbox.append((phone, text))


def sms_channel(notification: Notification) -> None:
    if notification.level not in SMS_LEVELS or not settings.BOHAI_SMS_BACKEND:
        return
    send = import_string(settings.BOHAI_SMS_BACKEND)
    phone = phone_of(notification.recipient_id)
    if not phone:
        logger.info("notification %s: user %s has no phone number, no SMS sent", notification.pk,
                    notification.recipient_id)
        return
    send(phone, sms_text(notification))


def phone_of(user_id: int) -> str:
    """The decrypted phone of the person a user account belongs to ('' for staff without one)."""
    person = Person.objects.filter(account__pk=user_id).only("phone_cipher").first()
    return person.phone if person is not None and person.phone_cipher else ""


def sms_text(notification: Notification) -> str:
    text = notification.title + (f"：{notification.body}" if notification.body else "")
    return text if len(text) <= MAX_TEXT_LENGTH else text[:MAX_TEXT_LENGTH - 1] + "…"
