"""Indicators of grid-based city management (数字城管) and the 12345 hotline, counted by the database.

Which cases
    Two sets (cohorts) of cases, both within the filters below:
      R  reported in the period: `reported_at` from the first day 00:00 to the last day 24:00, local time
         (Asia/Shanghai); the dashboard's months are whole months. Everything except the closure rates
         is counted over R, whatever happened to the cases since (as the services statistics do).
      D  due in the period: the handling deadline `due_at` fell in the period and has passed (`due_at` <
         now), the reference standard's "due" (GB/T 30428 practice, standards.md). Only the two closure
         rates are counted over D.
    Filters: region (the place's subtree: a county takes its townships and grids; the city takes
    everything), organisation (the handling unit's subtree) or department (the handling unit's
    function, e.g. "urban_management", in every county), track (city = 数字城管, hotline = 12345).
    A user sees the cases of their `cases.view_indicators` assignments: the assignment's region
    subtree, narrowed to its unit when it has one (a department head sees their unit's cases).

Counts (over R unless marked D)
    reported          every case of R
    city_reported     track city (数字城管: only these are filed; a 12345 appeal is accepted at intake)
    filed             track city, `filed_at` set (立案)
    refused           track city, status invalid (不予立案)
    merged            track city, status merged (a duplicate merged into an earlier case)
    awaiting_filing   track city, status reported (the supervision centre has not decided yet)
    dispatch_judged   dispatched (`dispatch_count` ≥ 1) and the first dispatch judged: the unit signed
                      for it or sent it back (`first_dispatch_correct` set), or, on the 12345 track,
                      which has no signing, answered (`handled_at` set)
    dispatch_correct  of those, first dispatch right: `first_dispatch_correct` true, or (12345) not
                      set, never sent back (`sendback_count` 0) and answered
    handled           `handled_at` and `due_at` set (处置反馈 or, 12345, the reply)
    handled_on_time   of those, `handled_at` ≤ `due_at` (the last report of handling, after any rework)
    verified          `verified_count` ≥ 1 (a grid worker checked on site at least once)
    reworked          of those, `rework_count` ≥ 1 (failed verification at least once)
    followed_up       `satisfaction` recorded (the 12345 follow-up call)
    satisfied / basically / dissatisfied   by the answer
    handling_cases    handled, with a start: `signed_at`, or on the 12345 track `dispatched_at`
    handling_days     Σ working days from start to `handled_at` (the clock's rule: working days d
                      with start date < d ≤ handled date, local dates; WorkingCalendar.elapsed_days)
    open              status reported, filed, dispatched, handling, handled, accepted or replied
    overdue           status dispatched or handling and `due_at` < now
    deferred          status deferred (挂账, now)
    closed            status closed
    due         (D)   every case of D
    due_deferred (D)  status deferred (挂账: taken out of the closure rates)
    due_closed   (D)  status closed
    due_closed_on_time (D)  status closed and `on_time` (handled by its deadline, set at closure)

Rates: Decimal percentages (0–100, two decimals); None when the denominator is 0
    立案率     filing_rate            = filed / (city_reported − merged − awaiting_filing) × 100
               A duplicate is the same problem already filed, so it is no refusal: merged cases
               leave the denominator, as do those not yet decided.
    派遣准确率 dispatch_accuracy      = dispatch_correct / dispatch_judged × 100
    按期处置率 on_time_handling_rate  = handled_on_time / handled × 100
    结案率     closure_rate           = due_closed / (due − due_deferred) × 100            (D)
    按期结案率 on_time_closure_rate   = due_closed_on_time / (due − due_deferred) × 100    (D)
    返工率     rework_rate            = reworked / verified × 100
    满意率     satisfaction_rate      = (satisfied + basically) / followed_up × 100
    平均处置用时 average_handling_days = handling_days / handling_cases (working days, two decimals)
    Observed city figures (standards.md): on-time closure 74–76 %, closure 85–94 %, rework 0.11 %.

Groupings
    department (the handling unit's function: 城管 of every county together), unit (each handling
    unit), township, county (counties and functional zones; cases placed at the city itself are
    "市本级"), month (of `reported_at` for R, of `due_at` for D). Rankings sort by an indicator
    (best first: highest rate, lowest rework rate and handling time) and give equal values the same
    rank (1, 2, 2, 4); rows without a value come last, unranked.

Hot spots: cases of R per grid (where the point lies in a grid: the demo grid layer covers 运河区
    and 新华区), per township for cases located to a township but no grid, per county for the rest.

How it is counted
    One aggregate query, one pass over the cases in R or D. Each row is described by a packed integer:
    its county, township and unit, its month in R and in D (-1 when outside), and 16 bits of flags (its
    status, its 12345 answer and ten conditions such as "handled by its deadline"); the query returns the
    number of cases and their working days per distinct key (about 90,000 keys for a million cases). In
    Python the keys are unpacked (numpy) and every count above is a sum over the groups whose flags say
    so, placed in R's month and D's; the summary, the rankings and the trend are rolled up from these
    cells and the rates computed last. SQLite sorts one integer several times faster than five columns,
    and one COUNT replaces twenty conditional sums. Places and units are matched by the case's own
    `county`, `township`, `grid` and `organisation` columns, not through joins; the period's moments are
    compared with the raw timestamps (no date arithmetic per row) and, on SQLite, kept off the
    reported_at index (a period holds most rows: reading the table beats fetching each row by rowid).
    Working days are computed per row in SQL: a local day number d (Asia/Shanghai has had no summer
    time since 1991, so SQLite adds a fixed 8 hours; PostgreSQL converts AT TIME ZONE), the Monday–
    Friday count C(d) by arithmetic, plus the calendar's exceptions A(d) (holidays on weekdays −1,
    weekend days worked +1, summed up to d) as a binary tree of CASE over the exception dates, so
    W(d) = C(d) + A(d) is the number of working days up to d and the days between two dates are
    W(handled) − W(start). The day numbers are computed once per row in a subquery that the planner
    keeps apart (SQLite: LIMIT -1; PostgreSQL: OFFSET 0) so the CASE trees read a column. Hot spots per
    grid are one more grouped query, read from the (grid, reported_at) index alone. Measured over a million
    cases: benchmarks/README.md.

    Settled cases (closed, refused, merged) of months that have not changed since they were last counted
    come from a monthly rollup (bohai/cases/rollup.py, refreshed every five minutes by the job
    cases.refresh_rollup): the pass above then reads only the others, and the rollup's sums per cell are
    added to its cells; the figures are the same to the case (tests/test_indicators_rollup.py). Periods
    shorter than SHORT_PERIOD_DAYS are read through the reported_at and due_at indexes.
"""
import io
import re
import sqlite3
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.db.models import BigIntegerField, Count, DateTimeField, F, Func, IntegerField, Max, Min, Q
from django.db.models.expressions import RawSQL
from django.db.models.lookups import GreaterThanOrEqual, LessThan
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bohai.engines.workdays.periods import add_months, last_day, parse_period
from bohai.engines.workdays.clock import LOCAL_ZONE, working_calendar
from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import service_action
from bohai.kernel.organisations.models import Organisation
from bohai.kernel.regions.models import Level, Region

