"""The cost of evaluating alarm rules on ingested readings, beside the cost of writing the same readings.

`bohai.engines.alarms.evaluation.evaluate` runs on every ingestion batch, so its goal is relative:
at most 20 % of what storing the points costs. This script times, on the same database and in the
same process:

1. writing: the readings inserted into a scratch points table (subject, metric, time, value with a
   unique key, as a telemetry store keeps them) in one transaction per batch, executemany;
2. evaluating: `evaluate` on the same batches against ~50 active rules (thresholds, ranges, rates
   of change, combinations, no-data rules) over 5,000 subjects of 10 types, with 0.2 % spikes so
   that alarms open, count readings and clear as they would.

Each is run three times over as many readings: a first pass (no state yet: every subject's last
reading is inserted), a steady pass (the same subjects a day later: states updated) with one spike
in 10,000 readings, and a storm (one spike in 500: alarms raised and cleared every few readings).
Goal: evaluate ≤ 0.20 × writing. The IoT engineer measures the ratio end to end on the real store.

    python benchmarks/bench_alarm_rules.py                        # 100,000 readings, both databases
    python benchmarks/bench_alarm_rules.py --readings 20000 --engine sqlite --batch 500

Scratch databases: var/bench/alarms.sqlite3 and PostgreSQL bohai_bench_alarms (both recreated).
Writes benchmarks/results/alarm_rules.json.
"""
import argparse
import json
import random
import sys
import time
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

