"""Calendar months and the periods that statistics and indicators are asked for."""
import calendar
from datetime import date, datetime

from django.utils.translation import gettext as _


def last_day(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def add_months(day: date, count: int) -> date:
    """The first day of the month `count` months after `day`'s month."""
    index = day.year * 12 + day.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def parse_period(start: str | None, end: str | None) -> tuple[date | None, date | None]:
    """("2026-01", "2026-03") → whole months, 1 January to 31 March; days ("2026-01-15") are taken as
    they are. ValueError, in Chinese, for anything else or an end before the start."""
    first, last = _parse_day(start, first=True), _parse_day(end, first=False)
    if first and last and last < first:
        raise ValueError(_("截止日期早于起始日期"))
    return first, last


def _parse_day(text: str | None, *, first: bool) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        if len(text) == 7:
            month = datetime.strptime(text, "%Y-%m").date()
            return month if first else last_day(month)
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(_("日期应为 YYYY-MM（整月）或 YYYY-MM-DD，收到“%(text)s”") % {"text": text[:20]})
