"""The service catalogue (事项清单), applications and their timelines, 好差评 reviews and rectifications."""
from django.conf import settings
from django.db import models
from django.db.models import F, Func
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from bohai.kernel.accounts.scoping import ScopedQuerySet
from bohai.kernel.crypto.sealed import SealedJSONField


class ItemType(models.TextChoices):
    LICENSE = "license", _("行政许可")
    CONFIRMATION = "confirmation", _("行政确认")
    PAYMENT = "payment", _("行政给付")
    RULING = "ruling", _("行政裁决")
    REWARD = "reward", _("行政奖励")
    LEVY = "levy", _("行政征收")
    FILING = "filing", _("其他行政权力")
    PUBLIC_SERVICE = "public_service", _("公共服务")


class OnlineDepth(models.IntegerChoices):
    INFORMATION = 1, _("网上办事指南")
    PRE_REVIEW = 2, _("网上预审")
    ONLINE_ACCEPTANCE = 3, _("网上受理")
    FULLY_ONLINE = 4, _("全程网办")


class LifeEvent(models.Model):
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=20)
    audience = models.CharField(_("对象"), max_length=10, choices=[("person", _("个人")), ("entity", _("法人"))])
    description = models.CharField(_("说明"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["audience", "position"]
        verbose_name = _("主题（人生事件）")
        verbose_name_plural = _("主题（人生事件）")

    def __str__(self):
        return self.name


class ServiceItem(models.Model):
    code = models.CharField(_("事项编码"), max_length=60, unique=True)
    name = models.CharField(_("事项名称"), max_length=100)
    department = models.CharField(_("实施部门职能"), max_length=40, db_index=True)
    item_type = models.CharField(_("事项类型"), max_length=20, choices=ItemType.choices)
    legal_basis = models.TextField(_("设定依据"))
    conditions = models.TextField(_("受理条件"))
    keywords = models.CharField(_("关键词"), max_length=300, blank=True)
    life_events = models.ManyToManyField(LifeEvent, blank=True, related_name="items", verbose_name=_("主题"))
    applicant_kinds = models.JSONField(_("服务对象"), default=list)
    levels = models.JSONField(_("办理层级"), default=list)
    statutory_days = models.PositiveSmallIntegerField(_("法定办结时限（工作日）"))
    promised_days = models.PositiveSmallIntegerField(_("承诺办结时限（工作日）"))
    fee_charged = models.BooleanField(_("是否收费"), default=False)
    fee_description = models.CharField(_("收费说明"), max_length=200, blank=True)
    online_depth = models.PositiveSmallIntegerField(_("网办深度"), choices=OnlineDepth.choices)
    at_most_once = models.BooleanField(_("最多跑一次"), default=False)
    zero_visit = models.BooleanField(_("零跑腿"), default=False)
    license_type = models.CharField(_("办结证照类型"), max_length=40, blank=True)
    form = models.JSONField(_("申请表单"), default=list)
    workflow = models.JSONField(_("办理流程"), null=True, blank=True)
    search_text = models.TextField(editable=False, default="")
    active = models.BooleanField(_("在用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["department", "code"]
        verbose_name = _("政务服务事项")
        verbose_name_plural = _("政务服务事项")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("services:item", args=[self.code])

    @property
    def handled_online(self) -> bool:
        """"网上办理" counts online acceptance and fully online items (standards.md)."""
        return self.online_depth >= OnlineDepth.ONLINE_ACCEPTANCE


class MaterialRequirement(models.TextChoices):
    REQUIRED = "required", _("必要")
    CONDITIONAL = "conditional", _("容缺/视情形")


class MaterialForm(models.TextChoices):
    ORIGINAL = "original", _("原件")
    COPY = "copy", _("复印件")
    ELECTRONIC = "electronic", _("电子件")


class ItemMaterial(models.Model):
    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="materials")
    code = models.CharField(_("材料编号"), max_length=20)
    name = models.CharField(_("材料名称"), max_length=200)
    requirement = models.CharField(_("要求"), max_length=12, choices=MaterialRequirement.choices)
    condition = models.CharField(_("情形"), max_length=200, blank=True)
    form = models.CharField(_("形式"), max_length=12, choices=MaterialForm.choices)
    copies = models.PositiveSmallIntegerField(_("份数"), default=1)
    replaced_by_license = models.CharField(_("可由证照替代"), max_length=40, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["item", "position"]
        unique_together = [("item", "code")]
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")

    def __str__(self):
        return self.name


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交，待受理")
    SUPPLEMENT = "supplement", _("待补正")
    REJECTED = "rejected", _("不予受理")
    IN_REVIEW = "in_review", _("审查中")
    APPROVED = "approved", _("准予许可")
    DENIED = "denied", _("不予许可")
    LICENSED = "licensed", _("已制证")
    COMPLETED = "completed", _("已办结")
    WITHDRAWN = "withdrawn", _("已撤回")


FINAL_STATUSES = (Status.REJECTED, Status.DENIED, Status.COMPLETED, Status.WITHDRAWN)
DECIDED_STATUSES = (Status.APPROVED, Status.DENIED, Status.LICENSED, Status.COMPLETED)
# The statutory clock runs: in progress and not awaiting a supplement.
CLOCK_RUNNING = (Status.SUBMITTED, Status.IN_REVIEW, Status.APPROVED, Status.LICENSED)


class Unindexed(Func):
    """The column itself; on SQLite written `+column`, which keeps SQLite from walking an index on it.

    A range of submission months usually holds most of the rows. SQLite's planner cannot know that
    and walked the submitted_at index, then fetched each row by its rowid: seven times slower than
    reading the table, and it drove the small queries (overdue, rectifications) from the big table.
    PostgreSQL judges the range from its statistics and is given the column as it is."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra)


class WrittenIn(Func):
    """`expression IN ('a', 'b')` with the constants written into the SQL, not bound: SQLite uses a partial
    index only when the query repeats the index's condition as written, and a bound `IN (?, ?)` does not."""

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, expression, constants: tuple[str, ...]):
        if not all(str(constant).replace("_", "").isalnum() for constant in constants):
            raise ValueError(constants)  # only plain words are written into SQL
        self.constants = tuple(str(constant) for constant in constants)
        super().__init__(expression)

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"{sql} IN ({', '.join(repr(constant) for constant in self.constants)})", params


# The partial index services_app_running_due's condition, which a query must repeat to use it. `+status` on
# SQLite: the query then cannot walk the status index instead, whatever the planner's statistics say.
RUNNING_CLOCK = models.Q(WrittenIn(Unindexed(F("status")), CLOCK_RUNNING))


class Channel(models.TextChoices):
    ONLINE = "online", _("网上申请")
    WINDOW = "window", _("窗口受理")
    API = "api", _("部门系统")


class Application(models.Model):
    number = models.CharField(_("申请编号"), max_length=24, unique=True, null=True, blank=True)
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="applications", verbose_name=_("事项"))
    applicant_person = models.ForeignKey("identities.Person", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="applications", verbose_name=_("申请人"))
    applicant_entity = models.ForeignKey("identities.LegalEntity", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="applications", verbose_name=_("申请单位"))
    applicant_name = models.CharField(_("申请人名称"), max_length=200)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("提交人"))
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("办理地"))
    organisation = models.ForeignKey("organisations.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("承办机构"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    form_data = SealedJSONField(_("表单内容"), default=dict)  # holds identity numbers and phones: encrypted
    idempotency_key = models.CharField(max_length=64, blank=True)
    workflow = models.OneToOneField("workflows.WorkflowInstance", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    due_at = models.DateTimeField(_("法定时限截止"), null=True, blank=True)
    handled_online = models.BooleanField(_("网上办理"), default=False)
    on_time = models.BooleanField(_("按时办结"), null=True)
    working_days = models.PositiveSmallIntegerField(_("用时（工作日）"), null=True, blank=True)
    supplement_items = models.JSONField(_("补正事项"), default=list, blank=True)
    reason = models.TextField(_("不予受理/不予许可理由"), blank=True)
    license_number = models.CharField(_("证照编号"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "region", "organisation": "organisation"}

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["submitted_by", "idempotency_key"], name="services_one_submit_per_key",
                                               condition=~models.Q(idempotency_key=""))]
        indexes = [models.Index(fields=["item", "status"]), models.Index(fields=["submitted_at"]),
                   models.Index(fields=["completed_at"]),
                   # The statistics' live overdue count reads this alone (an index-only scan): only the running
                   # applications, a few per cent of the rows, with every column the count filters or groups by.
                   models.Index(fields=["due_at", "status", "item", "region", "organisation", "submitted_at"],
                                condition=RUNNING_CLOCK, name="services_app_running_due")]
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        permissions = [("view_statistics", _("查看政务服务统计"))]

    def __str__(self):
        return f"{self.number or _('草稿')} {self.item.name}"

    def get_absolute_url(self):
        return reverse("services:work_application", args=[self.pk])

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def applicant(self):
        return self.applicant_person or self.applicant_entity


class TrustLevel(models.TextChoices):
    A = "A", _("A 级：发证机关签发的电子证照")
    B = "B", _("B 级：窗口人员核验的纸质材料")
    C = "C", _("C 级：申请人上传，使用前核验原件")
    D = "D", _("D 级：申请人承诺")


class ApplicationMaterial(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    material_code = models.CharField(_("材料编号"), max_length=20)
    name = models.CharField(_("材料名称"), max_length=200)
    trust_level = models.CharField(_("可信等级"), max_length=1, choices=TrustLevel.choices)
    stored_file = models.ForeignKey("files.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    license_number = models.CharField(_("证照编号"), max_length=60, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("核验人"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["application", "material_code", "-created_at"]
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")

    def __str__(self):
        return f"{self.name}（{self.trust_level}）"


class EventKind(models.TextChoices):
    DRAFTED = "drafted", _("保存草稿")
    SUBMITTED = "submitted", _("提交申请")
    ACCEPTED = "accepted", _("受理")
    REJECTED = "rejected", _("不予受理")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("一次性告知补正")
    SUPPLEMENTED = "supplemented", _("补正材料")
    STEP_DONE = "step_done", _("环节办结")
    RETURNED = "returned", _("退回")
    APPROVED = "approved", _("准予许可")
    DENIED = "denied", _("不予许可")
    LICENSED = "licensed", _("签发电子证照")
    DELIVERED = "delivered", _("送达")
    COMPLETED = "completed", _("办结")
    WITHDRAWN = "withdrawn", _("撤回申请")
    REVIEWED = "reviewed", _("评价")


class ApplicationEvent(models.Model):
    """One entry of an application's timeline; `public` ones are shown to the applicant."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("类型"), max_length=24, choices=EventKind.choices)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(_("经办"), max_length=100, blank=True)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    public = models.BooleanField(_("申请人可见"), default=True)

    class Meta:
        ordering = ["application", "at", "id"]
        verbose_name = _("办件动态")
        verbose_name_plural = _("办件动态")

    def __str__(self):
        return f"{self.get_kind_display()} @ {self.at:%Y-%m-%d %H:%M}"


class Rating(models.IntegerChoices):
    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    BASICALLY_SATISFIED = 3, _("基本满意")
    DISSATISFIED = 2, _("不满意")
    VERY_DISSATISFIED = 1, _("非常不满意")


REVIEW_DIMENSIONS = {
    "guidance": _("办事指南是否清晰"),
    "attitude": _("服务态度"),
    "efficiency": _("办理效率"),
    "convenience": _("办理便捷程度"),
    "integrity": _("廉洁规范"),
}


class Review(models.Model):
    """好差评: one per completed application, five levels, the standard dimensions."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="review")
    rating = models.PositiveSmallIntegerField(_("总体评价"), choices=Rating.choices)
    dimensions = models.JSONField(_("分项评价"), default=dict)
    comment = models.TextField(_("评价内容"), blank=True)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("organisations.Organisation", null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("评价时间"))

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "region", "organisation": "organisation"}

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("好差评")
        verbose_name_plural = _("好差评")

    def __str__(self):
        return f"{self.application.number} {self.get_rating_display()}"

    @property
    def is_bad(self) -> bool:
        return self.rating <= Rating.DISSATISFIED


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("整改中")
    ANSWERED = "answered", _("已反馈，待复核")
    CLOSED = "closed", _("已办结")


class Rectification(models.Model):
    """The department's answer to a bad review: due within 15 working days, tracked to closure."""

    review = models.OneToOneField(Review, on_delete=models.PROTECT, related_name="rectification")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("organisations.Organisation", null=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=10, choices=RectificationStatus.choices, default=RectificationStatus.OPEN)
    due_at = models.DateTimeField(_("整改时限"))
    response = models.TextField(_("整改情况"), blank=True)
    answered_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    on_time = models.BooleanField(_("按时整改"), null=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "region", "organisation": "organisation"}

    class Meta:
        ordering = ["due_at"]
        permissions = [("close_rectification", _("复核并办结差评整改"))]
        verbose_name = _("差评整改")
        verbose_name_plural = _("差评整改")

    def __str__(self):
        return f"{self.review} · {self.get_status_display()}"


class MonthlyCounts(models.Model):
    """The key of the statistics' counts ahead: the month of submission (first day, Beijing time), the item,
    the handling region and the unit, each row scoped like the applications it counts."""

    month = models.DateField(_("提交月份"))
    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="+", verbose_name=_("事项"))
    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+", verbose_name=_("办理地"))
    organisation = models.ForeignKey("organisations.Organisation", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="+", verbose_name=_("承办机构"))

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "region", "organisation": "organisation"}

    class Meta:
        abstract = True
        ordering = ["month", "item", "region", "organisation"]


