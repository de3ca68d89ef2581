"""Person lookup by identity number through the blind index, in a register of 7.3 million.

Measures the latency of identities.actions.find_person (keyed SM3 of the number, then one indexed
query) on SQLite and, when reachable, PostgreSQL. Goal: p99 < 2 ms.

    python benchmarks/bench_person_lookup.py                    # 7,300,000 persons (builds once, minutes)
    python benchmarks/bench_person_lookup.py --persons 200000    # quicker
    python benchmarks/bench_person_lookup.py --engine sqlite --lookups 50000

The register is built once per size (rows encrypted and indexed like the platform's, inserted with
executemany/COPY; that is setup, not measured) in var/bench/lookup.sqlite3 and the PostgreSQL
database bohai_bench (other sizes: lookup_N, bohai_bench_N), and reused while its size and index
key match. --rebuild builds it again.
Writes benchmarks/results/person_lookup.json.
"""
import argparse
import hashlib
import itertools
import multiprocessing
import os
import random
import sys
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_databases  # noqa: E402
import harness  # noqa: E402

NAME = "person_lookup"
DATABASE = "lookup"
POSTGRES_DATABASE = "bohai_bench"
FULL_SIZE = 7_300_000
GOAL_P99_MS = 2.0
CHUNK = 50_000
INSERT_BATCH = 10_000
WARM_UP = 2_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=FULL_SIZE)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--engine", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print_child(measure_one(args))
        return
    results = {}
    for engine in harness.engines_to_run(args.engine):
        print(f"[{engine}] register of {args.persons:,} persons, {args.lookups:,} lookups …", flush=True)
        results[engine] = harness.run_child(Path(__file__), engine, child_arguments(args))
    report(args, results)


def child_arguments(args) -> list[str]:
    arguments = ["--child", "--persons", str(args.persons), "--lookups", str(args.lookups), "--seed", str(args.seed)]
    return arguments + (["--rebuild"] if args.rebuild else [])


def print_child(result: dict) -> None:
    import json

    print(json.dumps(result))


def measure_one(args) -> dict:
    engine = args.engine
    if engine == "postgres":
        name = database_name(POSTGRES_DATABASE, args.persons)
        harness.ensure_postgres_database(name)
        url = harness.database_url(engine, name)
    else:
        url = harness.database_url(engine, database_name(DATABASE, args.persons))
    harness.setup_django(url)
    build_seconds = ensure_register(engine, args.persons, args.rebuild)
    load_before = [round(x, 2) for x in os.getloadavg()]
    latencies, misses = time_lookups(args.persons, args.lookups, args.seed)
    latencies.sort()
    misses.sort()
    return {
        "engine": engine, "persons": args.persons, "lookups": len(latencies), "build_seconds": build_seconds,
        "p50_ms": harness.percentile(latencies, 0.50), "p90_ms": harness.percentile(latencies, 0.90),
        "p99_ms": harness.percentile(latencies, 0.99), "max_ms": latencies[-1],
        "miss_p99_ms": harness.percentile(misses, 0.99), "cpu_ms_per_lookup": round(cpu_ms[-1], 4),
        "load_average_before": load_before,
    }


def database_name(base: str, persons: int) -> str:
    """One database per register size, so that a quick run does not replace the 7.3-million register."""
    return base if persons == FULL_SIZE else f"{base}_{persons}"


def register_fingerprint(persons: int) -> str:
    from bohai.kernel.crypto.fields import index_key

    return f"{persons}:{hashlib.sha256(index_key()).hexdigest()[:16]}:v1"


def ensure_register(engine: str, persons: int, rebuild: bool) -> float | None:
    """Build the register unless the one there has the same size and index key; seconds spent, or None."""
    return bench_databases.ensure_built(engine, "register", register_fingerprint(persons), rebuild,
                                        lambda: build_register(engine, persons), f"the register of {persons:,} persons")


def build_register(engine: str, persons: int) -> None:
    from django.db import connection, transaction
    from tqdm import tqdm

    import people

    region_ids = people.ensure_regions(harness.REPO_ROOT)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM identities_person")
    dropped = drop_secondary_indexes(engine)
    chunks = [(start, min(start + CHUNK, persons), region_ids, engine) for start in range(0, persons, CHUNK)]
    connection.close()  # forked workers must not share the parent's database connection
    context = multiprocessing.get_context("fork")
    with context.Pool(multiprocessing.cpu_count() or 2) as pool, \
            tqdm(total=persons, desc=f"build {engine}", unit="row", file=sys.stderr) as bar:
        connection.ensure_connection()
        if engine == "sqlite":
            connection.connection.execute("PRAGMA cache_size = -1000000")  # 1 GB while loading
        for rows in built_ahead(pool, chunks):
            for start in range(0, len(rows), INSERT_BATCH):
                with transaction.atomic():
                    people.insert_rows(engine, rows[start:start + INSERT_BATCH])
            bar.update(len(rows))
    print(f"[{engine}] recreating {len(dropped)} indexes …", file=sys.stderr)
    with connection.cursor() as cursor:
        for statement in dropped:
            cursor.execute(statement)
        cursor.execute("ANALYZE identities_person" if engine == "postgres" else "ANALYZE")


