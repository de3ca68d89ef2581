"""Accepted data is never lost nor stored twice: the worker killed, the broker restarted, the database gone
or restarted, each in the middle of a stream. The worker runs as a subprocess (`bohai iot_worker`), as in
production.

Run on SQLite (`pytest`) and on PostgreSQL (`BOHAI_DATABASE_URL=postgres://… pytest`).
"""
import sqlite3
import threading
import time

import psycopg
import pytest
from django.db import connection

from bohai.iot.models import Rejection
from bohai.iot.tests.mqtt_streams import DeviceStream, assert_stored_exactly_once, stored_points, wait_for
from bohai.testing.mqtt import WorkerProcess
from bohai.testing.postgres_cluster import private_postgres  # noqa: F401 — a fixture

pytestmark = [pytest.mark.mqtt, pytest.mark.django_db(transaction=True)]

DEVICES = 8
MESSAGES = 150


def start_stream(mqtt_broker, mqtt_devices, ingestion_worker) -> DeviceStream:
    ingestion_worker.start()
    ingestion_worker.wait_subscribed()
    stream = DeviceStream(mqtt_broker, mqtt_devices(DEVICES), messages=MESSAGES)
    stream.start()
    return stream


def wait_until_mid_stream(stream: DeviceStream, ingestion_worker) -> int:
    share = stream.expected_points // 5
    assert wait_for(lambda: stored_points(stream.devices) >= share, 60), ingestion_worker.output()
    stored = stored_points(stream.devices)
    assert stored < stream.expected_points, "the stream ended before the failure: nothing was tested"
    return stored


def test_every_reading_is_stored_exactly_once_across_a_worker_kill(mqtt_broker, mqtt_devices, ingestion_worker):
    stream = start_stream(mqtt_broker, mqtt_devices, ingestion_worker)
    wait_until_mid_stream(stream, ingestion_worker)

    ingestion_worker.kill()  # SIGKILL: batches in hand, stored or not, are unacknowledged
    at_kill = stored_points(stream.devices)
    time.sleep(1.0)  # the stream goes on; the broker queues it in the worker's session
    assert stored_points(stream.devices) == at_kill
    ingestion_worker.start()

    assert_stored_exactly_once(stream, diagnostics=ingestion_worker.output)
    assert not Rejection.objects.exists()


def test_every_reading_is_stored_exactly_once_across_a_broker_restart(mqtt_broker, mqtt_devices, ingestion_worker):
    stream = start_stream(mqtt_broker, mqtt_devices, ingestion_worker)
    wait_until_mid_stream(stream, ingestion_worker)

    # The broker saves its sessions on the way down: the worker's queue, and messages out to it unacknowledged;
    # the publishers keep what it had not acknowledged to them and send it again once it is back.
    mqtt_broker.restart(pause=1.0)

    assert_stored_exactly_once(stream, diagnostics=ingestion_worker.output)
    assert "session present: True" in ingestion_worker.output() or "disconnected" in ingestion_worker.output()
    assert not Rejection.objects.exists()


def test_every_reading_is_stored_exactly_once_across_a_database_outage(mqtt_broker, mqtt_devices, ingestion_worker):
    """On PostgreSQL the test database refuses connections for a few seconds and every backend serving it is
    terminated (`pg_terminate_backend`); the real restart is the next test's, on a server of its own.
    On SQLite another connection holds the write lock longer than the worker's busy timeout (20 s), so the
    worker's batch fails with "database is locked" and must be retried."""
    stream = start_stream(mqtt_broker, mqtt_devices, ingestion_worker)
    wait_until_mid_stream(stream, ingestion_worker)

    if connection.vendor == "postgresql":
        outage = threading.Thread(target=postgres_outage, args=(4.0, own_backend()))
    else:
        outage = threading.Thread(target=sqlite_write_lock, args=(21.0,))
    outage.start()
    outage.join()

    assert_stored_exactly_once(stream, diagnostics=ingestion_worker.output)
    assert "database unavailable" in ingestion_worker.output()
    assert not Rejection.objects.exists()


