"""The monthly rollup of settled cases, so that the dashboard does not count a year of them again each time.

What is rolled up
    Settled cases: closed, refused (invalid) and merged; they no longer change. Per reported month
    (local, Asia/Shanghai) the refresh counts them with the indicators' own query and definitions
    (indicators.flags_sql, measure_columns) into CaseMonthRollup rows per month of their deadline, track,
    county, township and handling unit, every measure as if the case were in both cohorts (reported
    and due). Open and deferred cases (挂账 may be taken up again) are few and always counted live.

When a month's rollup may be used: a changed-since marker on `updated_at`
    Each month's batch (CaseRollupMonth) holds the settled cases whose `updated_at` was at most its
    `counted_until` (the refresh's start less MARGIN, so that a transaction which saved a case just
    before the count and committed after it is not missed). A month is *clean* while no case reported
    in it has `updated_at` after its `counted_until` (one look at the updated_at index per request:
    only what changed since the last refresh is read) and the working calendar is the one it was counted
    with; a new case, a closure, a reopened case or an edit make the month unclean at once, and it is
    counted from the rows until the job (`cases.refresh_rollup`, every five minutes) counts it again.
    Deleting a case forgets its month's batch (post_delete). A write that bypasses `updated_at`
    (QuerySet.update without it, raw SQL) is not seen, nor a case moved to another reported month (only
    its new month would be seen changed): the cases actions do neither to the counted columns
    (`reported_at` is set once, at the report).

How a request is counted (indicators.cube and summary)
    rolled   = settled cases of clean months whose deadline, if any, lies before this month (a deadline
               later than that may not have passed yet: whether the case is due depends on now); its
               complement is written as a status list and reported_at and due_at ranges, which the
               indexes find (every status is one of Status: a row with another would be counted twice)
    from the rollup: the rows of clean months with no deadline or one before this month, within the
               same scope and filters (track, county, township, unit, department: the rollup's columns);
               R measures where the reported month is in the period, D measures where the deadline's is
    from the rows: the indicators' one pass over everything else (NOT rolled)
    The two add up to exactly what one pass over all rows gives. Whole-month periods only (the
    dashboard's; open ends allowed); a period cut inside a month, or a scope by grid or a deeper
    region, is counted from the rows alone, as is everything before the first refresh (a fresh install
    is correct at once, and quick after the job's first run).
"""
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import IntegerField, Max, Min, Q, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, TruncMonth
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from bohai.engines.workdays.clock import LOCAL_ZONE
from bohai.engines.workdays.periods import add_months, last_day
from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import service_action

from . import indicators
from .models import Case, CaseMonthRollup, CaseRollupMonth, Status, Track

SETTLED = (Status.CLOSED, Status.INVALID, Status.MERGED)
MARGIN = timedelta(minutes=10)
ROLLED_COLUMNS = {"track", "county_id", "township_id", "organisation_id"}  # what the rollup can be filtered by
INSERT_BATCH = 2000


def calendar_fingerprint() -> str:
    """Changes whenever the working calendar's exceptions do (the rollup's working days depend on them)."""
    return hashlib.sha1(repr(indicators.calendar_steps()).encode()).hexdigest()


def month_of(moment: datetime) -> date:
    return timezone.localtime(moment, LOCAL_ZONE).date().replace(day=1)


# Reading ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    clean: frozenset          # reported months whose batch may be used
    this_month: date          # deadlines from this month on are counted live
    live: Q                   # the cases counted from the rows


def plan(filters: "indicators.Filters", scope: Q, now: datetime) -> Plan | None:
    """How to count `filters` within `scope` at `now` with the rollup; None: from the rows alone."""
    if not whole_months(filters) or not rollable(scope) or not rollable(filters.common()):
        return None
    batches = dict(CaseRollupMonth.objects.filter(calendar=calendar_fingerprint()).values_list("month", "counted_until"))
    if not batches:
        return None
    changed = changed_months(min(batches.values()))
    clean = frozenset(month for month, until in batches.items() if not (month in changed and changed[month] > until))
    if not clean:
        return None
    this_month = month_of(now)
    # NOT (settled AND in a clean month AND (no deadline OR one before this month)), spelt as ranges and a
    # list the indexes on status, reported_at and due_at can find (a NOT would read the whole table).
    unsettled = Q(status__in=[status for status in Status.values if status not in SETTLED])
    live = unsettled | outside_months(clean) | Q(due_at__gte=indicators.local_midnight(this_month))
    return Plan(clean, this_month, live)


