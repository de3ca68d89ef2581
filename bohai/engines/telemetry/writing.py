"""Storing a batch of readings and keeping the rollups and latest values in step, per database.

PostgreSQL: the batch is copied (binary COPY) into a temporary staging table, then one statement
inserts it into the raw table with ON CONFLICT DO NOTHING and, from the rows that INSERT returns
(only the new ones), upserts the minute, hour and day rollups and the latest values; the rows come
back so the caller knows exactly what was stored. Rows are inserted in (series, time) order, so two
writers of overlapping batches take their locks in the same order and cannot deadlock.

SQLite: one multi-row INSERT … ON CONFLICT DO NOTHING RETURNING per chunk, the new rows aggregated
in Python into rollups, then one executemany upsert per resolution and one for the latest values.
"""
from datetime import datetime, timedelta, timezone as dt_timezone
from functools import lru_cache

from django.db import connection

from .records import DAY, DAY_OFFSET, HOUR, MINUTE, Point

UTC = dt_timezone.utc
SQLITE_CHUNK = 8000  # 3 parameters a row, under SQLite's 32,766
ROLLUP_TABLES = {"minute": "telemetry_minute", "hour": "telemetry_hour", "day": "telemetry_day"}


def store_batch(points: list[Point]) -> list[Point]:
    """Store de-duplicated, aware points inside the caller's transaction; the points newly stored."""
    if connection.vendor == "postgresql":
        return _store_postgres(points)
    return _store_sqlite(points)


# PostgreSQL ------------------------------------------------------------------------------------

CREATE_STAGING = ("CREATE TEMPORARY TABLE IF NOT EXISTS telemetry_staging "
                  "(series_id bigint, ts timestamptz, value double precision) ON COMMIT DELETE ROWS")
COPY_STAGING = "COPY pg_temp.telemetry_staging (series_id, ts, value) FROM STDIN (FORMAT BINARY)"


def _rollup_upsert(table: str, bucket_expression: str) -> str:
    return f"""
    INSERT INTO {table} (series_id, bucket, count, sum, min, max)
    SELECT series_id, {bucket_expression}, sum(n), sum(total), min(low), max(high)
    FROM minutes GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (series_id, bucket) DO UPDATE SET
        count = {table}.count + excluded.count, sum = {table}.sum + excluded.sum,
        min = LEAST({table}.min, excluded.min), max = GREATEST({table}.max, excluded.max)"""


# date_bin, not date_trunc: independent of the session's time zone, and days start at Beijing midnight.
STORE_FROM_STAGING = f"""
WITH stored AS (
    INSERT INTO telemetry_reading (series_id, ts, value)
    SELECT series_id, ts, value FROM pg_temp.telemetry_staging ORDER BY series_id, ts
    ON CONFLICT DO NOTHING
    RETURNING series_id, ts, value
), minutes AS (
    SELECT series_id, date_bin('1 minute', ts, timestamptz '2000-01-01 00:00+00') AS bucket, count(*) AS n, sum(value) AS total,
           min(value) AS low, max(value) AS high
    FROM stored GROUP BY 1, 2
), minute_rollup AS ({_rollup_upsert("telemetry_minute", "bucket")}
), hour_rollup AS ({_rollup_upsert("telemetry_hour", "date_bin('1 hour', bucket, timestamptz '2000-01-01 00:00+00')")}
), day_rollup AS ({_rollup_upsert("telemetry_day", "date_bin('1 day', bucket, timestamptz '2000-01-01 00:00+08')")}
), newest AS (
    INSERT INTO telemetry_latest (series_id, ts, value)
    SELECT DISTINCT ON (series_id) series_id, ts, value FROM stored ORDER BY series_id, ts DESC
    ON CONFLICT (series_id) DO UPDATE SET ts = excluded.ts, value = excluded.value
    WHERE telemetry_latest.ts < excluded.ts
), emptied AS (
    DELETE FROM pg_temp.telemetry_staging
)
SELECT series_id, (extract(epoch FROM ts) * 1000000)::bigint FROM stored
"""


def _store_postgres(points: list[Point]) -> list[Point]:
    with connection.cursor() as cursor:
        cursor.execute(CREATE_STAGING)
        with cursor.cursor.copy(COPY_STAGING) as copy:
            copy.set_types(["int8", "timestamptz", "float8"])
            for point in points:
                copy.write_row((point.series_id, point.ts, point.value))
        cursor.execute(STORE_FROM_STAGING)
        returned = cursor.fetchall()
    if len(returned) == len(points):
        return points
    stored = set(returned)
    return [point for point in points if (point.series_id, epoch_microseconds(point.ts)) in stored]


# Times come back from PostgreSQL as integer microseconds: psycopg's timestamptz loader that Django installs
# runs in Python and cost more than the whole insert for a batch of a few thousand rows.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)


