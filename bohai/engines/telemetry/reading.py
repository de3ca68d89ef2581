"""Reading the store: chart queries with a point budget, latest values, retention, exports."""
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone as dt_timezone

from django.db import connection

from .records import BUCKET_SECONDS, QueryResult, bucket_start
from .writing import ROLLUP_TABLES, from_epoch_microseconds, postgres_microseconds, sqlite_time

UTC = dt_timezone.utc
SQLITE_IDS = 10_000  # ids per IN list on SQLite
EXPORT_CHUNK = 5_000


def query(series_id: int, start: datetime, end: datetime, budget: int) -> QueryResult:
    """The finest resolution whose points in the range fit the budget. The hour rollups of the range (a few
    hundred rows at most, read first) bound how many readings and minute buckets it holds, so raw readings and
    minute buckets are counted only where those bounds cannot tell: a cold store reads little more than the rows
    it answers with."""
    hours = _rollup("hour", series_id, _bucket_floor(start, "hour"), end, limit=budget + 1)
    if _raw_fits(series_id, start, end, budget, hours):
        return QueryResult("raw", [(ts, value, value, value, 1) for ts, value in _raw(series_id, start, end)])
    if _minutes_fit(series_id, start, end, budget, hours):
        return QueryResult("minute", _rollup("minute", series_id, _bucket_floor(start, "minute"), end))
    if len(hours) <= budget:
        return QueryResult("hour", hours)
    first = _bucket_floor(start, "day")
    days = _rollup("day", series_id, first, end)
    if len(days) > budget:
        days = _merge(days, first, end, BUCKET_SECONDS["day"], budget)
    return QueryResult("day", days)


def _raw_fits(series_id: int, start: datetime, end: datetime, budget: int, hours: list[tuple]) -> bool:
    """Whether the raw readings of the whole minutes the range touches fit the budget and are all there (none of
    the range lies before the series' retention horizon, see `purge_raw`). The hours' counts bound the readings
    from above (every hour the range touches) and below (the hours wholly inside it); only between the two are
    they counted, an index range of at most budget + 1 entries."""
    if len(hours) > budget:
        return False
    first, last = _bucket_floor(start, "minute"), _bucket_floor(end, "minute")
    if last < end:
        last += timedelta(minutes=1)
    hour = timedelta(hours=1)
    if sum(count for bucket, *_values, count in hours if bucket >= first and bucket + hour <= last) > budget:
        return False
    if sum(count for *_values, count in hours) > budget and \
            _count_at_most("telemetry_reading", "ts", series_id, first, last, budget + 1) > budget:
        return False
    purged_before = _raw_horizon(series_id)
    return purged_before is None or purged_before <= first


def _minutes_fit(series_id: int, start: datetime, end: datetime, budget: int, hours: list[tuple]) -> bool:
    """Whether the minute buckets of the range fit: certainly when the range spans no more minutes than the budget
    or its hours hold no more than that many readings (at most 60 buckets each); otherwise counted."""
    first = _bucket_floor(start, "minute")
    if -(-int((end - first).total_seconds()) // BUCKET_SECONDS["minute"]) <= budget:
        return True
    if len(hours) > budget:
        return False
    if sum(min(60, count) for *_values, count in hours) <= budget:
        return True
    return _count_at_most(ROLLUP_TABLES["minute"], "bucket", series_id, first, end, budget + 1) <= budget


def _raw_horizon(series_id: int) -> datetime | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_time('raw_purged_before')} FROM telemetry_series WHERE id = %s", [series_id])
        row = cursor.fetchone()
    return None if row is None or row[0] is None else _time_parser()(row[0])


