"""The monthly figures (ServiceMonthlyFigures): the dashboard's settled measures counted ahead, per month of
submission (Beijing), item, handling region and unit, so that the city-wide dashboard adds up a few
thousand rows instead of scanning a million applications.

What is stored
    ServiceMonthlyFigures: every measure of statistics.Measures but `overdue`, which depends on the moment
    asked about: that one is always counted live from the applications still running (a few per cent of
    the rows, read from the partial index services_app_running_due alone: `overdue_query`).
    ServiceMonthlyRectifications: the rectifications' counts (statistics.RECTIFICATION_FIELDS, overdue as of
    the count). Both by the application's month, item, own handling region (not its county) and unit, so
    that every scope and region filter (a county, a township) selects exactly the rows it selects among the
    applications.

Which months it holds
    ServiceFiguresMonth has a row for each month whose figures are complete, with when they were counted.
    The dashboard takes the whole months of its range that have such a row from the figures and counts
    everything else (a month never counted, the partial months of a day range) from the applications,
    after asking the submitted_at index whether there is anything to count.

How it stays true (the job services.refresh_monthly_figures, every five minutes)
    - this month and the one before are counted again on every run (delete and insert of those months
      in one transaction): nearly every change (submission, acceptance, decision, completion, review)
      happens to an application submitted in them, so their figures are at most five minutes old;
    - the first run after 02:00 Beijing time each day (or when nothing has been counted yet) counts every
      month again, which catches what happens to older applications (a late review, an application stuck
      for months, an import with old submission dates): those months may be up to a day behind;
    - the rectifications are counted again in full on every run, whatever their application's month (a
      rectification is answered weeks after its application was submitted; there is one per bad review,
      2 % of the reviews, reached by primary key): at most five minutes old, so a bad review given to an
      old application may show in the rectifications before its rating does.
    The counting runs before the transaction, which only deletes and inserts (a few thousand rows), so
    SQLite's write lock is held for milliseconds, not for the scan.
"""
from dataclasses import dataclass
from datetime import date, datetime, time as clock_time, timedelta

from django.db import connection, transaction
from django.db.models import Case, Count, IntegerField, Max, Min, Sum, Value, When
from django.utils import timezone

from bohai.engines.workdays.clock import LOCAL_ZONE
from bohai.engines.workdays.periods import add_months, last_day

from .models import (RUNNING_CLOCK, Application, Rectification, ServiceFiguresMonth, ServiceMonthlyFigures,
                     ServiceMonthlyRectifications)
from .statistics import (MAX_MONTHS, MEASURE_FIELDS, RECTIFICATION_FIELDS, Filters, Sums, add_groups, applications,
                         grouped_applications, local_midnight, measure_expressions, rectification_counts,
                         rectification_expressions, scope_condition)

SETTLED_FIELDS = tuple(name for name in MEASURE_FIELDS if name != "overdue")
OVERDUE_POSITION = MEASURE_FIELDS.index("overdue")
RECENT_MONTHS = 2          # this month and the one before, counted again every run
NIGHTLY_FROM = clock_time(2, 0)  # Beijing time; the first run after it counts every month again
INSERT_BATCH = 2000


# Counting ---------------------------------------------------------------------------------------

def refresh_monthly_figures(now: datetime | None = None) -> dict:
    """What the periodic job does: every month when the nightly recount is due, else the recent months."""
    now = now or timezone.now()
    if full_recount_due(now):
        return {"full": True, **recount_all(now)}
    return {"full": False, **recount_recent(now)}


def full_recount_due(now: datetime) -> bool:
    """Nothing counted yet, or the least recently counted month was counted before today's 02:00 (or
    yesterday's, before 02:00)."""
    oldest = ServiceFiguresMonth.objects.aggregate(oldest=Min("computed_at"))["oldest"]
    if oldest is None:
        return True
    local_now = timezone.localtime(now, LOCAL_ZONE)
    nightly = datetime.combine(local_now.date(), NIGHTLY_FROM, tzinfo=LOCAL_ZONE)
    if local_now < nightly:
        nightly -= timedelta(days=1)
    return oldest < nightly