from .models import Case, Satisfaction, Status

PERMISSION = "cases.view_indicators"
MINIMUM_RANKED = 10  # the dashboard and its export rank only rates over at least this many cases
TWO_PLACES = Decimal("0.01")
MAX_MONTHS = 120
CITY_LEVEL_KEY = "_city"
NO_UNIT_KEY = "_none"
EPOCH = date(1970, 1, 1)
GROUPINGS = ("department", "unit", "township", "county", "month")
# Observed city figures (standards.md, "Grid-based city management"): (low, high) in percent.
REFERENCE = {
    "on_time_closure_rate": (Decimal("74"), Decimal("76")),
    "closure_rate": (Decimal("85"), Decimal("94")),
    "rework_rate": (Decimal("0.11"), Decimal("0.11")),
}
RATE_NAMES = {
    "filing_rate": gettext_lazy("立案率"), "dispatch_accuracy": gettext_lazy("派遣准确率"),
    "on_time_handling_rate": gettext_lazy("按期处置率"), "closure_rate": gettext_lazy("结案率"),
    "on_time_closure_rate": gettext_lazy("按期结案率"), "rework_rate": gettext_lazy("返工率"),
    "satisfaction_rate": gettext_lazy("满意率"), "average_handling_days": gettext_lazy("平均处置用时（工作日）"),
}
LOWER_IS_BETTER = {"rework_rate", "average_handling_days"}
OPEN = (Status.REPORTED, Status.FILED, Status.DISPATCHED, Status.HANDLING, Status.HANDLED, Status.ACCEPTED,
        Status.REPLIED)
CLOCK_RUNNING = (Status.DISPATCHED, Status.HANDLING)


