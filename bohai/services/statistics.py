"""The government-service office's figures (政务服务统计), counted by the database.

Which applications
    An application counts once it is submitted (`submitted_at` set; drafts never count). Every
    figure below is about the applications *submitted* in the period, whatever happened to them
    since: the period is a range of local dates (Asia/Shanghai) of `submitted_at`, the dashboard's
    months being whole months (2026-01 … 2026-03 = submitted from 1 January 00:00 to 31 March
    24:00 local time). The other filters: county (the handling region's subtree: a county takes
    its townships; the city takes everything), department (the item's implementing function,
    `ServiceItem.department`, e.g. "civil_affairs", which is the function of the handling unit)
    and item. A user sees only what `Application.objects.restrict(user, "view")` returns: a
    county officer their county, a department head their unit.

Volumes
    submitted        every application in the set
    accepted         `accepted_at` set: passed 受理 (whatever came after)
    completed        status completed (办结: approved and delivered)
    rejected         status rejected (不予受理)
    denied           status denied (不予许可)
    withdrawn        status withdrawn
    in progress      status submitted, supplement, in_review, approved or licensed
    overdue          in progress, not awaiting a supplement (the clock stands still then), and the
                     statutory limit `due_at` already past (`now`)

Rates: Decimal percentages (0–100, two decimals); None when the denominator is 0
    online handling rate (网上办理率)  handled_online / submitted × 100. `handled_online` is fixed
                     at submission: not at the window, for an item whose online depth is online
                     acceptance or fully online (standards.md). The plan's target: ≥ 90 %.
    on-time rate (按时办结率)  completed with `on_time` true / completed with `on_time` recorded × 100
    average working days    mean `working_days` of the completed applications (working days from
                     submission to completion, paused days excluded: services.actions _complete)

Satisfaction (好差评 of the applications in the set, whenever the review was given)
    reviews          reviews of those applications
    satisfaction     reviews rated 4 (满意) or 5 (非常满意) / reviews × 100
    mean rating      sum of ratings / reviews, 1–5, two decimals
    bad reviews      rated 1 or 2 (不满意, 非常不满意); each opens a rectification
    rectifications   open: status open; overdue: open and past its due date; answered: answered or
                     closed; on-time rate: on_time true / answered × 100 (from the monthly figures: as
                     of their count, at most five minutes ago)

How it is counted
    Conditional COUNT/SUM over the filtered rows, reviews by a LEFT JOIN of their one-to-one table
    (a count per rating, from which reviews, satisfied, bad and the rating total follow). Everything
    (the dashboard, its export, the API's summary and breakdowns) is built from `counts`: the measures
    summed by item, handling region and month of submission, and the rectifications' counts. For the
    whole months the monthly figures hold they are read from them (statistics_rollup: a few thousand
    rows counted ahead, at most five minutes old for recent months and rectifications), with overdue
    counted live from a partial index; the rest is one GROUP BY item, region and month (a CASE over the
    local month boundaries: the same SQL on SQLite and PostgreSQL) and one query of the rectifications.
    The groups are rolled up in Python to items, departments, counties, months and the totals. Every
    measure is a count or a sum, so rolling groups up is exact; rates are computed last.
    `counts_from_applications` counts everything from the rows: the reference the figures are tested
    against.
"""
import calendar
import operator
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, Count, DateTimeField, F, IntegerField, Max, Min, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThanOrEqual, In, LessThan
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.engines.workdays.periods import add_months, last_day, parse_period
from bohai.engines.workdays.clock import LOCAL_ZONE
from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import service_action
from bohai.kernel.organisations.models import Organisation
from bohai.kernel.regions.models import Level, Region

from .models import (CLOCK_RUNNING, Application, RectificationStatus, Rating, Rectification, ServiceItem, Status,
                     Unindexed)

ONLINE_TARGET = Decimal("90")
IN_PROGRESS = (Status.SUBMITTED, Status.SUPPLEMENT, Status.IN_REVIEW, Status.APPROVED, Status.LICENSED)
GROUPINGS = ("department", "county", "month", "item")
MAX_MONTHS = 120
TWO_PLACES = Decimal("0.01")
CITY_LEVEL_KEY = "_city"