def recount_recent(now: datetime | None = None) -> dict:
    """Count this month and the one before again."""
    now = now or timezone.now()
    this_month = local_month(now)
    return recount([add_months(this_month, n) for n in range(1 - RECENT_MONTHS, 1)], now)


def recount_all(now: datetime | None = None) -> dict:
    """Count every month that has applications again, and mark as counted (empty) the months back to
    MAX_MONTHS before this one: a dashboard range reaching before the first application then needs no
    query of the applications."""
    now = now or timezone.now()
    this_month = local_month(now)
    bounds = Application.objects.filter(submitted_at__isnull=False).aggregate(first=Min("submitted_at"),
                                                                                last=Max("submitted_at"))
    first, last = add_months(this_month, 1 - MAX_MONTHS), this_month
    if bounds["first"] is not None:
        first, last = min(first, local_month(bounds["first"])), max(last, local_month(bounds["last"]))
    return recount(month_list(first, last), now, whole_table=True)


def recount(months: list[date], now: datetime, *, whole_table: bool = False) -> dict:
    """Count `months` (consecutive) from the applications and replace their figures in one transaction.
    `whole_table`: the months hold every application, so the count needs no range on submitted_at."""
    rows = [ServiceMonthlyFigures(month=months[index], item_id=item_id, region_id=region_id,
                                  organisation_id=organisation_id, **dict(zip(SETTLED_FIELDS, values)))
            for item_id, region_id, organisation_id, index, *values in _count(months, now, whole_table)]
    fixes = _count_rectifications(now)
    with transaction.atomic():
        if whole_table:
            ServiceMonthlyFigures.objects.all().delete()
            ServiceFiguresMonth.objects.all().delete()
        else:
            ServiceMonthlyFigures.objects.filter(month__gte=months[0], month__lte=months[-1]).delete()
            ServiceFiguresMonth.objects.filter(month__gte=months[0], month__lte=months[-1]).delete()
        ServiceMonthlyRectifications.objects.all().delete()
        ServiceMonthlyFigures.objects.bulk_create(rows, batch_size=INSERT_BATCH)
        ServiceMonthlyRectifications.objects.bulk_create(fixes, batch_size=INSERT_BATCH)
        ServiceFiguresMonth.objects.bulk_create([ServiceFiguresMonth(month=month, computed_at=now) for month in months])
    return {"months": len(months), "rows": len(rows), "rectification_rows": len(fixes), "first": f"{months[0]:%Y-%m}",
            "last": f"{months[-1]:%Y-%m}"}


def _count(months: list[date], now: datetime, whole_table: bool):
    settled = {name: expression for name, expression in measure_expressions(now).items() if name in SETTLED_FIELDS}
    rows = Application.objects.filter(submitted_at__isnull=False).order_by()
    if not whole_table:
        rows = rows.filter(submitted_at__gte=local_midnight(months[0]),
                           submitted_at__lt=local_midnight(add_months(months[-1], 1)))
    return (rows.annotate(month_index=_latest_first_bucket(months))
            .values("item_id", "region_id", "organisation_id", "month_index").annotate(**settled)
            .values_list("item_id", "region_id", "organisation_id", "month_index", *SETTLED_FIELDS))


