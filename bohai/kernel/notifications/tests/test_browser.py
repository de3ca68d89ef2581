"""The bell and the list in a real browser (Debian's chromium): screenshots in var/screenshots/."""
import pytest

from bohai.kernel.notifications.actions import notify
from bohai.testing.browser import shoot, sign_in
from bohai.testing.fixtures import TEST_PASSWORD

pytestmark = [pytest.mark.browser]


def send_news(user) -> None:
    notify([user], actor="system:services", title="办件“个体工商户设立登记”已受理", level="success",
           topic="services.accepted")
    notify([user], actor="system:services", title="办件即将超期（黄色预警）", body="受理编号 CZ-2026-000123，还剩 1 个工作日。",
           link="/work/", level="warning", topic="services.deadline")
    notify([user], actor="system:services", title="办件已超期（红色预警）", body="受理编号 CZ-2026-000098，已超期 2 个工作日。",
           level="danger", topic="services.deadline")


def bell_count(page) -> str:
    return page.locator("header .notification-bell:visible").first.get_attribute("data-unread")


def test_an_officer_sees_the_bell_opens_the_list_and_marks_everything_read(browser_page, officer):
    page = browser_page
    send_news(officer)
    sign_in(page, officer.username, TEST_PASSWORD)
    page.goto(f"{page.base_url}/work/")
    badge = page.locator("header .notification-bell:visible .badge-notification")
    assert badge.inner_text() == "3"
    shoot(page, "notifications-workbench-bell")

    page.locator("header .notification-bell:visible").click()
    page.wait_for_load_state()
    assert page.url == f"{page.base_url}/work/notifications/"
    items = page.locator(".notification-item")
    assert items.count() == 3
    assert "红色预警" in items.first.inner_text()  # newest first
    shoot(page, "notifications-workbench-list")

    items.nth(1).locator("[data-mark-read]").click()  # through htmx: the item and the bell refresh
    page.wait_for_selector('.notification-item[data-read="true"]')
    page.wait_for_function("document.querySelector('header .notification-bell').dataset.unread === '2'")
    assert bell_count(page) == "2"

    page.locator("[data-mark-all-read]").click()
    page.wait_for_load_state()
    assert "已将 2 条通知标为已读" in page.locator(".alert").inner_text()
    assert page.locator('.notification-item[data-read="false"]').count() == 0
    assert page.locator("header .notification-bell:visible .badge-notification").count() == 0
    shoot(page, "notifications-workbench-all-read")


def test_a_resident_sees_the_bell_on_the_portal(browser_page, resident):
    page = browser_page
    notify([resident], actor="system:services", title="请补正材料：身份证复印件不清晰", level="warning",
           body="请在 5 个工作日内重新上传。", link="/accounts/me/")
    sign_in(page, resident.username, TEST_PASSWORD)
    assert page.locator("header .notification-bell .badge-notification").inner_text() == "1"
    shoot(page, "notifications-portal-bell")

    page.locator("header .notification-bell").click()
    page.wait_for_load_state()
    assert page.url == f"{page.base_url}/notifications/"
    shoot(page, "notifications-portal-list")

    page.locator(".notification-item a", has_text="请补正材料").click()
    page.wait_for_load_state()
    assert page.url == f"{page.base_url}/accounts/me/"
    assert page.locator("header .notification-bell .badge-notification").count() == 0
