"""The dashboard from the monthly figures equals the dashboard from the applications, for every scope and range.

`generated` draws 400 applications from July to December 2026 (some at the edges of a month in Beijing
time) across the city, two counties and a township, two departments and every state, with statutory
limits before and after NOW, reviews of every rating and rectifications of the bad ones.
"""
import random
from datetime import date, timedelta

import pytest
from django.utils import timezone

from bohai.kernel.accounts.models import User
from bohai.services import statistics, statistics_rollup
from bohai.services.jobs import refresh_monthly_figures as refresh_job
from bohai.services.models import (Application, Rectification, RectificationStatus, Review, ServiceFiguresMonth,
                                   ServiceMonthlyFigures, Status)
from bohai.services.statistics import Filters
from bohai.testing.fixtures import organisation_in

from .conftest import at

NOW = at("2026-12-15T12:00")
MONTHS = [date(2026, month, 1) for month in range(7, 13)]
STATES = [Status.DRAFT, Status.SUBMITTED, Status.SUPPLEMENT, Status.IN_REVIEW, Status.APPROVED, Status.LICENSED,
          Status.COMPLETED, Status.COMPLETED, Status.COMPLETED, Status.REJECTED, Status.DENIED, Status.WITHDRAWN]


@pytest.fixture
def generated(catalogue, resident, cangzhou):
    rng = random.Random(20261215)
    items = [catalogue["employment"], catalogue["clinic"]]
    places = [cangzhou[key] for key in ("city", "cang", "qing", "township")]
    rows = []
    for n in range(400):
        item, region = rng.choice(items), rng.choice(places)
        month = rng.choice(MONTHS)
        if n % 25 == 0:    # the last half hour of a month and the first of the next, Beijing time
            submitted = at(f"{month:%Y-%m}-01T00:10") - timedelta(minutes=rng.choice((-20, 20)))
        else:
            submitted = at(f"{month:%Y-%m}-01T08:00") + timedelta(days=rng.randint(0, 27), minutes=rng.randint(0, 900))
        status = rng.choice(STATES)
        done = status in (Status.COMPLETED, Status.REJECTED, Status.DENIED, Status.WITHDRAWN)
        rows.append(Application(
            number=f"GEN{n:05d}", item=item, applicant_person=resident.person, applicant_name="张明",
            submitted_by=resident, channel=rng.choice(("online", "window")), region=region,
            organisation=None if n % 9 == 0 else organisation_in(region, item.department), status=status,
            submitted_at=None if status == Status.DRAFT else submitted,
            accepted_at=submitted + timedelta(hours=3) if rng.random() < 0.7 else None,
            completed_at=submitted + timedelta(days=5) if done else None,
            due_at=NOW + timedelta(days=rng.randint(-40, 20)), handled_online=rng.random() < 0.8,
            on_time=rng.choice((True, False, None)) if done else None,
            working_days=rng.choice((None, 0, 3, 7, 12)) if done else None))
    created = Application.objects.bulk_create(rows)
    for application in created:
        if application.status == Status.COMPLETED and rng.random() < 0.8:
            rating = rng.randint(1, 5)
            review = Review.objects.create(application=application, rating=rating, region=application.region,
                                           organisation=application.organisation,
                                           created_at=application.completed_at + timedelta(days=1))
            if rating <= 2:
                answered = rng.random() < 0.5
                Rectification.objects.create(
                    review=review, region=review.region, organisation=review.organisation,
                    status=RectificationStatus.CLOSED if answered else RectificationStatus.OPEN,
                    due_at=review.created_at + timedelta(days=21), on_time=rng.choice((True, False)) if answered else None)
    return created


@pytest.fixture
def viewers(make_staff, cangzhou, staff, django_user_model):
    superuser = make_staff(None, cangzhou["city"], superuser=True)
    return {"nobody (all rows)": None, "superuser": superuser,
            "city officer": make_staff("city_officer", cangzhou["city"]),
            "青县 officer": make_staff("county_officer", cangzhou["qing"]),
            "沧县 officer": make_staff("county_officer", cangzhou["cang"]),
            "旧州镇 officer": make_staff("county_officer", cangzhou["township"]),
            "沧县 human resources head": staff["hr_head"],
            "no role": make_staff(None, cangzhou["cang"])}


