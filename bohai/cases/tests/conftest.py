"""A small Cangzhou with boundaries (沧县 and a township in it), the class tree, and the people of the case loop."""
from datetime import datetime

import pytest

from bohai.cases.actions import load_reference_classes
from bohai.cases.models import CaseClass
from bohai.engines.workdays.actions import load_reference_holidays
from bohai.engines.workdays.clock import LOCAL_ZONE
from bohai.kernel.accounts import actions as account_actions
from bohai.kernel.regions import spatial
from bohai.testing.fixtures import organisation_in

INSIDE = (116.805, 38.305)      # in 旧州镇, 沧县
OUTSIDE = (120.0, 30.0)         # Hangzhou


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_ZONE)


def square(west, south, size):
    return {"type": "Polygon", "coordinates": [[[west, south], [west + size, south], [west + size, south + size],
                                                [west, south + size], [west, south]]]}


@pytest.fixture
def city(cangzhou, roles):
    load_reference_holidays(actor="test")
    load_reference_classes(actor="test")
    cangzhou["cang"].boundary = square(116.7, 38.2, 0.3)
    cangzhou["cang"].save()
    cangzhou["township"].boundary = square(116.8, 38.3, 0.02)
    cangzhou["township"].save()
    spatial.invalidate()
    units = {f: organisation_in(cangzhou["cang"], f) for f in ("urban_management", "water", "public_security",
                                                                "housing_construction", "grid_command")}
    units["township_office"] = organisation_in(cangzhou["township"], "township_office")
    return {**cangzhou, "units": units, "classes": {c.code: c for c in CaseClass.objects.all()}}


@pytest.fixture
def people(city, make_staff):
    def holder(role, region, unit=None):
        user = make_staff(None, region, organisation=unit)
        account_actions.assign_role(user, actor="test", role_code=role, region=region, organisation=unit)
        return user

    units = city["units"]
    return {
        "supervisor": holder("case_supervisor", city["city"]),
        "dispatcher": holder("case_dispatcher", city["city"]),
        "urban": holder("case_handler", city["cang"], units["urban_management"]),
        "water": holder("case_handler", city["cang"], units["water"]),
        "grid_worker": holder("grid_worker", city["township"]),
        "operator": holder("hotline_operator", city["city"]),
        "qing_handler": holder("case_handler", city["qing"], organisation_in(city["qing"], "urban_management")),
    }
