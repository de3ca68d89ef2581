"""Electronic licence verifications per second on one core.

Issues a few hundred licences with the real `licenses.actions.issue_license` (SM2-signed by their
county's public security bureau), then times `licenses.verification.verify_license` by number in
random order: the query, the canonical serialisation, the SM3 digest and the SM2 signature check,
as the public page and API run it. Goal: at least 1,000 verifications/s. Beside it, for
reading the figure: SM2 verification alone on the same payloads (the ceiling the rest of the path
eats into) and issue_license/s (information, no goal).

    python benchmarks/bench_licenses.py
    python benchmarks/bench_licenses.py --licenses 300 --verifications 5000 --engine sqlite

Scratch databases: var/bench/licenses.sqlite3 and PostgreSQL bohai_bench_licenses (both recreated).
Writes benchmarks/results/licenses.json.
"""
import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

NAME = "licenses"
DATABASE = "licenses"
POSTGRES_DATABASE = "bohai_bench_licenses"
GOAL_PER_SECOND = 1_000
WARM_UP = 300
ROUNDS = 5
SEED = 2026


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--licenses", type=int, default=500)
    parser.add_argument("--verifications", type=int, default=20_000)
    parser.add_argument("--engine", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_one(args.engine, args.licenses, args.verifications)))
        return
    results = {}
    for engine in harness.engines_to_run(args.engine):
        print(f"[{engine}] {args.licenses:,} licences, {args.verifications:,} verifications …", flush=True)
        results[engine] = harness.run_child(Path(__file__), engine, [
            "--child", "--licenses", str(args.licenses), "--verifications", str(args.verifications)])
    report(results)


def pin_to_one_core() -> int | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def measure_one(engine: str, licenses: int, verifications: int) -> dict:
    core = pin_to_one_core()
    harness.setup_django(harness.fresh_database(engine, DATABASE, POSTGRES_DATABASE))
    from bohai.kernel.audit.context import origin

    with origin("cli", address="bench"):
        issue_seconds, numbers = issue_licences(licenses)
    rng = random.Random(SEED)
    order = [rng.choice(numbers) for _ in range(verifications)]
    verify_wall, verify_cpu, verdicts = time_verifications(numbers, order)
    sm2_per_second = time_sm2_alone(numbers, verifications)
    return {
        "engine": engine, "core": core, "licences": licenses, "verifications": verifications,
        "issue_per_second": round(licenses / issue_seconds, 1),
        "verify_per_second": round(verifications / verify_wall), "verify_cpu_per_second": round(verifications / verify_cpu),
        "verify_ms": round(verify_wall / verifications * 1000, 4), "sm2_verify_alone_per_second": round(sm2_per_second),
        "verdicts": verdicts,
    }


def issue_licences(count: int) -> tuple[float, list[str]]:
    """Persons in the 16 counties, each given a resident identity card by their county's bureau (timed)."""
    import people
    from bohai.kernel.identities.actions import register_persons_bulk
    from bohai.kernel.identities.cleaning import clean_person
    from bohai.kernel.identities.models import Person
    from bohai.kernel.organisations.models import Organisation
    from bohai.licenses.actions import issue_license, load_license_types

    region_ids = people.ensure_regions(harness.REPO_ROOT)
    codes = sorted(region_ids)
    units = {}
    for code, region_id in region_ids.items():
        units[region_id] = Organisation.objects.create(
            key=f"{code}-public_security", name=f"{code}公安局", kind="department", function="public_security",
            region_id=region_id, path=f"/{code}-public_security/")
    load_license_types(actor="bench")
    fields = [clean_person(dict(zip(("id_number", "name", "phone", "address"), people.synthetic_person(i, codes)[:4])))
              for i in range(count)]
    register_persons_bulk(fields, actor="bench")
    persons = list(Person.objects.order_by("id"))
    started = time.perf_counter()
    for person in persons:
        issue_license(type_code="resident_id_card", issuing_organisation=units[person.region_id], holder_person=person,
                      fields={"gender": person.get_gender_display(), "ethnicity": "汉",
                              "birth_date": person.birth_date.isoformat(), "address": person.address},
                      actor="bench")
    seconds = time.perf_counter() - started
    from bohai.licenses.models import License

    return seconds, list(License.objects.values_list("number", flat=True))


def time_verifications(numbers: list[str], order: list[str]) -> tuple[float, float, dict]:
    """The best of ROUNDS passes over the same random order, wall and CPU time."""
    from bohai.licenses.verification import verify_license

    for number in numbers[:WARM_UP]:
        verify_license(number)
    best_wall = best_cpu = float("inf")
    verdicts: dict[str, int] = {}
    per_round = max(1, len(order) // ROUNDS)
    for start in range(0, len(order), per_round):
        chunk = order[start:start + per_round]
        wall, cpu = time.perf_counter(), time.process_time()
        results = [verify_license(number).verdict for number in chunk]
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        best_wall, best_cpu = min(best_wall, wall / len(chunk)), min(best_cpu, cpu / len(chunk))
        for verdict in results:
            verdicts[verdict] = verdicts.get(verdict, 0) + 1
    return best_wall * len(order), best_cpu * len(order), verdicts


def time_sm2_alone(numbers: list[str], count: int) -> float:
    """gmssl-pyx's SM2 verification of the same stored payloads and signatures, nothing else."""
    import base64

    import gmssl_pyx

    from bohai.licenses import signing
    from bohai.licenses.models import License

    cases = []
    for license in License.objects.select_related("license_type", "signing_key").filter(number__in=numbers[:200]):
        cases.append((bytes.fromhex(license.signing_key.public_key), signing.canonical_payload(license),
                      base64.b64decode(license.signature)))
    started = time.perf_counter()
    for i in range(count):
        public_key, payload, signature = cases[i % len(cases)]
        gmssl_pyx.sm2_verify(public_key, payload, signature, signer_id=signing.SIGNER_ID)
    return count / (time.perf_counter() - started)


def report(results: dict) -> None:
    summary = []
    for engine, result in results.items():
        if result is None:
            continue
        rate = result["verify_per_second"]
        print(f"[{engine}] verify_license {rate:,}/s ({result['verify_ms']:.3f} ms each; CPU "
              f"{result['verify_cpu_per_second']:,}/s); SM2 verify alone {result['sm2_verify_alone_per_second']:,}/s; "
              f"issue_license {result['issue_per_second']:,}/s; verdicts {result['verdicts']}")
        summary.append(harness.figure(f"verify_license/s on one core, {engine}", rate, "/s", f">= {GOAL_PER_SECOND:,}",
                                      rate / GOAL_PER_SECOND, rate >= GOAL_PER_SECOND))
        summary.append(harness.figure(f"SM2 verify alone/s (ceiling), {engine}", result["sm2_verify_alone_per_second"], "/s"))
        summary.append(harness.figure(f"issue_license/s, {engine}", result["issue_per_second"], "/s"))
    harness.print_summary(summary)
    command = "python benchmarks/bench_licenses.py " + " ".join(sys.argv[1:])
    path = harness.write_results(NAME, command.strip(), summary, {"results": results})
    print(f"Wrote {path.relative_to(harness.REPO_ROOT)}")


if __name__ == "__main__":
    main()