# Filters ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """Which applications: submitted between `start` and `end` (local dates, both included),
    handled in `region`'s subtree, by `department` (organisation function), of `item`."""

    start: date | None = None
    end: date | None = None
    region: Region | None = None
    department: str = ""
    item: ServiceItem | None = None

    @classmethod
    def for_months(cls, first: date | None, last: date | None, **others) -> "Filters":
        """Whole months: from the first day of `first`'s month to the last day of `last`'s."""
        start = first.replace(day=1) if first else None
        end = last.replace(day=calendar.monthrange(last.year, last.month)[1]) if last else None
        return cls(start=start, end=end, **others)

    def condition(self, prefix: str = "", unindexed: bool = False) -> Q:
        """The filter as a condition on Application, or on a model reaching it through `prefix`
        ("application__" from Review); `unindexed`: no column an index could be walked by (`among`)."""
        condition = Q(**{f"{prefix}submitted_at__isnull": False})
        submitted = Unindexed(F(f"{prefix}submitted_at"), output_field=DateTimeField())
        if self.start:
            condition &= Q(GreaterThanOrEqual(submitted, local_midnight(self.start)))
        if self.end:
            condition &= Q(LessThan(submitted, local_midnight(self.end + timedelta(days=1))))
        return condition & self.place_condition(prefix, unindexed)

    def place_condition(self, prefix: str = "", unindexed: bool = False) -> Q:
        """Region, department and item as a condition on any model with `region` and `item` (the
        applications, the monthly figures)."""
        condition = Q()
        if self.region is not None:
            subtree = subtree_ids(Region, self.region.path)
            if subtree is not None:
                condition &= among(f"{prefix}region_id", subtree, unindexed)
        if self.department:
            items = list(ServiceItem.objects.filter(department=self.department).values_list("pk", flat=True))
            condition &= among(f"{prefix}item_id", items, unindexed)
        if self.item is not None:
            condition &= among(f"{prefix}item_id", [self.item.pk], unindexed)
        return condition

    def between(self, start: date, end: date) -> "Filters":
        """The same places, submitted from `start` to `end`."""
        return Filters(start=start, end=end, region=self.region, department=self.department, item=self.item)

    def describe(self) -> dict:
        return {"start": self.start.isoformat() if self.start else None, "end": self.end.isoformat() if self.end else None,
                "region": self.region.key if self.region else None, "department": self.department or None,
                "item": self.item.code if self.item else None}


def among(column: str, values: list, unindexed: bool = False) -> Q:
    """`column IN values`; with `unindexed`, written so that SQLite cannot walk an index on the column (for a
    query meant to read one particular index: statistics_rollup.overdue_query)."""
    if unindexed:
        return Q(In(Unindexed(F(column)), values))
    return Q(**{f"{column}__in": values})


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_ZONE)


def find_region(value) -> Region | None:
    """A Region from itself, its key or its division code; None for empty; LookupError when unknown."""
    if value is None or value == "" or isinstance(value, Region):
        return value or None
    regions = Region.objects.defer("boundary")
    found = regions.filter(key=str(value)).first() or regions.filter(code=str(value)).first()
    if found is None:
        raise LookupError(value)
    return found






# Scope -----------------------------------------------------------------------------------------

def applications(filters: Filters = Filters(), user=None, unindexed: bool = False) -> QuerySet:
    """The applications the figures count: within `user`'s view scope (all of them without a user).
    `unindexed`: the conditions leave SQLite no index to walk but the one the caller's own condition picks."""
    scope = scope_condition(user, "", unindexed)
    if scope is None:
        return Application.objects.none()
    return Application.objects.filter(scope, filters.condition(unindexed=unindexed)).order_by()


