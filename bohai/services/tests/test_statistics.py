"""The office's figures against numbers worked out by hand, the scopes, the dashboard, its export and the API.

Thirteen applications are submitted from October to December 2026, one in September and one is
a draft (see `office`). The clock stops at NOW = 15 December 2026, 12:00.

    app  item        handled in  status       online  accepted  on time  days  due (overdue?)   review
    A1   employment  沧县        completed    yes     yes       yes      3                      5
    A2   employment  沧县        rejected     yes     -
    A3   employment  沧县        completed    no*     yes       yes      3                      2 → rectification open, overdue
    A4   employment  沧县        supplement   yes     -                        17 Nov (paused: no)
    B1   employment  沧县        completed    yes     yes       no       14                     4
    B2   employment  沧县        in_review    yes     yes                      4 Dec (yes)
    B3   employment  沧县        in_review    no      yes                      24 Dec (no)
    B4   clinic      青县        completed    yes     yes       yes      8                      3
    B5   clinic      青县        denied       yes     yes
    B6   clinic      青县        withdrawn    no      -
    B7   clinic      青县        approved     yes     yes                      17 Nov (yes)
    B8   clinic      city        completed    yes     yes       yes      5                      1 → rectification answered on time
    B10  employment  沧县        submitted    yes     -                        15 Oct (yes)   submitted 1 Oct 00:30 local
    B11  employment  沧县        completed    no      yes       no       20                     submitted 30 Sep 23:30 local
    B9   employment  沧县        draft (never counts)
    (* A3 came in at the window)

A1–A4 go through the real actions (submission, acceptance, the steps, supplement, reviews);
the B rows are written directly, since how they got there does not change the figures. The tests that take
`figures_from` run twice: counted from the rows, and read from the monthly figures counted at NOW.
"""
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest

from bohai.engines.workflows.models import TaskStatus, WorkflowTask
from bohai.kernel.audit.models import AuditRecord
from bohai.services import actions, statistics, statistics_rollup
from bohai.services.models import Application, Status
from bohai.services.statistics import Filters
from bohai.testing.fixtures import organisation_in

from .conftest import PNG, at

NOW = at("2026-12-15T12:00")
Q4 = Filters(start=date(2026, 10, 1), end=date(2026, 12, 31))


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def _employment_form(resident):
    return {"name": "张明", "id_number": resident.person.id_number, "employer": "沧州市运河区某某科技公司",
            "start_date": "2026-11-01"}


def _submit(catalogue, resident, actor, key, **options):
    if options.get("channel") != "window":
        options["uploads"] = {"m1": _upload("id.png", PNG), "m2": _upload("contract.png", PNG)}
    return actions.submit_application(catalogue["employment"], actor=actor, applicant_person=resident.person,
                                      form_data=_employment_form(resident), idempotency_key=key,
                                      at=at("2026-11-02T09:00"), **options)


def _open_task(application, stage):
    return WorkflowTask.objects.get(instance_id=application.workflow_id, stage_key=stage, status=TaskStatus.OPEN)


def _to_completion(application, staff):
    actions.accept_application(application, actor=staff["clerk"], at=at("2026-11-03T09:00"))
    for stage, who in (("review", "hr_officer"), ("decide", "hr_head"), ("issue", "hr_officer"), ("deliver", "clerk")):
        application = actions.handle_step(application, _open_task(application, stage), outcome="approve",
                                          actor=staff[who], license_fields={"employment_status": "就业"},
                                          at=at("2026-11-05T10:00"))
    return application


