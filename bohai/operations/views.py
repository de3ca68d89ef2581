"""The operations centre (/ops/): the large screen for the city or a county, and the drill-down pages
(county, device type, device with its history)."""
from datetime import timedelta

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bohai.engines.alarms.models import Alarm
from bohai.engines.telemetry import store
from bohai.iot import queries as devices
from bohai.kernel.pages.access import staff_required
from bohai.kernel.regions.models import Region

from .live import alarm_feed
from .places import COUNTY_LEVELS, city, counties, visible_places
from .readings import signs_now

HISTORY_BUDGET = 2000
HISTORY_DAYS = {"1": 1, "7": 7, "30": 30}
RESOLUTION_LABELS = {"raw": _("原始数据"), "minute": _("分钟均值"), "hour": _("小时均值"), "day": _("日均值")}


def _visible_counties(user) -> list[Region]:
    visible = visible_places(user)
    return [county for county in counties() if county.pk in visible.county_ids]


def _screen_context(request, county: Region | None) -> dict:
    """The large screen for a county, or for the city (county None); a county outside the scope answers 404."""
    city_region = city()
    place = county.pk if county else None
    if county is None and not visible_places(request.user).sees_region(None):
        signs = []  # a staff member with no scope sees the empty screen, not an error
    else:
        signs = signs_now(request.user, place)
    return {
        "county": county,
        "city": city_region,
        "signs": signs,
        "counties": _visible_counties(request.user),
        "device_types": devices.device_types(),
        "geojson_url": reverse("api:regions_map_layer"),
        "geojson_query": f"key={county.key}" if county else f"level=county&parent={city_region.key if city_region else ''}",
        "county_key": county.key if county else "",
        "alarms_url": reverse("api:ops_alarms"),
        "map_url": reverse("api:ops_map_devices"),
        "aqi_url": reverse("api:ops_sign_counties", args=["aqi"]),
    }


@staff_required
def home(request):
    visible = visible_places(request.user)
    county = None
    if not visible.city:
        own = _visible_counties(request.user)
        if own:
            county = own[0]
    return render(request, "operations/screen.html", _screen_context(request, county))


@staff_required
def county_screen(request, key):
    county = get_object_or_404(Region.objects.defer("boundary"), key=key, level__in=COUNTY_LEVELS)
    context = _screen_context(request, county)  # 404 when the county is outside the user's scope
    return render(request, "operations/screen.html", context)


@staff_required
def device_type(request, code):
    kind = devices.device_type(code)
    if kind is None:
        raise Http404
    now = timezone.now()
    visible = devices.visible_devices(request.user).filter(device_type=kind).select_related("region", "organisation")
    county_key = request.GET.get("county") or ""
    if county_key:
        county = get_object_or_404(Region.objects.defer("boundary"), key=county_key, level__in=COUNTY_LEVELS)
        visible = visible.filter(region__path__startswith=county.path)
    alarmed = set(Alarm.objects.filter(state__in=("active", "acknowledged"), subject_kind=devices.DEVICE_KIND,
                                       subject_id__in=visible.values("pk")).values_list("subject_id", flat=True))
    counts = devices.online_counts(visible, now)[0]
    listed = list(visible.defer("region__boundary").order_by("code")[:200])
    rows = [{"device": d, "status": "alarm" if d.pk in alarmed else "online" if devices.is_online(d, now) else "offline"}
            for d in listed]
    return render(request, "operations/device_type.html", {
        "kind": kind, "rows": rows, "total": visible.count(), "county_key": county_key,
        "online": counts["online"], "active": counts["total"],
        "alarmed": len(alarmed), "map_url": reverse("api:ops_map_devices"),
        "geojson_url": reverse("api:regions_map_layer"), "geojson_query": _city_query(),
    })


def _city_query() -> str:
    city_region = city()
    return f"level=county&parent={city_region.key if city_region else ''}"


def device_history(device, metrics, days: int) -> dict:
    end = timezone.now()
    start = end - timedelta(days=days)
    series = store.series_ids(device.pk, [metric.code for metric in metrics])
    latest = store.latest(series.values())
    charts = []
    for metric in metrics:
        result = store.query(series[metric.code], start, end, budget=HISTORY_BUDGET)
        charts.append({
            "code": metric.code, "name": metric.name, "unit": metric.unit, "resolution": result.resolution,
            "resolution_label": str(RESOLUTION_LABELS.get(result.resolution, result.resolution)),
            "latest": latest.get(series[metric.code]),
            "points": [[ts.isoformat(), avg, low, high] for ts, avg, low, high, _count in result.points],
        })
    return {"start": start, "end": end, "charts": charts}


@staff_required
def device(request, code):
    found = devices.device_in_scope(request.user, code)
    days = HISTORY_DAYS.get(request.GET.get("days", "1"), 1)
    metrics = list(found.device_type.metrics.all())
    now = timezone.now()
    alarms = (Alarm.objects.restrict(request.user, "view").filter(subject_kind=devices.DEVICE_KIND, subject_id=found.pk)
              .order_by("-raised_at")[:20])
    return render(request, "operations/device.html", {
        "device": found, "history": device_history(found, metrics, days), "days": days,
        "online": devices.is_online(found, now), "alarms": alarms,
        "feed": alarm_feed(request.user, subject_ids=[found.pk]),
    })
