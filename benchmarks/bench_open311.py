"""Open311 reports under load: POST /open311/v2/requests.json on a real server.

A database set up by the real `bohai setup --no-demo` in a scratch BOHAI_VAR_DIR (its keys, its
trained dispatch model, its files), SQLite in that directory and a freshly created PostgreSQL
database (dropped at the end), measured side by side in one run. The server is gunicorn (gthread
workers, as benchmarks/bench_services_submit.py: runserver is one threaded process). 50 client
threads, each on its own keep-alive connection and with its own API key (50 apps, each within
BOHAI_API_AUTH_RATE), post form-encoded reports as a city app would: a service code and a text
taken from the appeal corpus' held-out split (bohai/engines/text/data/appeals.csv, its label mapped
to the class that carries it), coordinates inside the city's grids and counties, the 12345
topics' appeal_type, and on every third report a caller's name and mobile number (stored SM4
encrypted and masked). Every report runs the whole intake: key check, location to
county/township/grid, the dispatch model's top three with the responsible unit at the place,
numbering, the workflow start, the timeline event, the audit record, the outbox event and the
per-key count (on the key's row).

Goal: at least 200 reports/s with p95 under 200 ms.

    python benchmarks/bench_open311.py                               # both databases
    python benchmarks/bench_open311.py --engine sqlite --seconds 10
    python benchmarks/bench_open311.py --profile 200                 # + where one request's time goes
    python benchmarks/bench_open311.py --photo-every 10              # + a small PNG (multipart) on every 10th

Writes benchmarks/results/open311.json.
"""
import argparse
import csv
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
import http_load  # noqa: E402
from http_load import close_connections, log  # noqa: E402