def ranges(cangzhou, catalogue) -> dict:
    quarter = {"start": date(2026, 10, 1), "end": date(2026, 12, 31)}
    return {
        "July to December": Filters.for_months(date(2026, 7, 1), date(2026, 12, 1)),
        "open ends": Filters(),
        "September to November": Filters.for_months(date(2026, 9, 1), date(2026, 11, 1)),
        "days across months": Filters(start=date(2026, 8, 15), end=date(2026, 11, 10)),
        "thirteen months": Filters.for_months(date(2025, 12, 1), date(2026, 12, 1)),
        "into next year": Filters.for_months(date(2026, 11, 1), date(2027, 2, 1)),
        "沧县": Filters(region=cangzhou["cang"], **quarter),
        "旧州镇": Filters(region=cangzhou["township"], **quarter),
        "青县 in November": Filters.for_months(date(2026, 11, 1), date(2026, 11, 1), region=cangzhou["qing"]),
        "health": Filters(department="health", **quarter),
        "employment": Filters(item=catalogue["employment"], **quarter),
    }


def shown(board: statistics.Dashboard) -> dict:
    rows = {name: [(row.key, row.label, row.measures) for row in getattr(board, name)]
            for name in ("items", "departments", "counties", "months")}
    return {**rows, "totals": board.summary.measures, "ratings": board.summary.rating_counts,
            "rectifications": board.summary.rectifications}


def test_from_the_figures_equals_from_the_applications(generated, viewers, cangzhou, catalogue):
    counted = statistics_rollup.recount_all(NOW)
    assert counted["rows"] == ServiceMonthlyFigures.objects.count() > 20
    assert ServiceFiguresMonth.objects.filter(month__in=MONTHS).count() == 6
    checked = 0
    for who, user in viewers.items():
        for name, filters in ranges(cangzhou, catalogue).items():
            if user is not None:
                user = User.objects.get(pk=user.pk)  # no cached permissions between the two
            from_figures = statistics.dashboard(filters, user, NOW)
            from_applications = statistics.dashboard_from_applications(filters, user, NOW)
            assert shown(from_figures) == shown(from_applications), (who, name)
            assert from_figures.as_of == (NOW if from_figures.months else None), (who, name)
            checked += from_applications.summary.measures.submitted
    assert checked > 2000  # the comparisons were not of empty boards
    whole = statistics.dashboard(Filters.for_months(MONTHS[0], MONTHS[-1]), None, NOW).summary.measures
    assert whole.submitted == Application.objects.filter(submitted_at__gte=at("2026-07-01T00:00")).count()
    assert whole.overdue > 0 and whole.reviews > 0 and whole.bad > 0


def test_the_figures_are_read_not_recounted(generated, catalogue):
    statistics_rollup.recount_all(NOW)
    november = Filters.for_months(date(2026, 11, 1), date(2026, 11, 1))
    before = statistics.dashboard(november, None, NOW).summary.measures
    Application.objects.filter(pk__in=[a.pk for a in generated if a.submitted_at and a.submitted_at.month == 11][:5],
                               ).update(handled_online=False, status=Status.COMPLETED)
    stale = statistics.dashboard(november, None, NOW).summary.measures
    assert (stale.online, stale.completed) == (before.online, before.completed)  # up to five minutes old
    statistics_rollup.recount_recent(at("2026-12-15T12:05"))
    fresh = statistics.dashboard(november, None, NOW)
    assert shown(fresh) == shown(statistics.dashboard_from_applications(november, None, NOW))
    assert fresh.as_of == at("2026-12-15T12:05")


