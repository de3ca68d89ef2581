"""The leaders' dashboard (网格指标排名): headline indicators against the observed city figures,
rankings by department, county and township, monthly trends, a hot-spot map and the XLSX export.
Everything is counted within the user's `cases.view_indicators` scope (bohai/cases/indicators.py)."""
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bohai.kernel.pages.access import staff_required
from bohai.kernel.regions.models import Level, Region

from .. import indicators
from ..indicators import Filters
from ..models import Track

DEFAULT_MONTHS = 13  # this month and the twelve before it
TOWNSHIP_ROWS = 30
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADLINE = (  # indicator, what it is counted over
    ("on_time_closure_rate", gettext_lazy("期内到期案件，按时限结案")),
    ("closure_rate", gettext_lazy("期内到期案件（挂账除外）")),
    ("rework_rate", gettext_lazy("核查过的案件中核查不通过")),
    ("satisfaction_rate", gettext_lazy("12345 回访：满意与基本满意")),
    ("dispatch_accuracy", gettext_lazy("首次派遣即签收（未退回）")),
    ("filing_rate", gettext_lazy("数字城管上报（合并重复除外）")),
    ("on_time_handling_rate", gettext_lazy("处置反馈在时限内")),
    ("average_handling_days", gettext_lazy("签收（12345 派单）至处置反馈")),
)


@staff_required
def dashboard(request):
    _require(request.user)
    filters, chosen, problem = _filters(request)
    now = timezone.now()
    source = indicators.cube(filters, request.user, now)
    total = source.total()
    minimum = indicators.MINIMUM_RANKED
    departments = indicators.rank(source.rows("department"), minimum=minimum)
    counties = indicators.rank(source.rows("county"), minimum=minimum)
    townships = indicators.rank(source.rows("township"), minimum=minimum)
    months = source.rows("month")
    spots = indicators.hotspots(filters, request.user, now, source=source)
    for row in (*departments, *counties, *townships, *months):
        row.cells = _cells(row.measures)
    return render(request, "cases/dashboard.html", {
        "total": total, "cards": _cards(total), "departments": departments, "counties": counties,
        "townships": townships[:TOWNSHIP_ROWS], "township_count": len(townships), "months": months,
        "charts": _charts(months, departments, counties, spots), "chosen": chosen, "problem": problem,
        "county_choices": _visible_counties(request.user), "track_choices": Track.choices,
        "scope": _scope_label(request.user), "query_string": request.GET.urlencode(), "now": now,
        "spots": spots, "has_grids": bool(spots["grids"] or spots["townships"]), "minimum": minimum,
    })


@staff_required
def export(request):
    _require(request.user)
    filters, chosen, _problem = _filters(request)
    content = indicators.export_workbook(filters, actor=request.user)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="cases-indicators-{chosen["start"]}-{chosen["end"]}.xlsx"'
    return response


def _require(user) -> None:
    if not user.has_perm(indicators.PERMISSION):
        raise PermissionDenied


def _filters(request) -> tuple[Filters, dict, str]:
    """Months (default: this month and the twelve before), county and track; a bad month falls back to
    the default with a note, an unknown county or track is ignored."""
    problem = ""
    default_start, default_end = indicators.last_months(DEFAULT_MONTHS)
    try:
        start, end = indicators.parse_period(request.GET.get("start"), request.GET.get("end"))
    except ValueError as error:
        start, end, problem = None, None, str(error)
    start, end = start or default_start, end or default_end
    if end < start:
        start, end, problem = default_start, default_end, _("截止日期早于起始日期")
    chosen = {"start": f"{start:%Y-%m}", "end": f"{end:%Y-%m}", "county": "", "track": ""}
    county = request.GET.get("county", "").strip()
    region = None
    if county:
        region = (Region.objects.defer("boundary").filter(level__in=(Level.CITY, Level.COUNTY, Level.ZONE))
                  .filter(key=county).first())
        chosen["county"] = region.key if region else ""
    track = request.GET.get("track", "").strip()
    chosen["track"] = track if track in Track.values else ""
    return Filters.for_months(start, end, region=region, track=chosen["track"]), chosen, problem


