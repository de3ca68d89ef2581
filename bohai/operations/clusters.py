"""The map's device layer, clustered on the server: one SQL pass groups the devices of a bounding box into grid
cells (rounded coordinates) and counts them by status, so the browser draws a few hundred circles whatever the
number of devices. When few devices are in view they come back one by one instead.

A device is "alarm" when it has an open alarm, else "online" when heard from within its type's offline time,
else "offline". Retired devices are not drawn.
"""
from dataclasses import dataclass

from django.db.models import Avg, Count, F, IntegerField, Q
from django.db.models.functions import Cast
from django.utils import timezone

from bohai.engines.alarms.models import OPEN_STATES, Alarm
from bohai.iot import queries as devices
from bohai.iot.models import DeviceStatus

CELL_PIXELS = 48  # about this many screen pixels per cell at the requested zoom (256-pixel tiles)
INDIVIDUAL_LIMIT = 300  # at most this many devices in view: send them one by one
MAX_ZOOM = 18


@dataclass(frozen=True)
class BBox:
    west: float
    south: float
    east: float
    north: float

    @classmethod
    def parse(cls, text: str) -> "BBox":
        west, south, east, north = (float(part) for part in text.split(","))
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise ValueError("bbox must be west,south,east,north with west < east and south < north")
        return cls(west, south, east, north)


def cell_degrees(zoom: float) -> float:
    zoom = min(max(zoom, 0.0), MAX_ZOOM)
    return 360.0 / (256 * 2 ** zoom) * CELL_PIXELS


def devices_in(user, bbox: BBox, *, type_code: str | None = None, region_path: str | None = None):
    rows = devices.visible_devices(user).exclude(status=DeviceStatus.RETIRED).filter(
        lng__gte=bbox.west, lng__lte=bbox.east, lat__gte=bbox.south, lat__lte=bbox.north)
    if type_code:
        rows = rows.filter(device_type__code=type_code)
    if region_path:
        rows = rows.filter(region_id__in=devices.regions_under(region_path))
    return rows.order_by()


def _alarmed_ids():
    return Alarm.objects.filter(state__in=OPEN_STATES, subject_kind=devices.DEVICE_KIND).values("subject_id")


def clusters(user, bbox: BBox, zoom: float, *, type_code: str | None = None, region_path: str | None = None) -> dict:
    now = timezone.now()
    cell = cell_degrees(zoom)
    rows = devices_in(user, bbox, type_code=type_code, region_path=region_path)
    alarmed = Q(pk__in=_alarmed_ids())
    grouped = list(
        rows.annotate(gx=Cast(F("lng") / cell, IntegerField()), gy=Cast(F("lat") / cell, IntegerField()))
        .values("gx", "gy")
        .annotate(n=Count("pk"), lng=Avg("lng"), lat=Avg("lat"),
                  alarm=Count("pk", filter=alarmed),
                  online=Count("pk", filter=~alarmed & devices.online_condition(now) & Q(status=DeviceStatus.ACTIVE)))
    )
    total = sum(group["n"] for group in grouped)
    if 0 < total <= INDIVIDUAL_LIMIT:
        return {"kind": "devices", "total": total, "cell": cell, "devices": _individual(rows, now)}
    return {"kind": "clusters", "total": total, "cell": cell, "clusters": [_cluster(group) for group in grouped]}


def _cluster(group: dict) -> dict:
    offline = group["n"] - group["alarm"] - group["online"]
    return {"lng": round(group["lng"], 5), "lat": round(group["lat"], 5), "count": group["n"],
            "online": group["online"], "offline": offline, "alarm": group["alarm"],
            "status": "alarm" if group["alarm"] else "offline" if offline > group["online"] else "online"}


def _individual(rows, now) -> list[dict]:
    alarmed = set(rows.filter(pk__in=_alarmed_ids()).values_list("pk", flat=True))
    online = set(rows.filter(devices.online_condition(now), status=DeviceStatus.ACTIVE).values_list("pk", flat=True))
    return [{"code": code, "name": name, "type": type_code, "lng": lng, "lat": lat,
             "status": "alarm" if pk in alarmed else "online" if pk in online else "offline"}
            for pk, code, name, type_code, lng, lat in rows.values_list(
                "pk", "code", "name", "device_type__code", "lng", "lat").order_by("code")]
