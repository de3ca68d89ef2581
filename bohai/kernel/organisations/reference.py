"""The reference set of government units: city departments, their county counterparts,
township offices and staff positions, read from data/departments.csv and data/positions.csv."""
import csv
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"

# Functional zones run a small administration of their own, not a full set of bureaus.
ZONE_FUNCTIONS = (
    "general_office", "development_reform", "administrative_approval", "market_regulation",
    "ecology_environment", "housing_construction", "emergency", "finance", "data_services",
)


@dataclass(frozen=True)
class DepartmentSpec:
    function: str
    name: str
    short_name: str
    kind: str
    in_counties: bool
    duties: str


@dataclass(frozen=True)
class PositionSpec:
    kind: str
    title: str
    headcount: int


def department_specs() -> list[DepartmentSpec]:
    with open(DATA_DIR / "departments.csv", encoding="utf-8") as handle:
        return [
            DepartmentSpec(r["function"], r["name"], r["short_name"], r["kind"], r["in_counties"] == "yes", r["duties"])
            for r in csv.DictReader(handle)
        ]


def position_specs() -> dict[str, list[PositionSpec]]:
    by_kind: dict[str, list[PositionSpec]] = {}
    with open(DATA_DIR / "positions.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_kind.setdefault(row["kind"], []).append(PositionSpec(row["kind"], row["title"], int(row["headcount"])))
    return by_kind


def government_name(region) -> str:
    if region.level == "zone":
        return f"{region.name}管理委员会"
    return f"{region.name}人民政府"


def township_office_name(region) -> str:
    return f"{region.name}办事处" if "街道" in region.name else f"{region.name}人民政府"
