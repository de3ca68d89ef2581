"""The IoT platform over the API, under /api/v1/iot.

- Device types (any signed-in caller) and devices within the caller's scope: list, register, change, status,
  credentials (the secret is shown once), bulk registration from CSV/XLSX, provisioning keys.
- Self-provisioning (`POST /provision`, header X-Provisioning-Key, no account): a device registers itself.
- Ingestion: a device sends its own readings (`POST /devices/{code}/telemetry`, header X-Device-Token), a
  departmental system sends a batch from many devices in its scope (`POST /telemetry`, API key).
- Series of a device's metric (downsampled to a point budget), latest values of many devices, CSV/XLSX export.
- Rejected readings per device and reason. Rules and alarms: `api_alarms.py`.
"""
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Query, Router
from ninja import Status as Reply
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.security import APIKeyHeader

from bohai.kernel.api.errors import error_body
from bohai.kernel.api.paging import PageNumbers
from bohai.kernel.organisations.models import Organisation
from bohai.kernel.regions.models import Region

from . import actions, series
from .api_alarms import router as alarms_router
from .credentials import token_matches
from .device_throttle import DeviceRateThrottle, KeyHolderAddressThrottle
from .ingestion import IncomingReading, ingest, record_bad_credentials
from .models import Device, DeviceType, Rejection, RejectionReason
from .presenting import device_row, is_online
from .schemas import (
    BatchIn, BulkReportOut, CredentialsOut, DeviceIn, DeviceMessage, DeviceOut, DevicePatch, DeviceTypeOut, IngestOut,
    LatestIn, ProvisioningKeyIn, ProvisioningKeyOut, ProvisionIn, RejectionOut, SeriesOut, StatusIn,
)

router = Router()
router.add_router("", alarms_router)

MAX_BATCH_READINGS = 20_000


# Device types and devices -----------------------------------------------------------------------------

@router.get("/device-types", response=list[DeviceTypeOut], summary="设备类型及其监测指标、单位、有效范围")
def device_types(request):
    return list(DeviceType.objects.prefetch_related("metrics"))


def _visible_devices(request, action: str = "view"):
    return Device.objects.restrict(request.user, action).select_related("device_type", "organisation", "region")


@router.get("/devices", response=list[DeviceOut], summary="设备列表（本人管辖范围内）")
@paginate(PageNumbers)
def list_devices(request, device_type: str = "", status: str = "", organisation: str = "", region: str = "",
                 q: str = ""):
    devices = _visible_devices(request)
    if device_type:
        devices = devices.filter(device_type__code=device_type)
    if status:
        devices = devices.filter(status=status)
    if organisation:
        devices = devices.filter(organisation__key=organisation)
    if region:
        place = Region.objects.filter(key=region).first() or Region.objects.filter(code=region).first()
        devices = devices.filter(region__path__startswith=place.path) if place else devices.none()
    if q:
        devices = devices.filter(name__icontains=q) | devices.filter(code__icontains=q)
    return devices


@router.post("/devices/import", response=BulkReportOut, summary="从 CSV 或 XLSX 批量登记设备；逐行报告错误，正确的行照常登记")
def import_devices(request, file: UploadedFile = File(...)):
    if not request.user.has_perm("iot.add_device"):
        raise PermissionDenied
    allowed = Organisation.objects.restrict(request.user, permission="iot.add_device")
    report = actions.bulk_register(file.file, actor=request.user, allowed_organisations=allowed)
    return {"created": report.created, "failed": report.failed, "errors": report.errors}


def _device(request, code: str, action: str = "view") -> Device:
    return _visible_devices(request, action).get_in_scope(request.user, action, code=code)


@router.get("/devices/{code}", response=DeviceOut, summary="一台设备")
def get_device(request, code: str):
    return device_row(_device(request, code))


def _organisation_in_scope(request, key: str, action: str = "add"):
    if not Organisation.objects.filter(key=key).exists():
        raise ValidationError({"organisation": [_("部门不存在")]})
    organisation = Organisation.objects.restrict(request.user, permission=f"iot.{action}_device").filter(key=key).first()
    if organisation is None:
        raise ValidationError({"organisation": [_("不能为管辖范围以外的部门登记设备")]})
    return organisation


def _device_type(code: str, field: str = "device_type") -> DeviceType:
    device_type = DeviceType.objects.filter(code=code).first()
    if device_type is None:
        raise ValidationError({field: [_("设备类型“%(code)s”不存在") % {"code": code}]})
    return device_type


