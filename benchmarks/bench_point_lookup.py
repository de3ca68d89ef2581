"""Point lookup throughput on one core: coordinates to county, street, community and grid.

Loads Cangzhou's counties and the demo grid (500 m cells over the city seat) into a
scratch SQLite database under var/bench/, then locates random points one at a time
(`spatial.locate`) and in bulk (`spatial.locate_many`), and compares lookups/s with the
goal of 50,000/s. Two workloads: points spread over the city's bounding box (about
half fall outside the city, in the sea or the neighbouring cities) and points over the
city seat, where nearly every point lands in a demo grid.

    python benchmarks/bench_point_lookup.py [--existing-db]

--existing-db reads the configured database (BOHAI_DATABASE_URL or var/bohai.sqlite3)
instead of the scratch one; it must already hold the regions.

Writes benchmarks/results/point_lookup.json.
"""

import argparse
import json
import os
import platform
import statistics
import sys
from datetime import datetime, timezone
from pathlib import Path
from time import perf_counter

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # lets the script run without installing the package

GOAL_PER_SECOND = 50_000
POINTS = 200_000
REPEATS = 3
SEED = 20_251_201
SCRATCH_DB = REPO_ROOT / "var" / "bench" / "point_lookup.sqlite3"
RESULTS_PATH = REPO_ROOT / "benchmarks" / "results" / "point_lookup.json"
ACTOR = "system:bench"


def pin_to_one_core() -> int | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def set_up_django(existing_db: bool) -> None:
    if not existing_db:
        SCRATCH_DB.parent.mkdir(parents=True, exist_ok=True)
        os.environ["BOHAI_DATABASE_URL"] = f"sqlite:///{SCRATCH_DB}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bohai.settings")
    import django

    django.setup()


def load_regions() -> None:
    """Migrate and load the counties and the demo grid; both are idempotent, so reruns are quick."""
    from django.core.management import call_command

    from bohai.kernel.audit.context import origin
    from bohai.kernel.regions import actions

    call_command("migrate", verbosity=0)
    with origin("cli"):
        actions.load_reference_divisions(actor=ACTOR)
        actions.build_demo_grid(actor=ACTOR)


def workloads(rng) -> dict:
    from django.conf import settings

    from bohai.kernel.regions.geometry import geometry_from_geojson
    from bohai.kernel.regions.models import Level, Region

    city = Region.objects.get(key=settings.BOHAI_CITY_CODE)
    seat = [geometry_from_geojson(r.boundary) for r in Region.objects.filter(level=Level.COUNTY, children__is_demo=True).distinct()]
    boxes = {"city_bbox": geometry_from_geojson(city.boundary).bounds}
    if seat:
        import shapely

        boxes["seat_bbox"] = shapely.union_all(seat).bounds
    return {name: (rng.uniform(w, e, POINTS), rng.uniform(s, n, POINTS)) for name, (w, s, e, n) in boxes.items()}


def time_single(locate, lngs: list[float], lats: list[float]) -> float:
    start = perf_counter()
    for lng, lat in zip(lngs, lats):
        locate(lng, lat)
    return perf_counter() - start


def time_bulk(locate_many, lngs, lats) -> float:
    start = perf_counter()
    locate_many(lngs, lats)
    return perf_counter() - start


def measure(name: str, mode: str, timings: list[float], found: dict) -> dict:
    per_second = POINTS / statistics.median(timings)
    return {
        "name": name,
        "mode": mode,
        "lookups": POINTS,
        **found,
        "seconds_per_pass": [round(t, 4) for t in timings],
        "lookups_per_second": round(per_second),
        "best_lookups_per_second": round(POINTS / min(timings)),
        "goal_per_second": GOAL_PER_SECOND,
        "ratio_to_goal": round(per_second / GOAL_PER_SECOND, 2),
    }


def write_results(results: dict) -> None:
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    temporary = RESULTS_PATH.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, RESULTS_PATH)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--existing-db", action="store_true", help="read the configured database instead of a scratch one")
    existing_db = parser.parse_args().existing_db
    core = pin_to_one_core()
    set_up_django(existing_db)
    if not existing_db:
        print(f"Loading counties and the demo grid into {SCRATCH_DB.relative_to(REPO_ROOT)} ...")
        load_regions()

    import numpy as np

    from bohai.kernel.regions import spatial

    start = perf_counter()
    index = spatial.current_index()
    build_seconds = perf_counter() - start
    print(f"Index: {len(index.geometries):,} boundaries, {len(index.buckets.entries):,} buckets, "
          f"built in {build_seconds:.2f} s")
    measurements = []
    for name, (lngs, lats) in workloads(np.random.default_rng(SEED)).items():
        located = spatial.locate_many(lngs, lats)
        found = {"in_city": sum(1 for loc in located if loc), "in_grid": sum(1 for loc in located if loc.grid)}
        lng_list, lat_list = lngs.tolist(), lats.tolist()
        measurements.append(measure(name, "single", [time_single(spatial.locate, lng_list, lat_list) for _ in range(REPEATS)], found))
        measurements.append(measure(name, "bulk", [time_bulk(spatial.locate_many, lngs, lats) for _ in range(REPEATS)], found))
    for m in measurements:
        print(f"{m['name']:9s} {m['mode']:6s} {m['lookups_per_second']:>10,} lookups/s (median of {REPEATS}; "
              f"best {m['best_lookups_per_second']:,})  goal {GOAL_PER_SECOND:,}/s  ratio {m['ratio_to_goal']:.2f}  "
              f"({m['in_city']:,} in the city, {m['in_grid']:,} in a grid, of {m['lookups']:,})")
    write_results({
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "pinned_core": core,
        "database": "existing" if existing_db else "scratch sqlite",
        "boundaries": len(index.geometries),
        "index_build_seconds": round(build_seconds, 3),
        "repeats": REPEATS,
        "results": measurements,
    })
    print(f"Wrote {RESULTS_PATH.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
