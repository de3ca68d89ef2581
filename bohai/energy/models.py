"""能耗与排放监测 (S06): key enterprises, their monthly output, emission permits, the standard-coal
coefficients, the monthly energy figures (recomputed by a job from the enterprises' energy meters) and the
hourly emission exceedances (found by a job from their CEMS monitors).

Meters and monitors are devices of `bohai.iot` whose `enterprise_code` is the enterprise's USCC; this app
reads them through `sources.py` and never writes into the IoT registry. An exceedance names its device by
id and code, not by foreign key, so that the IoT registry stays the other system's.
"""
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from bohai.kernel.accounts.scoping import ScopedQuerySet

STANDARD = "GB/T 2589-2020"


class Carrier(models.TextChoices):
    """The energy carriers an energy meter reports, one metric each (iot device type `energy_meter`)."""

    ELECTRICITY = "electricity", _("电力")
    NATURAL_GAS = "natural_gas", _("天然气")
    COAL = "coal", _("原煤")
    STEAM = "steam", _("蒸汽（热力）")


class Basis(models.TextChoices):
    EQUIVALENT = "equivalent", _("当量值")
    EQUAL = "equal", _("等价值")


class Industry(models.TextChoices):
    STEEL = "steel", _("钢铁")
    PETROCHEMICAL = "petrochemical", _("石化")
    BUILDING_MATERIALS = "building_materials", _("建材")
    CHEMICAL = "chemical", _("化工")
    POWER = "power", _("电力")
    PAPER = "paper", _("造纸")
    TEXTILE = "textile", _("纺织")
    OTHER = "other", _("其他")


class KeyLevel(models.TextChoices):
    NATIONAL = "national", _("国家重点用能单位（万吨标准煤以上）")
    PROVINCIAL = "provincial", _("省级重点用能单位（五千吨标准煤以上）")
    CITY = "city", _("市级重点监控企业")


class Pollutant(models.TextChoices):
    """CEMS pollutants (iot device type `emission_monitor`), concentrations in mg/m³."""

    SO2 = "so2", _("二氧化硫")
    NOX = "nox", _("氮氧化物")
    PARTICULATES = "particulates", _("颗粒物")


class CoalCoefficient(models.Model):
    """How many kilograms of standard coal one unit of a carrier counts for (reference data, editable)."""

    carrier = models.CharField(_("能源品种"), max_length=16, choices=Carrier.choices, unique=True)
    unit = models.CharField(_("计量单位"), max_length=10)
    kgce_per_unit = models.DecimalField(_("折标准煤系数（kgce/单位）"), max_digits=10, decimal_places=5,
                                        validators=[MinValueValidator(Decimal("0.00001"))])
    basis = models.CharField(_("折算口径"), max_length=12, choices=Basis.choices, default=Basis.EQUIVALENT)
    standard = models.CharField(_("依据标准"), max_length=40, default=STANDARD)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["carrier"]
        verbose_name = _("折标准煤系数")
        verbose_name_plural = _("折标准煤系数")

    def __str__(self):
        return f"{self.get_carrier_display()} {self.kgce_per_unit} kgce/{self.unit}"


class KeyEnterprise(models.Model):
    """A key energy-using or polluting enterprise under monitoring, keyed by its USCC."""

    enterprise_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("企业名称"), max_length=200)
    legal_entity = models.ForeignKey("identities.LegalEntity", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("法人登记"))
    industry = models.CharField(_("行业"), max_length=20, choices=Industry.choices, db_index=True)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("所在区划"))
    level = models.CharField(_("重点单位级别"), max_length=12, choices=KeyLevel.choices, default=KeyLevel.CITY)
    natural_gas_kgce = models.DecimalField(
        _("天然气折标系数（企业实测）"), max_digits=10, decimal_places=5, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.00001"))],
        help_text=_("按气源热值核定（1.100–1.330 kgce/m³）；留空用标准系数"))
    active = models.BooleanField(_("监测中"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "region"}

    class Meta:
        ordering = ["industry", "name"]
        verbose_name = _("重点企业")
        verbose_name_plural = _("重点企业")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("energy:enterprise", args=[self.enterprise_code])


class MonthlyOutput(models.Model):
    """What an enterprise produced in a month: output value (万元) and/or a product quantity."""

    enterprise = models.ForeignKey(KeyEnterprise, on_delete=models.CASCADE, related_name="outputs",
                                   verbose_name=_("企业"))
    month = models.DateField(_("月份"), help_text=_("当月 1 日"))
    output_value = models.DecimalField(_("工业总产值（万元）"), max_digits=14, decimal_places=2, null=True,
                                       blank=True, validators=[MinValueValidator(0)])
    product_quantity = models.DecimalField(_("产品产量"), max_digits=16, decimal_places=3, null=True, blank=True,
                                           validators=[MinValueValidator(0)])
    product_unit = models.CharField(_("产量单位"), max_length=20, blank=True, help_text=_("如：吨钢、吨水泥熟料"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "enterprise__region"}

    class Meta:
        ordering = ["enterprise", "-month"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "month"], name="energy_output_per_month")]
        verbose_name = _("月度产出")
        verbose_name_plural = _("月度产出")

    def __str__(self):
        return f"{self.enterprise} {self.month:%Y-%m}"


