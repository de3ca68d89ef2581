"""The service office's dashboard (政务服务统计): headline figures against the plan's targets, charts,
the tables by department and by item, and their export to XLSX. Everything is counted within the
user's scope (Application.objects.restrict(user, "view")): a county officer sees their county."""
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.kernel.pages.access import staff_required
from bohai.kernel.regions.models import Level, Region

from .. import statistics
from ..models import Rating, ServiceItem
from ..statistics import Filters, Measures

PERMISSION = "services.view_statistics"
DEFAULT_MONTHS = 13  # this month and the twelve before it
TOP_ITEMS = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@staff_required
def dashboard(request):
    _require(request.user)
    filters, chosen, problem = _filters(request)
    now = timezone.now()
    board = statistics.dashboard(filters, request.user, now)
    items, departments, counties, months, summary = (board.items, board.departments, board.counties, board.months,
                                                     board.summary)
    for row in (*items, *departments, *counties, *months):
        row.cells = _cells(row.measures)
    return render(request, "services/statistics.html", {
        "summary": summary, "cells": _cells(summary.measures), "headline": _headline(summary),
        "departments": departments, "items": items[:TOP_ITEMS], "item_count": len(items), "counties": counties,
        "months": months, "charts": _charts(summary, departments, counties, months),
        "chosen": chosen, "problem": problem, "county_choices": _visible_counties(request.user),
        "department_choices": _department_choices(), "scope": _scope_label(request.user), "month_choices": _months(chosen),
        "query_string": request.GET.urlencode(), "now": now, "as_of": board.as_of or now,
        "as_of_today": timezone.localdate(board.as_of or now) == timezone.localdate(now),
    })


@staff_required
def export(request):
    _require(request.user)
    filters, chosen, _problem = _filters(request)
    content = statistics.export_workbook(filters, actor=request.user)
    response = HttpResponse(content, content_type=XLSX)
    name = f"services-statistics-{chosen['start']}-{chosen['end']}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _require(user) -> None:
    if not user.has_perm(PERMISSION):
        raise PermissionDenied


def _filters(request) -> tuple[Filters, dict, str]:
    """The month range (default: this month and the twelve before), county and department asked for;
    a bad month falls back to the default with a note, an unknown county or department is ignored."""
    problem = ""
    default_start, default_end = statistics.last_months(DEFAULT_MONTHS)
    try:
        start, end = statistics.parse_period(request.GET.get("start"), request.GET.get("end"))
    except ValueError as error:
        start, end, problem = None, None, str(error)
    start, end = start or default_start, end or default_end
    if end < start:
        start, end, problem = default_start, default_end, _("截止月份早于起始月份")
    chosen = {"start": f"{start:%Y-%m}", "end": f"{end:%Y-%m}", "county": "", "department": ""}
    county = request.GET.get("county", "").strip()
    region = None
    if county:
        region = Region.objects.defer("boundary").filter(key=county, level__in=(Level.CITY, Level.COUNTY, Level.ZONE)).first()
        chosen["county"] = region.key if region else ""
    department = request.GET.get("department", "").strip()
    if department and ServiceItem.objects.filter(department=department).exists():
        chosen["department"] = department
    filters = Filters.for_months(start, end, region=region, department=chosen["department"])
    return filters, chosen, problem


def _visible_counties(user) -> list[Region]:
    """The counties (and functional zones) the user's scope reaches, for the filter."""
    counties = list(Region.objects.filter(level__in=(Level.COUNTY, Level.ZONE)).defer("boundary").order_by("path"))
    if user.is_superuser:
        return counties
    paths = [path for path, _unit in user.scopes_for("services.view_application")]
    return [c for c in counties if any(c.path.startswith(p) or p.startswith(c.path) for p in paths)]


