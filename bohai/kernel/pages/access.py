"""Who may enter the staff faces (workbench, operations centre)."""
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from bohai.kernel.accounts.models import AccountKind


def is_staff_member(user) -> bool:
    return bool(
        user is not None and user.is_authenticated and user.is_active
        and (user.is_superuser or user.kind == AccountKind.STAFF)
    )


def staff_required(view):
    """Anonymous visitors go to sign in; signed-in residents and agents get the 403 page."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff_member(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return guarded
