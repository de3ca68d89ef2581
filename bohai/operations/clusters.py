"""The map's device layer, clustered on the server, so the browser draws a few hundred circles whatever the
number of devices; when few devices are in view they come back one by one instead.

A device is "alarm" when it has an open alarm, else "online" when heard from within its type's offline time,
else "offline". Retired devices are not drawn.

Two ways to the same answer:
- pre-counted (`MapCell`): every minute the job `operations.refresh_map_cells` counts devices and online devices
  per fine cell (FINE_CELL degrees), region and department in one pass; a request adds up the cells in view
  (in scope) into cells of its zoom, and counts alarms live from the open alarms (a few hundred rows). A pass over
  100,000 devices per request costs more than the 300 ms a large screen can wait on a busy 2-core machine;
- live: when zoomed in below two fine cells, for one device type, when the counts are older than STALE_AFTER, or
  for few devices, one grouped SQL pass over the devices in view.
"""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Avg, Count, F, IntegerField, Max, Q, Sum
from django.db.models.functions import Cast, Floor
from django.utils import timezone

from bohai.engines.alarms.models import OPEN_STATES, Alarm
from bohai.iot import queries as devices
from bohai.iot.models import Device, DeviceStatus

from .models import MapCell

CELL_PIXELS = 48  # about this many screen pixels per cell at the requested zoom (256-pixel tiles)
INDIVIDUAL_LIMIT = 300  # at most this many devices in view: send them one by one
MAX_ZOOM = 18
FINE_CELL = 0.02  # degrees, about 2 km: the pre-counted cells
STALE_AFTER = timedelta(minutes=5)


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
    if cell >= 2 * FINE_CELL and not type_code and cells_fresh(now):
        layer = counted_clusters(user, bbox, cell, now, region_path=region_path)
    else:
        layer = live_clusters(user, bbox, cell, now, type_code=type_code, region_path=region_path)
    if 0 < layer["total"] <= INDIVIDUAL_LIMIT:
        rows = devices_in(user, bbox, type_code=type_code, region_path=region_path)
        listed = _individual(rows, now)
        return {"kind": "devices", "total": len(listed), "cell": cell, "devices": listed}
    return layer


def live_clusters(user, bbox: BBox, cell: float, now: datetime, *, type_code=None, region_path=None) -> dict:
    rows = devices_in(user, bbox, type_code=type_code, region_path=region_path)
    alarmed = Q(pk__in=_alarmed_ids())
    grouped = list(
        rows.annotate(gx=Floor(F("lng") / cell), gy=Floor(F("lat") / cell))
        .values("gx", "gy")
        .annotate(n=Count("pk"), lng=Avg("lng"), lat=Avg("lat"), alarm=Count("pk", filter=alarmed),
                  online=Count("pk", filter=~alarmed & devices.online_condition(now) & Q(status=DeviceStatus.ACTIVE)))
    )
    return _layer(grouped, cell, "live")


def counted_clusters(user, bbox: BBox, cell: float, now: datetime, *, region_path=None) -> dict:
    scope = devices.device_scope(user)
    if scope is None:
        return _layer([], cell, "counted")
    cells = MapCell.objects.filter(scope).filter(
        gx__gte=math.floor(bbox.west / FINE_CELL), gx__lte=math.floor(bbox.east / FINE_CELL),
        gy__gte=math.floor(bbox.south / FINE_CELL), gy__lte=math.floor(bbox.north / FINE_CELL))
    if region_path:
        cells = cells.filter(region_id__in=devices.regions_under(region_path))
    groups: dict[tuple[int, int], dict] = {}
    for gx, gy, count, online, lng_sum, lat_sum in (
            cells.order_by().values("gx", "gy")
            .annotate(n=Sum("devices"), on=Sum("online"), lng=Sum("lng_sum"), lat=Sum("lat_sum"))
            .values_list("gx", "gy", "n", "on", "lng", "lat")):
        group = groups.setdefault(_coarse(gx, gy, cell), {"n": 0, "online": 0, "alarm": 0, "lng": 0.0, "lat": 0.0})
        group["n"] += count
        group["online"] += online
        group["lng"] += lng_sum
        group["lat"] += lat_sum
    for lng, lat, was_online in _alarmed_in_view(user, bbox, now, region_path=region_path):
        group = groups.get(_coarse(math.floor(lng / FINE_CELL), math.floor(lat / FINE_CELL), cell))
        if group is not None:
            group["alarm"] += 1
            group["online"] -= was_online
    grouped = [{"n": g["n"], "online": max(0, g["online"]), "alarm": min(g["alarm"], g["n"]),
                "lng": g["lng"] / g["n"], "lat": g["lat"] / g["n"]} for g in groups.values() if g["n"]]
    return _layer(grouped, cell, "counted")


