"""The broker checks devices itself: password file and ACL written by Bohai, reloaded on change (real mosquitto)."""
import threading
import time

import pytest

from bohai.iot.models import DeviceStatus
from bohai.iot.mqtt import broker as broker_module
from bohai.iot.mqtt.broker import TELEMETRY_FILTER, worker_credentials
from bohai.kernel.jobs.models import Job
from bohai.testing.mqtt import connect, disconnect, mqtt_client

pytestmark = [pytest.mark.mqtt, pytest.mark.django_db]


class Listener:
    """The worker's account subscribed to every device topic: what the broker lets through."""

    def __init__(self, broker):
        user, password = worker_credentials()
        self.client = mqtt_client("listener", user, password, persistent=False)
        self.received: list[tuple[str, bytes]] = []
        self.subscribed = threading.Event()
        self.client.on_message = lambda client, userdata, message: self.received.append(
            (message.topic, message.payload))
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        assert not connect(self.client, broker).is_failure
        self.client.subscribe(TELEMETRY_FILTER, qos=1)
        assert self.subscribed.wait(5)

    def payloads(self, settle: float = 0.5) -> list[tuple[str, bytes]]:
        time.sleep(settle)
        return list(self.received)


def publish_and_wait(client, topic: str, payload: bytes) -> None:
    info = client.publish(topic, payload, qos=1)
    info.wait_for_publish(5)


def test_a_device_publishes_to_its_own_topic_and_never_to_another(mqtt_broker, mqtt_devices):
    (own, own_secret), (other, _) = mqtt_devices(2)
    listener = Listener(mqtt_broker)
    device = mqtt_client("device-own", own.code, own_secret, persistent=False)
    assert not connect(device, mqtt_broker).is_failure

    publish_and_wait(device, other.mqtt_topic, b'{"values": {"a": 1}}')
    publish_and_wait(device, "bohai/devices/+/telemetry".replace("+", "x" + own.code), b"elsewhere")
    publish_and_wait(device, own.mqtt_topic, b'{"values": {"a": 2}}')

    # The broker answers a refused QoS 1 publish like an accepted one (the device learns nothing); it simply
    # never forwards it. The own message, sent last, arriving alone proves the others were dropped.
    assert listener.payloads() == [(own.mqtt_topic, b'{"values": {"a": 2}}')]
    disconnect(device)
    disconnect(listener.client)


def test_a_device_cannot_read_other_devices_topics(mqtt_broker, mqtt_devices):
    (spy, spy_secret), (other, other_secret) = mqtt_devices(2)
    eavesdropper = mqtt_client("device-spy", spy.code, spy_secret, persistent=False)
    heard = []
    eavesdropper.on_message = lambda client, userdata, message: heard.append(message.payload)
    assert not connect(eavesdropper, mqtt_broker).is_failure
    eavesdropper.subscribe("bohai/devices/#", qos=1)
    sender = mqtt_client("device-other", other.code, other_secret, persistent=False)
    assert not connect(sender, mqtt_broker).is_failure
    publish_and_wait(sender, other.mqtt_topic, b'{"values": {"a": 3}}')
    time.sleep(0.5)
    assert heard == []
    disconnect(sender)
    disconnect(eavesdropper)


def test_a_wrong_password_or_an_unknown_device_is_refused(mqtt_broker, mqtt_devices):
    [(device, _secret)] = mqtt_devices(1)
    wrong = mqtt_client("wrong", device.code, "not-the-secret", persistent=False)
    assert connect(wrong, mqtt_broker).is_failure
    disconnect(wrong)
    stranger = mqtt_client("stranger", "nobody-here", "anything", persistent=False)
    assert connect(stranger, mqtt_broker).is_failure
    disconnect(stranger)
    anonymous = mqtt_client("anonymous", "", "", persistent=False)
    anonymous.username_pw_set(None, None)
    assert connect(anonymous, mqtt_broker).is_failure
    disconnect(anonymous)


def test_a_retired_device_loses_access_once_the_broker_is_synced(mqtt_broker, mqtt_devices):
    [(device, secret)] = mqtt_devices(1)
    listener = Listener(mqtt_broker)
    client = mqtt_client("device-retiring", device.code, secret, persistent=False)
    client.reconnect_delay_set(min_delay=60, max_delay=60)
    assert not connect(client, mqtt_broker).is_failure
    publish_and_wait(client, device.mqtt_topic, b"before")

    device.status = DeviceStatus.RETIRED
    device.save(update_fields=["status"])
    assert mqtt_broker.sync() == 0

    # mosquitto rereads the files on SIGHUP and drops the connection whose password no longer checks.
    deadline = time.monotonic() + 5
    while client.is_connected() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not client.is_connected()
    disconnect(client)
    again = mqtt_client("device-retired", device.code, secret, persistent=False)
    assert connect(again, mqtt_broker).is_failure
    disconnect(again)
    assert listener.payloads() == [(device.mqtt_topic, b"before")]
    disconnect(listener.client)


def test_the_files_admit_only_active_devices_with_credentials(mqtt_broker, mqtt_devices):
    devices = mqtt_devices(3)
    devices[1][0].status = DeviceStatus.MAINTENANCE
    devices[1][0].save(update_fields=["status"])
    devices[2][0].mqtt_password_hash = ""
    devices[2][0].save(update_fields=["mqtt_password_hash"])

    assert mqtt_broker.sync() == 1
    files = mqtt_broker.files
    users = [line.split(":", 1)[0] for line in files.passwords.read_text().splitlines()]
    assert users == [worker_credentials()[0], devices[0][0].code]
    assert all(line.split(":", 1)[1].startswith("$7$101$") for line in files.passwords.read_text().splitlines())
    assert "pattern write bohai/devices/%u/telemetry" in files.acl.read_text()
    assert files.passwords.stat().st_mode & 0o077 == 0
    assert [path.name for path in files.directory.iterdir() if path.name.startswith(".")] == []  # no temporaries
    config = files.config.read_text()
    for line in ("allow_anonymous false", "persistence true", f"password_file {files.passwords}",
                 f"acl_file {files.acl}", f"listener {mqtt_broker.port} 127.0.0.1"):
        assert line in config.splitlines()


def test_request_sync_queues_one_job_however_many_changes_ask(mqtt_broker):
    broker_module.request_sync()
    broker_module.request_sync()
    assert Job.objects.filter(name=broker_module.SYNC_JOB, status=Job.Status.QUEUED).count() == 1


def test_the_sync_job_rewrites_the_files_and_reloads_the_broker(mqtt_broker, mqtt_devices):
    from bohai.iot.mqtt.jobs import sync_broker

    [(device, secret)] = mqtt_devices(1)
    device.status = DeviceStatus.RETIRED
    device.save(update_fields=["status"])
    assert sync_broker() == {"devices": 0}
    refused = mqtt_client("after-job", device.code, secret, persistent=False)
    assert connect(refused, mqtt_broker).is_failure
    disconnect(refused)
