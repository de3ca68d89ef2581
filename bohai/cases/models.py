"""Problem classes, cases (数字城管 and 12345 appeals alike), their photos and timelines, keyword rules."""
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from bohai.kernel.accounts.scoping import ScopedQuerySet


class ClassKind(models.TextChoices):
    PART = "part", _("部件")
    EVENT = "event", _("事件")
    TOPIC = "topic", _("12345诉求领域")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")


class CaseClass(models.Model):
    """A node of the class tree: a major class (no parent) or a minor class with its handling rules."""

    code = models.CharField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    kind = models.CharField(_("类别"), max_length=6, choices=ClassKind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
                               verbose_name=_("大类"))
    department = models.CharField(_("默认责任部门职能"), max_length=40, blank=True)
    limit_days = models.PositiveSmallIntegerField(_("处置时限（工作日）"), null=True, blank=True)
    limit_hours = models.FloatField(_("处置时限（小时）"), null=True, blank=True,
                                    help_text=_("紧急类：自然小时；与工作日时限二选一"))
    urgency = models.CharField(_("紧急程度"), max_length=6, choices=Urgency.choices, default=Urgency.NORMAL)
    model_label = models.CharField(_("分类模型标签"), max_length=40, blank=True,
                                   help_text=_("智能分派模型中的类别代码"))
    description = models.CharField(_("说明"), max_length=200, blank=True)
    active = models.BooleanField(_("在用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("问题分类")
        verbose_name_plural = _("问题分类")

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def is_minor(self) -> bool:
        return self.parent_id is not None


class AppealType(models.TextChoices):
    CONSULT = "consult", _("咨询")
    HELP = "help", _("求助")
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")
    SUGGESTION = "suggestion", _("建议")
    PRAISE = "praise", _("表扬")


class Track(models.TextChoices):
    CITY = "city", _("数字城管")
    HOTLINE = "hotline", _("12345诉求")


class Source(models.TextChoices):
    PATROL = "patrol", _("网格员巡查")
    PORTAL = "portal", _("群众上报（门户）")
    OPEN311 = "open311", _("Open311 应用")
    HOTLINE = "hotline", _("12345 来电")
    SENSOR = "sensor", _("传感器告警")
    OPINION = "opinion", _("网络舆情")


class Status(models.TextChoices):
    REPORTED = "reported", _("待立案")
    INVALID = "invalid", _("不予立案")
    MERGED = "merged", _("已合并（重复）")
    FILED = "filed", _("待派遣")
    DISPATCHED = "dispatched", _("待签收")
    HANDLING = "handling", _("处置中")
    HANDLED = "handled", _("待核查")
    CLOSED = "closed", _("已结案")
    DEFERRED = "deferred", _("挂账")
    ACCEPTED = "accepted", _("已受理")
    REPLIED = "replied", _("已答复，待回访")


OPEN_STATUSES = (Status.REPORTED, Status.FILED, Status.DISPATCHED, Status.HANDLING, Status.HANDLED,
                 Status.ACCEPTED, Status.REPLIED)


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


class Case(models.Model):
    number = models.CharField(_("案卷号"), max_length=24, unique=True, null=True, blank=True)
    track = models.CharField(_("业务"), max_length=8, choices=Track.choices)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    appeal_type = models.CharField(_("诉求类型"), max_length=10, choices=AppealType.choices, blank=True)
    case_class = models.ForeignKey(CaseClass, null=True, blank=True, on_delete=models.PROTECT, related_name="cases",
                                   verbose_name=_("问题分类"))
    description = models.TextField(_("问题描述"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所在区划"))
    county = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("县（市、区）"))
    township = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("乡镇（街道）"))
    grid = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("网格"))
    organisation = models.ForeignKey("organisations.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("处置单位"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, db_index=True)
    urgency = models.CharField(_("紧急程度"), max_length=6, choices=Urgency.choices, default=Urgency.NORMAL)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("上报人"))
    caller_name_masked = models.CharField(_("来电人"), max_length=20, blank=True)
    caller_phone_cipher = models.TextField(blank=True)
    caller_phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    caller_phone_masked = models.CharField(_("来电号码"), max_length=20, blank=True)
    external_token = models.CharField(max_length=40, blank=True, db_index=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates",
                                     verbose_name=_("重复于"))
    workflow = models.OneToOneField("workflows.WorkflowInstance", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    suggestion = models.JSONField(_("智能分派建议"), default=dict, blank=True)
    reported_at = models.DateTimeField(_("上报时间"))
    filed_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派遣时间"), null=True, blank=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    handled_at = models.DateTimeField(_("处置反馈时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    due_at = models.DateTimeField(_("处置时限"), null=True, blank=True)
    dispatch_count = models.PositiveSmallIntegerField(_("派遣次数"), default=0)
    sendback_count = models.PositiveSmallIntegerField(_("退回次数"), default=0)
    rework_count = models.PositiveSmallIntegerField(_("返工次数"), default=0)
    verified_count = models.PositiveSmallIntegerField(_("核查次数"), default=0)
    first_dispatch_correct = models.BooleanField(_("一次派遣准确"), null=True)
    extended_days = models.PositiveSmallIntegerField(_("已批准延期（工作日）"), default=0)
    deferred_reason = models.CharField(_("挂账原因"), max_length=200, blank=True)
    on_time = models.BooleanField(_("按期结案"), null=True)
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices, blank=True)
    reason = models.CharField(_("不予立案/退回理由"), max_length=400, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "region", "organisation": "organisation"}

    class Meta:
        ordering = ["-reported_at", "-id"]
        indexes = [models.Index(fields=["track", "status"]), models.Index(fields=["reported_at"]),
                   models.Index(fields=["case_class", "reported_at"]),
                   # the hot spots (an index-only scan), short periods' deadlines, what changed since the rollup
                   models.Index(fields=["grid", "reported_at"], name="cases_case_grid_reported"),
                   models.Index(fields=["due_at"], name="cases_case_due_at"),
                   models.Index(fields=["updated_at"], name="cases_case_updated_at")]
        permissions = [("view_indicators", _("查看网格与诉求指标")), ("dispatch_case", _("派遣案件")),
                       ("file_case", _("立案与核查结案")), ("reveal_caller", _("查看来电号码（回访）"))]
        verbose_name = _("案件")
        verbose_name_plural = _("案件")

    def __str__(self):
        return f"{self.number or _('待编号')} {self.case_class.name if self.case_class else ''}"

    def get_absolute_url(self):
        return reverse("cases:work_case", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class PhotoStage(models.TextChoices):
    REPORT = "report", _("上报照片")
    HANDLED = "handled", _("处置后照片")
    VERIFY = "verify", _("核查照片")


class CasePhoto(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    stage = models.CharField(_("环节"), max_length=8, choices=PhotoStage.choices)
    stored_file = models.ForeignKey("files.StoredFile", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["case", "created_at"]
        verbose_name = _("案件照片")
        verbose_name_plural = _("案件照片")

    def __str__(self):
        return f"{self.case} {self.get_stage_display()}"


class CaseEvent(models.Model):
    """One typed entry of a case's timeline; `public` ones are shown to the reporter and the public list."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("类型"), max_length=24)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(_("经办"), max_length=100, blank=True)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    public = models.BooleanField(_("公开"), default=True)

    class Meta:
        ordering = ["case", "at", "id"]
        verbose_name = _("案件动态")
        verbose_name_plural = _("案件动态")

    def __str__(self):
        return f"{self.kind} @ {self.at:%Y-%m-%d %H:%M}"


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("未批准")


class ExtensionRequest(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveSmallIntegerField(_("延期（工作日）"))
    reason = models.CharField(_("理由"), max_length=400)
    status = models.CharField(_("状态"), max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")

    def __str__(self):
        return f"{self.case} +{self.days}"


class KeywordRule(models.Model):
    """An administrator's dispatch rule: text containing the pattern (in a region, if given) points to a class."""

    pattern = models.CharField(_("关键词"), max_length=60)
    case_class = models.ForeignKey(CaseClass, on_delete=models.CASCADE, related_name="+", verbose_name=_("分类"))
    region = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("适用区域"))
    weight = models.FloatField(_("权重"), default=0.5, help_text=_("0–1 提升概率；≥1 直接置顶；负数排除"))
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["pattern"]
        verbose_name = _("分派关键词规则")
        verbose_name_plural = _("分派关键词规则")

    def __str__(self):
        return f"{self.pattern} → {self.case_class.name}"


class DispatchCorrection(models.Model):
    """A dispatcher chose a different class than the model's first suggestion: retraining learns from it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    suggested = models.CharField(max_length=40, blank=True)
    chosen = models.CharField(max_length=40)
    used_in_training = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("分派纠正")
        verbose_name_plural = _("分派纠正")

    def __str__(self):
        return f"{self.suggested} → {self.chosen}"


class CaseRollupMonth(models.Model):
    """One reported month (local) of the monthly rollup: its settled cases as they stood at `counted_until`.

    The month's rollup is used only while no case reported in it has changed since (`updated_at` later than
    `counted_until`) and the working calendar is the one it was counted with; otherwise its cases are counted
    from the rows until the refresh job counts the month again (bohai/cases/rollup.py)."""

    month = models.DateField(_("上报月份"), unique=True)
    counted_until = models.DateTimeField(_("统计截至"))
    calendar = models.CharField(_("工作日历指纹"), max_length=64)
    cases = models.PositiveIntegerField(_("已办结案件数"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["month"]
        verbose_name = _("案件月度汇总批次")
        verbose_name_plural = _("案件月度汇总批次")

    def __str__(self):
        return f"{self.month:%Y-%m} @ {self.counted_until:%Y-%m-%d %H:%M}"


class CaseMonthRollup(models.Model):
    """The indicators' counts of the settled cases (closed, refused, merged: they no longer change) reported in
    one month, per month of their deadline, track, place and handling unit. The fields after `organisation`
    are bohai.cases.indicators.Measures' counts, as if every case were in both cohorts (reported and due)."""

    batch = models.ForeignKey(CaseRollupMonth, on_delete=models.CASCADE, related_name="rows")
    month = models.DateField(_("上报月份"))
    due_month = models.DateField(_("处置时限月份"), null=True)
    track = models.CharField(_("业务"), max_length=8, choices=Track.choices)
    county = models.ForeignKey("regions.Region", null=True, on_delete=models.CASCADE, related_name="+",
                               db_constraint=False, verbose_name=_("县（市、区）"))
    township = models.ForeignKey("regions.Region", null=True, on_delete=models.CASCADE, related_name="+",
                                 db_constraint=False, verbose_name=_("乡镇（街道）"))
    organisation = models.ForeignKey("organisations.Organisation", null=True, on_delete=models.CASCADE,
                                     related_name="+", db_constraint=False, verbose_name=_("处置单位"))
    reported = models.IntegerField(_("上报/受理量"), default=0)
    city_reported = models.IntegerField(_("数字城管上报"), default=0)
    filed = models.IntegerField(_("立案"), default=0)
    refused = models.IntegerField(_("不予立案"), default=0)
    merged = models.IntegerField(_("合并重复"), default=0)
    awaiting_filing = models.IntegerField(_("待立案"), default=0)
    dispatch_judged = models.IntegerField(_("首次派遣已判定"), default=0)
    dispatch_correct = models.IntegerField(_("首次派遣准确"), default=0)
    handled = models.IntegerField(_("已处置"), default=0)
    handled_on_time = models.IntegerField(_("按期处置"), default=0)
    verified = models.IntegerField(_("已核查"), default=0)
    reworked = models.IntegerField(_("返工"), default=0)
    followed_up = models.IntegerField(_("已回访"), default=0)
    satisfied = models.IntegerField(_("满意"), default=0)
    basically = models.IntegerField(_("基本满意"), default=0)
    dissatisfied = models.IntegerField(_("不满意"), default=0)
    handling_cases = models.IntegerField(_("计时案件"), default=0)
    handling_days = models.IntegerField(_("处置用时（工作日）合计"), default=0)
    open = models.IntegerField(_("在办"), default=0)
    overdue = models.IntegerField(_("超期在办"), default=0)
    deferred = models.IntegerField(_("挂账"), default=0)
    closed = models.IntegerField(_("已结案"), default=0)
    due = models.IntegerField(_("应结案"), default=0)
    due_deferred = models.IntegerField(_("应结案中挂账"), default=0)
    due_closed = models.IntegerField(_("应结案中已结案"), default=0)
    due_closed_on_time = models.IntegerField(_("应结案中按期结案"), default=0)

    class Meta:
        ordering = ["month", "due_month", "id"]
        indexes = [models.Index(fields=["month"])]
        verbose_name = _("案件月度汇总")
        verbose_name_plural = _("案件月度汇总")

    def __str__(self):
        return f"{self.month:%Y-%m} {self.track} {self.reported}"
