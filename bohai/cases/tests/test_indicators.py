"""The indicators against figures counted by hand: fifteen cases in known states, made with the actions at
explicit times (October and November 2026), then every rate, the groupings, rankings with ties, scope,
the planning function, the API and the dashboard's access, filters and export."""
import io
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from bohai.cases import actions, indicators
from bohai.cases.indicators import Filters, Measures, Row
from bohai.engines.workdays.clock import working_calendar
from bohai.kernel.accounts import actions as account_actions
from bohai.kernel.audit.models import AuditRecord

from .conftest import INSIDE, at

PERIOD = Filters(start=date(2026, 10, 1), end=date(2026, 11, 30))
NOW = at("2026-12-01T12:00")


def _city_case(city, people, when, code="P0102", text="小区门口路灯不亮好几天了"):
    return actions.report_case(actor=people["grid_worker"], track="city", source="patrol", description=text,
                               case_class=city["classes"][code], lng=INSIDE[0], lat=INSIDE[1], at=at(when))


def _signed(city, people, day, unit="urban_management"):
    """Reported 09:00, filed 09:20, dispatched 09:40, signed 10:00 on `day`."""
    case = _city_case(city, people, f"{day}T09:00")
    case = actions.file_case(case, actor=people["supervisor"], at=at(f"{day}T09:20"))
    case = actions.dispatch_case(case, organisation=city["units"][unit], actor=people["dispatcher"], at=at(f"{day}T09:40"))
    return actions.sign_case(case, actor=people["urban"], at=at(f"{day}T10:00"))


def _appeal(city, people, when, code, text="我们小区停水两天了也没人通知"):
    return actions.report_case(actor=people["operator"], track="hotline", source="hotline", appeal_type="complaint",
                               description=text, region=city["township"], case_class=city["classes"][code], at=at(when))


