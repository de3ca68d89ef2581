"""Device types and devices: seeding the profiles, registering, changing and retiring devices, credentials."""
import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.kernel.audit.recording import record, snapshot
from bohai.kernel.audit.service import service_action
from bohai.kernel.identities.cleaning import clean_credit_code
from bohai.kernel.regions.spatial import locate

from .. import credentials
from ..directory import directory
from ..models import Category, Device, DeviceStatus, DeviceType, MetricSpec, code_validator

DEVICE_TYPES_FILE = Path(__file__).resolve().parent.parent / "data" / "device_types.json"
SECRET_FIELDS = ("token_digest", "mqtt_password_hash", "token_prefix")
ENTERPRISE_CATEGORIES = {Category.ENERGY, Category.EMISSION}


@service_action
def load_reference_device_types(*, actor, path: Path = DEVICE_TYPES_FILE) -> dict:
    """Create the seeded device profiles that are missing; an administrator's edits to existing ones stay."""
    created_types = created_metrics = 0
    for spec in json.loads(Path(path).read_text(encoding="utf-8")):
        metrics = spec.pop("metrics")
        device_type, created = DeviceType.objects.get_or_create(code=spec["code"], defaults=spec)
        created_types += created
        for position, metric in enumerate(metrics):
            _, made = MetricSpec.objects.get_or_create(device_type=device_type, code=metric["code"],
                                                       defaults={**metric, "position": position})
            created_metrics += made
    if created_types or created_metrics:
        record(actor=actor, action="iot.device_types.load", target_type="iot.devicetype",
               after={"types": created_types, "metrics": created_metrics})
    return {"types": created_types, "metrics": created_metrics}


def clean_device_fields(*, code, name, device_type, organisation, lng, lat, enterprise_code="", existing=None) -> dict:
    """Field-level checks shared by registration, bulk import and self-provisioning; returns derived values."""
    errors: dict[str, list[str]] = {}
    try:
        code_validator(code)
    except ValidationError as error:
        errors["code"] = list(error.messages)
    if not errors.get("code") and Device.objects.filter(code=code).exclude(pk=getattr(existing, "pk", None)).exists():
        errors["code"] = [_("设备编码 %(code)s 已被登记") % {"code": code}]
    if not (name or "").strip():
        errors["name"] = [_("必填")]
    if device_type is None:
        errors["device_type"] = [_("设备类型不存在")]
    if organisation is None:
        errors["organisation"] = [_("权属部门不存在")]
    location = _locate(lng, lat, errors)
    if enterprise_code:
        try:
            clean_credit_code(enterprise_code, field="enterprise_code")
        except ValidationError as error:
            errors["enterprise_code"] = list(error.messages)
    elif device_type is not None and device_type.category in ENTERPRISE_CATEGORIES:
        errors["enterprise_code"] = [_("企业能耗与排放监测设备须填写企业统一社会信用代码")]
    if errors:
        raise ValidationError(errors)
    return {"region": location.deepest}


def _locate(lng, lat, errors):
    try:
        lng, lat = float(lng), float(lat)
    except (TypeError, ValueError):
        errors["lng"] = [_("经纬度应为数字")]
        return None
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        errors["lng"] = [_("经纬度超出范围")]
        return None
    location = locate(lng, lat)
    if not location:
        errors["lng"] = [_("位置（%(lng)s, %(lat)s）不在本市范围内") % {"lng": lng, "lat": lat}]
    return location


@service_action
def register_device(*, actor, code: str, name: str, device_type: DeviceType, organisation, lng: float, lat: float,
                    address: str = "", enterprise_code: str = "", status: str = DeviceStatus.ACTIVE,
                    provisioned_with=None) -> Device:
    derived = clean_device_fields(code=code, name=name, device_type=device_type, organisation=organisation,
                                  lng=lng, lat=lat, enterprise_code=enterprise_code)
    device = Device.objects.create(code=code, name=name.strip(), device_type=device_type, organisation=organisation,
                                   region=derived["region"], lng=float(lng), lat=float(lat), address=address,
                                   enterprise_code=enterprise_code, status=status, provisioned_with=provisioned_with)
    record(actor=actor, action="iot.device.register", target=device, after=snapshot(device, exclude=SECRET_FIELDS))
    _after_commit_refresh(device.code)
    return device


@service_action
def update_device(device: Device, *, actor, **changes) -> Device:
    editable = {"name", "device_type", "organisation", "lng", "lat", "address", "enterprise_code"}
    unknown = set(changes) - editable
    if unknown:
        raise ValidationError({field: [_("不可修改")] for field in unknown})
    before = snapshot(device, exclude=SECRET_FIELDS)
    values = {field: getattr(device, field) for field in editable} | changes
    derived = clean_device_fields(code=device.code, existing=device, **{k: values[k] for k in (
        "name", "device_type", "organisation", "lng", "lat", "enterprise_code")})
    for field, value in changes.items():
        setattr(device, field, value)
    device.region = derived["region"]
    device.save()
    record(actor=actor, action="iot.device.update", target=device, before=before,
           after=snapshot(device, exclude=SECRET_FIELDS))
    _after_commit_refresh(device.code)
    return device


@service_action
def change_device_status(device: Device, *, actor, status: str, reason: str = "") -> Device:
    if status not in DeviceStatus.values:
        raise ValidationError({"status": [_("状态不正确")]})
    before = device.status
    Device.objects.filter(pk=device.pk).update(status=status, updated_at=timezone.now())
    device.status = status
    record(actor=actor, action="iot.device.status", target=device, before={"status": before},
           after={"status": status, "reason": reason})
    _after_commit_refresh(device.code, credentials_changed=True)
    return device


@service_action
def issue_credentials(device: Device, *, actor) -> str:
    """A new secret for the device (HTTP token and MQTT password); the old one stops working. Shown once."""
    secret = credentials.new_secret()
    Device.objects.filter(pk=device.pk).update(
        token_prefix=secret[:credentials.PREFIX_LENGTH], token_digest=credentials.token_digest(secret),
        mqtt_password_hash=credentials.mosquitto_password_hash(secret), credentials_issued_at=timezone.now())
    device.refresh_from_db()
    record(actor=actor, action="iot.device.credentials", target=device,
           after={"issued_at": device.credentials_issued_at, "prefix": device.token_prefix})
    _after_commit_refresh(device.code, credentials_changed=True)
    return secret


def _after_commit_refresh(code: str, *, credentials_changed: bool = True) -> None:
    def refresh():
        directory.forget(code)
        if credentials_changed:
            _request_broker_sync()

    transaction.on_commit(refresh)


def _request_broker_sync() -> None:
    try:
        from ..mqtt.broker import request_sync
    except ImportError:  # the MQTT side is optional: HTTP ingestion works without a broker
        return
    request_sync()
