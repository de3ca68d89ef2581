"""The working-day clock against dates worked out by hand on the 2026 calendar."""
from datetime import date, datetime, timedelta

import pytest

from bohai.engines.workdays import actions
from bohai.engines.workdays.clock import LOCAL_ZONE, Pause, WorkingCalendar, working_calendar
from bohai.engines.workdays.models import CalendarDay


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_ZONE)


@pytest.fixture
def calendar(db) -> WorkingCalendar:
    actions.load_reference_holidays(actor="test")
    return working_calendar()


def test_weekends_and_holidays_are_not_working_days(calendar):
    assert calendar.is_working_day(date(2026, 9, 30))
    assert not calendar.is_working_day(date(2026, 10, 1))       # 国庆节
    assert not calendar.is_working_day(date(2026, 10, 3))
    assert calendar.is_working_day(date(2026, 10, 10))          # Saturday worked in exchange
    assert not calendar.is_working_day(date(2026, 10, 11))      # ordinary Sunday


def test_limit_skips_the_national_day_week(calendar):
    # Accepted Wednesday 30 Sept; day 1 is Thu 8 Oct, day 2 Fri 9 Oct, day 3 Sat 10 Oct (调休), day 4 Mon 12 Oct.
    deadline = calendar.deadline(at("2026-09-30T15:00"), 4)
    assert deadline == at("2026-10-13T00:00")


def test_acceptance_day_is_not_counted(calendar):
    assert calendar.deadline(at("2026-11-02T09:00"), 1) == at("2026-11-04T00:00")  # Mon → end of Tue


def test_spring_festival(calendar):
    # Fri 13 Feb 2026; Sat 14 Feb is worked; 15–23 Feb off; then Tue 24 Feb.
    assert calendar.nth_working_day_after(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert calendar.nth_working_day_after(date(2026, 2, 13), 2) == date(2026, 2, 24)


def test_pause_adds_its_working_days_back(calendar):
    start = at("2026-11-02T09:00")                     # Monday
    pause = Pause(at("2026-11-03T10:00"), at("2026-11-06T16:00"))  # Wed, Thu, Fri paused: 3 days
    assert calendar.deadline(start, 5) == at("2026-11-10T00:00")
    assert calendar.deadline(start, 5, [pause]) == at("2026-11-13T00:00")
    assert calendar.elapsed_days(start, at("2026-11-09T09:00"), [pause]) == 2   # Tue + Mon


def test_open_pause_counts_until_now(calendar):
    start = at("2026-11-02T09:00")
    pause = Pause(at("2026-11-03T10:00"))
    assert calendar.deadline(start, 5, [pause], now=at("2026-11-05T10:00")) == at("2026-11-12T00:00")


def test_elapsed_days_across_a_holiday(calendar):
    assert calendar.elapsed_days(at("2026-09-29T09:00"), at("2026-10-09T09:00")) == 3  # 30 Sep, 8, 9 Oct


def test_working_hours_skip_lunch_nights_and_weekends(calendar):
    assert calendar.add_working_hours(at("2026-11-02T11:30"), 1) == at("2026-11-02T14:00")
    assert calendar.add_working_hours(at("2026-11-06T17:00"), 1) == at("2026-11-09T09:00")   # Fri → Mon
    assert calendar.add_working_hours(at("2026-09-30T17:00"), 1) == at("2026-10-08T09:00")   # National Day
    assert calendar.add_working_hours(at("2026-11-01T10:00"), 1) == at("2026-11-02T09:30")   # from a Sunday


def test_working_seconds_between(calendar):
    assert calendar.working_seconds_between(at("2026-11-02T11:30"), at("2026-11-02T14:00")) == 3600
    assert calendar.working_seconds_between(at("2026-11-06T17:00"), at("2026-11-09T09:00")) == 3600


def test_office_hours_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("BOHAI_OFFICE_HOURS", "09:00-17:00")
    assert WorkingCalendar().add_working_hours(at("2026-11-02T16:30"), 1) == at("2026-11-03T09:30")


def test_an_administrators_change_reaches_the_clock(calendar):
    assert calendar.is_working_day(date(2026, 12, 31))
    actions.set_calendar_day(date(2026, 12, 31), "holiday", "元旦", actor="test")
    assert not working_calendar().is_working_day(date(2026, 12, 31))
    actions.remove_calendar_day(date(2026, 12, 31), actor="test")
    assert working_calendar().is_working_day(date(2026, 12, 31))


def test_another_process_change_arrives_within_the_check_interval(calendar, monkeypatch):
    from django.core.cache import cache

    from bohai.engines.workdays import clock

    working_calendar()
    CalendarDay.objects.create(date=date(2026, 12, 31), kind="holiday", name="元旦")  # written by another process …
    cache.set(clock.CACHE_KEY, "changed-elsewhere", timeout=None)  # … which also turned the version token
    assert working_calendar().is_working_day(date(2026, 12, 31))  # not yet looked for
    later = clock.monotonic() + clock.VERSION_CHECK_SECONDS + 1
    monkeypatch.setattr(clock, "monotonic", lambda: later)
    assert not working_calendar().is_working_day(date(2026, 12, 31))


def test_reloading_the_reference_keeps_local_changes(calendar):
    actions.set_calendar_day(date(2026, 10, 1), "workday", "演练", actor="test")
    assert actions.load_reference_holidays(actor="test") == 0
    assert CalendarDay.objects.get(date=date(2026, 10, 1)).kind == "workday"


def test_bad_kind_is_refused(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        actions.set_calendar_day(date(2026, 12, 31), "party", "x", actor="test")
    assert "kind" in error.value.message_dict


def test_a_year_of_days_stays_consistent(calendar):
    start = at("2026-01-05T09:00")
    for days in range(0, 60, 7):
        deadline = calendar.deadline(start, days)
        assert calendar.elapsed_days(start, deadline - timedelta(seconds=1)) == days


def test_two_thirds_point(calendar):
    start = at("2026-11-02T09:00")                                            # Monday
    assert calendar.point_within(start, 3, 2 / 3) == at("2026-11-05T00:00")   # end of day 2 (Wed)
    assert calendar.point_within(start, 5, 2 / 3) == at("2026-11-06T08:00")   # a third into day 4 (Fri)
    assert calendar.point_within(start, 1, 2 / 3) == at("2026-11-03T16:00")
    assert calendar.point_within(start, 0, 2 / 3) is None