def scope_condition(user, prefix: str, unindexed: bool = False) -> Q | None:
    """The rows Application.objects.restrict(user, "view") keeps, as a condition on Application (or on a
    model reaching it through `prefix`); None when the user may see no application.

    The same rows as restrict()'s joins on the region's and unit's paths, written as lists of ids
    resolved first (the division tree and the units are small tables): the database then neither joins
    every application to its region nor misjudges how many rows a path prefix keeps (PostgreSQL guessed
    one region for the city's prefix and chose nested loops over a million rows). A scope over the
    whole division tree needs no condition at all."""
    if user is None:
        return Q()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return Q()
    scopes = user.scopes_for("services.view_application")
    if not scopes:
        return None
    clauses = []
    for region_path, organisation_path in scopes:
        regions = subtree_ids(Region, region_path)
        clause = Q() if regions is None else among(f"{prefix}region_id", regions, unindexed)
        if organisation_path:
            units = subtree_ids(Organisation, organisation_path)
            clause &= (Q(**{f"{prefix}organisation__isnull": False}) if units is None
                       else among(f"{prefix}organisation_id", units, unindexed))
        if not clause:
            return Q()  # one scope covers everything
        clauses.append(clause)
    condition = clauses[0]
    for clause in clauses[1:]:
        condition |= clause
    return condition


def subtree_ids(model, path: str) -> list[int] | None:
    """The ids of the rows at and below `path` (a materialised path); None when that is every row."""
    ids = list(model.objects.filter(path__startswith=path).values_list("pk", flat=True))
    return None if len(ids) == model.objects.count() else ids


def _related(model, filters: Filters, user, prefix: str) -> QuerySet:
    scope = scope_condition(user, prefix)
    if scope is None:
        return model.objects.none()
    return model.objects.filter(scope, filters.condition(prefix)).order_by()


# Measures --------------------------------------------------------------------------------------

