"""The device owner's workbench pages: lists within scope, one device with credentials shown once, alarms to
acknowledge, rejected data."""
import pytest

from bohai.engines.alarms.actions import create_rule
from bohai.engines.alarms.models import Alarm, AlarmState
from bohai.iot.ingestion import IncomingReading, ingest
from bohai.kernel.accounts import actions as account_actions

from .conftest import QING

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(iot_city, make_staff, client_for):
    user = make_staff(None, iot_city["cang"], organisation=iot_city["units"]["water"])
    account_actions.assign_role(user, actor="test", role_code="device_officer", region=iot_city["cang"],
                                organisation=iot_city["units"]["water"])
    return client_for(user)


def test_device_list_and_page_within_scope(make_device, owner):
    mine, _ = make_device()
    theirs, _ = make_device(unit="qing_water", at=QING)
    listing = owner.get("/work/iot/devices/").content.decode()
    assert mine.code in listing and theirs.code not in listing
    assert owner.get(f"/work/iot/devices/{mine.code}/").status_code == 200
    assert owner.get(f"/work/iot/devices/{theirs.code}/").status_code == 404


def test_new_credentials_are_shown_once(make_device, owner):
    device, _ = make_device()
    response = owner.post(f"/work/iot/devices/{device.code}/credentials/", follow=True)
    assert b"data-secret" in response.content
    assert b"data-secret" not in owner.get(f"/work/iot/devices/{device.code}/").content


def test_alarm_acknowledged_from_the_list(iot_city, make_device, owner):
    device, _ = make_device()
    create_rule(actor="test", name="低压", subject_kind="iot.device", kind="below", subject_type="water_supply",
                metric="pressure", threshold=0.14, severity="major", region=iot_city["city"])
    ingest([IncomingReading(device.code, "pressure", None, 0.05)], channel="test")
    alarm = Alarm.objects.get()
    assert alarm.message.startswith("低压：管网压力 为 0.05")  # the metric by its name, not its code
    assert f'data-alarm="{alarm.pk}"'.encode() in owner.get("/work/iot/alarms/").content
    owner.post(f"/work/iot/alarms/{alarm.pk}/act/", {"do": "acknowledge"})
    assert Alarm.objects.get().state == AlarmState.ACKNOWLEDGED


def test_rejections_page(make_device, owner):
    device, _ = make_device()
    ingest([IncomingReading(device.code, "pressure", None, "high")], channel="test")
    page = owner.get("/work/iot/rejections/").content.decode()
    assert device.code in page and "数值不是数字" in page


def test_a_rule_is_made_and_stopped_from_the_rules_page(iot_city, owner):
    from bohai.engines.alarms.models import Rule

    bad = owner.post("/work/iot/rules/", {"name": "压力", "device_type": "water_supply", "metric": "voltage",
                                          "kind": "below", "threshold": "0.14", "severity": "major",
                                          "escalation_minutes": "15"})
    assert bad.status_code == 422 and "没有指标 voltage" in bad.content.decode()
    owner.post("/work/iot/rules/", {"name": "压力偏低", "device_type": "water_supply", "metric": "pressure",
                                    "kind": "below", "threshold": "0.14", "severity": "major", "escalation_minutes": "15"})
    rule = Rule.objects.get()
    assert (rule.subject_type, rule.metric, rule.threshold, rule.organisation) == (
        "water_supply", "pressure", 0.14, iot_city["units"]["water"])
    missing_threshold = owner.post("/work/iot/rules/", {"name": "x", "device_type": "water_supply",
                                                        "metric": "pressure", "kind": "above", "severity": "minor",
                                                        "escalation_minutes": "0"})
    assert missing_threshold.status_code == 422
    owner.post(f"/work/iot/rules/{rule.pk}/deactivate/")
    assert Rule.objects.get().active is False


def test_bulk_registration_page_reports_bad_lines(iot_city, owner):
    from django.core.files.uploadedfile import SimpleUploadedFile

    unit = iot_city["units"]["water"].key
    text = f"设备编码,设备名称,设备类型,权属部门,经度,纬度\nF-0001,一号,water_supply,{unit},116.85,38.35\nF-0002,二号,water_supply,{unit},abc,38.35\n"
    response = owner.post("/work/iot/devices/import/", {"file": SimpleUploadedFile("d.csv", text.encode())})
    page = response.content.decode()
    assert "已登记 1 台，1 行有误" in page and "经纬度应为数字" in page
    assert "<td>3</td><td>经度</td>" in page  # the line and the column as the file names it, not the field name
