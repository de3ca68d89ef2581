from django.conf import settings

from .context import origin


def client_address(request) -> str:
    """The client's address: X-Forwarded-For is believed only from a configured proxy.

    Anyone can send the header; trusting it from any peer would let a client forge the
    address in the audit trail and dodge per-address limits.
    """
    peer = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not forwarded or peer not in settings.BOHAI_TRUSTED_PROXIES:
        return peer
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    # Walk back from the nearest hop past our own proxies; the first other address is the client.
    for hop in reversed(hops):
        if hop not in settings.BOHAI_TRUSTED_PROXIES:
            return hop
    return hops[0] if hops else peer


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = "api" if request.path.startswith(("/api/", "/open311/")) else "web"
        with origin(channel, client_address(request), request.META.get("HTTP_USER_AGENT", "")):
            return self.get_response(request)
