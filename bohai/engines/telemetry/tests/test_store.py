"""The store on whichever database the suite runs on (SQLite by default, PostgreSQL with BOHAI_DATABASE_URL)."""
import itertools
from datetime import datetime, timedelta, timezone

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from bohai.engines.telemetry import store
from bohai.engines.telemetry.models import DayRollup, HourRollup, Latest, MinuteRollup, Reading, Series
from bohai.engines.telemetry.store import Point


def batched(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc)
_sources = itertools.count(1000)


def new_series(metric: str = "temperature") -> int:
    return store.series_ids(next(_sources), [metric])[metric]


def every(series_id: int, seconds: int, count: int, start: datetime = T0, value=float) -> list[Point]:
    return [Point(series_id, start + timedelta(seconds=seconds * i), value(i)) for i in range(count)]


def test_series_ids_are_created_once_and_kept_apart_per_source():
    first = store.series_ids(7, ["pm25", "pm10"])
    assert store.series_ids(7, ["pm10", "pm25", "no2"]) == first | {"no2": store.series_ids(7, ["no2"])["no2"]}
    assert store.series_ids(8, ["pm25"])["pm25"] != first["pm25"]
    assert Series.objects.filter(source_id=7).count() == 3
    assert str(Series.objects.get(pk=first["pm25"])) == "7/pm25"


def test_a_metric_name_longer_than_forty_characters_is_refused():
    with pytest.raises(ValidationError) as refused:
        store.series_ids(7, ["x" * 41])
    assert "metric" in refused.value.message_dict


def test_a_duplicate_is_stored_once_within_a_batch_and_across_batches_keeping_the_first_value():
    series = new_series()
    points = every(series, 10, 50)
    repeated = Point(series, points[3].ts, 999.0)
    outcome = store.write([*points, repeated, points[0]])
    assert (outcome.stored, outcome.duplicates) == (50, 2)
    assert outcome.stored_points == points

    again = store.write([*points[40:], Point(series, T0 + timedelta(hours=1), 1.0)])
    assert (again.stored, again.duplicates) == (1, 10)
    assert again.stored_points == [Point(series, T0 + timedelta(hours=1), 1.0)]
    assert Reading.objects.filter(series_id=series).count() == 51
    assert Reading.objects.get(series_id=series, ts=points[3].ts).value == 3.0
    assert sum(MinuteRollup.objects.filter(series_id=series).values_list("count", flat=True)) == 51


def test_the_same_instant_in_another_time_zone_is_a_duplicate():
    series = new_series()
    store.write([Point(series, T0, 1.0)])
    beijing = timezone(timedelta(hours=8))
    assert store.write([Point(series, T0.astimezone(beijing), 2.0)]).duplicates == 1


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        store.write([Point(new_series(), datetime(2026, 1, 1), 1.0)])


def test_late_data_is_stored_and_rolled_up_but_does_not_replace_a_newer_latest():
    series = new_series()
    store.write([Point(series, T0 + timedelta(minutes=10), 5.0)])
    late = store.write([Point(series, T0 + timedelta(minutes=1), -3.0)])
    assert late.stored == 1
    assert store.latest([series]) == {series: (T0 + timedelta(minutes=10), 5.0)}
    hour = HourRollup.objects.get(series_id=series)
    assert (hour.count, hour.sum, hour.min, hour.max) == (2, 2.0, -3.0, 5.0)
    store.write([Point(series, T0 + timedelta(minutes=11), 6.0)])
    assert store.latest([series]) == {series: (T0 + timedelta(minutes=11), 6.0)}


def test_latest_of_many_series_at_once_leaves_out_series_without_readings():
    series = [new_series() for _ in range(3)]
    store.write([Point(series[0], T0, 1.0), Point(series[1], T0 + timedelta(seconds=1), 2.0),
                 Point(series[1], T0, 0.5)])
    assert store.latest([*series, 10**12]) == {series[0]: (T0, 1.0), series[1]: (T0 + timedelta(seconds=1), 2.0)}
    assert Latest.objects.count() == 2


def test_previous_gives_each_series_its_newest_reading_strictly_before_its_own_bound():
    early, late, empty = new_series(), new_series(), new_series()
    # Across a month's end: on PostgreSQL the readings sit in two partitions.
    store.write(every(early, 3600, 5, start=datetime(2026, 3, 31, 22, 0, tzinfo=timezone.utc)))
    store.write(every(late, 60, 10))
    bounds = {early: datetime(2026, 4, 1, 1, 0, tzinfo=timezone.utc), late: T0 + timedelta(minutes=7, seconds=30),
              empty: T0, 10**12: T0}

    assert store.previous(bounds) == {early: (datetime(2026, 4, 1, 0, 0, tzinfo=timezone.utc), 2.0),
                                      late: (T0 + timedelta(minutes=7), 7.0)}
    assert store.previous({late: T0}) == {}  # nothing before the first reading
    assert store.previous({}) == {}


def test_a_write_inside_a_transaction_that_rolls_back_leaves_nothing():
    series = new_series()
    with transaction.atomic():
        store.write(every(series, 1, 10))
        transaction.set_rollback(True)
    assert not Reading.objects.filter(series_id=series).exists()
    assert not MinuteRollup.objects.filter(series_id=series).exists()
    assert store.write(every(series, 1, 10)).stored == 10


