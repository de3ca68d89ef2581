"""Writing divisions into the tree by key, in bulk: the one writer behind every action.

Callers (the actions) run it inside their transaction and write one summary audit record.
A division whose values are already stored is left alone, so loading twice changes nothing.
"""
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from .models import Level, Region

LEVEL_RANK = {
    Level.CITY: 0, Level.COUNTY: 1, Level.ZONE: 1, Level.TOWNSHIP: 2, Level.COMMUNITY: 3, Level.GRID: 4,
}
STORED_FIELDS = (
    "code", "name", "level", "boundary", "centroid_lng", "centroid_lat", "area_km2", "population", "source", "is_demo",
)
QUERY_CHUNK = 500


@dataclass(frozen=True)
class Division:
    """One region as a data source describes it; `parent_key` names its parent by key."""

    key: str
    code: str | None
    name: str
    level: str
    parent_key: str | None
    boundary: dict | None = None
    centroid_lng: float | None = None
    centroid_lat: float | None = None
    area_km2: float | None = None
    population: int | None = None
    source: str = ""
    is_demo: bool = False

    def stored_values(self) -> dict:
        return {name: getattr(self, name) for name in STORED_FIELDS}


@dataclass
class WriteSummary:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0

    def as_audit(self) -> dict:
        return {"created": len(self.created), "updated": len(self.updated), "unchanged": self.unchanged,
                "created_keys": self.created, "updated_keys": self.updated}


def regions_by_key(keys, queryset=None) -> dict[str, Region]:
    """The regions of `queryset` (default: all) whose key or code is among `keys`, by key."""
    queryset = Region.objects.all() if queryset is None else queryset
    keys = list(dict.fromkeys(k for k in keys if k))
    found = {}
    for start in range(0, len(keys), QUERY_CHUNK):
        chunk = keys[start:start + QUERY_CHUNK]
        found.update((r.key, r) for r in queryset.filter(Q(key__in=chunk) | Q(code__in=chunk)))
    return found


def save_divisions(divisions: list[Division]) -> WriteSummary:
    """Create or update each division by key, parents before children. Parents must exist
    in the database or earlier in `divisions`."""
    ordered = sorted(divisions, key=lambda d: LEVEL_RANK[d.level])
    known = regions_by_key([d.key for d in ordered] + [d.parent_key for d in ordered])
    summary = WriteSummary()
    for rank in sorted({LEVEL_RANK[d.level] for d in ordered}):
        _save_rank([d for d in ordered if LEVEL_RANK[d.level] == rank], known, summary)
    return summary


def _save_rank(divisions: list[Division], known: dict[str, Region], summary: WriteSummary) -> None:
    new, changed = [], []
    for division in divisions:
        parent = known[division.parent_key] if division.parent_key else None
        region = known.get(division.key)
        if region is None:
            new.append(_new_region(division, parent))
        elif _apply(region, division, parent):
            changed.append(region)
        else:
            summary.unchanged += 1
    for region in Region.objects.bulk_create(new, batch_size=QUERY_CHUNK):
        known[region.key] = region
        summary.created.append(region.key)
    if changed:
        now = timezone.now()
        for region in changed:
            region.updated_at = now
        Region.objects.bulk_update(changed, [*STORED_FIELDS, "parent", "path", "updated_at"], batch_size=QUERY_CHUNK)
        summary.updated += [region.key for region in changed]


def _new_region(division: Division, parent: Region | None) -> Region:
    region = Region(key=division.key, parent=parent, **division.stored_values())
    region.path = region.build_path()
    return region


def _apply(region: Region, division: Division, parent: Region | None) -> bool:
    """Copy the division's values onto the region; True when anything changed."""
    values = division.stored_values()
    if region.parent_id == (parent.pk if parent else None) and all(
        getattr(region, name) == value for name, value in values.items()
    ):
        return False
    for name, value in values.items():
        setattr(region, name, value)
    old_path = region.path
    region.parent = parent
    region.path = region.build_path()
    if old_path and old_path != region.path:
        _move_descendants(old_path, region.path)
    return True


def _move_descendants(old_path: str, new_path: str) -> None:
    descendants = list(Region.objects.filter(path__startswith=old_path).exclude(path=old_path))
    for descendant in descendants:
        descendant.path = new_path + descendant.path[len(old_path):]
    Region.objects.bulk_update(descendants, ["path"], batch_size=QUERY_CHUNK)
