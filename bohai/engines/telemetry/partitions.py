"""Monthly partitions of the raw table on PostgreSQL (SQLite has one plain table).

The raw table is `PARTITION BY RANGE (ts)` with one partition per calendar month (UTC) and a
default partition for readings outside every month created so far. Months are created ahead by
the periodic job `telemetry.partitions`; a month whose readings already landed in the default
partition is created empty, filled from the default and only then attached, because PostgreSQL
refuses to attach a range the default partition already holds rows of.

The primary key carries the value (INCLUDE): live readings arrive time after time for every series, so
the heap holds a series' readings one per page, and a chart read from the key alone (an index-only scan)
touches a few pages where a heap fetch per reading touched hundreds.
"""
from datetime import datetime, timezone as dt_timezone

from django.db import connection, transaction

RAW_TABLE = "telemetry_reading"
DEFAULT_PARTITION = "telemetry_reading_default"
MONTHS_AHEAD = 3

CREATE_PARTITIONED_TABLE = f"""
CREATE TABLE {RAW_TABLE} (
    series_id bigint NOT NULL,
    ts timestamptz NOT NULL,
    value double precision NOT NULL,
    CONSTRAINT telemetry_reading_pkey PRIMARY KEY (series_id, ts) INCLUDE (value)
) PARTITION BY RANGE (ts);
CREATE TABLE {DEFAULT_PARTITION} PARTITION OF {RAW_TABLE} DEFAULT;
CREATE INDEX telemetry_reading_ts_brin ON {RAW_TABLE} USING brin (ts);
"""


def month_start(moment: datetime) -> datetime:
    moment = moment.astimezone(dt_timezone.utc)
    return datetime(moment.year, moment.month, 1, tzinfo=dt_timezone.utc)


def next_month(start: datetime) -> datetime:
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def partition_name(start: datetime) -> str:
    return f"{RAW_TABLE}_{start:%Y%m}"


def existing_partitions() -> list[str]:
    """Names of the raw table's partitions (PostgreSQL), the default one included."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT child.relname FROM pg_inherits JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
            "WHERE pg_inherits.inhparent = %s::regclass ORDER BY child.relname", [RAW_TABLE])
        return [row[0] for row in cursor.fetchall()]


def ensure_partitions(start: datetime, end: datetime) -> list[str]:
    """Create the monthly partitions covering [start, end) that are missing; the names created (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return []
    known = set(existing_partitions())
    created = []
    month = month_start(start)
    while month < end:
        name = partition_name(month)
        if name not in known:
            _create_month(name, month, next_month(month))
            created.append(name)
        month = next_month(month)
    return created


def ensure_upcoming_partitions(now: datetime, months_ahead: int = MONTHS_AHEAD) -> list[str]:
    """This month and the next `months_ahead` ones."""
    end = month_start(now)
    for _ in range(months_ahead + 1):
        end = next_month(end)
    return ensure_partitions(now, end)


def _create_month(name: str, start: datetime, end: datetime) -> None:
    bounds = [start, end]
    with transaction.atomic(), connection.cursor() as cursor:
        # Serialise with writers of this range for the few statements below.
        cursor.execute(f"LOCK TABLE {DEFAULT_PARTITION} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION} WHERE ts >= %s AND ts < %s)", bounds)
        if not cursor.fetchone()[0]:
            cursor.execute(f"CREATE TABLE {name} PARTITION OF {RAW_TABLE} FOR VALUES FROM (%s) TO (%s)", bounds)
            return
        cursor.execute(f"CREATE TABLE {name} (LIKE {RAW_TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cursor.execute(f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE ts >= %s AND ts < %s RETURNING *) "
                       f"INSERT INTO {name} SELECT * FROM moved", bounds)
        cursor.execute(f"ALTER TABLE {RAW_TABLE} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", bounds)
