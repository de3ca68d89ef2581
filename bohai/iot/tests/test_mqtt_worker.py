"""The ingestion worker stores what devices publish, counts what it cannot read, and leaves on request."""
import threading

import pytest

from bohai.iot.models import Rejection, RejectionReason
from bohai.iot.mqtt.broker import WORKER_SUBSCRIPTION, worker_credentials
from bohai.iot.mqtt.worker import IngestionWorker, WorkerOptions, device_code_of
from bohai.iot.tests.mqtt_streams import DeviceStream, assert_stored_exactly_once, wait_for
from bohai.testing.mqtt import connect, disconnect, mqtt_client

pytestmark = [pytest.mark.mqtt, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_in_thread(mqtt_broker):
    user, password = worker_credentials()
    worker = IngestionWorker(WorkerOptions(host=mqtt_broker.host, port=mqtt_broker.port, username=user,
                                           password=password, client_id="bohai-ingest-thread",
                                           subscription=WORKER_SUBSCRIPTION, log_every=1))
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    assert worker.wait_connected(10)
    yield worker
    worker.stop()
    thread.join(20)
    assert not thread.is_alive()


def test_published_readings_are_stored(mqtt_broker, mqtt_devices, worker_in_thread):
    stream = DeviceStream(mqtt_broker, mqtt_devices(4), messages=25, pause=0.005)
    stream.start()
    assert_stored_exactly_once(stream, timeout=60)
    assert wait_for(lambda: worker_in_thread.totals.points == stream.expected_points, 10)
    assert worker_in_thread.totals.messages == 4 * 25


def test_a_malformed_message_is_counted_and_does_not_stop_the_stream(mqtt_broker, mqtt_devices, worker_in_thread):
    [(device, secret)] = mqtt_devices(1)
    client = mqtt_client("malformed", device.code, secret, persistent=False)
    assert not connect(client, mqtt_broker).is_failure
    client.publish(device.mqtt_topic, b"not json", qos=1).wait_for_publish(5)
    client.publish(device.mqtt_topic, b'{"ts": "2026-12-01T08:00:00+08:00", "values": {"a": 1.5}}',
                   qos=1).wait_for_publish(5)
    disconnect(client)

    assert wait_for(lambda: worker_in_thread.totals.messages == 2, 20)
    rejection = Rejection.objects.get(device_code=device.code)
    assert (rejection.reason, rejection.count) == (RejectionReason.MALFORMED, 1)
    assert worker_in_thread.totals.points == 1


def test_a_reading_without_its_time_is_refused_over_mqtt(mqtt_broker, mqtt_devices, worker_in_thread):
    """Stamped on arrival, a redelivered message would be stored twice; the device's own time makes it a duplicate."""
    [(device, secret)] = mqtt_devices(1)
    client = mqtt_client("no-time", device.code, secret, persistent=False)
    assert not connect(client, mqtt_broker).is_failure
    client.publish(device.mqtt_topic, b'{"values": {"a": 1.5, "b": 2}}', qos=1).wait_for_publish(5)
    disconnect(client)

    assert wait_for(lambda: worker_in_thread.totals.messages == 1, 20)
    rejection = Rejection.objects.get(device_code=device.code)
    assert (rejection.reason, rejection.count) == (RejectionReason.BAD_TIMESTAMP, 2)
    assert "ts" in rejection.last_detail
    assert worker_in_thread.totals.points == 0


def test_the_device_code_comes_from_the_topic():
    assert device_code_of("bohai/devices/WS-0001/telemetry") == "WS-0001"
    assert device_code_of("bohai/devices/a/b/telemetry") is None
    assert device_code_of("bohai/devices//telemetry") is None
    assert device_code_of("other/WS-0001/telemetry") is None
