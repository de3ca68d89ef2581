"""Public read functions of the IoT device registry, for other systems (operations centre, energy, …).

Other systems read devices through these functions instead of reaching into `bohai.iot.models`; every
function that serves a person takes the user and stays within their scope.
"""
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet

from .models import Device, DeviceStatus, DeviceType

DEVICE_KIND = "iot.device"  # the subject kind of a device in the alarms engine


def visible_devices(user) -> QuerySet:
    """Devices the user may see (their region and department scope)."""
    return Device.objects.restrict(user, "view")


def device_in_scope(user, code: str) -> Device:
    """The device with this code, or Http404 when it does not exist or lies outside the user's scope."""
    return Device.objects.select_related("device_type", "organisation", "region").get_in_scope(user, "view", code=code)


def device_types() -> list[DeviceType]:
    return list(DeviceType.objects.prefetch_related("metrics"))


def device_type(code: str) -> DeviceType | None:
    return DeviceType.objects.prefetch_related("metrics").filter(code=code).first()


def active_devices(type_code: str | None = None) -> QuerySet:
    """Devices in service (not in maintenance, not retired), of one type when given; unscoped, for jobs."""
    devices = Device.objects.filter(status=DeviceStatus.ACTIVE)
    return devices.filter(device_type__code=type_code) if type_code else devices


def online_condition(now: datetime) -> Q:
    """Q for a device heard from within its type's `offline_after_minutes` (one term per distinct threshold)."""
    by_minutes: dict[int, list[int]] = {}
    for type_id, minutes in DeviceType.objects.values_list("pk", "offline_after_minutes"):
        by_minutes.setdefault(minutes, []).append(type_id)
    condition = Q(pk__in=[])
    for minutes, type_ids in by_minutes.items():
        condition |= Q(device_type_id__in=type_ids, last_seen_at__gte=now - timedelta(minutes=minutes))
    return condition


def is_online(device: Device, now: datetime) -> bool:
    threshold = timedelta(minutes=device.device_type.offline_after_minutes)
    return device.last_seen_at is not None and device.last_seen_at >= now - threshold


def online_counts(devices: QuerySet, now: datetime, *group_by: str) -> list[dict]:
    """Active devices of `devices` grouped by the given fields: {…fields, "total", "online"} per group."""
    return list(devices.filter(status=DeviceStatus.ACTIVE).order_by().values(*group_by)
                .annotate(total=Count("pk"), online=Count("pk", filter=online_condition(now))))


def codes_of(device_pks) -> dict[int, str]:
    """{pk: code} of the given devices (to link alarms, whose subject is a device pk, to device pages)."""
    return dict(Device.objects.filter(pk__in=list(device_pks)).values_list("pk", "code"))