def _count_rectifications(now: datetime) -> list[ServiceMonthlyRectifications]:
    """Every rectification as of `now`, counted by its application's month, item, region and unit: one per
    bad review (2 % of the reviews), reached from the rectifications by primary key."""
    bounds = Application.objects.filter(submitted_at__isnull=False).aggregate(first=Min("submitted_at"),
                                                                                last=Max("submitted_at"))
    if bounds["first"] is None:
        return []
    months = month_list(local_month(bounds["first"]), local_month(bounds["last"]))
    application = "review__application__"
    grouped = (Rectification.objects.order_by()
               .annotate(month_index=_latest_first_bucket(months, f"{application}submitted_at"))
               .values(f"{application}item_id", f"{application}region_id", f"{application}organisation_id", "month_index")
               .annotate(**rectification_expressions(now))
               .values_list(f"{application}item_id", f"{application}region_id", f"{application}organisation_id",
                            "month_index", *RECTIFICATION_FIELDS))
    return [ServiceMonthlyRectifications(month=months[index], item_id=item_id, region_id=region_id,
                                         organisation_id=organisation_id, **dict(zip(RECTIFICATION_FIELDS, values)))
            for item_id, region_id, organisation_id, index, *values in grouped]


def _latest_first_bucket(months: list[date], field: str = "submitted_at") -> Case:
    """The index of a submission's month, comparing with the latest month first: most applications are
    recent, so most rows stop at the first comparisons."""
    return Case(*[When(**{f"{field}__gte": local_midnight(month)}, then=Value(index))
                  for index, month in reversed(list(enumerate(months)))], default=Value(-1), output_field=IntegerField())


def local_month(moment: datetime) -> date:
    return timezone.localtime(moment, LOCAL_ZONE).date().replace(day=1)


