"""HTTP batch ingestion beside a raw bulk insert of the same rows, and the cost of alarm rules on ingestion.

On one scratch database per engine: the 16 counties, the seeded device types and DEVICES devices of four
kinds (water supply, gas, air quality, traffic; 2 to 6 metrics each). Readings are one per metric per device
per minute, sent in batches of BATCH readings. Measured in one run, in this order, on disjoint time ranges:

1. raw: the same (series, time, value) rows as the HTTP run inserted straight into the raw readings table,
   one transaction per batch (COPY on PostgreSQL, executemany on SQLite): the floor any store sits on;
2. http: POST /api/v1/iot/telemetry with a department's API key, JSON bodies of BATCH readings built before
   timing, through Django's whole request path in this process (routing, middleware, key check, schema
   validation, scope check, the ingestion pipeline with the telemetry store's rollups and latest values) —
   no socket: the server's own cost, not the client's;
3. the pipeline without rules: `iot.ingestion.ingest` on batches of the same shape;
4. with a threshold on every metric and a no-data rule per kind (the usual set-up), 5. with a rate-of-change
   rule on every metric added (the heaviest: state kept per metric): batch by batch, alternating (ABBA) between
   the whole pipeline and the same pipeline with its rule step left out, on the same growing store, so that
   both see the same table sizes; the rule cost is (with − without) / without, in wall time and, apart, in
   this process's CPU time.

Goals (issue 4): http points/s ≥ 0.5 × raw points/s; rule evaluation < 20 % of ingestion.

    python benchmarks/bench_iot_ingestion.py                      # 1,000 devices, 60 minutes of readings, both databases
    python benchmarks/bench_iot_ingestion.py --devices 200 --minutes 20 --engine sqlite

Scratch databases: var/bench/iot_ingestion.sqlite3 and PostgreSQL bohai_bench_iot_ingestion (recreated).
Writes benchmarks/results/iot_ingestion.json.
"""
import argparse
import gc
import json
import sys
import time
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

NAME = "iot_ingestion"
DATABASE = "iot_ingestion"
POSTGRES_DATABASE = "bohai_bench_iot_ingestion"
BATCH = 5000
HTTP_GOAL_RATIO = 0.5
RULE_GOAL_RATIO = 0.20
KINDS = ("water_supply", "gas_pipeline", "air_quality", "traffic")
START = datetime(2026, 10, 1, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=60, help="minutes of readings per phase")
    parser.add_argument("--engine", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_one(args.engine, args.devices, args.minutes)))
        return
    results = {}
    for engine in harness.engines_to_run(args.engine):
        print(f"[{engine}] {args.devices:,} devices, {args.minutes} minutes per phase …", flush=True)
        results[engine] = harness.run_child(Path(__file__), engine, [
            "--child", "--devices", str(args.devices), "--minutes", str(args.minutes)])
    report(results)


def measure_one(engine: str, devices: int, minutes: int) -> dict:
    harness.setup_django(harness.fresh_database(engine, DATABASE, POSTGRES_DATABASE))
    from django.conf import settings
    from django.core.management import call_command

    call_command("createcachetable", verbosity=0)  # the API's rate limits count in the database cache
    settings.BOHAI_API_AUTH_RATE = "100000000/min"
    catalogue, api_key = build_registry(devices)
    phases = {}
    phases["raw"] = time_raw_insert(engine, catalogue, START, minutes)
    phases["http"] = time_http(catalogue, api_key, START + timedelta(days=1), minutes)
    phases["pipeline_without_rules"] = time_pipeline(catalogue, START + timedelta(days=2), minutes)
    create_rules(rates=False)
    phases["threshold_rules"] = time_rule_step(catalogue, START + timedelta(days=3), minutes)
    create_rules(rates=True)
    phases["rate_rules"] = time_rule_step(catalogue, START + timedelta(days=4), minutes)
    return {"engine": engine, "devices": devices, "minutes": minutes, "batch": BATCH, "phases": phases}


