"""The IoT API: devices within scope, credentials, self-provisioning, bulk registration, ingestion over HTTP
(a device's own readings and a department's batch), series, latest values, export, rules and alarms."""
import io
import json
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from bohai.engines.alarms.models import Alarm, AlarmState
from bohai.iot.models import Device, Rejection, RejectionReason
from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.identities.validators import credit_code_check_char, organisation_code_check_char
from bohai.testing.fixtures import organisation_in

from .conftest import CANG, QING

pytestmark = pytest.mark.django_db


def officer(make_staff, region, unit):
    from bohai.kernel.accounts import actions as account_actions

    user = make_staff(None, region, organisation=unit)
    account_actions.assign_role(user, actor="test", role_code="device_officer", region=region, organisation=unit)
    return user


@pytest.fixture
def water_officer(iot_city, make_staff, client_for):
    return client_for(officer(make_staff, iot_city["cang"], iot_city["units"]["water"]))


def post(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def device_post(code, secret, body):
    return post(Client(), f"/api/v1/iot/devices/{code}/telemetry", body, HTTP_X_DEVICE_TOKEN=secret)


def test_a_device_sends_its_readings_with_its_token(make_device):
    device, secret = make_device()
    response = device_post(device.code, secret, {"ts": "2026-11-30T10:00:00+08:00", "values": {"pressure": 0.3, "flow": 80}})
    assert response.status_code == 200, response.content
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    again = device_post(device.code, secret, [{"ts": "2026-11-30T10:00:00+08:00", "values": {"pressure": 0.3}},
                                              {"ts": "2026-11-30T10:01:00+08:00", "values": {"pressure": 9}}])
    assert again.json()["duplicates"] == 1
    assert again.json()["rejected"][0]["reason"] == "out_of_range"


def test_a_wrong_token_or_another_devices_token_is_refused_and_counted(make_device):
    device, secret = make_device()
    other, other_secret = make_device()
    assert device_post(device.code, "wrong", {"values": {"pressure": 0.3}}).status_code == 401
    assert device_post(device.code, other_secret, {"values": {"pressure": 0.3}}).status_code == 401
    assert Rejection.objects.get(device_code=device.code, reason=RejectionReason.BAD_CREDENTIALS).count == 2


def test_all_readings_rejected_answers_422_field_by_field(make_device):
    device, secret = make_device()
    response = device_post(device.code, secret, {"values": {"pressure": "high", "voltage": 220}})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "rejected"
    assert set(body["fields"]) == {f"{device.code}.pressure", f"{device.code}.voltage"}
    assert "不是数字" in body["fields"][f"{device.code}.pressure"][0]


def test_a_malformed_body_answers_422(make_device):
    device, secret = make_device()
    assert device_post(device.code, secret, {"pressure": 0.3}).status_code == 422


def test_a_department_sends_a_batch_for_devices_in_its_scope_only(iot_city, make_device, make_staff, client_for):
    mine, _ = make_device()
    theirs, _ = make_device(unit="qing_water", at=QING)
    client = client_for(officer(make_staff, iot_city["cang"], iot_city["units"]["water"]))
    readings = [{"device": mine.code, "ts": "2026-11-30T10:00:00+08:00", "values": {"pressure": 0.3}},
                {"device": theirs.code, "ts": "2026-11-30T10:00:00+08:00", "values": {"pressure": 0.3}}]
    response = post(client, "/api/v1/iot/telemetry", {"readings": readings})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["accepted"] == 1
    assert [(r["device"], r["reason"]) for r in body["rejected"]] == [(theirs.code, "unknown_device")]


def test_devices_outside_scope_answer_404(iot_city, make_device, water_officer):
    mine, _ = make_device()
    theirs, _ = make_device(unit="qing_water", at=QING)
    assert water_officer.get(f"/api/v1/iot/devices/{mine.code}").status_code == 200
    assert water_officer.get(f"/api/v1/iot/devices/{theirs.code}").status_code == 404
    codes = [row["code"] for row in water_officer.get("/api/v1/iot/devices").json()["results"]]
    assert codes == [mine.code]
    assert water_officer.post(f"/api/v1/iot/devices/{theirs.code}/credentials").status_code == 404


def test_register_a_device_and_issue_its_credentials(iot_city, water_officer):
    body = {"code": "CZ-WS-0001", "name": "解放路加压站出口", "device_type": "water_supply",
            "organisation": iot_city["units"]["water"].key, "lng": CANG[0], "lat": CANG[1]}
    response = post(water_officer, "/api/v1/iot/devices", body)
    assert response.status_code == 201, response.content
    assert response.json()["region"] == iot_city["cang"].key
    secret = water_officer.post("/api/v1/iot/devices/CZ-WS-0001/credentials").json()["secret"]
    assert device_post("CZ-WS-0001", secret, {"values": {"pressure": 0.3}}).status_code == 200
    record = AuditRecord.objects.filter(action="iot.device.credentials").get()
    assert secret not in json.dumps(record.after, default=str)


def test_registration_errors_name_the_field(iot_city, water_officer):
    body = {"code": "x", "name": "", "device_type": "energy_meter", "organisation": iot_city["units"]["water"].key,
            "lng": 120.0, "lat": 30.0, "enterprise_code": ""}
    response = post(water_officer, "/api/v1/iot/devices", body)
    assert response.status_code == 422
    assert set(response.json()["fields"]) >= {"code", "name", "lng", "enterprise_code"}


def test_a_department_cannot_register_for_another_county(iot_city, water_officer):
    body = {"code": "QX-0001", "name": "青县水厂", "device_type": "water_supply",
            "organisation": iot_city["units"]["qing_water"].key, "lng": QING[0], "lat": QING[1]}
    response = post(water_officer, "/api/v1/iot/devices", body)
    assert response.status_code == 422
    assert "organisation" in response.json()["fields"]


def test_self_provisioning_with_a_key(iot_city, water_officer):
    key = post(water_officer, "/api/v1/iot/provisioning-keys", {
        "name": "水表厂商 A", "organisation": iot_city["units"]["water"].key, "region": iot_city["cang"].key,
        "device_type": "water_supply", "max_devices": 1}).json()["key"]
    device = {"code": "VENDOR-A-1", "name": "厂商 A 一号", "device_type": "water_supply", "lng": CANG[0], "lat": CANG[1]}
    response = post(Client(), "/api/v1/iot/provision", device, HTTP_X_PROVISIONING_KEY=key)
    assert response.status_code == 201, response.content
    assert Device.objects.get(code="VENDOR-A-1").organisation == iot_city["units"]["water"]
    assert device_post("VENDOR-A-1", response.json()["secret"], {"values": {"flow": 3}}).status_code == 200
    second = post(Client(), "/api/v1/iot/provision", {**device, "code": "VENDOR-A-2"}, HTTP_X_PROVISIONING_KEY=key)
    assert second.status_code == 403 and "用完" in second.json()["message"]
    assert post(Client(), "/api/v1/iot/provision", device, HTTP_X_PROVISIONING_KEY="pk_nonsense").status_code == 403


def test_bulk_registration_keeps_good_rows_and_reports_bad_lines(iot_city, water_officer):
    unit = iot_city["units"]["water"].key
    uscc = "91130900" + "MA0ABCDE" + organisation_code_check_char("MA0ABCDE")
    uscc += credit_code_check_char(uscc)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["设备编码", "设备名称", "设备类型", "权属部门", "经度", "纬度", "企业统一社会信用代码"])
    sheet.append(["B-0001", "一号", "water_supply", unit, CANG[0], CANG[1], ""])
    sheet.append(["B-0002", "二号", "不存在的类型", unit, CANG[0], CANG[1], ""])
    sheet.append(["B-0003", "三号", "供水管网监测点", unit, 120.0, 30.0, ""])
    sheet.append(["B-0004", "四号", "energy_meter", unit, CANG[0], CANG[1], uscc])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.name = "devices.xlsx"
    buffer.seek(0)
    response = water_officer.post("/api/v1/iot/devices/import", {"file": buffer})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["failed"]) == (2, 2)
    assert [(e["line"], sorted(e["fields"])) for e in body["errors"]] == [(3, ["device_type"]), (4, ["lng"])]
    assert [cell["column"] for e in body["errors"] for cell in e["cells"]] == ["设备类型", "经度"]


