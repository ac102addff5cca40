"""Derived forms of a dataset version (geo/derived.py): the same data as reading and simplifying
the source files, written once per version (at publish or on first use), atomically, keyed by
the files; byte budgets for the derived files and for the tile geometry a process holds."""
from __future__ import annotations

import shutil

import geopandas.testing
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import derived
from geo.errors import DataError
from geo.ingest.store import Store
from geo.read import read_bundle
from geo.simplify import FINE_TOLERANCE, display_units
from geo.tiles import LEVELS, ZOOM_BANDS, TileSet, band_of, tiles_covering
from tests import tiny
from tests.test_demo_data import DEMO

# Measured on the demo (3,001 villages, 158,479 vertices; sources 5.3 MB): 4.7 MB of derived
# files (Parquet + zstd; full units 1.3 MB, village display 0.5 MB, fine 1.0 MB, bands 1.1 MB).
DERIVED_BYTES = 6_000_000


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[derived.Derived, object]:
    root = tmp_path_factory.mktemp("derived")
    return derived.load(DEMO, root), read_bundle(DEMO)


def test_bundle_equals_reading_the_source_files(demo):
    found, expected = demo
    got = found.bundle()
    geopandas.testing.assert_geodataframe_equal(got.units, expected.units)
    for kind in ("exit_status", "services", "sites", "problems", "projects", "supervision"):
        pd.testing.assert_frame_equal(getattr(got, kind), getattr(expected, kind))
    assert got.missing == expected.missing and got.folder == expected.folder


@pytest.mark.parametrize("level", LEVELS)
def test_display_equals_simplifying_the_units(demo, level):
    found, expected = demo
    geopandas.testing.assert_geodataframe_equal(found.display(expected.units, level),
                                                display_units(expected.units, level))


def test_fine_close_up_geometry_is_derived_for_villages(demo):
    found, expected = demo
    geopandas.testing.assert_geodataframe_equal(found.display(expected.units, "village", fine=True),
                                                display_units(expected.units, "village", FINE_TOLERANCE))
    assert found.display(expected.units, "township", fine=True) is None   # small: simplified on use


def test_a_scoped_frame_is_not_served_the_whole_level(demo):
    found, expected = demo
    part = expected.units.loc[expected.units["code"].str.startswith("511722")]
    assert found.display(part, "village") is None


def test_derived_bands_keep_shared_borders(demo):
    """Every derived zoom band is a coverage simplification: neighbours neither overlap nor
    open gaps (the band's total area equals the union's)."""
    found, _ = demo
    for band in range(len(ZOOM_BANDS)):
        stored = found.band("village", band)
        if stored is None:
            assert ZOOM_BANDS[band][1] == 0   # the finest band is the display geometry itself
            continue
        geoms = stored.geoms
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="overlaps")
        pairs = left < right
        overlap = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]])).sum()
        assert overlap < 1.0   # m², rounding noise over 3,001 villages
        union = shapely.union_all(geoms)
        assert abs(union.area - shapely.area(geoms).sum()) < 1e-6 * union.area


def test_tile_set_uses_the_derived_bands_and_holds_wkb_not_geometries(demo):
    found, expected = demo
    display = found.display(expected.units, "village")
    tiles = TileSet(display, layer="village", version="v", bands=lambda b: found.band("village", b))
    vertices = 0
    held = 0
    for first, _ in ZOOM_BANDS:
        band = tiles.band(first)
        stored = found.band("village", band_of(first))
        if stored is not None:
            assert np.array_equal(band.wkb, stored.wkb)
        assert band.wkb.dtype == object and isinstance(band.wkb[0], bytes)   # no GEOS objects kept
        vertices += int(shapely.get_num_coordinates(band.geoms).sum())
        held += sum(len(w) for w in band.wkb) + band.boxes.nbytes
    # budget: 16 bytes per vertex (2D WKB) plus headers and a box per village and band
    assert held <= 16 * vertices + 80 * len(display) * len(ZOOM_BANDS)


def test_derived_files_stay_within_their_byte_budget(demo):
    found, _ = demo
    total = sum(p.stat().st_size for p in found.path.iterdir())
    assert total <= DERIVED_BYTES, total


def test_derived_once_per_version_and_keyed_by_the_files(tmp_path):
    folder = tmp_path / "data"
    tiny.write_folder(folder)
    root = tmp_path / "derived"
    first = derived.derive(folder, root)
    stamp = (first / derived.MANIFEST).stat().st_mtime_ns
    assert derived.derive(folder, root) == first
    assert (first / derived.MANIFEST).stat().st_mtime_ns == stamp          # not written again
    # a changed file is a new version: a new key, derived afresh
    exit_csv = folder / "exit_status.csv"
    exit_csv.write_text(exit_csv.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    second = derived.derive(folder, root)
    assert second != first and (second / derived.MANIFEST).is_file()
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []  # no leftovers


def test_an_invalid_folder_derives_nothing(tmp_path):
    folder = tmp_path / "data"
    tiny.write_folder(folder)
    (folder / "units.gpkg").write_bytes(b"not a geopackage")
    root = tmp_path / "derived"
    with pytest.raises(DataError):
        derived.load(folder, root)
    assert not root.exists() or list(root.iterdir()) == []


def test_publish_writes_the_derived_forms_of_the_version(tmp_path):
    store = Store(tmp_path / "store")
    version, _ = store.publish(tiny.write_folder, {"note": "one"})
    root = store.root / derived.DERIVED
    path = derived.derived_dir(root, version.folder)
    assert (path / derived.MANIFEST).is_file()
    found = derived.load(version.folder, root, create=False)
    geopandas.testing.assert_geodataframe_equal(found.bundle().units, read_bundle(version.folder).units)


def test_a_missing_derived_folder_is_not_created_when_asked_not_to(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(DEMO, folder)
    with pytest.raises(FileNotFoundError):
        derived.load(folder, tmp_path / "derived", create=False)


def test_prebuilt_tiles_are_the_tiles_the_route_would_encode(demo):
    """Low-zoom whole-dataset tiles encoded at publish are byte-identical to encoding them on
    request, cover the dataset at every zoom up to PREBUILT_MAX_ZOOM, and are served first."""
    found, expected = demo
    prebuilt = found.prebuilt("village")
    display = found.display(expected.units, "village")
    fresh = TileSet(display, layer="village", version="v", bands=lambda b: found.band("village", b))
    for z in range(derived.PREBUILT_MAX_ZOOM + 1):
        covering = tiles_covering(fresh.bounds, z)
        assert covering and all((z, x, y) in prebuilt for x, y in covering)
    for z, x, y in list(prebuilt)[::7]:
        assert prebuilt[(z, x, y)] == fresh.tile(z, x, y)
    assert len(prebuilt) <= 200 and sum(len(v) for v in prebuilt.values()) <= 2_000_000   # budget
    served = TileSet(display, layer="village", version="v", prebuilt=lambda: {(0, 0, 0): b"prebuilt"})
    assert served.tile(0, 0, 0) == b"prebuilt"
    assert served.tile(0, 0, 0, "511722") != b"prebuilt"   # a scoped request is cut, not prebuilt
