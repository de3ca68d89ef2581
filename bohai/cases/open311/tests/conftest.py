"""The cases suite's small Cangzhou (`city`, `people`) plus an Open311 client's API key."""
import pytest

from bohai.cases.tests.conftest import city, people  # noqa: F401  (fixtures shared with the cases suite)
from bohai.kernel.api.actions import issue_api_key
from bohai.kernel.accounts import actions as account_actions
from bohai.testing.fixtures import organisation_in


@pytest.fixture
def api_key(city):
    """The raw key of an Open311 app's service account (no roles: a key alone may report)."""
    account = account_actions.create_staff_account(actor="test", username="open311-app", password="Test-pass-2026!",
                                                   organisation=organisation_in(city["city"], "grid_command"))
    return issue_api_key(actor="test", name="随手拍 App", account=account)[1]


@pytest.fixture(autouse=True)
def generous_limits(settings):
    """Conformance tests send many requests from one address; the limits have their own test."""
    settings.BOHAI_API_ANON_RATE = "100000/min"
    settings.BOHAI_API_AUTH_RATE = "100000/min"
