"""The service-statistics dashboard's queries over 1,000,000 applications, SQLite and PostgreSQL side by side.

Builds (once per size; reused while the fingerprint matches) a bench database with the city's divisions,
units and catalogue, 1,000,000 applications submitted over the last 365 days in realistic shares
(items, counties, states, online channel, on time), 好差评 for most completed ones and rectifications for
the bad ones: inserted with executemany (SQLite) or COPY (PostgreSQL), indexes dropped while loading and
recreated after. Then times the set of queries the dashboard page runs (bohai/services/views/statistics.py:
by item → by department and totals, ratings, rectifications, by county, by month) for

    city      a city officer, the default 13 months (every row)
    county    a county officer (沧县), same months
    dept      the city officer filtering one department

each cold (a fresh connection: the database's own page cache empty for SQLite; PostgreSQL's shared
buffers cannot be emptied without a restart, so its cold run is "new connection") and warm (median of
5), twice: counted from the applications (statistics.dashboard_from_applications, the query as it was
before the rollup) and as built, from the monthly figures (statistics.dashboard after the job's full count;
the full count and the five-minute refresh of the last two months are timed, and each scenario's board is
checked equal to the one from the applications). As built, the only query of the applications over whole
months is the live overdue count, from the partial index services_app_running_due: its EXPLAIN (ANALYZE on
PostgreSQL, QUERY PLAN on SQLite) goes into the JSON beside the by-item query's. `--covering-index` adds the
earlier proposal of a covering index (created, analysed, measured, dropped) and EXPLAIN of the by-item query
with and without it. Goal: the dashboard < 500 ms.

    python benchmarks/bench_services_stats.py                    # 1,000,000 applications, both engines
    python benchmarks/bench_services_stats.py --rows 200000 --engine sqlite

Scratch databases: var/bench/services_stats2[_N].sqlite3 and PostgreSQL bohai_bench_services_stats2[_N].
Writes benchmarks/results/services_stats.json.
"""
import argparse
import json
import random
import statistics as stats
import sys
import time
from datetime import datetime, timedelta, timezone as dt_timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_databases  # noqa: E402
import harness  # noqa: E402
from bench_databases import cumulative, fresh_user, insert, pick, sqlite_row  # noqa: E402

NAME = "services_stats"
# Named by the schema they were built for (services' migrations restarted when forms became sealed).
DATABASE = "services_stats2"
POSTGRES_DATABASE = "bohai_bench_services_stats2"
FULL_SIZE = 1_000_000
GOAL_MS = 500.0
WARM_RUNS = 5
INSERT_BATCH = 20_000
FINGERPRINT = "v1"
SCENARIOS = ("city", "county", "dept")
TABLES = ("services_application", "services_review", "services_rectification")
# In the order of the dashboard's GROUP BY (item, region), so that SQLite scans the index in group order
# instead of sorting; submitted_at is filtered by range on every row (see statistics.Unindexed).
COVERING_COLUMNS = ("item_id", "region_id", "submitted_at", "organisation_id", "status", "handled_online", "on_time",
                    "working_days", "due_at", "accepted_at")
