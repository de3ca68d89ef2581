from django.db import models
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    """A unit of background work, claimed by a worker (FOR UPDATE SKIP LOCKED on PostgreSQL).

    A running job holds a lease; when a worker dies mid-job the lease runs out and another
    worker takes the job up again as its next attempt.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("运行中")
        SUCCEEDED = "succeeded", _("成功")
        FAILED = "failed", _("失败")

    name = models.CharField(_("任务"), max_length=80, db_index=True)
    arguments = models.JSONField(_("参数"), default=dict)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("执行次数"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("最多执行次数"), default=3)
    run_after = models.DateTimeField(_("最早执行时间"), db_index=True)
    worker = models.CharField(_("执行者"), max_length=80, blank=True)
    lease_until = models.DateTimeField(_("占用期限"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    result = models.JSONField(_("结果"), null=True, blank=True)
    error = models.TextField(_("最近错误"), blank=True)
    log = models.TextField(_("日志"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        indexes = [models.Index(fields=["status", "run_after"])]

    def __str__(self):
        return f"{self.name} #{self.pk}"


class PeriodicSchedule(models.Model):
    """When each periodic job last ran and next runs; rows are created from the code registry."""

    name = models.CharField(_("任务"), max_length=80, unique=True)
    interval_seconds = models.PositiveIntegerField(_("间隔（秒）"))
    next_run_at = models.DateTimeField(_("下次执行"))
    last_job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("最近一次")
    )
    enabled = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("周期任务")
        verbose_name_plural = _("周期任务")

    def __str__(self):
        return self.name