NAME = "open311"
POSTGRES_DATABASE = "bohai_bench_open311"
URL_PATH = "/open311/v2/requests.json"
READY_PATH = "/open311/v2/services/P0101.json"
GOAL_PER_SECOND = 200
GOAL_P95_MS = 200
CORPUS = harness.REPO_ROOT / "bohai" / "engines" / "text" / "data" / "appeals.csv"
BOUNDARY = "----bohai-bench-open311"
# Threads per gunicorn worker. On SQLite more threads only queue for the one write lock and share their
# process's interpreter (2 × 2 threads: 244 reports/s against 320-335 with 2 × 1, 3 Dec, writers taking
# turns on the lock file); on PostgreSQL threads overlap the database round trips (2 × 1: 20/s; 2 × 4:
# 45/s on 2 Dec; 2 × 2, 2 × 3 and 2 × 4 within 5 % of each other on 3 Dec).
DEFAULT_THREADS = {"sqlite": 1, "postgres": 4}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument("--clients", type=int, default=50, help="concurrent client threads (keep-alive), one key each")
    parser.add_argument("--seconds", type=float, default=20, help="measured window")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of load before the window (workers load the model)")
    parser.add_argument("--max-requests", type=int, default=15000, help="upper bound on requests sent")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (one per core)")
    parser.add_argument("--threads", type=int, default=0,
                        help="threads per worker; default 1 on SQLite, 4 on PostgreSQL (measured: 1, 2, 4 on SQLite; 1, 4 on PostgreSQL)")
    parser.add_argument("--photo-every", type=int, default=0, help="attach a small PNG (multipart) to every Nth report")
    parser.add_argument("--profile", type=int, default=0, help="first profile N reports in-process (no server)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_one(args)))
        return
    results = {}
    chosen_threads = args.threads
    for engine in harness.engines_to_run(args.engine):
        args.threads = chosen_threads or DEFAULT_THREADS[engine]
        print(f"[{engine}] bohai setup --no-demo in a scratch BOHAI_VAR_DIR, then {args.clients} clients for "
              f"{args.seconds:g} s against gunicorn ({args.workers} workers × {args.threads} threads) …", flush=True)
        results[engine] = harness.run_child(Path(__file__), engine, child_arguments(args))
    args.threads = chosen_threads
    report(results, args)


def child_arguments(args) -> list[str]:
    arguments = ["--child"]
    for name in ("clients", "seconds", "warmup", "max_requests", "workers", "threads", "photo_every", "profile"):
        arguments += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    return arguments


# The scratch platform ---------------------------------------------------------------------------

def measure_one(args) -> dict:
    engine = args.engine
    var_dir = Path(tempfile.mkdtemp(prefix=f"bohai-bench-open311-{engine}-"))
    try:
        if engine == "postgres":
            harness.drop_postgres_database(POSTGRES_DATABASE)
            harness.ensure_postgres_database(POSTGRES_DATABASE)
            url = harness.database_url(engine, POSTGRES_DATABASE)
        else:
            url = f"sqlite:///{var_dir / 'bench.sqlite3'}"
        environment = {**os.environ, "BOHAI_VAR_DIR": str(var_dir), "BOHAI_DATABASE_URL": url, "BOHAI_DEBUG": "0",
                       "DJANGO_SETTINGS_MODULE": "bohai.settings", "PYTHONPATH": str(harness.REPO_ROOT)}
        environment.pop("BOHAI_FILES_DIR", None)
        http_load.bohai_setup(environment, engine)
        os.environ.update({k: environment[k] for k in ("BOHAI_VAR_DIR", "BOHAI_DEBUG")})
        os.environ.pop("BOHAI_FILES_DIR", None)
        harness.setup_django(url)
        keys = issue_keys(args.clients)
        requests = build_requests(args.max_requests, args.clients, keys, args.photo_every)
        result = {"engine": engine, "clients": args.clients, "workers": args.workers, "threads": args.threads,
                  "photo_every": args.photo_every, "services": len({r[2] for r in requests})}
        if args.profile:
            result["profile"] = profile_in_process(keys[0], args.profile, args.photo_every)
        close_connections()
        server, port = http_load.start_server(environment, args.workers, args.threads, READY_PATH, wait_seconds=90,
                                              pause=0.5)
        try:
            database = POSTGRES_DATABASE if engine == "postgres" else None
            # Client c sends the reports numbered c, c + clients, …, all with its own key.
            result.update(http_load.run_load(port, URL_PATH, requests, args.clients, args.warmup, args.seconds,
                                             by_client=True, per="report",
                                             cpu_probe=lambda: http_load.server_cpu_seconds(server.pid, database)))
        finally:
            http_load.stop_server(server)
        result["stored"] = count_reports()
        close_connections()
        if engine == "postgres":
            harness.drop_postgres_database(POSTGRES_DATABASE)
        return result
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def issue_keys(count: int) -> list[str]:
    """One service account and API key per client: 50 apps, each within the per-key limit."""
    from bohai.kernel.accounts.actions import create_staff_account
    from bohai.kernel.api.actions import issue_api_key
    from bohai.kernel.audit.context import origin
    from bohai.kernel.organisations.models import Organisation

    unit = Organisation.objects.filter(function="grid_command").first() or Organisation.objects.first()
    keys = []
    with origin("cli", address="bench"):
        for i in range(count):
            account = create_staff_account(actor="bench", username=f"open311-app-{i:03d}", password="Bench-pass-2026!",
                                           organisation=unit)
            keys.append(issue_api_key(actor="bench", name=f"随手拍 {i}", account=account)[1])
    return keys


def places() -> tuple[list, list]:
    """Points inside the city: one inside each (demo) grid of the city seat, and one inside each township
    and county beyond the grids."""
    from bohai.kernel.regions.geometry import geometry_from_geojson
    from bohai.kernel.regions.models import Region

    grids, wider = [], []
    for region in Region.objects.filter(level__in=["grid", "township", "county"]).exclude(boundary=None):
        point = geometry_from_geojson(region.boundary).representative_point()
        (grids if region.level == "grid" else wider).append((round(point.x, 6), round(point.y, 6)))
    return grids or wider, wider


def corpus_reports() -> list[tuple[str, str, str]]:
    """(service_code, kind, text) from the corpus' held-out split, the label mapped to its class."""
    from bohai.cases.models import CaseClass

    by_label: dict[str, CaseClass] = {}
    for case_class in CaseClass.objects.filter(active=True, parent__isnull=False).exclude(model_label="").order_by(
            "kind", "code"):
        by_label.setdefault(case_class.model_label, case_class)
    found = []
    with CORPUS.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            case_class = by_label.get(row["class_code"])
            if row["split"] == "test" and case_class is not None:
                found.append((case_class.code, case_class.kind, row["text"][:4000]))
    return found


def small_png(i: int) -> bytes:
    from io import BytesIO

    from PIL import Image

    image = Image.new("RGB", (32, 24), (240, 240, 235))
    for bit in range(32):
        if i >> bit & 1:
            image.putpixel((bit, 3), (20, 20, 20))
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def multipart(fields: dict, png: bytes) -> bytes:
    chunks = []
    for name, value in fields.items():
        chunks += [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode(),
                   str(value).encode(), b"\r\n"]
    chunks += [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="media"; filename="photo.png"\r\n'
               f"Content-Type: image/png\r\n\r\n".encode(), png, b"\r\n", f"--{BOUNDARY}--\r\n".encode()]
    return b"".join(chunks)


def report_fields(i: int, key: str, points, reports) -> dict:
    code, kind, text = reports[i % len(reports)]
    grids, wider = points
    # Four reports in five come from the gridded city seat, the fifth from anywhere in the counties.
    lng, lat = wider[(i // 5) % len(wider)] if i % 5 == 4 else grids[(i * 7919) % len(grids)]
    fields = {"api_key": key, "service_code": code, "lat": lat, "long": lng, "description": text,
              "device_id": f"bench-device-{i % 997}", "account_id": f"bench-user-{i % 5003}"}
    if kind == "topic":
        fields["attribute[appeal_type]"] = ("complaint", "help", "consult", "report")[i % 4]
    if i % 3 == 0:
        fields.update(last_name="王", first_name="小红", phone=f"139{i % 100000000:08d}")
    return fields


def build_requests(count: int, clients: int, keys: list[str], photo_every: int) -> list[tuple[dict, bytes, str]]:
    """Every request prepared before timing: (headers, body, service_code); client c uses keys[c]."""
    points, reports = places(), corpus_reports()
    prepared = []
    for i in range(count):
        fields = report_fields(i, keys[i % clients], points, reports)
        if photo_every and i % photo_every == 0:
            body = multipart(fields, small_png(i))
            content_type = f"multipart/form-data; boundary={BOUNDARY}"
        else:
            body = urlencode(fields).encode()
            content_type = "application/x-www-form-urlencoded"
        headers = {"Content-Type": content_type, "Content-Length": str(len(body)), "Accept-Language": "zh-hans"}
        prepared.append((headers, body, fields["service_code"]))
    return prepared


def count_reports() -> dict:
    from bohai.cases.models import Case, CasePhoto

    close_connections()
    stored = Case.objects.filter(source="open311")
    return {"cases": stored.count(), "hotline": stored.filter(track="hotline").count(),
            "with_grid": stored.exclude(grid=None).count(), "with_suggestion": stored.exclude(suggestion={}).count(),
            "with_phone": stored.exclude(caller_phone_cipher="").count(),
            "photos": CasePhoto.objects.filter(case__source="open311").count()}


# Where one request's time goes ------------------------------------------------------------------

PHASES = (
    # (label, module, attribute): each wrapped with a timer; inclusive times, nested phases overlap.
    ("API key check (select, last_used_at update)", "bohai.kernel.api.auth", "ApiKeyAuth.authenticate"),
    ("service lookup", "bohai.cases.open311.catalogue", "service"),
    ("report_case action, all of it", "bohai.cases.open311.views", "actions.report_case"),
    ("  photos: check, SM3, write, row, audit", "bohai.cases.actions.reporting", "store_upload"),
    ("  location: county/township/grid", "bohai.cases.actions.reporting", "locate"),
    ("  dispatch suggestion (model, rules, units)", "bohai.cases.actions.reporting", "suggest"),
    ("    responsible unit lookups", "bohai.cases.dispatch", "responsible_unit"),
    ("  caller phone: SM4 and blind index", "bohai.cases.actions.reporting", "encrypt"),
    ("  workflow start", "bohai.cases.actions.reporting", "_start"),
    ("  timeline event", "bohai.cases.actions.reporting", "add_event"),
    ("  audit record", "bohai.cases.actions.reporting", "record"),
    ("  outbox event", "bohai.cases.actions.reporting", "publish"),
    ("  per-key count (one UPDATE of the key)", "bohai.kernel.api.quota", "KeyQuota.charge"),
    ("the answer (JSON)", "bohai.cases.open311.views", "render"),
)


PROFILE_WARMUP = 20


def _target(module_name: str, attribute: str):
    import importlib

    owner = importlib.import_module(module_name)
    parts = attribute.split(".")
    for part in parts[:-1]:
        owner = getattr(owner, part)
    return owner, parts[-1]


def profile_in_process(key: str, count: int, photo_every: int) -> dict:
    """N reports through Django's test client (the whole stack, one thread) after 20 untimed ones, timing
    each phase in wall time and in this process's CPU time (which other work on the machine does not inflate)."""
    import cProfile
    import io
    import pstats

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    totals = {label: 0.0 for label, _module, _attribute in PHASES}
    cpu_totals = {label: 0.0 for label, _module, _attribute in PHASES}
    restore = []
    for label, module_name, attribute in PHASES:
        owner, name = _target(module_name, attribute)
        original = getattr(owner, name)
        restore.append((owner, name, original))
        setattr(owner, name, _timed(totals, cpu_totals, label, original))
    requests = build_requests(count + PROFILE_WARMUP, 1, [key], photo_every)
    client = Client()
    for headers, body, _code in requests[:PROFILE_WARMUP]:  # the model, the spatial index, the first queries
        client.generic("POST", URL_PATH, body, content_type=headers["Content-Type"], HTTP_HOST="127.0.0.1")
    requests = requests[PROFILE_WARMUP:]
    totals.update(dict.fromkeys(totals, 0.0))
    cpu_totals.update(dict.fromkeys(cpu_totals, 0.0))
    profiler = cProfile.Profile()
    statuses: dict[int, int] = {}
    began, cpu_began = time.perf_counter(), time.process_time()
    try:
        with CaptureQueriesContext(connection) as queries:
            for i, (headers, body, _code) in enumerate(requests):
                if i == count // 2:
                    profiler.enable()
                response = client.generic("POST", URL_PATH, body, content_type=headers["Content-Type"],
                                          HTTP_HOST="127.0.0.1")
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            profiler.disable()
    finally:
        for owner, name, original in reversed(restore):
            setattr(owner, name, original)
    elapsed, cpu_elapsed = time.perf_counter() - began, time.process_time() - cpu_began
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(25)
    top = [line for line in stream.getvalue().splitlines() if line.strip()][:40]
    phases = [{"phase": label.strip(), "ms_per_request": round(totals[label] / count * 1000, 3),
               "cpu_ms_per_request": round(cpu_totals[label] / count * 1000, 3),
               "cpu_share": round(cpu_totals[label] / cpu_elapsed, 3)} for label, _module, _attribute in PHASES]
    log(f"profile of {count} reports in one thread: {elapsed / count * 1000:.2f} ms each ({cpu_elapsed / count * 1000:.2f} "
        f"ms CPU in this process), {len(queries) / count:.1f} SQL statements each, answers {statuses}")
    log(f"    {'phase':<48} {'wall':>8}     {'CPU':>8}     share of CPU")
    for (label, _module, _attribute), phase in zip(PHASES, phases):
        log(f"    {label:<48} {phase['ms_per_request']:>8.3f} ms  {phase['cpu_ms_per_request']:>8.3f} ms  "
            f"{phase['cpu_share']:>6.1%}")
    return {"requests": count, "ms_per_request": round(elapsed / count * 1000, 3),
            "cpu_ms_per_request": round(cpu_elapsed / count * 1000, 3), "answers": statuses,
            "sql_per_request": round(len(queries) / count, 1), "phases": phases, "top_functions": top}


def _timed(totals: dict, cpu_totals: dict, label: str, function):
    def wrapper(*args, **kwargs):
        began, cpu_began = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            totals[label] += time.perf_counter() - began
            cpu_totals[label] += time.process_time() - cpu_began
    return wrapper


# The report -------------------------------------------------------------------------------------

def report(results: dict, args) -> None:
    summary = []
    for engine, result in results.items():
        if result is None:
            continue
        print(f"[{engine}] {result['per_second']:,.1f} reports/s with {result['clients']} clients; latency p50 "
              f"{result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms "
              f"({result['created_in_window']:,} created in {result['window_seconds']:.1f} s; answers "
              f"{result['statuses']}; stored {result['stored']})")
        summary += http_load.report_cpu_and_figures(result, engine, "report", GOAL_PER_SECOND, GOAL_P95_MS)
    done = {e: r for e, r in results.items() if r}
    if "sqlite" in done and "postgres" in done and done["sqlite"]["per_second"]:
        summary.append(harness.figure("PostgreSQL ÷ SQLite reports/s", done["postgres"]["per_second"]
                                      / done["sqlite"]["per_second"], "×"))
    harness.print_summary(summary)
    command = "python benchmarks/bench_open311.py " + " ".join(sys.argv[1:])
    path = harness.write_results(NAME, command.strip(), summary, {"results": results})
    print(f"Wrote {path.relative_to(harness.REPO_ROOT)}")


if __name__ == "__main__":
    main()
