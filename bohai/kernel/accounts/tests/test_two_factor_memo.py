"""Whether a user needs two-factor is asked on every request: answered once per loaded user, and afresh after
a role that requires it is assigned or revoked."""
import pytest

from bohai.kernel.accounts import actions
from bohai.kernel.accounts.models import RoleAssignment

pytestmark = pytest.mark.django_db


def test_the_answer_is_remembered_per_loaded_user_and_forgotten_on_a_role_change(cangzhou, make_staff, roles,
                                                                                django_assert_num_queries):
    user = make_staff("county_officer", cangzhou["cang"])
    assert user.needs_two_factor is False
    with django_assert_num_queries(0):
        assert user.needs_two_factor is False
    actions.assign_role(user, actor="test", role_code="platform_admin", region=cangzhou["city"])
    assert user.needs_two_factor is True
    actions.revoke_role(RoleAssignment.objects.get(user=user, role__code="platform_admin"), actor="test")
    assert type(user).objects.get(pk=user.pk).needs_two_factor is False