@pytest.fixture
def office(catalogue, resident, staff, cangzhou):
    employment, clinic = catalogue["employment"], catalogue["clinic"]
    hr_cang = catalogue["units"]["human_resources"]
    health_qing, health_city = organisation_in(cangzhou["qing"], "health"), organisation_in(cangzhou["city"], "health")
    numbers = iter(range(1, 100))

    def row(item, region, unit, status, submitted, *, online=True, channel=None, accepted=True, on_time=None,
            days=None, due=None):
        submitted_at = at(submitted) if submitted else None
        return Application.objects.create(
            number=f"TEST{next(numbers):04d}", item=item, applicant_person=resident.person, applicant_name="张明",
            submitted_by=resident, channel=channel or ("online" if online else "window"), region=region,
            organisation=unit, status=status, submitted_at=submitted_at,
            accepted_at=submitted_at + timedelta(hours=2) if accepted and submitted_at else None,
            completed_at=submitted_at + timedelta(days=days or 1) if status == Status.COMPLETED else None,
            due_at=at(due) if due else None, handled_online=online, on_time=on_time, working_days=days)

    cang, qing, city = cangzhou["cang"], cangzhou["qing"], cangzhou["city"]
    a1 = _to_completion(_submit(catalogue, resident, resident, "a1"), staff)
    a2 = actions.reject_application(_submit(catalogue, resident, resident, "a2"), reason="不属于本部门职责",
                                    actor=staff["clerk"], at=at("2026-11-02T10:00"))
    a3 = _to_completion(_submit(catalogue, resident, staff["clerk"], "a3", channel="window", paper_checked=["m1", "m2"]),
                        staff)
    a4 = actions.request_supplement(_submit(catalogue, resident, resident, "a4"), items=["劳动合同缺少签字页"],
                                    actor=staff["clerk"], at=at("2026-11-02T15:00"))
    b1 = row(employment, cang, hr_cang, Status.COMPLETED, "2026-10-10T10:00", on_time=False, days=14)
    row(employment, cang, hr_cang, Status.IN_REVIEW, "2026-11-20T10:00", due="2026-12-04T00:00")
    row(employment, cang, hr_cang, Status.IN_REVIEW, "2026-12-10T10:00", online=False, due="2026-12-24T00:00")
    b4 = row(clinic, qing, health_qing, Status.COMPLETED, "2026-11-03T10:00", on_time=True, days=8)
    row(clinic, qing, health_qing, Status.DENIED, "2026-11-04T10:00")
    row(clinic, qing, health_qing, Status.WITHDRAWN, "2026-12-01T10:00", online=False, accepted=False)
    row(clinic, qing, health_qing, Status.APPROVED, "2026-10-20T10:00", due="2026-11-17T00:00")
    b8 = row(clinic, city, health_city, Status.COMPLETED, "2026-12-02T10:00", on_time=True, days=5)
    row(employment, cang, hr_cang, Status.DRAFT, None)
    row(employment, cang, hr_cang, Status.SUBMITTED, "2026-10-01T00:30", accepted=False, due="2026-10-15T00:00")
    row(employment, cang, hr_cang, Status.COMPLETED, "2026-09-30T23:30", online=False, on_time=False, days=20)

    actions.review_application(a1, rating=5, actor=resident, at=at("2026-11-06T10:00"))
    actions.review_application(a3, rating=2, comment="窗口让我跑了两趟", actor=resident, at=at("2026-11-06T10:00"))
    actions.review_application(b1, rating=4, actor=resident, at=at("2026-10-20T10:00"))
    actions.review_application(b4, rating=3, actor=resident, at=at("2026-11-20T10:00"))
    bad = actions.review_application(b8, rating=1, comment="告知不清", actor=resident, at=at("2026-12-03T10:00"))
    actions.answer_rectification(bad.rectification, response="已修订办事指南并电话回访申请人。", actor="test",
                                 at=at("2026-12-05T10:00"))
    assert (a1.working_days, a3.working_days, a3.handled_online, a2.status, a4.status) == (
        3, 3, False, Status.REJECTED, Status.SUPPLEMENT)
    return {"a1": a1, "a3": a3, "qing_health": health_qing}


@pytest.fixture(params=["applications", "monthly figures"])
def figures_from(request, office):
    if request.param == "monthly figures":
        statistics_rollup.recount_all(NOW)
    return request.param


def counted_at(figures_from):
    """The `as_of` of figures read from the monthly figures, None when counted from the rows."""
    return NOW if figures_from == "monthly figures" else None


def test_the_volumes_and_rates_of_the_quarter(figures_from):
    assert statistics.counts(Q4, now=NOW).as_of == counted_at(figures_from)
    figures = statistics.summary(Q4, now=NOW)
    m = figures.measures
    # 13 submitted (B9 is a draft, B11 came on 30 September); accepted A1 A3 B1 B2 B3 B4 B5 B7 B8.
    assert (m.submitted, m.accepted) == (13, 9)
    # completed A1 A3 B1 B4 B8; in progress A4 B2 B3 B7 B10; 5 + 1 + 1 + 1 + 5 = 13.
    assert (m.completed, m.rejected, m.denied, m.withdrawn, m.in_progress) == (5, 1, 1, 1, 5)
    # Overdue: B2 (4 Dec), B7 (17 Nov), B10 (15 Oct); A4 is past its date but waits for a supplement; B3 is due 24 Dec.
    assert m.overdue == 3
    # Online: all but A3, B3, B6 → 10 / 13 = 76.923… %.
    assert (m.online, m.online_rate) == (10, Decimal("76.92"))
    # On time: A1 A3 B4 B8 of the five completed → 80 %; days (3 + 3 + 14 + 8 + 5) / 5 = 6.6.
    assert (m.on_time_rate, m.average_days) == (Decimal("80.00"), Decimal("6.60"))
    # Reviews 5, 2, 4, 3, 1: satisfied 2 of 5 = 40 %, mean 15 / 5 = 3, bad 2 (A3, B8).
    assert (m.reviews, m.satisfied, m.satisfaction, m.mean_rating, m.bad) == (5, 2, Decimal("40.00"), Decimal("3.00"), 2)
    assert figures.rating_counts == {5: 1, 4: 1, 3: 1, 2: 1, 1: 1}
    # A3's rectification is open and was due 28 Nov; B8's was answered two days after the review.
    rect = figures.rectifications
    assert (rect["total"], rect["open"], rect["overdue"], rect["answered"], rect["closed"], rect["on_time_rate"]) == (
        2, 1, 1, 1, 0, Decimal("100.00"))


