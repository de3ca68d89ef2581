"""The device registry of the city IoT platform (S35): device types with their metrics, devices and their
credentials, provisioning keys, and the readings each device had rejected, counted by reason.

Readings themselves live in the telemetry engine (`bohai.engines.telemetry`), one series per device and metric;
alarms in the alarms engine (`bohai.engines.alarms`), whose subjects of kind "iot.device" are devices.
"""
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from bohai.kernel.accounts.scoping import ScopedQuerySet

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$"
code_validator = RegexValidator(CODE_PATTERN, _("编码只能由字母、数字、下划线和连字符组成，3 至 64 位，以字母或数字开头"))
metric_code_validator = RegexValidator(r"^[a-z][a-z0-9_]{0,39}$", _("指标编码只能由小写字母、数字和下划线组成，以字母开头"))


class Category(models.TextChoices):
    WATER = "water", _("供水")
    POWER = "power", _("供电")
    GAS = "gas", _("燃气")
    HEATING = "heating", _("供热")
    TRAFFIC = "traffic", _("交通")
    AIR = "air", _("空气质量")
    WEATHER = "weather", _("气象")
    WATER_LEVEL = "water_level", _("水位")
    MANHOLE = "manhole", _("井盖")
    ENERGY = "energy", _("企业能耗")
    EMISSION = "emission", _("污染源排放")