def _coarse(gx: int, gy: int, cell: float) -> tuple[int, int]:
    return math.floor((gx + 0.5) * FINE_CELL / cell), math.floor((gy + 0.5) * FINE_CELL / cell)


def _alarmed_in_view(user, bbox, now, **filters) -> list[tuple[float, float, bool]]:
    rows = devices_in(user, bbox, **filters).filter(pk__in=_alarmed_ids())
    online = set(rows.filter(devices.online_condition(now), status=DeviceStatus.ACTIVE).values_list("pk", flat=True))
    return [(lng, lat, pk in online) for pk, lng, lat in rows.values_list("pk", "lng", "lat")]


def _layer(grouped: list[dict], cell: float, how: str) -> dict:
    return {"kind": "clusters", "total": sum(g["n"] for g in grouped), "cell": cell, "counted": how,
            "clusters": [_cluster(g) for g in grouped]}


def _cluster(group: dict) -> dict:
    offline = max(0, group["n"] - group["alarm"] - group["online"])
    return {"lng": round(group["lng"], 5), "lat": round(group["lat"], 5), "count": group["n"],
            "online": group["online"], "offline": offline, "alarm": group["alarm"],
            "status": "alarm" if group["alarm"] else "offline" if offline > group["online"] else "online"}


def _individual(rows, now) -> list[dict]:
    alarmed = set(rows.filter(pk__in=_alarmed_ids()).values_list("pk", flat=True))
    online = set(rows.filter(devices.online_condition(now), status=DeviceStatus.ACTIVE).values_list("pk", flat=True))
    return [{"code": code, "name": name, "type": type_code, "lng": lng, "lat": lat,
             "status": "alarm" if pk in alarmed else "online" if pk in online else "offline"}
            for pk, code, name, type_code, lng, lat in rows.values_list(
                "pk", "code", "name", "device_type__code", "lng", "lat").order_by("code")[:INDIVIDUAL_LIMIT]]


# Pre-counting ------------------------------------------------------------------------------------

def cells_fresh(now: datetime) -> bool:
    latest = MapCell.objects.aggregate(at=Max("computed_at"))["at"]
    return latest is not None and now - latest <= STALE_AFTER


def refresh_cells(now: datetime | None = None) -> int:
    """Count the devices per fine cell, region and department; replaces the previous counts. Rows written."""
    now = now or timezone.now()
    grouped = (Device.objects.exclude(status=DeviceStatus.RETIRED).order_by()
               .annotate(gx=Cast(Floor(F("lng") / FINE_CELL), IntegerField()),
                         gy=Cast(Floor(F("lat") / FINE_CELL), IntegerField()))
               .values("gx", "gy", "region_id", "organisation_id")
               .annotate(n=Count("pk"), lng_sum=Sum("lng"), lat_sum=Sum("lat"),
                         on=Count("pk", filter=devices.online_condition(now) & Q(status=DeviceStatus.ACTIVE))))
    cells = [MapCell(gx=row["gx"], gy=row["gy"], region_id=row["region_id"], organisation_id=row["organisation_id"],
                     devices=row["n"], online=row["on"],
                     lng_sum=row["lng_sum"], lat_sum=row["lat_sum"], computed_at=now) for row in grouped]
    with transaction.atomic():
        MapCell.objects.all().delete()
        MapCell.objects.bulk_create(cells, batch_size=2000)
    return len(cells)
