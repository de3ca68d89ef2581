"""Refused MQTT connections are counted per device: Bohai's broker plugin counts them, a job records them."""
import time
import uuid

import pytest

from bohai.iot.models import DeviceStatus, Rejection, RejectionReason
from bohai.iot.mqtt.broker import worker_credentials
from bohai.iot.mqtt.refusals import collect_refusals
from bohai.testing.mqtt import mqtt_client

def attempt(broker, username: str, password: str):
    """One CONNECT, no retry (a client's network loop would try again and be counted again)."""
    client = mqtt_client(f"attempt-{uuid.uuid4().hex[:8]}", username, password, persistent=False)
    answer = {}
    client.on_connect = lambda client, userdata, flags, reason_code, properties: answer.setdefault("code", reason_code)
    client.connect(broker.host, broker.port)
    deadline = time.monotonic() + 5
    while "code" not in answer and time.monotonic() < deadline:
        client.loop(timeout=0.1)
    client.disconnect()
    return answer["code"]


def collect_until(connections: int, seconds: float = 15.0) -> int:
    """Collect what the plugin writes (every few seconds) until `connections` refusals have been recorded."""
    recorded, deadline = 0, time.monotonic() + seconds
    while recorded < connections and time.monotonic() < deadline:
        recorded += collect_refusals().connections
        time.sleep(0.2)
    return recorded


def rejection(code: str, reason: str) -> Rejection:
    return Rejection.objects.get(device_code=code, reason=reason)


@pytest.mark.mqtt
@pytest.mark.broker_plugin
@pytest.mark.django_db
def test_each_refused_connection_is_counted_against_the_device_with_its_reason(mqtt_broker, mqtt_devices):
    (device, secret), (retired, retired_secret) = mqtt_devices(2)
    retired.status = DeviceStatus.RETIRED
    retired.save(update_fields=["status"])
    mqtt_broker.sync()

    assert attempt(mqtt_broker, device.code, "not-the-secret").is_failure
    assert attempt(mqtt_broker, device.code, "still-not-it").is_failure
    assert attempt(mqtt_broker, retired.code, retired_secret).is_failure
    assert attempt(mqtt_broker, "nobody-here", "anything").is_failure
    assert not attempt(mqtt_broker, device.code, secret).is_failure
    assert not attempt(mqtt_broker, *worker_credentials()).is_failure
    assert attempt(mqtt_broker, "", "no-name").is_failure  # names no device: not counted

    assert collect_until(4) == 4
    bad = rejection(device.code, RejectionReason.BAD_CREDENTIALS)
    assert (bad.device, bad.count) == (device, 2)
    assert "MQTT" in bad.last_detail and "127.0.0.1" in bad.last_detail
    assert rejection(retired.code, RejectionReason.INACTIVE_DEVICE).count == 1
    unknown = rejection("nobody-here", RejectionReason.UNKNOWN_DEVICE)
    assert (unknown.device, unknown.count) == (None, 1)
    assert Rejection.objects.count() == 3  # the accepted connections counted nothing
    assert list(mqtt_broker.files.refusals.iterdir()) == []  # each file recorded once, then deleted


@pytest.mark.mqtt
@pytest.mark.broker_plugin
@pytest.mark.django_db
def test_refusals_the_broker_still_holds_are_written_when_it_stops(mqtt_broker, mqtt_devices):
    [(device, _secret)] = mqtt_devices(1)
    assert attempt(mqtt_broker, device.code, "wrong").is_failure
    mqtt_broker.restart()

    assert collect_refusals().connections == 1
    assert rejection(device.code, RejectionReason.BAD_CREDENTIALS).count == 1


@pytest.mark.django_db
def test_a_bad_line_is_reported_with_its_place_and_the_good_lines_are_kept(settings, tmp_path, cangzhou):
    from bohai.iot.mqtt.broker import broker_files

    settings.BOHAI_MQTT_DIR = tmp_path / "mosquitto"
    refusals = broker_files().refusals
    (refusals / "refused-1796200000-1-0.tsv").write_text(
        "dev-a1\t3\t1796200000\t10.0.0.7\n"
        "dev-a1\tthree\t1796200000\t10.0.0.7\n"
        "half a line\n"
        f"{settings.BOHAI_MQTT_WORKER_USER}\t2\t1796200000\t10.0.0.8\n"
        "*\t40\t1796200001\t\n")

    collected = collect_refusals()

    assert (collected.files, collected.connections) == (1, 45)
    assert collected.bad_lines == ["refused-1796200000-1-0.tsv:2: 'dev-a1\\tthree\\t1796200000\\t10.0.0.7'",
                                   "refused-1796200000-1-0.tsv:3: 'half a line'"]
    assert rejection("dev-a1", RejectionReason.UNKNOWN_DEVICE).count == 3
    assert rejection("(invalid)", RejectionReason.UNKNOWN_DEVICE).count == 40  # many names, one bucket
    assert not Rejection.objects.filter(device_code=settings.BOHAI_MQTT_WORKER_USER).exists()
    assert list(refusals.iterdir()) == []