@pytest.fixture
def cases(city, people):
    """Street lights (3 working days) on the 数字城管 track, 12345 appeals; `due` is the handling deadline."""
    urban, water, grid, operator = people["urban"], people["water"], people["grid_worker"], people["operator"]
    made = {}
    # C1 signed Mon 11-02, due 11-06 00:00; handled Wed 11-04 (2 working days), verified: closed on time.
    c1 = _signed(city, people, "2026-11-02")
    c1 = actions.report_handled(c1, actor=urban, note="已更换灯泡", at=at("2026-11-04T10:00"))
    made["c1"] = actions.verify_case(c1, actor=grid, passed=True, at=at("2026-11-04T15:00"))
    # C2 signed Tue 11-03, due 11-07 00:00; handled Tue 11-10 (5 working days): closed late.
    c2 = _signed(city, people, "2026-11-03")
    c2 = actions.report_handled(c2, actor=urban, note="已修复线路", at=at("2026-11-10T09:00"))
    made["c2"] = actions.verify_case(c2, actor=grid, passed=True, at=at("2026-11-10T14:00"))
    # C3 signed Wed 11-04, due 11-10 00:00; handled, failed verification (rework), handled again Fri 11-06.
    c3 = _signed(city, people, "2026-11-04")
    c3 = actions.report_handled(c3, actor=urban, note="已处理完毕", at=at("2026-11-05T10:00"))
    c3 = actions.verify_case(c3, actor=grid, passed=False, note="灯仍然不亮", at=at("2026-11-05T15:00"))
    c3 = actions.report_handled(c3, actor=urban, note="已更换整套灯具", at=at("2026-11-06T10:00"))
    made["c3"] = actions.verify_case(c3, actor=grid, passed=True, at=at("2026-11-06T14:00"))
    # C4 signed Thu 11-05, due 11-11 00:00; deferred (挂账) on 11-06.
    made["c4"] = actions.defer_case(_signed(city, people, "2026-11-05"), reason="需列入明年改造计划",
                                    actor=people["supervisor"], at=at("2026-11-06T09:00"))
    # C5 dispatched to water, sent back, dispatched to urban management, signed Mon 11-09 (due 11-13): never handled.
    c5 = _city_case(city, people, "2026-11-09T09:00")
    c5 = actions.file_case(c5, actor=people["supervisor"], at=at("2026-11-09T09:20"))
    c5 = actions.dispatch_case(c5, organisation=city["units"]["water"], actor=people["dispatcher"], at=at("2026-11-09T09:40"))
    c5 = actions.send_back(c5, reason="路灯不属于水务", actor=water, at=at("2026-11-09T10:00"))
    c5 = actions.dispatch_case(c5, organisation=city["units"]["urban_management"], actor=people["dispatcher"],
                               at=at("2026-11-09T10:30"))
    made["c5"] = actions.sign_case(c5, actor=urban, at=at("2026-11-09T11:00"))
    # C6 refused; C7 merged into C1; C8 still awaiting filing.
    made["c6"] = actions.refuse_case(_city_case(city, people, "2026-11-10T09:00"), reason="私人院内路灯，不属城市管理",
                                     actor=people["supervisor"], at=at("2026-11-10T10:00"))
    made["c7"] = actions.refuse_case(_city_case(city, people, "2026-11-10T09:30"), reason="与先报案件重复",
                                     duplicate_of=made["c1"], actor=people["supervisor"], at=at("2026-11-10T10:00"))
    made["c8"] = _city_case(city, people, "2026-11-30T15:00")
    # C9 signed Mon 11-16 (due 11-20 00:00), handled Wed 11-18: awaiting verification.
    made["c9"] = actions.report_handled(_signed(city, people, "2026-11-16"), actor=urban, note="已修复灯具线路",
                                        at=at("2026-11-18T10:00"))
    # C10 signed Fri 10-09; Sat 10-10 is a working day (调休), so due 10-14 00:00; handled Mon 10-12:
    # 2 working days (Sat 10-10, Mon 10-12) where Monday–Friday alone would count 1.
    c10 = _signed(city, people, "2026-10-09")
    c10 = actions.report_handled(c10, actor=urban, note="已修复灯具线路", at=at("2026-10-12T10:00"))
    made["c10"] = actions.verify_case(c10, actor=grid, passed=True, at=at("2026-10-12T15:00"))
    # H1 on the National Day holiday (10-01), 7 working days: due 10-16 00:00; answered Fri 10-09: 2 working
    # days (Thu 10-08, Fri 10-09; the holidays 10-02 … 10-07 do not count); satisfied.
    h1 = _appeal(city, people, "2026-10-01T10:00", "T-property_management", "小区物业不管楼道卫生")
    h1 = actions.dispatch_case(h1, organisation=city["units"]["water"], actor=operator, at=at("2026-10-01T11:00"))
    h1 = actions.report_handled(h1, actor=water, note="已联系物业整改", at=at("2026-10-09T10:00"))
    made["h1"] = actions.follow_up(h1, satisfaction="satisfied", actor=operator, at=at("2026-10-12T10:00"))
    # H2 water supply (24 clock hours): dispatched Mon 11-02 09:30, due 11-03 09:30, answered 15:00 (late, 1
    # working day); dissatisfied.
    h2 = actions.dispatch_case(_appeal(city, people, "2026-11-02T09:00", "T-water_supply"),
                               organisation=city["units"]["water"], actor=operator, at=at("2026-11-02T09:30"))
    h2 = actions.report_handled(h2, actor=water, note="已恢复供水", at=at("2026-11-03T15:00"))
    made["h2"] = actions.follow_up(h2, satisfaction="dissatisfied", actor=operator, at=at("2026-11-04T10:00"))
    # H3 dispatched Tue 11-03 09:30 (due 11-04 09:30), answered the same day (0 days); basically satisfied.
    h3 = actions.dispatch_case(_appeal(city, people, "2026-11-03T09:00", "T-water_supply"),
                               organisation=city["units"]["water"], actor=operator, at=at("2026-11-03T09:30"))
    h3 = actions.report_handled(h3, actor=water, note="已维修水管", at=at("2026-11-03T16:00"))
    made["h3"] = actions.follow_up(h3, satisfaction="basically", actor=operator, at=at("2026-11-05T10:00"))
    # H4 dispatched to water, sent back, dispatched to housing on Fri 11-20: due 12-02 00:00, after now.
    h4 = _appeal(city, people, "2026-11-20T09:00", "T-property_management", "物业乱收停车费")
    h4 = actions.dispatch_case(h4, organisation=city["units"]["water"], actor=operator, at=at("2026-11-20T09:30"))
    h4 = actions.send_back(h4, reason="物业收费属住建部门", actor=water, at=at("2026-11-20T10:00"))
    made["h4"] = actions.dispatch_case(h4, organisation=city["units"]["housing_construction"], actor=operator,
                                       at=at("2026-11-20T10:30"))
    # H5 accepted, not yet routed.
    made["h5"] = _appeal(city, people, "2026-11-25T09:00", "T-water_supply")
    # Outside the period: reported 2026-12-01 (counts in neither cohort of Oct–Nov).
    _city_case(city, people, "2026-12-01T09:00")
    return made