class ServiceMonthlyFigures(MonthlyCounts):
    """The settled measures of the applications submitted in one month, of one item, handled in one region by
    one unit: what the statistics dashboard adds up instead of scanning every application. Kept by the job
    `services.refresh_monthly_figures` (bohai/services/statistics_rollup.py); `overdue` depends on the moment
    and is always counted live."""

    submitted = models.PositiveIntegerField(_("申请量"), default=0)
    accepted = models.PositiveIntegerField(_("受理"), default=0)
    completed = models.PositiveIntegerField(_("办结"), default=0)
    rejected = models.PositiveIntegerField(_("不予受理"), default=0)
    denied = models.PositiveIntegerField(_("不予许可"), default=0)
    withdrawn = models.PositiveIntegerField(_("撤回"), default=0)
    in_progress = models.PositiveIntegerField(_("在办"), default=0)
    online = models.PositiveIntegerField(_("网上办理"), default=0)
    timed = models.PositiveIntegerField(_("办结且记录是否按时"), default=0)
    on_time = models.PositiveIntegerField(_("按时办结"), default=0)
    days_counted = models.PositiveIntegerField(_("办结且记录用时"), default=0)
    days_total = models.PositiveIntegerField(_("用时合计（工作日）"), default=0)
    rated_1 = models.PositiveIntegerField(_("非常不满意"), default=0)
    rated_2 = models.PositiveIntegerField(_("不满意"), default=0)
    rated_3 = models.PositiveIntegerField(_("基本满意"), default=0)
    rated_4 = models.PositiveIntegerField(_("满意"), default=0)
    rated_5 = models.PositiveIntegerField(_("非常满意"), default=0)

    class Meta(MonthlyCounts.Meta):
        indexes = [models.Index(fields=["month"], name="services_figures_month")]
        verbose_name = _("政务服务月度统计")
        verbose_name_plural = _("政务服务月度统计")

    def __str__(self):
        return f"{self.month:%Y-%m} {self.item_id}/{self.region_id}: {self.submitted}"


