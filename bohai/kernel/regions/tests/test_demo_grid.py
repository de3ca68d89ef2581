import math
import re

import pytest
import shapely
from django.core.exceptions import ValidationError

from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.regions import actions
from bohai.kernel.regions.demo_grid import DEMO_SOURCE, lattice_for
from bohai.kernel.regions.geometry import geometry_from_geojson
from bohai.kernel.regions.models import Level, Region

from .conftest import DEMO_CELL_METRES, SYSTEM, region

GRID_CODE = re.compile(r"^(130902|130903)(\d{3})(\d{3})(\d{3})$")


def test_the_default_500_metre_grid_has_a_reasonable_count(cangzhou):
    actions.build_demo_grid(actor=SYSTEM)
    assert 500 < Region.objects.filter(level=Level.GRID).count() < 5000


def test_grid_codes_follow_division_street_community_sequence(demo_grid):
    grids = Region.objects.filter(level=Level.GRID).select_related("parent__parent__parent")
    for grid in grids:
        county, street, community, sequence = GRID_CODE.match(grid.code).groups()
        assert grid.key == grid.code
        assert grid.parent.code == county + street + community
        assert grid.parent.parent.code == county + street
        assert grid.parent.parent.parent.code == county
        assert sequence != "000"


def test_codes_are_unique_and_numbered_from_one(demo_grid):
    codes = list(Region.objects.filter(is_demo=True).values_list("code", flat=True))
    assert len(codes) == len(set(codes))
    assert region("130903001").level == Level.TOWNSHIP
    assert region("130903001001").level == Level.COMMUNITY


def test_only_the_city_seat_gets_demo_divisions(demo_grid):
    counties = {r.path.split("/")[2] for r in Region.objects.filter(is_demo=True)}
    assert counties == {"130902", "130903"}


def test_demo_regions_are_clearly_marked(demo_grid):
    for demo in Region.objects.filter(is_demo=True):
        assert "演示" in demo.name and demo.source == DEMO_SOURCE
    assert region("130903001").name == "运河区演示街道01"
    assert not Region.objects.filter(is_demo=False, level__in=[Level.TOWNSHIP, Level.COMMUNITY, Level.GRID]).exists()


def _north_west(grid: Region) -> tuple[float, float]:
    west, _, _, north = geometry_from_geojson(grid.boundary).bounds
    return round(-north, 5), round(west, 5)


def test_grids_are_numbered_west_to_east_then_north_to_south(demo_grid):
    # Whole cells (not clipped by the county boundary) show the lattice order exactly.
    for community in Region.objects.filter(level=Level.COMMUNITY, key__startswith="130903")[:10]:
        whole = [g for g in community.children.order_by("code")
                 if geometry_from_geojson(g.boundary).equals(shapely.envelope(geometry_from_geojson(g.boundary)))]
        corners = [_north_west(g) for g in whole]
        assert corners == sorted(corners)


def test_streets_are_numbered_west_to_east_then_north_to_south(demo_grid):
    lattice = lattice_for(geometry_from_geojson(region("130903").boundary), DEMO_CELL_METRES)
    block_width = lattice.cell_width * lattice.cells_per_township
    block_height = lattice.cell_height * lattice.cells_per_township
    streets = Region.objects.filter(level=Level.TOWNSHIP, key__startswith="130903").order_by("code")
    # A street's label point lies inside it, hence inside its lattice block.
    blocks = [(math.floor((lattice.north - s.centroid_lat) / block_height),
               math.floor((s.centroid_lng - lattice.west) / block_width)) for s in streets]
    assert blocks == sorted(blocks) and len(set(blocks)) == len(blocks)


def test_grids_tile_the_county(demo_grid):
    yunhe = geometry_from_geojson(region("130903").boundary)
    grids = [geometry_from_geojson(g.boundary) for g in Region.objects.filter(level=Level.GRID, key__startswith="130903")]
    covered = shapely.union_all(grids)
    assert covered.area == pytest.approx(yunhe.area, rel=0.01)
    assert sum(g.area for g in grids) == pytest.approx(covered.area, rel=1e-6)  # no overlaps


def test_building_twice_changes_nothing(demo_grid):
    count = Region.objects.count()
    summary = actions.build_demo_grid(actor=SYSTEM, cell_metres=DEMO_CELL_METRES)
    assert summary.created == [] and summary.updated == []
    assert Region.objects.count() == count


def test_a_coarser_grid_replaces_the_finer_one(demo_grid):
    fine = Region.objects.filter(level=Level.GRID).count()
    actions.build_demo_grid(actor=SYSTEM, cell_metres=DEMO_CELL_METRES * 2)
    coarse = Region.objects.filter(level=Level.GRID).count()
    assert coarse < fine / 2
    entry = AuditRecord.objects.order_by("-id").first()
    assert entry.action == "regions.build_demo_grid" and entry.after["removed"] > 0


def test_build_writes_one_summary_audit_record(cangzhou):
    before = AuditRecord.objects.count()
    actions.build_demo_grid(actor=SYSTEM, cell_metres=2000)
    assert AuditRecord.objects.count() == before + 1
    entry = AuditRecord.objects.order_by("-id").first()
    assert set(entry.after["counties"]) == {"130902", "130903"}
    assert entry.after["created"] == Region.objects.filter(is_demo=True).count()


def test_cell_size_out_of_range_is_a_field_error(cangzhou):
    with pytest.raises(ValidationError) as raised:
        actions.build_demo_grid(actor=SYSTEM, cell_metres=5)
    assert "cell_metres" in raised.value.message_dict


def test_demo_grid_needs_the_counties_first(db):
    with pytest.raises(ValidationError):
        actions.build_demo_grid(actor=SYSTEM)


def test_remove_demo_divisions(demo_grid):
    result = actions.remove_demo_divisions(actor=SYSTEM)
    assert result["kept_in_use"] == [] and result["removed"] > 0
    assert not Region.objects.filter(is_demo=True).exists()


def test_a_demo_region_in_use_is_kept(demo_grid):
    from bohai.kernel.organisations.models import Organisation

    grid = Region.objects.filter(level=Level.GRID).first()
    Organisation.objects.create(key="grid-office", name="网格工作站", kind="community", region=grid, path="/grid-office/")
    result = actions.remove_demo_divisions(actor=SYSTEM)
    kept = {grid.key, grid.parent.key, grid.parent.parent.key}
    assert set(result["kept_in_use"]) == kept
    assert set(Region.objects.filter(is_demo=True).values_list("key", flat=True)) == kept
