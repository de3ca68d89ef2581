"""Signing in through a real browser (Debian's chromium, headless), with screenshots in var/screenshots/."""
import os
import shutil
from pathlib import Path

import pyotp
import pytest
from django.conf import settings
from django.core.cache import cache

from bohai.kernel.accounts.models import AccountKind, User
from bohai.kernel.organisations.models import Organisation
from bohai.kernel.regions.actions import load_reference_divisions
from bohai.kernel.regions.models import Region

pytestmark = [pytest.mark.browser]

PASSWORD = "Bohai-2024-secure"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


def chromium_executable() -> str:
    return os.environ.get("BOHAI_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's ORM calls are still synchronous.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=chromium_executable(), args=CHROMIUM_ARGS, headless=True)
            yield chromium
            chromium.close()


@pytest.fixture
def page(browser, live_server, transactional_db):
    cache.clear()  # the cache is a database table that flushing between tests leaves alone
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    context.close()


def shoot(page, name: str) -> None:
    folder = Path(settings.BASE_DIR) / "var" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def sign_in(page, username: str, password: str) -> None:
    page.goto(f"{page.base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_load_state()


def test_portal_home(page):
    page.goto(f"{page.base_url}/")
    assert page.locator("h1").first.inner_text() == "沧州市政务服务"
    assert page.locator(".service-tile").count() >= 6
    shoot(page, "portal-home")


def test_sign_in_with_a_bad_then_a_good_password(page):
    User.objects.create_user(username="zhangsan", password=PASSWORD, kind=AccountKind.RESIDENT, display_name="张三")
    page.goto(f"{page.base_url}/accounts/login/")
    shoot(page, "login")

    sign_in(page, "zhangsan", "wrong-password")
    assert "用户名或密码不正确" in page.locator(".alert-danger").inner_text()
    shoot(page, "login-refused")

    sign_in(page, "zhangsan", PASSWORD)
    assert page.url == f"{page.base_url}/"
    assert "张三" in page.locator("header").inner_text()

    page.goto(f"{page.base_url}/accounts/me/")
    assert "我的账户" in page.locator(".page-title").inner_text()
    shoot(page, "account")

    page.locator("header [data-bs-toggle=dropdown]").click()
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_load_state()
    assert page.url == f"{page.base_url}/"
    assert "您已安全退出" in page.locator(".alert").inner_text()


def test_an_admin_sets_up_two_factor_and_reaches_the_workbench(page):
    load_reference_divisions("130900", actor="system:test")
    city = Region.objects.get(key="130900")
    government = Organisation.objects.create(
        key="cz-gov", name="沧州市人民政府", short_name="市政府", kind="government", region=city, path="/cz-gov/",
    )
    User.objects.create_superuser(username="admin", password=PASSWORD, display_name="平台管理员", organisation=government)

    sign_in(page, "admin", PASSWORD)
    assert "/accounts/two-factor/setup/" in page.url
    assert page.locator(".qr-frame svg").count() == 1
    shoot(page, "two-factor-setup")

    secret = "".join(page.locator("#totp-secret").inner_text().split())
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.get_by_role("button", name="确认启用").click()
    page.wait_for_load_state()

    assert page.url == f"{page.base_url}/work/"
    assert "沧州市人民政府" in page.locator(".page-body").inner_text()
    shoot(page, "workbench-home")

    page.goto(f"{page.base_url}/ops/")
    page.wait_for_load_state("networkidle")
    assert "沧州市城市运行中心" in page.locator("h1").inner_text()
    page.wait_for_selector("#ops-map canvas")
    shoot(page, "ops-home")
    page.goto(f"{page.base_url}/accounts/me/")
    assert "已启用" in page.locator("[data-two-factor]").inner_text()
    shoot(page, "account-admin")
