"""Running processes and their tasks: who must act, where, by when."""
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from bohai.kernel.accounts.scoping import ScopedQuerySet

from .definitions import Process


class Warning(models.IntegerChoices):
    NONE = 0, _("正常")
    YELLOW = 1, _("黄牌预警")
    RED = 2, _("红牌超期")


class InstanceStatus(models.TextChoices):
    RUNNING = "running", _("办理中")
    PAUSED = "paused", _("暂停计时")
    FINISHED = "finished", _("已结束")
    CANCELLED = "cancelled", _("已终止")


class WorkflowInstance(models.Model):
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    declaration = models.JSONField(_("流程定义"))
    stage_key = models.CharField(_("当前环节"), max_length=40, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=InstanceStatus.choices, default=InstanceStatus.RUNNING)
    outcome = models.CharField(_("结果"), max_length=20, blank=True)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("办理地"))
    department = models.CharField(_("主办部门职能"), max_length=40)
    organisation = models.ForeignKey("organisations.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("主办机构"))
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    limit_days = models.PositiveIntegerField(_("总时限（工作日）"), null=True, blank=True)
    due_at = models.DateTimeField(_("总时限截止"), null=True, blank=True)
    yellow_at = models.DateTimeField(_("黄牌预警时间"), null=True, blank=True)
    paused_since = models.DateTimeField(_("暂停自"), null=True, blank=True)
    paused_days = models.PositiveIntegerField(_("已暂停工作日"), default=0)
    warning = models.PositiveSmallIntegerField(_("预警"), choices=Warning.choices, default=Warning.NONE)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "region", "organisation": "organisation"}

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"]), models.Index(fields=["status", "due_at"])]
        verbose_name = _("流程实例")
        verbose_name_plural = _("流程实例")

    def __str__(self):
        return f"{self.subject_type.model}#{self.subject_id} · {self.stage_key or self.get_status_display()}"

    @property
    def process(self) -> Process:
        return Process.from_declaration(self.declaration)


class TaskStatus(models.TextChoices):
    OPEN = "open", _("待办")
    DONE = "done", _("已办")
    CANCELLED = "cancelled", _("已取消")


class Outcome(models.TextChoices):
    APPROVE = "approve", _("通过")
    DENY = "deny", _("不予通过")
    RETURN = "return", _("退回上一环节")


class WorkflowTask(models.Model):
    instance = models.ForeignKey(WorkflowInstance, on_delete=models.CASCADE, related_name="tasks")
    stage_key = models.CharField(_("环节"), max_length=40)
    step_key = models.CharField(_("步骤"), max_length=40)
    name = models.CharField(_("名称"), max_length=60)
    role = models.CharField(_("办理角色"), max_length=40)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("办理地"))
    organisation = models.ForeignKey("organisations.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("办理机构"))
    status = models.CharField(_("状态"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    outcome = models.CharField(_("办理结果"), max_length=10, choices=Outcome.choices, blank=True)
    comment = models.TextField(_("办理意见"), blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("认领人"))
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("办理人"))
    opened_at = models.DateTimeField(_("开始时间"))
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    limit_days = models.PositiveIntegerField(_("时限（工作日）"), null=True, blank=True)
    limit_hours = models.FloatField(_("时限（工作小时）"), null=True, blank=True)
    limit_clock_hours = models.FloatField(_("时限（自然小时）"), null=True, blank=True)
    paused_days = models.PositiveIntegerField(_("已暂停工作日"), default=0)
    due_at = models.DateTimeField(_("截止时间"), null=True, blank=True)
    yellow_at = models.DateTimeField(_("黄牌预警时间"), null=True, blank=True)
    warning = models.PositiveSmallIntegerField(_("预警"), choices=Warning.choices, default=Warning.NONE)
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "region", "organisation": "organisation"}

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "role"]), models.Index(fields=["status", "due_at"])]
        verbose_name = _("待办任务")
        verbose_name_plural = _("待办任务")

    def __str__(self):
        return f"{self.name} · {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN
