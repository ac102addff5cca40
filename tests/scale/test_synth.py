"""The benchmark dataset generator (bench/synth.py) on a tiny hand-made input: every level a valid
coverage and exactly the union of its children, across county borders too; seeded determinism;
figures that pass the portal's own rules. And tile budgets on a dense synthetic area (villages of
about 2 km², as in the North China Plain) at the zooms where a province's villages are seen."""
from __future__ import annotations

import math

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import pytest
import shapely

from bench import synth
from geo import schema
from geo.read import read_bundle
from geo.simplify import display_units
from geo.tiles import TileSet

COUNTIES = ("520101000000", "520102000000")


def tiny_input(size_deg: float = 0.1, villages: int = 60, split: float = 0.45):
    """Two neighbouring counties (a square cut along a jagged line) with three real-looking
    townships each, one of them a 街道."""
    jag = [(split * size_deg + 0.01 * size_deg * math.sin(k), k * size_deg / 8) for k in range(9)]
    square = shapely.box(106.0, 26.0, 106.0 + size_deg, 26.0 + size_deg)
    line = shapely.LineString([(106.0 + x, 26.0 + y) for x, y in jag])
    left, right = sorted(shapely.get_parts(shapely.polygonize(
        shapely.get_parts(shapely.union_all([square.boundary, line])))), key=lambda g: g.centroid.x)
    counties = gpd.GeoDataFrame({"code": list(COUNTIES), "name": ["南明区", "云岩区"]},
                                geometry=[left, right], crs=schema.STORAGE_CRS)
    towns = {c: [(c[:6] + "001000", "甲街道"), (c[:6] + "100000", "乙镇"), (c[:6] + "200000", "丙乡")]
             for c in COUNTIES}
    return counties, towns, villages


def build(seed: int = 7, **kwargs):
    counties, towns, villages = tiny_input(**kwargs)
    return synth.build_units(("52",), villages, seed, log=lambda *_: None, counties=counties, towns=towns)


@pytest.fixture(scope="module")
def tiny():
    return build()


def test_every_level_is_a_valid_coverage_and_the_union_of_its_children(tiny):
    units, _ = tiny
    counts = synth.check_units(units)  # raises on gaps, overlaps or a parent unlike its children
    assert counts["county"] == 2 and counts["township"] == 6 and counts["village"] >= 48  # 60 asked: merged fragments drop a few
    villages = units.loc[units["level"] == "village"]
    assert shapely.coverage_is_valid(villages.geometry.values)  # across the county border too
    counties, _, _ = tiny_input()
    for code, source in zip(counties["code"], counties.geometry):
        mine = units.loc[units["code"] == code].geometry.iloc[0]
        assert shapely.hausdorff_distance(mine, source) < 1e-5  # the real outline, kept
    codes = villages["code"]
    assert codes.is_unique and (codes.str[:9] + "000" == villages["parent_code"]).all()
    street = villages.loc[villages["parent_code"].str[6:9] == "001", "code"]
    assert (street.str[9:].astype(int) < 200).all()  # a 街道 holds communities (001..199)


def test_the_generator_is_seeded():
    first, _ = build(seed=3)
    again, _ = build(seed=3)
    other, _ = build(seed=4)
    wkb = lambda u: shapely.to_wkb(u.geometry.values).tolist()  # noqa: E731
    assert first["code"].tolist() == again["code"].tolist() and wkb(first) == wkb(again)
    assert first["name"].tolist() == again["name"].tolist()
    assert wkb(first) != wkb(other)


def test_figures_pass_the_portals_rules(tiny, tmp_path):
    units, info = tiny
    tables = synth.build_figures(units, info, 7)
    units.to_file(tmp_path / schema.FILES["units"], layer=schema.UNITS_LAYER, driver="GPKG", engine="pyogrio")
    for kind, frame in tables.items():
        frame.to_csv(tmp_path / schema.FILES[kind], index=False)
    bundle = read_bundle(tmp_path)  # the file reader's rules, fail-first
    es = bundle.exit_status
    villages = es.loc[es["code"].str[9:] != "000"]
    assert (villages["exited_poor"] <= villages["registered_poor"]).all()
    assert (villages.loc[villages["year"] == 2020, "exited_poor"]
            == villages.loc[villages["year"] == 2020, "registered_poor"]).all()
    exited = villages.loc[villages["actual_exit_year"] == villages["year"]]
    left = (exited["registered_poor"] - exited["exited_poor"]) / exited["rural_population"]
    assert (left < schema.INCIDENCE_THRESHOLD).all()  # 一低 in the exit year


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


