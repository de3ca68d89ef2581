"""Rules and alarms: what a breach of a rule by a subject (a device, a meter) raises and how it ends.

A Rule watches one metric of a subject type (or one subject); an Alarm is one breach of one rule by
one subject, open (active, then acknowledged) until the condition ends or someone clears it. The
per-subject-metric state keeps the last reading, for rates of change and for "no data" detection.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bohai.kernel.accounts.scoping import ScopedQuerySet


class Severity(models.TextChoices):
    INFO = "info", _("提示")
    MINOR = "minor", _("一般")
    MAJOR = "major", _("严重")
    CRITICAL = "critical", _("紧急")


class ConditionKind(models.TextChoices):
    ABOVE = "above", _("高于阈值")
    BELOW = "below", _("低于阈值")
    OUTSIDE = "outside", _("超出范围")
    RATE_ABOVE = "rate_above", _("每分钟变化率超过阈值")
    NO_DATA = "no_data", _("若干分钟无数据")
    ALL_OF = "all_of", _("组合条件（同时满足）")


class AlarmState(models.TextChoices):
    ACTIVE = "active", _("活动")
    ACKNOWLEDGED = "acknowledged", _("已确认")
    CLEARED = "cleared", _("已解除")


OPEN_STATES = (AlarmState.ACTIVE, AlarmState.ACKNOWLEDGED)


class ClearedHow(models.TextChoices):
    AUTO = "auto", _("自动解除")
    MANUAL = "manual", _("人工解除")


class Rule(models.Model):
    """One condition on the readings of a subject type (blank: every type) or of one subject."""

    name = models.CharField(_("名称"), max_length=100)
    subject_kind = models.CharField(_("对象类别"), max_length=40, help_text=_("如 iot.device"))
    subject_type = models.CharField(_("对象类型"), max_length=60, blank=True, help_text=_("留空表示所有类型"))
    subject_id = models.BigIntegerField(_("对象编号"), null=True, blank=True, help_text=_("只监测一个对象时填写"))
    metric = models.CharField(_("指标"), max_length=60, blank=True,
                              help_text=_("组合条件的指标写在各子条件中；无数据规则留空表示任一指标"))
    kind = models.CharField(_("条件类型"), max_length=12, choices=ConditionKind.choices)
    threshold = models.FloatField(_("阈值"), null=True, blank=True)
    lower = models.FloatField(_("下限"), null=True, blank=True)
    upper = models.FloatField(_("上限"), null=True, blank=True)
    minutes = models.PositiveIntegerField(_("无数据分钟数"), null=True, blank=True)
    parts = models.JSONField(_("子条件"), default=list, blank=True,
                             help_text=_('组合条件：[{"metric": "pressure", "kind": "below", "threshold": 0.2}, …]'))
    hysteresis = models.FloatField(_("解除回差"), default=0.0,
                                   help_text=_("数值须回到阈值以内这么多才自动解除，避免在阈值附近反复告警"))
    severity = models.CharField(_("级别"), max_length=10, choices=Severity.choices, default=Severity.MINOR)
    escalation_minutes = models.PositiveIntegerField(_("未确认升级分钟数"), default=15,
                                                     help_text=_("0 表示不升级"))
    active = models.BooleanField(_("启用"), default=True)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属区划"))
    organisation = models.ForeignKey("organisations.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("所属机构"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "region", "organisation": "organisation"}

    class Meta:
        ordering = ["subject_kind", "subject_type", "metric", "name", "id"]
        verbose_name = _("告警规则")
        verbose_name_plural = _("告警规则")
        indexes = [models.Index(fields=["active", "subject_kind"], name="alarms_rule_active_kind")]

    def __str__(self):
        return self.name

    @property
    def alarm_metric(self) -> str:
        """The metric an alarm of this rule reports: a combination's first part."""
        if self.kind == ConditionKind.ALL_OF and self.parts:
            return self.parts[0].get("metric", "")
        return self.metric


