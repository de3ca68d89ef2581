"""API authentication: the page session (with CSRF) or an API key of a departmental system."""
from datetime import timedelta

from django.utils import timezone
from ninja.security import APIKeyHeader, SessionAuth

from bohai.kernel.crypto.fields import constant_time_equal, sm3_hex

from .models import ApiKey

KEY_PREFIX_LENGTH = 8


def key_digest(raw_key: str) -> str:
    return sm3_hex(raw_key.encode())


LAST_USED_PRECISION = timedelta(minutes=1)


class ApiKeyAuth(APIKeyHeader):
    param_name = "X-API-Key"

    def authenticate(self, request, key):
        if not key or len(key) <= KEY_PREFIX_LENGTH:
            return None
        api_key = ApiKey.objects.select_related("account").filter(prefix=key[:KEY_PREFIX_LENGTH]).first()
        if api_key is None or api_key.revoked_at or not constant_time_equal(api_key.digest, key_digest(key)):
            return None
        if api_key.expires_at and api_key.expires_at < timezone.now():
            return None
        if not api_key.account.is_active:
            return None
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_PRECISION:
            # "last used" to the minute is enough, and saves a write on every keyed request
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        request.user = api_key.account
        return api_key.account


class StaffSession(SessionAuth):
    """The signed-in page user; CSRF applies to unsafe methods."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user and user.needs_two_factor and not request.session.get("two_factor_passed"):
            return None
        return user


api_auth = [ApiKeyAuth(), StaffSession()]
