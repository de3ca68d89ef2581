"""The cases indicators over 1,000,000 cases, SQLite and PostgreSQL side by side.

Builds (once per size; reused while the fingerprint matches) a bench database with the city's divisions
(the seat's demo grid included), units, holidays and case classes, and 1,000,000 cases reported over the
last 365 days in the demo's shares: 55 % 数字城管 (the seat's two districts most, their cases in a grid),
45 % 12345 appeals by population; refused and merged ones, the backlog in handling, deferred ones, late
and reworked ones, follow-up answers: inserted with executemany (SQLite) or COPY (PostgreSQL), indexes
dropped while loading and recreated after. Then times, cold (a fresh connection) and warm (median of 5):

    summary     indicators.summary: the eight indicators for the whole city
    dashboard   what /work/cases/dashboard/ counts: the grouped cube (county × township × unit × month),
                its roll-ups and rankings by department, county and township, the 13-month trend and the
                hot spots (one more grouped query for the grids, from the (grid_id, reported_at) index)
Settled cases come from the monthly rollup (bohai/cases/rollup.py), built after the data (its full build,
one month's refresh and an idle run of the job are timed) and checked against the raw rows.
    planning    indicators.indicators(start, end): the planning system's call
for a city officer (every case) and a county officer (沧县), over the dashboard's 13 months. The two
engines' figures must be equal (same data, same seed): the run checks it. Goal: all indicators < 2 s.

    python benchmarks/bench_cases_indicators.py                        # 1,000,000 cases, both engines
    python benchmarks/bench_cases_indicators.py --cases 200000 --engine sqlite

Scratch databases: var/bench/cases_indicators[_N].sqlite3 and PostgreSQL bohai_bench_cases_indicators[_N].
Writes benchmarks/results/cases_indicators.json.
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
from bench_databases import cumulative, fresh_user, pick, sqlite_row  # noqa: E402

NAME = "cases_indicators"
DATABASE = "cases_indicators"
POSTGRES_DATABASE = "bohai_bench_cases_indicators"
FULL_SIZE = 1_000_000
GOAL_SECONDS = 2.0
WARM_RUNS = 5
INSERT_BATCH = 20_000
FINGERPRINT = "v3"  # v3: the rollup's migration (indexes on (grid_id, reported_at), due_at, updated_at)
TABLE = "cases_case"
SCENARIOS = ("city", "county")
MEASURES = ("summary", "dashboard", "planning")
HANDLING_FUNCTIONS = {  # class department → share of the cases, by track (as the demo's classes weigh them)
    "city": (("urban_management", 62), ("housing_construction", 9), ("water", 12), ("public_security", 8),
             ("transport", 6), ("ecology_environment", 3)),
    "hotline": (("housing_construction", 24), ("water", 9), ("development_reform", 7), ("human_resources", 10),
                ("public_security", 8), ("urban_management", 9), ("market_regulation", 8), ("education", 5),
                ("health", 4), ("medical_security", 5), ("civil_affairs", 4), ("natural_resources", 3),
                ("agriculture", 2), ("housing_fund", 2)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=FULL_SIZE)
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
        print(f"[{engine}] {args.cases:,} cases …", flush=True)
        arguments = ["--child", "--cases", str(args.cases), "--seed", str(args.seed)] + (["--rebuild"] if args.rebuild else [])
        results[engine] = harness.run_child(Path(__file__), engine, arguments)
    report(args, results)


def measure_one(args) -> dict:
    engine = args.engine
    bench_databases.open_bench_database(engine, DATABASE, POSTGRES_DATABASE, args.cases, FULL_SIZE)
    build_seconds = bench_databases.ensure_built(engine, NAME, fingerprint(args.cases, args.seed), args.rebuild,
                                                 lambda: build(engine, args.cases, args.seed), f"{args.cases:,} cases")
    users = ensure_users()
    from django.db import connection

    rollup_timings = ensure_rollup()

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")
        counted = cursor.fetchone()[0]
    result = {"engine": engine, "cases": counted, "build_seconds": build_seconds,
              "load_average_before": harness.machine()["load_average"]}
    result["rollup"] = rollup_timings
    result["timings"] = time_scenarios(users)
    result["figures"] = figures(users["city"])
    result["rollup_equals_raw"] = rollup_equals_raw(users)
    result["explain"] = explain()
    result["explain_indexes"] = explain_indexes()
    result["load_average_after"] = harness.machine()["load_average"]
    return result


# Building the data ------------------------------------------------------------------------------

def present() -> datetime:
    """The data's present: the first day of this month, 00:00 UTC, so that both engines' databases built
    this month hold the same cases (and the figures can be compared with `now` set to it)."""
    return datetime.now(dt_timezone.utc).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def fingerprint(cases: int, seed: int) -> str:
    return f"{cases}:{seed}:{present():%Y-%m}:{FINGERPRINT}"


def reference_data() -> None:
    """The city's divisions and demo grid, units, roles, holidays and case classes, as `bohai setup` loads them."""
    from django.core.management import call_command

    from bohai.cases.actions import load_reference_classes
    from bohai.engines.workdays.actions import load_reference_holidays
    from bohai.kernel.accounts.actions import ensure_reference_roles
    from bohai.kernel.organisations.actions import load_reference_organisations
    from bohai.kernel.regions.actions import build_demo_grid, load_reference_divisions

    call_command("createcachetable", verbosity=0)
    ensure_reference_roles(actor="bench")
    load_reference_divisions("130900", actor="bench")
    build_demo_grid(actor="bench")
    load_reference_organisations(actor="bench")
    load_reference_holidays(actor="bench")
    load_reference_classes(actor="bench")