# Filters ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """Which cases: reported (or due) from `start` to `end` (local dates, both included), placed in
    `region`'s subtree, handled by `organisation`'s subtree or by units of the `department` function,
    on `track`."""

    start: date | None = None
    end: date | None = None
    region: Region | None = None
    organisation: Organisation | None = None
    department: str = ""
    track: str = ""

    @classmethod
    def for_months(cls, first: date | None, last: date | None, **others) -> "Filters":
        start = first.replace(day=1) if first else None
        end = last_day(last) if last else None
        return cls(start=start, end=end, **others)

    def condition(self, cohort: str, now: datetime) -> Q:
        """The filter on Case for cohort "R" (reported in the period) or "D" (due in it, and past)."""
        column = "reported_at" if cohort == "R" else "due_at"
        condition = self.common()
        if self.start:
            condition &= Q(**{f"{column}__gte": local_midnight(self.start)})
        upper = local_midnight(self.end + timedelta(days=1)) if self.end else None
        if cohort == "D":
            upper = now if upper is None else min(upper, now)
        if upper is not None:
            condition &= Q(**{f"{column}__lt": upper})
        return condition

    def common(self) -> Q:
        """Everything but the period: track, place, unit or department."""
        condition = Q()
        if self.track:
            condition &= Q(track=self.track)
        if self.region is not None:
            condition &= place_condition(self.region)
        if self.organisation is not None:
            condition &= unit_condition(self.organisation.path)
        if self.department:
            condition &= Q(organisation_id__in=list(Organisation.objects.filter(function=self.department)
                                                    .values_list("pk", flat=True)))
        return condition

    def describe(self) -> dict:
        return {"start": self.start.isoformat() if self.start else None, "end": self.end.isoformat() if self.end else None,
                "region": self.region.key if self.region else None,
                "organisation": self.organisation.key if self.organisation else None,
                "department": self.department or None, "track": self.track or None}


def place_condition(region: Region) -> Q:
    """Cases placed in the region's subtree, by the case's own place columns (no join)."""
    if region.parent_id is None:
        return Q()  # the city: every case lies in it
    if region.level in (Level.COUNTY, Level.ZONE):
        return Q(county_id=region.pk)
    if region.level == Level.TOWNSHIP:
        return Q(township_id=region.pk)
    if region.level == Level.GRID:
        return Q(grid_id=region.pk)
    return Q(region__path__startswith=region.path)


def unit_condition(organisation_path: str) -> Q:
    units = list(Organisation.objects.filter(path__startswith=organisation_path).values_list("pk", flat=True))
    return Q(organisation_id__in=units)


def scope_condition(user) -> Q | None:
    """What the user may count: the places (and units) of their `cases.view_indicators`
    assignments; Q() for everything (no user, a superuser); None for nothing."""
    if user is None:
        return Q()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return Q()
    scopes = user.scopes_for(PERMISSION)
    regions = {r.path: r for r in Region.objects.filter(path__in=[path for path, _unit in scopes]).defer("boundary")}
    condition = None
    for region_path, organisation_path in scopes:
        region = regions.get(region_path)
        if region is None:
            continue
        clause = place_condition(region)
        if organisation_path:
            clause &= unit_condition(organisation_path)
        condition = clause if condition is None else condition | clause
    return condition


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_ZONE)






def last_months(count: int = 13, today: date | None = None) -> tuple[date, date]:
    """The first day of the month `count - 1` months back and the last day of this month."""
    today = today or timezone.localdate()
    this_month = today.replace(day=1)
    return add_months(this_month, 1 - count), last_day(this_month)






def find_region(value) -> Region | None:
    """A Region from itself, its key or its division code; None for empty; LookupError when unknown."""
    if value is None or value == "" or isinstance(value, Region):
        return value or None
    regions = Region.objects.defer("boundary")
    found = regions.filter(key=str(value)).first() or regions.filter(code=str(value)).first()
    if found is None:
        raise LookupError(value)
    return found


def find_organisation(value) -> tuple[Organisation | None, str]:
    """(unit, "") from an Organisation or its key; (None, function) from a function name
    ("urban_management": that department in every county); LookupError when neither."""
    if value is None or value == "":
        return None, ""
    if isinstance(value, Organisation):
        return value, ""
    unit = Organisation.objects.filter(key=str(value)).first()
    if unit is not None:
        return unit, ""
    if Organisation.objects.filter(function=str(value)).exists():
        return None, str(value)
    raise LookupError(value)


# Measures --------------------------------------------------------------------------------------

@dataclass
class Measures:
    """Counts and sums of a set of cases; every field adds up across groups."""

    reported: int = 0
    city_reported: int = 0
    filed: int = 0
    refused: int = 0
    merged: int = 0
    awaiting_filing: int = 0
    dispatch_judged: int = 0
    dispatch_correct: int = 0
    handled: int = 0
    handled_on_time: int = 0
    verified: int = 0
    reworked: int = 0
    followed_up: int = 0
    satisfied: int = 0
    basically: int = 0
    dissatisfied: int = 0
    handling_cases: int = 0
    handling_days: int = 0
    open: int = 0
    overdue: int = 0
    deferred: int = 0
    closed: int = 0
    due: int = 0
    due_deferred: int = 0
    due_closed: int = 0
    due_closed_on_time: int = 0

    def __add__(self, other: "Measures") -> "Measures":
        return Measures(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    @classmethod
    def from_row(cls, row: dict) -> "Measures":
        return cls(**{f.name: int(row.get(f.name) or 0) for f in fields(cls)})

    @property
    def filing_rate(self) -> Decimal | None:
        return percentage(self.filed, self.city_reported - self.merged - self.awaiting_filing)

    @property
    def dispatch_accuracy(self) -> Decimal | None:
        return percentage(self.dispatch_correct, self.dispatch_judged)

    @property
    def on_time_handling_rate(self) -> Decimal | None:
        return percentage(self.handled_on_time, self.handled)

    @property
    def closure_rate(self) -> Decimal | None:
        return percentage(self.due_closed, self.due - self.due_deferred)

    @property
    def on_time_closure_rate(self) -> Decimal | None:
        return percentage(self.due_closed_on_time, self.due - self.due_deferred)

    @property
    def rework_rate(self) -> Decimal | None:
        return percentage(self.reworked, self.verified)

    @property
    def satisfaction_rate(self) -> Decimal | None:
        return percentage(self.satisfied + self.basically, self.followed_up)

    @property
    def average_handling_days(self) -> Decimal | None:
        return ratio(self.handling_days, self.handling_cases)

    def rates(self) -> dict[str, Decimal | None]:
        return {name: getattr(self, name) for name in RATE_NAMES}

    def as_dict(self) -> dict:
        return {**asdict(self), **self.rates()}


def ratio(numerator, denominator) -> Decimal | None:
    if not denominator or denominator <= 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def percentage(part, whole) -> Decimal | None:
    return ratio(Decimal(part) * 100, whole)


# Day numbers and working days in SQL ------------------------------------------------------------

class LocalDay(Func):
    """The local (Asia/Shanghai) date of a timestamp as days since 1970-01-01; NULL stays NULL."""

    output_field = IntegerField()
    arity = 1

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        offset = int(timezone.now().astimezone(LOCAL_ZONE).utcoffset().total_seconds())
        # unixepoch() since SQLite 3.38; strftime('%s') before (its % doubled for the driver's %s).
        seconds = f"unixepoch({sql})" if sqlite3.sqlite_version_info >= (3, 38) else f"CAST(strftime('%%s', {sql}) AS INTEGER)"
        return f"(({seconds} + {offset}) / 86400)", params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"((({sql}) AT TIME ZONE '{LOCAL_ZONE.key}')::date - DATE '1970-01-01')", params

    def as_sql(self, compiler, connection, **extra):
        raise NotImplementedError(f"LocalDay is written for SQLite and PostgreSQL, not {connection.vendor}")


def day_number(day: date) -> int:
    return (day - EPOCH).days


def step_sql(column: str, steps: list[tuple[int, int]], below: int) -> str:
    """SQL for the step function f(column) = value of the last (start, value) with start ≤ column,
    `below` before the first: a balanced tree of CASE, so each row makes log2(len(steps)) comparisons."""
    if not steps:
        return str(below)
    middle = len(steps) // 2
    start, value = steps[middle]
    left = step_sql(column, steps[:middle], below)
    right = step_sql(column, steps[middle + 1:], value)
    return f"(CASE WHEN {column} < {start} THEN {left} ELSE {right} END)"


def calendar_steps() -> list[tuple[int, int]]:
    """A(d) of the module docstring as steps: (day number, exceptions summed up to that day)."""
    steps, total = [], 0
    for day, working in sorted(working_calendar().overrides.items()):
        delta = (1 if working else 0) if day.weekday() >= 5 else (0 if working else -1)
        if delta:
            total += delta
            steps.append((day_number(day), total))
    return steps


def steps_between(start: datetime | None, end: datetime) -> list[tuple[int, int]]:
    """The calendar's steps that can matter for days from `start` (a year early, for cases signed before
    it) to `end`: earlier ones are folded into the first, later ones dropped (W is only compared)."""
    steps = calendar_steps()
    first = day_number(start.astimezone(LOCAL_ZONE).date()) - 366 if start else None
    last = day_number(end.astimezone(LOCAL_ZONE).date()) + 1
    before = [value for day, value in steps if first is not None and day < first]
    kept = [(day, value) for day, value in steps if (first is None or day >= first) and day <= last]
    return ([(first, before[-1])] if before else []) + kept


def working_day_sql(column: str, steps: list[tuple[int, int]]) -> str:
    """W(column): working days from an epoch up to the day number `column` (inclusive)."""
    least = "LEAST" if connection.vendor == "postgresql" else "MIN"
    shifted = f"({column} + 3)"  # day 0 (1970-01-01) was a Thursday: +3 puts Monday at 0 mod 7
    weekdays = f"(5 * ({shifted} / 7) + {least}({shifted} - 7 * ({shifted} / 7) + 1, 5))"
    return f"({weekdays} + {step_sql(column, steps, 0)})"


def working_day_number(day: date, steps: list[tuple[int, int]] | None = None) -> int:
    """W(day) in Python, the same arithmetic as working_day_sql (for tests and checks)."""
    steps = calendar_steps() if steps is None else steps
    shifted = day_number(day) + 3
    exceptions = 0
    for start, value in steps:
        if start <= day_number(day):
            exceptions = value
    return 5 * (shifted // 7) + min(shifted % 7 + 1, 5) + exceptions


# The one aggregate query -------------------------------------------------------------------------

# Each case is described by 16 bits (its "flags"): the status (4 bits), the 12345 answer (2 bits) and
# ten conditions, each on the columns of the subquery (tr track, st status, fa filed_at, dc dispatch_count,
# fd first_dispatch_correct, sb sendback_count, ha handled_at, du due_at, vc verified_count, rc
# rework_count, ot on_time). The query counts the cases per (place, unit, R month, D month, flags) packed
# into one integer: SQLite sorts one integer key several times faster than five columns, and one COUNT
# replaces twenty conditional sums. Every measure is then a sum over the groups whose flags say so.
STATUS_CODES = tuple(Status.values)
ANSWER_CODES = ("", Satisfaction.SATISFIED, Satisfaction.BASICALLY, Satisfaction.DISSATISFIED)
CONDITIONS = (  # bit 6 upwards
    ("city", "tr = 'city'"),
    ("filed", "fa IS NOT NULL"),
    ("judged", "dc >= 1 AND (fd IS NOT NULL OR ha IS NOT NULL)"),
    ("correct", "dc >= 1 AND (fd OR (fd IS NULL AND sb = 0 AND ha IS NOT NULL))"),
    ("handled", "ha IS NOT NULL AND du IS NOT NULL"),
    ("handled_on_time", "ha <= du"),
    ("verified", "vc >= 1"),
    ("reworked", "vc >= 1 AND rc >= 1"),
    ("overdue", "st IN ({running}) AND du < %s"),
    ("on_time", "ot"),
)
FLAG_BITS = 16
MEASURE_FIELDS = tuple(f.name for f in fields(Measures))
DUE_FIELDS = ("due", "due_deferred", "due_closed", "due_closed_on_time")  # counted over D; the rest over R
D_MASK = tuple(int(name in DUE_FIELDS) for name in MEASURE_FIELDS)
R_MASK = tuple(1 - bit for bit in D_MASK)
KEYS = ("county_id", "township_id", "organisation_id")
MAX_KEY_BITS = 62
SHORT_PERIOD_DAYS = 62  # periods shorter than this are read through the reported_at and due_at indexes


class Unindexed(Func):
    """The column itself; written `+column` on SQLite, which keeps its planner off the column's index: a
    period usually holds most of the cases, and walking the reported_at index then fetching each row by
    rowid took twice as long as reading the table. PostgreSQL judges ranges from its statistics."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra)


