"""Issuing and revoking API keys for departmental systems."""
import secrets

from django.utils import timezone

from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import service_action

from .auth import KEY_PREFIX_LENGTH, key_digest
from .models import ApiKey


@service_action
def issue_api_key(*, actor, name: str, account, expires_at=None) -> tuple[ApiKey, str]:
    """Returns the key record and the raw key, which is shown once and never stored."""
    raw = secrets.token_urlsafe(32)
    while ApiKey.objects.filter(prefix=raw[:KEY_PREFIX_LENGTH]).exists():
        raw = secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(name=name, prefix=raw[:KEY_PREFIX_LENGTH], digest=key_digest(raw),
                                    account=account, expires_at=expires_at)
    record(actor=actor, action="api.key.issue", target=api_key, after={"name": name, "account": account.username})
    return api_key, raw


@service_action
def revoke_api_key(api_key: ApiKey, *, actor) -> ApiKey:
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])
    record(actor=actor, action="api.key.revoke", target=api_key)
    return api_key
