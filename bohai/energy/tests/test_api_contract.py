"""The key-enterprise API under the platform's declarative contract: 401 anonymous, the list holds only the
officer's region, nothing without a role, 404 outside scope."""
import itertools

import pytest

from bohai.energy import actions
from bohai.testing.api_contract import ScopedApiContract

from .conftest import credit_code

pytestmark = pytest.mark.django_db
_numbers = itertools.count(1)


class TestKeyEnterpriseApi(ScopedApiContract):
    list_url = "/api/v1/energy/enterprises"
    detail_url = "/api/v1/energy/enterprises/{code}"
    view_role = "energy_officer"

    def make_record(self, region):
        number = next(_numbers)
        return actions.register_enterprise(actor="test", enterprise_code=credit_code(region.code, f"MA0AP{number:03d}"),
                                           name=f"{region.name}契约测试企业{number}", industry="chemical", region=region)

    def detail_path(self, record) -> str:
        return self.detail_url.format(code=record.enterprise_code)
