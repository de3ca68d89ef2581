"""Rollups equal the aggregates computed from the raw readings, whatever the batches, duplicates and order."""
import itertools
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from django.db import transaction

from bohai.engines.telemetry import store
from bohai.engines.telemetry.models import DayRollup, HourRollup, Latest, MinuteRollup, Reading
from bohai.engines.telemetry.records import bucket_start
from bohai.engines.telemetry.store import Point


def batched(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]

T0 = datetime(2026, 1, 31, 12, tzinfo=timezone.utc)
_sources = itertools.count(5000)

points = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3 * 86400 * 1000), st.integers(-1000, 1000)),
                  min_size=1, max_size=120)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(readings=points, batch_size=st.integers(1, 50))
def test_rollups_and_latest_equal_what_the_raw_readings_give(readings, batch_size):
    with transaction.atomic():
        ids = list(store.series_ids(next(_sources), ["a", "b", "c"]).values())
        batch = [Point(ids[s], T0 + timedelta(milliseconds=ms), value / 8) for s, ms, value in readings]
        stored = sum(store.write(chunk).stored for chunk in batched(batch, batch_size))
        raw = list(Reading.objects.filter(series_id__in=ids).values_list("series_id", "ts", "value"))
        assert stored == len(raw) == len({(p.series_id, p.ts) for p in batch})
        for model, resolution in ((MinuteRollup, "minute"), (HourRollup, "hour"), (DayRollup, "day")):
            assert rollups_of(model, ids) == expected_rollups(raw, resolution)
        newest = {}
        for series_id, ts, value in sorted(raw, key=lambda row: row[1]):
            newest[series_id] = (ts, value)
        assert {l.series_id: (l.ts, l.value) for l in Latest.objects.filter(series_id__in=ids)} == newest
        transaction.set_rollback(True)


def rollups_of(model, ids) -> dict:
    return {(r.series_id, r.bucket): (r.count, round(r.sum, 6), r.min, r.max)
            for r in model.objects.filter(series_id__in=ids)}


def expected_rollups(raw, resolution) -> dict:
    groups = defaultdict(list)
    for series_id, ts, value in raw:
        bucket = datetime.fromtimestamp(bucket_start(ts.timestamp(), resolution), timezone.utc)
        groups[(series_id, bucket)].append(value)
    return {key: (len(values), round(sum(values), 6), min(values), max(values)) for key, values in groups.items()}
