"""The operations centre's device map (bohai/operations/clusters.py) over 100,000 devices, SQLite and PostgreSQL.

Builds once per size (reused while the fingerprint matches) the real Cangzhou counties, five device types and
N devices (bulk_create) spread over the city with a mix of recent, stale and missing last-seen times, about
0.5 % of them with an open alarm. Then runs the minute's counting job (`refresh_cells`, timed) and measures the server's answer of GET /api/v1/operations/map/devices
(through Django's test client: routing, session auth, scoping, the grouped SQL, JSON) for

    the whole city at a 1,000-pixel-wide screen's zoom (the large screen's first view), as a duty officer
    scoped to the city, as a superuser and as a county officer (the restriction joins the regions),
    and a zoomed-in view (one county's seat, cells of ~200 m),

each `--repeat` times after one cold call: p50/p95/max. Goal: p95 < 300 ms for every view.

    python benchmarks/bench_ops_map.py                        # 100,000 devices, both engines
    python benchmarks/bench_ops_map.py --devices 20000 --engine sqlite

Scratch databases: var/bench/ops_map[_N].sqlite3 and PostgreSQL bohai_bench_ops_map[_N].
Writes benchmarks/results/ops_map.json.
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

NAME = "ops_map"
DATABASE = "ops_map"
POSTGRES_DATABASE = "bohai_bench_ops_map"
FULL_SIZE = 100_000
FINGERPRINT = "v1"
GOAL_MS = 300.0
CITY_BBOX = (115.7, 37.45, 117.95, 38.95)
SCREEN_PIXELS = 1000
TYPES = (("water_supply", "供水监测", "water", 15), ("manhole_cover", "智能井盖", "manhole", 1500),
         ("traffic", "交通流量检测", "traffic", 10), ("air_quality", "空气质量监测站", "air", 90),
         ("gas_pipeline", "燃气管网监测", "gas", 10))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=FULL_SIZE)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--engine", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_one(args), default=str))
        return
    results = {}
    for engine in harness.engines_to_run(args.engine):
        print(f"[{engine}] {args.devices:,} devices …", flush=True)
        arguments = ["--child", "--devices", str(args.devices), "--repeat", str(args.repeat), "--seed", str(args.seed)]
        results[engine] = harness.run_child(Path(__file__), engine, arguments + (["--rebuild"] if args.rebuild else []))
    report(args, results)


def measure_one(args) -> dict:
    engine = args.engine
    bench_databases.open_bench_database(engine, DATABASE, POSTGRES_DATABASE, args.devices, FULL_SIZE)
    build_seconds = bench_databases.ensure_built(
        engine, "ops_map", f"{args.devices}:{FINGERPRINT}", args.rebuild,
        lambda: build(engine, args.devices, random.Random(args.seed)), f"{args.devices:,} devices")
    from django.conf import settings
    from django.core.management import call_command

    call_command("createcachetable", verbosity=0)  # the API's rate limits count in the database cache
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    from bohai.iot.models import Device

    users = officers()
    result = {"engine": engine, "devices": Device.objects.count(), "build_seconds": build_seconds,
              "load_average_before": harness.machine()["load_average"], "views": {}}
    from bohai.operations.clusters import refresh_cells

    started = time.perf_counter()
    result["cells"] = refresh_cells()  # what the job operations.refresh_map_cells does every minute
    result["refresh_ms"] = round((time.perf_counter() - started) * 1000, 1)
    seat = county_by_key("130903")  # 运河区, the city seat
    views = {
        "city, duty officer": (users["duty"], CITY_BBOX),
        "city, superuser": (users["admin"], CITY_BBOX),
        "city, county officer": (users["county"], CITY_BBOX),
        "seat zoomed in, duty officer": (users["duty"], (seat.centroid_lng - 0.05, seat.centroid_lat - 0.035,
                                                        seat.centroid_lng + 0.05, seat.centroid_lat + 0.035)),
    }
    for label, (user, bbox) in views.items():
        result["views"][label] = measure_view(user, bbox, args.repeat)
    result["load_average_after"] = harness.machine()["load_average"]
    return result


def zoom_for(bbox) -> float:
    return math.log2(360 * SCREEN_PIXELS / (256 * (bbox[2] - bbox[0])))


def measure_view(user, bbox, repeat: int) -> dict:
    from bohai.testing.fixtures import signed_in_client

    client = signed_in_client(user)
    url = (f"/api/v1/operations/map/devices?bbox={','.join(f'{v:.5f}' for v in bbox)}&zoom={zoom_for(bbox):.2f}")
    timings, answer = [], None
    for _ in range(repeat + 1):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
        answer = response.json()
    cold, warm = timings[0], sorted(timings[1:])
    items = answer.get("clusters") or answer.get("devices") or []
    return {"url": url, "cold_ms": round(cold, 1), "p50_ms": round(harness.percentile(warm, 0.5), 1),
            "p95_ms": round(harness.percentile(warm, 0.95), 1), "max_ms": round(warm[-1], 1),
            "kind": answer["kind"], "total": answer["total"], "items": len(items), "bytes": len(response.content)}


# Building ---------------------------------------------------------------------------------------

def build(engine: str, devices: int, rng: random.Random) -> None:
    from django.db import connection

    from bohai.engines.alarms.models import Alarm, Rule
    from bohai.iot.models import Device, DeviceType
    from bohai.kernel.accounts.actions import ensure_reference_roles
    from bohai.kernel.regions.actions import load_reference_divisions
    from bohai.kernel.regions.models import Region

    Alarm.objects.all().delete()
    Rule.objects.all().delete()
    Device.objects.all().delete()
    ensure_reference_roles(actor="bench")
    load_reference_divisions(actor="bench")
    kinds = [DeviceType.objects.update_or_create(code=code, defaults={"name": name, "category": category,
                                                                      "offline_after_minutes": minutes})[0]
             for code, name, category, minutes in TYPES]
    counties = list(Region.objects.filter(level__in=("county", "zone"), centroid_lng__isnull=False).defer("boundary"))
    units = {county.pk: unit_in(county) for county in counties}
    now = datetime.now(timezone.utc)
    rows = []
    for number in range(devices):
        county = rng.choice(counties)
        lng = county.centroid_lng + rng.gauss(0, 0.08)
        lat = county.centroid_lat + rng.gauss(0, 0.06)
        seen = rng.random()
        last_seen = None if seen < 0.05 else now - timedelta(minutes=rng.uniform(0, 8) if seen < 0.85 else rng.uniform(30, 3000))
        rows.append(Device(code=f"bench-{number:06d}", name=f"设备{number:06d}", device_type=kinds[number % len(kinds)],
                           organisation=units[county.pk], region=county, lng=lng, lat=lat, last_seen_at=last_seen))
    Device.objects.bulk_create(rows, batch_size=5000)
    city = Region.objects.get(level="city")
    rule = Rule.objects.create(name="压力过低", subject_kind="iot.device", metric="pressure", kind="below", threshold=0.14,
                               region=city)
    alarmed = rng.sample(list(Device.objects.values_list("pk", "region_id", "organisation_id", "lng", "lat")),
                         max(1, devices // 200))
    Alarm.objects.bulk_create([Alarm(rule=rule, subject_kind="iot.device", subject_id=pk, subject_label=f"设备{pk}",
                                     organisation_id=unit, region_id=region, lng=lng, lat=lat, severity="major",
                                     escalated_at=now, raised_at=now, last_seen_at=now, message="压力过低")
                               for pk, region, unit, lng, lat in alarmed], batch_size=2000)
    if engine == "postgres":
        bench_databases.vacuum_analyze(("iot_device", "alarms_alarm", "regions_region"))
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def unit_in(county):
    from bohai.kernel.organisations.models import Organisation

    key = f"{county.key}-bench-utility"
    return Organisation.objects.get_or_create(key=key, defaults={
        "name": f"{county.name}城市运行管理单位", "kind": "department", "region": county, "path": f"/{key}/"})[0]


def county_by_key(key: str):
    from bohai.kernel.regions.models import Region

    return Region.objects.defer("boundary").get(key=key)


def officers() -> dict:
    from bohai.kernel.accounts import actions as account_actions
    from bohai.kernel.accounts.models import User
    from bohai.kernel.regions.models import Region

    city, county = Region.objects.defer("boundary").get(level="city"), county_by_key("130921")
    unit = unit_in(county)
    found = {}
    for username, role, region in (("bench-ops-duty", "ops_duty_officer", city), ("bench-ops-county", "county_officer", county)):
        user = User.objects.filter(username=username).first()
        if user is None:
            user = account_actions.create_staff_account(actor="bench", username=username, password="Bench-pass-2026!",
                                                        organisation=unit)
            account_actions.assign_role(user, actor="bench", role_code=role, region=region)
        found[role] = user
    admin = User.objects.filter(username="bench-ops-admin").first() or User.objects.create_superuser(
        username="bench-ops-admin", password="Bench-pass-2026!")
    return {"duty": found["ops_duty_officer"], "county": found["county_officer"], "admin": admin}


def report(args, results: dict) -> None:
    summary = []
    for engine, result in results.items():
        if result is None:
            continue
        for label, view in result["views"].items():
            summary.append(harness.figure(f"map {label} p95, {engine}, {result['devices']:,} devices", view["p95_ms"],
                                          "ms", f"< {GOAL_MS:.0f} ms", GOAL_MS / view["p95_ms"], view["p95_ms"] < GOAL_MS))
            print(f"[{engine}] {label}: {view['kind']} {view['items']} of {view['total']:,} devices, "
                  f"{view['bytes']:,} bytes; cold {view['cold_ms']} ms, p50 {view['p50_ms']} ms, max {view['max_ms']} ms")
        summary.append(harness.figure(f"counting job (every minute), {engine}", result["refresh_ms"], "ms"))
        print(f"[{engine}] {result['cells']:,} pre-counted cells in {result['refresh_ms']} ms; "
              f"load {result['load_average_before']} → {result['load_average_after']}")
    ratios = {engine: r["views"]["city, duty officer"]["p95_ms"] for engine, r in results.items() if r}
    if len(ratios) == 2:
        summary.append(harness.figure("PostgreSQL / SQLite, city view p95", ratios["postgres"] / ratios["sqlite"], "x"))
    harness.print_summary(summary)
    command = "python benchmarks/bench_ops_map.py " + " ".join(sys.argv[1:])
    path = harness.write_results(NAME, command.strip(), summary, {"results": results})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
