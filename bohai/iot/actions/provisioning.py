"""Self-provisioning: a department creates a provisioning key and hands it to a vendor; each device presents
the key once with its own code, type and location, is registered to the key's department (within the key's
region and device type), and receives its own credentials. The key has a quota and an expiry and can be
revoked; it is never a device credential."""
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import service_action
from bohai.kernel.crypto.fields import constant_time_equal, sm3_hex

from ..models import Device, DeviceType, ProvisioningKey
from .registry import issue_credentials, register_device

PREFIX_LENGTH = 8


class ProvisioningRefused(Exception):
    """The key is unknown, expired, revoked or used up; the message says which, in Chinese."""


@service_action
def create_provisioning_key(*, actor, name: str, organisation, region, device_type: DeviceType | None = None,
                            max_devices: int = 100, valid_for: timedelta = timedelta(days=30)) -> tuple[ProvisioningKey, str]:
    if not (name or "").strip():
        raise ValidationError({"name": [_("必填")]})
    if not 1 <= max_devices <= 100_000:
        raise ValidationError({"max_devices": [_("可注册设备数应在 1 至 100000 之间")]})
    raw = "pk_" + secrets.token_urlsafe(24)
    key = ProvisioningKey.objects.create(
        name=name.strip(), prefix=raw[3:3 + PREFIX_LENGTH], digest=sm3_hex(raw.encode()), organisation=organisation,
        region=region, device_type=device_type, max_devices=max_devices, expires_at=timezone.now() + valid_for)
    record(actor=actor, action="iot.provisioning_key.create", target=key,
           after={"name": key.name, "organisation": organisation.pk, "region": region.pk, "max_devices": max_devices,
                  "expires_at": key.expires_at})
    return key, raw


@service_action
def revoke_provisioning_key(key: ProvisioningKey, *, actor) -> ProvisioningKey:
    ProvisioningKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db()
    record(actor=actor, action="iot.provisioning_key.revoke", target=key, after={"revoked_at": key.revoked_at})
    return key


def find_provisioning_key(raw: str) -> ProvisioningKey:
    raw = raw or ""
    key = ProvisioningKey.objects.filter(prefix=raw[3:3 + PREFIX_LENGTH]).select_related("region").first()
    if key is None or not raw.startswith("pk_") or not constant_time_equal(key.digest, sm3_hex(raw.encode())):
        raise ProvisioningRefused(_("注册密钥无效"))
    if key.revoked_at:
        raise ProvisioningRefused(_("注册密钥已吊销"))
    if key.expires_at <= timezone.now():
        raise ProvisioningRefused(_("注册密钥已过期"))
    return key


@service_action
def provision_device(*, actor, raw_key: str, code: str, name: str, device_type: DeviceType | None, lng, lat,
                     address: str = "", enterprise_code: str = "") -> tuple[Device, str]:
    """Register a device with a provisioning key; returns the device and its secret (shown once)."""
    key = find_provisioning_key(raw_key)
    if key.device_type_id and device_type is not None and device_type.pk != key.device_type_id:
        raise ValidationError({"device_type": [_("该注册密钥只能注册“%(type)s”") % {"type": key.device_type.name}]})
    claimed = ProvisioningKey.objects.filter(pk=key.pk, used__lt=F("max_devices")).update(used=F("used") + 1)
    if not claimed:
        raise ProvisioningRefused(_("注册密钥的可注册设备数已用完"))
    device = register_device(actor=actor, code=code, name=name, device_type=device_type, organisation=key.organisation,
                             lng=lng, lat=lat, address=address, enterprise_code=enterprise_code, provisioned_with=key)
    if not device.region.path.startswith(key.region.path):
        raise ValidationError({"lng": [_("位置不在注册密钥允许的区划“%(region)s”内") % {"region": key.region.name}]})
    return device, issue_credentials(device, actor=actor)