class ServiceFiguresMonth(models.Model):
    """A month whose ServiceMonthlyFigures are complete, and when they were counted: a month without a row
    here is counted from the applications themselves."""

    month = models.DateField(_("提交月份"), unique=True)
    computed_at = models.DateTimeField(_("统计时间"))

    class Meta:
        ordering = ["month"]
        verbose_name = _("已汇总月份")
        verbose_name_plural = _("已汇总月份")

    def __str__(self):
        return f"{self.month:%Y-%m} @ {self.computed_at:%Y-%m-%d %H:%M}"


class ServiceMonthlyRectifications(MonthlyCounts):
    """The rectifications of the bad reviews of the applications submitted in one month, of one item, handled
    in one region by one unit (the application's, as in ServiceMonthlyFigures), by status as of the count:
    counted again in full on every run of `services.refresh_monthly_figures`, so at most five minutes old
    whatever the month (`overdue`: open and past the due date at the count)."""

    total = models.PositiveIntegerField(_("整改总数"), default=0)
    open = models.PositiveIntegerField(_("整改中"), default=0)
    overdue = models.PositiveIntegerField(_("整改逾期"), default=0)
    answered = models.PositiveIntegerField(_("已反馈或已办结"), default=0)
    closed = models.PositiveIntegerField(_("已办结"), default=0)
    answered_on_time = models.PositiveIntegerField(_("按时反馈"), default=0)

    class Meta(MonthlyCounts.Meta):
        indexes = [models.Index(fields=["month"], name="services_rect_figures_month")]
        verbose_name = _("差评整改月度统计")
        verbose_name_plural = _("差评整改月度统计")

    def __str__(self):
        return f"{self.month:%Y-%m} {self.item_id}/{self.region_id}: {self.open}/{self.total}"