def test_every_rate_as_counted_by_hand(cases):
    m = indicators.summary(PERIOD, now=NOW)
    # R: C1–C10 and H1–H5 reported in October–November.
    assert (m.reported, m.city_reported, m.filed, m.refused, m.merged, m.awaiting_filing) == (15, 10, 7, 1, 1, 1)
    assert m.filing_rate == Decimal("87.50")                     # 7 / (10 − 1 merged − 1 awaiting)
    # Judged dispatches: C1–C5, C9, C10 (signed), H1–H3 (answered), H4 (sent back) = 11; right the first
    # time: the city cases but C5, and H1–H3 = 9.
    assert (m.dispatch_correct, m.dispatch_judged) == (9, 11)
    assert m.dispatch_accuracy == Decimal("81.82")               # 9 / 11
    # Handled with a deadline: C1, C2, C3, C9, C10, H1, H2, H3; late: C2, H2.
    assert (m.handled_on_time, m.handled) == (6, 8)
    assert m.on_time_handling_rate == Decimal("75.00")
    assert (m.reworked, m.verified) == (1, 4)                    # C3 of C1, C2, C3, C10
    assert m.rework_rate == Decimal("25.00")
    assert (m.satisfied, m.basically, m.dissatisfied, m.followed_up) == (1, 1, 1, 3)
    assert m.satisfaction_rate == Decimal("66.67")               # (1 + 1) / 3
    # Working days: C1 2, C2 5, C3 2, C9 2, C10 2 (a 调休 Saturday), H1 2 (over the holidays), H2 1, H3 0.
    assert (m.handling_days, m.handling_cases) == (16, 8)
    assert m.average_handling_days == Decimal("2.00")
    assert (m.open, m.overdue, m.deferred, m.closed) == (5, 1, 1, 7)  # open C5 C8 C9 H4 H5; overdue C5
    # D: due by now in the period: C1–C5, C9, C10, H1–H3 (H4 is due 12-02); C4 is deferred.
    assert (m.due, m.due_deferred, m.due_closed, m.due_closed_on_time) == (10, 1, 7, 5)
    assert m.closure_rate == Decimal("77.78")                    # 7 / (10 − 1)
    assert m.on_time_closure_rate == Decimal("55.56")            # C1, C3, C10, H1, H3: 5 / 9


def test_the_cube_rolls_up_to_the_same_totals_and_by_month(cases):
    source = indicators.cube(PERIOD, now=NOW)
    assert source.total() == indicators.summary(PERIOD, now=NOW)
    october, november = source.rows("month")
    assert (october.key, october.measures.reported, november.measures.reported) == ("2026-10", 2, 13)
    # Due in October: C10 and H1, both closed on time; in November 8, C4 deferred, 5 closed, 3 on time.
    assert (october.measures.closure_rate, october.measures.on_time_closure_rate) == (Decimal("100.00"), Decimal("100.00"))
    assert (november.measures.closure_rate, november.measures.on_time_closure_rate) == (Decimal("71.43"), Decimal("42.86"))


