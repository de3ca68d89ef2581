"""The monthly figures (ServiceMonthlyFigures): the dashboard's settled measures counted ahead, per month of
submission (Beijing), item, handling region and unit, so that the city-wide dashboard adds up a few
thousand rows instead of scanning a million applications.

What is stored
    Every measure of statistics.Measures but `overdue`, which depends on the moment asked about: that one is
    always counted live from the applications still running (a few per cent of the rows, by the status
    index). The region is the application's own handling region (not its county), so that every scope and
    region filter (a county, a township) selects exactly the rows it selects among the applications.

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
      for months, an import with old submission dates): those months may be up to a day behind.
    The counting runs before the transaction, which only deletes and inserts (a few thousand rows), so
    SQLite's write lock is held for milliseconds, not for the scan.
"""
from datetime import date, datetime, time as clock_time, timedelta

from django.db import connection, transaction
from django.db.models import Case, Count, IntegerField, Max, Min, Q, Sum, Value, When
from django.utils import timezone

from bohai.engines.workdays.clock import LOCAL_ZONE
from bohai.engines.workdays.periods import add_months, last_day

from .models import Application, ServiceFiguresMonth, ServiceMonthlyFigures
from .statistics import (CLOCK_RUNNING, MAX_MONTHS, MEASURE_FIELDS, Filters, Sums, add_groups, applications,
                         grouped_applications, local_midnight, measure_expressions, scope_condition)

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
    with transaction.atomic():
        if whole_table:
            ServiceMonthlyFigures.objects.all().delete()
            ServiceFiguresMonth.objects.all().delete()
        else:
            ServiceMonthlyFigures.objects.filter(month__gte=months[0], month__lte=months[-1]).delete()
            ServiceFiguresMonth.objects.filter(month__gte=months[0], month__lte=months[-1]).delete()
        ServiceMonthlyFigures.objects.bulk_create(rows, batch_size=INSERT_BATCH)
        ServiceFiguresMonth.objects.bulk_create([ServiceFiguresMonth(month=month, computed_at=now) for month in months])
    return {"months": len(months), "rows": len(rows), "first": f"{months[0]:%Y-%m}", "last": f"{months[-1]:%Y-%m}"}


def _count(months: list[date], now: datetime, whole_table: bool):
    settled = {name: expression for name, expression in measure_expressions(now).items() if name in SETTLED_FIELDS}
    rows = Application.objects.filter(submitted_at__isnull=False).order_by()
    if not whole_table:
        rows = rows.filter(submitted_at__gte=local_midnight(months[0]),
                           submitted_at__lt=local_midnight(add_months(months[-1], 1)))
    return (rows.annotate(month_index=_latest_first_bucket(months))
            .values("item_id", "region_id", "organisation_id", "month_index").annotate(**settled)
            .values_list("item_id", "region_id", "organisation_id", "month_index", *SETTLED_FIELDS))


def _latest_first_bucket(months: list[date]) -> Case:
    """The index of a submission's month, comparing with the latest month first: most applications are
    recent, so most rows stop at the first comparisons."""
    return Case(*[When(submitted_at__gte=local_midnight(month), then=Value(index))
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

def summed_measures(filters: Filters, user, months: list[date], now: datetime) -> tuple[Sums, datetime | None]:
    """The dashboard's sums by item, region and month index for `months`: the whole months the figures hold
    from them, the rest from the applications, `overdue` live. With when the oldest figures used were
    counted (None when none were used)."""
    start, end = filters.start or months[0], filters.end or last_day(months[-1])
    counted = dict(ServiceFiguresMonth.objects.filter(month__gte=months[0], month__lte=months[-1])
                   .values_list("month", "computed_at"))
    stored = [index for index, month in enumerate(months)
              if month in counted and start <= month and last_day(month) <= end]
    if not stored:
        return add_groups(grouped_applications(filters, user, months, now)), None
    sums = _stored_sums(filters, user, months, stored)
    for piece_start, piece_end in _uncovered(months, stored, start, end):
        if _submissions_between(piece_start, piece_end):
            add_groups(_without_overdue(grouped_applications(filters.between(piece_start, piece_end), user, months, now)),
                       sums)
    add_groups(_overdue_groups(filters.between(start, end), user, months, now), sums)
    return sums, min(counted[months[index]] for index in stored)


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
    """Overdue now: running (not awaiting a supplement) and past the statutory limit; by the status index."""
    grouped = (applications(filters, user).filter(status__in=CLOCK_RUNNING, due_at__lt=now)
               .annotate(month_index=_latest_first_bucket(months))
               .values("item_id", "region_id", "month_index").annotate(overdue=Count("pk"))
               .values_list("item_id", "region_id", "month_index", "overdue"))
    zeros = [0] * len(MEASURE_FIELDS)
    groups = []
    for item_id, region_id, month_index, overdue in grouped:
        values = list(zeros)
        values[OVERDUE_POSITION] = overdue
        groups.append((item_id, region_id, month_index, *values))
    return groups


def count_demo_figures(*, actor, seed: int) -> dict:
    """`bohai demo`'s last services step: the demo's year of applications counted into the monthly figures,
    so that the dashboard reads them from the start (it would count from the applications until then)."""
    return recount_all()
