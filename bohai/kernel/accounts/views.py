"""Sign-in pages: password, TOTP set-up and check, the account page, password change, sign-out."""
import time
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login as start_session
from django.contrib.auth import logout as end_session
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from bohai.kernel.audit.middleware import client_address
from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.crypto.fields import decrypt, encrypt
from bohai.kernel.pages.access import is_staff_member

from . import signin
from .forms import BohaiPasswordChangeForm, SignInForm, TotpCodeForm
from .models import User

# The password step passed, the code step not yet: who, through which backend, going where.
PENDING_SIGN_IN = "signin_pending"
PENDING_SIGN_IN_SECONDS = 300
# An unconfirmed TOTP secret, SM4-encrypted, kept in the session until its first code is right.
PENDING_SECRET = "two_factor_pending_secret"


def refusal_message(refusal: signin.SignInRefused) -> str:
    if isinstance(refusal, signin.TooManyAttempts):
        minutes = max(1, refusal.retry_after_seconds // 60)
        return _("登录尝试过于频繁，请 %(minutes)d 分钟后再试。") % {"minutes": minutes}
    if isinstance(refusal, signin.AccountLocked):
        until = formats.date_format(timezone.localtime(refusal.until), "Y-m-d H:i")
        return _("连续登录失败次数过多，账户已锁定至 %(until)s，请届时再试。") % {"until": until}
    return _("用户名或密码不正确。")


def landing_page(user) -> str:
    return reverse("pages:workbench") if is_staff_member(user) else reverse("pages:home")


def safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def with_next(url_name: str, destination: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': destination})}"


def complete_sign_in(request, user: User, *, backend: str, two_factor_passed: bool) -> None:
    start_session(request, user, backend=backend)
    request.session["two_factor_passed"] = two_factor_passed
    signin.note_success(user, actor=user)


def after_password(request, user: User):
    """Second step for users with a device; set-up for those who need one; else straight in."""
    destination = safe_next(request, landing_page(user))
    if user.has_two_factor:
        request.session[PENDING_SIGN_IN] = {
            "user": user.pk, "backend": user.backend, "next": destination, "at": time.time(),
        }
        return redirect("accounts:two_factor_verify")
    complete_sign_in(request, user, backend=user.backend, two_factor_passed=False)
    if user.needs_two_factor:
        return redirect(with_next("accounts:two_factor_setup", destination))
    return redirect(destination)


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.method == "GET" and request.user.is_authenticated:
        return redirect(safe_next(request, landing_page(request.user)))
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = signin.check_password(
                request, form.cleaned_data["username"], form.cleaned_data["password"], client_address(request),
            )
        except signin.SignInRefused as refusal:
            form.add_error(None, refusal_message(refusal))
            status = 429 if isinstance(refusal, signin.TooManyAttempts) else 200
        else:
            return after_password(request, user)
    context = {"form": form, "next": safe_next(request, "")}
    return render(request, "accounts/login.html", context, status=status)


def pending_sign_in(request) -> tuple[User | None, dict]:
    pending = request.session.get(PENDING_SIGN_IN) or {}
    if not pending or time.time() - pending["at"] > PENDING_SIGN_IN_SECONDS:
        request.session.pop(PENDING_SIGN_IN, None)
        return None, {}
    return User.objects.filter(pk=pending["user"], is_active=True).first(), pending


def code_step_user(request) -> tuple[User | None, dict]:
    """Whoever owes a code: a half-finished sign-in, or a signed-in user the middleware sent here."""
    if request.user.is_authenticated:
        return request.user, {}
    return pending_sign_in(request)


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    user, pending = code_step_user(request)
    if user is None:
        messages.info(request, _("请先输入用户名和密码。"))
        return redirect("accounts:login")
    destination = pending.get("next") or safe_next(request, landing_page(user))
    if not user.has_two_factor:
        return redirect(with_next("accounts:two_factor_setup", destination))
    form = TotpCodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            signin.check_totp(user, form.cleaned_data["code"], client_address(request))
        except signin.AccountLocked as refusal:
            request.session.pop(PENDING_SIGN_IN, None)
            end_session(request)
            messages.error(request, refusal_message(refusal))
            return redirect("accounts:login")
        except signin.TooManyAttempts as refusal:
            form.add_error(None, refusal_message(refusal))
            status = 429
        except signin.BadCredentials:
            form.add_error("code", _("验证码不正确或已使用过，请输入验证器中最新的验证码。"))
        else:
            if pending:
                request.session.pop(PENDING_SIGN_IN)
                complete_sign_in(request, user, backend=pending["backend"], two_factor_passed=True)
            else:
                request.session["two_factor_passed"] = True
            return redirect(destination)
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": destination}, status=status)


@sensitive_post_parameters("code")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    user = request.user
    destination = safe_next(request, reverse("accounts:me"))
    if user.has_two_factor:
        if request.session.get("two_factor_passed"):
            messages.info(request, _("二次验证已经启用。"))
            return redirect("accounts:me")
        # A device exists but this session has not proved it: setting up anew would bypass it.
        return redirect(with_next("accounts:two_factor_verify", destination))
    secret_cipher = request.session.get(PENDING_SECRET) or encrypt(signin.new_totp_secret())
    request.session[PENDING_SECRET] = secret_cipher
    secret = decrypt(secret_cipher)
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if signin.code_matches(secret, form.cleaned_data["code"], user):
            signin.enable_two_factor(user, actor=user, secret_cipher=secret_cipher)
            request.session.pop(PENDING_SECRET)
            request.session["two_factor_passed"] = True
            messages.success(request, _("二次验证已启用。以后每次登录都需要输入验证器中的 6 位验证码。"))
            return redirect(destination)
        form.add_error("code", _("验证码不正确。请确认手机时间准确，并输入验证器中最新的验证码。"))
    return render(request, "accounts/two_factor_setup.html", {
        "form": form,
        "next": destination,
        "secret": secret,
        "otpauth_uri": signin.provisioning_uri(user, secret),
        "required": user.needs_two_factor,
    })


def owes_second_factor(request) -> bool:
    user = request.user
    return (user.has_two_factor or user.needs_two_factor) and not request.session.get("two_factor_passed")


def second_factor_required(view):
    """For pages under /accounts/, which the middleware leaves open: a stolen password alone must not
    reach the account page or change the password of an account that has (or needs) a second factor."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if owes_second_factor(request):
            target = "accounts:two_factor_verify" if request.user.has_two_factor else "accounts:two_factor_setup"
            return redirect(with_next(target, request.get_full_path()))
        return view(request, *args, **kwargs)

    return guarded


@login_required
@second_factor_required
def account(request):
    user = request.user
    sign_in_history = AuditRecord.objects.filter(
        target_type="accounts.user", target_id=str(user.pk),
        action__in=["accounts.login", "accounts.login_failed", "accounts.locked"],
    ).order_by("-id")[:8]
    return render(request, "accounts/me.html", {
        "assignments": user.role_assignments.select_related("role", "region", "organisation").order_by("role__name"),
        "sign_in_history": sign_in_history,
    })


@sensitive_post_parameters()
@login_required
@second_factor_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    form = BohaiPasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        signin.change_password(request.user, actor=request.user, new_password=form.cleaned_data["new_password2"])
        update_session_auth_hash(request, request.user)
        messages.success(request, _("密码已修改。"))
        return redirect("accounts:me")
    return render(request, "accounts/password_change.html", {"form": form})


@require_http_methods(["GET", "POST"])
def logout_view(request):
    """GET asks for confirmation: signing out changes state, so only a POST does it."""
    if request.method == "GET":
        return render(request, "accounts/logout.html")
    if request.user.is_authenticated:
        signin.sign_out(request.user, actor=request.user)
    end_session(request)
    messages.success(request, _("您已安全退出。"))
    return redirect("pages:home")
