"""Fixtures for MQTT tests: a real mosquitto on a free port with Bohai's own config, password and ACL files,
devices with credentials, publishers, and the ingestion worker as a subprocess (as it runs in production).

    def test_something(mqtt_broker, mqtt_devices):
        devices = mqtt_devices(3)                      # [(device, secret), ...], admitted by the broker
        publisher = connect_device(mqtt_broker, *devices[0])
        mqtt_broker.restart()                          # graceful: the broker saves its sessions and queues
"""
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from bohai.iot.mqtt.broker import MOSQUITTO_BINARY, broker_files, sync_broker_credentials, write_config

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningBroker:
    """A mosquitto started from the files Bohai generates into `directory`."""

    def __init__(self, directory: Path, port: int, host: str = "127.0.0.1"):
        self.files = broker_files(directory)
        self.host, self.port = host, port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self) -> None:
        write_config(self.files, port=self.port, host=self.host)
        sync_broker_credentials(self.files.directory)
        self.process = subprocess.Popen([MOSQUITTO_BINARY, "-c", str(self.files.config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited with {self.process.returncode}: {self.log_tail()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not listen on {self.port}: {self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM: mosquitto saves its persistence file (sessions, queued and in-flight messages) on the way out."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self, pause: float = 0.0) -> None:
        self.stop()
        time.sleep(pause)
        self.start()

    def sync(self) -> int:
        return sync_broker_credentials(self.files.directory)

    def log_tail(self, characters: int = 2000) -> str:
        path = self.files.directory / "mosquitto.log"
        return path.read_text(errors="replace")[-characters:] if path.exists() else ""


@pytest.fixture
def mqtt_broker(db, settings, tmp_path):
    """A running broker on a free port; the Django settings point at it (BOHAI_MQTT_URL, BOHAI_MQTT_DIR)."""
    settings.BOHAI_MQTT_DIR = tmp_path / "mosquitto"
    settings.BOHAI_MQTT_WORKER_PASSWORD = None
    broker = RunningBroker(settings.BOHAI_MQTT_DIR, free_port())
    settings.BOHAI_MQTT_URL = broker.url
    _forget_process_caches()
    broker.start()
    yield broker
    broker.stop()
    _forget_process_caches()


def _forget_process_caches() -> None:
    """The pipeline caches devices and series per process; tests empty the tables between them."""
    from bohai.engines.telemetry import store
    from bohai.iot.directory import directory

    directory.clear()
    store.forget_cached_series()


@pytest.fixture
def mqtt_devices(mqtt_broker, cangzhou):
    """mqtt_devices(n, metrics=("a", "b", "c")) -> [(device, secret)], active, with credentials, admitted."""
    from bohai.iot.credentials import mosquitto_password_hash, new_secret
    from bohai.iot.models import Device, DeviceType, MetricSpec
    from bohai.testing.fixtures import organisation_in

    def make(count: int, metrics=("a", "b", "c")):
        device_type = DeviceType.objects.create(code=f"t{uuid.uuid4().hex[:10]}", name="测试传感器",
                                                category="water")
        MetricSpec.objects.bulk_create(MetricSpec(device_type=device_type, code=code, name=code, position=index)
                                       for index, code in enumerate(metrics))
        organisation = organisation_in(cangzhou["cang"], "water")
        prefix = uuid.uuid4().hex[:6]
        made = []
        for number in range(count):
            secret = new_secret()
            device = Device.objects.create(
                code=f"d{prefix}-{number:05d}", name=f"测试设备{number}", device_type=device_type,
                organisation=organisation, region=cangzhou["cang"], lng=116.8, lat=38.3,
                mqtt_password_hash=mosquitto_password_hash(secret))
            made.append((device, secret))
        mqtt_broker.sync()
        return made

    return make


def mqtt_client(client_id: str, username: str, password: str, *, persistent: bool = True):
    """A paho MQTT v5 client; persistent ones keep their session (and QoS 1 messages) across reconnects."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.username_pw_set(username, password)
    client.reconnect_delay_set(min_delay=1, max_delay=2)
    client.max_inflight_messages_set(200)
    client.persistent = persistent
    return client


def connect(client, broker: RunningBroker, timeout: float = 5.0):
    """Connect and start the network loop; returns the CONNACK reason code (success or the refusal)."""
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    answered = threading.Event()
    outcome = {}

    def on_connect(client, userdata, flags, reason_code, properties):
        outcome.setdefault("reason", reason_code)
        answered.set()

    client.on_connect = on_connect
    properties = Properties(PacketTypes.CONNECT)
    if client.persistent:
        properties.SessionExpiryInterval = 3600
    client.connect_async(broker.host, broker.port, clean_start=not client.persistent, properties=properties)
    client.loop_start()
    answered.wait(timeout)
    return outcome.get("reason")


def disconnect(client) -> None:
    client.disconnect()
    client.loop_stop()


def worker_environment(broker: RunningBroker, database_url: str | None = None) -> dict:
    """The environment a worker subprocess needs to use this test's database (or `database_url`) and broker."""
    from django.conf import settings
    from django.db import connection

    database = connection.settings_dict
    if database_url:
        url = database_url
    elif connection.vendor == "sqlite":
        url = f"sqlite:///{Path(database['NAME']).resolve()}"
    else:
        user = database["USER"] or "postgres"
        password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
        url = f"postgres://{user}{password}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    return {**os.environ, "BOHAI_DATABASE_URL": url, "BOHAI_MQTT_URL": broker.url,
            "BOHAI_MQTT_DIR": str(settings.BOHAI_MQTT_DIR), "DJANGO_SETTINGS_MODULE": "bohai.settings",
            "PYTHONUNBUFFERED": "1", "BOHAI_LOG_LEVEL": "WARNING"}


class WorkerProcess:
    """`bohai iot_worker` in a subprocess, with its output kept in a file for failure messages."""

    def __init__(self, broker: RunningBroker, log_path: Path, client_id: str = "bohai-ingest-test",
                 database_url: str | None = None):
        self.broker, self.log_path, self.client_id = broker, log_path, client_id
        self.database_url = database_url
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        stream = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bohai.cli", "iot_worker", "--client-id", self.client_id, "--log-every", "2"],
            cwd=REPO_ROOT, env=worker_environment(self.broker, self.database_url), stdout=stream, stderr=subprocess.STDOUT)
        stream.close()

    def wait_subscribed(self, timeout: float = 60) -> None:
        """Until the worker's subscription stands: before it, the broker keeps no session to queue messages in."""
        deadline = time.monotonic() + timeout
        while "subscribed to" not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not subscribe:\n{self.output()}")
            time.sleep(0.1)

    def kill(self) -> None:
        """kill -9: no goodbye, nothing flushed, whatever it held unacknowledged comes again."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""


@pytest.fixture
def ingestion_worker(mqtt_broker, tmp_path):
    """An unstarted worker subprocess for this test's broker and database (stopped at the end)."""
    worker = WorkerProcess(mqtt_broker, tmp_path / "worker.log")
    yield worker
    worker.stop()
