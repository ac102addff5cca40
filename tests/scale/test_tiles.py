"""Vector tiles from coverage-simplified geometry: known answers on the tiny dataset, budgets
(bytes and features per tile) on the demo's villages, class-table budgets per restyle."""
from __future__ import annotations

import json
import math

import mapbox_vector_tile
import numpy as np
import pytest
import shapely

from geo.read import read_bundle, validate_units
from geo.simplify import display_units
from geo.tiles import (
    EXTENT,
    MAX_ZOOM,
    TileError,
    TileSet,
    parse_tile,
    tile_bounds,
    to_mercator,
)
from tests import tiny
from tests.test_demo_data import DEMO


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


@pytest.fixture(scope="module")
def tiny_set() -> TileSet:
    units = validate_units(tiny.units_frame(), source="tiny")
    return TileSet(display_units(units, "village"), layer="village", version="v1")


@pytest.fixture(scope="module")
def demo_set() -> TileSet:
    units = read_bundle(DEMO).units
    return TileSet(display_units(units, "village"), layer="village", version="demo")


@pytest.mark.parametrize("parts, status", [
    (("bogus", "1", "0", "0"), 404), (("village", "x", "0", "0"), 400),
    (("village", "3", "8", "0"), 400), (("village", "3", "0", "-1"), 400),
    (("village", str(MAX_ZOOM + 1), "0", "0"), 400), (("village", "1.5", "0", "0"), 400),
])
def test_bad_tile_requests_are_refused_with_a_status(parts, status):
    with pytest.raises(TileError) as info:
        parse_tile(*parts)
    assert info.value.status == status


def test_tile_bounds_cover_the_world_at_zoom_0():
    minx, miny, maxx, maxy = tile_bounds(0, 0, 0)
    assert minx == pytest.approx(-20037508.34, abs=1) and maxy == pytest.approx(20037508.34, abs=1)
    assert tile_bounds(1, 1, 1)[0] == pytest.approx(0, abs=1e-6)


def test_a_tile_holds_each_village_once_with_its_index(tiny_set):
    lon, lat = tiny_set.bounds[0] + 0.001, tiny_set.bounds[1] + 0.001
    x, y = tile_of(lon, lat, 10)
    decoded = mapbox_vector_tile.decode(tiny_set.tile(10, x, y))
    features = decoded["village"]["features"]
    assert decoded["village"]["extent"] == EXTENT
    assert sorted(f["properties"]["i"] for f in features) == [0, 1, 2, 3]
    assert sorted(f["id"] for f in features) == sorted(int(c) for c in tiny.VILLAGES)
    # index order = code order; names and codes travel in the index, escaped by the browser
    index = json.loads(tiny_set.index_json())
    assert index["codes"] == sorted(tiny.VILLAGES)
    assert "<img src=x onerror=alert(1)>" in index["names"]


def test_scope_keeps_other_regions_out_of_tiles_and_index(tiny_set):
    lon, lat = tiny_set.bounds[0] + 0.001, tiny_set.bounds[1] + 0.001
    x, y = tile_of(lon, lat, 10)
    scope = tiny.TOWNS[0][:9]
    features = mapbox_vector_tile.decode(tiny_set.tile(10, x, y, scope))["village"]["features"]
    codes = [tiny_set.codes[f["properties"]["i"]] for f in features]
    assert codes and all(c.startswith(scope) for c in codes)
    index = json.loads(tiny_set.index_json(scope))
    assert [c for c in index["codes"] if c] == [c for c in sorted(tiny.VILLAGES) if c.startswith(scope)]


def test_a_tile_far_away_is_empty(tiny_set):
    decoded = mapbox_vector_tile.decode(tiny_set.tile(10, 0, 0))
    assert all(not layer["features"] for layer in decoded.values())


def test_locate_finds_the_village_under_a_point(tiny_set):
    units = validate_units(tiny.units_frame(), source="tiny")
    village = units.loc[units["code"] == tiny.VILLAGES[3]].geometry.iloc[0]
    point = village.representative_point()
    assert tiny_set.locate(point.x, point.y) == tiny.VILLAGES[3]
    assert tiny_set.locate(0.0, 0.0) is None


def test_bands_keep_the_coverage_clean(demo_set):
    """Per-zoom simplification is a coverage simplification: no overlaps between neighbours."""
    band = demo_set.band(7)
    geoms = band.geoms
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="overlaps")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]])).sum()
    assert overlap < 1.0  # m² in Web Mercator over 3,001 villages: rounding noise only


# Budgets for the demo's 3,001 villages at the zooms a prefecture is viewed at (measured: largest
# tile 120 / 104 / 63 / 22 KB and 2,738 / 2,371 / 1,139 / 394 features at z7..z10). Tiles carry only
# geometry and the feature index: about 45 bytes per village.
TILE_BYTES = {7: 140_000, 8: 125_000, 9: 75_000, 10: 28_000}
TILE_FEATURES = {7: 3_001, 8: 2_600, 9: 1_300, 10: 450}


@pytest.mark.parametrize("z", sorted(TILE_BYTES))
def test_demo_tiles_stay_within_byte_and_feature_budgets(demo_set, z):
    minx, miny, maxx, maxy = demo_set.bounds
    x0, y1 = tile_of(minx, miny, z)
    x1, y0 = tile_of(maxx, maxy, z)
    sizes, counts = [], []
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            data = demo_set.tile(z, x, y)
            sizes.append(len(data))
            decoded = mapbox_vector_tile.decode(data)
            counts.append(len(decoded["village"]["features"]) if decoded else 0)
    assert max(sizes) <= TILE_BYTES[z], sizes
    assert max(sizes) / max(max(counts), 1) <= 60  # bytes per feature
    assert max(counts) <= TILE_FEATURES[z], counts
    assert sum(counts) >= 3001  # every village is in some tile (edge villages in several)


def test_projection_matches_web_mercator():
    point = to_mercator(np.array([shapely.Point(108.0, 31.0)]))[0]
    assert point.x == pytest.approx(12022505.006, abs=0.01) and point.y == pytest.approx(3632749.143, abs=0.01)
