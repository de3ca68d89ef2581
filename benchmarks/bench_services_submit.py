"""Application submission through the HTTP API under load: POST /api/v1/services/applications.

A real server (gunicorn, gthread workers) on a database set up by `bohai setup --no-demo`, with a
few thousand residents who each hold an account, a signed-in session and an electronic identity
card in the licence library. 50 client threads, each on its own keep-alive connection, submit
就业登记 (employment registration) as residents do on the portal: the form as JSON, the identity
card taken from the licence library (once-only, trust level A) and the labour contract uploaded
as a small PNG (a different picture each time, so each upload is checked, hashed and written),
with an Idempotency-Key and the session's CSRF token. Measured on SQLite and on PostgreSQL in one
run, side by side: submissions per second and p50/p95 latency of the 201 answers.

Goal: at least 200 submissions/s with p95 under 250 ms.

    python benchmarks/bench_services_submit.py                          # both databases
    python benchmarks/bench_services_submit.py --engine sqlite --seconds 10
    python benchmarks/bench_services_submit.py --profile 200 --engine sqlite   # where one request's time goes

Scratch databases: var/bench/services_submit.sqlite3 and PostgreSQL bohai_bench_services (both
recreated, the PostgreSQL one dropped at the end); stored files in var/bench/services_files/.
Writes benchmarks/results/services_submit.json.
"""
import argparse
import json
import os
import shutil
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
import http_load  # noqa: E402
from http_load import close_connections, log  # noqa: E402

