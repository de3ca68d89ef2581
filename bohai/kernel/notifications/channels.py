"""Where a notification goes besides the user's list in the platform (the row itself).

Extra channels are functions `send(notification)` registered by name. They run after the
transaction that created the notifications commits, one by one; a channel that fails is
logged and skipped, so an SMS gateway being down never undoes or blocks a notification.

    from bohai.kernel.notifications.channels import register_channel
    register_channel("wecom", send_to_wecom)   # in AppConfig.ready()
"""
import functools
import logging
from collections.abc import Callable, Iterable

from django.db import transaction

from .models import Notification

logger = logging.getLogger("bohai.notifications")

Send = Callable[[Notification], None]
_channels: dict[str, Send] = {}


def register_channel(name: str, send: Send) -> None:
    _channels[name] = send


def unregister_channel(name: str) -> None:
    _channels.pop(name, None)


def registered_channels() -> dict[str, Send]:
    return dict(_channels)


def deliver_after_commit(notifications: Iterable[Notification]) -> None:
    transaction.on_commit(functools.partial(deliver, list(notifications)))


def deliver(notifications: list[Notification]) -> None:
    for name, send in list(_channels.items()):
        for notification in notifications:
            try:
                send(notification)
            except Exception:
                logger.exception("notification channel %r failed for notification %s", name, notification.pk)


def log_channel(notification: Notification) -> None:
    """The default extra channel: one line per notification in the log (not the body)."""
    logger.info("notification %s to user %s [%s] %s: %s", notification.pk, notification.recipient_id,
                notification.level, notification.topic or "-", notification.title)
