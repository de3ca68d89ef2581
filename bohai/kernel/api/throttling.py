"""Rate limits keyed by the client's real address.

django-ninja's anonymous throttle believes X-Forwarded-For from any client, so a caller could
rotate that header to escape the limit. Ours asks the kernel's `client_address`, which believes
it only from the proxies configured in BOHAI_TRUSTED_PROXIES.
"""
from ninja.throttling import AnonRateThrottle

from bohai.kernel.audit.middleware import client_address


class AddressRateThrottle(AnonRateThrottle):
    def get_ident(self, request) -> str:
        return client_address(request)