APPLICATION_COLUMNS = (
    "number", "item_id", "applicant_name", "submitted_by_id", "channel", "region_id", "organisation_id", "status",
    "form_data", "idempotency_key", "submitted_at", "accepted_at", "decided_at", "completed_at", "due_at",
    "handled_online", "on_time", "working_days", "supplement_items", "reason", "license_number", "created_at",
    "updated_at",
)
REVIEW_COLUMNS = ("application_id", "rating", "dimensions", "comment", "region_id", "organisation_id", "created_at")
RECTIFICATION_COLUMNS = ("review_id", "region_id", "organisation_id", "status", "due_at", "response", "answered_at",
                         "closed_at", "on_time", "created_at", "updated_at")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=FULL_SIZE)
    parser.add_argument("--engine", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--covering-index", action="store_true", help="also measure the covering index proposal")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_one(args), default=str))
        return
    results = {}
    for engine in harness.engines_to_run(args.engine):
        print(f"[{engine}] {args.rows:,} applications …", flush=True)
        arguments = (["--child", "--rows", str(args.rows), "--seed", str(args.seed)] + (["--rebuild"] if args.rebuild else [])
                     + (["--covering-index"] if args.covering_index else []))
        results[engine] = harness.run_child(Path(__file__), engine, arguments)
    report(args, results)


def measure_one(args) -> dict:
    engine = args.engine
    bench_databases.open_bench_database(engine, DATABASE, POSTGRES_DATABASE, args.rows, FULL_SIZE)
    build_seconds = bench_databases.ensure_built(engine, "services_stats", fingerprint(args.rows, args.seed), args.rebuild,
                                                 lambda: build(engine, args.rows, args.seed), f"{args.rows:,} applications")
    users = ensure_users()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM services_application")
        counted = cursor.fetchone()[0]
    result = {"engine": engine, "rows": counted, "build_seconds": build_seconds,
              "load_average_before": harness.machine()["load_average"]}
    boards = {}
    result["without_index"] = time_scenarios(users, raw_dashboard, boards)
    result["explain_without_index"] = explain(users["city"])
    if args.covering_index:
        create_covering_index(engine)
        try:
            result["with_index"] = time_scenarios(users, raw_dashboard)
            result["explain_with_index"] = explain(users["city"])
        finally:
            drop_covering_index()
    result["rollup"] = measure_rollup(engine, users, boards)
    result["explain_overdue"] = explain_overdue(users["city"])
    result["page_ms"] = time_page(users["city"])
    return result


# Building the data ------------------------------------------------------------------------------

def fingerprint(rows: int, seed: int) -> str:
    return f"{rows}:{seed}:{FINGERPRINT}"


def reference_data() -> None:
    """The city's divisions, units, roles and catalogue, as `bohai setup` loads them (setup, not measured)."""
    from bohai.engines.workdays.actions import load_reference_holidays
    from bohai.kernel.accounts.actions import ensure_reference_roles
    from bohai.kernel.organisations.actions import load_reference_organisations
    from bohai.kernel.regions.actions import load_reference_divisions
    from bohai.services.actions import load_catalogue
    from django.core.management import call_command

    call_command("createcachetable", verbosity=0)
    ensure_reference_roles(actor="bench")
    load_reference_divisions("130900", actor="bench")
    load_reference_organisations(actor="bench")
    load_reference_holidays(actor="bench")
    load_catalogue(actor="bench")


def build(engine: str, rows: int, seed: int) -> None:
    from django.db import connection, transaction
    from tqdm import tqdm

    reference_data()
    with connection.cursor() as cursor:
        for table in ("services_rectification", "services_review", "services_applicationevent",
                      "services_applicationmaterial", "services_application"):
            cursor.execute(f"DELETE FROM {table}")
    world = World(seed)
    dropped = bench_databases.drop_secondary_indexes(engine, TABLES)
    bar = tqdm(total=rows, desc=f"build {engine}", unit="row", file=sys.stderr)
    first_id = next_id(engine, "services_application")
    review_id = next_id(engine, "services_review")
    for start in range(0, rows, INSERT_BATCH):
        count = min(INSERT_BATCH, rows - start)
        applications, reviews, rectifications = world.batch(start, count, first_id + start, review_id, engine)
        review_id += len(reviews)
        with transaction.atomic():
            insert(engine, "services_application", ("id", *APPLICATION_COLUMNS), applications)
            insert(engine, "services_review", ("id", *REVIEW_COLUMNS), reviews)
            insert(engine, "services_rectification", RECTIFICATION_COLUMNS, rectifications)
        bar.update(count)
    bar.close()
    bench_databases.recreate_indexes(engine, dropped, TABLES)


def vacuum_postgres() -> None:
    """VACUUM ANALYZE (Django's connection is in autocommit here), so that index-only scans can skip the
    heap: what autovacuum does in production."""
    bench_databases.vacuum_analyze(TABLES)


def next_id(engine: str, table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
        return cursor.fetchone()[0]


class World:
    """What a year of a city's applications looks like, drawn fast: the catalogue's items (a few popular,
    a long tail), counties by population, the city's own items at the city, each state by age."""

    def __init__(self, seed: int):
        from django.conf import settings

        from bohai.kernel.accounts.models import User
        from bohai.kernel.organisations.models import Organisation
        from bohai.kernel.regions.models import Level, Region
        from bohai.services.models import ServiceItem

        self.rng = random.Random(seed)
        self.now = datetime.now(dt_timezone.utc).replace(microsecond=0)
        regions = list(Region.objects.defer("boundary").filter(level__in=(Level.CITY, Level.COUNTY)).order_by("path"))
        self.city = next(r for r in regions if r.level == Level.CITY)
        self.counties = [r for r in regions if r.level == Level.COUNTY]
        self.county_weights = cumulative([r.population or 100_000 for r in self.counties])
        units = {(o.function, o.region_id): o.pk for o in Organisation.objects.all()}
        items = list(ServiceItem.objects.order_by("code"))
        self.rng.shuffle(items)
        self.items = items
        self.item_weights = cumulative([1 / (rank + 1) ** 0.7 for rank in range(len(items))])
        self.units = {(item.pk, region.pk): units.get((item.department, region.pk)) or units.get((item.department, self.city.pk))
                      for item in items for region in [self.city, *self.counties]}
        submitter = User.objects.filter(username="bench-submitter").first()
        if submitter is None:
            submitter = User.objects.create(username="bench-submitter", kind="resident", password="!")
        self.submitter = submitter.pk
        self.city_code = settings.BOHAI_CITY_CODE
        from bohai.kernel.crypto.sealed import SealedJSONField

        # A form as the platform stores it (SM4 ciphertext of its JSON), the same bytes in every row.
        self.form = SealedJSONField().get_prep_value({
            "name": "张明", "id_number": "130903199001011234", "phone": "13812345678",
            "address": "河北省沧州市运河区解放西路18号", "employer": "沧州市鑫恒建筑工程有限公司",
            "start_date": "2026-03-01", "amount": "1200.00", "kind": "首次申领"})

    def batch(self, start: int, count: int, first_id: int, review_id: int, engine: str):
        rng, now = self.rng, self.now
        applications, reviews, rectifications = [], [], []
        for n in range(count):
            pk = first_id + n
            item = self.items[pick(rng, self.item_weights)]
            county_level = "county" in item.levels
            region = self.counties[pick(rng, self.county_weights)] if county_level and rng.random() < 0.93 else self.city
            age_days = 365 * (1 - (rng.random() ** 0.8))             # more in recent months
            submitted = now - timedelta(days=age_days, seconds=rng.randint(0, 3600))
            limit = max(1, item.statutory_days)
            online = item.online_depth >= 3 and rng.random() < 0.92
            status, accepted, decided, completed, on_time, days = _fate(rng, submitted, age_days, limit)
            due = submitted + timedelta(days=limit * 1.45 + 1)
            local = submitted + timedelta(hours=8)
            applications.append(sqlite_row(engine, (
                pk, f"{local:%Y%m%d}{region.key[:6]}{pk:07d}", item.pk, "张明", self.submitter,
                "online" if online else "window", region.pk, self.units[(item.pk, region.pk)], status, self.form, "",
                submitted, accepted, decided, completed, due, online, on_time, days, "[]", "", "", now, now)))
            if status == "completed" and rng.random() < 0.8:
                rating = _rating(rng)
                reviewed = completed + timedelta(hours=rng.randint(1, 72))
                reviews.append(sqlite_row(engine, (review_id, pk, rating, '{"attitude": 5, "efficiency": 5}', "", region.pk,
                                             self.units[(item.pk, region.pk)], reviewed)))
                if rating <= 2:
                    due_fix = reviewed + timedelta(days=21)
                    answered = reviewed + timedelta(days=rng.randint(2, 25)) if rng.random() < 0.9 else None
                    answered = answered if answered and answered < now else None
                    state = "open" if answered is None else ("closed" if rng.random() < 0.9 else "answered")
                    rectifications.append(sqlite_row(engine, (
                        review_id, region.pk, self.units[(item.pk, region.pk)], state, due_fix,
                        "已整改" if answered else "", answered, answered + timedelta(days=2) if state == "closed" else None,
                        None if answered is None else answered <= due_fix, now, now)))
                review_id += 1
        return applications, reviews, rectifications


def _fate(rng, submitted, age_days, limit):
    """(status, accepted, decided, completed, on_time, working_days) of an application this old."""
    span = limit * 1.4
    if age_days < span and rng.random() < 0.8 * (1 - age_days / span):
        status = rng.choices(("submitted", "supplement", "in_review", "approved", "licensed"), (12, 5, 70, 8, 5))[0]
        accepted = submitted + timedelta(hours=rng.randint(1, 30)) if status not in ("submitted", "supplement") else None
        return status, accepted, None, None, None, None
    u = rng.random()
    if u < 0.005:
        return "in_review", submitted + timedelta(hours=3), None, None, None, None    # stuck: overdue
    accepted = submitted + timedelta(hours=rng.randint(1, 30))
    if u < 0.04:
        return "rejected", None, None, accepted, rng.random() < 0.97, rng.randint(0, 2)
    days = min(int(limit * rng.betavariate(1.5, 3.0) + 0.5), limit) if rng.random() < 0.95 else limit + rng.randint(1, 5)
    finished = submitted + timedelta(days=days * 1.4, hours=rng.randint(1, 8))
    if u < 0.065:
        return "denied", accepted, finished, finished, days <= limit, days
    if u < 0.09:
        return "withdrawn", accepted, None, finished, None, None
    return "completed", accepted, finished, finished, days <= limit, days


def _rating(rng) -> int:
    return rng.choices((5, 4, 3, 2, 1), (78, 15, 4.5, 1.7, 0.8))[0]


def ensure_users() -> dict:
    """A city officer (the whole city), a county officer (沧县) with their reference roles."""
    users = bench_databases.ensure_officers({"city": "bench-city", "county": "bench-county"}, "civil_affairs")
    return {"city": users["city"], "county": users["county"], "dept": users["city"]}


# Measuring --------------------------------------------------------------------------------------

def scenario_filters(name: str):
    from bohai.services import statistics

    start, end = statistics.last_months(13)
    department = "public_security" if name == "dept" else ""
    return statistics.Filters.for_months(start, end, department=department)


def raw_dashboard(user, filters):
    """The dashboard counted from the applications: one grouped scan with the reviews joined."""
    from django.utils import timezone

    from bohai.services import statistics

    return statistics.dashboard_from_applications(filters, user, timezone.now())


def dashboard(user, filters):
    """What the dashboard view asks of the database (views/statistics.py): statistics.dashboard, from the
    monthly figures where they are counted."""
    from django.utils import timezone

    from bohai.services import statistics

    board = statistics.dashboard(filters, user, timezone.now())
    assert board.as_of is not None, "the monthly figures were not used"
    return board


def shown(board) -> dict:
    """The board without what depends on the moment (overdue applications and rectifications): the two boards
    compared are minutes apart."""
    from dataclasses import replace

    rows = {name: [(row.key, row.label, replace(row.measures, overdue=0)) for row in getattr(board, name)]
            for name in ("items", "departments", "counties", "months")}
    rectifications = {k: v for k, v in board.summary.rectifications.items() if k != "overdue"}
    return {**rows, "ratings": board.summary.rating_counts, "rectifications": rectifications}


def steps(user, filters) -> dict:
    """The dashboard's parts, timed apart: the grouped scan, the rectifications, the roll-up in Python."""
    from django.utils import timezone

    from bohai.services import statistics

    now, timings = timezone.now(), {}
    started = time.perf_counter()
    months = statistics.month_range(filters, user)
    grouped = list(statistics.applications(statistics._within(filters, months), user)
                   .annotate(month_index=statistics._month_bucket(months))
                   .values("item_id", "region_id", "month_index").annotate(**statistics.measure_expressions(now)))
    timings["grouped_scan"] = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    statistics.rectification_counts(filters, user, now)
    timings["rectifications"] = (time.perf_counter() - started) * 1000
    timings["groups"] = len(grouped)
    return {k: round(v, 1) for k, v in timings.items()}


def time_scenarios(users: dict, board_of, boards: dict | None = None, with_steps: bool = True) -> dict:
    """Each scenario cold and warm through `board_of(user, filters)`; the last board of each into `boards`."""
    from django.db import connection

    results = {}
    for name in SCENARIOS:
        filters = scenario_filters(name)
        connection.close()                                      # cold: a fresh connection
        started = time.perf_counter()
        board_of(fresh_user(users[name]), filters)
        cold = (time.perf_counter() - started) * 1000
        warm, cpu = [], []
        for _ in range(WARM_RUNS):
            started, cpu_started = time.perf_counter(), time.process_time()
            board = board_of(fresh_user(users[name]), filters)
            warm.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        if boards is not None:
            boards[name] = board
        parts = steps(fresh_user(users[name]), filters) if with_steps else {}
        # This process's CPU time: on SQLite the whole of the work, which a busy machine does not inflate
        # as it does wall time; on PostgreSQL only the client's share (the server works in its own processes).
        results[name] = {"cold_ms": round(cold, 1), "warm_ms": round(stats.median(warm), 1),
                         "warm_cpu_ms": round(stats.median(cpu), 1),
                         "warm_runs_ms": [round(x, 1) for x in warm], "steps_ms": parts}
        print(f"  {name:<7} cold {cold:8.1f} ms   warm {stats.median(warm):8.1f} ms   "
              f"(CPU {stats.median(cpu):7.1f} ms)   {parts}", file=sys.stderr)
    return results


def time_page(user) -> dict:
    """The whole page (view, template, menu, bell) through Django's test client, warm: median of 3."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    client.get("/work/services/statistics/", HTTP_HOST="127.0.0.1")
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        response = client.get("/work/services/statistics/", HTTP_HOST="127.0.0.1")
        runs.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return {"warm_ms": round(stats.median(runs), 1)}


def covering_index_sql(engine: str) -> str:
    columns = ", ".join(COVERING_COLUMNS)
    include = " INCLUDE (id)" if engine == "postgres" else ""
    return f"CREATE INDEX services_app_stats_cover ON services_application ({columns}){include}"


def create_covering_index(engine: str) -> None:
    from django.db import connection

    print(f"[{engine}] with the proposed covering index …", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS services_app_stats_cover")
        cursor.execute(covering_index_sql(engine))
        cursor.execute("ANALYZE services_application" if engine == "postgres" else "ANALYZE")
    if engine == "postgres":
        vacuum_postgres()


def drop_covering_index() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS services_app_stats_cover")


def explain(user) -> list[str]:
    from django.utils import timezone

    from bohai.services import statistics

    filters = scenario_filters("city")
    return explain_query(statistics.applications(filters, fresh_user(user)).values("item_id")
                         .annotate(**statistics.measure_expressions(timezone.now())))


def explain_overdue(user) -> list[str]:
    """The one query of the applications the dashboard still runs over whole months: overdue now, from the
    partial index services_app_running_due (an index-only scan)."""
    from django.utils import timezone

    from bohai.services import statistics, statistics_rollup

    filters = scenario_filters("city")
    months = statistics.month_range(filters, fresh_user(user))
    return explain_query(statistics_rollup.overdue_query(filters, fresh_user(user), months, timezone.now()))


def explain_query(queryset) -> list[str]:
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return [" | ".join(str(part) for part in row) for row in cursor.fetchall()]


# The monthly figures ------------------------------------------------------------------------------

def measure_rollup(engine: str, users: dict, raw_boards: dict) -> dict:
    """The job's full count and its five-minute refresh, timed; then the scenarios from the figures, each
    board checked equal to the one counted from the applications."""
    from django.db import connection
    from django.utils import timezone

    from bohai.services import statistics_rollup
    from bohai.services.models import ServiceMonthlyFigures

    print(f"[{engine}] with the monthly figures …", file=sys.stderr)
    started = time.perf_counter()
    statistics_rollup.recount_all()
    full = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    statistics_rollup.recount_recent()
    refresh = (time.perf_counter() - started) * 1000
    if engine == "postgres":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE services_servicemonthlyfigures")
            cursor.execute("ANALYZE services_servicemonthlyrectifications")
    boards = {}
    timings = time_scenarios(users, dashboard, boards, with_steps=False)
    for name, board in boards.items():
        assert shown(board) == shown(raw_boards[name]), f"{name}: the figures differ from the applications"
    return {"rows": ServiceMonthlyFigures.objects.count(), "full_build_ms": round(full, 1),
            "refresh_two_months_ms": round(refresh, 1), "scenarios": timings,
            "equal_to_applications": sorted(boards), "counted_at": timezone.now().isoformat()}


# Report -----------------------------------------------------------------------------------------

def report(args, results: dict) -> None:
    summary = []
    for phase, label in (("without_index", "from the applications"), ("with_index", "with covering index")):
        for engine, result in results.items():
            if result is None or phase not in result:
                continue
            for name in SCENARIOS:
                figures = result[phase][name]
                for kind in ("cold", "warm"):
                    value = figures[f"{kind}_ms"]
                    summary.append(harness.figure(f"dashboard {name} {kind}, {engine}, {label}", value, "ms",
                                                  f"< {GOAL_MS:.0f} ms", GOAL_MS / value, value < GOAL_MS))
                if engine == "sqlite":
                    summary.append(harness.figure(f"dashboard {name} warm CPU, sqlite, {label}",
                                                  figures["warm_cpu_ms"], "ms"))
    for engine, result in results.items():
        if result is None:
            continue
        for name in SCENARIOS:
            for kind in ("cold", "warm"):
                value = result["rollup"]["scenarios"][name][f"{kind}_ms"]
                summary.append(harness.figure(f"dashboard {name} {kind}, {engine}, as built (monthly figures)", value, "ms",
                                              f"< {GOAL_MS:.0f} ms", GOAL_MS / value, value < GOAL_MS))
            if engine == "sqlite":
                summary.append(harness.figure(f"dashboard {name} warm CPU, sqlite, as built (monthly figures)",
                                              result["rollup"]["scenarios"][name]["warm_cpu_ms"], "ms"))
        summary.append(harness.figure(f"monthly figures: full count, {engine}", result["rollup"]["full_build_ms"], "ms"))
        summary.append(harness.figure(f"monthly figures: refresh of the last two months, {engine}",
                                      result["rollup"]["refresh_two_months_ms"], "ms"))
    for engine_a, engine_b in (("sqlite", "postgres"),):
        if results.get(engine_a) and results.get(engine_b):
            for phase in ("without_index", "with_index"):
                if phase not in results[engine_a] or phase not in results[engine_b]:
                    continue
                a, b = results[engine_a][phase]["city"]["warm_ms"], results[engine_b][phase]["city"]["warm_ms"]
                summary.append(harness.figure(f"SQLite / PostgreSQL warm city, {phase.replace('_', ' ')}", a / b, "x"))
    harness.print_summary(summary)
    for engine, result in results.items():
        if result is None:
            continue
        print(f"\n[{engine}] {result['rows']:,} applications; page (view + template) warm {result['page_ms']['warm_ms']} ms")
        print(f"[{engine}] EXPLAIN by-item, from the applications:")
        for line in result["explain_without_index"][:14]:
            print("   ", line)
        if "explain_with_index" in result:
            print(f"[{engine}] EXPLAIN by-item, with the covering index:")
            for line in result["explain_with_index"][:14]:
                print("   ", line)
        print(f"[{engine}] EXPLAIN overdue, as built:")
        for line in result["explain_overdue"][:14]:
            print("   ", line)
    command = "python benchmarks/bench_services_stats.py " + " ".join(sys.argv[1:])
    path = harness.write_results(NAME, command.strip(), summary, {
        "results": results, "goal_ms": GOAL_MS, "covering_index": {e: covering_index_sql(e) for e in ("sqlite", "postgres")}})
    print(f"Wrote {path.relative_to(harness.REPO_ROOT)}")


if __name__ == "__main__":
    main()
