"""Sending notifications: once per key, audited, extra channels after commit and never harmful."""
import logging

import pytest
from django.core.exceptions import ValidationError

from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.notifications import sms
from bohai.kernel.notifications.actions import mark_all_read, mark_read, notify
from bohai.kernel.notifications.channels import register_channel, registered_channels, unregister_channel
from bohai.kernel.notifications.models import Notification
from bohai.kernel.notifications.queries import unread_count

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent():
    """A channel that remembers what it was given."""
    received = []
    register_channel("test-recorder", received.append)
    yield received
    unregister_channel("test-recorder")


def test_notify_creates_one_notification_per_recipient(officer, colleague, django_capture_on_commit_callbacks):
    count = notify([officer, colleague.pk], actor="system:services", title="办件即将超期", body="还剩 1 个工作日",
                   link="/work/services/tasks/123/", level="warning", topic="services.deadline")

    assert count == 2
    rows = Notification.objects.order_by("recipient_id")
    assert [n.recipient_id for n in rows] == sorted([officer.pk, colleague.pk])
    first = rows[0]
    assert (first.title, first.body, first.link, first.level, first.topic, first.read_at) == (
        "办件即将超期", "还剩 1 个工作日", "/work/services/tasks/123/", "warning", "services.deadline", None)
    audit = AuditRecord.objects.get(action="notifications.notify")
    assert audit.after["count"] == 2 and audit.after["topic"] == "services.deadline"
    assert audit.actor_label == "system:services"


def test_a_single_recipient_needs_no_list(officer):
    assert notify(officer, actor="test", title="你好") == 1


def test_a_dedupe_key_sends_each_recipient_one_notification(officer, colleague):
    key = "services.deadline.yellow:123"
    assert notify([officer], actor="job", title="黄色预警", level="warning", dedupe_key=key) == 1
    assert notify([officer], actor="job", title="黄色预警", level="warning", dedupe_key=key) == 0
    assert notify([officer, colleague], actor="job", title="黄色预警", level="warning", dedupe_key=key) == 1
    assert Notification.objects.filter(dedupe_key=key).count() == 2
    audits = AuditRecord.objects.filter(action="notifications.notify").order_by("id")
    assert [a.after["count"] for a in audits] == [1, 1]  # a call that changed nothing writes no record
    assert audits[1].after["skipped"] == 1


def test_without_a_key_every_call_notifies(officer):
    notify([officer], actor="t", title="提醒")
    notify([officer], actor="t", title="提醒")
    assert Notification.objects.count() == 2


def test_inactive_and_unknown_recipients_are_skipped(officer, colleague):
    colleague.is_active = False
    colleague.save()
    assert notify([officer, colleague, 999_999], actor="t", title="提醒") == 1


@pytest.mark.parametrize("changes,field", [
    ({"title": "  "}, "title"),
    ({"title": "长" * 201}, "title"),
    ({"level": "critical"}, "level"),
    ({"link": "https://evil.example/"}, "link"),
    ({"link": "//evil.example/"}, "link"),
    ({"link": "javascript:alert(1)"}, "link"),
    ({"link": "/work/\\evil"}, "link"),
])
def test_invalid_notifications_are_refused(officer, changes, field):
    arguments = {"title": "标题", **changes}
    with pytest.raises(ValidationError) as refused:
        notify([officer], actor="t", **arguments)
    assert field in refused.value.message_dict
    assert not Notification.objects.exists()


def test_channels_run_only_after_commit(officer, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        notify([officer], actor="t", title="提醒")
        assert sent == []
    for callback in callbacks:
        callback()
    assert [n.title for n in sent] == ["提醒"] and sent[0].pk is not None


def test_nothing_is_sent_when_the_transaction_rolls_back(officer, sent, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            notify([officer], actor="t", title="提醒")
            raise RuntimeError("the caller's action failed")
    assert sent == [] and not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_failing_channel_neither_rolls_back_nor_stops_the_others(officer, sent, caplog):
    def broken(notification):
        raise ConnectionError("SMS gateway down")

    register_channel("broken", broken)
    try:
        with caplog.at_level(logging.ERROR, logger="bohai.notifications"):
            assert notify([officer], actor="t", title="提醒") == 1
    finally:
        unregister_channel("broken")
    assert Notification.objects.filter(recipient=officer).count() == 1
    assert len(sent) == 1
    assert "'broken' failed" in caplog.text


def test_the_log_channel_is_registered_by_default(officer, caplog, django_capture_on_commit_callbacks):
    assert {"log", "sms"} <= set(registered_channels())
    with caplog.at_level(logging.INFO, logger="bohai.notifications"), \
            django_capture_on_commit_callbacks(execute=True):
        notify([officer], actor="t", title="红色预警", level="danger", topic="services.deadline", body="保密内容")
    assert "[danger] services.deadline: 红色预警" in caplog.text
    assert "保密内容" not in caplog.text


@pytest.fixture
def sms_outbox(settings):
    settings.BOHAI_SMS_BACKEND = "bohai.kernel.notifications.sms.memory_backend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def test_urgent_notifications_go_by_sms_to_the_decrypted_phone(resident, sms_outbox, caplog,
                                                              django_capture_on_commit_callbacks):
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        notify([resident], actor="t", title="请补正材料", body="身份证复印件不清晰", level="warning")
        notify([resident], actor="t", title="办件已受理", level="info")
    assert sms_outbox == [("13812345678", "请补正材料：身份证复印件不清晰")]
    assert "13812345678" not in caplog.text


def test_no_sms_without_a_backend_or_a_phone(resident, officer, sms_outbox, settings,
                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify([officer], actor="t", title="紧急", level="danger")  # staff account: no person, no phone
    settings.BOHAI_SMS_BACKEND = None
    with django_capture_on_commit_callbacks(execute=True):
        notify([resident], actor="t", title="紧急", level="danger")
    assert sms_outbox == []


def test_long_sms_texts_are_shortened(officer):
    notification = Notification(recipient=officer, title="标" * 150, body="文" * 150)
    text = sms.sms_text(notification)
    assert len(text) == sms.MAX_TEXT_LENGTH and text.endswith("…")


def test_mark_read_touches_only_the_actors_own(officer, colleague):
    notify([officer, colleague], actor="t", title="提醒")
    mine = Notification.objects.get(recipient=officer)
    theirs = Notification.objects.get(recipient=colleague)

    assert mark_read([theirs.pk], actor=officer) == 0
    assert mark_read([mine.pk, theirs.pk], actor=officer) == 1
    assert mark_read([mine.pk], actor=officer) == 0  # already read

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    assert AuditRecord.objects.filter(action="notifications.read").count() == 1


def test_mark_read_refuses_ids_that_are_not_numbers(officer):
    with pytest.raises(ValidationError):
        mark_read(["abc"], actor=officer)


def test_mark_all_read_and_the_unread_count(officer, colleague):
    notify([officer], actor="t", title="一")
    notify([officer, colleague], actor="t", title="二")
    assert unread_count(officer) == 2 and unread_count(colleague) == 1

    assert mark_all_read(actor=officer) == 2

    assert unread_count(officer) == 0 and unread_count(colleague) == 1
    assert mark_all_read(actor="system:cli") == 0
