from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .fields import AppendOnlyAutoField, CanonicalJSONField


class AuditRecord(models.Model):
    """One append-only entry of the audit trail.

    Written by the action in its own transaction (seq empty); sealed shortly after by the
    sealer, which gives it the next seq and chains it to the previous record with SM3.
    """

    id = AppendOnlyAutoField(primary_key=True)
    seq = models.BigIntegerField(_("序号"), unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("时间"))
    # The record keeps the id of a user who is later deleted: setting it to NULL would rewrite a
    # sealed record and break the chain. No index: every audited write would pay for it, and
    # nothing looks records up by user id (actor_label names the user).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
        related_name="+", db_constraint=False, db_index=False, verbose_name=_("操作人"),
    )
    actor_label = models.CharField(_("操作人标识"), max_length=150)
    channel = models.CharField(_("渠道"), max_length=10)
    address = models.CharField(_("来源地址"), max_length=64, blank=True)
    user_agent = models.CharField(_("客户端"), max_length=200, blank=True)
    action = models.CharField(_("操作"), max_length=80)
    target_type = models.CharField(_("对象类型"), max_length=80, blank=True)
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    target_repr = models.CharField(_("对象"), max_length=200, blank=True)
    before = CanonicalJSONField(_("变更前"), null=True, blank=True)
    after = CanonicalJSONField(_("变更后"), null=True, blank=True)
    prev_hash = models.CharField(_("前一记录摘要"), max_length=64, blank=True)
    hash = models.CharField(_("摘要"), max_length=64, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        # Few indexes on purpose: every audited write pays for each one.
        indexes = [models.Index(fields=["target_type", "target_id"])]
        default_permissions = ("view",)

    def __str__(self):
        number = f"#{self.seq}" if self.seq else _("待封存")
        return f"{number} {self.actor_label} {self.action} {self.target_repr}"
