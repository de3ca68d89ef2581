"""Indicators and rankings under /api/v1/cases/indicators.

GET /summary                        the eight indicators and their counts, beside the observed city figures
GET /rankings?by=…&indicator=…      rows by department, unit, township or county with their rank (ties
                                    share one; `minimum` leaves rates over fewer cases unranked)
GET /trend                          rows per month
GET /hotspots                       cases per grid, per township (where grids are missing) and per county

All take the same filters: start and end (YYYY-MM for whole months, or YYYY-MM-DD), county (a region
key or division code: a county, functional zone, township or grid), organisation (a unit key, or a
function such as urban_management for that department in every county) and track (city or hotline).
They need cases.view_indicators and count within the caller's scope. Definitions: bohai/cases/indicators.py;
rates are percentages, null when their denominator is 0.
"""
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from . import indicators
from .indicators import Filters
from .models import Track

router = Router()
Indicator = Literal["filing_rate", "dispatch_accuracy", "on_time_handling_rate", "closure_rate", "on_time_closure_rate",
                    "rework_rate", "satisfaction_rate", "average_handling_days"]


class FiltersIn(Schema):
    start: str | None = None
    end: str | None = None
    county: str | None = None
    organisation: str | None = None
    track: Literal["", "city", "hotline"] | None = None


class FiltersOut(Schema):
    start: str | None
    end: str | None
    region: str | None
    organisation: str | None
    department: str | None
    track: str | None


class MeasuresOut(Schema):
    reported: int
    city_reported: int
    filed: int
    refused: int
    merged: int
    awaiting_filing: int
    dispatch_judged: int
    dispatch_correct: int
    handled: int
    handled_on_time: int
    verified: int
    reworked: int
    followed_up: int
    satisfied: int
    basically: int
    dissatisfied: int
    handling_cases: int
    handling_days: int
    open: int
    overdue: int
    deferred: int
    closed: int
    due: int
    due_deferred: int
    due_closed: int
    due_closed_on_time: int
    filing_rate: float | None
    dispatch_accuracy: float | None
    on_time_handling_rate: float | None
    closure_rate: float | None
    on_time_closure_rate: float | None
    rework_rate: float | None
    satisfaction_rate: float | None
    average_handling_days: float | None


class RangeOut(Schema):
    low: float
    high: float


class ReferenceOut(Schema):
    on_time_closure_rate: RangeOut
    closure_rate: RangeOut
    rework_rate: RangeOut


class SummaryOut(MeasuresOut):
    reference: ReferenceOut
    filters: FiltersOut


class RowOut(MeasuresOut):
    key: str
    label: str
    parent: str
    rank: int | None


class RankingOut(Schema):
    by: str
    indicator: str
    minimum: int
    filters: FiltersOut
    rows: list[RowOut]


class TrendOut(Schema):
    filters: FiltersOut
    rows: list[RowOut]


class PlaceOut(Schema):
    key: str
    code: str | None
    name: str
    lng: float | None
    lat: float | None
    count: int


class CountyPlaceOut(PlaceOut):
    population: int | None
    per_10k: float | None


class HotspotsOut(Schema):
    filters: FiltersOut
    counties: list[CountyPlaceOut]
    townships: list[PlaceOut]
    grids: list[PlaceOut]


@router.get("/summary", response=SummaryOut, summary="网格与12345指标：汇总")
def summary(request, filters: Query[FiltersIn]):
    wanted = _filters(request, filters)
    figures = indicators.summary(wanted, request.auth, timezone.now())
    reference = {name: {"low": low, "high": high} for name, (low, high) in indicators.REFERENCE.items()}
    return {**figures.as_dict(), "reference": reference, "filters": wanted.describe()}


@router.get("/rankings", response=RankingOut, summary="网格与12345指标：按部门、处置单位、乡镇（街道）或县（市、区）排名")
def rankings(request, by: Literal["department", "unit", "township", "county"], filters: Query[FiltersIn],
             indicator: Indicator = "on_time_closure_rate", minimum: int = 0):
    """`minimum`: rows whose rate is a share of fewer cases are listed last, unranked (the dashboard uses 10)."""
    wanted = _filters(request, filters)
    rows = indicators.rankings(by, wanted, request.auth, timezone.now(), indicator=indicator, minimum=max(0, minimum))
    return {"by": by, "indicator": indicator, "minimum": max(0, minimum), "filters": wanted.describe(),
            "rows": [row.as_dict() for row in rows]}


@router.get("/trend", response=TrendOut, summary="网格与12345指标：月度趋势")
def trend(request, filters: Query[FiltersIn]):
    wanted = _filters(request, filters)
    rows = indicators.trend(wanted, request.auth, timezone.now())
    return {"filters": wanted.describe(), "rows": [row.as_dict() for row in rows]}


@router.get("/hotspots", response=HotspotsOut, summary="网格与12345指标：热点（网格、乡镇、县）")
def hotspots(request, filters: Query[FiltersIn]):
    wanted = _filters(request, filters)
    return {"filters": wanted.describe(), **indicators.hotspots(wanted, request.auth, timezone.now())}


def _filters(request, filters: FiltersIn) -> Filters:
    if not request.auth.has_perm(indicators.PERMISSION):
        raise PermissionDenied(_("没有查看网格与诉求指标的权限"))
    problems = {}
    try:
        start, end = indicators.parse_period(filters.start, filters.end)
    except ValueError as error:
        start = end = None
        problems["start"] = [str(error)]
    region = None
    try:
        region = indicators.find_region(filters.county)
    except LookupError:
        problems["county"] = [_("区划 %(value)s 不存在") % {"value": filters.county}]
    unit, function = None, ""
    try:
        unit, function = indicators.find_organisation(filters.organisation)
    except LookupError:
        problems["organisation"] = [_("机构或职能 %(value)s 不存在") % {"value": filters.organisation}]
    if problems:
        raise ValidationError(problems)
    track = filters.track if filters.track in Track.values else ""
    return Filters(start=start, end=end, region=region, organisation=unit, department=function, track=track)