def month_list(first: date, last: date) -> list[date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


# Reading ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Coverage:
    """How a request's days are counted: the indexes (into its months) of the whole months read from the
    figures, the runs of days outside them that hold any submission (counted from the rows), and when the
    oldest figures used were counted (None when none are used)."""

    months: list[date]
    start: date
    end: date
    stored: list[int]
    pieces: list[tuple[date, date]]
    as_of: datetime | None

    @property
    def stored_months(self) -> list[date]:
        return [self.months[index] for index in self.stored]


def coverage(filters: Filters, months: list[date]) -> Coverage:
    start, end = filters.start or months[0], filters.end or last_day(months[-1])
    counted = dict(ServiceFiguresMonth.objects.filter(month__gte=months[0], month__lte=months[-1])
                   .values_list("month", "computed_at"))
    stored = [index for index, month in enumerate(months)
              if month in counted and start <= month and last_day(month) <= end]
    if not stored:
        return Coverage(months, start, end, [], [], None)
    pieces = [(first, last) for first, last in _uncovered(months, stored, start, end) if _submissions_between(first, last)]
    return Coverage(months, start, end, stored, pieces, min(counted[months[index]] for index in stored))


def summed_measures(filters: Filters, user, months: list[date], covered: Coverage, now: datetime) -> Sums:
    """The sums by item, region and month index for `months`: the stored months from the figures, the rest
    from the applications, `overdue` live."""
    if not covered.stored:
        return add_groups(grouped_applications(filters, user, months, now))
    sums = _stored_sums(filters, user, months, covered.stored)
    for first, last in covered.pieces:
        add_groups(_without_overdue(grouped_applications(filters.between(first, last), user, months, now)), sums)
    add_groups(_overdue_groups(filters.between(covered.start, covered.end), user, months, now), sums)
    return sums


def summed_rectifications(filters: Filters, user, covered: Coverage, now: datetime) -> dict[str, int]:
    """RECTIFICATION_FIELDS: the stored months from the monthly rectification counts (as of their count, at
    most five minutes ago), the days outside them from the rows."""
    if not covered.stored:
        return rectification_counts(filters, user, now)
    counted = _stored_rectifications(filters, user, covered)
    for first, last in covered.pieces:
        piece = rectification_counts(filters.between(first, last), user, now)
        counted = {name: counted[name] + piece[name] for name in RECTIFICATION_FIELDS}
    return counted


def _stored_rectifications(filters: Filters, user, covered: Coverage) -> dict[str, int]:
    scope = scope_condition(user, "")
    if scope is None:
        return dict.fromkeys(RECTIFICATION_FIELDS, 0)
    totals = (ServiceMonthlyRectifications.objects.filter(scope, filters.place_condition(), month__in=covered.stored_months)
              .order_by().aggregate(**{name: Sum(name) for name in RECTIFICATION_FIELDS}))
    return {name: totals[name] or 0 for name in RECTIFICATION_FIELDS}


def _stored_sums(filters: Filters, user, months: list[date], stored: list[int]) -> Sums:
    """Three GROUP BYs of the figures (by item, by region, by month): a few hundred rows come back, not
    the figures' thousands. Read with a plain cursor: Django's converters of each summed value cost more
    than the query."""
    sums: Sums = ({}, {}, {})
    scope = scope_condition(user, "")
    if scope is None:
        return sums
    index_of = {str(months[index]): index for index in stored}
    figures = ServiceMonthlyFigures.objects.filter(scope, filters.place_condition(),
                                                   month__in=[months[index] for index in stored]).order_by()
    totals = {name: Sum(name) for name in SETTLED_FIELDS}
    with connection.cursor() as cursor:
        for position, key in enumerate(("item_id", "region_id", "month")):
            cursor.execute(*figures.values(key).annotate(**totals).values_list(key, *SETTLED_FIELDS).query.sql_with_params())
            for found, *values in cursor.fetchall():
                values.insert(OVERDUE_POSITION, 0)
                sums[position][index_of[str(found)] if key == "month" else found] = tuple(values)
    return sums


def _uncovered(months: list[date], stored: list[int], start: date, end: date) -> list[tuple[date, date]]:
    """The runs of days from `start` to `end` outside the stored whole months, as (first, last) days."""
    pieces, piece_start = [], start
    for index in stored:
        month = months[index]
        if piece_start < month:
            pieces.append((piece_start, month - timedelta(days=1)))
        piece_start = add_months(month, 1)
    if piece_start <= end:
        pieces.append((piece_start, end))
    return pieces


def _submissions_between(first: date, last: date) -> bool:
    """Anything submitted in those days at all (by the submitted_at index, whatever the scope)."""
    return Application.objects.filter(submitted_at__gte=local_midnight(first),
                                      submitted_at__lt=local_midnight(last + timedelta(days=1))).exists()


def _without_overdue(groups) -> list[tuple]:
    return [(*row[:3 + OVERDUE_POSITION], 0, *row[4 + OVERDUE_POSITION:]) for row in groups]


def _overdue_groups(filters: Filters, user, months: list[date], now: datetime) -> list[tuple]:
    zeros = [0] * len(MEASURE_FIELDS)
    groups = []
    for item_id, region_id, month_index, overdue in overdue_query(filters, user, months, now):
        values = list(zeros)
        values[OVERDUE_POSITION] = overdue
        groups.append((item_id, region_id, month_index, *values))
    return groups


def overdue_query(filters: Filters, user, months: list[date], now: datetime):
    """(item id, region id, month index, overdue) of the applications overdue now: running (not awaiting a
    supplement) and past the statutory limit. Read from the partial index services_app_running_due alone
    (an index-only scan of a few per cent of the rows): the query repeats the index's condition, COUNT(*)
    asks for no column outside it, and on SQLite the other conditions are `unindexed` so that no other
    index looks cheaper to a planner without statistics."""
    return (applications(filters, user, unindexed=True).filter(RUNNING_CLOCK, due_at__lt=now)
            .annotate(month_index=_latest_first_bucket(months))
            .values("item_id", "region_id", "month_index").annotate(overdue=Count("*"))
            .values_list("item_id", "region_id", "month_index", "overdue"))


def count_demo_figures(*, actor, seed: int) -> dict:
    """`bohai demo`'s last services step: the demo's year of applications counted into the monthly figures,
    so that the dashboard reads them from the start (it would count from the applications until then)."""
    return recount_all()