def own_backend() -> int:
    """The test's own connection, spared so that it can watch the worker catch up."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def postgres_outage(seconds: float, own_backend: int) -> None:
    name = connection.settings_dict["NAME"]
    settings = connection.settings_dict
    admin_url = f"postgres://{settings['USER'] or 'postgres'}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = %s AND pid <> %s", [name, own_backend])
                time.sleep(0.5)
        finally:
            admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')


def sqlite_write_lock(seconds: float) -> None:
    holder = sqlite3.connect(connection.settings_dict["NAME"], timeout=30, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        time.sleep(seconds)
        holder.execute("ROLLBACK")
    finally:
        holder.close()


@pytest.mark.postgres
def test_every_reading_is_stored_exactly_once_across_a_database_restart(mqtt_broker, mqtt_devices, private_postgres,
                                                                         tmp_path):
    """A real restart, crash-like: the worker writes to a copy of the test database on a PostgreSQL server of the
    test's own, which is stopped in immediate mode (every backend killed, nothing flushed) mid-stream and
    started again after two seconds, replaying its write-ahead log. Committed batches must survive it and the
    batch in flight must be retried, not lost and not doubled."""
    devices = mqtt_devices(DEVICES)
    copy = StoredInCopy(private_postgres.copy_of_test_database(), devices)
    worker = WorkerProcess(mqtt_broker, tmp_path / "worker.log", database_url=copy.url)
    worker.start()
    try:
        worker.wait_subscribed()
        stream = DeviceStream(mqtt_broker, devices, messages=MESSAGES)
        stream.start()
        assert wait_for(lambda: copy.points() >= stream.expected_points // 5, 60), worker.output()
        assert copy.points() < stream.expected_points, "the stream ended before the restart: nothing was tested"

        private_postgres.restart(pause=2.0)

        stream.join(120)
        assert stream.error is None, stream.error
        assert wait_for(lambda: copy.points() >= stream.expected_points, 120), (
            f"{copy.points()} of {stream.expected_points} readings stored\n{worker.output()}")
        time.sleep(1.0)  # late redeliveries, if any, would land now
        assert copy.points() == stream.expected_points
        assert copy.rolled_up_points() == stream.expected_points
        assert copy.values_match(stream)
        assert "database unavailable" in worker.output()
    finally:
        worker.stop()


class StoredInCopy:
    """What the worker stored of the stream in the private server's copy (read with plain SQL: Django's
    connection is to the test database)."""

    def __init__(self, url: str, devices):
        self.url, self.sources = url, [device.pk for device, _ in devices]

    def points(self) -> int:
        return self._scalar("SELECT count(*) FROM telemetry_reading r JOIN telemetry_series s ON s.id = r.series_id "
                            "WHERE s.source_id = ANY(%s)")

    def rolled_up_points(self) -> int:
        return self._scalar("SELECT coalesce(sum(m.count), 0) FROM telemetry_minute m "
                            "JOIN telemetry_series s ON s.id = m.series_id WHERE s.source_id = ANY(%s)")

    def values_match(self, stream: DeviceStream) -> bool:
        with psycopg.connect(self.url) as database:
            rows = database.execute("SELECT s.metric, r.ts, r.value FROM telemetry_reading r JOIN telemetry_series s "
                                    "ON s.id = r.series_id WHERE s.source_id = ANY(%s)", [self.sources]).fetchall()
        for metric, ts, value in rows:
            number = round((ts - stream.start_at).total_seconds() / 60)
            if value != {"a": number, "b": number + 0.5, "c": -number}[metric]:
                return False
        return bool(rows)

    def _scalar(self, sql: str) -> int:
        try:
            with psycopg.connect(self.url, connect_timeout=2) as database:
                return database.execute(sql, [self.sources]).fetchone()[0]
        except psycopg.OperationalError:  # the server is restarting
            return -1
