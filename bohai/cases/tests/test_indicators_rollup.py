"""The monthly rollup gives exactly the figures of the raw rows: a few thousand generated cases over nine
months (two counties, townships, a grid, several units; refused, merged, late, reworked, deferred, open,
answered), counted from the rows alone and from rollup + live rows, city-wide and for a county officer,
over whole-month ranges; then after cases change (closed, reopened, added, deleted) before the next
refresh, and after it."""
import random
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from bohai.cases import indicators, rollup
from bohai.cases.indicators import Filters
from bohai.cases.jobs import refresh_rollup
from bohai.cases.models import Case, CaseMonthRollup, CaseRollupMonth, Status
from bohai.engines.workdays.periods import add_months, last_day
from bohai.kernel.regions.models import Region
from bohai.testing.fixtures import organisation_in

CASES = 2400
MONTHS = 9


@pytest.fixture
def places(city):
    """Besides the fixture's county 沧县 (with 旧州镇) and 青县: a township of 青县 and a grid in 旧州镇."""
    qing_town = Region(key="130922100", code="130922100", name="青县清州镇", level="township", parent=city["qing"])
    qing_town.path = qing_town.build_path()
    qing_town.save()
    grid = Region(key="130921100-g1", name="旧州镇第一网格", level="grid", parent=city["township"])
    grid.path = grid.build_path()
    grid.save()
    units = {**city["units"], "qing_urban": organisation_in(city["qing"], "urban_management"),
             "qing_water": organisation_in(city["qing"], "water")}
    return {**city, "qing_town": qing_town, "grid": grid, "all_units": units}


def generate(places, now, count=CASES, seed=7) -> list[Case]:
    """Cases reported over the last MONTHS months in every state, the deadlines of the latest still ahead."""
    rng = random.Random(seed)
    classes = [c for c in places["classes"].values() if c.parent_id]
    placements = [  # (region, county, township, grid, units)
        (places["grid"], places["cang"], places["township"], places["grid"], ("urban_management", "water")),
        (places["township"], places["cang"], places["township"], None, ("urban_management", "township_office")),
        (places["cang"], places["cang"], None, None, ("public_security", "housing_construction")),
        (places["qing_town"], places["qing"], places["qing_town"], None, ("qing_urban", "qing_water")),
        (places["qing"], places["qing"], None, None, ("qing_urban",)),
        (places["city"], None, None, None, ("grid_command",)),
    ]
    cases = []
    for _ in range(count):
        region, county, township, grid, unit_keys = rng.choice(placements)
        track = rng.choice(("city", "hotline"))
        reported = now - timedelta(days=rng.uniform(0, 30.4 * MONTHS), minutes=rng.randint(0, 600))
        case = Case(track=track, source="patrol" if track == "city" else "hotline", description="生成的案件",
                    case_class=rng.choice(classes), region=region, county=county, township=township, grid=grid,
                    reported_at=reported, status=Status.REPORTED if track == "city" else Status.ACCEPTED)
        fate(case, rng, now, places["all_units"][rng.choice(unit_keys)])
        cases.append(case)
    return Case.objects.bulk_create(cases)


def fate(case: Case, rng, now, unit) -> None:
    city = case.track == "city"
    u = rng.random()
    if u < 0.06:
        case.status, case.closed_at = Status.INVALID, case.reported_at + timedelta(hours=1)
        return
    if u < 0.1:
        case.status, case.closed_at = Status.MERGED, case.reported_at + timedelta(hours=1)
        return
    if city and rng.random() < 0.05:
        return                                                  # awaiting filing
    t = case.reported_at + timedelta(minutes=30)
    case.filed_at = t if city else None
    case.status = Status.FILED if city else Status.ACCEPTED
    if rng.random() < 0.1:
        case.sendback_count, case.first_dispatch_correct, case.dispatch_count = 1, False, 1
    case.dispatch_count += 1
    case.dispatched_at, case.organisation = t + timedelta(hours=1), unit
    case.status = Status.DISPATCHED
    if city and rng.random() < 0.95:
        case.signed_at = case.dispatched_at + timedelta(hours=rng.randint(1, 30))
        case.status = Status.HANDLING
        if case.first_dispatch_correct is None:
            case.first_dispatch_correct = True
    limit = timedelta(days=rng.choice((3, 5, 10, 20)))
    case.due_at = case.dispatched_at + limit
    if rng.random() < 0.08:
        return                                                  # the backlog
    if city and rng.random() < 0.04:
        case.status = Status.DEFERRED
        return
    late = rng.random() < 0.25
    handled = case.due_at + limit * rng.uniform(0.1, 1.2) if late else case.dispatched_at + limit * rng.uniform(0.1, 0.95)
    if handled > now:
        return
    case.handled_at, case.status = handled, Status.HANDLED if city else Status.REPLIED
    if city:
        case.verified_count = 1
        if rng.random() < 0.05:
            case.verified_count, case.rework_count = 2, 1
    closed = handled + timedelta(hours=rng.randint(2, 60))
    if closed > now or rng.random() < 0.05:
        return
    case.closed_at, case.status, case.on_time = closed, Status.CLOSED, handled <= case.due_at
    if not city and rng.random() < 0.9:
        case.satisfaction = rng.choice(("satisfied", "basically", "dissatisfied"))