def build(engine: str, cases: int, seed: int) -> None:
    from django.db import connection, transaction
    from tqdm import tqdm

    reference_data()
    with connection.cursor() as cursor:
        for table in ("cases_caseevent", "cases_casephoto", "cases_extensionrequest", "cases_dispatchcorrection", TABLE):
            cursor.execute(f"DELETE FROM {table}")
    world = World(seed)
    dropped = bench_databases.drop_secondary_indexes(engine, (TABLE,))
    bar = tqdm(total=cases, desc=f"build {engine}", unit="case", file=sys.stderr)
    for start in range(0, cases, INSERT_BATCH):
        count = min(INSERT_BATCH, cases - start)
        rows = world.batch(count, engine)
        with transaction.atomic():
            bench_databases.insert(engine, TABLE, world.columns, rows)
        bar.update(count)
    bar.close()
    bench_databases.recreate_indexes(engine, dropped, (TABLE,))


class World:
    """What a year of the city's cases looks like, drawn fast: the demo's shares (bohai/cases/demo.py), the
    handling limit of each case's class, each state by age."""

    GENERATED = ("track", "source", "appeal_type", "case_class_id", "description", "region_id", "county_id",
                 "township_id", "grid_id", "organisation_id", "status", "urgency", "reported_at", "filed_at",
                 "dispatched_at", "signed_at", "handled_at", "closed_at", "due_at", "dispatch_count", "sendback_count",
                 "rework_count", "verified_count", "first_dispatch_correct", "on_time", "satisfaction", "reason",
                 "deferred_reason", "created_at", "updated_at")

    def __init__(self, seed: int):
        from django.db import connection

        from bohai.cases.models import Case, CaseClass
        from bohai.kernel.organisations.models import Organisation
        from bohai.kernel.regions.models import Level, Region

        self.rng = random.Random(seed)
        self.now = present()
        regions = list(Region.objects.defer("boundary").order_by("path"))
        by_key = {r.key: r for r in regions}
        self.city = next(r for r in regions if r.level == Level.CITY)
        self.counties = [r for r in regions if r.level == Level.COUNTY]
        self.city_weights = cumulative([(r.population or 100_000) * (6 if r.code in ("130902", "130903") else 1)
                                         for r in self.counties])
        self.hotline_weights = cumulative([r.population or 100_000 for r in self.counties])
        self.grids: dict[int, list[tuple[int, int]]] = {}   # county pk → [(grid pk, township pk)]
        for grid in (r for r in regions if r.level == Level.GRID):
            keys = grid.path.strip("/").split("/")
            township = next((by_key[k] for k in keys if k in by_key and by_key[k].level == Level.TOWNSHIP), None)
            county = next((by_key[k] for k in keys if k in by_key and by_key[k].level == Level.COUNTY), None)
            if township and county:
                self.grids.setdefault(county.pk, []).append((grid.pk, township.pk))
        units = {(o.function, o.region_id): o.pk for o in Organisation.objects.all()}
        self.units = {(f, region.pk): units.get((f, region.pk)) or units.get((f, self.city.pk))
                      for f in {f for shares in HANDLING_FUNCTIONS.values() for f, _w in shares}
                      for region in [self.city, *self.counties]}
        classes = list(CaseClass.objects.filter(parent__isnull=False))
        self.classes = {}
        for track, shares in HANDLING_FUNCTIONS.items():
            for function, _weight in shares:
                fitting = [c for c in classes if c.department == function and (c.kind == "topic") == (track == "hotline")]
                self.classes[(track, function)] = fitting or [c for c in classes if (c.kind == "topic") == (track == "hotline")]
        self.functions = {track: ([f for f, _w in shares], cumulative([w for _f, w in shares]))
                          for track, shares in HANDLING_FUNCTIONS.items()}
        others = [f for f in Case._meta.concrete_fields if f.column not in ("id", *self.GENERATED)]
        self.columns = (*self.GENERATED, *(f.column for f in others))
        self.constants = tuple(_constant(f, connection) for f in others)

    def batch(self, count: int, engine: str) -> list[tuple]:
        rng, now = self.rng, self.now
        rows = []
        for _ in range(count):
            hotline = rng.random() < 0.45
            track = "hotline" if hotline else "city"
            county = self.counties[pick(rng, self.hotline_weights if hotline else self.city_weights)]
            region, township, grid = county.pk, None, None
            if county.pk in self.grids and rng.random() < 0.97:
                grid, township = rng.choice(self.grids[county.pk])
                region = grid
            names, weights = self.functions[track]
            function = names[pick(rng, weights)]
            case_class = rng.choice(self.classes[(track, function)])
            unit = self.units[(function, county.pk)]
            age_days = 365 * (1 - (rng.random() ** 0.8))
            reported = now - timedelta(days=age_days, seconds=rng.randint(0, 3600))
            fate = _fate(rng, track, reported, case_class, now)
            status = fate["status"]
            rows.append(sqlite_row(engine, (
                track, "hotline" if hotline else "patrol", "complaint" if hotline else "", case_class.pk, "",
                region, county.pk, township, grid, unit if fate["dispatched"] else None, status, case_class.urgency,
                reported, fate.get("filed"), fate.get("dispatched"), fate.get("signed"), fate.get("handled"),
                fate.get("closed"), fate.get("due"), fate["dispatch_count"], fate["sendback_count"],
                fate["rework_count"], fate["verified_count"], fate.get("first_right"), fate.get("on_time"),
                fate.get("satisfaction", ""), fate.get("reason", ""), fate.get("deferred_reason", ""), now, now,
                *self.constants)))
        return rows