NAME = "services_submit"
DATABASE = "services_submit"
POSTGRES_DATABASE = "bohai_bench_services"
ITEM_CODE = "130900103002010001000"  # 就业登记: identity card once-only, labour contract uploaded
URL_PATH = "/api/v1/services/applications"
GOAL_PER_SECOND = 200
GOAL_P95_MS = 250
CSRF_TOKEN = "BenchCsrfSecret0123456789abcdefX"  # 32 letters and digits: a valid CSRF secret
BOUNDARY = "----bohai-bench-7d1f"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument("--clients", type=int, default=50, help="concurrent client threads (keep-alive)")
    parser.add_argument("--residents", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=20, help="measured window")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load before the window")
    parser.add_argument("--max-requests", type=int, default=12000, help="upper bound on requests sent")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (one per core)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--same-file", action="store_true", help="upload one identical PNG every time (stored once)")
    parser.add_argument("--profile", type=int, default=0, help="first profile N submissions in-process (no server)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_one(args)))
        return
    results = {}
    for engine in harness.engines_to_run(args.engine):
        print(f"[{engine}] setting up {args.residents:,} residents, then {args.clients} clients for "
              f"{args.seconds:g} s against gunicorn ({args.workers} workers × {args.threads} threads) …", flush=True)
        results[engine] = harness.run_child(Path(__file__), engine, child_arguments(args))
    report(results, args)


def child_arguments(args) -> list[str]:
    arguments = ["--child"]
    for name in ("clients", "residents", "seconds", "warmup", "max_requests", "workers", "threads", "profile"):
        arguments += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    return arguments + (["--same-file"] if args.same_file else [])


# The scratch platform ---------------------------------------------------------------------------

def platform_environment(url: str, engine: str) -> dict:
    files = harness.SCRATCH_DIR / f"services_files_{engine}"
    shutil.rmtree(files, ignore_errors=True)
    files.mkdir(parents=True)
    return {**os.environ, "BOHAI_DATABASE_URL": url, "BOHAI_FILES_DIR": str(files), "BOHAI_DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "bohai.settings", "PYTHONPATH": str(harness.REPO_ROOT)}


def measure_one(args) -> dict:
    engine = args.engine
    url = harness.fresh_database(engine, DATABASE, POSTGRES_DATABASE)
    environment = platform_environment(url, engine)
    http_load.bohai_setup(environment, engine)
    os.environ.update({k: environment[k] for k in ("BOHAI_FILES_DIR", "BOHAI_DEBUG")})
    harness.setup_django(url)
    started = time.perf_counter()
    residents = populate(args.residents)
    log(f"[{engine}] {len(residents):,} residents with accounts, sessions and identity cards: "
        f"{time.perf_counter() - started:.1f} s")
    result = {"engine": engine, "clients": args.clients, "residents": len(residents), "workers": args.workers,
              "threads": args.threads, "unique_files": not args.same_file}
    if args.profile:
        result["profile"] = profile_in_process(residents, args.profile, engine, args.same_file)
    requests = build_requests(residents, args.max_requests, engine, args.same_file)
    close_connections()
    server, port = http_load.start_server(environment, args.workers, args.threads, "/api/v1/services/items/" + ITEM_CODE)
    try:
        database = POSTGRES_DATABASE if engine == "postgres" else None
        result.update(http_load.run_load(port, URL_PATH, requests, args.clients, args.warmup, args.seconds,
                                         per="submission",
                                         cpu_probe=lambda: http_load.server_cpu_seconds(server.pid, database)))
    finally:
        http_load.stop_server(server)
    result["applications_stored"] = count_applications()
    if engine == "postgres":
        close_connections()
        harness.drop_postgres_database(POSTGRES_DATABASE)
    return result


def populate(count: int) -> list[dict]:
    """Residents across the counties, each with an account, a live session and a valid identity card."""
    import people
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from bohai.kernel.accounts.models import AccountKind, User
    from bohai.kernel.audit.context import origin
    from bohai.kernel.identities.actions import register_persons_bulk
    from bohai.kernel.identities.cleaning import clean_person
    from bohai.kernel.identities.models import Person
    from bohai.kernel.regions.models import Region

    codes = sorted(Region.objects.filter(level="county").values_list("key", flat=True))
    fields = []
    for i in range(count):
        number, name, phone, address, _county = people.synthetic_person(i + 1, codes)
        fields.append(clean_person({"id_number": number, "name": name, "phone": phone, "address": address}))
    with origin("cli", address="bench"):
        register_persons_bulk(fields, actor="bench")
    persons = list(Person.objects.select_related("region").order_by("id"))
    unusable = make_password(None)
    User.objects.bulk_create([User(username=f"bench{p.pk}", kind=AccountKind.RESIDENT, person=p, password=unusable)
                              for p in persons], batch_size=1000)
    users = {u.person_id: u for u in User.objects.filter(person__isnull=False)}
    expiry = timezone.now() + timedelta(hours=8)
    sessions, residents = [], []
    store = SessionStore()
    for person in persons:
        user = users[person.pk]
        key = f"bench{person.pk:08d}{'x' * 24}"
        data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
                HASH_SESSION_KEY: user.get_session_auth_hash()}
        sessions.append(Session(session_key=key, session_data=store.encode(data), expire_date=expiry))
        residents.append({"session": key, "name": person.name, "id_number": person.id_number, "phone": person.phone,
                          "region": person.region.key, "user_id": user.pk})
    Session.objects.bulk_create(sessions, batch_size=1000)
    issue_identity_cards(persons)
    return residents


def issue_identity_cards(persons) -> None:
    """Every resident holds a valid electronic identity card, issued (and SM2-signed) by the real action."""
    from bohai.kernel.audit.context import origin
    from bohai.licenses.actions import issue_license
    from bohai.licenses.queries import issuing_unit

    units = {}
    with origin("cli", address="bench"):
        for person in persons:
            if person.region_id not in units:
                units[person.region_id] = issuing_unit("resident_id_card", person.region)
            issue_license(type_code="resident_id_card", issuing_organisation=units[person.region_id],
                          holder_person=person, actor="bench",
                          fields={"gender": "男" if person.gender == "male" else "女", "ethnicity": "汉",
                                  "birth_date": person.birth_date.isoformat(), "address": person.address or "沧州市"})


def form_for(resident: dict, declaration: list[dict]) -> dict:
    """What a resident types: their own name, number and phone; the first of each choice; an employer and a date."""
    form = {"applicant_name": resident["name"], "applicant_id_number": resident["id_number"],
            "applicant_phone": resident["phone"], "employer": "沧州渤海新区某某化工有限公司", "start_date": "2026-11-02"}
    for spec in declaration:
        if spec["type"] == "choice" and spec["key"] not in form:
            form[spec["key"]] = spec["choices"][0]
    return form


def material_png(i: int) -> bytes:
    """A small real PNG; its pixels spell i, so every upload is a file of its own."""
    from io import BytesIO

    from PIL import Image

    image = Image.new("RGB", (24, 24), (250, 250, 245))
    for bit in range(32):
        if i >> bit & 1:
            image.putpixel((bit % 24, 2 + bit // 24), (20, 20, 20))
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def multipart(form: dict, png: bytes) -> bytes:
    parts = [("item", None, ITEM_CODE.encode()), ("form", None, json.dumps(form, ensure_ascii=False).encode()),
             ("m2", "劳动合同.png", png)]
    chunks = []
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
        head += "Content-Type: image/png\r\n\r\n" if filename else "\r\n"
        chunks += [head.encode(), content, b"\r\n"]
    chunks.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(chunks)


def build_requests(residents: list[dict], count: int, engine: str, same_file: bool) -> list[tuple[dict, bytes]]:
    from bohai.services.models import ServiceItem

    declaration = ServiceItem.objects.get(code=ITEM_CODE).form
    same = material_png(0) if same_file else None
    run = f"{engine}-{int(time.time())}"
    requests = []
    for i in range(count):
        resident = residents[i % len(residents)]
        body = multipart(form_for(resident, declaration), same or material_png(i + 1))
        headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Content-Length": str(len(body)),
                   "Cookie": f"sessionid={resident['session']}; csrftoken={CSRF_TOKEN}", "X-CSRFToken": CSRF_TOKEN,
                   "Idempotency-Key": f"{run}-{i}", "Accept-Language": "zh-hans"}
        requests.append((headers, body))
    return requests


def count_applications() -> dict:
    from bohai.services.models import Application

    close_connections()
    stored = Application.objects.filter(channel="online")
    return {"applications": stored.count(),
            "with_identity_card_from_library": stored.filter(materials__trust_level="A").distinct().count()}


# Where one request's time goes ------------------------------------------------------------------

PHASES = (
    # (label, module, attribute): each wrapped with a timer; inclusive times, nested phases overlap.
    ("authentication (session, two-factor check)", "bohai.kernel.api.auth", "StaffSession.authenticate"),
    ("rate limit (database cache)", "ninja.throttling", "SimpleRateThrottle.allow_request"),
    ("submit_application action, all of it", "bohai.services.actions", "submit_application"),
    ("  material upload: check, SM3, write, row, audit", "bohai.services.actions.applications", "store_material_uploads"),
    ("  submission transaction (_submit)", "bohai.services.actions.applications", "_submit"),
    ("    form cleaning", "bohai.services.actions.applications", "clean_form"),
    ("    once-only licence lookup, material plan", "bohai.services.actions.applications", "_plan_materials"),
    ("    number and workflow start", "bohai.services.actions.applications", "_start_workflow"),
    ("      workflow engine start_process", "bohai.engines.workflows.actions", "start_process"),
    ("    timeline event", "bohai.services.actions.applications", "add_event"),
    ("    outbox event", "bohai.services.actions.applications", "publish"),
    ("audit records (every record() call)", "bohai.kernel.audit.recording", "record"),
    ("the answer: serialise to JSON", "ninja.operation", "Operation._result_to_response"),
)


def profile_in_process(residents: list[dict], count: int, engine: str, same_file: bool) -> dict:
    """N submissions through Django's test client (the whole stack, one thread), timing each phase in wall
    time and in this process's CPU time (which other work on the machine does not inflate)."""
    import cProfile
    import importlib
    import io
    import pstats

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    totals = {label: 0.0 for label, _module, _attribute in PHASES}
    cpu_totals = {label: 0.0 for label, _module, _attribute in PHASES}
    restore = []
    for label, module_name, attribute in PHASES:
        if attribute == "record":  # each module imported the function under its own name
            modules = ["bohai.services.actions.applications", "bohai.engines.workflows.actions",
                       "bohai.kernel.files.actions"]
            targets = [(importlib.import_module(m), "record") for m in modules]
        elif "." in attribute:
            class_name, name = attribute.split(".")
            targets = [(getattr(importlib.import_module(module_name), class_name), name)]
        else:
            targets = [(importlib.import_module(module_name), attribute)]
        for owner, name in targets:
            original = getattr(owner, name)
            restore.append((owner, name, original))
            setattr(owner, name, _timed(totals, cpu_totals, label, original))
    chosen = residents[-count:]
    requests = build_requests(chosen, count, f"profile-{engine}", same_file)
    client = Client()
    profiler = cProfile.Profile()
    statuses: dict[int, int] = {}
    began, cpu_began = time.perf_counter(), time.process_time()
    try:
        with CaptureQueriesContext(connection) as queries:
            for i, (resident, (headers, body)) in enumerate(zip(chosen, requests)):
                if i == count // 2:
                    profiler.enable()
                client.cookies.load({"sessionid": resident["session"], "csrftoken": CSRF_TOKEN})
                response = client.generic("POST", URL_PATH, body, content_type=headers["Content-Type"],
                                          HTTP_X_CSRFTOKEN=CSRF_TOKEN, HTTP_IDEMPOTENCY_KEY=headers["Idempotency-Key"],
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
    log(f"[{engine}] profile of {count} submissions in one thread: {elapsed / count * 1000:.2f} ms each "
        f"({cpu_elapsed / count * 1000:.2f} ms CPU in this process), {len(queries) / count:.1f} SQL statements each, "
        f"answers {statuses}")
    log(f"    {'phase':<54} {'wall':>8}     {'CPU':>8}     share of CPU")
    for (label, _module, _attribute), phase in zip(PHASES, phases):
        log(f"    {label:<54} {phase['ms_per_request']:>8.3f} ms  {phase['cpu_ms_per_request']:>8.3f} ms  "
            f"{phase['cpu_share']:>6.1%}")
    log("    top functions by own time (second half of the requests):\n      " + "\n      ".join(top))
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
        print(f"[{engine}] {result['per_second']:,.1f} submissions/s with {result['clients']} clients; "
              f"latency p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms "
              f"({result['created_in_window']:,} created in {result['window_seconds']:.1f} s; answers {result['statuses']}; "
              f"{result['applications_stored']['applications']:,} stored, "
              f"{result['applications_stored']['with_identity_card_from_library']:,} with the identity card from the library)")
        summary += http_load.report_cpu_and_figures(result, engine, "submission", GOAL_PER_SECOND, GOAL_P95_MS)
    harness.print_summary(summary)
    command = "python benchmarks/bench_services_submit.py " + " ".join(sys.argv[1:])
    path = harness.write_results(NAME, command.strip(), summary, {"results": results})
    print(f"Wrote {path.relative_to(harness.REPO_ROOT)}")


if __name__ == "__main__":
    main()
