import pytest

from bohai.kernel.accounts.models import Role, RoleAssignment, User
from bohai.kernel.regions import actions, spatial
from bohai.kernel.regions.models import Region

SYSTEM = "system:test"


@pytest.fixture(autouse=True)
def fresh_spatial_index():
    # Each test's database differs; make the first lookup compare the regions with the index.
    spatial.invalidate()
    yield
    spatial.invalidate()


@pytest.fixture
def cangzhou(db):
    actions.load_reference_divisions("130900", actor=SYSTEM)
    return Region.objects.get(key="130900")


DEMO_CELL_METRES = 1000  # coarser than the default, to keep the suite fast


@pytest.fixture
def demo_grid(cangzhou):
    actions.build_demo_grid(actor=SYSTEM, cell_metres=DEMO_CELL_METRES)
    return cangzhou


def region(key: str) -> Region:
    return Region.objects.get(key=key)


@pytest.fixture
def make_user(db):
    def make(username: str, *, permissions: tuple[str, ...] = (), region_key: str | None = None) -> User:
        user = User.objects.create_user(username, password="not-used-Pa55", kind="staff")
        if permissions:
            role = Role.objects.create(code=f"role-{username}", name=f"角色 {username}")
            for codename in permissions:
                app_label, code = codename.split(".")
                role.permissions.add(_permission(app_label, code))
            RoleAssignment.objects.create(user=user, role=role, region=region(region_key))
        return user

    return make


def _permission(app_label: str, codename: str):
    from django.contrib.auth.models import Permission

    return Permission.objects.get(content_type__app_label=app_label, codename=codename)
