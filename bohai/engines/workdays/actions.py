"""Actions on the holiday calendar: the reference schedule and administrators' changes."""
import csv
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from bohai.kernel.audit.recording import record, snapshot
from bohai.kernel.audit.service import service_action

from .clock import calendar_changed
from .models import CalendarDay, DayKind

REFERENCE_FILE = Path(__file__).parent / "data" / "holidays.csv"


@service_action
def load_reference_holidays(*, actor) -> int:
    """The State Council's published schedules (国务院办公厅节假日安排) shipped with Bohai; keeps local changes."""
    with REFERENCE_FILE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    known = set(CalendarDay.objects.values_list("date", flat=True))
    fresh = [CalendarDay(date=date.fromisoformat(row["date"]), kind=row["kind"], name=row["name"])
             for row in rows if date.fromisoformat(row["date"]) not in known]
    CalendarDay.objects.bulk_create(fresh)
    if fresh:
        record(actor=actor, action="workdays.load_reference", target_type="workdays.calendarday",
               after={"count": len(fresh), "first": str(fresh[0].date), "last": str(fresh[-1].date)})
        _changed()
    return len(fresh)


@service_action
def set_calendar_day(day: date, kind: str, name: str, *, actor) -> CalendarDay:
    if kind not in DayKind.values:
        raise ValidationError({"kind": [_("类别只能是 节假日 或 调休上班")]})
    if not (name or "").strip():
        raise ValidationError({"name": [_("请填写名称，如 春节")]})
    existing = CalendarDay.objects.filter(date=day).first()
    before = snapshot(existing) if existing else None
    entry, _created = CalendarDay.objects.update_or_create(date=day, defaults={"kind": kind, "name": name.strip()})
    record(actor=actor, action="workdays.set_day", target=entry, before=before, after=snapshot(entry))
    _changed()
    return entry


@service_action
def remove_calendar_day(day: date, *, actor) -> None:
    entry = CalendarDay.objects.filter(date=day).first()
    if entry is None:
        raise ValidationError({"date": [_("%(day)s 没有特别安排") % {"day": day}]})
    record(actor=actor, action="workdays.remove_day", target=entry, before=snapshot(entry))
    entry.delete()
    _changed()


def _changed() -> None:
    # Now for this process (and for the database cache, inside this transaction), and again after
    # commit so that no other process can have reloaded the old days under the new token.
    calendar_changed()
    transaction.on_commit(calendar_changed)
