"""API authentication: the page session (with CSRF) or an API key of a departmental system."""
import functools
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from ninja.security import APIKeyHeader, SessionAuth

from bohai.kernel.crypto.fields import constant_time_equal, sm3_hex
from bohai.kernel.database.reads import columns, first_joined

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
        api_key = _key_and_account(key[:KEY_PREFIX_LENGTH])
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
        request.user, request.api_key = api_key.account, api_key
        return api_key.account


# One fixed statement for the key and its account: every keyed request (Open311 reports at a few
# hundred a second) paid 0.6 ms of CPU compiling the ORM's join of the two, and two statements a round
# trip each on PostgreSQL.
def _key_and_account(prefix: str) -> ApiKey | None:
    found = first_joined(_key_and_account_statement(), [prefix], (ApiKey, get_user_model()))
    if found is None:
        return None
    api_key, account = found
    api_key.account = account
    return api_key


@functools.cache
def _key_and_account_statement() -> str:
    user_model, quote = get_user_model(), connection.ops.quote_name
    return (f"SELECT {columns(ApiKey, 'k')}, {columns(user_model, 'u')} FROM {quote(ApiKey._meta.db_table)} k "
            f"JOIN {quote(user_model._meta.db_table)} u ON u.{quote(user_model._meta.pk.column)} = k.account_id "
            f"WHERE k.prefix = %s")


class StaffSession(SessionAuth):
    """The signed-in page user; CSRF applies to unsafe methods."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user and not request.session.get("two_factor_passed") and user.needs_two_factor:
            return None
        return user


api_auth = [ApiKeyAuth(), StaffSession()]