def _fate(rng, track: str, reported: datetime, case_class, now: datetime) -> dict:
    """Each case's states by the demo's shares, its clock by its class (days × 1.4 for weekends)."""
    city = track == "city"
    fate = {"status": "reported" if city else "accepted", "dispatched": None, "dispatch_count": 0, "sendback_count": 0,
            "rework_count": 0, "verified_count": 0}
    u = rng.random()
    if u < (0.05 if city else 0.03):
        return {**fate, "status": "invalid", "closed": reported + timedelta(minutes=40), "reason": "不属于受理范围"}
    if u < (0.09 if city else 0.04):
        return {**fate, "status": "merged", "closed": reported + timedelta(minutes=40), "reason": "与先报案件重复"}
    t = reported + timedelta(minutes=rng.randint(10, 60))
    if city:
        fate["filed"] = t
        t += timedelta(minutes=rng.randint(10, 50))
    if rng.random() < 0.08:
        fate["sendback_count"], fate["first_right"], fate["dispatch_count"] = 1, False, 1
        t += timedelta(hours=rng.randint(1, 20))
    fate["dispatched"], fate["dispatch_count"] = t, fate["dispatch_count"] + 1
    if t > now:
        return {**fate, "dispatched": None, "status": "filed" if city else "accepted"}
    if city:
        t += timedelta(minutes=rng.randint(10, 60))
        fate["signed"] = t
        fate.setdefault("first_right", True)
    limit = timedelta(hours=case_class.limit_hours) if case_class.limit_hours else \
        timedelta(days=(case_class.limit_days or 5) * 1.4 + 1)
    fate["due"] = t + limit
    fate["status"] = "handling"
    if rng.random() < 0.08:
        return fate                                             # the backlog: never handled
    if city and rng.random() < 0.015:
        return {**fate, "status": "deferred", "deferred_reason": "需列入明年改造计划"}
    late = rng.random() < 0.18
    handled = fate["due"] + limit * rng.uniform(0.1, 1.5) if late else t + limit * rng.uniform(0.1, 0.95)
    if handled > now:
        return fate
    fate["handled"], fate["status"] = handled, "handled" if city else "replied"
    closed = handled + timedelta(hours=rng.randint(2, 40))
    if city:
        fate["verified_count"] = 1
        if rng.random() < 0.01:
            fate["verified_count"], fate["rework_count"] = 2, 1
    if closed > now:
        return fate
    fate["closed"], fate["status"], fate["on_time"] = closed, "closed", handled <= fate["due"]
    if not city:
        fate["satisfaction"] = rng.choices(("satisfied", "basically", "dissatisfied"), (72, 18, 10))[0]
    return fate


