"""The working-day clock: statutory time limits count working days, not calendar days.

A working day is Monday to Friday unless the calendar marks it a holiday, plus the weekend
days marked as worked in exchange (调休). A limit of N working days from a moment ends at the
close of the N-th working day after that moment's local date (the day of acceptance is not
counted). Pauses (awaiting a supplement) do not count: the working days they cover are added
back to the limit. Short limits (a grid case must be signed for within one working hour) count
working seconds within office hours.
"""
import os
import uuid
from time import monotonic
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.cache import cache

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
CACHE_KEY = "workdays:calendar:version"
DEFAULT_OFFICE_HOURS = "08:30-12:00,13:30-17:30"


def _office_hours() -> tuple[tuple[time, time], ...]:
    spec = os.environ.get("BOHAI_OFFICE_HOURS", DEFAULT_OFFICE_HOURS)
    spans = []
    for span in spec.split(","):
        start, end = (time.fromisoformat(part.strip()) for part in span.split("-"))
        spans.append((start, end))
    return tuple(spans)


@dataclass(frozen=True)
class Pause:
    start: datetime
    end: datetime | None = None  # None: still paused


@dataclass
class WorkingCalendar:
    overrides: dict[date, bool] = field(default_factory=dict)  # date → is a working day
    office_hours: tuple[tuple[time, time], ...] = field(default_factory=_office_hours)

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return day.weekday() < 5

    def nth_working_day_after(self, day: date, n: int) -> date:
        """The n-th working day after `day` (n = 0: `day` itself)."""
        while n > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def working_days_between(self, first: date, last: date) -> int:
        """Working days d with first < d ≤ last (0 when last ≤ first)."""
        count, day = 0, first
        while day < last:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def deadline(self, start: datetime, days: int, pauses: list[Pause] = (), now: datetime | None = None) -> datetime:
        """The moment `days` working days after `start` run out, pauses added back."""
        extra = sum(self._paused_days(pause, now) for pause in pauses)
        last_day = self.nth_working_day_after(local_date(start), days + extra)
        return datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=LOCAL_ZONE)

    def point_within(self, start: datetime, days: int, fraction: float, paused_days: int = 0) -> datetime | None:
        """The moment `fraction` of a `days` limit is used (the limit runs from the start of the first
        working day after the start's date to the end of the last); None for a same-day limit."""
        if days <= 0:
            return None
        whole, part = divmod(days * fraction, 1)
        day = self.nth_working_day_after(local_date(start), int(whole) + 1 + paused_days)
        return datetime.combine(day, time.min, tzinfo=LOCAL_ZONE) + timedelta(days=part)

    def elapsed_days(self, start: datetime, at: datetime, pauses: list[Pause] = ()) -> int:
        """Working days used between start and `at`, today included, paused days excluded."""
        used = self.working_days_between(local_date(start), local_date(at))
        return max(0, used - sum(self._paused_days(pause, at) for pause in pauses))

    def _paused_days(self, pause: Pause, now: datetime | None) -> int:
        end = pause.end or now or datetime.now(LOCAL_ZONE)
        return self.working_days_between(local_date(pause.start), local_date(end))

    # Working hours -------------------------------------------------------------------------

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` of office time after `start` (skipping nights, weekends, holidays)."""
        remaining = timedelta(hours=hours)
        moment = start.astimezone(LOCAL_ZONE)
        while True:
            for span_start, span_end in self._spans_from(moment):
                available = span_end - span_start
                if remaining <= available:
                    return span_start + remaining
                remaining -= available
            moment = datetime.combine(self.nth_working_day_after(moment.date(), 1), time.min, tzinfo=LOCAL_ZONE)

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        if end <= start:
            return 0.0
        total, moment, end = 0.0, start.astimezone(LOCAL_ZONE), end.astimezone(LOCAL_ZONE)
        while moment < end:
            for span_start, span_end in self._spans_from(moment):
                total += max(0.0, (min(span_end, end) - span_start).total_seconds())
            moment = datetime.combine(moment.date() + timedelta(days=1), time.min, tzinfo=LOCAL_ZONE)
        return total

    def _spans_from(self, moment: datetime):
        """Today's office spans from `moment` on, clipped to it (none on a non-working day)."""
        day = moment.date()
        if not self.is_working_day(day):
            return
        for opens, closes in self.office_hours:
            span_start = max(moment, datetime.combine(day, opens, tzinfo=LOCAL_ZONE))
            span_end = datetime.combine(day, closes, tzinfo=LOCAL_ZONE)
            if span_start < span_end:
                yield span_start, span_end


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_ZONE).date()


# The version is looked up in the cache at most this often: every deadline asked for it, a query on
# the database cache inside the asking action's transaction (0.11 ms of each Open311 report).
VERSION_CHECK_SECONDS = 5
_loaded: tuple[str, WorkingCalendar, float] | None = None


def working_calendar() -> WorkingCalendar:
    """The configured calendar; a change of a day reaches this process at once, others within
    VERSION_CHECK_SECONDS."""
    global _loaded
    now = monotonic()
    if _loaded is not None and now - _loaded[2] < VERSION_CHECK_SECONDS:
        return _loaded[1]
    version = cache.get_or_set(CACHE_KEY, "initial")
    if _loaded is None or _loaded[0] != version:
        from .models import CalendarDay, DayKind

        overrides = {day: kind == DayKind.WORKDAY for day, kind in CalendarDay.objects.values_list("date", "kind")}
        _loaded = (version, WorkingCalendar(overrides), now)
    else:
        _loaded = (version, _loaded[1], now)
    return _loaded[1]


def calendar_changed() -> None:
    # A fresh token rather than a counter: a rolled-back change must not leave a version that a
    # later, different change could collide with.
    cache.set(CACHE_KEY, uuid.uuid4().hex, timeout=None)
    forget_calendar()


def forget_calendar() -> None:
    """Read the calendar again on the next call (after a change here, and around every test)."""
    global _loaded
    _loaded = None