def _quoted(values) -> str:
    for value in values:
        assert value.replace("_", "").isalnum(), value  # constants of the code, never user input
    return ", ".join(f"'{value}'" for value in values)


def bounds(filters: Filters, now: datetime, months: list[date] | None) -> tuple[list, list]:
    """The moments that cut R and D into months: [start, second month's start, …, end]; None for an open
    start or end. D ends at now: only past deadlines count."""
    start = local_midnight(filters.start) if filters.start else None
    end = local_midnight(filters.end + timedelta(days=1)) if filters.end else None
    inside = [local_midnight(m) for m in (months or [])[1:]]
    inside = [b for b in inside if (start is None or b > start) and (end is None or b < end)]
    due_end = now if end is None else min(end, now)
    return [start, *inside, end], [start, *(b for b in inside if b < due_end), due_end]


def bucket_sql(column: str, cuts: list, nullable: bool = True) -> tuple[str, list]:
    """SQL for the index i with cuts[i] ≤ column < cuts[i + 1]: a balanced tree of CASE over the cuts
    (log2 comparisons per row, the raw column against parameters: no per-row date arithmetic); -1 for
    NULL and outside; an open start (None) takes everything before the next cut into 0."""
    points, below = [], -1
    for index, cut in enumerate(cuts[:-1]):
        if cut is None:
            below = 0
        else:
            points.append((cut, index))
    if cuts[-1] is not None:
        points.append((cuts[-1], -1))
    sql, params = _tree(column, points, below)
    return (f"(CASE WHEN {column} IS NULL THEN -1 ELSE {sql} END)" if nullable else sql), params


def _tree(column: str, points: list, below: int) -> tuple[str, list]:
    if not points:
        return str(below), []
    middle = len(points) // 2
    cut, value = points[middle]
    left, left_params = _tree(column, points[:middle], below)
    right, right_params = _tree(column, points[middle + 1:], value)
    return (f"(CASE WHEN {column} < %s THEN {left} ELSE {right} END)",
            [connection.ops.adapt_datetimefield_value(cut), *left_params, *right_params])


def _in(column: str, cuts: list, indexed: bool = False) -> Q:
    """`column` within [cuts[0], cuts[-1]) (None: open); kept off its index on SQLite unless `indexed`."""
    condition = Q()
    value = F(column) if indexed else Unindexed(F(column), output_field=DateTimeField())
    if cuts[0] is not None:
        condition &= Q(GreaterThanOrEqual(value, cuts[0]))
    if cuts[-1] is not None:
        condition &= Q(LessThan(value, cuts[-1]))
    return condition


def flags_sql(column) -> str:
    """The flags of a row as SQL (a sum of CASEs) over the table's columns (`column(name)` quotes one); its
    one parameter is now (for `overdue`)."""
    names = {"tr": "track", "st": "status", "fa": "filed_at", "dc": "dispatch_count", "fd": "first_dispatch_correct",
             "sb": "sendback_count", "ha": "handled_at", "du": "due_at", "vc": "verified_count", "rc": "rework_count",
             "sa": "satisfaction", "ot": "on_time"}
    # The commonest first: most rows stop at the first WHEN.
    order = sorted(range(len(STATUS_CODES)), key=lambda n: STATUS_CODES[n] not in (Status.CLOSED, Status.HANDLING))
    status = f"(CASE {column('status')} " + " ".join(f"WHEN '{STATUS_CODES[n]}' THEN {n}" for n in order) + " ELSE 15 END)"
    answer = f"(CASE {column('satisfaction')} WHEN '' THEN 0 " + " ".join(
        f"WHEN '{code}' THEN {n * 16}" for n, code in enumerate(ANSWER_CODES) if code) + " ELSE 0 END)"
    parts = [status, answer]
    for bit, (_name, test) in enumerate(CONDITIONS, start=6):
        test = test.format(running=_quoted(CLOCK_RUNNING))
        test = re.sub(r"\b(" + "|".join(names) + r")\b", lambda match: column(names[match.group(1)]), test)
        parts.append(f"(CASE WHEN {test} THEN {1 << bit} ELSE 0 END)")
    return " + ".join(parts)