def _constant(field, connection):
    """What a column not drawn here holds: NULL where allowed, else the field's default as stored."""
    if field.null:
        return None
    value = field.get_default()
    if value in (None, "") and field.get_internal_type() in ("CharField", "TextField"):
        return ""
    return field.get_db_prep_save(value, connection)


def ensure_users() -> dict:
    """A city officer (the whole city) and a county officer (沧县), with their reference roles."""
    return bench_databases.ensure_officers({"city": "bench-cases-city", "county": "bench-cases-county"}, "grid_command")


def ensure_rollup() -> dict:
    """The monthly rollup as the job keeps it: built once over the whole table (timed, as the job's first
    run after an upgrade), then one month counted again (timed, as a run after a month's cases changed)."""
    from bohai.cases import rollup
    from bohai.cases.models import CaseRollupMonth

    timings = {}
    if not CaseRollupMonth.objects.exists():
        started = time.perf_counter()
        done = rollup.refresh(actor="bench")
        timings["full_refresh_s"] = round(time.perf_counter() - started, 3)
        timings["full_refresh_months"] = len(done["months"])
        print(f"  rollup: {len(done['months'])} months, {done['cases']:,} settled cases in "
              f"{timings['full_refresh_s']} s", file=sys.stderr)
    month = CaseRollupMonth.objects.order_by("-month").values_list("month", flat=True)[1]  # last month
    started = time.perf_counter()
    rollup.refresh(actor="bench", months=[month])
    timings["one_month_refresh_s"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    rollup.refresh(actor="bench")  # nothing changed: what the job costs most of the time
    timings["idle_refresh_s"] = round(time.perf_counter() - started, 3)
    print(f"  rollup: one month again {timings['one_month_refresh_s']} s, nothing to do {timings['idle_refresh_s']} s",
          file=sys.stderr)
    return timings


# Measuring --------------------------------------------------------------------------------------

def period():
    from bohai.cases import indicators

    return indicators.Filters.for_months(*indicators.last_months(13, present().date()))


def run(measure: str, user) -> None:
    from django.utils import timezone

    from bohai.cases import indicators

    filters, now = period(), timezone.now()
    if measure == "summary":
        assert indicators.summary(filters, user, now).reported > 0
    elif measure == "dashboard":  # as views/dashboard.py
        source = indicators.cube(filters, user, now)
        source.total()
        for by in ("department", "county", "township"):
            indicators.rank(source.rows(by))
        source.rows("month")
        indicators.hotspots(filters, user, now, source=source)
    else:
        indicators.indicators(filters.start, filters.end)


def time_scenarios(users: dict) -> dict:
    from django.db import connection

    results = {}
    for scenario in SCENARIOS:
        for measure in MEASURES:
            if measure == "planning" and scenario != "city":
                continue  # the planning call has no user
            connection.close()                                   # cold: a fresh connection
            started = time.perf_counter()
            run(measure, fresh_user(users[scenario]))
            cold = time.perf_counter() - started
            warm, cpu = [], []
            for _ in range(WARM_RUNS):
                user = fresh_user(users[scenario])
                started, process = time.perf_counter(), time.process_time()
                run(measure, user)
                warm.append(time.perf_counter() - started)
                cpu.append(time.process_time() - process)
            key = f"{scenario} {measure}"
            results[key] = {"cold_s": round(cold, 3), "warm_s": round(stats.median(warm), 3),
                            "warm_runs_s": [round(x, 3) for x in warm], "client_cpu_s": round(stats.median(cpu), 3)}
            print(f"  {key:<18} cold {cold:7.3f} s   warm {stats.median(warm):7.3f} s   "
                  f"client CPU {stats.median(cpu):7.3f} s", file=sys.stderr)
    return results


def figures(user) -> dict:
    """The city's eight indicators and counts: equal on both engines."""
    from bohai.cases import indicators

    measures = indicators.summary(period(), fresh_user(user), present())
    return {key: (str(value) if value is not None and not isinstance(value, int) else value)
            for key, value in measures.as_dict().items()}


def explain() -> list[str]:
    """The plan of the dashboard's grouped pass (over the cases the rollup does not hold)."""
    from django.db import connection, transaction
    from django.db.models import Q
    from django.utils import timezone

    from bohai.cases import indicators, rollup

    filters, now = period(), timezone.now()
    plan = rollup.plan(filters, Q(), now)  # the live pass as the dashboard runs it beside the rollup
    sql, params, _packing = indicators.pass_sql(filters, Q(), now, indicators.month_range(filters, None), grouped=True,
                                                rows=plan.live if plan else Q())
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")               # as indicators._pass runs it
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return [" | ".join(str(part) for part in row) for row in cursor.fetchall()]


def rollup_equals_raw(users: dict) -> bool:
    """The dashboard's cube from rollup + live rows equals the one from the rows alone (city and county)."""
    from bohai.cases import indicators, rollup

    filters, now = period(), present()
    same = True
    for scenario, user in users.items():
        with_rollup = indicators.cube(filters, fresh_user(user), now).cells
        plan, rollup.plan = rollup.plan, lambda *args: None
        try:
            raw = indicators.cube(filters, fresh_user(user), now).cells
        finally:
            rollup.plan = plan
        same = same and with_rollup == raw
    return same


def explain_indexes() -> dict[str, list[str]]:
    """The plans of the hot spots (the (grid_id, reported_at) index) and of a one-month period's live pass
    (reported_at and due_at ranges)."""
    from django.db import connection, transaction
    from django.db.models import Q
    from django.utils import timezone

    from bohai.cases import indicators, rollup
    from bohai.engines.workdays.periods import add_months

    filters, now = period(), timezone.now()
    spots = indicators.grid_counts_query(filters, Q(), now)
    last_month = add_months(filters.end.replace(day=1), -1)
    month = indicators.Filters.for_months(last_month, last_month)
    plan = rollup.plan(month, Q(), now)  # the live pass as the dashboard runs it for last month
    month_sql, month_params, _packing = indicators.pass_sql(month, Q(), now, [month.start], grouped=True,
                                                            rows=plan.live if plan else Q())
    plans = {}
    for name, (sql, params) in {"hotspots": spots.query.sql_with_params(), "one month": (month_sql, month_params)}.items():
        with transaction.atomic(), connection.cursor() as cursor:
            prefix = "EXPLAIN (ANALYZE, BUFFERS) " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
            cursor.execute(prefix + sql, params)
            plans[name] = [" | ".join(str(part) for part in row) for row in cursor.fetchall()]
    return plans


# Report -----------------------------------------------------------------------------------------

def report(args, results: dict) -> None:
    summary = []
    for engine, result in results.items():
        if result is None:
            continue
        for key, timing in result["timings"].items():
            for kind in ("cold", "warm"):
                value = timing[f"{kind}_s"]
                summary.append(harness.figure(f"{key} {kind}, {engine}", value, "s", f"< {GOAL_SECONDS:.0f} s",
                                              GOAL_SECONDS / value, value < GOAL_SECONDS))
    if results.get("sqlite"):  # SQLite runs in the process: its CPU time is the query's, whatever else runs
        for key, timing in results["sqlite"]["timings"].items():
            value = timing["client_cpu_s"]
            summary.append(harness.figure(f"{key} CPU, sqlite", value, "s", f"< {GOAL_SECONDS:.0f} s",
                                          GOAL_SECONDS / value, value < GOAL_SECONDS))
    if results.get("sqlite") and results.get("postgres"):
        for key in results["sqlite"]["timings"]:
            a, b = results["sqlite"]["timings"][key]["warm_s"], results["postgres"]["timings"][key]["warm_s"]
            summary.append(harness.figure(f"SQLite / PostgreSQL warm {key}", a / b, "x"))
        same = results["sqlite"]["figures"] == results["postgres"]["figures"]
        exact = all(results[e]["rollup_equals_raw"] for e in ("sqlite", "postgres"))
        summary.append(harness.figure("rollup + live equal to raw rows", 1.0 if exact else 0.0, "bool", "equal", None, exact))
        summary.append(harness.figure("figures equal on both engines", 1.0 if same else 0.0, "bool", "equal", None, same))
    harness.print_summary(summary)
    for engine, result in results.items():
        if result is None:
            continue
        rates = {k: v for k, v in result["figures"].items() if not isinstance(v, int)}
        print(f"\n[{engine}] {result['cases']:,} cases; built in {result['build_seconds']} s; indicators: {rates}")
        print(f"[{engine}] EXPLAIN of the dashboard's grouped pass:")
        for line in result["explain"][:16]:
            print("   ", line)
        for name, lines in result["explain_indexes"].items():
            print(f"[{engine}] EXPLAIN of {name}:")
            for line in lines[:12]:
                print("   ", line)
        print(f"[{engine}] rollup: {result['rollup']}; rollup + live equal to the raw rows: {result['rollup_equals_raw']}")
    command = "python benchmarks/bench_cases_indicators.py " + " ".join(sys.argv[1:])
    path = harness.write_results(NAME, command.strip(), summary, {"results": results, "goal_seconds": GOAL_SECONDS})
    print(f"Wrote {path.relative_to(harness.REPO_ROOT)}")


if __name__ == "__main__":
    main()
