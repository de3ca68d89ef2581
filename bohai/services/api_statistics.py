"""Statistics of the government-service office under /api/v1/services/statistics.

GET /summary                 the totals, the rating distribution and the rectifications
GET /breakdown?by=…          rows by department, county, month or item

Both take the dashboard's filters (start and end as YYYY-MM for whole months or YYYY-MM-DD;
county as a region key or division code; department as an organisation function; item as an item
code), need services.view_statistics and count within the caller's scope
(Application.objects.restrict(user, "view")). The definitions are in bohai/services/statistics.py;
rates are percentages, null when their denominator is 0. They are the dashboard's figures, read from the
monthly figures where those hold the months asked about; `as_of` says when the oldest of them were counted
(null: everything was counted at the request).
"""
from datetime import datetime

from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from . import statistics
from .models import ServiceItem
from .statistics import Filters

router = Router()


class FiltersIn(Schema):
    start: str | None = None
    end: str | None = None
    county: str | None = None
    department: str | None = None
    item: str | None = None


class FiltersOut(Schema):
    start: str | None
    end: str | None
    region: str | None
    department: str | None
    item: str | None


class MeasuresOut(Schema):
    submitted: int
    accepted: int
    completed: int
    rejected: int
    denied: int
    withdrawn: int
    in_progress: int
    overdue: int
    online: int
    online_rate: float | None
    on_time: int
    on_time_rate: float | None
    average_days: float | None
    reviews: int
    satisfied: int
    satisfaction: float | None
    mean_rating: float | None
    bad: int


class RatingOut(Schema):
    rating: int
    label: str
    count: int


class RectificationsOut(Schema):
    total: int
    open: int
    overdue: int
    answered: int
    closed: int
    on_time_rate: float | None


class SummaryOut(MeasuresOut):
    online_target: float
    ratings: list[RatingOut]
    rectifications: RectificationsOut
    filters: FiltersOut
    as_of: datetime | None


class RowOut(MeasuresOut):
    key: str
    label: str


class BreakdownOut(Schema):
    by: str
    filters: FiltersOut
    rows: list[RowOut]
    as_of: datetime | None


@router.get("/summary", response=SummaryOut, summary="政务服务统计：汇总")
def summary(request, filters: Query[FiltersIn]):
    wanted = _filters(request, filters)
    counted = statistics.counts(wanted, request.auth, timezone.now())
    return {**counted.summary().as_dict(), "filters": wanted.describe(), "as_of": counted.as_of}


@router.get("/breakdown", response=BreakdownOut, summary="政务服务统计：按部门、县（市、区）、月份或事项")
def breakdown(request, by: Literal["department", "county", "month", "item"], filters: Query[FiltersIn]):
    wanted = _filters(request, filters)
    counted = statistics.counts(wanted, request.auth, timezone.now(), rectifications=False)
    rows = statistics.rows_by(by, counted)
    return {"by": by, "filters": wanted.describe(), "rows": [row.as_dict() for row in rows], "as_of": counted.as_of}


def _filters(request, filters: FiltersIn) -> Filters:
    if not request.auth.has_perm("services.view_statistics"):
        raise PermissionDenied(_("没有查看政务服务统计的权限"))
    problems = {}
    try:
        start, end = statistics.parse_period(filters.start, filters.end)
    except ValueError as error:
        start = end = None
        problems["start"] = [str(error)]
    region = None
    try:
        region = statistics.find_region(filters.county)
    except LookupError:
        problems["county"] = [_("区划 %(value)s 不存在") % {"value": filters.county}]
    item = None
    if filters.item:
        item = ServiceItem.objects.filter(code=filters.item).first()
        if item is None:
            problems["item"] = [_("事项 %(code)s 不存在") % {"code": filters.item}]
    if problems:
        raise ValidationError(problems)
    return Filters(start=start, end=end, region=region, department=(filters.department or "").strip(), item=item)