@dataclass(frozen=True)
class Packing:
    """How (county, township, unit, r, d, flags) fit one integer: each part times the sizes after it.

    Places and units are packed as their id minus an offset (0 stands for none), so the key's size
    follows how many regions and units there are, not how high their ids have climbed."""

    regions: int
    units: int
    r_months: int
    d_months: int
    places: bool
    region_offset: int = 0
    unit_offset: int = 0

    @property
    def bits(self) -> int:
        sizes = [self.r_months + 1, self.d_months + 1, 1 << FLAG_BITS]
        if self.places:
            sizes += [self.regions, self.regions, self.units]
        total = 1
        for size in sizes:
            total *= size
        return total.bit_length()

    def sql(self, r_sql: str, d_sql: str, flags: str, column) -> str:
        key = f"({r_sql} + 1) * {self.d_months + 1} + ({d_sql} + 1)"
        if self.places:
            offsets = (self.region_offset, self.region_offset, self.unit_offset)
            county, township, unit = (f"COALESCE({column(name)} - {offset}, 0)" for name, offset in zip(KEYS, offsets))
            place = f"({county} * {self.regions} + {township}) * {self.units} + {unit}"
            key = f"({place}) * {(self.r_months + 1) * (self.d_months + 1)} + {key}"
        return f"({key}) * {1 << FLAG_BITS} + {flags}"

    def unpack(self, keys):
        """(county, township, unit, r, d, flags) arrays from the packed keys (numpy int64); ids, 0 for none."""
        flags, rest = keys % (1 << FLAG_BITS), keys // (1 << FLAG_BITS)
        d, rest = rest % (self.d_months + 1) - 1, rest // (self.d_months + 1)
        r, rest = rest % (self.r_months + 1) - 1, rest // (self.r_months + 1)
        unit, rest = rest % self.units, rest // self.units
        township, county = rest % self.regions, rest // self.regions
        restore = lambda packed, offset: (packed + offset) * (packed > 0)  # noqa: E731
        return (restore(county, self.region_offset), restore(township, self.region_offset),
                restore(unit, self.unit_offset), r, d, flags)


def pass_sql(filters: Filters, scope: Q, now: datetime, months: list[date] | None, grouped: bool,
             rows: Q = Q()) -> tuple[str, list, Packing]:
    """One pass over the cases in R or D: the count of cases and their working days per packed key (place
    and unit when `grouped`, R and D month, flags). The subquery reads each row once and works out its
    key and day numbers; the fence (SQLite: LIMIT -1, PostgreSQL: OFFSET 0) keeps the planner from
    inlining it, so the working-day trees read columns instead of recomputing dates."""
    r_cuts, d_cuts = bounds(filters, now, months if grouped else None)
    # An open period takes every case (Q() | D would be D alone: Django drops an empty Q from an OR).
    open_period = r_cuts[0] is None and r_cuts[-1] is None
    # A short period is read through two index ranges (reported_at, due_at); a long one holds most rows,
    # which SQLite reads faster from the table than by rowid from an index.
    short = bool(filters.start and filters.end and (filters.end - filters.start).days < SHORT_PERIOD_DAYS)
    within = Q() if open_period else (_in("reported_at", r_cuts, short)
                                      | (_in("due_at", d_cuts, short) & Q(due_at__isnull=False)))
    region_ids = Region.objects.aggregate(low=Min("pk"), top=Max("pk"))
    unit_ids = Organisation.objects.aggregate(low=Min("pk"), top=Max("pk"))
    region_offset, unit_offset = (region_ids["low"] or 1) - 1, (unit_ids["low"] or 1) - 1
    packing = Packing((region_ids["top"] or 0) - region_offset + 1, (unit_ids["top"] or 0) - unit_offset + 1,
                      len(r_cuts), len(d_cuts), grouped, region_offset, unit_offset)
    if packing.bits > MAX_KEY_BITS:
        raise OverflowError(f"identifiers too large to pack: {packing}")
    table = connection.ops.quote_name(Case._meta.db_table)
    column = lambda name: f"{table}.{connection.ops.quote_name(name)}"  # noqa: E731
    r_sql, r_params = bucket_sql(column("reported_at"), r_cuts, nullable=False)
    d_sql, d_params = bucket_sql(column("due_at"), d_cuts)
    key = packing.sql(r_sql, d_sql, flags_sql(column), column)  # placeholders: R cuts, D cuts, now (overdue)
    overdue = [connection.ops.adapt_datetimefield_value(now)]
    inner = (Case.objects.filter(scope, filters.common(), within, rows).order_by()
             .annotate(k=RawSQL(key, [*r_params, *d_params, *overdue], output_field=BigIntegerField()),
                       hd=LocalDay("handled_at"), sd=LocalDay(Coalesce("signed_at", "dispatched_at")))
             .values("k", "hd", "sd"))
    inner_sql, inner_params = inner.query.sql_with_params()
    fence = "OFFSET 0" if connection.vendor == "postgresql" else "LIMIT -1"
    steps = steps_between(r_cuts[0], now)
    days = f"CASE WHEN hd IS NOT NULL AND sd IS NOT NULL THEN {working_day_sql('hd', steps)} - {working_day_sql('sd', steps)} END"
    sql = (f"SELECT k, COUNT(*), COALESCE(SUM({days}), 0), COUNT(hd - sd) "
           f"FROM ({inner_sql} {fence}) AS cases GROUP BY k")
    return sql, list(inner_params), packing


def _pass(filters: Filters, scope: Q, now: datetime, months: list[date] | None, grouped: bool,
          rows: Q = Q()) -> tuple[list, Packing]:
    sql, params, packing = pass_sql(filters, scope, now, months, grouped, rows)
    if connection.vendor != "postgresql":  # no transaction: on SQLite (IMMEDIATE) it would take the write lock
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall(), packing
    with transaction.atomic(), connection.cursor() as cursor:
        # Compiling the expressions (JIT) took longer than running them, and the aggregate's hash table
        # (~100,000 keys at a million cases) spilled to disk at the default 4 MB.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        return cursor.fetchall(), packing


def _spread(rows: list[tuple], packing: Packing) -> tuple[list, "np.ndarray"]:
    """Each group's cases as measures of R at (place, unit, r) and of D at (place, unit, d)."""
    import numpy as np

    if not rows:
        return np.zeros((0, 4), dtype=np.int64), np.zeros((0, len(MEASURE_FIELDS)), dtype=np.int64)
    table = np.array(rows, dtype=np.int64)
    keys, n, days, timed = table[:, 0], table[:, 1], table[:, 2], table[:, 3]
    county, township, unit, r, d, flags = packing.unpack(keys)
    return placed(np.column_stack([county, township, unit]), r, d, measure_columns(n, days, timed, flags))


def placed(places, r, d, values) -> tuple["np.ndarray", "np.ndarray"]:
    """Cells and measures from rows of (county, township, unit), their R and D month indexes (-1: outside)
    and their measures as if in both cohorts: the R measures where r ≥ 0, the D measures where d ≥ 0."""
    import numpy as np

    in_r, in_d = r >= 0, d >= 0
    keys = np.vstack([np.column_stack([places, r])[in_r], np.column_stack([places, d])[in_d]])
    return keys, np.vstack([values[in_r] * R_MASK, values[in_d] * D_MASK])


