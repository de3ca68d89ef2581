"""The demo step: twelve key enterprises with valid USCCs, permits and a year of output; idempotent; it
succeeds without devices and puts the owners of energy meters under monitoring when there are some."""
from datetime import datetime

import pytest

from bohai.energy.demo import ENTERPRISES, MONTHS, generate_demo_enterprises
from bohai.energy.models import EmissionPermit, KeyEnterprise, MonthlyEnergy, MonthlyOutput
from bohai.kernel.identities.validators import validate_credit_code

from .conftest import BEIJING, credit_code, write

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 20, 10, 0, tzinfo=BEIJING)


def test_demo_without_devices(cangzhou, roles):
    result = generate_demo_enterprises(actor="test", seed=2026, now=NOW)
    assert result["enterprises"] == len(ENTERPRISES) == 12
    for enterprise in KeyEnterprise.objects.all():
        assert validate_credit_code(enterprise.enterprise_code).code == enterprise.enterprise_code
    assert MonthlyOutput.objects.count() == 12 * MONTHS
    assert EmissionPermit.objects.count() == 12 * 3
    assert MonthlyEnergy.objects.count() == 12 * MONTHS  # zero months: no meters yet
    again = generate_demo_enterprises(actor="test", seed=2026, now=NOW)
    assert again["enterprises"] == 0 and KeyEnterprise.objects.count() == 12
    assert again["figures"]["created"] == 0


def test_demo_adopts_the_owners_of_meters(cangzhou, roles, make_device):
    from bohai.kernel.identities.models import LegalEntity

    code = credit_code("130921", "MA0HUA11")
    LegalEntity.objects.create(credit_code=code, name="沧县某某石油化工有限公司", entity_type="enterprise",
                               industry="石油化工", region=cangzhou["cang"])
    owner = KeyEnterprise(enterprise_code=code, region=cangzhou["cang"])  # unsaved: make_device needs code + region
    meter = make_device("DEMO-EM-1", "meter", owner)
    write(meter, "electricity", [((2026, 3, 20, 8, 0), 10_000)])
    generate_demo_enterprises(actor="test", seed=2026, now=NOW)
    adopted = KeyEnterprise.objects.get(enterprise_code=code)
    assert adopted.industry == "petrochemical" and adopted.name == "沧县某某石油化工有限公司"
    assert MonthlyEnergy.objects.get(enterprise=adopted, month=NOW.date().replace(day=1)).electricity_kwh == 10_000
