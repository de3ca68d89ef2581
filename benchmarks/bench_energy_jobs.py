"""The energy system's hourly jobs at city size, SQLite and PostgreSQL side by side.

The issue names no speed goal for S06; what matters is that the two hourly jobs stay far inside their hour.
This script builds `--enterprises` key enterprises (default 200, about the number of key energy-using and
polluting units a prefecture-level city monitors), each with `--meters` energy meters (hourly interval
readings of electricity, natural gas, coal and steam over this month and the previous one, written through
`telemetry.store.write`) and one CEMS monitor (so2, nox, particulates every 15 minutes over the last 8 hours,
some hours over the permit's limit), then times

    (a) `energy.monthly_figures`: this and the previous month for every enterprise (a first run that creates
        the figures, then a second that finds nothing changed), with the number of SQL queries;
    (b) `energy.check_exceedances`: the last six complete hours (first run, then a repeat that adds nothing);
    (c) a full recompute of twelve months (`bohai energy_recompute`'s work).

Goal (ours, for information): each hourly job under 60 s at 200 enterprises.

    python benchmarks/bench_energy_jobs.py                       # 200 enterprises, both databases
    python benchmarks/bench_energy_jobs.py --enterprises 50 --engine sqlite

Scratch databases: var/bench/energy.sqlite3 and PostgreSQL bohai_bench_energy (both recreated).
Writes benchmarks/results/energy_jobs.json.
"""
import argparse
import json
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone as dt_timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

NAME = "energy_jobs"
DATABASE = "energy"
POSTGRES_DATABASE = "bohai_bench_energy"
GOAL_SECONDS = 60.0
CARRIERS = {"electricity": (20_000, 60_000), "natural_gas": (200, 900), "coal": (3_000, 9_000),
            "steam": (5_000, 20_000)}
POLLUTANTS = {"so2": 35.0, "nox": 50.0, "particulates": 10.0}
WRITE_BATCH = 20_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enterprises", type=int, default=200)
    parser.add_argument("--meters", type=int, default=2)
    parser.add_argument("--engine", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_one(args.engine, args.enterprises, args.meters)))
        return
    results = {}
    for engine in harness.engines_to_run(args.engine):
        print(f"[{engine}] {args.enterprises:,} enterprises, {args.meters} meters each …", flush=True)
        results[engine] = harness.run_child(Path(__file__), engine, [
            "--child", "--enterprises", str(args.enterprises), "--meters", str(args.meters)])
    report(results)


def measure_one(engine: str, enterprises: int, meters: int) -> dict:
    harness.setup_django(harness.fresh_database(engine, DATABASE, POSTGRES_DATABASE))
    from bohai.energy.actions import load_coefficients
    from bohai.energy.figures import current_month

    load_coefficients(actor="bench")
    now = datetime.now(dt_timezone.utc)
    started = time.perf_counter()
    points = build(enterprises, meters, now, current_month(now))
    result = {"engine": engine, "enterprises": enterprises, "meters_per_enterprise": meters, "points": points,
              "build_seconds": round(time.perf_counter() - started, 1)}
    from bohai.energy import figures, jobs
    from bohai.engines.workdays.periods import add_months

    result["monthly_first"] = timed(jobs.monthly_figures)
    result["monthly_again"] = timed(jobs.monthly_figures)
    result["exceedances_first"] = timed(jobs.check_exceedances)
    result["exceedances_again"] = timed(jobs.check_exceedances)
    this_month = current_month(now)
    result["recompute_year"] = timed(lambda: figures.recompute([add_months(this_month, -i) for i in range(12)],
                                                               actor="bench"))
    return result


def timed(work) -> dict:
    from django.db import connection

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started, cpu = time.perf_counter(), time.process_time()
        outcome = work()
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    if isinstance(outcome, list):
        outcome = {"new": len(outcome)}
    return {"seconds": round(seconds, 3), "cpu_seconds": round(cpu_seconds, 3), "queries": queries,
            "outcome": outcome}