def measure_columns(n, days, timed, flags) -> "np.ndarray":
    """Every measure of groups of `n` cases sharing `flags` (with their working days and how many were
    timed), as if the cases were both reported and due in the period: one row per group."""
    import numpy as np

    status = flags % 16
    answer = (flags // 16) % 4
    bit = {name: (flags >> position) & 1 for position, (name, _test) in enumerate(CONDITIONS, start=6)}
    is_status = {code: status == n_ for n_, code in enumerate(STATUS_CODES)}
    city = bit["city"]
    columns = {
        "reported": n, "city_reported": n * city, "filed": n * city * bit["filed"],
        "refused": n * city * is_status[Status.INVALID], "merged": n * city * is_status[Status.MERGED],
        "awaiting_filing": n * city * is_status[Status.REPORTED], "dispatch_judged": n * bit["judged"],
        "dispatch_correct": n * bit["correct"], "handled": n * bit["handled"],
        "handled_on_time": n * bit["handled_on_time"], "verified": n * bit["verified"],
        "reworked": n * bit["reworked"], "followed_up": n * (answer > 0), "satisfied": n * (answer == 1),
        "basically": n * (answer == 2), "dissatisfied": n * (answer == 3), "handling_cases": timed,
        "handling_days": days, "open": n * np.isin(status, [STATUS_CODES.index(s) for s in OPEN]),
        "overdue": n * bit["overdue"], "deferred": n * is_status[Status.DEFERRED], "closed": n * is_status[Status.CLOSED],
        "due": n, "due_deferred": n * is_status[Status.DEFERRED], "due_closed": n * is_status[Status.CLOSED],
        "due_closed_on_time": n * is_status[Status.CLOSED] * bit["on_time"],
    }
    return np.column_stack([np.asarray(columns[name], dtype=np.int64) for name in MEASURE_FIELDS]).reshape(-1, len(MEASURE_FIELDS))


def _measures(vector) -> Measures:
    return Measures(*(int(value) for value in vector))


# The cube: measures per (county, township, unit, month), and what is rolled up from it ----------

Cell = tuple[int | None, int | None, int | None, int]


@dataclass
class Row:
    key: str
    label: str
    measures: Measures
    parent: str = ""          # the county of a township or unit
    rank: int | None = None

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "parent": self.parent, "rank": self.rank, **self.measures.as_dict()}


class Cube:
    """Measures per cell (county, township, unit, month index); `keys` holds one row of those four per
    cell (0 for no place or unit) and `values` one row of MEASURE_FIELDS (numpy), so roll-ups are sums."""

    def __init__(self, keys, values, months: list[date]):
        import numpy as np

        self.months = months
        keys = np.asarray(keys, dtype=np.int64).reshape(-1, 4)
        values = np.asarray(values, dtype=np.int64).reshape(-1, len(MEASURE_FIELDS))
        # One integer per cell (np.unique over rows of four is ten times slower), the first of each kept.
        sizes = keys.max(axis=0) + 2 if len(keys) else np.ones(4, dtype=np.int64)
        codes = ((keys[:, 0] * sizes[1] + keys[:, 1]) * sizes[2] + keys[:, 2]) * sizes[3] + keys[:, 3] + 1
        unique, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
        self.keys = keys[first]
        self.values = np.zeros((len(unique), len(MEASURE_FIELDS)), dtype=np.int64)
        np.add.at(self.values, inverse.reshape(-1), values)

    @property
    def cells(self) -> dict[Cell, Measures]:
        return {tuple(int(part) or None for part in key[:3]) + (int(key[3]),): _measures(vector)
                for key, vector in zip(self.keys, self.values)}

    def total(self) -> Measures:
        return _measures(self.values.sum(axis=0))

    def rolled(self, position: int) -> dict:
        """Measures summed over every cell with the same key part (0 county, 1 township, 2 unit: None for
        none; 3 month index)."""
        import numpy as np

        parts, inverse = np.unique(self.keys[:, position], return_inverse=True)
        sums = np.zeros((len(parts), len(MEASURE_FIELDS)), dtype=np.int64)
        np.add.at(sums, inverse.reshape(-1), self.values)
        return {(int(part) if position == 3 or part else None): _measures(vector) for part, vector in zip(parts, sums)}

    def rows(self, by: str) -> list[Row]:
        if by not in GROUPINGS:
            raise ValueError(by)
        return getattr(self, f"_by_{by}")()

    def _by_county(self) -> list[Row]:
        totals = self.rolled(0)
        counties = {r.pk: r for r in Region.objects.filter(pk__in=[k for k in totals if k]).defer("boundary")}
        rows = [Row(counties[pk].key, counties[pk].name, m) if pk else Row(CITY_LEVEL_KEY, _("市本级"), m)
                for pk, m in totals.items()]
        order = {r.key: (r.code or "~" + r.key) for r in counties.values()}
        return sorted(rows, key=lambda row: "" if row.key == CITY_LEVEL_KEY else order[row.key])

    def _by_township(self) -> list[Row]:
        """Townships only: cases placed no deeper than a county are in the county rows."""
        totals = self.rolled(1)
        places = {r.pk: r for r in Region.objects.filter(pk__in=[k for k in totals if k]).defer("boundary")}
        parents = dict(Region.objects.filter(pk__in={r.parent_id for r in places.values()}).values_list("pk", "name"))
        rows = []
        for pk, measures in totals.items():
            if pk:
                parent = parents.get(places[pk].parent_id, "")
                name = places[pk].name
                short = name[len(parent):] if parent and name.startswith(parent) and len(name) > len(parent) else name
                rows.append(Row(places[pk].key, short, measures, parent))
        return sorted(rows, key=lambda row: row.key)

    def _by_unit(self) -> list[Row]:
        totals = self.rolled(2)
        units = {o.pk: o for o in Organisation.objects.filter(pk__in=[k for k in totals if k]).select_related("region")
                 .defer("region__boundary")}
        rows = []
        for pk, measures in totals.items():
            if pk is None:
                rows.append(Row(NO_UNIT_KEY, _("未派遣"), measures))
            else:
                unit = units[pk]
                rows.append(Row(unit.key, unit_label(unit), measures, unit.region.name))
        return sorted(rows, key=lambda row: (row.key == NO_UNIT_KEY, row.key))

    def _by_department(self) -> list[Row]:
        """Units rolled up to their function (城管局 of every county together)."""
        totals = self.rolled(2)
        functions = dict(Organisation.objects.filter(pk__in=[k for k in totals if k]).values_list("pk", "function"))
        by_function: dict[str, Measures] = {}
        for pk, measures in totals.items():
            key = functions.get(pk) or NO_UNIT_KEY
            by_function[key] = by_function.get(key, Measures()) + measures
        names = department_names(by_function)
        rows = [Row(key, _("未派遣") if key == NO_UNIT_KEY else names.get(key, key), m) for key, m in by_function.items()]
        return sorted(rows, key=lambda row: (row.key == NO_UNIT_KEY, -row.measures.reported, row.key))

    def _by_month(self) -> list[Row]:
        totals = self.rolled(3)
        return [Row(f"{month:%Y-%m}", f"{month.year}年{month.month}月", totals.get(n, Measures()))
                for n, month in enumerate(self.months)]


