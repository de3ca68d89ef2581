"""The telemetry store (bohai/engines/telemetry/store.py) at volume, SQLite and PostgreSQL side by side.

Builds once per size (reused while the fingerprint matches) a store of N readings: `--series` series,
one reading every `--interval` seconds each, from 2025-01-01 UTC, generated inside the database
(generate_series on PostgreSQL, a recursive CTE on SQLite) straight into the raw table (monthly
partitions on PostgreSQL) and the minute, hour and day rollups computed from it, series by series
in chunks; latest values for 10,000 series (the built ones plus bench-only ids). Then measures

    (a) chart query: `store.query(series, start, end, budget=2000)` for random series and ranges
        (log-uniform from 10 minutes to the whole span), new ones every run (`--seed` repeats a run's), timed
        first as found (`--cold`: after dropping the kernel's page cache, so read from disk) and then the same
        queries again (in memory): p50/p95/max, the resolutions chosen and the largest answer; goal p95 < 50 ms
        with at most 2,000 points;
    (b) `store.latest` of 10,000 series: p50/p95, goal < 100 ms;
    (c) `store.write` in batches of `--batch` (each batch: consecutive seconds of 1,000 devices, so
        every batch updates ~1,000 minute, hour and day rollups and latest values), alternating batch
        by batch with a plain bulk insert of the same rows into the same raw table (COPY on PostgreSQL,
        executemany on SQLite) under fresh series ids: points/s of both and their ratio; goal for
        write() ≥ 50,000 points/s. The written rows are deleted afterwards.

    python benchmarks/bench_telemetry_query.py                               # 100,000,000 readings, both engines
    python benchmarks/bench_telemetry_query.py --readings 2000000 --engine sqlite

Scratch databases: var/bench/telemetry[_N].sqlite3 and PostgreSQL bohai_bench_telemetry[_N].
Writes benchmarks/results/telemetry_query.json.
"""
import argparse
import json
import math
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_databases  # noqa: E402
import harness  # noqa: E402