def _count_at_most(table: str, column: str, series_id: int, start: datetime, end: datetime, limit: int) -> int:
    """How many rows of the series lie in [start, end), counting no further than `limit` (an index range of
    at most `limit` entries, whatever the range's size)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE series_id = %s AND {column} >= %s "
                       f"AND {column} < %s LIMIT %s) AS bounded",
                       [series_id, _database_time(start), _database_time(end), limit])
        return cursor.fetchone()[0]


def _raw(series_id: int, start: datetime, end: datetime) -> list[tuple[datetime, float]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_time('ts')}, value FROM telemetry_reading WHERE series_id = %s AND ts >= %s "
                       "AND ts < %s ORDER BY ts", [series_id, _database_time(start), _database_time(end)])
        rows = cursor.fetchall()
    parse = _time_parser()
    return [(parse(ts), value) for ts, value in rows]


def _rollup(resolution: str, series_id: int, start: datetime, end: datetime, limit: int | None = None) -> list[tuple]:
    """(bucket start, average, min, max, count) of the buckets in [start, end), in time order (the first `limit`)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_time('bucket')}, sum, min, max, count FROM {ROLLUP_TABLES[resolution]} "
                       "WHERE series_id = %s AND bucket >= %s AND bucket < %s ORDER BY bucket"
                       + (" LIMIT %s" if limit else ""),
                       [series_id, _database_time(start), _database_time(end)] + ([limit] if limit else []))
        rows = cursor.fetchall()
    parse = _time_parser()
    return [(parse(bucket), total / count, low, high, count) for bucket, total, low, high, count in rows]