def test_rankings_by_department_unit_and_county(cases, city):
    departments = indicators.rankings("department", PERIOD, now=NOW)
    ranked = [(row.key, row.rank, row.measures.on_time_closure_rate) for row in departments]
    # Water: H1 and H3 of H1–H3 on time (66.67); urban management: C1, C3, C10 of C1–C3, C5, C9, C10 (50.00);
    # housing (H4) and the undispatched (C6–C8, H5) have nothing due: unranked, last.
    assert ranked[:2] == [("water", 1, Decimal("66.67")), ("urban_management", 2, Decimal("50.00"))]
    assert {key for key, rank, _rate in ranked[2:]} == {"housing_construction", "_none"}
    assert all(rank is None for _key, rank, _rate in ranked[2:])
    units = indicators.rankings("unit", PERIOD, now=NOW)
    assert units[0].key == city["units"]["water"].key and units[0].parent == "沧县"
    counties = indicators.rankings("county", PERIOD, now=NOW)
    assert [(row.label, row.measures.reported) for row in counties] == [("沧县", 15)]
    townships = indicators.rankings("township", PERIOD, now=NOW, indicator="satisfaction_rate")
    assert [(row.label, row.parent, row.rank) for row in townships] == [("旧州镇", "沧县", 1)]


def test_ties_share_a_rank_and_lower_is_better_for_rework():
    def row(key, closed, due, reworked=0, verified=0):
        return Row(key, key, Measures(due=due, due_closed_on_time=closed, reworked=reworked, verified=verified))

    rows = indicators.rank([row("a", 3, 4), row("b", 1, 2), row("c", 3, 4), row("d", 0, 0), row("e", 1, 4)])
    assert [(r.key, r.rank) for r in rows] == [("a", 1), ("c", 1), ("b", 3), ("e", 4), ("d", None)]
    rework = indicators.rank([row("x", 0, 0, 1, 10), row("y", 0, 0, 0, 10), row("z", 0, 0, 1, 10)], "rework_rate")
    assert [(r.key, r.rank) for r in rework] == [("y", 1), ("x", 2), ("z", 2)]


def test_scope_filters_and_the_planning_function(cases, city, make_staff):
    qing = make_staff("county_officer", city["qing"])
    cang = make_staff("county_officer", city["cang"])
    water_head = make_staff(None, city["cang"])
    account_actions.assign_role(water_head, actor="test", role_code="department_head", region=city["cang"],
                                organisation=city["units"]["water"])
    assert indicators.summary(PERIOD, qing, NOW).reported == 0
    assert indicators.summary(PERIOD, cang, NOW).reported == 15
    assert indicators.summary(PERIOD, water_head, NOW).reported == 3          # H1–H3
    assert indicators.summary(Filters(start=PERIOD.start, end=PERIOD.end, track="hotline"), now=NOW).reported == 5
    assert indicators.summary(Filters(start=PERIOD.start, end=PERIOD.end, region=city["qing"]), now=NOW).reported == 0
    figures = indicators.indicators(date(2026, 10, 1), date(2026, 11, 30))
    assert figures == {"filing_rate": Decimal("87.50"), "dispatch_accuracy": Decimal("81.82"),
                       "on_time_handling_rate": Decimal("75.00"), "closure_rate": Decimal("77.78"),
                       "on_time_closure_rate": Decimal("55.56"), "rework_rate": Decimal("25.00"),
                       "satisfaction_rate": Decimal("66.67"), "average_handling_days": Decimal("2.00")}
    water = indicators.indicators(date(2026, 10, 1), date(2026, 11, 30), region="130921", organisation="water")
    assert water["satisfaction_rate"] == Decimal("66.67") and water["filing_rate"] is None
    assert indicators.indicators(organisation=city["units"]["water"])["closure_rate"] == Decimal("100.00")
    assert indicators.indicators(date(2027, 1, 1), date(2027, 1, 31))["closure_rate"] is None
    with pytest.raises(LookupError):
        indicators.indicators(region="999999")


def test_hot_spots_per_township_and_county(cases, city):
    spots = indicators.hotspots(PERIOD, now=NOW)
    # The test city has no grids: the cases of 旧州镇 are a township point, 沧县 carries them all.
    assert [(t["name"], t["count"]) for t in spots["townships"]] == [("旧州镇", 15)]
    assert [(c["name"], c["count"]) for c in spots["counties"]] == [("沧县", 15)] and spots["grids"] == []


def test_working_days_in_sql_match_the_calendar(city):
    """W(d) (Monday–Friday arithmetic plus the calendar's exceptions) against the clock, over 2025–2026."""
    steps = indicators.calendar_steps()
    clock = working_calendar()
    rng = random.Random(7)
    for _ in range(400):
        first = date(2025, 1, 1) + timedelta(days=rng.randrange(700))
        last = first + timedelta(days=rng.randrange(40))
        expected = clock.working_days_between(first, last)
        assert indicators.working_day_number(last, steps) - indicators.working_day_number(first, steps) == expected