def build_registry(count: int):
    """Devices created directly (set-up, not the subject); a department officer's API key for the batches."""
    import people
    from bohai.engines.telemetry import store
    from bohai.iot.actions import load_reference_device_types
    from bohai.iot.models import Device, DeviceType
    from bohai.kernel.accounts import actions as accounts
    from bohai.kernel.organisations.models import Organisation
    from bohai.kernel.regions.models import Region

    people.ensure_regions(harness.REPO_ROOT)
    accounts.ensure_reference_roles(actor="bench")
    load_reference_device_types(actor="bench")
    city = Region.objects.get(key="130900")
    unit = Organisation.objects.create(key="bench-water", name="市水务局", kind="department", function="water",
                                       region=city, path="/bench-water/")
    types = {t.code: t for t in DeviceType.objects.prefetch_related("metrics")}
    Device.objects.bulk_create([
        Device(code=f"BENCH-{i:06d}", name=f"设备 {i}", device_type=types[KINDS[i % len(KINDS)]], organisation=unit,
               region=city, lng=116.8, lat=38.3) for i in range(count)])
    catalogue = []
    for device in Device.objects.select_related("device_type"):
        metrics = [m.code for m in types[device.device_type.code].metrics.all()]
        ids = store.series_ids(device.pk, metrics)
        catalogue.append((device.code, [(metric, ids[metric], midpoint(types[device.device_type.code], metric))
                                        for metric in metrics]))
    user = accounts.create_staff_account(actor="bench", username="bench-officer", password="Bench-pass-2026!",
                                         organisation=unit)
    accounts.assign_role(user, actor="bench", role_code="device_officer", region=city, organisation=unit)
    return catalogue, issue_api_key(user)


def issue_api_key(user) -> str:
    from bohai.kernel.api import actions as api_actions

    return api_actions.issue_api_key(actor="bench", account=user, name="bench")[1]


def midpoint(device_type, metric: str) -> float:
    spec = next(m for m in device_type.metrics.all() if m.code == metric)
    low = spec.minimum or 0.0
    high = spec.maximum if spec.maximum is not None else low + 100
    return low + (high - low) * 0.3


def readings(catalogue, start: datetime, minutes: int):
    """(device code, metric, series id, ts, value) for every metric of every device each minute."""
    for minute in range(minutes):
        ts = start + timedelta(minutes=minute)
        for code, metrics in catalogue:
            for metric, series_id, value in metrics:
                yield code, metric, series_id, ts, value + (minute % 7) * 0.001


def batches(rows, size: int = BATCH):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def time_raw_insert(engine: str, catalogue, start: datetime, minutes: int) -> dict:
    from django.db import connection, transaction

    prepared = [[(series_id, ts, value) for _c, _m, series_id, ts, value in batch]
                for batch in batches(readings(catalogue, start, minutes))]
    points = sum(len(b) for b in prepared)
    set_inputs_aside()
    started = time.perf_counter()
    for batch in prepared:
        with transaction.atomic(), connection.cursor() as cursor:
            if engine == "postgres":
                with cursor.cursor.copy("COPY telemetry_reading (series_id, ts, value) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                cursor.executemany("INSERT INTO telemetry_reading (series_id, ts, value) VALUES (%s, %s, %s)",
                                   [(s, connection.ops.adapt_datetimefield_value(t), v) for s, t, v in batch])
    seconds = time.perf_counter() - started
    return {"points": points, "seconds": round(seconds, 3), "points_per_second": round(points / seconds)}


