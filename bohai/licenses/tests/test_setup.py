"""What the library adds to set-up: the reference step, the role grants, the demo licences."""
import pytest

from bohai.kernel.accounts import actions as accounts
from bohai.kernel.accounts.models import Role
from bohai.kernel.bootstrap.contributions import demo_steps, reference_steps
from bohai.licenses import demo, setup_steps
from bohai.licenses.models import License
from bohai.licenses.verification import verify_license
from bohai.testing.fixtures import TEST_PASSWORD, organisation_in

from .conftest import new_entity, new_person


def test_the_reference_step_is_found_by_convention(db):
    labels = [str(label) for label, _load in reference_steps()]
    assert "电子证照类型" in labels
    assert "电子证照" in [str(label) for label, _generate in demo_steps()]


def test_the_roles_get_their_grants(roles):
    def granted(code):
        return {f"{p.content_type.app_label}.{p.codename}" for p in Role.objects.get(code=code).permissions.all()}

    for role, permissions in setup_steps.ROLE_GRANTS.items():
        assert set(permissions) <= granted(role)
    assert "licenses.change_license" in granted("department_head")
    assert "licenses.change_license" not in granted("county_officer")


@pytest.fixture
def demo_world(cangzhou, license_types):
    for function in ("public_security", "human_resources", "market_regulation"):
        organisation_in(cangzhou["cang"], function)
    persons = [new_person(cangzhou["cang"], f"居民{i}") for i in range(12)]
    entities = [new_entity(cangzhou["cang"], f"沧县第{i}有限公司") for i in range(6)]
    accounts.create_resident_account(actor="test", username="resident", password=TEST_PASSWORD, person=persons[3])
    accounts.create_agent_account(actor="test", username="agent", password=TEST_PASSWORD, person=persons[4],
                                  legal_entity=entities[2])
    return persons, entities


def test_the_demo_step_issues_every_status_once_and_only_once(demo_world, monkeypatch):
    persons, entities = demo_world
    monkeypatch.setattr(demo, "STATUS_CHANGES", {
        "resident_id_card": ((5, "revoke", "错发"), (3, "cancel", "注销")), "household_register": ((2, "transfer_out", "迁出"),),
        "social_security_card": ((2, "suspend", "挂失"),), "business_licence": ((2, "revoke_by_penalty", "吊销"),)})
    monkeypatch.setattr(demo, "EXPIRED_EVERY", 11)
    result = demo.issue_demo_licenses(actor="system:demo", seed=2026)
    assert result["issued"] == 12 * 3 + 6 and result["expired"] >= 1
    assert set(License.objects.values_list("status", flat=True)) == {"01", "02", "03", "04", "05", "06", "07"}
    resident_licences = License.objects.filter(holder_person=persons[3])
    assert sorted(resident_licences.values_list("license_type__code", flat=True)) == [
        "household_register", "resident_id_card", "social_security_card"]
    assert set(resident_licences.values_list("status", flat=True)) == {"01"}
    assert License.objects.get(holder_entity=entities[2]).status == "01"
    assert all(verify_license(n).verdict != "tampered" for n in License.objects.values_list("number", flat=True))
    assert demo.issue_demo_licenses(actor="system:demo", seed=2026) == {"issued": 0, "expired": 0}
