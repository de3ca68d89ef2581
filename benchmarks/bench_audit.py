"""The cost of the audit trail.

1. A write-heavy action: identities.actions.update_person (with its audit record: snapshots before
   and after, the SM3-chained record) against the same update without the audit record, 5,000
   times each, interleaved in rounds so that both see the same machine. Goal: at most 20% slower.
   On PostgreSQL also, interleaved with them, the audited update with the record's INSERT in a round
   trip of its own, as it was before it went to the server with the COMMIT (a figure without a goal).
2. Chain verification: bohai.kernel.audit.chain.verify_chain over 200,000 sealed records, in
   records per second. Goal: at least 100,000/s.

    python benchmarks/bench_audit.py
    python benchmarks/bench_audit.py --updates 2000 --records 50000 --engine sqlite

Scratch databases: var/bench/audit.sqlite3 and PostgreSQL bohai_bench_audit (both recreated).
Writes benchmarks/results/audit.json.
"""
import argparse
import json
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

NAME = "audit"
DATABASE = "audit"
POSTGRES_DATABASE = "bohai_bench_audit"
GOAL_OVERHEAD = 0.20
GOAL_VERIFY_PER_SECOND = 100_000
ROUNDS = 10
PERSONS = 200
INSERT_BATCH = 5000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--engine", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_one(args.engine, args.updates, args.records)))
        return
    results = {}
    for engine in harness.engines_to_run(args.engine):
        print(f"[{engine}] {args.updates:,} updates each way, chain of {args.records:,} records …", flush=True)
        results[engine] = harness.run_child(
            Path(__file__), engine, ["--child", "--updates", str(args.updates), "--records", str(args.records)])
    report(results)


def measure_one(engine: str, updates: int, records: int) -> dict:
    harness.setup_django(harness.fresh_database(engine, DATABASE, POSTGRES_DATABASE))
    persons = register_persons()
    audited, plain, own_round_trip = time_updates(persons, updates)
    fill_chain(records)
    verify_seconds, verified = time_verification()
    result = {
        "engine": engine, "updates": updates,
        "audited_seconds": round(audited, 3), "plain_seconds": round(plain, 3),
        "audited_ms_per_update": round(audited / updates * 1000, 4), "plain_ms_per_update": round(plain / updates * 1000, 4),
        "overhead": round(audited / plain - 1, 4),
        "records_verified": verified, "verify_seconds": round(verify_seconds, 3),
        "verify_per_second": round(verified / verify_seconds),
    }
    if own_round_trip is not None:
        result["own_round_trip_ms_per_update"] = round(own_round_trip / updates * 1000, 4)
        result["own_round_trip_overhead"] = round(own_round_trip / plain - 1, 4)
    return result


def register_persons() -> list:
    import people
    from bohai.kernel.identities.actions import register_persons_bulk
    from bohai.kernel.identities.cleaning import clean_person
    from bohai.kernel.identities.models import Person

    region_ids = people.ensure_regions(harness.REPO_ROOT)
    codes = sorted(region_ids)
    fields = []
    for i in range(PERSONS):
        number, name, phone, address, _county = people.synthetic_person(i, codes)
        fields.append(clean_person({"id_number": number, "name": name, "phone": phone, "address": address}))
    register_persons_bulk(fields, actor="bench")
    return list(Person.objects.select_related("region").order_by("id"))


def update_without_audit(person, *, address: str):
    """update_person's work for an address change, without the snapshots and the audit record."""
    from django.db import transaction

    from bohai.kernel.identities import cleaning

    with transaction.atomic():
        person.address = cleaning.clean_text(address, "address", required=False, max_length=cleaning.MAX_ADDRESS)
        person.save()
    return person


