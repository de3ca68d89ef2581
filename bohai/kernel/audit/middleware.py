from .context import origin


def client_address(request) -> str:
    # Behind the city's load balancer the first X-Forwarded-For hop is the client.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = "api" if request.path.startswith(("/api/", "/open311/")) else "web"
        with origin(channel, client_address(request), request.META.get("HTTP_USER_AGENT", "")):
            return self.get_response(request)