def build(enterprises: int, meters: int, now: datetime, this_month: date) -> int:
    """Enterprises, devices, permits and readings; the number of points written."""
    from bohai.energy import actions
    from bohai.energy.figures import month_bounds
    from bohai.engines.telemetry import store
    from bohai.engines.telemetry.records import Point
    from bohai.engines.workdays.periods import add_months
    from bohai.iot.models import Device, DeviceType, MetricSpec
    from bohai.kernel.identities import validators
    from bohai.kernel.organisations.models import Organisation
    from bohai.kernel.regions.models import Region

    rng = random.Random(6)
    city = Region(key="130900", code="130900", name="沧州市", level="city", centroid_lng=116.8, centroid_lat=38.3)
    city.path = city.build_path()
    city.save()
    unit = Organisation.objects.create(key="130900-ecology_environment", name="沧州市生态环境局", kind="department",
                                       function="ecology_environment", region=city, path="/130900-ecology_environment/")
    meter_type = DeviceType.objects.create(code="energy_meter", name="能耗表", category="energy")
    cems_type = DeviceType.objects.create(code="emission_monitor", name="CEMS", category="emission")
    MetricSpec.objects.bulk_create([MetricSpec(device_type=meter_type, code=c, name=c) for c in CARRIERS] +
                                   [MetricSpec(device_type=cems_type, code=p, name=p) for p in POLLUTANTS])
    start, _ = month_bounds(add_months(this_month, -1))
    hours = int((now - start).total_seconds() // 3600)
    written = 0
    pending: list = []
    for number in range(enterprises):
        body = "MA" + f"{number:06d}"
        first17 = "91130900" + body + validators.organisation_code_check_char(body)
        code = first17 + validators.credit_code_check_char(first17)
        enterprise = actions.register_enterprise(actor="bench", enterprise_code=code, name=f"基准企业{number}",
                                                 industry=("steel", "petrochemical", "building_materials")[number % 3],
                                                 region=city)
        for pollutant, limit in POLLUTANTS.items():
            actions.add_permit(actor="bench", enterprise=enterprise, permit_number=f"P{number}", pollutant=pollutant,
                               limit_mg_m3=limit, valid_from=date(2020, 1, 1))
        devices = [Device(code=f"EM-{number}-{m}", name="能耗表", device_type=meter_type, organisation=unit,
                          region=city, lng=116.8, lat=38.3, enterprise_code=code) for m in range(meters)]
        devices.append(Device(code=f"CEMS-{number}", name="CEMS", device_type=cems_type, organisation=unit,
                              region=city, lng=116.8, lat=38.3, enterprise_code=code))
        Device.objects.bulk_create(devices)
        for device in devices[:-1]:
            for carrier, series in store.series_ids(device.pk, CARRIERS).items():
                low, high = CARRIERS[carrier]
                pending += [Point(series, start + timedelta(hours=h), rng.uniform(low, high)) for h in range(hours)]
        cems_start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=8)
        for pollutant, series in store.series_ids(devices[-1].pk, POLLUTANTS).items():
            limit = POLLUTANTS[pollutant]
            pending += [Point(series, cems_start + timedelta(minutes=15 * q), rng.uniform(0.5, 1.15) * limit)
                        for q in range(32)]
        while len(pending) >= WRITE_BATCH:
            written += store.write(pending[:WRITE_BATCH]).stored
            pending = pending[WRITE_BATCH:]
    written += store.write(pending).stored if pending else 0
    return written


def report(results: dict) -> None:
    summary = []
    for engine, result in results.items():
        if result is None:
            continue
        print(f"[{engine}] built {result['points']:,} points in {result['build_seconds']} s")
        for name in ("monthly_first", "monthly_again", "exceedances_first", "exceedances_again", "recompute_year"):
            figures = result[name]
            print(f"[{engine}] {name}: {figures['seconds']} s (CPU {figures['cpu_seconds']} s), "
                  f"{figures['queries']:,} queries, {figures['outcome']}")
            goal = name.startswith(("monthly", "exceedances"))
            summary.append(harness.figure(f"{name}, {engine}", figures["seconds"], "s",
                                          f"< {GOAL_SECONDS:g} s" if goal else "",
                                          GOAL_SECONDS / max(figures["seconds"], 1e-6) if goal else None,
                                          figures["seconds"] < GOAL_SECONDS if goal else None))
    harness.print_summary(summary)
    command = "python benchmarks/bench_energy_jobs.py " + " ".join(sys.argv[1:])
    path = harness.write_results(NAME, command.strip(), summary, {"results": results})
    print(f"Wrote {path.relative_to(harness.REPO_ROOT)}")


if __name__ == "__main__":
    main()
