"""The per-address limit on public verification, for the page and the API alike.

It is the API's own mechanism (django-ninja's AnonRateThrottle at the platform's public rate,
BOHAI_API_ANON_RATE) with two differences: the client is the kernel's `client_address`, which
believes X-Forwarded-For only from configured proxies, and the rate is read when a request comes,
not at import. Page and API share one budget per address.
"""
from django.conf import settings
from ninja.throttling import AnonRateThrottle

from bohai.kernel.audit.middleware import client_address


class VerificationThrottle(AnonRateThrottle):
    scope = "licenses_verify"

    def __init__(self):  # the rate is read per request (settings may differ between calls and tests)
        self.rate = None

    def allow_request(self, request) -> bool:
        self.rate = settings.BOHAI_API_ANON_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)

    def get_ident(self, request) -> str:
        return client_address(request)


def allowed(request) -> bool:
    return VerificationThrottle().allow_request(request)