def periods(today: date) -> list[Filters]:
    this_month = today.replace(day=1)
    first = add_months(this_month, 1 - MONTHS)
    return [
        Filters.for_months(*indicators.last_months(13, today)),
        Filters.for_months(first, this_month),
        Filters.for_months(add_months(this_month, -4), add_months(this_month, -2)),
        Filters.for_months(add_months(this_month, -1), add_months(this_month, -1)),
        Filters.for_months(this_month, this_month),
        Filters(start=add_months(this_month, -3)),
        Filters(),
    ]


def figures(filters: Filters, user, now) -> dict:
    """Everything the dashboard shows, in comparable form."""
    source = indicators.cube(filters, user, now)
    by_place = indicators.cube(filters, user, now, by_month=False)
    return {
        "summary": indicators.summary(filters, user, now),
        "total": source.total(),
        "cells": source.cells,
        "places": by_place.cells,
        "rows": {by: [row.as_dict() for row in indicators.rank(source.rows(by), minimum=3)]
                 for by in ("department", "unit", "township", "county", "month")},
        "hotspots": indicators.hotspots(filters, user, now, source=source),
    }


def raw_figures(monkeypatch, filters, user, now) -> dict:
    with monkeypatch.context() as patch:
        patch.setattr(rollup, "plan", lambda *args: None)
        return figures(filters, user, now)


def assert_same_as_raw(monkeypatch, users, now, extra=()):
    for filters in [*periods(timezone.localdate(now)), *extra]:
        for name, user in users.items():
            expected = raw_figures(monkeypatch, filters, user, now)
            assert figures(filters, user, now) == expected, (name, filters)


@pytest.fixture
def officers(places, make_staff):
    return {"superuser": make_staff(None, places["city"], superuser=True),
            "city": make_staff("city_officer", places["city"]),
            "cang": make_staff("county_officer", places["cang"])}


@pytest.fixture
def world(places):
    now = timezone.now()
    generate(places, now)
    Case.objects.update(updated_at=now - timedelta(hours=1))  # as if written an hour ago
    return now


def test_rollup_plus_live_rows_equal_the_raw_rows(world, places, officers, monkeypatch):
    now = world
    result = refresh_rollup()
    assert len(result["months"]) >= MONTHS
    settled = Case.objects.filter(status__in=rollup.SETTLED)
    assert result["cases"] == settled.count()
    assert sum(CaseMonthRollup.objects.values_list("reported", flat=True)) == settled.count()
    plan = rollup.plan(periods(timezone.localdate(now))[0], Q(), now)
    assert plan is not None and len(plan.clean) == len(result["months"])
    assert Case.objects.filter(plan.live).count() < Case.objects.count() / 2  # most come from the rollup
    extra = [Filters.for_months(*indicators.last_months(13), track="city"),
             Filters.for_months(*indicators.last_months(13), region=places["qing"]),
             Filters.for_months(*indicators.last_months(13), organisation=places["all_units"]["qing_urban"]),
             Filters.for_months(*indicators.last_months(13), department="urban_management"),
             Filters.for_months(*indicators.last_months(13), region=places["township"])]
    assert_same_as_raw(monkeypatch, officers, now, extra)

    city_total = indicators.summary(periods(timezone.localdate(now))[1], officers["city"], now)
    cang_total = indicators.summary(periods(timezone.localdate(now))[1], officers["cang"], now)
    assert 0 < cang_total.reported < city_total.reported
    for measure in ("refused", "merged", "reworked", "satisfied", "due_closed_on_time", "deferred", "open", "overdue"):
        assert getattr(city_total, measure) > 0, measure