def test_rectifications_are_current_after_the_next_refresh(office):
    statistics_rollup.recount_all(NOW)
    a3_fix = office["a3"].review.rectification
    # Answered a day late (due 28 November): the figures still show it open until the job's next run.
    actions.answer_rectification(a3_fix, response="已向申请人致歉并改进窗口告知。", actor="test", at=at("2026-12-15T12:02"))
    assert statistics.summary(Q4, now=NOW).rectifications["open"] == 1
    assert statistics_rollup.refresh_monthly_figures(at("2026-12-15T12:05"))["full"] is False
    rect = statistics.summary(Q4, now=NOW).rectifications
    assert (rect["total"], rect["open"], rect["overdue"], rect["answered"], rect["on_time_rate"]) == (
        2, 0, 0, 2, Decimal("50.00"))
    actions.close_rectification(a3_fix, actor="test", at=at("2026-12-15T12:06"))
    statistics_rollup.refresh_monthly_figures(at("2026-12-15T12:10"))
    assert statistics.summary(Q4, now=NOW).rectifications["closed"] == 1


def test_by_department_county_and_month(figures_from):
    departments = {row.key: row.measures for row in statistics.breakdown("department", Q4, now=NOW)}
    hr, health = departments["human_resources"], departments["health"]
    # Employment: A1–A4, B1–B3, B10. Online A1 A2 A4 B1 B2 B10 = 6 / 8; on time A1 A3 of A1 A3 B1;
    # days (3 + 3 + 14) / 3; overdue B2 B10; reviews 5 2 4 → 2 of 3 satisfied.
    assert (hr.submitted, hr.completed, hr.online_rate, hr.on_time_rate, hr.average_days, hr.overdue) == (
        8, 3, Decimal("75.00"), Decimal("66.67"), Decimal("6.67"), 2)
    assert (hr.reviews, hr.satisfaction) == (3, Decimal("66.67"))
    # Clinic: B4–B8. Online B4 B5 B7 B8 = 4 / 5; on time B4 B8; days (8 + 5) / 2; reviews 3 and 1.
    assert (health.submitted, health.online_rate, health.on_time_rate, health.average_days) == (
        5, Decimal("80.00"), Decimal("100.00"), Decimal("6.50"))
    assert (health.satisfaction, health.mean_rating, health.bad) == (Decimal("0.00"), Decimal("2.00"), 1)
    assert list(departments) == ["human_resources", "health"]  # largest first

    counties = statistics.breakdown("county", Q4, now=NOW)
    assert [(row.key, row.label, row.measures.submitted) for row in counties] == [
        ("_city", "市本级", 1), ("130921", "沧县", 8), ("130922", "青县", 4)]
    qing = counties[2].measures  # B4–B7: online B4 B5 B7, overdue B7, B4 on time
    assert (qing.online_rate, qing.overdue, qing.on_time_rate) == (Decimal("75.00"), 1, Decimal("100.00"))

    months = statistics.breakdown("month", Q4, now=NOW)
    # October B1 B7 B10 (B10 at 00:30 local on 1 Oct is 30 Sep in UTC); November A1–A4 B2 B4 B5; December B3 B6 B8.
    assert [(row.key, row.measures.submitted, row.measures.online_rate) for row in months] == [
        ("2026-10", 3, Decimal("100.00")), ("2026-11", 7, Decimal("85.71")), ("2026-12", 3, Decimal("33.33"))]

    items = statistics.breakdown("item", Q4, now=NOW)
    assert [(row.key, row.department, row.measures.submitted) for row in items] == [
        ("TEST-HR-001", "human_resources", 8), ("TEST-HEALTH-002", "health", 5)]


