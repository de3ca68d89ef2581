"""Signing in: passwords with lockout, a per-address limit on failures, TOTP, and their audit.

Failures are counted for unknown usernames too (in the cache), and they lock the
same way, so that neither the messages nor the lockout tell whether an account exists.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.utils import timezone

from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import service_action
from bohai.kernel.crypto.fields import decrypt

from .models import User

TOTP_ISSUER = "渤海 · 沧州市政务服务"


class SignInRefused(Exception):
    """The base of the reasons a sign-in step is refused; views turn each into a message."""


class BadCredentials(SignInRefused):
    pass


@dataclass
class AccountLocked(SignInRefused):
    until: datetime


@dataclass
class TooManyAttempts(SignInRefused):
    retry_after_seconds: int


def ip_max_failures() -> int:
    return settings.BOHAI_LOGIN_IP_MAX_FAILURES


def ip_window_seconds() -> int:
    return settings.BOHAI_LOGIN_IP_WINDOW_SECONDS


# --- the per-address limit ----------------------------------------------------------------

def _address_key(address: str) -> str:
    return f"signin:address:{address}"


def check_address(address: str) -> None:
    """Refuse before any password is checked once an address has failed too often."""
    if cache.get(_address_key(address), 0) >= ip_max_failures():
        raise TooManyAttempts(retry_after_seconds=ip_window_seconds())


def count_address_failure(address: str) -> None:
    key = _address_key(address)
    # A fixed window: the first failure starts it, later ones only count within it.
    cache.add(key, 0, timeout=ip_window_seconds())
    try:
        cache.incr(key)
    except ValueError:  # the window ran out between add and incr
        cache.set(key, 1, timeout=ip_window_seconds())


# --- the per-account lockout --------------------------------------------------------------

def _lockout_delta() -> timedelta:
    return timedelta(seconds=settings.BOHAI_LOGIN_LOCKOUT_SECONDS)


def _unknown_name_key(username: str) -> str:
    return f"signin:unknown:{username.casefold()}"


def _unknown_name_locked_until(username: str) -> datetime | None:
    state = cache.get(_unknown_name_key(username)) or {}
    until = state.get("locked_until")
    return until if until and until > timezone.now() else None


def check_not_locked(user: User | None, username: str) -> None:
    until = user.locked_until if user is not None and user.is_locked else _unknown_name_locked_until(username)
    if until:
        raise AccountLocked(until=until)


def _count_unknown_name_failure(username: str) -> datetime | None:
    """Mirror the account lockout for a name that has no account; returns the lock time if it locks."""
    key = _unknown_name_key(username)
    state = cache.get(key) or {"failures": 0}
    state["failures"] += 1
    until = None
    if state["failures"] >= settings.BOHAI_LOGIN_MAX_FAILURES:
        until = timezone.now() + _lockout_delta()
        state = {"failures": 0, "locked_until": until}
    cache.set(key, state, timeout=settings.BOHAI_LOGIN_LOCKOUT_SECONDS + ip_window_seconds())
    return until


@service_action
def note_failure(user: User | None, *, actor, username: str, step: str = "password") -> datetime | None:
    """Count a failed password or code; lock the account at the limit. Returns the lock time if it locked."""
    record(actor=actor, action="accounts.login_failed", target=user, target_type="accounts.user",
           after={"username": username[:150], "step": step})
    if user is None:
        return _count_unknown_name_failure(username)
    user = User.objects.select_for_update().get(pk=user.pk)
    user.failed_logins += 1
    until = None
    if user.failed_logins >= settings.BOHAI_LOGIN_MAX_FAILURES:
        until = timezone.now() + _lockout_delta()
        # The count restarts, so that after the lock ends the account gets the full allowance again.
        user.failed_logins, user.locked_until = 0, until
        record(actor=actor, action="accounts.locked", target=user, after={"locked_until": until})
    user.save(update_fields=["failed_logins", "locked_until"])
    return until


@service_action
def note_success(user: User, *, actor) -> None:
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
    user.failed_logins, user.locked_until = 0, None
    record(actor=actor, action="accounts.login", target=user)


def refuse_failure(user: User | None, username: str, address: str, step: str = "password"):
    """Count a failure everywhere it counts and build the refusal to raise."""
    count_address_failure(address)
    locked_until = note_failure(user, actor=None, username=username, step=step)
    return AccountLocked(until=locked_until) if locked_until else BadCredentials()


def check_password(request, username: str, password: str, address: str) -> User:
    """The password step. Raises a SignInRefused; on success returns the user (not yet signed in)."""
    check_address(address)
    user = User.objects.filter(username=username).first()
    check_not_locked(user, username)
    # authenticate() hashes even for unknown names, so timing does not tell them apart.
    authenticated = authenticate(request, username=username, password=password)
    if authenticated is None:
        raise refuse_failure(user, username, address)
    return authenticated


# --- TOTP ---------------------------------------------------------------------------------

def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)


def code_matches(secret: str, code: str, user: User) -> bool:
    """A valid code (one step of clock drift allowed) that this user has not used before."""
    code = (code or "").strip()
    if not secret or not pyotp.TOTP(secret).verify(code, valid_window=1):
        return False
    # A code seen once is spent: someone who watched it being typed cannot reuse it.
    return cache.add(f"signin:totp-used:{user.pk}:{code}", True, timeout=120)


def check_totp(user: User, code: str, address: str) -> None:
    """The second step at sign-in. Wrong codes count as failed logins."""
    check_address(address)
    check_not_locked(user, user.username)
    if not code_matches(decrypt(user.totp_secret_cipher), code, user):
        raise refuse_failure(user, user.username, address, step="totp")


@service_action
def enable_two_factor(user: User, *, actor, secret_cipher: str) -> None:
    """Keep the confirmed secret (already SM4-encrypted) and mark the device confirmed."""
    user.totp_secret_cipher = secret_cipher
    user.totp_confirmed_at = timezone.now()
    user.save(update_fields=["totp_secret_cipher", "totp_confirmed_at", "updated_at"])
    record(actor=actor, action="accounts.two_factor_enabled", target=user,
           after={"totp_confirmed_at": user.totp_confirmed_at})


@service_action
def sign_out(user: User, *, actor) -> None:
    record(actor=actor, action="accounts.logout", target=user)


@service_action
def change_password(user: User, *, actor, new_password: str) -> None:
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    record(actor=actor, action="accounts.password_changed", target=user)