@router.post("/devices", response={201: DeviceOut}, summary="登记设备（登记后另行签发凭据）")
def register(request, payload: DeviceIn):
    if not request.user.has_perm("iot.add_device"):
        raise PermissionDenied
    device = actions.register_device(
        actor=request.user, code=payload.code, name=payload.name, device_type=_device_type(payload.device_type),
        organisation=_organisation_in_scope(request, payload.organisation), lng=payload.lng, lat=payload.lat,
        address=payload.address, enterprise_code=payload.enterprise_code)
    return Reply(201, device_row(device))


@router.patch("/devices/{code}", response=DeviceOut, summary="修改设备信息")
def change(request, code: str, payload: DevicePatch):
    device = _device(request, code, "change")
    changes = payload.dict(exclude_none=True)
    if "device_type" in changes:
        changes["device_type"] = _device_type(changes["device_type"])
    if "organisation" in changes:
        changes["organisation"] = _organisation_in_scope(request, changes["organisation"], "change")
    return device_row(actions.update_device(device, actor=request.user, **changes))


@router.post("/devices/{code}/status", response=DeviceOut, summary="启用、维护或停用设备（停用即吊销 MQTT 访问）")
def change_status(request, code: str, payload: StatusIn):
    device = _device(request, code, "change")
    return device_row(actions.change_device_status(device, actor=request.user, status=payload.status,
                                                   reason=payload.reason))


@router.post("/devices/{code}/credentials", response=CredentialsOut, summary="签发（或重置）设备凭据，旧凭据立即失效")
def credentials(request, code: str):
    device = _device(request, code, "change")
    secret = actions.issue_credentials(device, actor=request.user)
    return {"device": device.code, "secret": secret, "mqtt_topic": device.mqtt_topic,
            "http_endpoint": f"/api/v1/iot/devices/{device.code}/telemetry"}


@router.post("/provisioning-keys", response={201: ProvisioningKeyOut}, summary="创建自助注册密钥（交给设备厂商）")
def create_key(request, payload: ProvisioningKeyIn):
    if not request.user.has_perm("iot.add_provisioningkey"):
        raise PermissionDenied
    region = Region.objects.filter(key=payload.region).first() or Region.objects.filter(code=payload.region).first()
    if region is None:
        raise ValidationError({"region": [_("区划不存在")]})
    key, raw = actions.create_provisioning_key(
        actor=request.user, name=payload.name, organisation=_organisation_in_scope(request, payload.organisation),
        region=region, device_type=_device_type(payload.device_type) if payload.device_type else None,
        max_devices=payload.max_devices, valid_for=timedelta(days=payload.valid_days))
    return Reply(201, {"name": key.name, "key": raw, "expires_at": key.expires_at, "max_devices": key.max_devices})


class ProvisioningKeyHeader(APIKeyHeader):
    param_name = "X-Provisioning-Key"

    def authenticate(self, request, key):
        return key or None


@router.post("/provision", auth=ProvisioningKeyHeader(), response={201: CredentialsOut, 403: dict},
             throttle=[KeyHolderAddressThrottle("30/min")],
             summary="设备自助注册：凭注册密钥登记本设备并取得凭据")
def provision(request, payload: ProvisionIn):
    try:
        device, secret = actions.provision_device(
            actor="system:iot.provisioning", raw_key=request.auth, code=payload.code, name=payload.name,
            device_type=_device_type(payload.device_type), lng=payload.lng, lat=payload.lat, address=payload.address,
            enterprise_code=payload.enterprise_code)
    except actions.ProvisioningRefused as refusal:
        return Reply(403, error_body("provisioning_refused", str(refusal)))
    return Reply(201, {"device": device.code, "secret": secret, "mqtt_topic": device.mqtt_topic,
                       "http_endpoint": f"/api/v1/iot/devices/{device.code}/telemetry"})


# Ingestion ----------------------------------------------------------------------------------------------

class DeviceToken(APIKeyHeader):
    """The device's own secret; the device named in the path must be the one the token belongs to."""

    param_name = "X-Device-Token"

    def authenticate(self, request, key):
        from .directory import directory

        code = request.resolver_match.kwargs.get("code", "")
        entry = directory.entries_for([code]).get(code)
        if entry is None or not key or not token_matches(key, entry.token_digest):
            if entry is not None:
                record_bad_credentials(code, "HTTP")
            return None
        return entry


@router.post("/devices/{code}/telemetry", auth=DeviceToken(), response={200: IngestOut, 422: dict},
             throttle=[DeviceRateThrottle()], summary="设备上报读数（一条或多条报文）")