def whole_months(filters) -> bool:
    return ((filters.start is None or filters.start.day == 1)
            and (filters.end is None or filters.end == last_day(filters.end)))


def rollable(condition) -> bool:
    """Whether a Q filters on nothing but the rollup's own columns."""
    for child in condition.children:
        if isinstance(child, Q):
            if not rollable(child):
                return False
        elif child[0].split("__")[0] not in ROLLED_COLUMNS or child[0].count("__") > 1:
            return False
    return True


def changed_months(since: datetime) -> dict[date, datetime]:
    """The reported months of the cases changed after `since`, with their last change (the updated_at index)."""
    rows = (Case.objects.filter(updated_at__gt=since).order_by()
            .annotate(m=TruncMonth("reported_at", tzinfo=LOCAL_ZONE)).values("m").annotate(last=Max("updated_at")))
    return {month_of(row["m"]): row["last"] for row in rows}


def outside_months(months) -> Q:
    """reported_at outside the months: before the first, in the gaps and after the last, as ranges."""
    ordered, cuts = sorted(months), []
    while ordered:
        first = last = ordered.pop(0)
        while ordered and ordered[0] == add_months(last, 1):
            last = ordered.pop(0)
        cuts.append((indicators.local_midnight(first), indicators.local_midnight(add_months(last, 1))))
    condition = Q(reported_at__lt=cuts[0][0]) | Q(reported_at__gte=cuts[-1][1])
    for (_start, end), (following, _end) in zip(cuts, cuts[1:]):
        condition |= Q(reported_at__gte=end, reported_at__lt=following)
    return condition


def spread(plan: Plan, filters, scope: Q, months: list[date], grouped: bool):
    """The rolled cases' cells and measures, as indicators._spread gives them for rows: the rollup summed by
    the database per (place, unit, month) of the reported cohort and per (place, unit, deadline month) of
    the due one, so only the cells travel."""
    import numpy as np

    rows = (CaseMonthRollup.objects.filter(scope, filters.common(), month__in=plan.clean).order_by()
            .filter(Q(due_month__isnull=True) | Q(due_month__lt=plan.this_month)))
    keys, values = [], []
    for cohort, column, measures in (("R", "month", R_FIELDS), ("D", "due_month", indicators.DUE_FIELDS)):
        selected = rows.filter(**within_period(column, filters))
        parts = [*(("county_id", "township_id", "organisation_id") if grouped else ()), *((column,) if months else ())]
        table = summed(selected, parts, measures)
        if not len(table):
            continue
        places = table[:, :3] if grouped else np.zeros((len(table), 3), dtype=np.int64)
        index = month_index(table[:, len(parts) - 1], months) if months else np.zeros(len(table), dtype=np.int64)
        vectors = np.zeros((len(table), len(indicators.MEASURE_FIELDS)), dtype=np.int64)
        vectors[:, [indicators.MEASURE_FIELDS.index(name) for name in measures]] = table[:, len(parts):]
        keys.append(np.column_stack([places, index]))
        values.append(vectors)
    if not keys:
        return np.zeros((0, 4), dtype=np.int64), np.zeros((0, len(indicators.MEASURE_FIELDS)), dtype=np.int64)
    return np.vstack(keys), np.vstack(values)


R_FIELDS = tuple(name for name in indicators.MEASURE_FIELDS if name not in indicators.DUE_FIELDS)


def within_period(column: str, filters) -> dict:
    bounds = {f"{column}__isnull": False}
    if filters.start is not None:
        bounds[f"{column}__gte"] = filters.start
    if filters.end is not None:
        bounds[f"{column}__lte"] = filters.end
    return bounds


