"""Browser-test fixtures: Debian's chromium driven headless by Playwright, against the live server.

    def test_something(browser_page):
        browser_page.goto(f"{browser_page.base_url}/")
        shoot(browser_page, "something")   # var/screenshots/something.png: look at it

Every page also checks that nothing was loaded from outside the server (no CDN).
"""
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--lang=zh-CN",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    from conftest import chromium_path

    # Playwright's sync API runs an event loop in this thread; the test's ORM calls stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def browser_page(browser, live_server, transactional_db):
    cache.clear()  # the cache is a database table that flushing between tests leaves alone
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.base_url = live_server.url
    outside = []
    page.on("request", lambda request: None if request.url.startswith((live_server.url, "data:", "blob:")) else outside.append(request.url))
    yield page
    context.close()
    assert outside == [], f"loaded from outside the server: {outside}"


def shoot(page, name: str) -> Path:
    folder = Path(settings.BASE_DIR) / "var" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, username: str, password: str) -> None:
    page.goto(f"{page.base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_load_state()