def device_telemetry(request, code: str, payload: DeviceMessage | list[DeviceMessage]):
    messages = payload if isinstance(payload, list) else [payload]
    readings = [IncomingReading(code, metric, message.ts, value) for message in messages
                for metric, value in message.values.items()]
    return _ingest_reply(ingest(readings, channel="http"))


@router.post("/telemetry", response={200: IngestOut, 422: dict}, summary="批量上报多台设备的读数（部门系统，API 密钥）")
def batch_telemetry(request, payload: BatchIn):
    if not request.user.has_perm("iot.ingest_device"):
        raise PermissionDenied
    if len(payload.readings) > MAX_BATCH_READINGS:
        raise ValidationError({"readings": [_("一次最多 %(limit)s 条报文") % {"limit": MAX_BATCH_READINGS}]})
    codes = {reading.device for reading in payload.readings}
    allowed = set(Device.objects.restrict(request.user, "ingest").filter(code__in=codes).values_list("code", flat=True))
    readings, outside = [], []
    for reading in payload.readings:
        for metric, value in reading.values.items():
            incoming = IncomingReading(reading.device, metric, reading.ts, value)
            (readings if reading.device in allowed else outside).append(incoming)
    outcome = ingest(readings, channel="http-batch")
    for incoming in outside:
        outcome.rejected.append(_outside_scope(incoming))
    return _ingest_reply(outcome)


def _outside_scope(incoming):
    from .ingestion import RejectedReading

    return RejectedReading(-1, incoming.device_code, incoming.metric, RejectionReason.UNKNOWN_DEVICE,
                           _("设备 %(code)s 不存在或不在您的管理范围内") % {"code": incoming.device_code})


def _ingest_reply(outcome):
    body = {"accepted": outcome.accepted, "duplicates": outcome.duplicates,
            "rejected": [{"index": r.index, "device": r.device_code, "metric": r.metric, "reason": r.reason,
                          "message": r.detail} for r in outcome.rejected]}
    if outcome.rejected and not (outcome.accepted or outcome.duplicates):
        fields = {f"{r.device_code}.{r.metric}" if r.metric else r.device_code: [r.detail] for r in outcome.rejected}
        return Reply(422, {**error_body("rejected", _("读数全部被拒收"), fields), **body})
    return body


# Series, latest values, export -------------------------------------------------------------------------------

@router.get("/devices/{code}/series/{metric}", response=SeriesOut, summary="一个指标的曲线数据（自动降采样到点数预算）")
def device_series(request, code: str, metric: str, start: datetime | None = None, end: datetime | None = None,
                  budget: int = Query(2000, ge=10, le=10000)):
    device = _device(request, code)
    end = end or timezone.now()
    start = start or end - timedelta(hours=24)
    if start >= end:
        raise ValidationError({"start": [_("开始时间应早于结束时间")]})
    return series.metric_series(device, metric, start, end, budget=budget)


@router.post("/latest", response=dict[str, dict[str, tuple[datetime, float]]],
             summary="多台设备各指标的最新值：{设备编码: {指标: [时间, 数值]}}")
def latest_values(request, payload: LatestIn):
    devices = Device.objects.restrict(request.user, "view").filter(code__in=payload.devices)
    return series.latest_of(devices)


@router.get("/devices/{code}/export", summary="导出一个设备的读数（CSV 或 XLSX）")
def export(request, code: str, start: datetime, end: datetime, file_format: str = Query("csv", alias="format"),
           resolution: str = "raw"):
    device = _device(request, code)
    if file_format not in ("csv", "xlsx"):
        raise ValidationError({"format": [_("格式应为 csv 或 xlsx")]})
    if resolution not in ("raw", "minute", "hour", "day"):
        raise ValidationError({"resolution": [_("粒度应为 raw、minute、hour 或 day")]})
    if start >= end:
        raise ValidationError({"start": [_("开始时间应早于结束时间")]})
    return series.export_response(device, start, end, file_format=file_format, resolution=resolution,
                                  actor=request.user)


# Rejected readings -----------------------------------------------------------------------------------------

@router.get("/rejections", response=list[RejectionOut], summary="被拒收的读数：按设备和原因计数，附最近一例")
@paginate(PageNumbers)
def rejections(request, device: str = "", reason: str = ""):
    rows = Rejection.objects.restrict(request.user, "view")
    if device:
        rows = rows.filter(device_code=device)
    if reason:
        rows = rows.filter(reason=reason)
    return [{"device_code": row.device_code, "reason": row.reason, "reason_label": row.get_reason_display(),
             "count": row.count, "first_at": row.first_at, "last_at": row.last_at, "last_detail": row.last_detail}
            for row in rows]
