"""Public read functions of the IoT device registry, for other systems (operations centre, energy, …).

Other systems read devices through these functions instead of reaching into `bohai.iot.models`; every
function that serves a person takes the user and stays within their scope.
"""
from datetime import datetime, timedelta

from django.db.models import Case, Count, DateTimeField, Q, QuerySet, Value, When

from bohai.kernel.organisations.models import Organisation
from bohai.kernel.regions.models import Region

from .models import Device, DeviceStatus, DeviceType

DEVICE_KIND = "iot.device"  # the subject kind of a device in the alarms engine


def visible_devices(user) -> QuerySet:
    """Devices the user may see (their region and department scope): the same rows as
    `Device.objects.restrict(user, "view")`, written as `region_id IN (regions under the scope)` instead of a join
    on the region's path: over 100,000 devices SQLite plans the join with LIKE several times slower, which the
    map's device layer (one grouped pass over every device in view) cannot afford."""
    condition = device_scope(user)
    return Device.objects.none() if condition is None else Device.objects.filter(condition)


def device_scope(user) -> Q | None:
    """The user's device scope as a condition on `region_id` and `organisation_id` (usable on any table with
    both, such as counts per device); None when the user may see no device."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return Q()
    scopes = user.scopes_for("iot.view_device")
    if not scopes:
        return None
    condition = Q()
    for region_path, organisation_path in scopes:
        part = Q(region_id__in=regions_under(region_path))
        if organisation_path:
            part &= Q(organisation_id__in=Organisation.objects.filter(path__startswith=organisation_path).values("pk"))
        condition |= part
    return condition


def regions_under(path: str) -> QuerySet:
    """Ids of the region with this path and every region below it (a subquery)."""
    return Region.objects.filter(path__startswith=path).values("pk")


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
    """Q for a device heard from within its type's `offline_after_minutes`: one comparison per row against its
    type's cutoff (a CASE on the type), which grouped passes over many devices evaluate much faster than an OR
    of one term per type."""
    cutoffs = [When(device_type_id=type_id, then=Value(now - timedelta(minutes=minutes)))
               for type_id, minutes in DeviceType.objects.values_list("pk", "offline_after_minutes")]
    if not cutoffs:
        return Q(pk__in=[])
    return Q(last_seen_at__gte=Case(*cutoffs, default=None, output_field=DateTimeField()))


def is_online(device: Device, now: datetime) -> bool:
    threshold = timedelta(minutes=device.device_type.offline_after_minutes)
    return device.last_seen_at is not None and device.last_seen_at >= now - threshold


def online_counts(devices: QuerySet, now: datetime, *group_by: str) -> list[dict]:
    """Active devices of `devices` grouped by the given fields: {…fields, "total", "online"} per group; without
    fields, one row for them all."""
    active = devices.filter(status=DeviceStatus.ACTIVE).order_by()
    counts = {"total": Count("pk"), "online": Count("pk", filter=online_condition(now))}
    if not group_by:
        return [active.aggregate(**counts)]
    return list(active.values(*group_by).annotate(**counts))


def codes_of(device_pks) -> dict[int, str]:
    """{pk: code} of the given devices (to link alarms, whose subject is a device pk, to device pages)."""
    return dict(Device.objects.filter(pk__in=list(device_pks)).values_list("pk", "code"))