class RuleSetVersion(models.Model):
    """One row counting rule changes, so each process knows when its cached rules are stale."""

    key = models.CharField(_("键"), max_length=20, unique=True)
    version = models.PositiveBigIntegerField(_("版本"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("规则版本")
        verbose_name_plural = _("规则版本")

    def __str__(self):
        return f"{self.key} v{self.version}"


class Alarm(models.Model):
    """One breach of one rule by one subject; at most one open per (rule, subject)."""

    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="alarms", verbose_name=_("规则"))
    subject_kind = models.CharField(_("对象类别"), max_length=40)
    subject_id = models.BigIntegerField(_("对象编号"))
    subject_label = models.CharField(_("对象"), max_length=200)
    subject_link = models.CharField(_("对象链接"), max_length=300, blank=True)
    metric = models.CharField(_("指标"), max_length=60, blank=True)
    organisation = models.ForeignKey("organisations.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("责任机构"))
    region = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("所在区划"))
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    severity = models.CharField(_("级别"), max_length=10, choices=Severity.choices)
    state = models.CharField(_("状态"), max_length=12, choices=AlarmState.choices, default=AlarmState.ACTIVE)
    escalation_level = models.PositiveSmallIntegerField(_("升级层级"), default=1)
    escalated_at = models.DateTimeField(_("进入当前层级时间"))
    raised_at = models.DateTimeField(_("告警时间"))
    last_seen_at = models.DateTimeField(_("最近触发读数时间"))
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+", verbose_name=_("确认人"))
    cleared_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    cleared_how = models.CharField(_("解除方式"), max_length=8, choices=ClearedHow.choices, blank=True)
    cleared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("解除人"))
    first_value = models.FloatField(_("首个读数"), null=True, blank=True)
    last_value = models.FloatField(_("最新读数"), null=True, blank=True)
    reading_count = models.PositiveIntegerField(_("触发读数次数"), default=1)
    message = models.CharField(_("告警内容"), max_length=300)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "region", "organisation": "organisation"}

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("告警")
        verbose_name_plural = _("告警")
        permissions = [("acknowledge_alarm", _("可以确认和解除告警"))]
        constraints = [
            # Two ingestion workers breaching the same rule at once still make one alarm.
            models.UniqueConstraint(fields=["rule", "subject_kind", "subject_id"], condition=Q(state__in=OPEN_STATES),
                                    name="alarms_one_open_per_rule_subject"),
        ]
        indexes = [
            models.Index(fields=["subject_kind", "subject_id", "state"], name="alarms_alarm_subject"),
            models.Index(fields=["state", "severity"], name="alarms_alarm_state_severity"),
            models.Index(fields=["state", "escalated_at"], name="alarms_alarm_escalation"),
        ]

    def __str__(self):
        return f"{self.subject_label}：{self.message}"  # no query: the audit trail names every alarm it writes

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class AlarmEventKind(models.TextChoices):
    RAISED = "raised", _("告警产生")
    ACKNOWLEDGED = "acknowledged", _("已确认")
    ESCALATED = "escalated", _("升级")
    CLEARED = "cleared", _("已解除")


class AlarmEvent(models.Model):
    """The alarm's timeline: raised, acknowledged, escalated, cleared, each with who and why."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="events", verbose_name=_("告警"))
    kind = models.CharField(_("事件"), max_length=14, choices=AlarmEventKind.choices)
    at = models.DateTimeField(_("时间"))
    actor_label = models.CharField(_("操作人"), max_length=150, blank=True)
    level = models.PositiveSmallIntegerField(_("层级"), null=True, blank=True)
    value = models.FloatField(_("读数"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    notified = models.PositiveIntegerField(_("通知人数"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["alarm", "at", "id"]
        verbose_name = _("告警事件")
        verbose_name_plural = _("告警事件")

    def __str__(self):
        return f"{self.alarm_id} {self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class SubjectMetricState(models.Model):
    """The last reading of one metric of one subject: for rates of change and "no data" alarms."""

    subject_kind = models.CharField(_("对象类别"), max_length=40)
    subject_id = models.BigIntegerField(_("对象编号"))
    metric = models.CharField(_("指标"), max_length=60)
    subject_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    last_ts = models.DateTimeField(_("最近读数时间"))
    last_value = models.FloatField(_("最近读数"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        ordering = ["subject_kind", "subject_id", "metric"]
        verbose_name = _("对象指标状态")
        verbose_name_plural = _("对象指标状态")
        constraints = [models.UniqueConstraint(fields=["subject_kind", "subject_id", "metric"],
                                               name="alarms_state_one_per_subject_metric")]
        # Not last_ts: an index on it made every state update a new index entry in each index (no HOT update
        # on PostgreSQL), and the "no data" sweep reads a type's states whole anyway.
        indexes = [models.Index(fields=["subject_kind", "subject_type"], name="alarms_state_kind_type")]

    def __str__(self):
        return f"{self.subject_kind}#{self.subject_id} {self.metric}={self.last_value}"


class DutyShift(models.Model):
    """Who is on duty for an organisation, from when to when: the first to hear of its alarms."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+",
                                      verbose_name=_("机构"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("值班人员"))
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "organisation__region", "organisation": "organisation"}

    class Meta:
        ordering = ["organisation", "starts_at", "id"]
        verbose_name = _("值班安排")
        verbose_name_plural = _("值班安排")
        indexes = [models.Index(fields=["organisation", "starts_at", "ends_at"], name="alarms_duty_when")]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")),
                                              name="alarms_duty_ends_after_start")]

    def __str__(self):
        return f"{self.organisation} · {self.user} · {self.starts_at:%Y-%m-%d %H:%M}"