def unit_label(unit: Organisation) -> str:
    """沧县城管局: the place and the short name, shorter than 沧县城市管理综合行政执法局."""
    short = unit.short_name or unit.name
    return unit.name if short == unit.name or unit.name.startswith(short) else f"{unit.region.name}{short}"


def department_names(functions) -> dict[str, str]:
    """Each function's name as the city's unit of that function calls itself (城管局 …)."""
    names = {}
    for unit in Organisation.objects.filter(function__in=list(functions)).select_related("region").defer(
            "region__boundary").order_by("path"):
        if unit.function not in names or unit.region.level == Level.CITY:
            names[unit.function] = unit.short_name or unit.name
    return names


def cube(filters: Filters = Filters(), user=None, now: datetime | None = None, *, by_month: bool = True) -> Cube:
    """The measures within `user`'s scope per (county, township, unit, month of the period): one pass."""
    now = now or timezone.now()
    scope = scope_condition(user)
    if scope is None:
        return Cube([], [], month_range(filters, None) if by_month else [])
    months = month_range(filters, scope) if by_month else []
    keys, values = counted(filters, scope, now, months, grouped=True)
    return Cube(keys, values, months)


def summary(filters: Filters = Filters(), user=None, now: datetime | None = None) -> Measures:
    """The totals alone: the same pass, grouped only by cohort."""
    now = now or timezone.now()
    scope = scope_condition(user)
    if scope is None:
        return Measures()
    _keys, values = counted(filters, scope, now, [], grouped=False)
    return _measures(values.sum(axis=0)) if len(values) else Measures()


def counted(filters: Filters, scope: Q, now: datetime, months: list[date], grouped: bool, *, use_rollup: bool = True):
    """Cells and measures of the cases in R or D: the settled cases of clean months from the monthly
    rollup, the others from the rows (bohai/cases/rollup.py); all from the rows when the rollup cannot
    serve the period or the scope."""
    import numpy as np

    from . import rollup

    plan = rollup.plan(filters, scope, now) if use_rollup else None
    if plan is None:
        return _spread(*_pass(filters, scope, now, months, grouped))
    live_keys, live_values = _spread(*_pass(filters, scope, now, months, grouped, rows=plan.live))
    rolled_keys, rolled_values = rollup.spread(plan, filters, scope, months, grouped)
    return np.vstack([live_keys, rolled_keys]), np.vstack([live_values, rolled_values])


def month_range(filters: Filters, scope: Q | None) -> list[date]:
    """The first days of the months the filter spans; without dates, those the reports span."""
    start, end = filters.start, filters.end
    if (start is None or end is None) and scope is not None:
        bounds = Case.objects.filter(scope, filters.condition("R", timezone.now())).aggregate(
            first=Min("reported_at"), last=Max("reported_at"))
        if bounds["first"] is None:
            return []
        start = start or timezone.localtime(bounds["first"], LOCAL_ZONE).date()
        end = end or timezone.localtime(bounds["last"], LOCAL_ZONE).date()
    if start is None or end is None:
        return []
    month, months = start.replace(day=1), []
    while month <= end and len(months) < MAX_MONTHS:
        months.append(month)
        month = add_months(month, 1)
    return months


# Rankings ----------------------------------------------------------------------------------------

DENOMINATORS = {  # how many cases each rate is a share of
    "filing_rate": lambda m: m.city_reported - m.merged - m.awaiting_filing,
    "dispatch_accuracy": lambda m: m.dispatch_judged, "on_time_handling_rate": lambda m: m.handled,
    "closure_rate": lambda m: m.due - m.due_deferred, "on_time_closure_rate": lambda m: m.due - m.due_deferred,
    "rework_rate": lambda m: m.verified, "satisfaction_rate": lambda m: m.followed_up,
    "average_handling_days": lambda m: m.handling_cases,
}


def rank(rows: list[Row], indicator: str = "on_time_closure_rate", minimum: int = 0) -> list[Row]:
    """Rows sorted best first by `indicator`, equal values sharing a rank (1, 2, 2, 4); rows without a
    value, or counted over fewer than `minimum` cases, last and unranked. The best is the highest rate,
    or the lowest for rework and handling time."""
    if indicator not in RATE_NAMES:
        raise ValueError(indicator)
    lower = indicator in LOWER_IS_BETTER

    def ranked(row: Row) -> bool:
        return getattr(row.measures, indicator) is not None and DENOMINATORS[indicator](row.measures) >= max(minimum, 1)

    valued = [row for row in rows if ranked(row)]
    empty = [row for row in rows if not ranked(row)]
    valued.sort(key=lambda row: (getattr(row.measures, indicator) * (1 if lower else -1), -row.measures.reported, row.key))
    previous, position = None, 0
    for index, row in enumerate(valued, start=1):
        value = getattr(row.measures, indicator)
        if value != previous:
            position, previous = index, value
        row.rank = position
    for row in empty:
        row.rank = None
    empty.sort(key=lambda row: (getattr(row.measures, indicator) is None, -row.measures.reported, row.key))
    return valued + empty


def rankings(by: str, filters: Filters = Filters(), user=None, now: datetime | None = None,
             indicator: str = "on_time_closure_rate", minimum: int = 0) -> list[Row]:
    if by not in ("department", "unit", "township", "county"):
        raise ValueError(by)
    return rank(cube(filters, user, now, by_month=False).rows(by), indicator, minimum)


def trend(filters: Filters = Filters(), user=None, now: datetime | None = None) -> list[Row]:
    return cube(filters, user, now).rows("month")


# Hot spots ---------------------------------------------------------------------------------------