def test_day_buckets_are_beijing_days():
    series = new_series()
    before_midnight = datetime(2026, 3, 1, 15, 59, tzinfo=timezone.utc)  # 23:59 in Beijing
    store.write([Point(series, before_midnight, 1.0), Point(series, before_midnight + timedelta(minutes=2), 2.0)])
    assert list(DayRollup.objects.filter(series_id=series).values_list("bucket", "count")) == [
        (datetime(2026, 2, 28, 16, 0, tzinfo=timezone.utc), 1), (datetime(2026, 3, 1, 16, 0, tzinfo=timezone.utc), 1)]


class TestQuery:
    @pytest.fixture
    def series(self):
        """Two days of a reading every 10 s: 17,280 readings."""
        series = new_series()
        for batch in batched(every(series, 10, 17_280, value=lambda i: float(i % 100)), 5000):
            store.write(batch)
        return series

    @pytest.mark.parametrize("span, budget, resolution, expected", [
        (timedelta(hours=1), 2000, "raw", 360),
        (timedelta(hours=6), 2000, "minute", 360),
        (timedelta(days=2), 2000, "hour", 48),
        (timedelta(days=2), 40, "day", 3),  # T0 is 08:00 in Beijing: two days touch three Beijing days
        (timedelta(days=2), 2, "day", 2),
        (timedelta(days=2), 1, "day", 1),
    ])
    def test_the_finest_resolution_within_the_budget(self, series, span, budget, resolution, expected):
        result = store.query(series, T0, T0 + span, budget=budget)
        assert result.resolution == resolution
        assert len(result.points) == expected <= budget
        assert sum(point[4] for point in result.points) == Reading.objects.filter(
            series_id=series, ts__gte=result.points[0][0] if resolution != "raw" else T0, ts__lt=T0 + span).count()

    def test_raw_points_are_the_readings_in_order(self, series):
        result = store.query(series, T0 + timedelta(seconds=5), T0 + timedelta(seconds=35))
        assert result.points == [(T0 + timedelta(seconds=s), v, v, v, 1) for s, v in ((10, 1.0), (20, 2.0), (30, 3.0))]

    def test_rollup_points_carry_average_minimum_maximum_and_count(self, series):
        result = store.query(series, T0, T0 + timedelta(hours=2), budget=100)
        assert result.resolution == "hour"
        assert result.points[0] == (T0, (3 * 4950 + 1770) / 360, 0.0, 99.0, 360)  # i % 100 for i < 360

    def test_an_empty_range_is_raw_and_empty(self, series):
        assert store.query(series, T0 - timedelta(days=9), T0 - timedelta(days=8)) == store.QueryResult("raw", [])


def test_days_merge_into_equal_buckets_when_even_days_are_too_many():
    series = new_series()
    start = datetime(2025, 1, 1, 4, tzinfo=timezone.utc)  # 12:00 in Beijing
    store.write(every(series, 86400, 400, start=start))
    for budget in (7, 10, 399):
        result = store.query(series, start, start + timedelta(days=400), budget=budget)
        assert result.resolution == "day"
        assert len(result.points) <= budget
        assert sum(point[4] for point in result.points) == 400
        widths = {b[0] - a[0] for a, b in itertools.pairwise(result.points)}
        assert len(widths) == 1


def test_sqlite_tables_are_clustered_by_series_and_time():
    """Migration 0004 makes them WITHOUT ROWID, so a series' rows sit together whatever order they arrived in; Django
    rebuilds a SQLite table as a rowid table when a later migration alters it, which this would catch."""
    if connection.vendor != "sqlite":
        pytest.skip("a SQLite table layout: PostgreSQL keeps heaps")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ('telemetry_reading', "
                       "'telemetry_minute', 'telemetry_hour', 'telemetry_day', 'telemetry_latest')")
        definitions = dict(cursor.fetchall())
    assert len(definitions) == 5
    assert all(sql.endswith("WITHOUT ROWID") for sql in definitions.values()), definitions


def test_purging_raw_readings_keeps_the_rollups():
    series, other = new_series(), new_series()
    store.write(every(series, 30, 240) + every(other, 30, 240))
    before = T0 + timedelta(hours=1)
    assert store.purge_raw([series], before) == 120
    assert Reading.objects.filter(series_id=series).count() == 120
    assert Reading.objects.filter(series_id=other).count() == 240
    assert sum(HourRollup.objects.filter(series_id=series).values_list("count", flat=True)) == 240
    old = store.query(series, T0, before, budget=1000)
    assert old.resolution == "minute" and sum(point[4] for point in old.points) == 120
    assert store.query(series, before, before + timedelta(minutes=30), budget=1000).resolution == "raw"
    assert store.query(other, T0, before, budget=1000).resolution == "raw"
    store.purge_raw([series], T0)  # an earlier horizon never moves the recorded one back
    assert Series.objects.get(pk=series).raw_purged_before == before
    assert Series.objects.get(pk=other).raw_purged_before is None


def test_export_streams_raw_or_rolled_up_rows_in_series_and_time_order():
    first, second = new_series(), new_series()
    store.write(every(second, 30, 4) + every(first, 30, 4))
    raw = list(store.export_rows([second, first], T0, T0 + timedelta(minutes=1)))
    assert raw == [(first, T0, 0.0), (first, T0 + timedelta(seconds=30), 1.0),
                   (second, T0, 0.0), (second, T0 + timedelta(seconds=30), 1.0)]
    minutes = list(store.export_rows([first], T0, T0 + timedelta(hours=1), resolution="minute"))
    assert minutes == [(first, T0, 0.5, 0.0, 1.0, 2), (first, T0 + timedelta(minutes=1), 2.5, 2.0, 3.0, 2)]
    with pytest.raises(ValueError):
        list(store.export_rows([first], T0, T0, resolution="week"))
