"""Standard-coal conversion (GB/T 2589-2020, equivalent values) with worked examples."""
from decimal import Decimal

import pytest

from bohai.energy import actions, conversion
from bohai.energy.models import Basis, CoalCoefficient

STANDARD = conversion.default_coefficients()


@pytest.mark.parametrize(("amounts", "tonnes"), [
    ({"electricity": 1_000_000}, "122.900"),          # 1,000,000 kWh × 0.1229 kgce/kWh
    ({"coal": 1_000_000}, "714.300"),                 # 1,000 t of raw coal × 0.7143
    ({"natural_gas": 100_000}, "121.430"),            # 100,000 m³ × 1.2143
    ({"steam": 1_000_000}, "34.120"),                 # 1,000 GJ of heat × 0.03412 kgce/MJ
    # 2,500,000 × 0.1229 = 307,250 kgce; 40,000 × 1.2143 = 48,572; 300,000 × 0.7143 = 214,290;
    # 500,000 × 0.03412 = 17,060; together 587,172 kgce
    ({"electricity": 2_500_000, "natural_gas": 40_000, "coal": 300_000, "steam": 500_000}, "587.172"),
])
def test_worked_examples(amounts, tonnes):
    assert conversion.to_tce(amounts, STANDARD) == Decimal(tonnes)


def test_floats_from_telemetry_keep_their_decimal_value():
    # 0.1 + 0.2 summed as floats is 0.30000000000000004; the conversion rounds to one kilogram.
    assert conversion.to_kgce({"electricity": 0.1}, STANDARD) == Decimal("0.01229")
    assert conversion.to_tce({"electricity": 0.1 + 0.2}, STANDARD) == Decimal("0.000")


def test_unknown_carrier_is_refused():
    with pytest.raises(KeyError):
        conversion.to_tce({"diesel": 10}, STANDARD)


def test_enterprise_gas_coefficient_overrides_the_standard_one_only_for_gas():
    own = STANDARD.for_enterprise(Decimal("1.3300"))
    assert conversion.to_tce({"natural_gas": 100_000}, own) == Decimal("133.000")
    assert conversion.to_tce({"electricity": 1_000_000}, own) == Decimal("122.900")
    assert STANDARD.for_enterprise(None) is STANDARD


def test_intensity_and_unit_consumption():
    assert conversion.intensity(Decimal("122.900"), Decimal("1000")) == Decimal("0.1229")
    assert conversion.intensity(Decimal("122.900"), None) is None
    assert conversion.intensity(Decimal("122.900"), Decimal("0")) is None
    # 587.172 tce for 1,000 t of steel: 587.172 kgce/t
    assert conversion.unit_consumption(Decimal("587.172"), Decimal("1000")) == Decimal("587.172")


@pytest.mark.django_db
def test_reference_load_keeps_administrators_values():
    assert actions.load_coefficients(actor="test") == {"created": 4, "kept": 0}
    electricity = CoalCoefficient.objects.get(carrier="electricity")
    assert electricity.basis == Basis.EQUIVALENT and electricity.standard == "GB/T 2589-2020"
    assert electricity.kgce_per_unit == Decimal("0.1229")
    actions.update_coefficient(CoalCoefficient.objects.get(carrier="natural_gas"), actor="test", kgce_per_unit="1.1000")
    assert actions.load_coefficients(actor="test") == {"created": 0, "kept": 4}
    current = conversion.current_coefficients()
    assert current.kgce["natural_gas"] == Decimal("1.1000")
    assert conversion.to_tce({"natural_gas": 100_000}, current) == Decimal("110.000")


@pytest.mark.django_db
def test_coefficient_must_be_positive():
    from django.core.exceptions import ValidationError

    actions.load_coefficients(actor="test")
    with pytest.raises(ValidationError) as refused:
        actions.update_coefficient(CoalCoefficient.objects.get(carrier="coal"), actor="test", kgce_per_unit="0")
    assert "kgce_per_unit" in refused.value.message_dict
