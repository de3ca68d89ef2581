"""The energy system's service layer: every change of its data is one of these actions.

Reference data (coefficients), key enterprises, their monthly output and permits are kept by officers and
administrators one record at a time; the monthly figures and exceedances are written by the jobs in batches,
with one audit record per batch.
"""
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.kernel.audit.recording import record, snapshot
from bohai.kernel.audit.service import service_action
from bohai.kernel.events.outbox import publish
from bohai.kernel.identities.validators import IdentityValidationError, validate_credit_code

from .conversion import shipped_coefficients
from .models import (
    CoalCoefficient, EmissionPermit, Exceedance, KeyEnterprise, KeyLevel, MonthlyEnergy, MonthlyOutput,
    STANDARD, Pollutant,
)

EXCEEDANCE_EVENT = "energy.exceedance_found"
FIGURE_FIELDS = ("electricity_kwh", "natural_gas_m3", "coal_kg", "steam_mj", "total_tce", "output_value", "intensity",
                 "product_quantity", "product_unit", "unit_consumption", "meters")


# Coefficients ----------------------------------------------------------------------------------

@service_action
def load_coefficients(*, actor) -> dict:
    """Load the shipped GB/T 2589 coefficients; values an administrator has changed are kept."""
    shipped = shipped_coefficients()
    existing = set(CoalCoefficient.objects.values_list("carrier", flat=True))
    created = [CoalCoefficient(carrier=row["carrier"], unit=row["unit"], kgce_per_unit=Decimal(row["kgce_per_unit"]),
                               basis=shipped["basis"], standard=STANDARD, note=row.get("note", "")[:200])
               for row in shipped["coefficients"] if row["carrier"] not in existing]
    CoalCoefficient.objects.bulk_create(created)
    if created:
        record(actor=actor, action="energy.coefficients.load", target_type="energy.coalcoefficient",
               after={"standard": shipped["standard"], "carriers": [c.carrier for c in created]})
    return {"created": len(created), "kept": len(existing)}


@service_action
def update_coefficient(coefficient: CoalCoefficient, *, actor, kgce_per_unit, note: str | None = None
                       ) -> CoalCoefficient:
    before = snapshot(coefficient)
    coefficient.kgce_per_unit = _positive(kgce_per_unit, "kgce_per_unit")
    if note is not None:
        coefficient.note = note[:200]
    coefficient.full_clean()
    coefficient.save()
    record(actor=actor, action="energy.coefficient.update", target=coefficient, before=before,
           after=snapshot(coefficient))
    return coefficient


# Enterprises -----------------------------------------------------------------------------------

@service_action
def register_enterprise(*, actor, enterprise_code: str, name: str, industry: str, region, level: str = KeyLevel.CITY,
                        natural_gas_kgce=None, active: bool = True) -> KeyEnterprise:
    """Put an enterprise under monitoring; it is linked to the kernel's legal entity of the same USCC if one exists."""
    from bohai.kernel.identities.models import LegalEntity

    code = _credit_code(enterprise_code)
    if KeyEnterprise.objects.filter(enterprise_code=code).exists():
        raise ValidationError({"enterprise_code": [_("该企业已列为重点企业")]})
    enterprise = KeyEnterprise(
        enterprise_code=code, name=(name or "").strip(), industry=industry, region=region, level=level,
        natural_gas_kgce=None if natural_gas_kgce in (None, "") else _positive(natural_gas_kgce, "natural_gas_kgce"),
        active=active, legal_entity=LegalEntity.objects.filter(credit_code=code).first())
    enterprise.full_clean()
    enterprise.save()
    record(actor=actor, action="energy.enterprise.register", target=enterprise, after=snapshot(enterprise))
    return enterprise


@service_action
def update_enterprise(enterprise: KeyEnterprise, *, actor, **changes) -> KeyEnterprise:
    allowed = {"name", "industry", "region", "level", "natural_gas_kgce", "active"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"update_enterprise cannot change {sorted(unknown)}")
    before = snapshot(enterprise)
    for field, value in changes.items():
        if field == "natural_gas_kgce" and value not in (None, ""):
            value = _positive(value, field)
        setattr(enterprise, field, None if value == "" and field == "natural_gas_kgce" else value)
    enterprise.full_clean()
    enterprise.save()
    record(actor=actor, action="energy.enterprise.update", target=enterprise, before=before,
           after=snapshot(enterprise))
    return enterprise


@service_action
def record_output(*, actor, enterprise: KeyEnterprise, month: date, output_value=None, product_quantity=None,
                  product_unit: str = "") -> MonthlyOutput:
    """The month's output value (万元) and/or product quantity; a second call for the month replaces the first."""
    if output_value in (None, "") and product_quantity in (None, ""):
        raise ValidationError({"output_value": [_("产值和产量至少填写一项")]})
    output = MonthlyOutput.objects.filter(enterprise=enterprise, month=month.replace(day=1)).first()
    before = snapshot(output) if output else None
    output = output or MonthlyOutput(enterprise=enterprise, month=month.replace(day=1))
    output.output_value = None if output_value in (None, "") else _decimal(output_value, "output_value")
    output.product_quantity = None if product_quantity in (None, "") else _decimal(product_quantity, "product_quantity")
    output.product_unit = (product_unit or "").strip()
    output.full_clean(validate_constraints=False)
    output.save()
    record(actor=actor, action="energy.output.record", target=output, before=before, after=snapshot(output))
    return output