def _visible_counties(user) -> list[Region]:
    counties = list(Region.objects.filter(level__in=(Level.COUNTY, Level.ZONE)).defer("boundary").order_by("path"))
    if user.is_superuser:
        return counties
    paths = [path for path, _unit in user.scopes_for(indicators.PERMISSION)]
    return [c for c in counties if any(c.path.startswith(p) or p.startswith(c.path) for p in paths)]


def _scope_label(user) -> str:
    if user.is_superuser:
        return _("全市")
    assignments = (user.role_assignments.filter(role__permissions__codename="view_indicators",
                                                role__permissions__content_type__app_label="cases")
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


def _cells(m: indicators.Measures) -> dict:
    return {name: ("—" if value is None else f"{value:.2f}") if name == "average_handling_days" else _rate(value)
            for name, value in m.rates().items()}


def _cards(total: indicators.Measures) -> list[dict]:
    cards = []
    for name, basis in HEADLINE:
        value = getattr(total, name)
        card = {"name": name, "label": indicators.RATE_NAMES[name], "basis": basis, "reference": "", "verdict": "",
                "tone": "", "value": _rate(value, 2) if name != "average_handling_days" else
                ("—" if value is None else f"{value:.2f}")}
        if name in indicators.REFERENCE:
            low, high = indicators.REFERENCE[name]
            card["reference"] = f"{low:g}%" if low == high else f"{low:g}%–{high:g}%"
            card["verdict"], card["tone"] = _verdict(name, value, low, high)
        cards.append(card)
    return cards


def _verdict(name: str, value: Decimal | None, low: Decimal, high: Decimal) -> tuple[str, str]:
    if value is None:
        return "", ""
    lower_is_better = name in indicators.LOWER_IS_BETTER
    if value > high:
        return (_("高于观测值"), "red") if lower_is_better else (_("优于观测区间"), "green")
    if value < low:
        return (_("低于观测值"), "green") if lower_is_better else (_("低于观测区间"), "orange")
    return _("处于观测区间"), "blue"


def _number(value):
    return None if value is None else float(value)


def _charts(months, departments, counties, spots) -> dict:
    def ranked(rows):
        valued = [row for row in rows if row.rank is not None]
        return {"labels": [row.label for row in valued], "on_time": [_number(row.measures.on_time_closure_rate) for row in valued],
                "closure": [_number(row.measures.closure_rate) for row in valued],
                "due": [row.measures.due - row.measures.due_deferred for row in valued]}

    this_month = f"{timezone.localdate():%Y-%m}"

    def rates(name):  # this month's rates are not drawn: its deadlines are still falling
        return [None if row.key == this_month else _number(getattr(row.measures, name)) for row in months]

    return {
        "months": {"keys": [row.key for row in months], "reported": [row.measures.reported for row in months],
                   "current": this_month if months and months[-1].key == this_month else None,
                   "closed": [row.measures.due_closed for row in months],
                   "closure": rates("closure_rate"), "on_time": rates("on_time_closure_rate"),
                   "satisfaction": rates("satisfaction_rate"), "dispatch": rates("dispatch_accuracy"),
                   "rework": rates("rework_rate")},
        "reference": {name: [float(low), float(high)] for name, (low, high) in indicators.REFERENCE.items()},
        "departments": ranked(departments),
        "counties": ranked(counties),
        "spots": {
            "counties": [{"name": c["name"], "value": _number(c["per_10k"]) if c["per_10k"] is not None else c["count"],
                          "count": c["count"]} for c in spots["counties"]],
            "grids": [[g["lng"], g["lat"], g["count"], g["name"]] for g in spots["grids"] if g["lng"] is not None],
            "townships": [[t["lng"], t["lat"], t["count"], t["name"]] for t in spots["townships"] if t["lng"] is not None],
            "grid_counties": sorted({g["key"][:6] for g in spots["grids"]}),
        },
    }