def _department_choices() -> list[tuple[str, str]]:
    functions = sorted(set(ServiceItem.objects.values_list("department", flat=True)))
    names = statistics.department_names(functions)
    return sorted(((f, names.get(f, f)) for f in functions), key=lambda pair: pair[1])


def _scope_label(user) -> str:
    if user.is_superuser:
        return _("全市")
    assignments = (user.role_assignments.filter(role__permissions__codename="view_application",
                                                role__permissions__content_type__app_label="services")
                   .select_related("region", "organisation").defer("region__boundary").distinct())
    labels = []
    for assignment in assignments:
        label = assignment.region.name
        if assignment.organisation_id:
            label += f"·{assignment.organisation.short_name or assignment.organisation.name}"
        if label not in labels:
            labels.append(label)
    return "、".join(labels) or _("无")


# Presentation -----------------------------------------------------------------------------------

def _rate(value, places: int = 1) -> str:
    return "—" if value is None else f"{value:.{places}f}%"


def _cells(m: Measures) -> dict:
    return {
        "online_rate": _rate(m.online_rate), "on_time_rate": _rate(m.on_time_rate),
        "average_days": "—" if m.average_days is None else f"{m.average_days:.1f}",
        "satisfaction": _rate(m.satisfaction), "mean_rating": "—" if m.mean_rating is None else f"{m.mean_rating:.2f}",
        "online_below_target": m.online_rate is not None and m.online_rate < statistics.ONLINE_TARGET,
    }


def _headline(summary) -> dict:
    m = summary.measures
    rate = m.online_rate
    gap = None if rate is None else rate - statistics.ONLINE_TARGET
    return {
        "online_rate": _rate(rate, 2), "online_met": rate is not None and gap >= 0,
        "online_gap": "" if gap is None else f"{abs(gap):.2f}", "online_bar": 0 if rate is None else min(100, float(rate)),
        "on_time_rate": _rate(m.on_time_rate, 2), "late": m.timed - m.on_time,
        "average_days": "—" if m.average_days is None else f"{m.average_days:.2f}",
        "satisfaction": _rate(m.satisfaction, 2), "mean_rating": "—" if m.mean_rating is None else f"{m.mean_rating:.2f}",
        "target": f"{statistics.ONLINE_TARGET:.0f}%",
    }


def _number(value):
    return None if value is None else float(value)


def _charts(summary, departments, counties, months) -> dict:
    by_volume = sorted(counties, key=lambda row: row.measures.submitted, reverse=True)
    return {
        "target": float(statistics.ONLINE_TARGET),
        "months": {"labels": [row.label for row in months], "keys": [row.key for row in months],
                   "submitted": [row.measures.submitted for row in months],
                   "completed": [row.measures.completed for row in months],
                   "online_rate": [_number(row.measures.online_rate) for row in months],
                   "on_time_rate": [_number(row.measures.on_time_rate) for row in months]},
        "departments": {"labels": [row.label for row in departments], "submitted": [row.measures.submitted for row in departments],
                        "online_rate": [_number(row.measures.online_rate) for row in departments]},
        "counties": {"labels": [row.label for row in by_volume], "submitted": [row.measures.submitted for row in by_volume],
                     "online_rate": [_number(row.measures.online_rate) for row in by_volume]},
        "ratings": [{"name": str(label), "value": summary.rating_counts.get(value, 0)}
                    for value, label in sorted(Rating.choices, reverse=True)],
        "satisfaction": _number(summary.measures.satisfaction),
    }


def _months(chosen: dict, count: int = 36) -> list[tuple[str, str]]:
    """The months offered by the filter: this one and the 35 before, and those chosen; latest first."""
    this_month = timezone.localdate().replace(day=1)
    months = {statistics.add_months(this_month, -n) for n in range(count)}
    months |= {statistics.parse_period(chosen[key], None)[0] for key in ("start", "end")}
    return [(f"{m:%Y-%m}", f"{m.year}年{m.month}月") for m in sorted(months, reverse=True)]
