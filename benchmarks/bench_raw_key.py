"""PostgreSQL: a chart's raw readings read from a cold disk, heap key against covering key (telemetry 0005).

Live readings arrive time after time for every series, so the heap of the raw table holds a series' readings
one per page. Two tables of the same rows, inserted in that arrival order (every series at each time in
turn): one keyed (series_id, ts) as the raw table was before migration telemetry/0005, one keyed
(series_id, ts) INCLUDE (value) as it is now. Each round drops the kernel's page cache (root only; otherwise
the pages are wherever the caches left them) and reads a new random series' `--span` consecutive readings
from each table, in alternating order; p50/p95 of both and their ratio. The bench store of
bench_telemetry_query.py is built series by series and cannot show this.

    python benchmarks/bench_raw_key.py                                   # 2,000 series x 5,000 readings
    python benchmarks/bench_raw_key.py --series 500 --readings 4000 --rounds 20

Scratch database: PostgreSQL bohai_bench_raw_key (rebuilt when its size changes). Writes
benchmarks/results/raw_key.json.
"""
import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

NAME = "raw_key"
DATABASE = "bohai_bench_raw_key"
TABLES = {"heap_key": "PRIMARY KEY (series_id, ts)", "covering_key": "PRIMARY KEY (series_id, ts) INCLUDE (value)"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=2000)
    parser.add_argument("--readings", type=int, default=5000, help="readings per series, 30 s apart")
    parser.add_argument("--span", type=int, default=1400, help="consecutive readings per chart")
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    if not harness.postgres_reachable():
        print("PostgreSQL is not reachable on 127.0.0.1:5432: nothing to measure", file=sys.stderr)
        return
    import psycopg

    harness.ensure_postgres_database(DATABASE)
    with psycopg.connect(harness.database_url("postgres", DATABASE), autocommit=True) as connection:
        build_seconds = build(connection, args.series, args.readings)
        timings = measure(connection, args)
    report(args, build_seconds, timings)


def build(connection, series: int, readings: int) -> float | None:
    fingerprint = f"{series}x{readings}"
    connection.execute("CREATE TABLE IF NOT EXISTS bench_meta (name varchar(40) PRIMARY KEY, value varchar(200))")
    found = connection.execute("SELECT value FROM bench_meta WHERE name = 'rows'").fetchone()
    if found and found[0] == fingerprint:
        return None
    started = time.perf_counter()
    for table, key in TABLES.items():
        print(f"[postgres] {table}: {series * readings:,} readings in arrival order …", file=sys.stderr, flush=True)
        connection.execute(f"DROP TABLE IF EXISTS {table}")
        connection.execute(f"CREATE TABLE {table} (series_id bigint NOT NULL, ts timestamptz NOT NULL, "
                           f"value double precision NOT NULL, {key})")
        connection.execute(f"INSERT INTO {table} SELECT s, timestamptz '2026-01-01 00:00+00' + i * interval '30 s', "
                           f"random() FROM generate_series(0, {readings - 1}) i, generate_series(1, {series}) s "
                           "ORDER BY i, s")
        connection.execute(f"VACUUM ANALYZE {table}")
    connection.execute("DELETE FROM bench_meta WHERE name = 'rows'")
    connection.execute("INSERT INTO bench_meta VALUES ('rows', %s)", [fingerprint])
    connection.execute("CHECKPOINT")
    os.sync()
    return round(time.perf_counter() - started, 1)


def measure(connection, args) -> dict:
    rng = random.Random()
    timings = {table: [] for table in TABLES}
    plans = {}
    for number in range(args.rounds):
        dropped = harness.drop_page_cache()
        order = list(TABLES) if number % 2 == 0 else list(reversed(TABLES))
        for table in order:
            series, first = rng.randint(1, args.series), rng.randint(0, args.readings - args.span)
            query = (f"SELECT ts, value FROM {table} WHERE series_id = %s AND ts >= timestamptz '2026-01-01 00:00+00' "
                     f"+ %s * interval '30 s' AND ts < timestamptz '2026-01-01 00:00+00' + %s * interval '30 s' "
                     "ORDER BY ts")
            started = time.perf_counter()
            rows = connection.execute(query, [series, first, first + args.span]).fetchall()
            timings[table].append((time.perf_counter() - started) * 1000)
            assert len(rows) == args.span, (table, len(rows))
            plans.setdefault(table, [row[0] for row in connection.execute(
                "EXPLAIN (COSTS OFF) " + query, [series, first, first + args.span]).fetchall()][0])
    return {"timings": timings, "plans": plans, "page_cache_dropped": dropped}


def report(args, build_seconds: float | None, measured: dict) -> None:
    figures = {}
    for table, timings in measured["timings"].items():
        timings.sort()
        figures[table] = {"p50_ms": harness.percentile(timings, 0.5), "p95_ms": harness.percentile(timings, 0.95),
                          "max_ms": timings[-1], "plan": measured["plans"][table]}
    ratio = figures["heap_key"]["p95_ms"] / figures["covering_key"]["p95_ms"]
    cold = "page cache dropped" if measured["page_cache_dropped"] else "page cache as found"
    summary = [
        harness.figure(f"raw chart of {args.span:,} readings p95, heap key, {cold}", figures["heap_key"]["p95_ms"], "ms"),
        harness.figure(f"raw chart of {args.span:,} readings p95, covering key, {cold}",
                       figures["covering_key"]["p95_ms"], "ms", "< 50 ms", 50 / figures["covering_key"]["p95_ms"],
                       figures["covering_key"]["p95_ms"] < 50),
        harness.figure("heap key / covering key, p95", ratio, "x"),
    ]
    print(f"[postgres] {args.series:,} series x {args.readings:,} readings in arrival order, {args.rounds} rounds "
          f"({cold}); build {build_seconds if build_seconds is not None else 'reused'} s; plans: "
          f"{figures['heap_key']['plan']} / {figures['covering_key']['plan']}")
    harness.print_summary(summary)
    command = "python benchmarks/bench_raw_key.py " + " ".join(sys.argv[1:])
    path = harness.write_results(NAME, command.strip(), summary, {
        "series": args.series, "readings_per_series": args.readings, "span": args.span, "rounds": args.rounds,
        "build_seconds": build_seconds, "page_cache_dropped": measured["page_cache_dropped"], "results": figures})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
