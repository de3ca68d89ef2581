from datetime import date

import pytest

from bohai.kernel.accounts import actions as account_actions
from bohai.kernel.identities import actions as identity_actions
from bohai.kernel.identities.validators import make_resident_id
from bohai.testing.fixtures import TEST_PASSWORD


@pytest.fixture
def officer(cangzhou, make_staff):
    return make_staff("county_officer", cangzhou["cang"])


@pytest.fixture
def colleague(cangzhou, make_staff):
    return make_staff("county_officer", cangzhou["cang"])


@pytest.fixture
def resident(cangzhou):
    person = identity_actions.register_person(
        actor="test", id_number=make_resident_id("130921", date(1985, 5, 5), 31), name="王五",
        phone="13812345678", region=cangzhou["cang"],
    )
    return account_actions.create_resident_account(actor="test", username="wangwu", password=TEST_PASSWORD,
                                                   person=person)