def time_updates(persons: list, updates: int) -> tuple[float, float, float | None]:
    """Seconds for `updates` audited and `updates` plain updates, alternating in rounds.

    On PostgreSQL a third kind alternates with them: audited, with the record's INSERT in a round trip of
    its own (as before it went with the COMMIT), to show what sending it with the COMMIT saves.
    """
    from django.db import connection

    from bohai.kernel.audit.context import origin
    from bohai.kernel.identities.actions import update_person

    kinds = {"audited": 0.0, "plain": 0.0}
    if connection.vendor == "postgresql":
        kinds["own round trip"] = 0.0
    per_round = max(1, updates // ROUNDS)
    done = 0
    with origin("cli", address="bench"):
        while done < updates:
            count = min(per_round, updates - done)
            for kind in kinds:
                started = time.perf_counter()
                with records_sent_at_once(kind == "own round trip"):
                    for i in range(done, done + count):
                        if kind == "plain":
                            update_without_audit(persons[i % len(persons)], address=f"河北省沧州市新华区北京路{i}号")
                        else:
                            street = "解放西路" if kind == "audited" else "解放东路"
                            update_person(persons[i % len(persons)], actor="bench", address=f"河北省沧州市运河区{street}{i}号")
                kinds[kind] += time.perf_counter() - started
            done += count
    return kinds["audited"], kinds["plain"], kinds.get("own round trip")


@contextmanager
def records_sent_at_once(at_once: bool):
    """With `at_once`, the backend says it defers nothing, so record() runs its INSERT there and then."""
    if not at_once:
        yield
        return
    from bohai.kernel.audit.postgresql.base import DatabaseWrapper

    deferring = DatabaseWrapper.defers_statements
    DatabaseWrapper.defers_statements = False
    try:
        yield
    finally:
        DatabaseWrapper.defers_statements = deferring


def fill_chain(records: int) -> None:
    """Append unsealed records in bulk (setup), then seal them with the real sealer."""
    from django.db import transaction
    from django.utils import timezone

    from bohai.kernel.audit.chain import seal_pending
    from bohai.kernel.audit.models import AuditRecord

    start = timezone.now()
    batch = []
    for n in range(records - AuditRecord.objects.count()):
        batch.append(AuditRecord(
            created_at=start + timedelta(microseconds=n), actor_label="bench", channel="cli", address="bench",
            action="identities.person.update", target_type="identities.person", target_id=str(n % 5000 + 1),
            target_repr=f"居民{n}（130921********0012）",
            before={"name": f"居民{n}", "address": f"河北省沧州市运河区解放西路{n}号", "region_id": 3},
            after={"name": f"居民{n}", "address": f"河北省沧州市新华区北京路{n}号", "region_id": 3},
        ))
        if len(batch) == INSERT_BATCH:
            with transaction.atomic():
                AuditRecord.objects.bulk_create(batch)
            batch = []
    with transaction.atomic():
        AuditRecord.objects.bulk_create(batch)
    seal_pending()


def time_verification() -> tuple[float, int]:
    """verify_chain reads the sealed records itself (keyset batches over a raw cursor)."""
    from bohai.kernel.audit.chain import verify_chain

    started = time.perf_counter()
    report = verify_chain()
    seconds = time.perf_counter() - started
    if not report.ok:
        raise SystemExit(f"the chain did not verify: {report.problems[:3]}")
    return seconds, report.checked


def report(results: dict) -> None:
    summary = []
    for engine, result in results.items():
        if result is None:
            continue
        print(f"[{engine}] update_person {result['audited_ms_per_update']:.3f} ms with audit, "
              f"{result['plain_ms_per_update']:.3f} ms without ({result['updates']:,} each): overhead "
              f"{result['overhead']:.1%}; verify_chain {result['verify_per_second']:,} records/s "
              f"({result['records_verified']:,} in {result['verify_seconds']:.2f} s)")
        if "own_round_trip_overhead" in result:
            print(f"[{engine}] with the record's INSERT in a round trip of its own (the former way), side by side: "
                  f"{result['own_round_trip_ms_per_update']:.3f} ms, overhead {result['own_round_trip_overhead']:.1%}")
        overhead = result["overhead"]
        summary.append(harness.figure(f"audit overhead on update_person, {engine}", overhead * 100, "%",
                                      f"<= {GOAL_OVERHEAD:.0%}", (1 + GOAL_OVERHEAD) / (1 + overhead),
                                      overhead <= GOAL_OVERHEAD))
        summary.append(harness.figure(f"verify_chain records/s, {engine}", result["verify_per_second"], "rec/s",
                                      f">= {GOAL_VERIFY_PER_SECOND:,}", result["verify_per_second"] / GOAL_VERIFY_PER_SECOND,
                                      result["verify_per_second"] >= GOAL_VERIFY_PER_SECOND))
    harness.print_summary(summary)
    command = "python benchmarks/bench_audit.py " + " ".join(sys.argv[1:])
    path = harness.write_results(NAME, command.strip(), summary, {"results": results})
    print(f"Wrote {path.relative_to(harness.REPO_ROOT)}")


if __name__ == "__main__":
    main()