def time_http(catalogue, api_key: str, start: datetime, minutes: int) -> dict:
    from django.test import Client

    bodies = []
    for batch in batches(readings(catalogue, start, minutes)):
        grouped: dict[tuple[str, datetime], dict] = {}
        for code, metric, _series, ts, value in batch:
            grouped.setdefault((code, ts), {})[metric] = value
        bodies.append(json.dumps({"readings": [{"device": code, "ts": ts.isoformat(), "values": values}
                                               for (code, ts), values in grouped.items()]}))
    client = Client(HTTP_HOST="127.0.0.1")
    client.get("/api/v1/iot/device-types", HTTP_X_API_KEY=api_key)  # loads the middleware chain before timing
    points = accepted = 0
    set_inputs_aside()
    started = time.perf_counter()
    for body in bodies:
        response = client.post("/api/v1/iot/telemetry", body, content_type="application/json", HTTP_X_API_KEY=api_key)
        if response.status_code != 200:
            raise SystemExit(f"HTTP {response.status_code}: {response.content[:300]!r}")
        result = response.json()
        accepted += result["accepted"]
        points += result["accepted"] + result["duplicates"] + len(result["rejected"])
    seconds = time.perf_counter() - started
    return {"points": points, "accepted": accepted, "requests": len(bodies), "seconds": round(seconds, 3),
            "points_per_second": round(points / seconds)}


def set_inputs_aside() -> None:
    """Move everything alive now, the prepared batches above all, out of the garbage collector's sight: a phase's
    inputs (a few hundred thousand objects a worker never holds) made each full collection inside the timed loop
    walk them, and the pauses fell on whichever batch allocated most, the rule step's batches above all."""
    gc.collect()
    gc.freeze()


def incoming_batches(catalogue, start: datetime, minutes: int) -> list[list]:
    """The readings as the ingestion pipeline takes them, in batches, built before timing."""
    from bohai.iot.ingestion import IncomingReading

    return [[IncomingReading(code, metric, ts, value) for code, metric, _s, ts, value in batch]
            for batch in batches(readings(catalogue, start, minutes))]


def time_pipeline(catalogue, start: datetime, minutes: int) -> dict:
    from bohai.iot.ingestion import ingest

    prepared = incoming_batches(catalogue, start, minutes)
    accepted = 0
    set_inputs_aside()
    started = time.perf_counter()
    for batch in prepared:
        accepted += ingest(batch, channel="bench").accepted
    seconds = time.perf_counter() - started
    points = sum(len(b) for b in prepared)
    return {"points": points, "accepted": accepted, "seconds": round(seconds, 3),
            "points_per_second": round(points / seconds)}


def time_rule_step(catalogue, start: datetime, minutes: int) -> dict:
    """The pipeline with its rule step and without it, batch by batch in ABBA order on the same store."""
    from unittest import mock

    from bohai.iot import ingestion

    prepared = incoming_batches(catalogue, start, minutes)
    set_inputs_aside()
    modes = {"with": {"points": 0, "seconds": 0.0, "cpu_seconds": 0.0},
             "without": {"points": 0, "seconds": 0.0, "cpu_seconds": 0.0}}
    for number, batch in enumerate(prepared):
        evaluating = number % 4 in (0, 3)
        mode = modes["with" if evaluating else "without"]
        with mock.patch.object(ingestion, "_evaluate_rules") if not evaluating else nullcontext():
            started, cpu_started = time.perf_counter(), time.process_time()
            ingestion.ingest(batch, channel="bench")
            mode["seconds"] += time.perf_counter() - started
            mode["cpu_seconds"] += time.process_time() - cpu_started
        mode["points"] += len(batch)
    for mode in modes.values():
        mode["points_per_second"] = round(mode["points"] / mode["seconds"])
        mode["cpu_us_per_point"] = round(mode["cpu_seconds"] / mode["points"] * 1e6, 2)
    with_, without = modes["with"], modes["without"]
    modes["cost"] = round(without["points_per_second"] / with_["points_per_second"] - 1, 4)
    modes["cpu_cost"] = round(with_["cpu_us_per_point"] / without["cpu_us_per_point"] - 1, 4)
    return modes