@pytest.fixture(scope="module")
def dense() -> TileSet:
    """~0.45° x 0.45° (about 2,000 km²) holding 1,000 villages: 2 km² each."""
    units, _ = build(size_deg=0.45, villages=1_000, seed=11)
    return TileSet(display_units(units, "village"), layer="village", version="dense")


# Worst tile of the dense area per zoom, measured: 40,179 / 30,070 / 16,604 / 9,828 bytes and
# 998 / 607 / 300 / 185 features at z7 / z9 / z11 / z12 (40-55 bytes per village). The whole area
# falls into one tile up to z8: a z7 tile of a real dense plain holds ~40x this area, i.e. ~40,000
# villages and ~1.6 MB, so village tiles belong at z9 and beyond (bench/bench_nation.py measures).
TILE_BYTES = {7: 46_000, 9: 35_000, 11: 19_000, 12: 11_500}
TILE_FEATURES = {7: 1_000, 9: 700, 11: 345, 12: 215}
BYTES_PER_FEATURE = {7: 46, 9: 57, 11: 64, 12: 64}


@pytest.mark.parametrize("z", sorted(TILE_BYTES))
def test_dense_tiles_stay_within_byte_and_feature_budgets(dense, z):
    minx, miny, maxx, maxy = dense.bounds
    x0, y1 = tile_of(minx, miny, z)
    x1, y0 = tile_of(maxx, maxy, z)
    sizes, counts = [], []
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            data = dense.tile(z, x, y)
            decoded = mapbox_vector_tile.decode(data)
            sizes.append(len(data))
            counts.append(len(decoded["village"]["features"]) if decoded else 0)
    assert sum(counts) >= len(dense.codes)
    assert max(sizes) <= TILE_BYTES[z], (sizes, counts)
    assert max(counts) <= TILE_FEATURES[z], counts
    assert max(sizes) / max(max(counts), 1) <= BYTES_PER_FEATURE[z]
    assert np.all(np.asarray(sizes) > 0)


def test_chunked_simplification_keeps_neighbouring_chunks_fitting(monkeypatch):
    """Beyond CHUNK_UNITS a publish simplifies per province chunk with the chunk outline kept:
    the two chunks (provinces 52 and 53 here) still form one valid coverage, no gaps, no overlaps."""
    from geo import pg
    counties, towns, _ = tiny_input(size_deg=0.2)
    counties["code"] = ["520101000000", "530102000000"]
    towns = {c: [(c[:6] + t[6:], n) for t, n in rows] for c, rows in zip(counties["code"], towns.values())}
    units, _ = synth.build_units(("52", "53"), 150, 5, log=lambda *_: None, counties=counties, towns=towns)
    villages = units.loc[units["level"] == "village"].sort_values("code")
    geoms, codes = villages.geometry.values, villages["code"].to_numpy()
    monkeypatch.setattr(pg, "CHUNK_UNITS", 10)
    chunked = pg._simplified(geoms, codes, 0.0005)
    assert shapely.coverage_is_valid(chunked)
    assert shapely.get_num_coordinates(chunked).sum() < 0.8 * shapely.get_num_coordinates(geoms).sum()
    left = shapely.union_all(chunked[codes < "53"])
    right = shapely.union_all(chunked[codes >= "53"])
    assert shapely.area(shapely.intersection(left, right)) < 1e-12
    assert shapely.area(shapely.union(left, right)) == pytest.approx(shapely.area(shapely.union_all(geoms)), rel=1e-9)


def test_repair_invalid_fixes_a_self_crossing_village_and_keeps_valid_ones():
    """A village face crossing itself (a bow tie) becomes valid polygons over the same area; its
    valid neighbour is the very same object (untouched, so shared borders stay shared)."""
    bow = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    square = shapely.box(2, 0, 3, 2)
    out = synth.repair_invalid(np.array([bow, square], dtype=object), log=lambda _: None)
    assert not shapely.is_valid(bow)
    assert shapely.is_valid(out).all()
    assert out[1] is square
    assert math.isclose(out[0].area, 2.0)
    assert out[0].geom_type in ("Polygon", "MultiPolygon")