def test_overdue_is_counted_at_the_moment_asked(generated):
    statistics_rollup.recount_all(NOW)
    quarter = Filters.for_months(date(2026, 10, 1), date(2026, 12, 1))
    for moment in (NOW - timedelta(days=30), NOW, NOW + timedelta(days=30)):
        assert (statistics.dashboard(quarter, None, moment).summary.measures.overdue
                == statistics.dashboard_from_applications(quarter, None, moment).summary.measures.overdue)
    assert (statistics.dashboard(quarter, None, NOW - timedelta(days=30)).summary.measures.overdue
            < statistics.dashboard(quarter, None, NOW + timedelta(days=30)).summary.measures.overdue)


def test_a_county_officer_reads_only_the_county_rows(generated, viewers, cangzhou):
    statistics_rollup.recount_all(NOW)
    officer = viewers["青县 officer"]
    # The figures are read within the scope of services.view_application, as the applications are.
    visible = ServiceMonthlyFigures.objects.filter(statistics.scope_condition(officer, ""))
    assert visible.exists() and set(visible.values_list("region_id", flat=True)) == {cangzhou["qing"].pk}
    board = statistics.dashboard(Filters.for_months(MONTHS[0], MONTHS[-1]), officer, NOW)
    assert [row.key for row in board.counties] == ["130922"]
    in_qing = Application.objects.filter(region=cangzhou["qing"]).exclude(submitted_at=None).count()
    assert board.summary.measures.submitted == in_qing
    township_head = viewers["旧州镇 officer"]
    board = statistics.dashboard(Filters.for_months(MONTHS[0], MONTHS[-1]), township_head, NOW)
    assert board.summary.measures.submitted == Application.objects.filter(region=cangzhou["township"]).exclude(
        submitted_at=None).count()


def test_months_not_counted_come_from_the_applications(generated, resident, catalogue, cangzhou):
    """Before the first count everything comes from the applications; afterwards a month the figures do not
    hold (an application dated into January 2027) is counted from them too."""
    quarter = Filters.for_months(date(2026, 10, 1), date(2027, 1, 1))
    board = statistics.dashboard(quarter, None, NOW)
    assert board.as_of is None
    assert shown(board) == shown(statistics.dashboard_from_applications(quarter, None, NOW))
    statistics_rollup.recount_all(NOW)
    Application.objects.create(number="GEN-JAN", item=catalogue["clinic"], applicant_person=resident.person,
                               applicant_name="张明", submitted_by=resident, channel="online", region=cangzhou["qing"],
                               status=Status.IN_REVIEW, submitted_at=at("2027-01-02T09:00"), handled_online=True,
                               due_at=NOW - timedelta(days=1))
    board = statistics.dashboard(quarter, None, NOW)
    assert board.months[-1].key == "2027-01" and board.months[-1].measures.submitted == 1
    assert board.months[-1].measures.overdue == 1
    assert shown(board) == shown(statistics.dashboard_from_applications(quarter, None, NOW))


def test_the_recent_refresh_leaves_older_months_to_the_nightly_count(generated):
    statistics_rollup.recount_all(NOW)
    september = [a.pk for a in generated if a.submitted_at and statistics_rollup.local_month(a.submitted_at) == MONTHS[2]]
    Application.objects.filter(pk__in=september).update(handled_online=True)
    result = statistics_rollup.refresh_monthly_figures(NOW + timedelta(minutes=5))
    assert (result["full"], result["first"], result["last"]) == (False, "2026-11", "2026-12")
    whole = Filters.for_months(MONTHS[0], MONTHS[-1])
    assert statistics.dashboard(whole, None, NOW).as_of == NOW   # September still from the first count
    assert shown(statistics.dashboard(whole, None, NOW)) != shown(statistics.dashboard_from_applications(whole, None, NOW))
    # The first run after 02:00 (Beijing) the next day counts every month again.
    assert statistics_rollup.refresh_monthly_figures(at("2026-12-16T01:55"))["full"] is False
    assert statistics_rollup.refresh_monthly_figures(at("2026-12-16T02:05"))["full"] is True
    assert statistics_rollup.refresh_monthly_figures(at("2026-12-16T02:10"))["full"] is False
    assert shown(statistics.dashboard(whole, None, NOW)) == shown(statistics.dashboard_from_applications(whole, None, NOW))


