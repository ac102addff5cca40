"""geo.identity: the region, its name, extent and metric CRS come from the loaded data."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import CRS, Geod
from shapely.geometry import box

from geo import schema
from geo.identity import area_crs, equal_area_crs, gk_zone_crs, identity_of, region_names
from geo.read import read_units
from tests import tiny

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"


def _units(rows: list[tuple[str, str, tuple[float, float, float, float]]], crs: str = "EPSG:4490"):
    """Counties (and below) as boxes in lon/lat (or `crs` coordinates)."""
    frame = pd.DataFrame([(c, n, b) for c, n, b in rows], columns=["code", "name", "bounds"])
    return gpd.GeoDataFrame({"code": frame.code, "name": frame.name, "level": "county"},
                            geometry=[box(*b) for b in frame.bounds], crs=crs)


def test_demo_is_dazhou_with_its_gauss_kruger_zone():
    ident = identity_of(read_units(DEMO / schema.FILES["units"]))
    assert ident.scope == "prefecture"
    assert ident.roots == ("511700000000",)
    assert ident.name == "达州市" and ident.label("、") == "达州市"
    assert ident.metric_crs == "EPSG:4545"
    assert "CM 108E" in CRS.from_user_input(ident.metric_crs).name
    west, south, east, north = ident.bounds
    assert 106.6 < west < 106.7 and 30.3 < south < 30.4 and 108.5 < east < 108.6 and 32.3 < north < 32.4
    assert ident.is_root_alias("511700000000") and ident.is_root_alias("510000000000")
    assert not ident.is_root_alias("511725000000")       # a county is itself, not the whole


def test_a_county_near_120e_gets_the_cm_120e_zone():
    """A one-county dataset in a projected CRS of another zone (CM 120E): named by its county."""
    x0, y0 = 500_000.0, 3_300_000.0            # metres in EPSG:4549 = 120E, ~29.8N
    units = gpd.GeoDataFrame(
        {"code": ["330282000000", "330282001000"], "name": ["慈溪市", "某街道"],
         "level": ["county", "township"]},
        geometry=[box(x0, y0, x0 + 20_000, y0 + 20_000), box(x0, y0, x0 + 10_000, y0 + 10_000)],
        crs="EPSG:4549")
    ident = identity_of(units)
    assert ident.scope == "county" and ident.roots == ("330282000000",) and ident.name == "慈溪市"
    assert ident.metric_crs == "EPSG:4549"
    assert "CM 120E" in CRS.from_user_input(ident.metric_crs).name
    assert 119.99 < ident.bounds[0] < 120.01                 # reprojected to lon/lat
    assert ident.aliases == ("330200000000", "330000000000")  # its prefecture and province


def test_tiny_dataset_is_named_by_its_county():
    ident = identity_of(tiny.units_frame())
    assert ident.name == tiny.COUNTY_NAME and ident.metric_crs == "EPSG:4545"


@pytest.mark.parametrize("lon, epsg", [(108.0, 4545), (109.4, 4545), (109.6, 4546), (121.6, 4550),
                                       (75.0, 4534), (135.0, 4554), (60.0, 4534), (140.0, 4554)])
def test_gauss_kruger_zone_of_a_longitude(lon, epsg):
    assert gk_zone_crs(lon) == f"EPSG:{epsg}"


def test_several_prefectures_of_one_province_are_equal_area_and_named_by_parts():
    units = _units([("511702000000", "通川区", (107.4, 31.1, 107.6, 31.3)),
                    ("511902000000", "巴州区", (106.6, 31.8, 106.9, 32.0))])
    ident = identity_of(units)
    assert ident.scope == "province" and ident.roots == ("510000000000",)
    assert ident.name is None                                 # two of Sichuan's prefectures only
    assert ident.label("、") == "达州市、巴中市"
    assert ident.metric_crs.startswith("+proj=aea") and "+ellps=GRS80" in ident.metric_crs
    assert ident.aliases == ("510000000000",)


def test_every_prefecture_of_a_province_is_named_by_the_province():
    names = {"990000000000": "测试省", "990100000000": "甲市", "990200000000": "乙市"}
    units = _units([("990101000000", "一区", (100.0, 30.0, 101.0, 31.0)),
                    ("990201000000", "二区", (103.0, 33.0, 104.0, 34.0))])
    ident = identity_of(units, names=names)
    assert ident.scope == "province" and ident.name == "测试省"
    assert ident.metric_crs.startswith("+proj=aea")


def test_several_provinces_join_their_names():
    units = _units([("511702000000", "通川区", (107.4, 31.1, 107.6, 31.3)),
                    ("500101000000", "万州区", (108.0, 30.5, 108.8, 31.0))])
    ident = identity_of(units)
    assert ident.scope == "provinces" and ident.roots == ("500000000000", "510000000000")
    assert ident.label("、") == "重庆市、四川省" and ident.aliases == ()
    assert ident.metric_crs.startswith("+proj=aea")


def test_equal_area_projection_keeps_areas():
    """A 2 x 2 degree cell anywhere in China: projected area within 0.1 % of the geodesic one."""
    geod = Geod(ellps="GRS80")
    for west, south in ((75.0, 38.0), (105.0, 22.0), (125.0, 45.0)):
        cell = box(west, south, west + 2, south + 2)
        crs = equal_area_crs((west - 5, south - 5, west + 7, south + 7))
        projected = gpd.GeoSeries([cell], crs="EPSG:4490").to_crs(crs).area.iloc[0]
        geodesic = abs(geod.geometry_area_perimeter(cell)[0])
        assert projected == pytest.approx(geodesic, rel=1e-3)


def test_area_crs_fits_the_shapes_and_needs_a_crs():
    shapes = gpd.GeoSeries([box(500_000, 3_400_000, 501_000, 3_401_000)], crs="EPSG:4545")
    assert shapes.to_crs(area_crs(shapes)).area.iloc[0] == pytest.approx(1e6, rel=2e-3)
    with pytest.raises(ValueError):
        area_crs(gpd.GeoSeries([box(0, 0, 1, 1)]))


def test_region_names_cover_provinces_and_prefectures():
    names = region_names()
    assert names["510000000000"] == "四川省" and names["511700000000"] == "达州市"
    assert names["110100000000"] == "北京市"                 # a municipality's district prefix
    assert sum(code[2:] == "0" * 10 for code in names) == 34


def test_an_empty_layer_has_no_identity():
    with pytest.raises(ValueError):
        identity_of(tiny.units_frame().iloc[0:0])


MAINLAND = ("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
            "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65")


def test_titles_summarise_many_parts_and_name_the_nation():
    """A title must stay one line: more than three unnamed parts read '<first>等 N 个地区', a
    dataset of every mainland province reads 全国 (seen: a nation title listing 31 provinces)."""
    from layers.snapshot import identity_name
    from ui.text import t

    def of(provinces):
        return identity_of(_units([(f"{p}0102000000", f"区{p}", (100 + i * 0.1, 30.0, 100.05 + i * 0.1, 30.05))
                                   for i, p in enumerate(provinces)]))

    assert identity_name(of(MAINLAND), t) == "全国"
    four = of(MAINLAND[:4])
    assert identity_name(four, t) == f"{four.parts[0]}等 4 个地区" == "北京市等 4 个地区"
    assert identity_name(of(MAINLAND[:3]), t) == "北京市、天津市、河北省"
