from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    PERSONS = "persons", _("自然人")
    ENTITIES = "entities", _("法人")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("导入中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")


class ImportRun(models.Model):
    """One import of a file: what came in, how much was kept, and every rejected row with its reason.

    Rejected rows are kept (values masked where personal) so that the workbench can show them and
    offer the error report; their number is capped so that a wholly wrong file cannot bloat the row.
    """

    kind = models.CharField(_("类别"), max_length=10, choices=ImportKind.choices)
    file_name = models.CharField(_("文件名"), max_length=255)
    file_format = models.CharField(_("格式"), max_length=4)
    file_size = models.BigIntegerField(_("文件大小（字节）"))
    digest = models.CharField(_("文件摘要（SM3）"), max_length=64, db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.RUNNING)
    total_rows = models.PositiveIntegerField(_("数据行数"), default=0)
    imported_count = models.PositiveIntegerField(_("导入行数"), default=0)
    rejected_count = models.PositiveIntegerField(_("退回行数"), default=0)
    duplicate_count = models.PositiveIntegerField(_("其中重复"), default=0)
    errors = models.JSONField(_("错误明细"), default=list, blank=True)
    errors_truncated = models.BooleanField(_("错误明细已截断"), default=False)
    failure = models.TextField(_("失败原因"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("操作人"),
    )
    actor_label = models.CharField(_("操作人标识"), max_length=150)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("导入记录")
        verbose_name_plural = _("导入记录")

    def __str__(self):
        return f"{self.get_kind_display()} · {self.file_name}"

    @property
    def in_progress(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)
