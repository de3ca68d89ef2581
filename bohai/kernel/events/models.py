from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxEvent(models.Model):
    """An event written in the same transaction as the change that caused it (transactional outbox).

    Delivered after commit, at least once; handlers must be idempotent (they get the event id).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待投递")
        DELIVERED = "delivered", _("已投递")
        FAILED = "failed", _("投递失败")

    name = models.CharField(_("事件"), max_length=80, db_index=True)
    payload = models.JSONField(_("内容"), default=dict)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("投递次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    available_at = models.DateTimeField(_("可投递时间"), db_index=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("投递时间"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("事件")
        verbose_name_plural = _("事件")
        indexes = [models.Index(fields=["status", "available_at"])]

    def __str__(self):
        return f"{self.name} #{self.pk}"


class HandlerReceipt(models.Model):
    """That one handler has handled one event, written in the same transaction as the handler's work.

    When one of an event's handlers fails, the event is delivered again; the receipts keep the
    handlers that already succeeded from running twice.
    """

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="receipts", verbose_name=_("事件"))
    handler = models.CharField(_("处理程序"), max_length=200)
    created_at = models.DateTimeField(_("处理时间"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("处理回执")
        verbose_name_plural = _("处理回执")
        constraints = [models.UniqueConstraint(fields=["event", "handler"], name="events_receipt_once_per_handler")]

    def __str__(self):
        return f"{self.handler} ← #{self.event_id}"
