from django.db import models
from django.utils.translation import gettext_lazy as _

from bohai.kernel.accounts.scoping import ScopedQuerySet


class OrganisationKind(models.TextChoices):
    GOVERNMENT = "government", _("人民政府")
    DEPARTMENT = "department", _("政府部门")
    CENTRE = "centre", _("中心/事业单位")
    TOWNSHIP_OFFICE = "township", _("乡镇政府/街道办事处")
    COMMUNITY_COMMITTEE = "community", _("居（村）民委员会")


class Organisation(models.Model):
    """A government unit: the city government, its departments, their county counterparts, township offices."""

    key = models.CharField(_("标识"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    kind = models.CharField(_("类别"), max_length=12, choices=OrganisationKind.choices)
    function = models.CharField(
        _("职能类别"), max_length=40, blank=True,
        help_text=_("同类部门在各级的共同标识，如 civil_affairs；用于按职能找到某县的对口部门"),
    )
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("上级机构"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="organisations", verbose_name=_("所在区划"))
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    path = models.CharField(_("路径"), max_length=255, db_index=True, editable=False)
    duties = models.TextField(_("主要职责"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "region", "organisation": ""}

    class Meta:
        ordering = ["path"]
        verbose_name = _("机构")
        verbose_name_plural = _("机构")

    def __str__(self):
        return self.name

    def build_path(self) -> str:
        return (self.parent.path if self.parent_id else "/") + f"{self.key}/"


class Position(models.Model):
    """A staff post in an organisation (科长, 窗口受理员 …)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="positions", verbose_name=_("机构"))
    title = models.CharField(_("岗位"), max_length=60)
    headcount = models.PositiveSmallIntegerField(_("编制数"), default=1)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "organisation__region", "organisation": "organisation"}

    class Meta:
        ordering = ["organisation__path", "title"]
        unique_together = [("organisation", "title")]
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")

    def __str__(self):
        return f"{self.organisation.short_name or self.organisation.name}·{self.title}"