class DeviceType(models.Model):
    """A device profile: what a kind of device measures, in which units, within which range, how often."""

    code = models.CharField(_("编码"), max_length=40, unique=True, validators=[metric_code_validator])
    name = models.CharField(_("名称"), max_length=60)
    category = models.CharField(_("行业类别"), max_length=16, choices=Category.choices)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    raw_retention_days = models.PositiveIntegerField(_("原始数据保留天数"), default=180,
                                                     help_text=_("超过天数的原始数据删除，分钟、小时、日汇总长期保留"))
    offline_after_minutes = models.PositiveIntegerField(_("离线判定（分钟）"), default=15,
                                                        help_text=_("超过该时长没有数据即视为离线"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["category", "code"]
        verbose_name = _("设备类型")
        verbose_name_plural = _("设备类型")

    def __str__(self):
        return self.name


class MetricSpec(models.Model):
    """One quantity a device type reports, with the range a plausible reading falls in."""

    device_type = models.ForeignKey(DeviceType, on_delete=models.CASCADE, related_name="metrics",
                                    verbose_name=_("设备类型"))
    code = models.CharField(_("指标编码"), max_length=40, validators=[metric_code_validator])
    name = models.CharField(_("指标名称"), max_length=40)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    minimum = models.FloatField(_("有效下限"), null=True, blank=True)
    maximum = models.FloatField(_("有效上限"), null=True, blank=True)
    interval_seconds = models.PositiveIntegerField(_("采样间隔（秒）"), default=60)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["device_type", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["device_type", "code"], name="iot_metric_code_per_type")]
        verbose_name = _("监测指标")
        verbose_name_plural = _("监测指标")

    def __str__(self):
        return f"{self.name}（{self.unit}）" if self.unit else self.name


class DeviceStatus(models.TextChoices):
    ACTIVE = "active", _("启用")
    MAINTENANCE = "maintenance", _("维护中")
    RETIRED = "retired", _("停用")


class Device(models.Model):
    """A sensor or meter in the city. Its code names its MQTT topic and is its MQTT user name."""

    code = models.CharField(_("设备编码"), max_length=64, unique=True, validators=[code_validator])
    name = models.CharField(_("设备名称"), max_length=100)
    device_type = models.ForeignKey(DeviceType, on_delete=models.PROTECT, related_name="devices",
                                    verbose_name=_("设备类型"))
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="devices",
                                     verbose_name=_("权属部门"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="devices",
                               verbose_name=_("所在区划"), help_text=_("由经纬度自动确定"))
    lng = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    address = models.CharField(_("安装地址"), max_length=200, blank=True)
    enterprise_code = models.CharField(_("企业统一社会信用代码"), max_length=18, blank=True, db_index=True,
                                       help_text=_("企业能耗表和排放监测设备必填"))
    status = models.CharField(_("状态"), max_length=12, choices=DeviceStatus.choices, default=DeviceStatus.ACTIVE)
    token_prefix = models.CharField(_("令牌前缀"), max_length=8, blank=True, db_index=True)
    token_digest = models.CharField(_("令牌摘要"), max_length=64, blank=True, editable=False)
    mqtt_password_hash = models.CharField(_("MQTT 口令散列"), max_length=255, blank=True, editable=False,
                                          help_text=_("mosquitto 口令文件格式（PBKDF2-SHA512）"))
    credentials_issued_at = models.DateTimeField(_("凭据签发时间"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("最近上报时间"), null=True, blank=True, db_index=True)
    provisioned_with = models.ForeignKey("ProvisioningKey", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="devices", verbose_name=_("自助注册密钥"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "region", "organisation": "organisation"}

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["device_type", "status"], name="iot_device_type_status")]
        permissions = [("ingest_device", _("代设备批量上报数据"))]
        verbose_name = _("设备")
        verbose_name_plural = _("设备")

    def __str__(self):
        return f"{self.name}（{self.code}）"

    def get_absolute_url(self):
        return reverse("iot:device", args=[self.code])

    @property
    def mqtt_topic(self) -> str:
        return f"bohai/devices/{self.code}/telemetry"


class ProvisioningKey(models.Model):
    """A secret a department hands to a vendor so that devices register themselves (self-provisioning)."""

    name = models.CharField(_("名称"), max_length=60)
    prefix = models.CharField(_("密钥前缀"), max_length=8, unique=True)
    digest = models.CharField(_("密钥摘要"), max_length=64, editable=False)
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT,
                                     related_name="provisioning_keys", verbose_name=_("权属部门"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("允许的区划范围"))
    device_type = models.ForeignKey(DeviceType, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("限定设备类型"))
    max_devices = models.PositiveIntegerField(_("可注册设备数"), default=100)
    used = models.PositiveIntegerField(_("已注册设备数"), default=0)
    expires_at = models.DateTimeField(_("失效时间"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "region", "organisation": "organisation"}

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("自助注册密钥")
        verbose_name_plural = _("自助注册密钥")

    def __str__(self):
        return f"{self.name}（{self.prefix}…）"


class RejectionReason(models.TextChoices):
    UNKNOWN_DEVICE = "unknown_device", _("未登记的设备")
    BAD_CREDENTIALS = "bad_credentials", _("凭据错误")
    INACTIVE_DEVICE = "inactive_device", _("设备未启用")
    UNKNOWN_METRIC = "unknown_metric", _("未定义的指标")
    NOT_NUMERIC = "not_numeric", _("数值不是数字")
    OUT_OF_RANGE = "out_of_range", _("数值超出有效范围")
    FUTURE_TIMESTAMP = "future_timestamp", _("时间超前")
    BAD_TIMESTAMP = "bad_timestamp", _("时间格式错误")
    MALFORMED = "malformed", _("报文格式错误")


class Rejection(models.Model):
    """How many readings of one device were rejected for one reason, with the latest example."""

    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.CASCADE, related_name="rejections",
                               verbose_name=_("设备"))
    device_code = models.CharField(_("上报的设备编码"), max_length=64)
    reason = models.CharField(_("原因"), max_length=20, choices=RejectionReason.choices)
    count = models.PositiveBigIntegerField(_("次数"), default=0)
    first_at = models.DateTimeField(_("首次"))
    last_at = models.DateTimeField(_("最近"))
    last_detail = models.CharField(_("最近一次详情"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "device__region", "organisation": "device__organisation"}

    class Meta:
        ordering = ["-last_at"]
        constraints = [models.UniqueConstraint(fields=["device_code", "reason"], name="iot_rejection_per_reason")]
        verbose_name = _("拒收数据")
        verbose_name_plural = _("拒收数据")

    def __str__(self):
        return f"{self.device_code} {self.get_reason_display()} ×{self.count}"
