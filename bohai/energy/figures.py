"""Monthly energy figures: each key enterprise's consumption per carrier in a (Beijing) month, from its energy
meters, converted to tonnes of standard coal, with intensity per 万元 of output and per unit of product.

The job `energy.monthly_figures` recomputes this month and the previous one every hour (late readings of
the previous month still land); `recompute(months)` does any months on demand (`bohai energy_recompute`).
Recomputing is idempotent: a figure is rewritten only when a value changed.
"""
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from bohai.engines.workdays.periods import add_months

from . import actions, conversion, sources
from .models import Carrier, KeyEnterprise, MonthlyEnergy, MonthlyOutput

BEIJING = ZoneInfo("Asia/Shanghai")
AMOUNT_PLACES = Decimal("0.001")
FIELD_OF_CARRIER = {Carrier.ELECTRICITY: "electricity_kwh", Carrier.NATURAL_GAS: "natural_gas_m3",
                    Carrier.COAL: "coal_kg", Carrier.STEAM: "steam_mj"}


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[start, end) of a Beijing calendar month, as aware datetimes."""
    first = month.replace(day=1)
    return (datetime.combine(first, time(), tzinfo=BEIJING),
            datetime.combine(add_months(first, 1), time(), tzinfo=BEIJING))


def current_month(now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), BEIJING).date().replace(day=1)


def months_between(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def compute(enterprise: KeyEnterprise, month: date, amounts: dict, meters: int,
            coefficients: conversion.Coefficients, output: MonthlyOutput | None) -> MonthlyEnergy:
    """The (unsaved) figure of one enterprise and month from its amounts per carrier."""
    amounts = {carrier: Decimal(repr(float(amounts.get(carrier, 0.0)))).quantize(AMOUNT_PLACES)
               for carrier in sources.CARRIERS}
    figure = MonthlyEnergy(enterprise=enterprise, month=month, meters=meters,
                           **{FIELD_OF_CARRIER[carrier]: amount for carrier, amount in amounts.items()})
    figure.total_tce = conversion.to_tce(amounts, coefficients.for_enterprise(enterprise.natural_gas_kgce))
    if output is not None:
        figure.output_value = output.output_value
        figure.product_quantity = output.product_quantity
        figure.product_unit = output.product_unit
    figure.intensity = conversion.intensity(figure.total_tce, figure.output_value)
    figure.unit_consumption = conversion.unit_consumption(figure.total_tce, figure.product_quantity)
    return figure


def recompute(months: list[date], *, actor, enterprises=None) -> dict:
    """Recompute the figures of the given months for every active enterprise (or those given)."""
    months = sorted({m.replace(day=1) for m in months})
    enterprises = list(enterprises if enterprises is not None else KeyEnterprise.objects.filter(active=True))
    if not months or not enterprises:
        return {"created": 0, "updated": 0, "unchanged": 0}
    meters = sources.energy_meters([e.enterprise_code for e in enterprises])
    amounts = sources.monthly_consumption(meters, months)
    coefficients = conversion.current_coefficients()
    outputs = {(o.enterprise_id, o.month): o for o in MonthlyOutput.objects.filter(
        enterprise__in=enterprises, month__in=months)}
    figures = [compute(enterprise, month, amounts.get((enterprise.enterprise_code, month), {}),
                       len(meters.get(enterprise.enterprise_code, [])), coefficients,
                       outputs.get((enterprise.pk, month)))
               for enterprise in enterprises for month in months]
    return actions.store_monthly_figures(figures, actor=actor, months=months)


def recompute_recent(*, actor, now: datetime | None = None) -> dict:
    this_month = current_month(now)
    return recompute([add_months(this_month, -1), this_month], actor=actor)