@dataclass
class Measures:
    """Counts and sums of a set of applications; every field adds up across groups."""

    submitted: int = 0
    accepted: int = 0
    completed: int = 0
    rejected: int = 0
    denied: int = 0
    withdrawn: int = 0
    in_progress: int = 0
    overdue: int = 0
    online: int = 0
    timed: int = 0          # completed with on_time recorded
    on_time: int = 0
    days_counted: int = 0   # completed with working_days recorded
    days_total: int = 0
    rated_1: int = 0        # reviews by rating: 1 非常不满意 … 5 非常满意
    rated_2: int = 0
    rated_3: int = 0
    rated_4: int = 0
    rated_5: int = 0

    def __add__(self, other: "Measures") -> "Measures":
        return Measures(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    @classmethod
    def from_row(cls, row: dict) -> "Measures":
        return cls(**{f.name: row.get(f.name) or 0 for f in fields(cls)})

    @property
    def reviews(self) -> int:
        return self.rated_1 + self.rated_2 + self.rated_3 + self.rated_4 + self.rated_5

    @property
    def satisfied(self) -> int:
        return self.rated_4 + self.rated_5

    @property
    def bad(self) -> int:
        return self.rated_1 + self.rated_2

    @property
    def rating_total(self) -> int:
        return self.rated_1 + 2 * self.rated_2 + 3 * self.rated_3 + 4 * self.rated_4 + 5 * self.rated_5

    @property
    def rating_counts(self) -> dict[int, int]:
        return {value: getattr(self, f"rated_{value}") for value in Rating.values}

    @property
    def online_rate(self) -> Decimal | None:
        return percentage(self.online, self.submitted)

    @property
    def on_time_rate(self) -> Decimal | None:
        return percentage(self.on_time, self.timed)

    @property
    def average_days(self) -> Decimal | None:
        return ratio(self.days_total, self.days_counted)

    @property
    def satisfaction(self) -> Decimal | None:
        return percentage(self.satisfied, self.reviews)

    @property
    def mean_rating(self) -> Decimal | None:
        return ratio(self.rating_total, self.reviews)

    def as_dict(self) -> dict:
        return {**asdict(self), "reviews": self.reviews, "satisfied": self.satisfied, "bad": self.bad,
                "rating_total": self.rating_total, "online_rate": self.online_rate, "on_time_rate": self.on_time_rate,
                "average_days": self.average_days, "satisfaction": self.satisfaction, "mean_rating": self.mean_rating}


def ratio(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def percentage(part, whole) -> Decimal | None:
    return ratio(Decimal(part) * 100, whole)


def measure_expressions(now: datetime) -> dict:
    """The aggregates of Measures, for .aggregate() or .values(...).annotate()."""
    completed = Q(status=Status.COMPLETED)
    return {
        "submitted": Count("pk"),
        "accepted": Count("pk", filter=Q(accepted_at__isnull=False)),
        "completed": Count("pk", filter=completed),
        "rejected": Count("pk", filter=Q(status=Status.REJECTED)),
        "denied": Count("pk", filter=Q(status=Status.DENIED)),
        "withdrawn": Count("pk", filter=Q(status=Status.WITHDRAWN)),
        "in_progress": Count("pk", filter=Q(status__in=IN_PROGRESS)),
        "overdue": Count("pk", filter=Q(status__in=CLOCK_RUNNING, due_at__lt=now)),
        "online": Count("pk", filter=Q(handled_online=True)),
        "timed": Count("pk", filter=completed & Q(on_time__isnull=False)),
        "on_time": Count("pk", filter=completed & Q(on_time=True)),
        "days_counted": Count("pk", filter=completed & Q(working_days__isnull=False)),
        "days_total": Coalesce(Sum("working_days", filter=completed), 0),
        **{f"rated_{value}": Count("review", filter=Q(review__rating=value)) for value in Rating.values},
    }


MEASURE_FIELDS = tuple(f.name for f in fields(Measures))


# Groupings -------------------------------------------------------------------------------------

@dataclass
class Row:
    key: str
    label: str
    measures: Measures
    department: str = ""  # of an item row

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, **self.measures.as_dict()}


@dataclass
class Summary:
    measures: Measures
    rating_counts: dict[int, int] = field(default_factory=dict)  # 5 → count of 非常满意 …
    rectifications: dict[str, int | Decimal | None] = field(default_factory=dict)

    def as_dict(self) -> dict:
        ratings = [{"rating": value, "label": str(label), "count": self.rating_counts.get(value, 0)}
                   for value, label in sorted(Rating.choices, reverse=True)]
        return {**self.measures.as_dict(), "online_target": ONLINE_TARGET, "ratings": ratings,
                "rectifications": self.rectifications}


Sums = tuple[dict, dict, dict]  # item id, region id, month index → the measures in MEASURE_FIELDS order
RECTIFICATION_FIELDS = ("total", "open", "overdue", "answered", "closed", "answered_on_time")


@dataclass
class Counts:
    """What every view of the figures is built from: the measures summed by item id, region id and month index
    (of `months`), the rectifications' counts (RECTIFICATION_FIELDS) and when the oldest monthly figures used
    were counted (None: everything counted now)."""

    months: list[date]
    sums: Sums
    rectifications: dict[str, int]
    as_of: datetime | None = None

    @property
    def total(self) -> Measures:
        return sum((Measures(*values) for values in self.sums[0].values()), Measures())

    def summary(self) -> Summary:
        total = self.total
        return Summary(total, total.rating_counts, rectification_rates(self.rectifications))


def counts(filters: Filters = Filters(), user=None, now: datetime | None = None, *,
           rectifications: bool = True) -> Counts:
    """The counts from the monthly figures (statistics_rollup) for the whole months they hold and from the
    applications for the rest; equal to `counts_from_applications` while the figures are fresh.
    `rectifications=False` leaves the rectifications out (zeros) for a caller that does not show them."""
    from .statistics_rollup import coverage, summed_measures, summed_rectifications

    now = now or timezone.now()
    months = month_range(filters, user)
    if not months:
        return Counts([], ({}, {}, {}), dict.fromkeys(RECTIFICATION_FIELDS, 0))
    covered = coverage(filters, months)
    fixes = (summed_rectifications(filters, user, covered, now) if rectifications
             else dict.fromkeys(RECTIFICATION_FIELDS, 0))
    return Counts(months, summed_measures(filters, user, months, covered, now), fixes, covered.as_of)


def counts_from_applications(filters: Filters = Filters(), user=None, now: datetime | None = None) -> Counts:
    """One GROUP BY item, handling region and month of submission over the applications themselves (at
    most items × regions × months groups: a few thousand), and one count of the rectifications."""
    now = now or timezone.now()
    months = month_range(filters, user)
    sums = add_groups(grouped_applications(filters, user, months, now)) if months else ({}, {}, {})
    return Counts(months, sums, rectification_counts(filters, user, now))


def summary(filters: Filters = Filters(), user=None, now: datetime | None = None) -> Summary:
    """The totals (with the distribution of ratings) and the rectifications."""
    return counts(filters, user, now).summary()


def rectification_counts(filters: Filters = Filters(), user=None, now: datetime | None = None) -> dict[str, int]:
    """RECTIFICATION_FIELDS of the rectifications of the applications `filters` keeps, counted from the rows."""
    return rectifications(filters, user).aggregate(**rectification_expressions(now or timezone.now()))


def rectification_expressions(now: datetime) -> dict:
    """The aggregates of RECTIFICATION_FIELDS over rectifications, `overdue` as of `now`."""
    open_ = Q(status=RectificationStatus.OPEN)
    answered = Q(status__in=(RectificationStatus.ANSWERED, RectificationStatus.CLOSED))
    return {"total": Count("pk"), "open": Count("pk", filter=open_),
            "overdue": Count("pk", filter=open_ & Q(due_at__lt=now)), "answered": Count("pk", filter=answered),
            "closed": Count("pk", filter=Q(status=RectificationStatus.CLOSED)),
            "answered_on_time": Count("pk", filter=answered & Q(on_time=True))}


def rectifications(filters: Filters, user) -> QuerySet:
    """The rectifications of the applications `filters` keeps within `user`'s scope (the applications')."""
    return _related(Rectification, filters, user, "review__application__")


def rectification_rates(counted: dict[str, int]) -> dict:
    return {**counted, "on_time_rate": percentage(counted["answered_on_time"], counted["answered"])}


def breakdown(by: str, filters: Filters = Filters(), user=None, now: datetime | None = None) -> list[Row]:
    """Rows by department, county, month or item: departments and items by volume, largest first;
    counties in division-code order (the city's own level first); months in order."""
    if by not in GROUPINGS:
        raise ValueError(by)
    return rows_by(by, counts(filters, user, now, rectifications=False))


def rows_by(by: str, counted: Counts) -> list[Row]:
    """The rows of one grouping (GROUPINGS) of the counts."""
    by_item_id, by_region_id, by_month_index = _measures_by_key(counted.sums)
    if by == "month":
        return _month_rows(counted.months, by_month_index)
    if by == "county":
        return _county_rows(by_region_id)
    items = _item_rows(by_item_id)
    return items if by == "item" else by_department(items)


def by_department(item_rows: list[Row]) -> list[Row]:
    """Roll the item rows up to their departments (organisation functions)."""
    totals: dict[str, Measures] = {}
    for row in item_rows:
        totals[row.department] = totals.get(row.department, Measures()) + row.measures
    names = department_names(totals)
    rows = [Row(function, names.get(function, function), measures) for function, measures in totals.items()]
    return sorted(rows, key=lambda row: (-row.measures.submitted, row.key))


def department_names(functions) -> dict[str, str]:
    """Each function's name as the city's unit of that function is called (民政局 …)."""
    names = {}
    units = (Organisation.objects.filter(function__in=list(functions)).order_by("path")
             .values_list("function", "short_name", "name", "region__level"))
    for function, short_name, name, level in units:
        if function not in names or level == Level.CITY:
            names[function] = short_name or name
    return names


def county_key(region: Region, counties: dict[str, Region]) -> str:
    for key in region.path.strip("/").split("/"):
        if key in counties:
            return key
    return CITY_LEVEL_KEY


@dataclass
class Dashboard:
    """Everything the dashboard shows: the rows by item, department, county and month, and the totals.
    `as_of`: when the oldest monthly figures it used were counted (None: every figure counted now)."""

    items: list[Row]
    departments: list[Row]
    counties: list[Row]
    months: list[Row]
    summary: Summary
    as_of: datetime | None = None


def dashboard(filters: Filters = Filters(), user=None, now: datetime | None = None) -> Dashboard:
    """The dashboard from the monthly figures where they hold the months (`counts`)."""
    return _dashboard(counts(filters, user, now))


def dashboard_from_applications(filters: Filters = Filters(), user=None, now: datetime | None = None) -> Dashboard:
    """The dashboard counted from the applications and rectifications themselves: one pass over the rows
    rolled up in Python to each grouping."""
    return _dashboard(counts_from_applications(filters, user, now))


def grouped_applications(filters: Filters, user, months: list[date], now: datetime):
    """(item id, region id, month index, *MEASURE_FIELDS) per group of the applications `filters` keeps
    within `months`."""
    return (applications(_within(filters, months), user).annotate(month_index=_month_bucket(months))
            .values("item_id", "region_id", "month_index").annotate(**measure_expressions(now))
            .values_list("item_id", "region_id", "month_index", *MEASURE_FIELDS))


def add_groups(groups, sums: Sums | None = None) -> Sums:
    """Add (item id, region id, month index, *measures) groups into the sums by item, region and month."""
    sums = sums or ({}, {}, {})
    for row in groups:  # thousands of groups: add them up with C-level map()
        values = row[3:]
        for totals, key in zip(sums, row[:3]):
            add_to(totals, key, values)
    return sums


def add_to(totals: dict, key, values: tuple) -> None:
    found = totals.get(key)
    totals[key] = values if found is None else tuple(map(operator.add, found, values))


def _measures_by_key(sums: Sums) -> tuple[dict, dict, dict]:
    return tuple({key: Measures(*values) for key, values in totals.items()} for totals in sums)


def _dashboard(counted: Counts) -> Dashboard:
    by_item_id, by_region_id, by_month_index = _measures_by_key(counted.sums)
    items = _item_rows(by_item_id)
    return Dashboard(items=items, departments=by_department(items), counties=_county_rows(by_region_id),
                     months=_month_rows(counted.months, by_month_index), summary=counted.summary(),
                     as_of=counted.as_of)


def _within(filters: Filters, months: list[date]) -> Filters:
    """The filter with open ends closed at the months found."""
    return Filters(start=filters.start or months[0], end=filters.end or last_day(months[-1]), region=filters.region,
                   department=filters.department, item=filters.item)


def _month_bucket(months: list[date]) -> Case:
    """The index of the month (0 for the first) a submission falls in, by comparisons with the local
    month boundaries: the same SQL on SQLite and PostgreSQL, no time-zone function per row."""
    boundaries = [local_midnight(add_months(months[0], n + 1)) for n in range(len(months))]
    return Case(*[When(submitted_at__lt=moment, then=Value(n)) for n, moment in enumerate(boundaries)],
                default=Value(-1), output_field=IntegerField())


def _month_rows(months: list[date], counted: dict[int, Measures]) -> list[Row]:
    return [Row(f"{month:%Y-%m}", f"{month.year}年{month.month}月", counted.get(n, Measures()))
            for n, month in enumerate(months)]


def _item_rows(counted: dict[int, Measures]) -> list[Row]:
    items = ServiceItem.objects.filter(pk__in=counted).only("code", "name", "department")
    rows = [Row(item.code, item.name, counted[item.pk], item.department) for item in items]
    return sorted(rows, key=lambda row: (-row.measures.submitted, row.key))


def _county_rows(counted: dict[int, Measures]) -> list[Row]:
    regions = {r.pk: r for r in Region.objects.filter(pk__in=counted).defer("boundary")}
    counties = {r.key: r for r in Region.objects.filter(level__in=(Level.COUNTY, Level.ZONE)).defer("boundary")}
    totals: dict[str, Measures] = {}
    for region_id, measures in counted.items():
        key = county_key(regions[region_id], counties)
        totals[key] = totals.get(key, Measures()) + measures
    rows = [Row(key, _("市本级") if key == CITY_LEVEL_KEY else counties[key].name, measures)
            for key, measures in totals.items()]
    return sorted(rows, key=lambda row: "" if row.key == CITY_LEVEL_KEY else (counties[row.key].code or "~" + row.key))


def month_range(filters: Filters, user=None) -> list[date]:
    """The first days of the months the filter spans; without dates, those the data spans."""
    start, end = filters.start, filters.end
    if start is None or end is None:
        span = applications(Filters(region=filters.region, department=filters.department, item=filters.item), user)
        bounds = span.aggregate(first=Min("submitted_at"), last=Max("submitted_at"))
        if bounds["first"] is None:
            return []
        start = start or timezone.localtime(bounds["first"], LOCAL_ZONE).date()
        end = end or timezone.localtime(bounds["last"], LOCAL_ZONE).date()
    month, months = start.replace(day=1), []
    while month <= end and len(months) < MAX_MONTHS:
        months.append(month)
        month = add_months(month, 1)
    return months






def last_months(count: int = 12, today: date | None = None) -> tuple[date, date]:
    """The first day of the month `count - 1` months back and the last day of this month."""
    today = today or timezone.localdate()
    this_month = today.replace(day=1)
    return add_months(this_month, 1 - count), last_day(this_month)


# Export ------------------------------------------------------------------------------------------

TABLE_COLUMNS = (
    ("submitted", "申请量"), ("accepted", "受理"), ("completed", "办结"), ("rejected", "不予受理"), ("denied", "不予许可"),
    ("withdrawn", "撤回"), ("in_progress", "在办"), ("overdue", "超期在办"), ("online_rate", "网上办理率（%）"),
    ("on_time_rate", "按时办结率（%）"), ("average_days", "平均用时（工作日）"), ("reviews", "评价数"),
    ("satisfaction", "满意率（%）"), ("mean_rating", "平均评分"), ("bad", "差评"),
)


@service_action
def export_workbook(filters: Filters, *, actor, now: datetime | None = None) -> bytes:
    """The dashboard's tables as an XLSX (按部门, 按事项, 按区县, 按月份) within the actor's scope; audited."""
    import io

    import openpyxl
    from openpyxl.styles import Font

    board = dashboard(filters, actor, now or timezone.now())
    items = board.items
    sheets = (
        ("按部门", ("部门", "职能标识"), [(row.label, row.key, row.measures) for row in board.departments]),
        ("按事项", ("事项名称", "事项编码", "部门职能"), [(row.label, row.key, row.department, row.measures) for row in items]),
        ("按区县", ("区县", "区划代码"), [(row.label, "" if row.key == CITY_LEVEL_KEY else row.key, row.measures)
                                        for row in board.counties]),
        ("按月份", ("月份",), [(row.key, row.measures) for row in board.months]),
    )
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, headings, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append([*headings, *(label for _key, label in TABLE_COLUMNS)])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for *labels, measures in rows:
            sheet.append([*labels, *_cells(measures)])
        if title != "按月份":
            total = sum((measures for *_labels, measures in rows), Measures())
            sheet.append(["合计", *[""] * (len(headings) - 1), *_cells(total)])
        sheet.freeze_panes = "A2"
        sheet.column_dimensions["A"].width = 28
    buffer = io.BytesIO()
    book.save(buffer)
    record(actor=actor, action="services.statistics.export", target_type="services.application",
           after={"filters": filters.describe(), "items": len(items)})
    return buffer.getvalue()


def _cells(measures: Measures) -> list:
    values = measures.as_dict()
    return [float(values[key]) if isinstance(values[key], Decimal) else values[key] for key, _label in TABLE_COLUMNS]


# For the planning system -----------------------------------------------------------------------

def online_handling_rate(start=None, end=None, region=None) -> Decimal | None:
    """网上办理率 in percent (e.g. Decimal("91.25")) of the applications submitted from `start` to `end`
    (dates, both included; open ends allowed) handled in `region` (a Region, key or code; the whole
    platform when None). None when nothing was submitted. The plan's target: ≥ 90."""
    figures = applications(Filters(start=start, end=end, region=find_region(region))).aggregate(
        submitted=Count("pk"), online=Count("pk", filter=Q(handled_online=True)))
    return percentage(figures["online"], figures["submitted"])


def on_time_rate(start=None, end=None, region=None) -> Decimal | None:
    """按时办结率 in percent of the completed applications among those submitted from `start` to `end`
    in `region`; None when none is completed."""
    figures = applications(Filters(start=start, end=end, region=find_region(region))).aggregate(
        timed=Count("pk", filter=Q(status=Status.COMPLETED, on_time__isnull=False)),
        on_time=Count("pk", filter=Q(status=Status.COMPLETED, on_time=True)))
    return percentage(figures["on_time"], figures["timed"])
