"""Shapes of the IoT platform's API: registry, ingestion, series, rules and alarms."""
from datetime import datetime
from typing import Any

from ninja import Field, Schema
from pydantic import BaseModel

from .presenting import is_online


class MetricOut(Schema):
    code: str
    name: str
    unit: str
    minimum: float | None
    maximum: float | None
    interval_seconds: int


class DeviceTypeOut(Schema):
    code: str
    name: str
    category: str
    description: str
    raw_retention_days: int
    offline_after_minutes: int
    metrics: list[MetricOut]


class DeviceOut(Schema):
    code: str
    name: str
    device_type: str
    organisation: str
    region: str
    region_name: str
    lng: float
    lat: float
    address: str
    enterprise_code: str
    status: str
    online: bool
    last_seen_at: datetime | None
    credentials_issued_at: datetime | None
    mqtt_topic: str

    @staticmethod
    def resolve_device_type(device) -> str:
        return device.device_type.code if hasattr(device, "device_type") else device["device_type"]

    @staticmethod
    def resolve_organisation(device) -> str:
        return device.organisation.key if hasattr(device, "organisation") else device["organisation"]

    @staticmethod
    def resolve_region(device) -> str:
        return device.region.key if hasattr(device, "region") else device["region"]

    @staticmethod
    def resolve_region_name(device) -> str:
        return device.region.name if hasattr(device, "region") else device["region_name"]

    @staticmethod
    def resolve_online(device) -> bool:
        return is_online(device) if hasattr(device, "device_type") else device["online"]


class DeviceIn(Schema):
    code: str = Field(..., description="设备编码：字母、数字、下划线、连字符，3–64 位；也是 MQTT 用户名")
    name: str
    device_type: str = Field(..., description="设备类型编码，见 /iot/device-types")
    organisation: str = Field(..., description="权属部门标识（机构 key）")
    lng: float
    lat: float
    address: str = ""
    enterprise_code: str = Field("", description="企业统一社会信用代码（能耗、排放设备必填）")


class DevicePatch(Schema):
    name: str | None = None
    device_type: str | None = None
    organisation: str | None = None
    lng: float | None = None
    lat: float | None = None
    address: str | None = None
    enterprise_code: str | None = None


class StatusIn(Schema):
    status: str = Field(..., description="active 启用 / maintenance 维护中 / retired 停用")
    reason: str = ""


class CredentialsOut(Schema):
    device: str
    secret: str = Field(..., description="只显示这一次：HTTP 头 X-Device-Token 的值，也是 MQTT 口令（用户名为设备编码）")
    mqtt_topic: str
    http_endpoint: str


class BulkCellOut(Schema):
    field: str
    column: str = Field(..., description="列名，与文件表头一致")
    reasons: list[str]


class BulkErrorOut(Schema):
    line: int
    fields: dict[str, list[str]]
    cells: list[BulkCellOut]


class BulkReportOut(Schema):
    created: int
    failed: int
    errors: list[BulkErrorOut]


class ProvisioningKeyIn(Schema):
    name: str
    organisation: str
    region: str = Field(..., description="允许注册的区划（key 或代码）")
    device_type: str | None = None
    max_devices: int = 100
    valid_days: int = Field(30, ge=1, le=365)


class ProvisioningKeyOut(Schema):
    name: str
    key: str = Field(..., description="只显示这一次")
    expires_at: datetime
    max_devices: int


class ProvisionIn(Schema):
    code: str
    name: str
    device_type: str
    lng: float
    lat: float
    address: str = ""
    enterprise_code: str = ""


class DeviceMessage(BaseModel):
    """Input only, so a plain pydantic model: ninja's Schema wraps every nested object in a validator that
    reads Django objects, a fifth of a batch's validation time for nothing here."""

    ts: Any = Field(None, description="ISO 8601（无时区按北京时间）或 Unix 秒/毫秒；缺省为接收时间")
    values: dict[str, Any] = Field(..., description="指标编码 → 数值")


class BatchReading(DeviceMessage):
    device: str = Field(..., description="设备编码")


class BatchIn(BaseModel):
    readings: list[BatchReading]


class RejectedOut(Schema):
    index: int
    device: str
    metric: str
    reason: str
    message: str


class IngestOut(Schema):
    accepted: int
    duplicates: int
    rejected: list[RejectedOut]


class SeriesOut(Schema):
    device: str
    metric: str
    unit: str
    resolution: str
    points: list[tuple[datetime, float, float, float, int]] = Field(
        ..., description="[时间, 平均值, 最小值, 最大值, 读数个数]；raw 时四个值相同、个数为 1")


class LatestIn(Schema):
    devices: list[str] = Field(..., max_length=20000)


class RejectionOut(Schema):
    device_code: str
    reason: str
    reason_label: str
    count: int
    first_at: datetime
    last_at: datetime
    last_detail: str