def hotspots(filters: Filters = Filters(), user=None, now: datetime | None = None, source: Cube | None = None) -> dict:
    """Cases reported in the period per grid, per township (cases placed in a township but no grid)
    and per county (all of the county's cases, with cases per 10,000 residents), for the map."""
    now = now or timezone.now()
    scope = scope_condition(user)
    if scope is None:
        return {"counties": [], "townships": [], "grids": []}
    source = source or cube(filters, user, now, by_month=False)
    grid_counts = dict(grid_counts_query(filters, scope, now))
    county_totals = {pk: m.reported for pk, m in source.rolled(0).items()}
    township_totals = {pk: m.reported for pk, m in source.rolled(1).items() if pk is not None}
    wanted = {pk for pk in (*county_totals, *township_totals, *grid_counts) if pk is not None}
    places = {r.pk: r for r in Region.objects.filter(pk__in=wanted).defer("boundary")}
    township_of = {r.key: r.pk for r in places.values() if r.level == Level.TOWNSHIP}
    gridded_townships: dict = {}
    for pk, count in grid_counts.items():
        township = next((township_of[k] for k in places[pk].path.strip("/").split("/") if k in township_of), None)
        gridded_townships[township] = gridded_townships.get(township, 0) + count

    def point(pk, count, **extra) -> dict:
        region = places[pk]
        return {"key": region.key, "code": region.code, "name": region.name, "lng": region.centroid_lng,
                "lat": region.centroid_lat, "count": count, **extra}

    counties = []
    for pk, count in county_totals.items():
        if pk is None or not count:
            continue
        population = places[pk].population
        per_10k = ratio(count * 10000, population) if population else None
        counties.append(point(pk, count, population=population, per_10k=per_10k))
    townships = [point(pk, count - gridded_townships.get(pk, 0)) for pk, count in township_totals.items()
                 if count - gridded_townships.get(pk, 0) > 0]
    grids = [point(pk, count) for pk, count in grid_counts.items()]
    by_count = lambda item: (-item["count"], item["key"])  # noqa: E731
    return {"counties": sorted(counties, key=by_count), "townships": sorted(townships, key=by_count),
            "grids": sorted(grids, key=by_count)}


def grid_counts_query(filters: Filters, scope: Q, now: datetime):
    """(grid id, cases reported in the period) for the gridded cases. The (grid, reported_at) index holds
    all it reads (an index-only scan); on SQLite the period is kept off the reported_at index, which would
    fetch every row of the period by rowid."""
    r_cuts, _d_cuts = bounds(filters, now, None)
    return (Case.objects.filter(scope, filters.common(), _in("reported_at", r_cuts), grid__isnull=False)
            .order_by().values_list("grid_id").annotate(n=Count("*")))


# Export ------------------------------------------------------------------------------------------

TABLE_COLUMNS = (
    ("reported", "上报/受理量"), ("filed", "立案"), ("closed", "已结案"), ("open", "在办"), ("overdue", "超期在办"),
    ("deferred", "挂账"), ("due", "应结案（期内到期）"), ("due_closed", "期内到期已结案"),
    ("filing_rate", "立案率（%）"), ("dispatch_accuracy", "派遣准确率（%）"), ("on_time_handling_rate", "按期处置率（%）"),
    ("closure_rate", "结案率（%）"), ("on_time_closure_rate", "按期结案率（%）"), ("rework_rate", "返工率（%）"),
    ("satisfaction_rate", "满意率（%）"), ("average_handling_days", "平均处置用时（工作日）"),
)


@service_action
def export_workbook(filters: Filters, *, actor, now: datetime | None = None) -> bytes:
    """The dashboard's tables as XLSX (汇总, 部门, 处置单位, 乡镇街道, 县市区, 月度, 热点网格) within the
    actor's scope; audited."""
    import openpyxl
    from openpyxl.styles import Font

    now = now or timezone.now()
    source = cube(filters, actor, now)
    spots = hotspots(filters, actor, now, source=source)
    total = source.total()
    ranked = {by: rank(source.rows(by), minimum=MINIMUM_RANKED) for by in ("department", "unit", "township", "county")}
    sheets = [
        ("汇总", ("范围",), [(_("合计"), total)]),
        ("按部门", ("排名", "部门"), [(row.rank, row.label, row.measures) for row in ranked["department"]]),
        ("按处置单位", ("排名", "处置单位", "县（市、区）"),
         [(row.rank, row.label, row.parent, row.measures) for row in ranked["unit"]]),
        ("按乡镇街道", ("排名", "乡镇（街道）", "县（市、区）"),
         [(row.rank, row.label, row.parent, row.measures) for row in ranked["township"]]),
        ("按县市区", ("排名", "县（市、区）"), [(row.rank, row.label, row.measures) for row in ranked["county"]]),
        ("按月份", ("月份",), [(row.key, row.measures) for row in source.rows("month")]),
    ]
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, headings, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append([*headings, *(label for _key, label in TABLE_COLUMNS)])
        for *labels, measures in rows:
            sheet.append([*labels, *_cells(measures)])
        _finish_sheet(sheet, Font)
    sheet = book.create_sheet("热点网格")
    sheet.append(["层级", "名称", "代码", "经度", "纬度", "案件数"])
    for level, items in (("网格", spots["grids"]), ("乡镇（街道，无网格）", spots["townships"]), ("县（市、区）", spots["counties"])):
        for item in items:
            sheet.append([level, item["name"], item["code"] or item["key"], item["lng"], item["lat"], item["count"]])
    _finish_sheet(sheet, Font)
    buffer = io.BytesIO()
    book.save(buffer)
    record(actor=actor, action="cases.indicators.export", target_type="cases.case",
           after={"filters": filters.describe(), "reported": total.reported})
    return buffer.getvalue()


def _finish_sheet(sheet, font) -> None:
    for cell in sheet[1]:
        cell.font = font(bold=True)
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["B"].width = 28


def _cells(measures: Measures) -> list:
    values = measures.as_dict()
    return [float(values[key]) if isinstance(values[key], Decimal) else values[key] for key, _label in TABLE_COLUMNS]


# For the planning system -----------------------------------------------------------------------

def indicators(start=None, end=None, region=None, organisation=None) -> dict[str, Decimal | None]:
    """The eight indicators of the cases from `start` to `end` (dates, both included; open ends allowed)
    placed in `region` (a Region, key or division code; everything when None) and handled by
    `organisation` (an Organisation or its key: its subtree; or a function such as "urban_management":
    those units in every county). Rates are Decimal percentages ("74.52"), the handling time in working
    days; None where nothing was counted. Keys: filing_rate, dispatch_accuracy, on_time_handling_rate,
    closure_rate, on_time_closure_rate, rework_rate, satisfaction_rate, average_handling_days.
    LookupError for an unknown region or organisation."""
    unit, function = find_organisation(organisation)
    filters = Filters(start=start, end=end, region=find_region(region), organisation=unit, department=function)
    return summary(filters).rates()