NAME = "alarm_rules"
DATABASE = "alarms"
POSTGRES_DATABASE = "bohai_bench_alarms"
GOAL_RATIO = 0.20
SUBJECTS = 5000
TYPES = 10
# Share of readings that spike (a: 90, b: 1): quiet is one in 10,000 (each spike breaches up to three rules,
# which raise and then clear), a storm one in 500.
PASSES = (("first", 0.0001), ("steady", 0.0001), ("storm", 0.002))
KIND = "bench.device"
START = datetime(2026, 11, 2, 0, 0, tzinfo=dt_timezone.utc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--engine", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_one(args.engine, args.readings, args.batch)))
        return
    results = {}
    for engine in harness.engines_to_run(args.engine):
        print(f"[{engine}] {args.readings:,} readings in batches of {args.batch:,} …", flush=True)
        results[engine] = harness.run_child(
            Path(__file__), engine, ["--child", "--readings", str(args.readings), "--batch", str(args.batch)])
    report(results)


def measure_one(engine: str, readings: int, batch: int) -> dict:
    harness.setup_django(harness.fresh_database(engine, DATABASE, POSTGRES_DATABASE))
    rules = create_rules()
    register_subjects()
    create_points_table()
    result = {"engine": engine, "readings": readings, "batch": batch, "rules": rules, "passes": {}}
    for number, (name, spikes) in enumerate(PASSES):
        batches = list(chunks(make_readings(readings, START + timedelta(days=number), spikes), batch))
        write_seconds, write_cpu = time_writing(batches)
        evaluate_seconds, evaluate_cpu, queries, outcome = time_evaluation(batches)
        result["passes"][name] = {
            "spike_share": spikes,
            "write_seconds": round(write_seconds, 3), "evaluate_seconds": round(evaluate_seconds, 3),
            "write_cpu_seconds": round(write_cpu, 3), "evaluate_cpu_seconds": round(evaluate_cpu, 3),
            "cpu_ratio": round(evaluate_cpu / write_cpu, 4),
            "evaluate_cpu_us_per_point": round(evaluate_cpu / readings * 1e6, 2),
            "write_per_second": round(readings / write_seconds), "evaluate_per_second": round(readings / evaluate_seconds),
            "ratio": round(evaluate_seconds / write_seconds, 4), "queries_per_batch": round(queries / len(batches), 2),
            **outcome,
        }
    return result


def create_rules() -> int:
    from bohai.engines.alarms.actions import create_rule
    from bohai.kernel.regions.models import Region

    city = Region(key="130900", code="130900", name="沧州市", level="city", centroid_lng=116.8, centroid_lat=38.3)
    city.path = city.build_path()
    city.save()
    count = 0
    for number in range(TYPES):
        subject_type = f"type{number}"
        common = {"actor": "bench", "subject_kind": KIND, "subject_type": subject_type, "region": city}
        create_rule(name=f"{subject_type} a 过高", metric="a", kind="above", threshold=70.0, severity="major", **common)
        create_rule(name=f"{subject_type} b 过低", metric="b", kind="below", threshold=5.0, **common)
        create_rule(name=f"{subject_type} a 陡变", metric="a", kind="rate_above", threshold=25.0, **common)
        create_rule(name=f"{subject_type} b 越界", metric="b", kind="outside", lower=2.0, upper=40.0, **common)
        count += 4
        if number % 2:
            create_rule(name=f"{subject_type} 组合", kind="all_of", severity="critical", parts=[
                {"metric": "a", "kind": "above", "threshold": 65.0}, {"metric": "b", "kind": "below", "threshold": 8.0},
            ], **common)
        else:
            create_rule(name=f"{subject_type} 离线", kind="no_data", minutes=30, severity="minor", **common)
        count += 1
    return count


def register_subjects() -> None:
    from bohai.engines.alarms.subjects import Subject, register_subject_source

    def describe(ids):
        return {i: Subject(label=f"设备 {i:05d}", organisation_id=None, region_id=None, lng=116.8, lat=38.3) for i in ids}

    register_subject_source(KIND, describe, event_prefix="bench")


def make_readings(count: int, start: datetime, spike_share: float) -> list:
    from bohai.engines.alarms.evaluation import Observation

    generator = random.Random(start.toordinal())
    readings = []
    for index in range(count):
        round_number, slot = divmod(index, SUBJECTS * 2)
        subject_id, metric_number = divmod(slot, 2)
        metric = "ab"[metric_number]
        spike = generator.random() < spike_share
        if metric == "a":
            value = 90.0 if spike else generator.gauss(50, 5)
        else:
            value = 1.0 if spike else generator.gauss(20, 3)
        readings.append(Observation(KIND, subject_id + 1, f"type{subject_id % TYPES}", metric,
                                    start + timedelta(minutes=round_number), value))
    return readings


def chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def create_points_table() -> None:
    from django.db import connection

    real = "DOUBLE PRECISION" if connection.vendor == "postgresql" else "REAL"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_points")
        cursor.execute(f"CREATE TABLE bench_points (subject_id BIGINT NOT NULL, metric VARCHAR(60) NOT NULL, "
                       f"ts TIMESTAMP WITH TIME ZONE NOT NULL, value {real} NOT NULL)")
        cursor.execute("CREATE UNIQUE INDEX bench_points_key ON bench_points (subject_id, metric, ts)")


def time_writing(batches: list[list]) -> tuple[float, float]:
    from django.db import connection, transaction

    adapt = connection.ops.adapt_datetimefield_value
    started, cpu_started = time.perf_counter(), time.process_time()
    for batch in batches:
        rows = [(reading.subject_id, reading.metric, adapt(reading.ts), reading.value) for reading in batch]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany("INSERT INTO bench_points (subject_id, metric, ts, value) VALUES (%s, %s, %s, %s)", rows)
    return time.perf_counter() - started, time.process_time() - cpu_started


def time_evaluation(batches: list[list]) -> tuple[float, float, int, dict]:
    from django.db import connection

    from bohai.engines.alarms.evaluation import evaluate
    from bohai.engines.alarms.models import Alarm

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    raised = cleared = updated = 0
    with connection.execute_wrapper(count):
        started, cpu_started = time.perf_counter(), time.process_time()
        for batch in batches:
            outcome = evaluate(batch, now=batch[-1].ts)
            raised, cleared, updated = raised + len(outcome.raised), cleared + len(outcome.cleared), updated + outcome.updated
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    return seconds, cpu_seconds, queries, {"alarms_raised": raised, "alarms_cleared": cleared, "alarm_updates": updated,
                              "alarms_open_after": Alarm.objects.filter(state__in=["active", "acknowledged"]).count()}


def report(results: dict) -> None:
    summary = []
    for engine, result in results.items():
        if result is None:
            continue
        for name, figures in result["passes"].items():
            print(f"[{engine}] {name} pass: writing {figures['write_per_second']:,} points/s, evaluate "
                  f"{figures['evaluate_per_second']:,} points/s, evaluate/write {figures['ratio']:.1%} "
                  f"(CPU {figures['cpu_ratio']:.1%}, evaluate {figures['evaluate_cpu_us_per_point']} µs CPU per point), "
                  f"{figures['queries_per_batch']} queries per batch, {figures['alarms_raised']} alarms raised, "
                  f"{figures['alarms_cleared']} cleared")
            summary.append(harness.figure(f"evaluate points/s, {name} pass, {engine}", figures["evaluate_per_second"],
                                          "pt/s"))
            summary.append(harness.figure(f"evaluate / writing, {name} pass, {engine}", figures["ratio"] * 100, "%",
                                          f"<= {GOAL_RATIO:.0%}", GOAL_RATIO / figures["ratio"],
                                          figures["ratio"] <= GOAL_RATIO))
    harness.print_summary(summary)
    command = "python benchmarks/bench_alarm_rules.py " + " ".join(sys.argv[1:])
    path = harness.write_results(NAME, command.strip(), summary, {"results": results})
    print(f"Wrote {path.relative_to(harness.REPO_ROOT)}")


if __name__ == "__main__":
    main()
