"""Monthly figures from energy-meter readings: sums per Beijing month, standard coal, intensity, recomputation."""
from decimal import Decimal

import pytest

from bohai.energy import actions, figures
from bohai.energy.models import MonthlyEnergy
from bohai.kernel.audit.models import AuditRecord

from .conftest import month, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def metered(enterprises, make_device):
    steel = enterprises["steel"]
    first, second = make_device("EM-STEEL-1", "meter", steel), make_device("EM-STEEL-2", "meter", steel)
    # Interval readings in March 2026 (Beijing), on two meters, one reading at each month boundary.
    write(first, "electricity", [((2026, 3, 1, 0, 0), 400_000), ((2026, 3, 15, 12, 0), 350_000),
                                 ((2026, 3, 31, 23, 45), 250_000),
                                 ((2026, 2, 28, 23, 59), 99_999), ((2026, 4, 1, 0, 0), 88_888)])
    write(second, "electricity", [((2026, 3, 10, 8, 0), 1_000_000)])
    write(first, "natural_gas", [((2026, 3, day, 9, 0), 10_000) for day in range(1, 11)])  # 100,000 m³
    write(second, "coal", [((2026, 3, 2, h, 0), 12_500) for h in range(24)])  # 300,000 kg
    write(second, "steam", [((2026, 3, 20, 6, 0), 500_000)])
    return steel


def test_a_month_adds_up_the_meters_interval_readings(metered):
    actions.record_output(actor="test", enterprise=metered, month=month(2026, 3), output_value="10000",
                          product_quantity="1000", product_unit="吨钢")
    result = figures.recompute([month(2026, 3)], actor="test", enterprises=[metered])
    assert result == {"created": 1, "updated": 0, "unchanged": 0}
    figure = MonthlyEnergy.objects.get(enterprise=metered, month=month(2026, 3))
    assert figure.electricity_kwh == Decimal("2000000.000")  # the readings of 28 Feb and 1 Apr are not March's
    assert figure.natural_gas_m3 == Decimal("100000.000")
    assert figure.coal_kg == Decimal("300000.000")
    assert figure.steam_mj == Decimal("500000.000")
    # 2,000,000 × 0.1229 = 245,800; 100,000 × 1.2143 = 121,430; 300,000 × 0.7143 = 214,290; 500,000 × 0.03412 = 17,060
    assert figure.total_tce == Decimal("598.580")
    assert figure.intensity == Decimal("0.0599")  # tce per 万元
    assert figure.unit_consumption == Decimal("598.580")  # kgce per tonne of steel
    assert figure.meters == 2


def test_recomputing_changes_nothing_until_a_reading_arrives(metered, make_device):
    figures.recompute([month(2026, 3)], actor="test", enterprises=[metered])
    audits = AuditRecord.objects.filter(action="energy.figures.recompute").count()
    assert figures.recompute([month(2026, 3)], actor="test", enterprises=[metered])["unchanged"] == 1
    assert AuditRecord.objects.filter(action="energy.figures.recompute").count() == audits
    late = make_device("EM-STEEL-3", "meter", metered)
    write(late, "electricity", [((2026, 3, 31, 12, 0), 1_000_000)])
    assert figures.recompute([month(2026, 3)], actor="test", enterprises=[metered])["updated"] == 1
    figure = MonthlyEnergy.objects.get(enterprise=metered, month=month(2026, 3))
    assert figure.electricity_kwh == Decimal("3000000.000") and figure.total_tce == Decimal("721.480")
    assert figure.intensity is None  # no output recorded for the month


def test_enterprise_gas_coefficient_is_used(metered):
    actions.update_enterprise(metered, actor="test", natural_gas_kgce="1.3300")
    figures.recompute([month(2026, 3)], actor="test", enterprises=[metered])
    # the gas now counts 133,000 kgce instead of 121,430
    assert MonthlyEnergy.objects.get(enterprise=metered).total_tce == Decimal("610.150")


def test_an_enterprise_without_meters_gets_a_zero_month(enterprises):
    figures.recompute([month(2026, 3)], actor="test")
    glass = MonthlyEnergy.objects.get(enterprise=enterprises["glass"])
    assert glass.total_tce == 0 and glass.meters == 0


def test_the_job_recomputes_this_and_last_month(metered):
    from datetime import datetime

    from .conftest import BEIJING

    result = figures.recompute_recent(actor="test", now=datetime(2026, 4, 2, 10, 0, tzinfo=BEIJING))
    assert result["created"] == 4  # two enterprises × March and April
    april = MonthlyEnergy.objects.get(enterprise=metered, month=month(2026, 4))
    assert april.electricity_kwh == Decimal("88888.000")


def test_register_refuses_a_bad_credit_code(cangzhou):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        actions.register_enterprise(actor="test", enterprise_code="91130921MA0TEE11XX", name="x", industry="steel",
                                    region=cangzhou["cang"])
    assert "enterprise_code" in refused.value.message_dict


def test_register_links_the_legal_entity(cangzhou):
    from bohai.kernel.identities.models import LegalEntity

    from .conftest import credit_code

    code = credit_code("130921", "MA0LNK11")
    entity = LegalEntity.objects.create(credit_code=code, name="沧县链接化工有限公司", entity_type="enterprise",
                                        region=cangzhou["cang"])
    enterprise = actions.register_enterprise(actor="test", enterprise_code=code.lower(), name="沧县链接化工有限公司",
                                             industry="chemical", region=cangzhou["cang"])
    assert enterprise.enterprise_code == code and enterprise.legal_entity == entity


def test_a_rewritten_figure_has_a_new_computation_time(metered, make_device):
    figures.recompute([month(2026, 3)], actor="test", enterprises=[metered])
    first = MonthlyEnergy.objects.get(enterprise=metered).computed_at
    write(make_device("EM-STEEL-9", "meter", metered), "steam", [((2026, 3, 3, 3, 0), 1)])
    figures.recompute([month(2026, 3)], actor="test", enterprises=[metered])
    assert MonthlyEnergy.objects.get(enterprise=metered).computed_at > first
