"""Run every benchmarks/bench_*.py and print one table of figure, goal and ratio.

By default each benchmark runs at a size a 2-core machine finishes in a few minutes; --full runs
them at the sizes their goals name (7.3 million persons, 1 million imported rows: allow an hour).

    python benchmarks/run_all.py                 # `make bench`
    python benchmarks/run_all.py --full
    python benchmarks/run_all.py --only import --only audit --sqlite-only

Each benchmark writes benchmarks/results/<name>.json; this writes benchmarks/results/summary.json.
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
# Sizes for `make bench`; the scripts' own defaults are the full sizes.
MODEST_ARGUMENTS = {
    "person_lookup": ["--persons", "300000", "--lookups", "20000"],
    "import": ["--rows", "100000"],
    "audit": ["--updates", "2000", "--records", "200000"],
    "licenses": ["--licenses", "300", "--verifications", "10000"],
    "services_submit": ["--residents", "1000", "--seconds", "10"],
    "services_stats": ["--rows", "200000"],
    "telemetry_query": ["--readings", "2000000", "--write-points", "100000"],
    "ops_map": ["--repeat", "10"],
    "mqtt_ingestion": ["--seconds", "8", "--rss-devices", "20000"],
    "alarm_rules": ["--readings", "20000"],
    "raw_key": ["--series", "500", "--readings", "4000", "--rounds", "20"],
}
POSTGRES_ONLY = {"raw_key"}  # left out with --sqlite-only or where PostgreSQL is not reachable
ENGINE_AWARE = {"person_lookup", "import", "audit", "licenses", "services_submit", "services_stats", "telemetry_query",
                "ops_map", "mqtt_ingestion", "alarm_rules"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="full sizes (slow)")
    parser.add_argument("--only", action="append", default=[], help="run only this benchmark (repeatable)")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL in the database benchmarks")
    args = parser.parse_args()
    rows, failures = [], []
    for script in sorted(BENCH_DIR.glob("bench_*.py")):
        name = script.stem.removeprefix("bench_")
        if args.only and name not in args.only:
            continue
        if name in POSTGRES_ONLY and (args.sqlite_only or not harness.postgres_reachable()):
            print(f"\n=== {script.name}: left out (PostgreSQL only)", flush=True)
            continue
        arguments = [] if args.full else MODEST_ARGUMENTS.get(name, [])
        if args.sqlite_only and name in ENGINE_AWARE:
            arguments = [*arguments, "--engine", "sqlite"]
        print(f"\n=== {script.name} {' '.join(arguments)}", flush=True)
        started = time.time()
        completed = subprocess.run([sys.executable, str(script), *arguments], cwd=harness.REPO_ROOT)
        result = fresh_result(name, started)
        if completed.returncode != 0 or result is None:
            failures.append(name)
            rows.append({"benchmark": name, "figure": "(failed or wrote no result)", "value": None, "unit": "",
                         "goal": "", "ratio": None, "met": False})
            continue
        rows.extend({"benchmark": name, **row} for row in summary_rows(result))
    print_table(rows)
    write_summary(rows, args)
    if failures:
        print(f"\nFailed: {', '.join(failures)}")
        sys.exit(1)


def fresh_result(name: str, started: float) -> dict | None:
    path = harness.RESULTS_DIR / f"{name}.json"
    if not path.exists() or path.stat().st_mtime < started:
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def summary_rows(result: dict) -> list[dict]:
    """Our benchmarks write a summary; others write results entries with figures named *_per_second
    beside goal_per_second: each such figure becomes a row, its ratio the figure over the goal."""
    if "summary" in result:
        return result["summary"]
    rows = []
    for entry in result.get("results", []):
        goal = entry.get("goal_per_second")
        if not goal:
            continue
        label = " ".join(str(entry[part]) for part in ("name", "mode") if part in entry)
        for key, value in entry.items():
            if key.endswith("_per_second") and key != "goal_per_second" and isinstance(value, (int, float)):
                rows.append({"figure": f"{label}, {key.removesuffix('_per_second').replace('_', ' ')}",
                             "value": value, "unit": "/s", "goal": f">= {goal:,}", "ratio": value / goal,
                             "met": value >= goal})
    return rows


def print_table(rows: list[dict]) -> None:
    print("\n" + "=" * 118)
    print(f"{'benchmark':<14} {'figure':<50} {'value':>14} {'unit':<7} {'goal':<16} {'ratio':>6}  verdict")
    print("-" * 118)
    for row in rows:
        value = "" if row["value"] is None else f"{row['value']:,.3f}"
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}"
        verdict = "" if row["met"] is None else ("met" if row["met"] else "NOT met")
        print(f"{row['benchmark']:<14} {row['figure'][:50]:<50} {value:>14} {row['unit']:<7} {row['goal']:<16} "
              f"{ratio:>6}  {verdict}")
    print("(ratio > 1 is better than the goal)")


def write_summary(rows: list[dict], args) -> None:
    command = "python benchmarks/run_all.py " + " ".join(sys.argv[1:])
    harness.write_results("summary", command.strip(), rows, {"full_size": args.full})


if __name__ == "__main__":
    main()
