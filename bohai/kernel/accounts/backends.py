from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class RoleBackend(ModelBackend):
    """Django permissions from Bohai roles, so has_perm and the admin agree with scoping.

    has_perm answers "may this user do X anywhere?"; which rows is the job of restrict().
    """

    def get_group_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_role_perm_cache"):
            perms = Permission.objects.filter(bohai_roles__assignments__user=user_obj).values_list(
                "content_type__app_label", "codename"
            )
            user_obj._role_perm_cache = {f"{app}.{code}" for app, code in perms}
        return user_obj._role_perm_cache
