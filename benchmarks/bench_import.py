"""Import of 1,000,000 persons from CSV through the real importer, against a raw bulk insert.

The importer (transfer.actions.import_file: file checks, row cleaning, duplicate checks, SM4
encryption and SM3 blind indexes, batches of 2,000 through register_persons_bulk with one audit
record each) is timed end to end. The baseline inserts the same persons, already encrypted and
indexed outside the timing, with executemany (SQLite) or COPY (PostgreSQL) in transactions of
2,000 rows, into the same table of the same database in the same run. Goal: importer rows/s at
least 0.3 of the raw insert's.

    python benchmarks/bench_import.py                  # 1,000,000 rows
    python benchmarks/bench_import.py --rows 100000 --engine sqlite

Scratch databases: var/bench/import.sqlite3 and PostgreSQL bohai_bench_import (both recreated).
Writes benchmarks/results/import.json.
"""
import argparse
import csv
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

NAME = "import"
DATABASE = "import"
POSTGRES_DATABASE = "bohai_bench_import"
FULL_SIZE = 1_000_000
GOAL_RATIO = 0.3
BATCH = 2000
CHUNK = 50_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=FULL_SIZE)
    parser.add_argument("--engine", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_one(args.engine, args.rows)))
        return
    path = csv_path(args.rows)
    if not path.exists():
        write_csv(path, args.rows)
    results = {}
    for engine in harness.engines_to_run(args.engine):
        print(f"[{engine}] importing {args.rows:,} persons …", flush=True)
        results[engine] = harness.run_child(Path(__file__), engine, ["--child", "--rows", str(args.rows)])
    report(results)


def csv_path(rows: int) -> Path:
    return harness.SCRATCH_DIR / f"persons-{rows}.csv"


def write_csv(path: Path, rows: int) -> None:
    import people

    codes = sorted(code for code, _name, _population in people.county_codes(harness.REPO_ROOT))
    harness.SCRATCH_DIR.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with open(temporary, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["身份证号", "姓名", "手机号", "住址", "所属区划"])
        for i in range(rows):
            number, name, phone, address, _county = people.synthetic_person(i, codes)
            writer.writerow([number, name, phone, address, ""])
    temporary.replace(path)


def measure_one(engine: str, rows: int) -> dict:
    harness.setup_django(harness.fresh_database(engine, DATABASE, POSTGRES_DATABASE))
    import people

    region_ids = people.ensure_regions(harness.REPO_ROOT)
    raw_seconds = time_raw_insert(engine, rows, region_ids)
    empty_person_table(engine)
    importer_seconds, run = time_importer(rows)
    if run.imported_count != rows:
        raise SystemExit(f"the importer stored {run.imported_count} of {rows} rows: {run.errors[:3]}")
    return {
        "engine": engine, "rows": rows,
        "importer_seconds": round(importer_seconds, 2), "importer_rows_per_second": round(rows / importer_seconds),
        "raw_seconds": round(raw_seconds, 2), "raw_rows_per_second": round(rows / raw_seconds),
        "ratio": round(raw_seconds / importer_seconds, 3), "audit_records": audit_batches(),
    }


def time_importer(rows: int):
    from bohai.kernel.audit.context import origin
    from bohai.kernel.transfer.actions import import_file

    with open(csv_path(rows), "rb") as stream, origin("cli", address="bench"):
        started = time.perf_counter()
        run = import_file("persons", stream, actor="bench", file_name=csv_path(rows).name, max_bytes=None)
        return time.perf_counter() - started, run


def time_raw_insert(engine: str, rows: int, region_ids: dict[str, int]) -> float:
    """Seconds spent inserting (only): rows are read and encrypted chunk by chunk outside the timing."""
    from django.db import transaction

    import people

    now = people.now_for(engine)
    spent = 0.0
    for chunk in read_chunks(rows):
        stored = [people.stored_row(number, name, phone, address, region_ids[number[:6]], now, engine)
                  for number, name, phone, address in chunk]
        started = time.perf_counter()
        for start in range(0, len(stored), BATCH):
            with transaction.atomic():
                people.insert_rows(engine, stored[start:start + BATCH])
        spent += time.perf_counter() - started
    return spent


def read_chunks(rows: int):
    with open(csv_path(rows), encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        chunk = []
        for number, name, phone, address, _region in reader:
            chunk.append((number, name, phone, address))
            if len(chunk) == CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def empty_person_table(engine: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if engine == "postgres":
            cursor.execute("TRUNCATE identities_person RESTART IDENTITY CASCADE")
            cursor.execute("VACUUM ANALYZE identities_person")
        else:
            cursor.execute("DELETE FROM identities_person")


def audit_batches() -> int:
    from bohai.kernel.audit.models import AuditRecord

    return AuditRecord.objects.filter(action="identities.person.bulk_register").count()


def report(results: dict) -> None:
    summary = []
    for engine, result in results.items():
        if result is None:
            continue
        print(f"[{engine}] {result['rows']:,} rows: importer {result['importer_rows_per_second']:,} rows/s "
              f"({result['importer_seconds']:.1f} s, {result['audit_records']} audited batches); raw insert "
              f"{result['raw_rows_per_second']:,} rows/s ({result['raw_seconds']:.1f} s); ratio {result['ratio']:.3f}")
        summary.append(harness.figure(f"import rows/s, {engine}, {result['rows']:,} rows",
                                      result["importer_rows_per_second"], "rows/s"))
        summary.append(harness.figure(f"raw insert rows/s, {engine}", result["raw_rows_per_second"], "rows/s"))
        summary.append(harness.figure(f"importer / raw insert, {engine}", result["ratio"], "×",
                                      f">= {GOAL_RATIO}", result["ratio"] / GOAL_RATIO, result["ratio"] >= GOAL_RATIO))
    harness.print_summary(summary)
    command = "python benchmarks/bench_import.py " + " ".join(sys.argv[1:])
    path = harness.write_results(NAME, command.strip(), summary, {"results": results})
    print(f"Wrote {path.relative_to(harness.REPO_ROOT)}")


if __name__ == "__main__":
    main()