def test_filters_by_county_department_and_item(figures_from, cangzhou, catalogue):
    in_qing = statistics.summary(Filters(start=Q4.start, end=Q4.end, region=cangzhou["qing"]), now=NOW).measures
    assert (in_qing.submitted, in_qing.reviews) == (4, 1)
    health = statistics.summary(Filters(start=Q4.start, end=Q4.end, department="health"), now=NOW).measures
    assert (health.submitted, health.completed) == (5, 2)
    employment = statistics.summary(Filters(item=catalogue["employment"]), now=NOW).measures
    assert employment.submitted == 9  # with B11 from September; never the draft
    # The whole city: its own level and both counties.
    assert statistics.summary(Filters(start=Q4.start, end=Q4.end, region=cangzhou["city"]), now=NOW).measures.submitted == 13


def test_the_functions_the_planning_system_calls(office, cangzhou):
    # November: A1 A2 A3 A4 B2 B4 B5, all online but A3 → 6 / 7.
    assert statistics.online_handling_rate(date(2026, 11, 1), date(2026, 11, 30)) == Decimal("85.71")
    # 青县 in the quarter: B4 B5 B7 online of B4–B7 → 3 / 4; by key or code or Region.
    assert statistics.online_handling_rate(date(2026, 10, 1), date(2026, 12, 31), "130922") == Decimal("75.00")
    assert statistics.online_handling_rate(region=cangzhou["qing"], start=date(2026, 10, 1)) == Decimal("75.00")
    # Everything (B11 too): online 10 of 14; on time A1 A3 B4 B8 of A1 A3 B1 B4 B8 B11 → 4 / 6.
    assert statistics.online_handling_rate() == Decimal("71.43")
    assert statistics.on_time_rate() == Decimal("66.67")
    assert statistics.on_time_rate(date(2026, 10, 1), date(2026, 12, 31)) == Decimal("80.00")
    assert statistics.online_handling_rate(date(2027, 1, 1), date(2027, 1, 31)) is None
    with pytest.raises(LookupError):
        statistics.online_handling_rate(region="999999")


def test_a_county_officer_and_a_department_head_count_only_their_scope(figures_from, make_staff, cangzhou, staff):
    qing_officer = make_staff("county_officer", cangzhou["qing"])
    figures = statistics.summary(Q4, user=qing_officer, now=NOW)
    assert (figures.measures.submitted, figures.rating_counts) == (4, {5: 0, 4: 0, 3: 1, 2: 0, 1: 0})  # B4–B7; B4's
    assert figures.rectifications["total"] == 0
    assert Application.objects.restrict(qing_officer).filter(Q4.condition()).count() == 4
    # The employment head sees 沧县's human-resources unit: A1–A4, B1–B3, B10.
    head = statistics.summary(Q4, user=staff["hr_head"], now=NOW)
    assert (head.measures.submitted, head.rectifications["open"], head.rectifications["total"]) == (8, 1, 1)
    assert statistics.counts(Q4, user=staff["hr_head"], now=NOW).as_of == counted_at(figures_from)
    nobody = make_staff(None, cangzhou["cang"])
    assert statistics.summary(Q4, user=nobody, now=NOW).measures.submitted == 0
    assert statistics.breakdown("county", Q4, user=nobody, now=NOW) == []


def test_the_dashboard_counts_everything_in_one_pass(office, django_assert_max_num_queries):
    # The months the monthly figures hold (none here), one grouped scan (item × region × month), the
    # rectifications, then names: items, regions, units.
    with django_assert_max_num_queries(7):
        board = statistics.dashboard(Q4, now=NOW)
    for by, rows in (("item", board.items), ("department", board.departments), ("county", board.counties),
                     ("month", board.months)):
        assert [(r.key, r.measures) for r in rows] == [(r.key, r.measures) for r in statistics.breakdown(by, Q4, now=NOW)]
    assert board.summary.measures == statistics.summary(Q4, now=NOW).measures
    assert board.summary.rectifications == statistics.summary(Q4, now=NOW).rectifications


def test_the_figures_take_a_fixed_number_of_queries(office, django_assert_max_num_queries):
    # The months the monthly figures hold, the grouping, the names.
    for by, most in (("item", 3), ("department", 4), ("county", 4), ("month", 2)):
        with django_assert_max_num_queries(most):
            statistics.breakdown(by, Q4, now=NOW)
    with django_assert_max_num_queries(3):  # the months held, the grouping, the rectifications
        statistics.summary(Q4, now=NOW)


