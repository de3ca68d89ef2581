"""The telemetry store: what the IoT platform writes every accepted reading into, and reads charts from.

Design. A reading is (series, time, value); a series is one metric of one source (`series_ids`).
Raw readings live in `telemetry_reading`, keyed by (series_id, ts) with no surrogate id, so storing
is idempotent: `write` inserts a batch with ON CONFLICT DO NOTHING and learns from RETURNING which
points are new. Only those update, in the same transaction, the rollups per minute, hour and
(Beijing) day (count, sum, min, max, upserted by adding) and the latest value per series (moved only
forward in time). On PostgreSQL the raw table is range-partitioned by month with a BRIN index on ts
(`partitions.py`, job `telemetry.partitions`) and a batch arrives by binary COPY into a staging table
followed by one statement doing all of the above (`writing.py`); on SQLite a multi-row INSERT …
RETURNING and executemany upserts. `query` answers a chart with at most `budget` points: raw when
they fit, else the finest rollup that fits, merged into equal buckets when even days do not
(`reading.py`). `purge_raw` deletes raw rows only: charts of old periods keep their rollups.
"""
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import reading
from .models import Series
from .records import Point, QueryResult, WriteOutcome
from .writing import store_batch

__all__ = ["Point", "WriteOutcome", "QueryResult", "series_ids", "write", "query", "latest", "purge_raw",
           "export_rows", "forget_cached_series"]

METRIC_LENGTH = 40
_series_cache: dict[tuple[int, str], int] = {}


def series_ids(source_id: int, metrics: Iterable[str]) -> dict[str, int]:
    """Ids of the series (source_id, metric), created when missing; cached per process once committed."""
    wanted = list(dict.fromkeys(metrics))
    found = {metric: _series_cache[(source_id, metric)] for metric in wanted if (source_id, metric) in _series_cache}
    missing = [metric for metric in wanted if metric not in found]
    if not missing:
        return found
    too_long = [metric for metric in missing if not metric or len(metric) > METRIC_LENGTH]
    if too_long:
        raise ValidationError({"metric": [_("指标名称须为 1 至 %(limit)s 个字符：%(metric)s")
                                          % {"limit": METRIC_LENGTH, "metric": too_long[0]}]})
    Series.objects.bulk_create([Series(source_id=source_id, metric=metric) for metric in missing],
                               ignore_conflicts=True)
    fetched = dict(Series.objects.filter(source_id=source_id, metric__in=missing).values_list("metric", "id"))
    # Remembered only once committed: an id from a transaction that rolls back must not outlive it.
    transaction.on_commit(lambda: _series_cache.update({(source_id, m): i for m, i in fetched.items()}))
    return found | fetched


def forget_cached_series() -> None:
    """Empty this process's series cache (after the tables were emptied, as between tests)."""
    _series_cache.clear()


def write(points: Sequence[Point]) -> WriteOutcome:
    """Store a batch idempotently (a point whose (series_id, ts) is stored already is skipped, the first
    value kept), maintaining rollups and latest values for the new points; in the caller's transaction
    if one is open, else in its own."""
    unique: dict[tuple[int, datetime], Point] = {}
    for point in points:
        key = (point.series_id, point.ts)
        if key not in unique:
            if point.ts.tzinfo is None:
                raise ValueError(f"naive datetime in telemetry point {point!r}")
            unique[key] = point
    if not unique:
        return WriteOutcome(stored=0, duplicates=len(points), stored_points=[])
    with transaction.atomic(savepoint=False):
        stored = store_batch(list(unique.values()))
    return WriteOutcome(stored=len(stored), duplicates=len(points) - len(stored), stored_points=stored)


def query(series_id: int, start: datetime, end: datetime, *, budget: int = 2000) -> QueryResult:
    """Points of one series in [start, end), at most `budget` of them: raw when they fit, else the finest
    rollup (minute, hour, day) whose buckets fit, merged into equal buckets if days are still too many.
    A rollup bucket is included when it starts in the range or holds `start`."""
    if budget < 1:
        raise ValueError("budget must be at least 1")
    return reading.query(series_id, start, end, budget)


def latest(series_ids: Iterable[int]) -> dict[int, tuple[datetime, float]]:
    """The newest (ts, value) of each series that has one."""
    return reading.latest(list(series_ids))


def previous(bounds: Mapping[int, datetime]) -> dict[int, tuple[datetime, float]]:
    """The newest raw (ts, value) of each series strictly before its bound, where there is one (retention may
    have deleted it)."""
    return reading.previous(dict(bounds))


def purge_raw(series_ids: Iterable[int], before: datetime) -> int:
    """Delete the raw readings of these series older than `before` (retention); rollups stay. Rows deleted."""
    return reading.purge_raw(list(series_ids), before)


def export_rows(series_ids: Iterable[int], start: datetime, end: datetime, *,
                resolution: str = "raw") -> Iterator[tuple]:
    """Rows for an export in (series_id, time) order: (series_id, ts, value) raw, or
    (series_id, bucket, average, min, max, count) for "minute", "hour" or "day"; streamed."""
    return reading.export_rows(list(series_ids), start, end, resolution)