def _merge(points: list[tuple], first: datetime, end: datetime, size: int, budget: int) -> list[tuple]:
    """Merge consecutive buckets of `size` seconds into equal wider buckets, at most `budget` of them."""
    origin = first.timestamp()
    buckets_in_range = -(-(end.timestamp() - origin) // size)
    width = size * int(-(-buckets_in_range // budget))
    merged: dict[int, list] = {}
    for bucket, average, low, high, count in points:
        index = int((bucket.timestamp() - origin) // width)
        aggregate = merged.get(index)
        if aggregate is None:
            merged[index] = [average * count, low, high, count]
            continue
        aggregate[0] += average * count
        aggregate[1] = min(aggregate[1], low)
        aggregate[2] = max(aggregate[2], high)
        aggregate[3] += count
    return [(datetime.fromtimestamp(origin + index * width, UTC), total / count, low, high, count)
            for index, (total, low, high, count) in sorted(merged.items())]


def latest(series_ids: list[int]) -> dict[int, tuple[datetime, float]]:
    found = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT series_id, {_time('ts')}, value FROM telemetry_latest "
                           "WHERE series_id = ANY(%s::bigint[])", [_id_array(series_ids)])
            return {series_id: (from_epoch_microseconds(ts), value) for series_id, ts, value in cursor.fetchall()}
        for chunk in _chunks(series_ids, SQLITE_IDS):
            cursor.execute(f"SELECT series_id, {_time('ts')}, value FROM telemetry_latest WHERE series_id IN "
                           f"({','.join(['%s'] * len(chunk))})", chunk)
            found.update((series_id, (_parse_time(ts), value)) for series_id, ts, value in cursor.fetchall())
    return found


def previous(bounds: dict[int, datetime]) -> dict[int, tuple[datetime, float]]:
    """The newest raw reading of each series strictly before its bound: one backward step down the key each."""
    if not bounds:
        return {}
    parse = _time_parser()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ids = list(bounds)
            cursor.execute(
                f"SELECT bound.series_id, {_time('reading.ts')}, reading.value "
                "FROM unnest(%s::bigint[], %s::timestamptz[]) AS bound(series_id, before) CROSS JOIN LATERAL "
                "(SELECT ts, value FROM telemetry_reading WHERE series_id = bound.series_id AND ts < bound.before "
                "ORDER BY ts DESC LIMIT 1) AS reading", [_id_array(ids), [bounds[series_id] for series_id in ids]])
            return {series_id: (parse(ts), value) for series_id, ts, value in cursor.fetchall()}
        found = {}
        for series_id, bound in bounds.items():
            cursor.execute(f"SELECT {_time('ts')}, value FROM telemetry_reading WHERE series_id = %s AND ts < %s "
                           "ORDER BY ts DESC LIMIT 1", [series_id, sqlite_time(bound)])
            row = cursor.fetchone()
            if row is not None:
                found[series_id] = (parse(row[0]), row[1])
        return found


def purge_raw(series_ids: list[int], before: datetime) -> int:
    deleted = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DELETE FROM telemetry_reading WHERE series_id = ANY(%s::bigint[]) AND ts < %s",
                           [_id_array(series_ids), before])
            deleted = cursor.rowcount
            cursor.execute("UPDATE telemetry_series SET raw_purged_before = %s WHERE id = ANY(%s::bigint[]) AND "
                           "(raw_purged_before IS NULL OR raw_purged_before < %s)", [before, _id_array(series_ids), before])
            return deleted
        for chunk in _chunks(series_ids, SQLITE_IDS):
            among = f"IN ({','.join(['%s'] * len(chunk))})"
            cursor.execute(f"DELETE FROM telemetry_reading WHERE series_id {among} AND ts < %s", [*chunk, sqlite_time(before)])
            deleted += cursor.rowcount
            cursor.execute(f"UPDATE telemetry_series SET raw_purged_before = %s WHERE id {among} AND "
                           "(raw_purged_before IS NULL OR raw_purged_before < %s)",
                           [sqlite_time(before), *chunk, sqlite_time(before)])
    return deleted


def export_rows(series_ids: list[int], start: datetime, end: datetime, resolution: str) -> Iterator[tuple]:
    if resolution == "raw":
        table, columns, first = "telemetry_reading", f"series_id, {_time('ts')}, value", start
    elif resolution in ROLLUP_TABLES:
        table, columns = ROLLUP_TABLES[resolution], f"series_id, {_time('bucket')}, sum / count, min, max, count"
        first = _bucket_floor(start, resolution)
    else:
        raise ValueError(f"unknown resolution {resolution!r}")
    time_column = "ts" if resolution == "raw" else "bucket"
    postgres = connection.vendor == "postgresql"
    parse = _time_parser()
    for chunk in ([series_ids] if postgres else _chunks(series_ids, SQLITE_IDS)):
        ids = "= ANY(%s::bigint[])" if postgres else f"IN ({','.join(['%s'] * len(chunk))})"
        parameters = [_id_array(chunk)] if postgres else list(chunk)
        with connection.chunked_cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM {table} WHERE series_id {ids} AND {time_column} >= %s "
                           f"AND {time_column} < %s ORDER BY series_id, {time_column}",
                           [*parameters, _database_time(first), _database_time(end)])
            while rows := cursor.fetchmany(EXPORT_CHUNK):
                for row in rows:
                    yield (row[0], parse(row[1]), *row[2:])


def _bucket_floor(moment: datetime, resolution: str) -> datetime:
    return datetime.fromtimestamp(bucket_start(moment.timestamp(), resolution), UTC)


def _time(column: str) -> str:
    """A time column as selected: integer microseconds on PostgreSQL (see writing.postgres_microseconds), text
    on SQLite (`|| ''` escapes Django's per-row converter; fromisoformat is quicker)."""
    return postgres_microseconds(column) if connection.vendor == "postgresql" else f"{column} || ''"


def _time_parser():
    return from_epoch_microseconds if connection.vendor == "postgresql" else _parse_time


def _database_time(moment: datetime):
    return moment if connection.vendor == "postgresql" else sqlite_time(moment)


def _parse_time(stored) -> datetime:
    """SQLite gives Django's naive UTC datetime for a datetime column, text for an expression."""
    if isinstance(stored, str):
        stored = datetime.fromisoformat(stored)
    return stored.replace(tzinfo=UTC)


def _id_array(ids: list[int]) -> str:
    """A PostgreSQL array literal: one short string to quote instead of an ARRAY[...] of 10,000 adapted ints."""
    return "{" + ",".join(str(int(series_id)) for series_id in ids) + "}"


def _chunks(values: list, size: int):
    for first in range(0, len(values), size):
        yield values[first:first + size]