def test_series_latest_and_export(make_device, water_officer):
    device, secret = make_device()
    start = timezone.now() - timedelta(hours=2)
    messages = [{"ts": (start + timedelta(minutes=m)).isoformat(), "values": {"pressure": 0.3 + m / 1000}}
                for m in range(100)]
    assert device_post(device.code, secret, messages).json()["accepted"] == 100
    series = water_officer.get(f"/api/v1/iot/devices/{device.code}/series/pressure", {"budget": 10}).json()
    assert series["resolution"] != "raw" and 0 < len(series["points"]) <= 10
    assert sum(point[4] for point in series["points"]) == 100
    latest = post(water_officer, "/api/v1/iot/latest", {"devices": [device.code]}).json()
    assert latest[device.code]["pressure"][1] == pytest.approx(0.399)
    csv_response = water_officer.get(f"/api/v1/iot/devices/{device.code}/export",
                                     {"start": start.isoformat(), "end": timezone.now().isoformat()})
    lines = csv_response.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 101 and lines[0].startswith("设备编码")
    xlsx = water_officer.get(f"/api/v1/iot/devices/{device.code}/export",
                             {"start": start.isoformat(), "end": timezone.now().isoformat(), "format": "xlsx",
                              "resolution": "hour"})
    rows = list(openpyxl.load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[0][4] == "平均值" and sum(row[7] for row in rows[1:]) == 100


def test_a_rule_raises_one_alarm_that_is_acknowledged_over_the_api(iot_city, make_device, make_staff, client_for):
    from bohai.kernel.accounts import actions as account_actions

    admin = make_staff("platform_admin", iot_city["city"])
    device, secret = make_device()
    rule = post(client_for(admin), "/api/v1/iot/rules", {
        "name": "管网低压", "kind": "below", "device_type": "water_supply", "metric": "pressure", "threshold": 0.14,
        "severity": "major"})
    assert rule.status_code == 201, rule.content
    now = timezone.now()
    messages = [{"ts": (now - timedelta(minutes=5 - m)).isoformat(), "values": {"pressure": 0.1}} for m in range(5)]
    assert device_post(device.code, secret, messages).json()["accepted"] == 5
    alarm = Alarm.objects.get()
    assert alarm.reading_count == 5 and alarm.subject_label == device.name
    duty = make_staff(None, iot_city["cang"], organisation=iot_city["units"]["water"])
    account_actions.assign_role(duty, actor="test", role_code="ops_duty_officer", region=iot_city["cang"])
    client = client_for(duty)
    listed = client.get("/api/v1/iot/alarms").json()["results"]
    assert [(a["device"], a["severity"]) for a in listed] == [(device.code, "major")]
    assert client.post(f"/api/v1/iot/alarms/{alarm.pk}/acknowledge", "{}", content_type="application/json").status_code == 200
    assert client.post(f"/api/v1/iot/alarms/{alarm.pk}/acknowledge", "{}", content_type="application/json").status_code == 409
    assert Alarm.objects.get().state == AlarmState.ACKNOWLEDGED
    stranger = make_staff("ops_duty_officer", iot_city["qing"])
    assert client_for(stranger).get(f"/api/v1/iot/alarms/{alarm.pk}").status_code == 404
