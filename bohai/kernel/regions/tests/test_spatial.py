import numpy as np
import pytest

from bohai.kernel.regions import actions, spatial
from bohai.kernel.regions.geometry import geometry_from_geojson

from .conftest import SYSTEM, region

IN_YUNHE = (116.8385, 38.3045)  # 运河区, near the city centre
IN_RENQIU = (116.10, 38.71)  # 任丘市, no demo grid there
IN_BOHAI_SEA = (118.5, 38.5)
IN_BEIJING = (116.40, 39.90)


def test_a_point_in_yunhe_finds_its_county_street_community_and_grid(demo_grid):
    location = spatial.locate(*IN_YUNHE)
    assert location.county.key == "130903"
    assert location.grid is not None and location.grid.code.startswith("130903")
    assert location.community.key == location.grid.parent.key
    assert location.township.key == location.community.parent.key
    assert geometry_from_geojson(region(location.grid.key).boundary).contains(
        geometry_from_geojson({"type": "Point", "coordinates": list(IN_YUNHE)}))


def test_a_point_in_a_county_without_grids_finds_the_county_only(demo_grid):
    location = spatial.locate(*IN_RENQIU)
    assert location.county.name == "任丘市"
    assert (location.township, location.community, location.grid) == (None, None, None)


@pytest.mark.parametrize("point", [IN_BOHAI_SEA, IN_BEIJING, (float("nan"), 38.3)])
def test_a_point_outside_the_city_is_nowhere(demo_grid, point):
    location = spatial.locate(*point)
    assert not location
    assert location.deepest is None


def test_nothing_is_located_before_regions_are_loaded(db):
    assert not spatial.locate(*IN_YUNHE)


def test_bulk_lookup_agrees_with_single_lookups(demo_grid):
    rng = np.random.default_rng(7)
    lngs, lats = rng.uniform(115.6, 118.1, 3000), rng.uniform(37.4, 39.0, 3000)
    seat_lngs, seat_lats = rng.uniform(116.76, 116.97, 3000), rng.uniform(38.21, 38.42, 3000)
    lngs, lats = np.concatenate([lngs, seat_lngs]), np.concatenate([lats, seat_lats])
    bulk = spatial.locate_many(lngs, lats)
    single = [spatial.locate(lng, lat) for lng, lat in zip(lngs, lats)]
    assert bulk == single
    assert sum(1 for location in bulk if location.grid) > 1000
    assert sum(1 for location in bulk if not location) > 100


def test_the_index_follows_changes_to_the_regions(cangzhou):
    assert spatial.locate(*IN_YUNHE).grid is None
    actions.build_demo_grid(actor=SYSTEM, cell_metres=2000)
    assert spatial.locate(*IN_YUNHE).grid is not None


def test_an_unchanged_database_reuses_the_index(cangzhou):
    first = spatial.current_index()
    spatial.invalidate()
    assert spatial.current_index() is first
