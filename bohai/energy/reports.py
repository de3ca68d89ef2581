"""What the pages, the API and the XLSX downloads show, always within the user's scope: the overview of a
month, an enterprise's months, an industry's monthly report, and the workbooks of the two reports."""
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import openpyxl
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _
from openpyxl.styles import Alignment, Font, PatternFill

from bohai.engines.workdays.periods import add_months

from .conversion import intensity
from .figures import BEIJING, month_bounds
from .models import Exceedance, Industry, KeyEnterprise, MonthlyEnergy

TOP_CONSUMERS = 10
TREND_MONTHS = 12
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AMOUNTS = ("electricity_kwh", "natural_gas_m3", "coal_kg", "steam_mj", "total_tce")


@dataclass
class Totals:
    electricity_kwh: Decimal = Decimal(0)
    natural_gas_m3: Decimal = Decimal(0)
    coal_kg: Decimal = Decimal(0)
    steam_mj: Decimal = Decimal(0)
    total_tce: Decimal = Decimal(0)
    output_value: Decimal = Decimal(0)
    tce_with_output: Decimal = Decimal(0)  # the tce of the enterprises that reported output, for the intensity
    exceedances: int = 0
    enterprises: int = 0

    def add(self, figure: MonthlyEnergy) -> None:
        for name in AMOUNTS:
            setattr(self, name, getattr(self, name) + getattr(figure, name))
        if figure.output_value:
            self.output_value += figure.output_value
            self.tce_with_output += figure.total_tce
        self.enterprises += 1

    @property
    def intensity(self) -> Decimal | None:
        return intensity(self.tce_with_output, self.output_value)


@dataclass
class IndustryReport:
    industry: str
    month: date
    rows: list[MonthlyEnergy] = field(default_factory=list)
    total: Totals = field(default_factory=Totals)

    @property
    def industry_label(self) -> str:
        return Industry(self.industry).label if self.industry else _("全部行业")


def enterprises_in_scope(user):
    return KeyEnterprise.objects.restrict(user, "view").select_related("region")


def exceedance_counts(user, month: date, enterprise_ids=None) -> dict[int, int]:
    start, end = month_bounds(month)
    found = Exceedance.objects.restrict(user, "view").filter(hour__gte=start, hour__lt=end)
    if enterprise_ids is not None:
        found = found.filter(enterprise_id__in=list(enterprise_ids))
    return dict(found.values_list("enterprise").annotate(n=Count("id")).values_list("enterprise", "n"))


def enterprise_months(enterprise: KeyEnterprise, first: date, last: date) -> list[MonthlyEnergy]:
    figures = list(MonthlyEnergy.objects.filter(enterprise=enterprise, month__gte=first, month__lte=last)
                   .order_by("month"))
    start, _end = month_bounds(first)
    _start, end = month_bounds(last)
    counts = Counter(hour.astimezone(BEIJING).date().replace(day=1) for hour in
                     enterprise.exceedances.filter(hour__gte=start, hour__lt=end).values_list("hour", flat=True))
    for figure in figures:
        figure.exceedance_count = counts.get(figure.month, 0)
    return figures


def industry_report(user, month: date, industry: str = "") -> IndustryReport:
    figures = MonthlyEnergy.objects.restrict(user, "view").filter(month=month).select_related(
        "enterprise", "enterprise__region")
    if industry:
        figures = figures.filter(enterprise__industry=industry)
    report = IndustryReport(industry, month)
    report.rows = sorted(figures, key=lambda f: (-f.total_tce, f.enterprise.name))
    counts = exceedance_counts(user, month, [f.enterprise_id for f in report.rows])
    for figure in report.rows:
        figure.exceedance_count = counts.get(figure.enterprise_id, 0)
        report.total.add(figure)
        report.total.exceedances += figure.exceedance_count
    return report


def by_industry(user, month: date) -> list[dict]:
    rows = (MonthlyEnergy.objects.restrict(user, "view").filter(month=month).values("enterprise__industry")
            .annotate(tce=Sum("total_tce"), output=Sum("output_value", filter=Q(output_value__gt=0)),
                      tce_with_output=Sum("total_tce", filter=Q(output_value__gt=0)), enterprises=Count("id"))
            .order_by("-tce"))
    labels = dict(Industry.choices)
    return [{"industry": row["enterprise__industry"], "label": labels.get(row["enterprise__industry"], ""),
             "tce": row["tce"] or Decimal(0), "enterprises": row["enterprises"],
             "intensity": intensity(row["tce_with_output"] or Decimal(0), row["output"])} for row in rows]


