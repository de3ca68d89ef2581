from django.shortcuts import redirect
from django.urls import reverse

# Paths a user who still owes a second factor may reach: the sign-in steps and static assets.
_OPEN_PREFIXES = ("/accounts/", "/static/", "/i18n/")


class TwoFactorRequiredMiddleware:
    """Staff with administrator or auditor roles must pass TOTP before anything else.

    Without a confirmed device they are sent to set one up; with one, to enter a code.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.session.get("two_factor_passed")
            and not request.path.startswith(_OPEN_PREFIXES)
            and user.needs_two_factor
        ):
            target = "accounts:two_factor_verify" if user.has_two_factor else "accounts:two_factor_setup"
            return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)