def built_ahead(pool, chunks: list, ahead: int = 3):
    """Chunks built by the workers while the parent inserts, at most `ahead` waiting (bounded memory)."""
    tasks = iter(chunks)
    pending = deque(pool.apply_async(build_chunk, (task,)) for task in itertools.islice(tasks, ahead))
    while pending:
        rows = pending.popleft().get()
        following = next(tasks, None)
        if following is not None:
            pending.append(pool.apply_async(build_chunk, (following,)))
        yield rows


def build_chunk(task) -> list[tuple]:
    import people

    start, stop, region_ids, engine = task
    codes = sorted(region_ids)
    now = people.now_for(engine)
    rows = []
    for i in range(start, stop):
        number, name, phone, address, county = people.synthetic_person(i, codes)
        rows.append(people.stored_row(number, name, phone, address, region_ids[county], now, engine))
    return rows


def drop_secondary_indexes(engine: str) -> list[str]:
    """Drop the person table's indexes and constraints that loading can do without; return how to recreate them."""
    from django.db import connection

    recreate = []
    with connection.cursor() as cursor:
        if engine == "sqlite":
            # The unique index of id_number_index is part of the table (sqlite_autoindex) and stays.
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                           "AND tbl_name = 'identities_person' AND sql IS NOT NULL")
            for name, sql in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                recreate.append(sql)
            return recreate
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = 'identities_person'::regclass AND contype IN ('u', 'f')")
        for name, definition in cursor.fetchall():
            cursor.execute(f'ALTER TABLE identities_person DROP CONSTRAINT "{name}"')
            recreate.append(f'ALTER TABLE identities_person ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'identities_person' "
                       "AND indexname NOT LIKE '%%_pkey'")
        for name, definition in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
            recreate.insert(0, definition)
    return recreate


cpu_ms: list[float] = []  # this process's CPU time per lookup: the figure a busy machine does not inflate


def time_lookups(persons: int, lookups: int, seed: int) -> tuple[list[float], list[float]]:
    """Milliseconds per find_person call, for numbers in the register and (a tenth as many) not in it."""
    from bohai.kernel.identities.actions import find_person

    import people

    region_codes = sorted(code for code, _name, _population in people.county_codes(harness.REPO_ROOT))
    rng = random.Random(seed)
    numbers = [people.synthetic_person(rng.randrange(persons), region_codes)[0] for _ in range(lookups + WARM_UP)]
    absent = [people.synthetic_person(persons + rng.randrange(persons), region_codes)[0] for _ in range(lookups // 10)]
    for number in numbers[:WARM_UP]:
        find_person(number)
    hits = []
    cpu_started = time.process_time()
    for number in numbers[WARM_UP:]:
        started = time.perf_counter_ns()
        person = find_person(number)
        hits.append((time.perf_counter_ns() - started) / 1e6)
        if person is None:
            raise SystemExit(f"lookup failed for a registered number ({number[:6]}…)")
    cpu_ms.append((time.process_time() - cpu_started) * 1000 / max(1, len(hits)))
    misses = []
    for number in absent:
        started = time.perf_counter_ns()
        if find_person(number) is not None:
            raise SystemExit("an unregistered number was found")
        misses.append((time.perf_counter_ns() - started) / 1e6)
    return hits, misses


def report(args, results: dict) -> None:
    summary = []
    for engine, result in results.items():
        if result is None:
            continue
        print(f"[{engine}] {result['persons']:,} persons, {result['lookups']:,} lookups: "
              f"p50 {result['p50_ms']:.3f} ms, p90 {result['p90_ms']:.3f} ms, p99 {result['p99_ms']:.3f} ms "
              f"(max {result['max_ms']:.2f} ms; not found p99 {result['miss_p99_ms']:.3f} ms; "
              f"CPU {result['cpu_ms_per_lookup']:.3f} ms per lookup; load average {result['load_average_before']})"
              + (f"; register built in {result['build_seconds']:.0f} s" if result["build_seconds"] else ""))
        summary.append(harness.figure(f"find_person p50, {engine}, {result['persons']:,} persons", result["p50_ms"],
                                      "ms", f"< {GOAL_P99_MS} ms (p99)", GOAL_P99_MS / result["p50_ms"],
                                      result["p50_ms"] < GOAL_P99_MS))
        summary.append(harness.figure(f"find_person p99, {engine}, {result['persons']:,} persons", result["p99_ms"],
                                      "ms", f"< {GOAL_P99_MS} ms", GOAL_P99_MS / result["p99_ms"],
                                      result["p99_ms"] < GOAL_P99_MS))
    harness.print_summary(summary)
    command = "python benchmarks/bench_person_lookup.py " + " ".join(sys.argv[1:])
    path = harness.write_results(NAME, command.strip(), summary, {"results": results})
    print(f"Wrote {path.relative_to(harness.REPO_ROOT)}")


if __name__ == "__main__":
    main()