def trend(user, last: date, months: int = TREND_MONTHS) -> list[dict]:
    first = add_months(last, -(months - 1))
    totals = dict(MonthlyEnergy.objects.restrict(user, "view").filter(month__gte=first, month__lte=last)
                  .values_list("month").annotate(tce=Sum("total_tce")).values_list("month", "tce"))
    return [{"month": f"{m:%Y-%m}", "tce": float(totals.get(m) or 0)}
            for m in (add_months(first, i) for i in range(months))]


def top_consumers(user, month: date, limit: int = TOP_CONSUMERS) -> list[MonthlyEnergy]:
    return list(MonthlyEnergy.objects.restrict(user, "view").filter(month=month, total_tce__gt=0)
                .select_related("enterprise").order_by("-total_tce")[:limit])


def recent_exceedances(user, month: date, limit: int = 20):
    start, end = month_bounds(month)
    return (Exceedance.objects.restrict(user, "view").filter(hour__gte=start, hour__lt=end)
            .select_related("enterprise").order_by("-hour")[:limit])


# Workbooks -------------------------------------------------------------------------------------

HEADER_FILL = PatternFill("solid", fgColor="DCE6F2")
BOLD = Font(bold=True)


def _columns() -> list[str]:
    return [_("电力（kWh）"), _("天然气（m³）"), _("原煤（kg）"), _("蒸汽（MJ）"), _("综合能耗（吨标准煤）"),
            _("工业总产值（万元）"), _("万元产值能耗（tce/万元）"), _("产品产量"), _("产量单位"),
            _("单位产品能耗（kgce/单位）"), _("超标小时数")]


def _figure_cells(figure) -> list:
    return [float(figure.electricity_kwh), float(figure.natural_gas_m3), float(figure.coal_kg), float(figure.steam_mj),
            float(figure.total_tce), _float(figure.output_value), _float(figure.intensity),
            _float(figure.product_quantity), figure.product_unit, _float(figure.unit_consumption),
            getattr(figure, "exceedance_count", 0)]


def _float(value):
    return None if value is None else float(value)


def _sheet(workbook, title: str, lines: list[str], header: list[str]):
    sheet = workbook.active
    sheet.title = title[:31]
    for line in lines:
        sheet.append([line])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for index in range(1, len(header) + 1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = 16
    sheet.column_dimensions["A"].width = 34
    return sheet


def _bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _basis_note() -> str:
    return _("折标准煤按 GB/T 2589-2020 当量值：电力 0.1229 kgce/kWh，原煤 0.7143 kgce/kg，天然气 1.2143 kgce/m³"
             "（企业核定值优先），热力 0.03412 kgce/MJ（以系统当前配置为准）。")


def enterprise_workbook(enterprise: KeyEnterprise, figures: list[MonthlyEnergy], first: date, last: date) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = _sheet(workbook, _("月度能耗"), [
        _("%(name)s 月度能耗报表") % {"name": enterprise.name},
        _("统一社会信用代码：%(code)s；行业：%(industry)s；所在区划：%(region)s") % {
            "code": enterprise.enterprise_code, "industry": enterprise.get_industry_display(),
            "region": enterprise.region.name},
        _("期间：%(first)s 至 %(last)s") % {"first": f"{first:%Y-%m}", "last": f"{last:%Y-%m}"},
        _basis_note()], [_("月份"), *_columns()])
    totals = Totals()
    for figure in figures:
        sheet.append([f"{figure.month:%Y-%m}", *_figure_cells(figure)])
        totals.add(figure)
        totals.exceedances += getattr(figure, "exceedance_count", 0)
    sheet.append(_total_row(totals))
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
    return _bytes(workbook)


def industry_workbook(report: IndustryReport) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = _sheet(workbook, _("行业月报"), [
        _("%(industry)s 重点企业能耗月报（%(month)s）") % {"industry": report.industry_label,
                                                     "month": f"{report.month:%Y-%m}"},
        _("企业数：%(n)d") % {"n": report.total.enterprises}, _basis_note()],
        [_("企业名称"), _("统一社会信用代码"), _("行业"), _("所在区划"), *_columns()])
    for figure in report.rows:
        enterprise = figure.enterprise
        sheet.append([enterprise.name, enterprise.enterprise_code, enterprise.get_industry_display(),
                      enterprise.region.name, *_figure_cells(figure)])
    sheet.append([_total_row(report.total)[0], "", "", "", *_total_row(report.total)[1:]])
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
    return _bytes(workbook)


def _total_row(totals: Totals) -> list:
    return [_("合计"), float(totals.electricity_kwh), float(totals.natural_gas_m3), float(totals.coal_kg),
            float(totals.steam_mj), float(totals.total_tce), float(totals.output_value), _float(totals.intensity),
            None, "", None, totals.exceedances]