def summed(rows, parts: list[str], measures) -> "np.ndarray":
    """The sums of `measures` per distinct `parts` (ids, 0 for none; months as ordinals), read with a plain
    cursor (no per-value conversion)."""
    import numpy as np

    sums = {f"sum_{name}": Sum(name) for name in measures}
    if not parts:
        total = rows.aggregate(**sums)
        return np.array([[total[key] for key in sums]] if total[f"sum_{measures[0]}"] is not None else [],
                        dtype=np.int64).reshape(-1, len(measures))
    sql, params = rows.values(*parts).annotate(**sums).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    month_position = len(parts) - 1 if parts and parts[-1] in ("month", "due_month") else None
    table = [[(month_ordinal(value) if position == month_position else value) or 0 for position, value in enumerate(row)]
             for row in fetched]
    return np.array(table, dtype=np.int64).reshape(-1, len(parts) + len(measures))


def month_ordinal(value) -> int:
    """A month as stored (a date, or on SQLite its ISO text) as year × 12 + month − 1."""
    text = str(value)
    return int(text[:4]) * 12 + int(text[5:7]) - 1


def ordinal(month: date) -> int:
    return month.year * 12 + month.month - 1


def month_index(ordinals, months: list[date]):
    """Each month's index among `months` as the indicators' buckets give it (everything before the second
    month in 0, everything after the last in the last)."""
    import numpy as np

    cuts = np.array([ordinal(m) for m in months[1:]], dtype=np.int64)
    return np.searchsorted(cuts, ordinals, side="right")


# Refreshing ------------------------------------------------------------------------------------

def months_to_refresh(now: datetime) -> list[date]:
    """Months holding cases that have no batch, one counted with another calendar, or changes since."""
    # Two index lookups: SQLite answers MIN and MAX in one query by reading the table.
    first = Case.objects.order_by("reported_at").values_list("reported_at", flat=True).first()
    last = Case.objects.order_by("-reported_at").values_list("reported_at", flat=True).first()
    if first is None:
        return []
    calendar = calendar_fingerprint()
    batches = {month: (until, fingerprint) for month, until, fingerprint in
               CaseRollupMonth.objects.values_list("month", "counted_until", "calendar")}
    wanted, month = [], month_of(first)
    while month <= month_of(last):
        if month not in batches or batches[month][1] != calendar:
            wanted.append(month)
        month = add_months(month, 1)
    if batches:
        for month, last in changed_months(min(until for until, _calendar in batches.values())).items():
            if month in batches and last > batches[month][0] and month not in wanted:
                wanted.append(month)
    return sorted(wanted)


@service_action
def refresh(*, actor, now: datetime | None = None, months: list[date] | None = None) -> dict:
    """Count the settled cases of the months whose cases changed (or of `months`) into the rollup."""
    now = now or timezone.now()
    months = months_to_refresh(now) if months is None else months
    if not months:
        return {"months": [], "cases": 0}
    until, calendar, counted = now - MARGIN, calendar_fingerprint(), 0
    for month in months:
        counted += refresh_month(month, until, calendar, now)
    figures = {"months": [f"{m:%Y-%m}" for m in months], "cases": counted, "counted_until": until.isoformat()}
    record(actor=actor, action="cases.rollup.refresh", target_type="cases.casemonthrollup", after=figures)
    return figures


def refresh_month(month: date, until: datetime, calendar: str, now: datetime) -> int:
    CaseRollupMonth.objects.filter(month=month).delete()
    groups = count_month(month, until, now)
    batch = CaseRollupMonth.objects.create(month=month, counted_until=until, calendar=calendar,
                                           cases=sum(row[-len(indicators.MEASURE_FIELDS)] for row in groups))
    insert_rows([(batch.pk, *row) for row in groups])
    return batch.cases


def insert_rows(rows: list[tuple]) -> None:
    """One plain INSERT per row (executemany): bulk_create's preparing of 33 fields a row took longer than
    the counting."""
    names = ("batch_id", "month", "due_month", "track", "county_id", "township_id", "organisation_id",
             *indicators.MEASURE_FIELDS)
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(CaseMonthRollup._meta.db_table)} ({', '.join(quote(name) for name in names)}) "
           f"VALUES ({', '.join(['%s'] * len(names))})")
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_BATCH):
            cursor.executemany(sql, rows[start:start + INSERT_BATCH])


