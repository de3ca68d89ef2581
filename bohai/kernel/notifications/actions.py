"""Sending notifications to users and marking them read."""
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import service_action

from .channels import deliver_after_commit
from .models import Level, Notification

MAX_TITLE = Notification._meta.get_field("title").max_length
MAX_LINK = Notification._meta.get_field("link").max_length
MAX_TOPIC = Notification._meta.get_field("topic").max_length
MAX_DEDUPE_KEY = Notification._meta.get_field("dedupe_key").max_length


@service_action
def notify(recipients, *, actor, title: str, body: str = "", link: str = "", level: str = Level.INFO,
           topic: str = "", dedupe_key: str | None = None) -> int:
    """Notify each recipient (users or user ids) once; how many notifications were created.

    With a `dedupe_key`, a recipient who already has a notification with that key is skipped,
    so a job may repeat the call safely. Extra channels (log, SMS) run after commit.
    """
    values = _cleaned(title=title, body=body, link=link, level=level, topic=topic, dedupe_key=dedupe_key)
    wanted = _active_user_ids(recipients)
    created = _create(wanted, values)
    if created:
        deliver_after_commit(created)
        record(actor=actor, action="notifications.notify", target_type="notifications.notification", after={
            "count": len(created), "skipped": len(wanted) - len(created), "title": values["title"],
            "level": values["level"], "topic": values["topic"], "dedupe_key": values["dedupe_key"],
        })
    return len(created)


def _cleaned(*, title, body, link, level, topic, dedupe_key) -> dict:
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("通知标题不能为空")]
    elif len(title) > MAX_TITLE:
        errors["title"] = [_("通知标题最多 %(max)d 个字") % {"max": MAX_TITLE}]
    if level not in Level.values:
        errors["level"] = [_("未知的通知级别：%(level)s") % {"level": level}]
    link = (link or "").strip()
    if link and not is_relative_link(link):
        errors["link"] = [_("通知链接必须是本平台内的相对地址（以 / 开头）")]
    if len(topic or "") > MAX_TOPIC or len(dedupe_key or "") > MAX_DEDUPE_KEY:
        errors["topic"] = [_("主题或去重键过长")]
    if errors:
        raise ValidationError(errors)
    return {"title": title, "body": (body or "").strip(), "link": link, "level": level, "topic": topic or "",
            "dedupe_key": dedupe_key or None}


def is_relative_link(link: str) -> bool:
    """/work/services/tasks/123/ yes; //evil.example, https://…, javascript:… no."""
    return (len(link) <= MAX_LINK and link.startswith("/") and not link.startswith("//")
            and "\\" not in link and link.isprintable() and " " not in link)


def _active_user_ids(recipients) -> list[int]:
    ids = {getattr(recipient, "pk", recipient) for recipient in _as_list(recipients)}
    users = get_user_model().objects.filter(pk__in=ids, is_active=True)
    return sorted(users.values_list("pk", flat=True))


def _as_list(recipients) -> list:
    if isinstance(recipients, Iterable) and not isinstance(recipients, (str, bytes)):
        return list(recipients)
    return [recipients]


def _create(user_ids: list[int], values: dict) -> list[Notification]:
    pending = _not_yet_notified(user_ids, values["dedupe_key"])
    try:
        with transaction.atomic():
            return Notification.objects.bulk_create(_rows(pending, values))
    except IntegrityError:  # a concurrent call with the same key reached some of them first
        pending = _not_yet_notified(user_ids, values["dedupe_key"])
        return Notification.objects.bulk_create(_rows(pending, values))


def _rows(user_ids: list[int], values: dict) -> list[Notification]:
    return [Notification(recipient_id=user_id, **values) for user_id in user_ids]


def _not_yet_notified(user_ids: list[int], dedupe_key: str | None) -> list[int]:
    if dedupe_key is None:
        return user_ids
    done = set(Notification.objects.filter(recipient_id__in=user_ids, dedupe_key=dedupe_key)
               .values_list("recipient_id", flat=True))
    return [user_id for user_id in user_ids if user_id not in done]


@service_action
def mark_read(notification_ids, *, actor) -> int:
    """Mark the actor's own notifications among `notification_ids` read; others' ids are ignored."""
    try:
        ids = {int(notification_id) for notification_id in notification_ids}
    except (TypeError, ValueError):
        raise ValidationError({"ids": [_("通知编号必须是整数")]}) from None
    return _mark(_unread_of(actor).filter(pk__in=ids), actor)


@service_action
def mark_all_read(*, actor) -> int:
    return _mark(_unread_of(actor), actor)


def _unread_of(actor):
    if getattr(actor, "pk", None) is None:  # only a user has notifications
        return Notification.objects.none()
    return Notification.objects.filter(recipient=actor, read_at__isnull=True)


def _mark(unread, actor) -> int:
    count = unread.update(read_at=timezone.now())
    if count:
        record(actor=actor, action="notifications.read", target_type="notifications.notification",
               after={"count": count})
    return count