# The dashboard, its export and the API ---------------------------------------------------------

@pytest.fixture
def city_officer(make_staff, cangzhou):
    return make_staff("city_officer", cangzhou["city"])


def test_dashboard_shows_the_quarter(office, city_officer, client_for, cangzhou):
    response = client_for(city_officer).get("/work/services/statistics/", {"start": "2026-10", "end": "2026-12"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "网上办理率" in page and "76.92" in page and "沧县" in page and "青县" in page
    context = response.context
    assert context["summary"].measures.submitted == 13
    assert [row.key for row in context["departments"]] == ["human_resources", "health"]


def test_dashboard_filters_and_scope(office, make_staff, client_for, cangzhou):
    officer = make_staff("county_officer", cangzhou["qing"])
    client = client_for(officer)
    response = client.get("/work/services/statistics/", {"start": "2026-10", "end": "2026-12"})
    assert response.context["summary"].measures.submitted == 4
    response = client.get("/work/services/statistics/", {"start": "2026-10", "end": "2026-12", "department": "health",
                                                         "county": "130921"})
    assert response.context["summary"].measures.submitted == 0   # 沧县 lies outside 青县
    response = client.get("/work/services/statistics/", {"start": "2026-13", "end": "x"})
    assert response.status_code == 200                              # bad months fall back to the last 12


def test_dashboard_needs_the_permission(office, make_staff, client_for, cangzhou, resident):
    clerk = make_staff("window_clerk", cangzhou["cang"])
    assert client_for(clerk).get("/work/services/statistics/").status_code == 403
    assert client_for(resident).get("/work/services/statistics/").status_code == 403


def test_export_writes_the_tables_to_xlsx_and_an_audit_record(office, city_officer, client_for):
    response = client_for(city_officer).get("/work/services/statistics/export/", {"start": "2026-10", "end": "2026-12"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["按部门", "按事项", "按区县", "按月份"]
    departments = list(book["按部门"].iter_rows(values_only=True))
    assert departments[0][:3] == ("部门", "职能标识", "申请量")
    assert departments[1][1:3] == ("human_resources", 8)
    assert departments[-1][0] == "合计" and departments[-1][2] == 13
    months = list(book["按月份"].iter_rows(values_only=True))
    assert [r[0] for r in months[1:4]] == ["2026-10", "2026-11", "2026-12"]
    assert AuditRecord.objects.filter(action="services.statistics.export").count() == 1


def test_api_summary_and_breakdown(figures_from, city_officer, client_for, make_staff, cangzhou):
    client = client_for(city_officer)
    summary = client.get("/api/v1/services/statistics/summary", {"start": "2026-10", "end": "2026-12"}).json()
    assert (summary["submitted"], summary["online_rate"], summary["on_time_rate"]) == (13, 76.92, 80.0)
    assert (summary["rectifications"]["total"], summary["rectifications"]["open"]) == (2, 1)
    as_of = summary["as_of"] and datetime.fromisoformat(summary["as_of"])
    assert as_of == counted_at(figures_from)
    assert summary["online_target"] == 90.0 and summary["ratings"][0] == {"rating": 5, "label": "非常满意", "count": 1}
    assert summary["filters"]["start"] == "2026-10-01" and summary["filters"]["end"] == "2026-12-31"
    by_county = client.get("/api/v1/services/statistics/breakdown", {"by": "county", "start": "2026-10", "end": "2026-12"})
    rows = by_county.json()["rows"]
    assert [(r["key"], r["submitted"]) for r in rows] == [("_city", 1), ("130921", 8), ("130922", 4)]
    assert by_county.json()["as_of"] == summary["as_of"]
    rows = client.get("/api/v1/services/statistics/breakdown",
                      {"by": "month", "start": "2026-11-01", "end": "2026-11-30", "department": "health"}).json()["rows"]
    assert [(r["key"], r["submitted"]) for r in rows] == [("2026-11", 2)]
    assert client.get("/api/v1/services/statistics/breakdown", {"by": "colour"}).status_code == 422
    assert client.get("/api/v1/services/statistics/summary", {"county": "999999"}).status_code == 422
    qing = client_for(make_staff("county_officer", cangzhou["qing"]))
    assert qing.get("/api/v1/services/statistics/summary", {"start": "2026-10", "end": "2026-12"}).json()["submitted"] == 4
    clerk = client_for(make_staff("window_clerk", cangzhou["cang"]))
    assert clerk.get("/api/v1/services/statistics/summary").status_code == 403