class EmissionPermit(models.Model):
    """A concentration limit of one pollutant in an enterprise's discharge permit, valid over dates."""

    enterprise = models.ForeignKey(KeyEnterprise, on_delete=models.CASCADE, related_name="permits",
                                   verbose_name=_("企业"))
    permit_number = models.CharField(_("排污许可证编号"), max_length=40)
    pollutant = models.CharField(_("污染物"), max_length=16, choices=Pollutant.choices)
    limit_mg_m3 = models.DecimalField(_("排放浓度限值（mg/m³）"), max_digits=10, decimal_places=3,
                                      validators=[MinValueValidator(Decimal("0.001"))])
    valid_from = models.DateField(_("有效期起"))
    valid_to = models.DateField(_("有效期止"), null=True, blank=True, help_text=_("含当日；留空为长期"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "enterprise__region"}

    class Meta:
        ordering = ["enterprise", "pollutant", "-valid_from"]
        indexes = [models.Index(fields=["enterprise", "pollutant", "valid_from"], name="energy_permit_lookup")]
        verbose_name = _("排污许可限值")
        verbose_name_plural = _("排污许可限值")

    def __str__(self):
        return f"{self.permit_number} {self.get_pollutant_display()} ≤ {self.limit_mg_m3} mg/m³"


class Exceedance(models.Model):
    """One hour in which a CEMS monitor's hourly average of a pollutant was above the permit's limit."""

    enterprise = models.ForeignKey(KeyEnterprise, on_delete=models.CASCADE, related_name="exceedances",
                                   verbose_name=_("企业"))
    permit = models.ForeignKey(EmissionPermit, null=True, on_delete=models.SET_NULL, related_name="exceedances",
                               verbose_name=_("许可限值"))
    device_id = models.BigIntegerField(_("监测设备 ID"))
    device_code = models.CharField(_("监测设备编码"), max_length=64)
    pollutant = models.CharField(_("污染物"), max_length=16, choices=Pollutant.choices)
    hour = models.DateTimeField(_("小时"), help_text=_("该小时的起点"))
    average = models.FloatField(_("小时均值（mg/m³）"))
    limit = models.DecimalField(_("限值（mg/m³）"), max_digits=10, decimal_places=3)
    ratio = models.FloatField(_("超标倍数"), help_text=_("小时均值 ÷ 限值"))
    readings = models.PositiveIntegerField(_("读数个数"), default=0)
    found_at = models.DateTimeField(_("发现时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "enterprise__region"}

    class Meta:
        ordering = ["-hour", "enterprise", "pollutant"]
        constraints = [models.UniqueConstraint(fields=["device_id", "pollutant", "hour"],
                                               name="energy_exceedance_per_hour")]
        indexes = [models.Index(fields=["enterprise", "hour"], name="energy_exceedance_enterprise")]
        verbose_name = _("超标记录")
        verbose_name_plural = _("超标记录")

    def __str__(self):
        return f"{self.enterprise} {self.get_pollutant_display()} {self.hour:%Y-%m-%d %H:%M} ×{self.ratio:.2f}"


class MonthlyEnergy(models.Model):
    """An enterprise's consumption in one (Beijing) month, converted to tonnes of standard coal."""

    enterprise = models.ForeignKey(KeyEnterprise, on_delete=models.CASCADE, related_name="monthly_figures",
                                   verbose_name=_("企业"))
    month = models.DateField(_("月份"), help_text=_("当月 1 日"))
    electricity_kwh = models.DecimalField(_("电力（kWh）"), max_digits=18, decimal_places=3, default=0)
    natural_gas_m3 = models.DecimalField(_("天然气（m³）"), max_digits=18, decimal_places=3, default=0)
    coal_kg = models.DecimalField(_("原煤（kg）"), max_digits=18, decimal_places=3, default=0)
    steam_mj = models.DecimalField(_("蒸汽（MJ）"), max_digits=18, decimal_places=3, default=0)
    total_tce = models.DecimalField(_("综合能耗（吨标准煤）"), max_digits=16, decimal_places=3, default=0)
    output_value = models.DecimalField(_("工业总产值（万元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    intensity = models.DecimalField(_("万元产值能耗（tce/万元）"), max_digits=12, decimal_places=4, null=True,
                                    blank=True)
    product_quantity = models.DecimalField(_("产品产量"), max_digits=16, decimal_places=3, null=True, blank=True)
    product_unit = models.CharField(_("产量单位"), max_length=20, blank=True)
    unit_consumption = models.DecimalField(_("单位产品能耗（kgce/单位产品）"), max_digits=14, decimal_places=3,
                                           null=True, blank=True)
    meters = models.PositiveIntegerField(_("能耗表数"), default=0)
    computed_at = models.DateTimeField(_("计算时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "enterprise__region"}

    class Meta:
        ordering = ["-month", "enterprise"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "month"], name="energy_figures_per_month")]
        verbose_name = _("月度能耗")
        verbose_name_plural = _("月度能耗")

    def __str__(self):
        return f"{self.enterprise} {self.month:%Y-%m} {self.total_tce} tce"
