"""Sign-in security: lockout, the per-address limit, audit records, TOTP set-up and checks."""
from datetime import timedelta

import pyotp
import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from bohai import settings as bohai_settings
from bohai.kernel.accounts.models import AccountKind, Role, RoleAssignment, User
from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.crypto.fields import decrypt, encrypt
from bohai.kernel.regions.models import Region

PASSWORD = "Bohai-2024-secure"
LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def quick_sign_in(settings):
    """A fast hasher keeps the suite quick; the cache (a database table) starts empty."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.BOHAI_LOGIN_MAX_FAILURES = 3
    settings.BOHAI_LOGIN_IP_MAX_FAILURES = 20
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def city(db):
    return Region.objects.create(key="130900", code="130900", name="沧州市", level="city", path="/130900/")


def make_user(username="zhangsan", **fields) -> User:
    fields.setdefault("kind", AccountKind.RESIDENT)
    return User.objects.create_user(username=username, password=PASSWORD, **fields)


def make_admin(username="admin") -> User:
    return User.objects.create_superuser(username=username, password=PASSWORD)


def with_device(user: User) -> str:
    secret = pyotp.random_base32()
    user.totp_secret_cipher = encrypt(secret)
    user.totp_confirmed_at = timezone.now()
    user.save()
    return secret


def sign_in(client, username, password=PASSWORD, address="10.1.1.1", next=None, **headers):
    data = {"username": username, "password": password, **({"next": next} if next else {})}
    return client.post(LOGIN, data, REMOTE_ADDR=address, **headers)


def actions_for(user: User) -> list[str]:
    return list(
        AuditRecord.objects.filter(target_type="accounts.user", target_id=str(user.pk))
        .order_by("seq").values_list("action", flat=True)
    )


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


# --- passwords --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_good_password_signs_in_resets_the_count_and_is_audited(client):
    user = make_user()
    User.objects.filter(pk=user.pk).update(failed_logins=2)

    response = sign_in(client, "zhangsan")

    assert response.status_code == 302
    assert response["Location"] == reverse("pages:home")
    assert signed_in_user_id(client) == str(user.pk)
    user.refresh_from_db()
    assert user.failed_logins == 0
    assert actions_for(user) == ["accounts.login"]
    assert AuditRecord.objects.get(action="accounts.login").address == "10.1.1.1"


@pytest.mark.django_db
def test_staff_land_on_the_workbench(client):
    make_user("clerk", kind=AccountKind.STAFF)
    assert sign_in(client, "clerk")["Location"] == reverse("pages:workbench")


@pytest.mark.django_db
def test_passwords_are_stored_with_argon2(settings):
    settings.PASSWORD_HASHERS = bohai_settings.PASSWORD_HASHERS
    assert make_user().password.startswith("argon2$")


@pytest.mark.django_db
def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(client):
    user = make_user()

    wrong_password = sign_in(client, "zhangsan", "not-the-password")
    unknown_name = sign_in(client, "nobody-here", "not-the-password")

    assert wrong_password.status_code == unknown_name.status_code == 200
    assert "用户名或密码不正确" in wrong_password.content.decode()
    assert wrong_password.context["form"].non_field_errors() == unknown_name.context["form"].non_field_errors()
    assert signed_in_user_id(client) is None
    user.refresh_from_db()
    assert user.failed_logins == 1
    assert actions_for(user) == ["accounts.login_failed"]
    assert AuditRecord.objects.filter(action="accounts.login_failed").count() == 2


@pytest.mark.django_db
def test_the_account_locks_at_the_limit_and_says_until_when(client, settings):
    user = make_user()
    for _ in range(settings.BOHAI_LOGIN_MAX_FAILURES - 1):
        sign_in(client, "zhangsan", "wrong")
    locking = sign_in(client, "zhangsan", "wrong")

    user.refresh_from_db()
    assert user.is_locked
    expected_until = timezone.now() + timedelta(seconds=settings.BOHAI_LOGIN_LOCKOUT_SECONDS)
    assert abs((user.locked_until - expected_until).total_seconds()) < 60
    until_text = timezone.localtime(user.locked_until).strftime("%Y-%m-%d %H:%M")
    assert f"锁定至 {until_text}" in locking.content.decode()
    assert actions_for(user)[-2:] == ["accounts.login_failed", "accounts.locked"]

    with_right_password = sign_in(client, "zhangsan")
    assert signed_in_user_id(client) is None
    assert "锁定至" in with_right_password.content.decode()


@pytest.mark.django_db
def test_the_lock_ends_after_the_lockout(client):
    user = make_user()
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() - timedelta(seconds=1))

    assert sign_in(client, "zhangsan").status_code == 302
    user.refresh_from_db()
    assert user.locked_until is None


@pytest.mark.django_db
def test_an_unknown_name_locks_like_a_real_account(client, settings):
    make_user()
    answers = {}
    for name in ("zhangsan", "nobody-here"):
        for _ in range(settings.BOHAI_LOGIN_MAX_FAILURES):
            answers[name] = sign_in(client, name, "wrong").content.decode()

    assert "锁定至" in answers["zhangsan"]
    assert "锁定至" in answers["nobody-here"]


@pytest.mark.django_db
def test_an_address_that_fails_too_often_gets_429(client, settings):
    settings.BOHAI_LOGIN_IP_MAX_FAILURES = 4
    make_user()
    for attempt in range(4):
        sign_in(client, f"guess-{attempt}", "wrong", address="10.9.9.9")

    refused = sign_in(client, "zhangsan", address="10.9.9.9")

    assert refused.status_code == 429
    assert "登录尝试过于频繁" in refused.content.decode()
    assert signed_in_user_id(client) is None
    assert sign_in(client, "zhangsan", address="10.8.8.8").status_code == 302


@pytest.mark.django_db
def test_the_address_limit_reads_the_client_behind_a_trusted_proxy(client, settings):
    settings.BOHAI_LOGIN_IP_MAX_FAILURES = 1
    settings.BOHAI_TRUSTED_PROXIES = frozenset({"10.1.1.1"})
    sign_in(client, "someone", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.7")

    assert sign_in(client, "someone", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    assert sign_in(client, "someone", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 200


@pytest.mark.django_db
def test_a_forged_forwarded_header_does_not_escape_the_address_limit(client, settings):
    settings.BOHAI_LOGIN_IP_MAX_FAILURES = 1
    sign_in(client, "someone", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert sign_in(client, "someone", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 429


@pytest.mark.django_db
def test_next_is_followed_only_within_the_site(client):
    make_user()
    assert sign_in(client, "zhangsan", next="/accounts/me/")["Location"] == "/accounts/me/"
    client.logout()
    assert sign_in(client, "zhangsan", next="https://evil.example/")["Location"] == reverse("pages:home")


@pytest.mark.django_db
def test_sessions_expire(client, settings):
    make_user()
    sign_in(client, "zhangsan")
    assert 0 < settings.SESSION_COOKIE_AGE <= 24 * 3600
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


# --- two factors -----------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_superuser_must_set_up_two_factor(client):
    make_admin()

    response = sign_in(client, "admin")

    assert response["Location"].startswith(reverse("accounts:two_factor_setup"))
    blocked = client.get("/work/")
    assert blocked.status_code == 302
    assert blocked["Location"].startswith(reverse("accounts:two_factor_setup"))


@pytest.mark.django_db
def test_a_role_that_requires_two_factor_sends_its_holder_to_set_up(client, city):
    auditor = make_user("auditor", kind=AccountKind.STAFF)
    role = Role.objects.create(code="auditor", name="安全审计员", requires_two_factor=True)
    RoleAssignment.objects.create(user=auditor, role=role, region=city)
    clerk = make_user("clerk", kind=AccountKind.STAFF)
    RoleAssignment.objects.create(user=clerk, role=Role.objects.create(code="clerk", name="窗口受理员"), region=city)

    assert sign_in(client, "auditor")["Location"].startswith(reverse("accounts:two_factor_setup"))
    client.logout()
    assert sign_in(client, "clerk")["Location"] == reverse("pages:workbench")


@pytest.mark.django_db
def test_set_up_stores_the_secret_encrypted_once_a_code_is_right(client):
    admin = make_admin()
    sign_in(client, "admin", next="/work/")
    page = client.get(reverse("accounts:two_factor_setup"), {"next": "/work/"})
    secret = page.context["secret"]
    assert secret in page.content.decode()
    assert "<svg" in page.content.decode()

    wrong = client.post(reverse("accounts:two_factor_setup"), {"code": "000000", "next": "/work/"})
    admin.refresh_from_db()
    assert wrong.status_code == 200 and not admin.has_two_factor

    done = client.post(reverse("accounts:two_factor_setup"), {"code": pyotp.TOTP(secret).now(), "next": "/work/"})

    assert done["Location"] == "/work/"
    admin.refresh_from_db()
    assert admin.has_two_factor
    assert secret not in admin.totp_secret_cipher
    assert decrypt(admin.totp_secret_cipher) == secret
    assert "accounts.two_factor_enabled" in actions_for(admin)
    assert client.get("/work/").status_code == 200


@pytest.mark.django_db
def test_the_secret_shown_stays_the_same_until_confirmed(client):
    make_admin()
    sign_in(client, "admin")
    first = client.get(reverse("accounts:two_factor_setup")).context["secret"]
    assert client.get(reverse("accounts:two_factor_setup")).context["secret"] == first


@pytest.mark.django_db
def test_a_user_with_a_device_enters_a_code_before_being_signed_in(client):
    user = make_user()
    secret = with_device(user)

    step_one = sign_in(client, "zhangsan", next="/accounts/me/")

    assert step_one["Location"] == reverse("accounts:two_factor_verify")
    assert signed_in_user_id(client) is None
    assert actions_for(user) == []

    step_two = client.post(reverse("accounts:two_factor_verify"), {"code": pyotp.TOTP(secret).now()})

    assert step_two["Location"] == "/accounts/me/"
    assert signed_in_user_id(client) == str(user.pk)
    assert client.session["two_factor_passed"] is True
    assert actions_for(user) == ["accounts.login"]


@pytest.mark.django_db
def test_a_device_cannot_be_replaced_without_passing_it(client):
    admin = make_admin()
    with_device(admin)
    client.force_login(admin)

    response = client.get(reverse("accounts:two_factor_setup"))

    assert response["Location"].startswith(reverse("accounts:two_factor_verify"))


@pytest.mark.django_db
def test_a_signed_in_admin_sent_by_the_middleware_verifies_and_continues(client):
    admin = make_admin()
    secret = with_device(admin)
    client.force_login(admin)
    redirect = client.get("/work/")
    assert redirect["Location"] == f"{reverse('accounts:two_factor_verify')}?next=/work/"

    response = client.post(redirect["Location"], {"code": pyotp.TOTP(secret).now(), "next": "/work/"})

    assert response["Location"] == "/work/"
    assert client.get("/work/").status_code == 200


@pytest.mark.django_db
def test_wrong_codes_count_as_failed_logins_and_lock(client, settings):
    user = make_user()
    with_device(user)
    sign_in(client, "zhangsan")
    for _ in range(settings.BOHAI_LOGIN_MAX_FAILURES - 1):
        answer = client.post(reverse("accounts:two_factor_verify"), {"code": "000000"})
        assert "验证码不正确" in answer.content.decode()

    locked = client.post(reverse("accounts:two_factor_verify"), {"code": "000000"}, follow=True)

    user.refresh_from_db()
    assert user.is_locked
    assert "锁定至" in locked.content.decode()
    assert signed_in_user_id(client) is None
    assert actions_for(user).count("accounts.login_failed") == settings.BOHAI_LOGIN_MAX_FAILURES
    assert "accounts.locked" in actions_for(user)


@pytest.mark.django_db
def test_a_code_works_only_once(client):
    user = make_user()
    secret = with_device(user)
    code = pyotp.TOTP(secret).now()
    sign_in(client, "zhangsan")
    client.post(reverse("accounts:two_factor_verify"), {"code": code})
    client.post(reverse("accounts:logout"))

    sign_in(client, "zhangsan")
    replay = client.post(reverse("accounts:two_factor_verify"), {"code": code})

    assert replay.status_code == 200
    assert signed_in_user_id(client) is None


@pytest.mark.django_db
def test_the_code_step_expires(client, monkeypatch):
    user = make_user()
    secret = with_device(user)
    sign_in(client, "zhangsan")
    session = client.session
    session["signin_pending"]["at"] -= 3600
    session.save()

    response = client.post(reverse("accounts:two_factor_verify"), {"code": pyotp.TOTP(secret).now()})

    assert response["Location"] == reverse("accounts:login")
    assert signed_in_user_id(client) is None


# --- the account, password and sign-out ------------------------------------------------------

@pytest.mark.django_db
def test_sign_out_needs_a_post_and_is_audited(client):
    user = make_user()
    client.force_login(user)

    assert client.get(reverse("accounts:logout")).status_code == 200
    assert signed_in_user_id(client) == str(user.pk)

    response = client.post(reverse("accounts:logout"))

    assert response["Location"] == reverse("pages:home")
    assert signed_in_user_id(client) is None
    assert actions_for(user) == ["accounts.logout"]


@pytest.mark.django_db
def test_password_change_is_audited_and_keeps_the_session(client):
    user = make_user()
    client.force_login(user)
    new_password = "Another-Bohai-2025"

    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password,
    })

    assert response["Location"] == reverse("accounts:me")
    user.refresh_from_db()
    assert user.check_password(new_password)
    assert actions_for(user) == ["accounts.password_changed"]
    assert client.get(reverse("accounts:me")).status_code == 200


@pytest.mark.django_db
def test_password_change_refuses_a_wrong_old_password(client):
    user = make_user()
    client.force_login(user)

    response = client.post(reverse("accounts:password_change"), {
        "old_password": "wrong", "new_password1": "Another-Bohai-2025", "new_password2": "Another-Bohai-2025",
    })

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert actions_for(user) == []


@pytest.mark.django_db
def test_the_account_page_shows_the_masked_identity_only(client, city):
    from bohai.kernel.crypto.fields import blind_index
    from bohai.kernel.identities.models import Person

    number = "34052419800101001X"
    person = Person.objects.create(
        id_number_cipher=encrypt(number), id_number_index=blind_index(number), id_number_masked="340524********001X",
        name="张三", gender="male", birth_date="1980-01-01", region=city,
    )
    client.force_login(make_user(person=person, display_name="张三"))

    page = client.get(reverse("accounts:me")).content.decode()

    assert "340524********001X" in page
    assert number not in page
    assert "未启用" in page


@pytest.mark.django_db
def test_the_account_page_needs_a_signed_in_user(client):
    response = client.get(reverse("accounts:me"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_a_password_alone_does_not_reach_the_account_pages_of_an_admin(client):
    admin = make_admin()
    with_device(admin)
    client.force_login(admin)

    for url_name in ("accounts:me", "accounts:password_change"):
        response = client.get(reverse(url_name))
        assert response["Location"].startswith(reverse("accounts:two_factor_verify"))


@pytest.mark.django_db
def test_password_rules_answer_in_chinese(client):
    client.force_login(make_user())

    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": "Bh-7x", "new_password2": "Bh-7x",
    })

    assert "密码太短，至少需要 8 个字符。" in response.content.decode()