def test_the_refresh_keeps_the_rectifications_of_every_month_current(generated):
    statistics_rollup.recount_all(NOW)
    july_and_august = Rectification.objects.filter(status=RectificationStatus.OPEN,
                                                   review__application__submitted_at__lt=at("2026-08-25T00:00"))
    assert july_and_august.count() >= 2
    # Answered and closed long after those months left the five-minute refresh.
    changed = july_and_august.update(status=RectificationStatus.CLOSED, on_time=False)
    whole = Filters.for_months(MONTHS[0], MONTHS[-1])
    stale = statistics.dashboard(whole, None, NOW).summary.rectifications
    assert statistics_rollup.refresh_monthly_figures(NOW + timedelta(minutes=5))["first"] == "2026-11"
    fresh = statistics.dashboard(whole, None, NOW)
    assert fresh.summary.rectifications == statistics.dashboard_from_applications(whole, None, NOW).summary.rectifications
    assert (fresh.summary.rectifications["open"], fresh.summary.rectifications["closed"]) == (
        stale["open"] - changed, stale["closed"] + changed)
    assert fresh.as_of == NOW  # the applications of July and August were not counted again
    in_july = Filters.for_months(MONTHS[0], MONTHS[0])
    assert shown(statistics.dashboard(in_july, None, NOW)) == shown(statistics.dashboard_from_applications(in_july, None, NOW))


def test_overdue_is_read_from_the_partial_index_alone(generated, viewers, cangzhou):
    """On SQLite whatever its statistics say (none here); on PostgreSQL once a table scan is ruled out, as the
    planner rules it out for a large table: the query matches the index's condition."""
    from django.db import connection

    quarter = Filters(start=date(2026, 10, 1), end=date(2026, 12, 31), department="health")
    for user in (viewers["沧县 officer"], viewers["沧县 human resources head"], None):
        query = statistics_rollup.overdue_query(quarter, user, MONTHS[3:], NOW)
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute("SET LOCAL enable_bitmapscan = off")
                cursor.execute("EXPLAIN " + sql, params)
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(part) for row in cursor.fetchall() for part in row)
        assert "services_app_running_due" in plan and "Seq Scan" not in plan, plan
    by_rows = statistics.dashboard_from_applications(quarter, None, NOW).summary.measures.overdue
    assert sum(row[3] for row in statistics_rollup.overdue_query(quarter, None, MONTHS[3:], NOW)) == by_rows > 0


def test_the_periodic_job_counts_everything_on_its_first_run(generated):
    from bohai.kernel.jobs.registry import registry

    definition = registry.get("services.refresh_monthly_figures")
    assert definition.every == timedelta(minutes=5)
    assert refresh_job()["full"] is True          # nothing counted yet
    assert refresh_job()["full"] is False         # then the recent months only
    assert ServiceMonthlyFigures.objects.count() > 0


def test_the_page_says_how_old_the_figures_are(generated, make_staff, client_for, cangzhou):
    officer = make_staff("city_officer", cangzhou["city"])
    counted_at = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=3)
    statistics_rollup.recount_all(counted_at)
    response = client_for(officer).get("/work/services/statistics/", {"start": "2026-10", "end": "2026-12"})
    assert response.status_code == 200
    assert f"数据截至 {timezone.localtime(counted_at):%H:%M}" in response.content.decode()


def test_the_demo_counts_its_applications_into_the_figures(generated):
    from bohai.services.setup_steps import demo_steps

    steps = dict((str(label), step) for label, step in demo_steps())
    assert list(steps)[-1] == "政务服务统计月度汇总"
    result = steps["政务服务统计月度汇总"](actor="test", seed=2026)
    assert result["rows"] == ServiceMonthlyFigures.objects.count() > 0
    assert ServiceFiguresMonth.objects.filter(month__in=MONTHS).count() == 6