NAME = "telemetry_query"
DATABASE = "telemetry"
POSTGRES_DATABASE = "bohai_bench_telemetry"
FULL_SIZE = 100_000_000
FINGERPRINT = "v2"  # v2: SQLite tables WITHOUT ROWID (telemetry migration 0004)
START = datetime(2025, 1, 1, tzinfo=timezone.utc)
LATEST_SERIES = 10_000
BENCH_ONLY_IDS = 50_000_000  # latest values of ids above the built series start here
WRITE_IDS = 90_000_000  # series ids of the write measurement (deleted afterwards)
QUERY_GOAL_MS, LATEST_GOAL_MS, WRITE_GOAL = 50.0, 100.0, 50_000
BUDGET = 2000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readings", type=int, default=FULL_SIZE)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--interval", type=int, default=30, help="seconds between a series' readings")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--write-points", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--engine", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--seed", type=int, default=None, help="the queries' seed (default: new queries every run)")
    parser.add_argument("--cold", action="store_true",
                        help="drop the kernel's page cache before each engine's queries (needs root)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed is None:
        args.seed = int(time.time())
    if args.child:
        print(json.dumps(measure_one(args), default=str))
        return
    results = {}
    for engine in harness.engines_to_run(args.engine):
        print(f"[{engine}] {args.readings:,} readings …", flush=True)
        arguments = ["--child", "--readings", str(args.readings), "--series", str(args.series), "--interval",
                     str(args.interval), "--queries", str(args.queries), "--write-points", str(args.write_points),
                     "--batch", str(args.batch), "--seed", str(args.seed)] + (["--rebuild"] if args.rebuild else []) + \
            (["--cold"] if args.cold else [])
        results[engine] = harness.run_child(Path(__file__), engine, arguments)
    report(args, results)


def measure_one(args) -> dict:
    engine = args.engine
    bench_databases.open_bench_database(engine, DATABASE, POSTGRES_DATABASE, args.readings, FULL_SIZE)
    per_series = args.readings // args.series
    build_seconds = bench_databases.ensure_built(
        engine, "telemetry", f"{args.readings}:{args.series}:{args.interval}:{FINGERPRINT}", args.rebuild,
        lambda: build(engine, args.series, per_series, args.interval), f"{args.readings:,} readings")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM telemetry_series")
        series_count = cursor.fetchone()[0]
    span = timedelta(seconds=per_series * args.interval)
    result = {"engine": engine, "readings": series_count * per_series, "series": series_count,
              "interval_s": args.interval, "span_days": round(span.total_seconds() / 86400, 2),
              "build_seconds": build_seconds, "load_average_before": harness.machine()["load_average"]}
    result["page_cache_dropped"] = args.cold and harness.drop_page_cache()
    result["query"] = measure_queries(series_count, span, args.queries, random.Random(args.seed))
    result["seed"] = args.seed
    result["latest"] = measure_latest()
    result["write"] = measure_writes(engine, args.write_points, args.batch)
    result["load_average_after"] = harness.machine()["load_average"]
    return result


# Building ---------------------------------------------------------------------------------------

def build(engine: str, series: int, per_series: int, interval: int) -> None:
    from django.db import connection
    from bohai.engines.telemetry.partitions import ensure_partitions

    with connection.cursor() as cursor:
        for table in ("telemetry_reading", "telemetry_minute", "telemetry_hour", "telemetry_day", "telemetry_latest",
                      "telemetry_series"):
            cursor.execute(f"DELETE FROM {table}")
        cursor.execute("INSERT INTO telemetry_series (id, source_id, metric, created_at) "
                       + ("SELECT s, s, 'value', now() FROM generate_series(1, %s) s" if engine == "postgres" else
                          "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %s) "
                          "SELECT i, i, 'value', datetime('now') FROM s"), [series])
    ensure_partitions(START, START + timedelta(seconds=per_series * interval + 1))
    chunk = max(1, 2_000_000 // per_series)
    started = time.perf_counter()
    for first in range(1, series + 1, chunk):
        last = min(series, first + chunk - 1)
        with connection.cursor() as cursor:
            for statement in (postgres_build if engine == "postgres" else sqlite_build)(first, last, per_series, interval):
                cursor.execute(statement)
        done = (last * per_series)
        print(f"[{engine}] {done:,} readings, {done / (time.perf_counter() - started):,.0f}/s", file=sys.stderr, flush=True)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO telemetry_latest (series_id, ts, value) "
                       + ("SELECT %s + s, %s, s FROM generate_series(1, %s) s" if engine == "postgres" else
                          "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %s) "
                          "SELECT %s + i, %s, i FROM s"),
                       [BENCH_ONLY_IDS, START, LATEST_SERIES] if engine == "postgres" else
                       [LATEST_SERIES, BENCH_ONLY_IDS, START.strftime("%Y-%m-%d %H:%M:%S")])
    if engine == "postgres":
        bench_databases.vacuum_analyze(("telemetry_reading", "telemetry_minute", "telemetry_hour", "telemetry_day",
                                        "telemetry_latest"))
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# A reading's value: a daily wave per series plus a little noise, so rollups are not all equal.
POSTGRES_VALUE = "(s % 50) + 10 * sin(i * {interval} / 86400.0 * 2 * pi()) + (i % 7) / 10.0"
SQLITE_VALUE = "(s % 50) + 10 * ((i * {interval}) % 86400) / 86400.0 + (i % 7) / 10.0"


def postgres_build(first: int, last: int, per_series: int, interval: int) -> list[str]:
    start = START.isoformat()
    value = POSTGRES_VALUE.format(interval=interval)
    return [
        f"INSERT INTO telemetry_reading (series_id, ts, value) SELECT s, '{start}'::timestamptz + i * interval "
        f"'{interval} seconds', {value} FROM generate_series({first}, {last}) s, generate_series(0, {per_series - 1}) i",
        rollup_from("telemetry_minute", "telemetry_reading", "date_trunc('minute', ts, 'UTC')", "1", "value", "value",
                    "value", "ts", first, last),
        rollup_from("telemetry_hour", "telemetry_minute", "date_trunc('hour', bucket, 'UTC')", "count", "sum", "min",
                    "max", "bucket", first, last),
        rollup_from("telemetry_day", "telemetry_hour",
                    "date_trunc('day', bucket + interval '8 hours', 'UTC') - interval '8 hours'", "count", "sum", "min",
                    "max", "bucket", first, last),
        f"INSERT INTO telemetry_latest (series_id, ts, value) SELECT DISTINCT ON (series_id) series_id, ts, value "
        f"FROM telemetry_reading WHERE series_id BETWEEN {first} AND {last} ORDER BY series_id, ts DESC",
    ]


def sqlite_build(first: int, last: int, per_series: int, interval: int) -> list[str]:
    epoch = int(START.timestamp())
    value = SQLITE_VALUE.format(interval=interval)
    day = "datetime(date(bucket, '+8 hours'), '-8 hours')"
    return [
        f"INSERT INTO telemetry_reading (series_id, ts, value) "
        f"WITH RECURSIVE s(s) AS (SELECT {first} UNION ALL SELECT s + 1 FROM s WHERE s < {last}), "
        f"i(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM i WHERE i < {per_series - 1}) "
        f"SELECT s, datetime({epoch} + i * {interval}, 'unixepoch'), {value} FROM s, i ORDER BY s, i",
        rollup_from("telemetry_minute", "telemetry_reading", "strftime('%Y-%m-%d %H:%M:00', ts)", "1", "value",
                    "value", "value", "ts", first, last),
        rollup_from("telemetry_hour", "telemetry_minute", "strftime('%Y-%m-%d %H:00:00', bucket)", "count", "sum",
                    "min", "max", "bucket", first, last),
        rollup_from("telemetry_day", "telemetry_hour", day, "count", "sum", "min", "max", "bucket", first, last),
        f"INSERT INTO telemetry_latest (series_id, ts, value) SELECT series_id, max(ts), value "
        f"FROM telemetry_reading WHERE series_id BETWEEN {first} AND {last} GROUP BY series_id",
    ]


def rollup_from(table, source, bucket, count, total, low, high, time_column, first, last) -> str:
    return (f"INSERT INTO {table} (series_id, bucket, count, sum, min, max) "
            f"SELECT series_id, {bucket}, sum({count}), sum({total}), min({low}), max({high}) FROM {source} "
            f"WHERE series_id BETWEEN {first} AND {last} GROUP BY series_id, {bucket} ORDER BY series_id, {bucket}")


# Measuring --------------------------------------------------------------------------------------

def measure_queries(series_count: int, span: timedelta, count: int, rng: random.Random) -> dict:
    """`count` random queries timed twice: first touch (series and ranges this store has not been asked for in
    this run, its pages wherever the caches left them) and again (the same queries, their pages now in memory)."""
    from bohai.engines.telemetry import store

    def random_query():
        length = timedelta(seconds=math.exp(rng.uniform(math.log(600), math.log(span.total_seconds()))))
        start = START + (span - length) * rng.random()
        return rng.randint(1, series_count), start, start + length

    for series_id, start, end in [random_query() for _ in range(20)]:  # connection, catalogue, code paths
        store.query(series_id, start, end, budget=BUDGET)
    queries = [random_query() for _ in range(count)]
    return {"first": time_queries(queries), "again": time_queries(queries)}


def time_queries(queries: list[tuple]) -> dict:
    from bohai.engines.telemetry import store

    timings, resolutions, largest = [], {}, 0
    cpu = time.process_time()
    for series_id, start, end in queries:
        began = time.perf_counter()
        result = store.query(series_id, start, end, budget=BUDGET)
        timings.append((time.perf_counter() - began) * 1000)
        resolutions[result.resolution] = resolutions.get(result.resolution, 0) + 1
        largest = max(largest, len(result.points))
    cpu_ms = (time.process_time() - cpu) * 1000 / len(queries)
    timings.sort()
    return {"queries": len(queries), "p50_ms": harness.percentile(timings, 0.5),
            "p95_ms": harness.percentile(timings, 0.95), "max_ms": timings[-1], "client_cpu_ms": cpu_ms,
            "resolutions": resolutions, "largest_answer": largest}


def measure_latest() -> dict:
    from django.db import connection
    from bohai.engines.telemetry import store

    with connection.cursor() as cursor:
        cursor.execute("SELECT series_id FROM telemetry_latest ORDER BY series_id LIMIT %s", [LATEST_SERIES])
        ids = [row[0] for row in cursor.fetchall()]
    store.latest(ids)
    timings = []
    for _ in range(30):
        began = time.perf_counter()
        found = store.latest(ids)
        timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    return {"series": len(ids), "found": len(found), "p50_ms": harness.percentile(timings, 0.5),
            "p95_ms": harness.percentile(timings, 0.95)}


def measure_writes(engine: str, points: int, batch: int) -> dict:
    from django.db import connection, transaction
    from bohai.engines.telemetry import store
    from bohai.engines.telemetry.partitions import ensure_partitions
    from bohai.engines.telemetry.store import Point

    devices = 1000
    seconds_per_batch = max(1, batch // devices)
    base = datetime(2026, 2, 1, tzinfo=timezone.utc)
    ensure_partitions(base, base + timedelta(days=1))
    batches = []
    for number in range(max(1, points // batch)):
        at = base + timedelta(seconds=number * seconds_per_batch)
        batches.append([Point(WRITE_IDS + device, at + timedelta(seconds=second), float(device + second))
                        for second in range(seconds_per_batch) for device in range(devices)][:batch])
    plain_seconds = write_seconds = 0.0
    try:
        for rows in batches:
            shifted = [(p.series_id + 1_000_000, p.ts, p.value) for p in rows]
            began = time.perf_counter()
            with transaction.atomic():
                bench_databases.insert(engine, "telemetry_reading", ("series_id", "ts", "value"),
                                       [bench_databases.sqlite_row(engine, row) for row in shifted])
            plain_seconds += time.perf_counter() - began
            began = time.perf_counter()
            store.write(rows)
            write_seconds += time.perf_counter() - began
    finally:
        with connection.cursor() as cursor:
            for table in ("telemetry_reading", "telemetry_minute", "telemetry_hour", "telemetry_day", "telemetry_latest"):
                cursor.execute(f"DELETE FROM {table} WHERE series_id >= %s", [WRITE_IDS])
    total = sum(len(rows) for rows in batches)
    return {"points": total, "batch": batch, "write_per_second": total / write_seconds,
            "plain_per_second": total / plain_seconds, "ratio": (total / write_seconds) / (total / plain_seconds)}


# Report -----------------------------------------------------------------------------------------

def report(args, results: dict) -> None:
    summary = []
    for engine, result in results.items():
        if result is None:
            continue
        size = f"{result['readings']:,} readings"
        first, again = result["query"]["first"], result["query"]["again"]
        cold = " (page cache dropped)" if result.get("page_cache_dropped") else ""
        summary.append(harness.figure(f"chart query p95, first touch{cold}, {engine}, {size}", first["p95_ms"], "ms",
                                      f"< {QUERY_GOAL_MS:.0f} ms", QUERY_GOAL_MS / first["p95_ms"],
                                      first["p95_ms"] < QUERY_GOAL_MS and first["largest_answer"] <= BUDGET))
        summary.append(harness.figure(f"chart query p50, first touch, {engine}", first["p50_ms"], "ms"))
        summary.append(harness.figure(f"chart query p95, same queries again, {engine}", again["p95_ms"], "ms",
                                      f"< {QUERY_GOAL_MS:.0f} ms", QUERY_GOAL_MS / again["p95_ms"],
                                      again["p95_ms"] < QUERY_GOAL_MS))
        summary.append(harness.figure(f"chart query largest answer, {engine}", first["largest_answer"], "points",
                                      f"<= {BUDGET}", BUDGET / max(1, first["largest_answer"]),
                                      first["largest_answer"] <= BUDGET))
        latest = result["latest"]
        summary.append(harness.figure(f"latest of {latest['series']:,} series p95, {engine}", latest["p95_ms"], "ms",
                                      f"< {LATEST_GOAL_MS:.0f} ms", LATEST_GOAL_MS / latest["p95_ms"],
                                      latest["p95_ms"] < LATEST_GOAL_MS))
        write = result["write"]
        summary.append(harness.figure(f"write() batches of {write['batch']:,}, {engine}", write["write_per_second"],
                                      "/s", f">= {WRITE_GOAL:,}", write["write_per_second"] / WRITE_GOAL,
                                      write["write_per_second"] >= WRITE_GOAL))
        summary.append(harness.figure(f"plain bulk insert, {engine}", write["plain_per_second"], "/s"))
        summary.append(harness.figure(f"write() / plain insert, {engine}", write["ratio"], "x"))
        print(f"[{engine}] {size} ({result['series']:,} series every {result['interval_s']} s over "
              f"{result['span_days']} days); query resolutions {first['resolutions']}; seed {result['seed']}; load "
              f"{result['load_average_before']} → {result['load_average_after']}")
    harness.print_summary(summary)
    command = "python benchmarks/bench_telemetry_query.py " + " ".join(sys.argv[1:])
    path = harness.write_results(NAME, command.strip(), summary, {"results": results})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