def test_changes_before_the_refresh_are_counted_live_and_the_refresh_catches_up(world, places, officers, monkeypatch):
    now = world
    refresh_rollup()
    before = rollup.plan(Filters(), Q(), now).clean
    closed = Case.objects.filter(status=Status.CLOSED).order_by("reported_at")
    reopened = closed.first()
    reopened.status, reopened.on_time = Status.HANDLING, None  # a closed case taken up again
    reopened.save()
    edited = closed.last()
    edited.satisfaction = "dissatisfied"
    edited.save()
    waiting = Case.objects.filter(status=Status.HANDLED).order_by("reported_at").first()
    waiting.status, waiting.closed_at, waiting.on_time = Status.CLOSED, now, True
    waiting.save()
    Case.objects.filter(status=Status.INVALID).order_by("-reported_at").last().delete()
    generate(places, now, count=40, seed=8)  # new cases, some reported months ago (late entries)
    later = timezone.now()
    stale = rollup.plan(Filters(), Q(), later).clean
    assert stale < before  # the changed months are out of the rollup until the refresh
    assert_same_as_raw(monkeypatch, officers, later)

    later += rollup.MARGIN + timedelta(minutes=1)  # the job's next run, the changes past its margin
    refreshed = rollup.refresh(actor="test", now=later)
    assert refreshed["months"] and set(refreshed["months"]) < {f"{m:%Y-%m}" for m in before}
    assert rollup.plan(Filters(), Q(), later).clean == before
    assert_same_as_raw(monkeypatch, officers, later)
    assert rollup.refresh(actor="test", now=later)["months"] == []  # nothing changed since


def test_the_job_runs_every_five_minutes_and_audits_what_it_counted(world):
    from bohai.kernel.audit.models import AuditRecord
    from bohai.kernel.jobs.registry import registry

    assert registry.get("cases.refresh_rollup").every == timedelta(minutes=5)
    result = refresh_rollup()
    trail = AuditRecord.objects.filter(action="cases.rollup.refresh").get()
    assert trail.after["months"] == result["months"] and trail.after["cases"] == result["cases"]
    assert refresh_rollup()["months"] == []  # nothing changed: no work, no record
    assert AuditRecord.objects.filter(action="cases.rollup.refresh").count() == 1


def test_a_new_calendar_retires_the_rollup(world, officers, monkeypatch):
    now = world
    refresh_rollup()
    monkeypatch.setattr(rollup, "calendar_fingerprint", lambda: "another calendar")
    assert rollup.plan(Filters(), Q(), now) is None
    assert len(rollup.months_to_refresh(now)) == CaseRollupMonth.objects.count()


def test_periods_cut_inside_a_month_and_grid_scopes_are_counted_from_the_rows(world, places, officers, monkeypatch):
    now = world
    refresh_rollup()
    today = timezone.localdate(now)
    cut = Filters(start=add_months(today.replace(day=1), -3) + timedelta(days=9), end=last_day(add_months(today, -1)))
    grid = Filters.for_months(*indicators.last_months(13), region=places["grid"])
    assert rollup.plan(cut, Q(), now) is None and rollup.plan(grid, Q(), now) is None
    assert_same_as_raw(monkeypatch, officers, now, [cut, grid])


def test_an_empty_rollup_counts_from_the_rows(world, officers):
    """A fresh install (the demo writes its cases in bulk): correct before the job has ever run."""
    assert CaseRollupMonth.objects.count() == 0
    assert rollup.plan(Filters(), Q(), world) is None
    assert indicators.summary(Filters(), officers["city"], world).reported == Case.objects.count()


def query_plan(sql: str, params, only_index_only: bool = False) -> str:
    """The planner's plan as one text; on PostgreSQL with sequential scans (or, `only_index_only`, all but
    index-only scans) priced out, so that the small test table shows which indexes can serve the query
    (the bench's EXPLAIN ANALYZE over a million cases shows what the planner picks there)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            if only_index_only:
                cursor.execute("SET LOCAL enable_indexscan = off")
                cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return " ".join(str(part) for row in cursor.fetchall() for part in row)


def test_hot_spots_are_read_from_the_grid_index_alone(world):
    filters = Filters.for_months(*indicators.last_months(13))
    assert dict(indicators.grid_counts_query(filters, Q(), world))  # the world has gridded cases
    plan = query_plan(*indicators.grid_counts_query(filters, Q(), world).query.sql_with_params(), only_index_only=True)
    assert "cases_case_grid_reported" in plan, plan
    assert ("Index Only Scan" if connection.vendor == "postgresql" else "COVERING INDEX") in plan


def test_a_short_period_is_read_through_the_reported_and_due_indexes(world):
    refresh_rollup()
    last_month = add_months(timezone.localdate(world).replace(day=1), -1)
    month = Filters.for_months(last_month, last_month)
    plan = rollup.plan(month, Q(), world)
    sql, params, _packing = indicators.pass_sql(month, Q(), world, [month.start], grouped=True, rows=plan.live)
    text = query_plan(sql, params)
    assert "cases_case_due_at" in text and "cases_case_reporte_346c7b_idx" in text
    long_sql, long_params, _packing = indicators.pass_sql(Filters.for_months(*indicators.last_months(13)), Q(), world,
                                                          [], grouped=True, rows=plan.live)
    if connection.vendor == "sqlite":  # a long period holds most rows: the table is read, not the indexes
        assert "cases_case_due_at" not in query_plan(long_sql, long_params)