def test_the_api(cases, city, make_staff, client_for):
    officer = make_staff("county_officer", city["cang"])
    client = client_for(officer)
    base = "/api/v1/cases/indicators"
    summary = client.get(f"{base}/summary", {"start": "2026-10", "end": "2026-11"}).json()
    assert summary["reported"] == 15 and summary["on_time_closure_rate"] == 55.56
    assert summary["reference"]["closure_rate"] == {"low": 85.0, "high": 94.0}
    ranking = client.get(f"{base}/rankings", {"by": "department", "start": "2026-10", "end": "2026-11"}).json()
    assert [(row["key"], row["rank"]) for row in ranking["rows"][:2]] == [("water", 1), ("urban_management", 2)]
    trend = client.get(f"{base}/trend", {"start": "2026-10", "end": "2026-11", "track": "hotline"}).json()
    assert [(row["key"], row["reported"]) for row in trend["rows"]] == [("2026-10", 1), ("2026-11", 4)]
    spots = client.get(f"{base}/hotspots", {"start": "2026-10", "end": "2026-11"}).json()
    assert spots["counties"][0]["count"] == 15
    assert client.get(f"{base}/rankings", {"by": "street"}).status_code == 422
    assert client.get(f"{base}/summary", {"start": "2026-13"}).status_code == 422
    assert client.get(f"{base}/summary", {"county": "999999"}).status_code == 422
    handler = make_staff("case_handler", city["cang"])
    assert client_for(handler).get(f"{base}/summary").status_code == 403
    qing = make_staff("county_officer", city["qing"])
    assert client_for(qing).get(f"{base}/summary", {"start": "2026-10", "end": "2026-11"}).json()["reported"] == 0


def test_the_dashboard_page_and_export(cases, city, make_staff, client_for):
    officer = make_staff("county_officer", city["cang"])
    client = client_for(officer)
    response = client.get("/work/cases/dashboard/", {"start": "2026-10", "end": "2026-11"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "按期结案率" in page and "55.56%" in page and "74%–76%" in page
    assert client.get("/work/cases/dashboard/", {"start": "2026-10", "end": "2026-11", "track": "hotline",
                                                 "county": "130921"}).status_code == 200
    bad = client.get("/work/cases/dashboard/", {"start": "2026-13", "end": "x"})
    assert bad.status_code == 200 and "日期应为" in bad.content.decode()
    export = client.get("/work/cases/dashboard/export/", {"start": "2026-10", "end": "2026-11"})
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(export.content))
    assert book.sheetnames == ["汇总", "按部门", "按处置单位", "按乡镇街道", "按县市区", "按月份", "热点网格"]
    assert book["汇总"]["B2"].value == 15
    assert AuditRecord.objects.filter(action="cases.indicators.export").count() == 1
    handler = make_staff("case_handler", city["cang"])
    assert client_for(handler).get("/work/cases/dashboard/").status_code == 403


def test_packing_follows_how_many_ids_there_are_not_how_high_they_climbed():
    """Ids climb on a long-lived database (PostgreSQL sequences never go back): the key packs id − offset."""
    import numpy as np

    from bohai.cases.indicators import MAX_KEY_BITS, Packing

    packing = Packing(regions=400, units=150, r_months=14, d_months=14, places=True, region_offset=18000, unit_offset=13000)
    assert packing.bits <= MAX_KEY_BITS
    county, township, unit, r, d, flags = 18011, 18205, 13077, 3, 5, 0b1010
    packed = ((((county - 18000) * 400 + (township - 18000)) * 150 + (unit - 13000)) * 15 * 15
              + (r + 1) * 15 + (d + 1)) * (1 << 16) + flags
    unpacked = packing.unpack(np.array([packed, (0 * 15 * 15 + 0) * (1 << 16)], dtype=np.int64))
    assert [int(part[0]) for part in unpacked] == [county, township, unit, r, d, flags]
    assert [int(part[1]) for part in unpacked[:3]] == [0, 0, 0]
