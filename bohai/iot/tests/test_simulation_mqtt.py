"""`bohai simulate --over mqtt` against Bohai's own broker (a real mosquitto with the password and ACL files
Bohai writes) and the ingestion worker: every simulated device connects with its own credentials, the broker
acknowledges each QoS 1 message, and the worker stores the readings."""
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from bohai.iot.management.commands import simulate as simulate_command
from bohai.iot.models import Device
from bohai.iot.mqtt.broker import WORKER_SUBSCRIPTION, worker_credentials
from bohai.iot.mqtt.worker import IngestionWorker, WorkerOptions

from .test_demo import city_with_device_types  # noqa: F401  (the fixture)
from .test_simulation_command import stored_points

pytestmark = [pytest.mark.mqtt, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ingestion_worker(mqtt_broker):
    user, password = worker_credentials()
    mqtt_broker.sync()
    worker = IngestionWorker(WorkerOptions(host=mqtt_broker.host, port=mqtt_broker.port, username=user,
                                           password=password, client_id="bohai-ingest-sim",
                                           subscription=WORKER_SUBSCRIPTION, log_every=1))
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    assert worker.wait_connected(10)
    yield worker
    worker.stop()
    thread.join(20)


@pytest.fixture
def broker_learns_new_secrets(monkeypatch, mqtt_broker):
    """In production the job worker syncs the broker's password file after credentials change; here, at once."""
    issue = simulate_command.fleets.issue_secrets

    def issue_and_sync(devices, *, actor):
        secrets = issue(devices, actor=actor)
        mqtt_broker.sync()
        return secrets

    monkeypatch.setattr(simulate_command.fleets, "issue_secrets", issue_and_sync)


def test_simulated_devices_publish_with_their_own_credentials_and_the_readings_are_stored(
        city_with_device_types, mqtt_broker, ingestion_worker, broker_learns_new_secrets):
    started = timezone.now()
    out = StringIO()

    call_command("simulate", devices=6, rate=12, over="mqtt", duration=3, broker=mqtt_broker.url,
                 outage_probability=0, quiet=True, stdout=out)

    output = out.getvalue()
    assert "失败 0 条，丢弃 0 条" in output, output + mqtt_broker.log_tail()
    sent = int(output.split("已发送 ")[1].split(" ")[0])
    acked = int(output.split("已确认 ")[1].split(" ")[0])
    assert sent >= 30 and acked == sent
    devices = list(Device.objects.filter(code__startswith="SIM-").select_related("device_type"))
    assert len(devices) == 6
    for device in devices:
        assert stored_points(device, started - timedelta(seconds=5)) >= 4 * device.device_type.metrics.count()


def test_a_device_whose_password_the_broker_does_not_know_is_refused(city_with_device_types, mqtt_broker):
    out = StringIO()

    call_command("simulate", devices=2, rate=10, over="mqtt", duration=2, broker=mqtt_broker.url,
                 outage_probability=0, quiet=True, stdout=out)   # no sync: the broker still has no password

    output = out.getvalue()
    assert "已确认 0 条" in output and "最近的错误" in output
