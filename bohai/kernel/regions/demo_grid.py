"""Demo townships, communities and unit grids for the city seat, where no official data ships.

The county is covered by a lattice of square cells clipped to its boundary; blocks of
cells form demo communities, blocks of communities demo townships (streets). Codes follow
the GB/T 30428 / DB11 grid style: 6-digit division + 3-digit street + 3-digit community +
3-digit sequence, each numbered west to east, then north to south.
"""
import math
from dataclasses import dataclass

import numpy as np
import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .geometry import area_km2, as_geojson, degrees_per_metre, geometry_from_geojson, label_point, polygonal_part
from .models import Level, Region
from .tree import Division

DEMO_SOURCE = "演示数据（非官方）"
SEAT_COUNTIES = {"130900": ("130903", "130902")}  # 运河区, 新华区
COMMUNITY_SIDE_METRES = 2000
TOWNSHIP_SIDE_COMMUNITIES = 2
MAX_GRIDS = 20_000
# Clipped cells smaller than this share of a full cell are slivers along the boundary;
# their points still fall in the community and township around them.
MIN_CELL_SHARE = 0.01


@dataclass(frozen=True)
class Cell:
    column: int  # from the west
    row: int  # from the north
    geometry: object


@dataclass(frozen=True)
class Lattice:
    west: float
    north: float
    cell_width: float  # degrees of longitude
    cell_height: float  # degrees of latitude
    columns: int
    rows: int
    cells_per_community: int

    @property
    def cells_per_township(self) -> int:
        return self.cells_per_community * TOWNSHIP_SIDE_COMMUNITIES

    def block(self, first_column: int, first_row: int, side_cells: int):
        west = self.west + first_column * self.cell_width
        north = self.north - first_row * self.cell_height
        return shapely.box(west, north - side_cells * self.cell_height, west + side_cells * self.cell_width, north)


def seat_counties(city_code: str) -> list[Region]:
    """The counties that get a demo grid: the city seat; for other cities, their urban districts (区)."""
    counties = Region.objects.filter(level=Level.COUNTY, path__startswith=f"/{city_code}/", boundary__isnull=False)
    if city_code in SEAT_COUNTIES:
        return list(counties.filter(key__in=SEAT_COUNTIES[city_code]))
    return [c for c in counties if c.name.endswith("区")]


def lattice_for(boundary, cell_metres: int) -> Lattice:
    west, south, east, north = boundary.bounds
    lng_per_metre, lat_per_metre = degrees_per_metre((south + north) / 2)
    width, height = cell_metres * lng_per_metre, cell_metres * lat_per_metre
    columns, rows = math.ceil((east - west) / width), math.ceil((north - south) / height)
    if columns * rows > MAX_GRIDS:
        raise ValidationError({"cell_metres": [_("网格过多（约 %(count)s 个），请增大网格边长") % {"count": columns * rows}]})
    return Lattice(west, north, width, height, columns, rows, max(1, round(COMMUNITY_SIDE_METRES / cell_metres)))


def clipped_cells(boundary, lattice: Lattice) -> list[Cell]:
    columns, rows = np.meshgrid(np.arange(lattice.columns), np.arange(lattice.rows))
    columns, rows = columns.ravel(), rows.ravel()
    wests = lattice.west + columns * lattice.cell_width
    norths = lattice.north - rows * lattice.cell_height
    boxes = shapely.box(wests, norths - lattice.cell_height, wests + lattice.cell_width, norths)
    shapely.prepare(boundary)
    touching = shapely.intersects(boundary, boxes)
    inside = shapely.contains_properly(boundary, boxes)
    clipped = np.where(inside, boxes, None)
    edge = touching & ~inside
    clipped[edge] = shapely.intersection(boxes[edge], boundary)
    min_area = boxes[0].area * MIN_CELL_SHARE if len(boxes) else 0
    cells = []
    for column, row, geometry in zip(columns[touching], rows[touching], clipped[touching]):
        area = polygonal_part(geometry)
        if area is not None and area.area >= min_area:
            cells.append(Cell(int(column), int(row), area))
    return cells


def county_divisions(county: Region, cell_metres: int) -> list[Division]:
    """Demo townships, communities and grids of one county, parents first."""
    boundary = geometry_from_geojson(county.boundary)
    lattice = lattice_for(boundary, cell_metres)
    cells = clipped_cells(boundary, lattice)
    by_township = _group(cells, lattice.cells_per_township)
    divisions = []
    for township_number, (township_origin, township_cells) in enumerate(by_township, start=1):
        township = _block_division(
            county, lattice, boundary, township_origin, lattice.cells_per_township,
            key=f"{county.code}{township_number:03d}", name=f"{county.name}演示街道{township_number:02d}",
            level=Level.TOWNSHIP, parent_key=county.key,
        )
        divisions.append(township)
        divisions += _community_divisions(county, lattice, boundary, township, township_cells)
    return divisions


def _community_divisions(county, lattice, boundary, township: Division, cells: list[Cell]) -> list[Division]:
    divisions = []
    for number, (origin, community_cells) in enumerate(_group(cells, lattice.cells_per_community), start=1):
        community = _block_division(
            county, lattice, boundary, origin, lattice.cells_per_community,
            key=f"{township.key}{number:03d}", name=f"{township.name}·演示社区{number:02d}",
            level=Level.COMMUNITY, parent_key=township.key,
        )
        divisions.append(community)
        divisions += [_grid_division(community, sequence, cell) for sequence, cell in enumerate(community_cells, start=1)]
    return divisions


def _group(cells: list[Cell], side_cells: int) -> list[tuple[tuple[int, int], list[Cell]]]:
    """Cells grouped into square blocks of `side_cells`, blocks and their cells ordered
    north to south, then west to east; each block named by its north-west cell."""
    blocks: dict[tuple[int, int], list[Cell]] = {}
    for cell in sorted(cells, key=lambda c: (c.row, c.column)):
        blocks.setdefault((cell.row // side_cells, cell.column // side_cells), []).append(cell)
    return [((column * side_cells, row * side_cells), blocks[(row, column)]) for row, column in sorted(blocks)]


def _block_division(county, lattice, boundary, origin, side_cells, **identity) -> Division:
    geometry = polygonal_part(shapely.intersection(lattice.block(origin[0], origin[1], side_cells), boundary))
    return _division(geometry, code=identity["key"], **identity)


def _grid_division(community: Division, sequence: int, cell: Cell) -> Division:
    key = f"{community.key}{sequence:03d}"
    return _division(
        cell.geometry, key=key, code=key, name=f"{community.name}·演示网格{sequence:03d}",
        level=Level.GRID, parent_key=community.key,
    )


def _division(geometry, **identity) -> Division:
    geometry = shapely.set_precision(geometry, 1e-6)
    lng, lat = label_point(geometry)
    return Division(
        boundary=as_geojson(geometry), centroid_lng=lng, centroid_lat=lat,
        area_km2=round(area_km2(geometry), 4), source=DEMO_SOURCE, is_demo=True, **identity,
    )
