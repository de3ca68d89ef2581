import pytest

from bohai.kernel.accounts.models import Role, RoleAssignment
from bohai.kernel.audit.models import AuditRecord
from bohai.testing.fixtures import signed_in_client

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "/admin/accounts/user/", "/admin/accounts/role/", "/admin/accounts/roleassignment/",
    "/admin/regions/region/", "/admin/organisations/organisation/", "/admin/identities/person/",
    "/admin/identities/legalentity/", "/admin/audit/auditrecord/", "/admin/bohai_api/apikey/",
]


@pytest.fixture
def admin_client(cangzhou, make_staff):
    return signed_in_client(make_staff("platform_admin", cangzhou["city"], superuser=True))


def test_admin_pages_open(admin_client):
    for url in CHANGELISTS:
        assert admin_client.get(url).status_code == 200, url


def test_granting_a_role_in_the_admin_goes_through_the_action(admin_client, cangzhou, make_staff):
    clerk = make_staff(None, cangzhou["cang"])
    role = Role.objects.get(code="window_clerk")
    response = admin_client.post("/admin/accounts/roleassignment/add/",
                                 {"user": clerk.pk, "role": role.pk, "region": cangzhou["cang"].pk})
    assert response.status_code == 302, response.content
    assert RoleAssignment.objects.filter(user=clerk, role=role).exists()
    assert AuditRecord.objects.filter(action="accounts.role.assign", target_id=str(clerk.pk)).exists()


def test_issuing_an_api_key_in_the_admin_shows_it_once(admin_client, cangzhou, make_staff):
    service = make_staff("county_officer", cangzhou["cang"])
    response = admin_client.post("/admin/bohai_api/apikey/add/", {"name": "沧县民政系统", "account": service.pk}, follow=True)
    assert "只显示这一次" in response.content.decode()
    assert AuditRecord.objects.filter(action="api.key.issue").count() == 1
