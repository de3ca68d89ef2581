"""What only PostgreSQL has: monthly partitions with a BRIN index, and writers on several connections."""
import threading
from datetime import datetime, timedelta, timezone

import pytest
from django.db import connection, connections
from django.utils import timezone as django_timezone

from bohai.engines.telemetry import store
from bohai.engines.telemetry.jobs import create_upcoming_partitions
from bohai.engines.telemetry.models import HourRollup, MinuteRollup, Reading
from bohai.engines.telemetry.partitions import ensure_partitions, existing_partitions, month_start, next_month, partition_name
from bohai.engines.telemetry.store import Point

pytestmark = pytest.mark.postgres


def partition_of(series_id: int, ts: datetime) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM telemetry_reading WHERE series_id = %s AND ts = %s",
                       [series_id, ts])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_the_migration_partitions_the_raw_table_by_month_with_a_brin_index_on_time():
    month = month_start(django_timezone.now())
    names = set(existing_partitions())
    assert "telemetry_reading_default" in names
    for _ in range(4):
        assert partition_name(month) in names
        month = next_month(month)
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'telemetry_reading' AND indexdef LIKE '%%brin%%'")
        assert cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_a_raw_chart_reads_the_key_alone_on_every_partition():
    """Live readings lie one per heap page per series: a chart must not fetch the heap for each (see 0005)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname, i.indnatts - i.indnkeyatts FROM pg_index i "
                       "JOIN pg_class c ON c.oid = i.indrelid WHERE i.indisprimary "
                       "AND (c.relname = 'telemetry_reading' OR c.relname LIKE 'telemetry_reading\\_%%')")
        included = dict(cursor.fetchall())
    assert set(included) == {"telemetry_reading", *existing_partitions()}
    assert set(included.values()) == {1}, included

    series = store.series_ids(1, ["flow"])["flow"]
    start = month_start(django_timezone.now())
    store.write([Point(series, start + timedelta(minutes=i), float(i)) for i in range(300)])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE telemetry_reading")
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_bitmapscan = off")
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) SELECT ts, value FROM telemetry_reading WHERE series_id = %s "
                       "AND ts >= %s AND ts < %s ORDER BY ts", [series, start, start + timedelta(hours=2)])
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET ALL")
    assert "Index Only Scan" in plan and "Heap Fetches: 0" in plan, plan


@pytest.mark.django_db
def test_a_month_created_after_its_readings_arrived_takes_them_over_from_the_default_partition():
    series = store.series_ids(1, ["flow"])["flow"]
    old = datetime(2019, 5, 17, 3, tzinfo=timezone.utc)
    store.write([Point(series, old, 1.5), Point(series, old + timedelta(days=20), 2.5)])
    assert partition_of(series, old) == "telemetry_reading_default"

    assert ensure_partitions(old, old + timedelta(days=1)) == ["telemetry_reading_201905"]
    assert partition_of(series, old) == "telemetry_reading_201905"
    assert partition_of(series, old + timedelta(days=20)) == "telemetry_reading_default"  # June: no partition yet
    assert ensure_partitions(old, old + timedelta(days=1)) == []
    assert store.write([Point(series, old, 9.0)]).duplicates == 1
    assert store.query(series, old, old + timedelta(hours=1)).points == [(old, 1.5, 1.5, 1.5, 1)]


@pytest.mark.django_db
def test_the_partitions_job_creates_nothing_twice():
    assert create_upcoming_partitions() == {"created": []}


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_of_the_same_points_store_them_once():
    series = list(store.series_ids(2, [f"m{i}" for i in range(20)]).values())
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    points = [Point(s, start + timedelta(seconds=7 * i), float(i)) for s in series for i in range(300)]
    orders = [points, points[::-1], points[1000:] + points[:1000]]
    outcomes, failures = [], []
    barrier = threading.Barrier(len(orders))

    def writer(batch):
        try:
            barrier.wait()
            for first in range(0, len(batch), 1500):
                outcomes.append(store.write(batch[first:first + 1500]))
        except Exception as error:  # noqa: BLE001 - reported to the test below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sum(outcome.stored for outcome in outcomes) == len(points) == Reading.objects.count()
    assert sum(outcome.duplicates for outcome in outcomes) == 2 * len(points)
    stored_keys = [(p.series_id, p.ts) for outcome in outcomes for p in outcome.stored_points]
    assert len(set(stored_keys)) == len(stored_keys) == len(points)
    assert sum(MinuteRollup.objects.values_list("count", flat=True)) == len(points)
    assert sum(HourRollup.objects.values_list("count", flat=True)) == len(points)
