"""Conversion of energy consumption to tonnes of standard coal (tce), GB/T 2589-2020, equivalent values.

The coefficients are reference data (`CoalCoefficient`, loaded from `data/coal_coefficients.json` at set-up
and editable by administrators). An enterprise may have its own natural-gas coefficient (its gas source's
calorific value), which replaces the standard one for that enterprise only.

    coefficients = current_coefficients()
    tonnes = to_tce({"electricity": 1_000_000}, coefficients)   # Decimal("122.900")
"""
import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from .models import Carrier, CoalCoefficient

DATA_FILE = Path(__file__).resolve().parent / "data" / "coal_coefficients.json"
KG_PER_TONNE = Decimal(1000)
TCE_PLACES = Decimal("0.001")


@dataclass(frozen=True)
class Coefficients:
    """kgce per unit of each carrier (electricity per kWh, natural gas per m³, coal per kg, steam per MJ)."""

    kgce: dict[str, Decimal]

    def for_enterprise(self, natural_gas_kgce: Decimal | None) -> "Coefficients":
        if natural_gas_kgce is None:
            return self
        return Coefficients({**self.kgce, Carrier.NATURAL_GAS: Decimal(natural_gas_kgce)})


def shipped_coefficients() -> dict:
    """The standard's values as shipped (the reference step loads them)."""
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def default_coefficients() -> Coefficients:
    shipped = shipped_coefficients()["coefficients"]
    return Coefficients({row["carrier"]: Decimal(row["kgce_per_unit"]) for row in shipped})


def current_coefficients() -> Coefficients:
    """The coefficients as administrators keep them; the shipped ones for any carrier not loaded yet."""
    stored = dict(CoalCoefficient.objects.values_list("carrier", "kgce_per_unit"))
    return Coefficients({**default_coefficients().kgce, **stored})


def to_kgce(amounts: dict[str, object], coefficients: Coefficients) -> Decimal:
    """Kilograms of standard coal for amounts per carrier; unknown carriers are refused, not ignored."""
    total = Decimal(0)
    for carrier, amount in amounts.items():
        if carrier not in coefficients.kgce:
            raise KeyError(f"no standard-coal coefficient for {carrier!r}")
        total += _decimal(amount) * coefficients.kgce[carrier]
    return total


def to_tce(amounts: dict[str, object], coefficients: Coefficients) -> Decimal:
    """Tonnes of standard coal, to three places (one kilogram)."""
    return (to_kgce(amounts, coefficients) / KG_PER_TONNE).quantize(TCE_PLACES, rounding=ROUND_HALF_UP)


def intensity(total_tce: Decimal, output_value: Decimal | None) -> Decimal | None:
    """Tonnes of standard coal per 万元 of output; none when there is no (or zero) output."""
    if not output_value:
        return None
    return (Decimal(total_tce) / Decimal(output_value)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def unit_consumption(total_tce: Decimal, quantity: Decimal | None) -> Decimal | None:
    """Kilograms of standard coal per unit of product (kgce/t of steel, of clinker …)."""
    if not quantity:
        return None
    return (Decimal(total_tce) * KG_PER_TONNE / Decimal(quantity)).quantize(TCE_PLACES, rounding=ROUND_HALF_UP)


def _decimal(amount) -> Decimal:
    # Telemetry sums are floats: go through their shortest repr so 0.1 stays 0.1, not 0.1000000000000000055.
    return amount if isinstance(amount, Decimal) else Decimal(repr(float(amount)))