def count_month(month: date, until: datetime, now: datetime) -> list[tuple]:
    """The settled cases reported in `month` and last changed by `until`, per deadline month, track,
    place and unit, counted with the indicators' flags and working days: rows of CaseMonthRollup's
    columns from `month` on."""
    import numpy as np

    settled = Case.objects.filter(status__in=SETTLED, updated_at__lte=until, **{
        "reported_at__gte": indicators.local_midnight(month),
        "reported_at__lt": indicators.local_midnight(add_months(month, 1))}).order_by()
    # COALESCE keeps PostgreSQL off the due_at index: walking it from either end for the first row of
    # this month took seconds; the month's cases are few beside the table.
    span = settled.aggregate(first=Min(Coalesce("due_at", "due_at")), last=Max(Coalesce("due_at", "due_at")))
    due_months = []
    if span["first"] is not None:
        due_months = [month_of(span["first"])]
        while due_months[-1] < month_of(span["last"]):
            due_months.append(add_months(due_months[-1], 1))
    result = grouped_counts(settled, due_months, now)
    if not result:
        return []
    table = np.array(result, dtype=np.int64)
    values = indicators.measure_columns(table[:, 5], table[:, 6], table[:, 7], table[:, 4])
    cells: dict[tuple, "np.ndarray"] = {}
    for row, vector in zip(table, values):
        county, township, unit, due_index, flags = (int(part) for part in row[:5])
        track = Track.CITY if (flags >> 6) & 1 else Track.HOTLINE  # the "city" condition, bit 6
        key = (due_index, track, county, township, unit)
        cells[key] = cells[key] + vector if key in cells else vector
    date_value = connection.ops.adapt_datefield_value
    return [(date_value(month), date_value(due_months[due_index]) if due_index >= 0 else None, track,
             county or None, township or None, unit or None, *(int(value) for value in vector))
            for (due_index, track, county, township, unit), vector in cells.items()]


def grouped_counts(settled, due_months: list[date], now: datetime) -> list[tuple]:
    """(county, township, unit, deadline month index, flags, cases, working days, timed cases) per group."""
    table = connection.ops.quote_name(Case._meta.db_table)
    column = lambda name: f"{table}.{connection.ops.quote_name(name)}"  # noqa: E731
    cuts = [indicators.local_midnight(m) for m in due_months] + (
        [indicators.local_midnight(add_months(due_months[-1], 1))] if due_months else [])
    due_sql, due_params = indicators.bucket_sql(column("due_at"), cuts) if cuts else ("-1", [])
    flags = indicators.flags_sql(column)  # its one placeholder: now, for "overdue" (never true of these)
    inner = (settled.annotate(
        dm=RawSQL(due_sql, due_params, output_field=IntegerField()),
        f=RawSQL(flags, [connection.ops.adapt_datetimefield_value(now)], output_field=IntegerField()),
        hd=indicators.LocalDay("handled_at"), sd=indicators.LocalDay(Coalesce("signed_at", "dispatched_at")))
        .values("county_id", "township_id", "organisation_id", "dm", "f", "hd", "sd"))
    inner_sql, params = inner.query.sql_with_params()
    steps = indicators.steps_between(None, now)
    days = (f"CASE WHEN hd IS NOT NULL AND sd IS NOT NULL THEN "
            f"{indicators.working_day_sql('hd', steps)} - {indicators.working_day_sql('sd', steps)} END")
    fence = "OFFSET 0" if connection.vendor == "postgresql" else "LIMIT -1"
    sql = (f"SELECT COALESCE(county_id, 0), COALESCE(township_id, 0), COALESCE(organisation_id, 0), dm, f, COUNT(*), "
           f"COALESCE(SUM({days}), 0), COUNT(hd - sd) FROM ({inner_sql} {fence}) AS cases "
           f"GROUP BY county_id, township_id, organisation_id, dm, f")
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


@receiver(post_delete, sender=Case, dispatch_uid="cases.rollup.forget_deleted")
def forget_month_of_deleted_case(sender, instance, **kwargs) -> None:
    """A deleted case leaves no changed row behind: its month's batch is dropped (counted live until the
    next refresh)."""
    CaseRollupMonth.objects.filter(month=month_of(instance.reported_at)).delete()
