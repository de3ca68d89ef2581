"""The device owner's pages in a real browser (Debian's chromium): the device list, a device with its history
chart drawn from the series API, fresh credentials shown once, alarms acknowledged from the list.
Screenshots in var/screenshots/iot-*.png: look at them."""
import math
from datetime import timedelta

import pytest
from django.utils import timezone

from bohai.engines.alarms.actions import create_rule
from bohai.iot.ingestion import IncomingReading, ingest
from bohai.kernel.accounts import actions as account_actions
from bohai.testing.browser import shoot, sign_in
from bohai.testing.fixtures import TEST_PASSWORD

pytestmark = [pytest.mark.browser]


@pytest.fixture
def owner(iot_city, make_staff):
    unit = iot_city["units"]["water"]
    unit.name = "沧县水务局"
    unit.save(update_fields=["name"])
    user = make_staff(None, iot_city["cang"], organisation=unit)
    account_actions.assign_role(user, actor="test", role_code="device_officer", region=iot_city["cang"],
                                organisation=unit)
    return user


def day_of_pressure(device):
    """A day of readings every 5 minutes: a morning and an evening dip in pressure, flow the other way."""
    now = timezone.now().replace(second=0, microsecond=0)
    readings = []
    for step in range(288):
        at = now - timedelta(minutes=5 * step)
        hour = timezone.localtime(at).hour + timezone.localtime(at).minute / 60
        demand = math.exp(-((hour - 7.5) ** 2) / 3) + 0.8 * math.exp(-((hour - 19) ** 2) / 4)
        readings.append(IncomingReading(device.code, "pressure", at, round(0.38 - 0.12 * demand, 4)))
        readings.append(IncomingReading(device.code, "flow", at, round(300 + 900 * demand, 1)))
    ingest(readings, channel="test")


def test_device_pages(browser_page, iot_city, make_device, owner):
    page = browser_page
    device, _secret = make_device(code="CX-WS-0001")
    for number in range(2, 6):
        make_device(code=f"CX-WS-{number:04d}")
    day_of_pressure(device)
    create_rule(actor="test", name="管网压力偏低", subject_kind="iot.device", kind="below", subject_type="water_supply",
                metric="pressure", threshold=0.14, severity="major", region=iot_city["city"])
    ingest([IncomingReading("CX-WS-0002", "pressure", None, 0.09)], channel="test")
    sign_in(page, owner.username, TEST_PASSWORD)

    page.goto(f"{page.base_url}/work/iot/devices/")
    assert page.locator("[data-device]").count() == 5
    shoot(page, "iot-devices")

    page.goto(f"{page.base_url}/work/iot/devices/{device.code}/")
    page.wait_for_function("document.querySelector('[data-resolution]').textContent.includes('点')")
    assert page.locator("#device-chart canvas").count() >= 1
    shoot(page, "iot-device")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="签发新凭据").click()
    secret = page.locator("[data-secret] code.user-select-all").inner_text()
    assert len(secret) >= 30
    page.reload()
    assert page.locator("[data-secret]").count() == 0

    page.goto(f"{page.base_url}/work/iot/alarms/")
    assert page.locator("[data-alarm]").count() == 1
    shoot(page, "iot-alarms")
    page.get_by_role("button", name="确认").click()
    assert "已确认" in page.locator("[data-alarm]").inner_text()

    page.goto(f"{page.base_url}/work/iot/rules/")
    page.fill("#id_name", "燃气泄漏")
    page.select_option("#id_device_type", "gas_pipeline")
    page.fill("#id_metric", "leak_concentration")
    page.select_option("#id_kind", "above")
    page.fill("#id_threshold", "20")
    page.select_option("#id_severity", "critical")
    page.get_by_role("button", name="启用规则").click()
    assert page.locator("[data-rule]").count() == 1  # its own department's; the city-wide rule is the city's
    shoot(page, "iot-rules")


def test_duty_roster(browser_page, iot_city, make_staff):
    page = browser_page
    unit = iot_city["units"]["water"]
    unit.name = "沧县水务局"
    unit.save(update_fields=["name"])
    head = make_staff("department_head", iot_city["cang"], organisation=unit)
    for name in ("王建国", "李秀英"):
        member = make_staff(None, iot_city["cang"], organisation=unit)
        member.display_name = name
        member.save(update_fields=["display_name"])
    sign_in(page, head.username, TEST_PASSWORD)

    page.goto(f"{page.base_url}/work/iot/duty/")
    options = page.locator("#id_user option").all_inner_texts()
    page.select_option("#id_user", label=next(text for text in options if text.startswith("王建国")))
    page.fill("#id_days", "7")
    page.get_by_role("button", name="排班").last.click()
    assert "已排班 7 个班次" in page.content()
    assert page.locator("[data-shift]").count() == 7
    shoot(page, "iot-duty-roster")
