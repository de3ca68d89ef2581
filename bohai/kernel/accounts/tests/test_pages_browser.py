"""Signing in through a real browser (Debian's chromium, headless), with screenshots in var/screenshots/."""
import pyotp
import pytest

from bohai.kernel.accounts.models import AccountKind, User
from bohai.kernel.organisations.models import Organisation
from bohai.kernel.regions.actions import load_reference_divisions
from bohai.kernel.regions.models import Region
from bohai.testing.browser import shoot, sign_in

pytestmark = [pytest.mark.browser]

PASSWORD = "Bohai-2024-secure"
@pytest.fixture
def page(browser_page):
    return browser_page


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
