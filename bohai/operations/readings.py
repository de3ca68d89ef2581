"""Reading the vital signs for pages and the API, within the places the user may see."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Max, Q
from django.http import Http404
from django.utils import timezone

from .models import SignReading, VitalSign
from .places import Visible, counties, visible_places

PERIODS = {"24h": timedelta(hours=24), "30d": timedelta(days=30)}


@dataclass
class SignNow:
    sign: VitalSign
    at: datetime | None = None
    value: float | None = None
    grade: str = ""
    detail: dict = field(default_factory=dict)
    trend: list = field(default_factory=list)  # [(at, value)] over the last 24 h


def check_place(user, region_id: int | None) -> Visible:
    visible = visible_places(user)
    if not visible.sees_region(region_id):
        raise Http404
    return visible


def signs_now(user, region_id: int | None) -> list[SignNow]:
    """Every sign's latest value for the city (None) or a county, with its 24 h trend; 404 outside scope."""
    check_place(user, region_id)
    rows = SignReading.objects.filter(region_id=region_id, organisation__isnull=True)
    latest_at = rows.aggregate(at=Max("at"))["at"]
    signs = {sign.pk: SignNow(sign) for sign in VitalSign.objects.all()}
    if latest_at is None:
        return list(signs.values())
    for reading in rows.filter(at=latest_at):
        now = signs.get(reading.sign_id)
        if now:
            now.at, now.value, now.grade, now.detail = reading.at, reading.value, reading.grade, reading.detail
    since = timezone.now() - PERIODS["24h"]
    for sign_id, at, value in rows.filter(at__gte=since).order_by("at").values_list("sign_id", "at", "value"):
        if sign_id in signs:
            signs[sign_id].trend.append((at, value))
    return list(signs.values())


def history(user, code: str, region_id: int | None, period: str = "24h") -> list[tuple[datetime, float | None]]:
    """One sign's values over the last 24 h (every computation) or 30 days (on the hour)."""
    check_place(user, region_id)
    rows = SignReading.objects.filter(sign__code=code, region_id=region_id, organisation__isnull=True,
                                      at__gte=timezone.now() - PERIODS[period])
    if period == "30d":
        rows = rows.filter(at__minute=0)
    return list(rows.order_by("at").values_list("at", "value"))


def by_county(user, code: str) -> list[dict]:
    """The latest value of one sign in each county the user may see (for the map)."""
    visible = visible_places(user)
    rows = SignReading.objects.filter(sign__code=code, organisation__isnull=True, region__isnull=False,
                                      region_id__in=visible.county_ids)
    latest_at = rows.aggregate(at=Max("at"))["at"]
    names = {county.pk: county for county in counties()}
    return [{"key": names[r.region_id].key, "name": names[r.region_id].name, "value": r.value, "grade": r.grade,
             "detail": r.detail, "at": r.at}
            for r in rows.filter(at=latest_at).order_by("region__path") if r.region_id in names]


def by_department(user, code: str) -> list[dict]:
    """The latest value of one sign per owning department the user may see, lowest first."""
    visible = visible_places(user)
    rows = SignReading.objects.filter(sign__code=code, organisation__isnull=False)
    if not visible.everything:
        if visible.organisation_paths:
            within = Q()
            for path in visible.organisation_paths:
                within |= Q(organisation__path__startswith=path)
            rows = rows.filter(within)
        elif not visible.city:
            rows = rows.filter(organisation__region_id__in=visible.county_ids)
    latest_at = rows.aggregate(at=Max("at"))["at"]
    found = [{"organisation": r.organisation.name, "organisation_id": r.organisation_id, "value": r.value,
              "detail": r.detail, "at": r.at}
             for r in rows.filter(at=latest_at).select_related("organisation")]
    return sorted(found, key=lambda row: (row["value"] is None, row["value"] or 0, row["organisation"]))

