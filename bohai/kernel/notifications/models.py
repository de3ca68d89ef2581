from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    INFO = "info", _("提示")
    SUCCESS = "success", _("完成")
    WARNING = "warning", _("预警")
    DANGER = "danger", _("紧急")


# Tabler colour names for each level (status dots, badges, borders).
LEVEL_COLOURS = {Level.INFO: "azure", Level.SUCCESS: "green", Level.WARNING: "yellow", Level.DANGER: "red"}


class Notification(models.Model):
    """One message to one user, shown in the bell and the list of the face they use.

    `dedupe_key` makes a notification idempotent per recipient: a deadline warning for task 123
    sent by a job that runs every hour reaches each officer once.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("接收人"),
    )
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices, default=Level.INFO)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=500, blank=True)
    topic = models.CharField(_("主题"), max_length=100, blank=True)
    dedupe_key = models.CharField(_("去重键"), max_length=200, null=True, blank=True)
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notification_once_per_key"),
        ]

    def __str__(self):
        return f"{self.title} → {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def colour(self) -> str:
        return LEVEL_COLOURS.get(self.level, "azure")