@service_action
def record_outputs_bulk(outputs: list[MonthlyOutput], *, actor, source: str = "") -> int:
    """Many months of output at once (demo, imports); existing months are left as they are."""
    created = MonthlyOutput.objects.bulk_create(outputs, ignore_conflicts=True)
    if created:
        record(actor=actor, action="energy.output.bulk_record", target_type="energy.monthlyoutput",
               after={"count": len(created), "source": source[:200]})
    return len(created)


@service_action
def add_permit(*, actor, enterprise: KeyEnterprise, permit_number: str, pollutant: str, limit_mg_m3,
               valid_from: date, valid_to: date | None = None) -> EmissionPermit:
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": [_("有效期止不能早于有效期起")]})
    if pollutant not in Pollutant.values:
        raise ValidationError({"pollutant": [_("未知的污染物")]})
    permit = EmissionPermit(enterprise=enterprise, permit_number=(permit_number or "").strip(), pollutant=pollutant,
                            limit_mg_m3=_positive(limit_mg_m3, "limit_mg_m3"), valid_from=valid_from,
                            valid_to=valid_to)
    permit.full_clean()
    permit.save()
    record(actor=actor, action="energy.permit.add", target=permit, after=snapshot(permit))
    return permit


@service_action
def end_permit(permit: EmissionPermit, *, actor, valid_to: date | None) -> EmissionPermit:
    """Set (or clear) the last day of a permit; its limit and start stay as they were when in force."""
    if valid_to is not None and valid_to < permit.valid_from:
        raise ValidationError({"valid_to": [_("有效期止不能早于有效期起")]})
    before = snapshot(permit)
    permit.valid_to = valid_to
    permit.save(update_fields=["valid_to", "updated_at"])
    record(actor=actor, action="energy.permit.end", target=permit, before=before, after=snapshot(permit))
    return permit


# Computed figures (jobs) -----------------------------------------------------------------------

@service_action
def store_monthly_figures(figures: list[MonthlyEnergy], *, actor, months: list[date]) -> dict:
    """Write recomputed figures over the stored ones of the same enterprise and month (one audit record)."""
    keys = {(f.enterprise_id, f.month) for f in figures}
    stored = {(f.enterprise_id, f.month): f for f in MonthlyEnergy.objects.filter(
        month__in=sorted({m for _e, m in keys}), enterprise_id__in=sorted({e for e, _m in keys}))}
    changed, new = [], []
    for figure in figures:
        current = stored.get((figure.enterprise_id, figure.month))
        if current is None:
            new.append(figure)
        elif any(getattr(current, name) != getattr(figure, name) for name in FIGURE_FIELDS):
            for name in FIGURE_FIELDS:
                setattr(current, name, getattr(figure, name))
            current.computed_at = timezone.now()  # bulk_update does not touch auto_now fields
            changed.append(current)
    MonthlyEnergy.objects.bulk_create(new)
    MonthlyEnergy.objects.bulk_update(changed, [*FIGURE_FIELDS, "computed_at"])
    if new or changed:
        record(actor=actor, action="energy.figures.recompute", target_type="energy.monthlyenergy",
               after={"months": [f"{m:%Y-%m}" for m in months], "created": len(new), "updated": len(changed)})
    return {"created": len(new), "updated": len(changed), "unchanged": len(figures) - len(new) - len(changed)}


@service_action
def record_exceedances(found: list[Exceedance], *, actor) -> list[Exceedance]:
    """Store the exceedances not stored yet (one per device, pollutant and hour) and announce each new one."""
    if not found:
        return []
    hours = sorted({e.hour for e in found})
    known = set(Exceedance.objects.filter(device_id__in={e.device_id for e in found}, hour__gte=hours[0],
                                          hour__lte=hours[-1]).values_list("device_id", "pollutant", "hour"))
    new = [e for e in found if (e.device_id, e.pollutant, e.hour) not in known]
    # ignore_conflicts: a second worker checking the same hour at the same moment adds nothing twice.
    Exceedance.objects.bulk_create(new, ignore_conflicts=True)
    for exceedance in new:
        publish(EXCEEDANCE_EVENT, {
            "enterprise_code": exceedance.enterprise.enterprise_code, "enterprise": exceedance.enterprise.name,
            "device_code": exceedance.device_code, "pollutant": exceedance.pollutant,
            "hour": exceedance.hour.isoformat(), "average": round(exceedance.average, 3),
            "limit": str(exceedance.limit), "ratio": round(exceedance.ratio, 3)})
    if new:
        record(actor=actor, action="energy.exceedances.record", target_type="energy.exceedance",
               after={"count": len(new), "first_hour": hours[0].isoformat(), "last_hour": hours[-1].isoformat()})
    return new


# Validation ------------------------------------------------------------------------------------

def _credit_code(value: str) -> str:
    try:
        return validate_credit_code(value or "").code
    except IdentityValidationError as error:
        raise ValidationError({"enterprise_code": [error.message]}) from None


def _decimal(value, field: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: [_("请输入数字")]}) from None
    if not number.is_finite() or number < 0:
        raise ValidationError({field: [_("不能为负数")]})
    return number


def _positive(value, field: str) -> Decimal:
    number = _decimal(value, field)
    if number <= 0:
        raise ValidationError({field: [_("必须大于零")]})
    return number

