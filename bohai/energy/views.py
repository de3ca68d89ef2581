"""Workbench pages of energy and emission monitoring: the overview of a month, one enterprise's months and
exceedances, the monthly report per industry, and the XLSX downloads of the two reports. Everything is read
within the user's scope (`restrict`); an enterprise outside it answers 404."""
from datetime import date, datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.engines.workdays.periods import add_months
from bohai.kernel.pages.access import staff_required

from . import actions, reports
from .figures import current_month
from .models import EmissionPermit, Industry, KeyEnterprise

PERMISSION = "energy.view_monthlyenergy"
ENTERPRISE_MONTHS = 12
EXCEEDANCES_SHOWN = 50


def _require(user) -> None:
    if not user.has_perm(PERMISSION):
        raise PermissionDenied


def _chosen_month(request) -> tuple[date, str]:
    """The month asked for (?month=YYYY-MM), this month by default; a bad one falls back with a note."""
    text = (request.GET.get("month") or "").strip()
    if not text:
        return current_month(), ""
    try:
        return datetime.strptime(text, "%Y-%m").date(), ""
    except ValueError:
        return current_month(), _("月份应为 YYYY-MM，已显示本月")


def _number(value):
    return None if value is None else float(value)


@staff_required
def overview(request):
    _require(request.user)
    month, problem = _chosen_month(request)
    report = reports.industry_report(request.user, month)
    industries = reports.by_industry(request.user, month)
    top = reports.top_consumers(request.user, month)
    charts = {
        "trend": reports.trend(request.user, month),
        "industries": [{"name": row["label"], "value": _number(row["tce"])} for row in industries],
        "top": [{"name": f.enterprise.name, "value": _number(f.total_tce)} for f in reversed(top)],
    }
    return render(request, "energy/overview.html", {
        "month": month, "month_text": f"{month:%Y-%m}", "problem": problem, "total": report.total,
        "monitored": reports.enterprises_in_scope(request.user).filter(active=True).count(),
        "industries": industries, "top": top, "exceedances": reports.recent_exceedances(request.user, month),
        "charts": charts, "industry_choices": Industry.choices, "now": timezone.now(),
    })


@staff_required
def enterprise(request, code: str):
    _require(request.user)
    found = KeyEnterprise.objects.select_related("region", "legal_entity").get_in_scope(
        request.user, "view", enterprise_code=code)
    last, problem = _chosen_month(request)
    first = add_months(last, -(ENTERPRISE_MONTHS - 1))
    months = reports.enterprise_months(found, first, last)
    charts = {"months": [f"{f.month:%Y-%m}" for f in months], "tce": [_number(f.total_tce) for f in months],
              "intensity": [_number(f.intensity) for f in months],
              "electricity": [_number(f.electricity_kwh) for f in months]}
    return render(request, "energy/enterprise.html", {
        "enterprise": found, "months": months, "first": first, "last": last, "month_text": f"{last:%Y-%m}",
        "problem": problem, "charts": charts,
        "exceedances": found.exceedances.select_related("permit").order_by("-hour")[:EXCEEDANCES_SHOWN],
        "permits": EmissionPermit.objects.filter(enterprise=found).order_by("pollutant", "-valid_from"),
        "may_record_output": _may(request.user, OUTPUT_PERMISSION, found),
    })


OUTPUT_PERMISSION = "energy.add_monthlyoutput"


def _may(user, permission: str, enterprise: KeyEnterprise) -> bool:
    """Whether one of the user's assignments granting `permission` covers the enterprise's region."""
    if user.is_superuser:
        return True
    return any(enterprise.region.path.startswith(path) for path, _unit in user.scopes_for(permission))


@staff_required
@require_POST
def record_output(request, code: str):
    """The month's output value and product quantity, entered by an energy officer on the enterprise page."""
    found = KeyEnterprise.objects.select_related("region").get_in_scope(request.user, "view", enterprise_code=code)
    if not _may(request.user, OUTPUT_PERMISSION, found):
        raise PermissionDenied
    try:
        month = datetime.strptime(request.POST.get("month", "").strip(), "%Y-%m").date()
        actions.record_output(actor=request.user, enterprise=found, month=month,
                              output_value=request.POST.get("output_value", "").strip() or None,
                              product_quantity=request.POST.get("product_quantity", "").strip() or None,
                              product_unit=request.POST.get("product_unit", ""))
    except ValueError:
        messages.error(request, _("月份应为 YYYY-MM"))
    except ValidationError as error:
        messages.error(request, "；".join(message for messages_ in error.message_dict.values() for message in messages_))
    else:
        messages.success(request, _("%(month)s 产出已登记，月度能耗强度将在下次计算时更新") % {"month": f"{month:%Y-%m}"})
    return redirect(f"{found.get_absolute_url()}?month={request.POST.get('month', '')}")


@staff_required
def enterprise_export(request, code: str):
    _require(request.user)
    found = KeyEnterprise.objects.select_related("region").get_in_scope(request.user, "view", enterprise_code=code)
    last, _problem = _chosen_month(request)
    first = add_months(last, -(ENTERPRISE_MONTHS - 1))
    content = reports.enterprise_workbook(found, reports.enterprise_months(found, first, last), first, last)
    return _xlsx(content, f"energy-{found.enterprise_code}-{last:%Y-%m}.xlsx")


def _industry(request) -> str:
    chosen = (request.GET.get("industry") or "").strip()
    return chosen if chosen in Industry.values else ""


@staff_required
def industry(request):
    _require(request.user)
    month, problem = _chosen_month(request)
    report = reports.industry_report(request.user, month, _industry(request))
    return render(request, "energy/industry.html", {
        "report": report, "month_text": f"{month:%Y-%m}", "problem": problem, "chosen_industry": report.industry,
        "industry_choices": Industry.choices, "query_string": request.GET.urlencode(),
    })


@staff_required
def industry_export(request):
    _require(request.user)
    month, _problem = _chosen_month(request)
    report = reports.industry_report(request.user, month, _industry(request))
    return _xlsx(reports.industry_workbook(report), f"energy-{report.industry or 'all'}-{month:%Y-%m}.xlsx")


def _xlsx(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=reports.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
