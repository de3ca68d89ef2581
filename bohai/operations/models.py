"""城市运行中心: the city's vital signs (城市体征) and their history.

A VitalSign says what is measured and how to read it; a SignReading is one computed value of one sign for
the city (region and organisation empty), a county (region) or an owning department (organisation), kept
as history for the trend charts. The periodic job `operations.compute_vital_signs` writes them.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _

from bohai.kernel.accounts.scoping import ScopedQuerySet


class GoodDirection(models.TextChoices):
    HIGHER = "higher", _("越高越好")
    LOWER = "lower", _("越低越好")


class VitalSign(models.Model):
    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    description = models.TextField(_("计算与解读"), help_text=_("数据来源、计算方法与如何解读"))
    good_direction = models.CharField(_("好的方向"), max_length=8, choices=GoodDirection.choices)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("城市体征")
        verbose_name_plural = _("城市体征")

    def __str__(self):
        return self.name


class SignReading(models.Model):
    """One value of one sign at one moment, for the city, a county or a department."""

    sign = models.ForeignKey(VitalSign, on_delete=models.CASCADE, related_name="readings", verbose_name=_("体征"))
    region = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("区划"), help_text=_("空表示全市"))
    organisation = models.ForeignKey("organisations.Organisation", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="+", verbose_name=_("部门"), help_text=_("按权属部门统计时填写"))
    at = models.DateTimeField(_("计算时间"))
    value = models.FloatField(_("数值"), null=True, blank=True, help_text=_("没有数据时为空"))
    grade = models.CharField(_("等级"), max_length=20, blank=True)
    detail = models.JSONField(_("明细"), default=dict, blank=True)

    class Meta:
        ordering = ["sign", "region", "organisation", "-at"]
        verbose_name = _("体征数值")
        verbose_name_plural = _("体征数值")
        indexes = [
            # "latest per region" and "trend of the last 24 h / 30 days" are both a range on this index
            models.Index(fields=["sign", "region", "organisation", "-at"], name="ops_reading_sign_place_at"),
            models.Index(fields=["at"], name="ops_reading_at"),
        ]

    def __str__(self):
        return f"{self.sign_id}@{self.at:%Y-%m-%d %H:%M}={self.value}"


class MapCell(models.Model):
    """Devices of one fine grid cell (FINE_CELL degrees), one region and one department, counted by the
    job `operations.refresh_map_cells` every minute. The map's clustered layer adds these up for coarser cells
    instead of passing over every device on each request; alarms are added live."""

    gx = models.IntegerField(_("网格列"))
    gy = models.IntegerField(_("网格行"))
    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+", verbose_name=_("区划"))
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("权属部门"))
    devices = models.PositiveIntegerField(_("设备数"))
    online = models.PositiveIntegerField(_("在线数"))
    lng_sum = models.FloatField(_("经度合计"))
    lat_sum = models.FloatField(_("纬度合计"))
    computed_at = models.DateTimeField(_("统计时间"))

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "region", "organisation": "organisation"}

    class Meta:
        ordering = ["gx", "gy"]
        verbose_name = _("地图网格")
        verbose_name_plural = _("地图网格")
        indexes = [models.Index(fields=["gx", "gy"], name="ops_mapcell_xy")]

    def __str__(self):
        return f"({self.gx}, {self.gy}) ×{self.devices}"