def epoch_microseconds(moment: datetime) -> int:
    return (moment - EPOCH) // ONE_MICROSECOND


def from_epoch_microseconds(microseconds: int) -> datetime:
    return EPOCH + timedelta(microseconds=microseconds)


def postgres_microseconds(column: str) -> str:
    return f"(extract(epoch FROM {column}) * 1000000)::bigint"


# SQLite ----------------------------------------------------------------------------------------

def sqlite_time(moment: datetime) -> str:
    """The text Django stores for an aware datetime on SQLite: naive UTC, microseconds only when set."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return str(moment.replace(tzinfo=None))


@lru_cache(maxsize=8)
def _sqlite_insert(rows: int) -> str:
    values = ",".join(["(?,?,?)"] * rows)
    return (f"INSERT INTO telemetry_reading (series_id, ts, value) VALUES {values} "
            "ON CONFLICT DO NOTHING RETURNING series_id, ts || ''")  # || '': text, not Django's converted datetime


def _sqlite_rollup_upsert(table: str) -> str:
    return (f"INSERT INTO {table} (series_id, bucket, count, sum, min, max) VALUES (?,?,?,?,?,?) "
            f"ON CONFLICT (series_id, bucket) DO UPDATE SET count = count + excluded.count, "
            f"sum = sum + excluded.sum, min = min(min, excluded.min), max = max(max, excluded.max)")


SQLITE_LATEST_UPSERT = ("INSERT INTO telemetry_latest (series_id, ts, value) VALUES (?,?,?) "
                        "ON CONFLICT (series_id) DO UPDATE SET ts = excluded.ts, value = excluded.value "
                        "WHERE excluded.ts > telemetry_latest.ts")


def _store_sqlite(points: list[Point]) -> list[Point]:
    connection.ensure_connection()
    database = connection.connection
    texts = [sqlite_time(point.ts) for point in points]
    returned = []
    for first in range(0, len(points), SQLITE_CHUNK):
        chunk = points[first:first + SQLITE_CHUNK]
        parameters = []
        for point, text in zip(chunk, texts[first:first + SQLITE_CHUNK]):
            parameters += (point.series_id, text, point.value)
        returned += database.execute(_sqlite_insert(len(chunk)), parameters).fetchall()
    if len(returned) == len(points):
        stored, stored_texts = points, texts
    else:
        new = set(returned)
        kept = [(point, text) for point, text in zip(points, texts) if (point.series_id, text) in new]
        stored, stored_texts = [pair[0] for pair in kept], [pair[1] for pair in kept]
    if stored:
        _update_rollups_sqlite(database, stored)
        _update_latest_sqlite(database, stored, stored_texts)
    return stored


def _update_rollups_sqlite(database, stored: list[Point]) -> None:
    minutes: dict[tuple[int, int], list] = {}
    for point in stored:
        value = point.value
        key = (point.series_id, int(point.ts.timestamp() // MINUTE) * MINUTE)
        aggregate = minutes.get(key)
        if aggregate is None:
            minutes[key] = [1, value, value, value]
            continue
        aggregate[0] += 1
        aggregate[1] += value
        if value < aggregate[2]:
            aggregate[2] = value
        if value > aggregate[3]:
            aggregate[3] = value
    hours = _coarser(minutes, lambda start: start - start % HOUR)
    days = _coarser(hours, lambda start: start - (start + DAY_OFFSET) % DAY)
    texts: dict[int, str] = {}
    for resolution, aggregates in (("minute", minutes), ("hour", hours), ("day", days)):
        rows = []
        for (series_id, start), (count, total, low, high) in aggregates.items():
            text = texts.get(start)
            if text is None:
                text = texts[start] = str(datetime.fromtimestamp(start, UTC).replace(tzinfo=None))
            rows.append((series_id, text, count, total, low, high))
        database.executemany(_sqlite_rollup_upsert(ROLLUP_TABLES[resolution]), rows)


def _coarser(aggregates: dict, bucket_of) -> dict:
    merged: dict[tuple[int, int], list] = {}
    for (series_id, start), (count, total, low, high) in aggregates.items():
        key = (series_id, bucket_of(start))
        aggregate = merged.get(key)
        if aggregate is None:
            merged[key] = [count, total, low, high]
            continue
        aggregate[0] += count
        aggregate[1] += total
        if low < aggregate[2]:
            aggregate[2] = low
        if high > aggregate[3]:
            aggregate[3] = high
    return merged


def _update_latest_sqlite(database, stored: list[Point], texts: list[str]) -> None:
    newest: dict[int, tuple] = {}
    for point, text in zip(stored, texts):
        known = newest.get(point.series_id)
        if known is None or point.ts > known[0]:
            newest[point.series_id] = (point.ts, text, point.value)
    database.executemany(SQLITE_LATEST_UPSERT, [(series_id, text, value)
                                                for series_id, (_, text, value) in newest.items()])
