"""Rate limits keyed by the client's real address.

django-ninja's anonymous throttle believes X-Forwarded-For from any client, so a caller could
rotate that header to escape the limit. Ours asks the kernel's `client_address`, which believes
it only from the proxies configured in BOHAI_TRUSTED_PROXIES.
"""
from ninja.throttling import AnonRateThrottle, AuthRateThrottle

from bohai.kernel.audit.middleware import client_address


class AddressRateThrottle(AnonRateThrottle):
    def get_ident(self, request) -> str:
        return client_address(request)


class AccountRateThrottle(AuthRateThrottle):
    """Per caller: django-ninja keys on str(request.auth), which for a user is a display name two
    people may share; ours keys on what the caller is (user id, or API key id)."""

    def get_cache_key(self, request) -> str:
        caller = getattr(request, "auth", None)
        if caller is None:
            return self.cache_format % {"scope": self.scope, "ident": client_address(request)}
        ident = f"{caller._meta.label_lower}:{caller.pk}" if hasattr(caller, "_meta") else repr(caller)
        return self.cache_format % {"scope": self.scope, "ident": ident}