def create_rules(*, rates: bool) -> None:
    """Without rates: a threshold on every metric of the four kinds and a no-data rule per kind (state kept
    per device only). With rates: a rate-of-change rule on every metric too (state kept per metric: the
    heaviest case)."""
    from bohai.engines.alarms.actions import create_rule
    from bohai.iot.models import DeviceType
    from bohai.kernel.regions.models import Region

    city = Region.objects.get(key="130900")
    for device_type in DeviceType.objects.filter(code__in=KINDS).prefetch_related("metrics"):
        for spec in device_type.metrics.all():
            high = (spec.maximum or 100) * 0.9
            if rates:
                create_rule(actor="bench", name=f"{spec.name}突变", subject_kind="iot.device", kind="rate_above",
                            subject_type=device_type.code, metric=spec.code, threshold=high / 2, severity="minor",
                            region=city)
            else:
                create_rule(actor="bench", name=f"{spec.name}过高", subject_kind="iot.device", kind="above",
                            subject_type=device_type.code, metric=spec.code, threshold=high, severity="major",
                            region=city)
        if not rates:
            create_rule(actor="bench", name=f"{device_type.name}离线", subject_kind="iot.device", kind="no_data",
                        subject_type=device_type.code, minutes=30, severity="minor", region=city)


def goal_ratio(cost: float) -> float:
    """Above 1 is better than the goal; a cost at or below zero (within noise) meets it many times over."""
    return RULE_GOAL_RATIO / cost if cost > 0.001 else RULE_GOAL_RATIO / 0.001


def report(results: dict) -> None:
    summary = []
    for engine, result in results.items():
        if result is None:
            continue
        phases = result["phases"]
        raw, http = phases["raw"]["points_per_second"], phases["http"]["points_per_second"]
        thresholds, rates = phases["threshold_rules"], phases["rate_rules"]
        typical_cost, rule_cost = thresholds["cost"], rates["cost"]
        print(f"[{engine}] raw insert {raw:,}/s; HTTP batch {http:,}/s (ratio {http / raw:.2f}); pipeline "
              f"{phases['pipeline_without_rules']['points_per_second']:,}/s without rules; thresholds and no-data "
              f"rules: {thresholds['with']['points_per_second']:,}/s with the rule step, "
              f"{thresholds['without']['points_per_second']:,}/s without (cost {typical_cost:+.1%}, CPU "
              f"{thresholds['cpu_cost']:+.1%}); with rates on every metric too: {rates['with']['points_per_second']:,}/s "
              f"against {rates['without']['points_per_second']:,}/s (cost {rule_cost:+.1%}, CPU {rates['cpu_cost']:+.1%})")
        summary.append(harness.figure(f"HTTP batch ingestion points/s, {engine}", http, "/s"))
        summary.append(harness.figure(f"raw bulk insert points/s, {engine}", raw, "/s"))
        summary.append(harness.figure(f"HTTP batch / raw insert, {engine}", http / raw, "", f">= {HTTP_GOAL_RATIO}",
                                      (http / raw) / HTTP_GOAL_RATIO, http / raw >= HTTP_GOAL_RATIO))
        summary.append(harness.figure(f"rule cost, thresholds + no-data, {engine}", typical_cost, "",
                                      f"< {RULE_GOAL_RATIO:.0%}", goal_ratio(typical_cost),
                                      typical_cost < RULE_GOAL_RATIO))
        summary.append(harness.figure(f"rule cost, + rates on every metric, {engine}", rule_cost, "",
                                      f"< {RULE_GOAL_RATIO:.0%}", goal_ratio(rule_cost),
                                      rule_cost < RULE_GOAL_RATIO))
    harness.print_summary(summary)
    command = "python benchmarks/bench_iot_ingestion.py " + " ".join(sys.argv[1:])
    path = harness.write_results(NAME, command.strip(), summary, {"results": results})
    print(f"Wrote {path.relative_to(harness.REPO_ROOT)}")


if __name__ == "__main__":
    main()
