"""Boundary imports: encodings (.dbf in GBK without/with a wrong .cpg), CRS (CGCS2000, both
Gauss-Kruger variants, missing .prj with suggestions, legacy GeoJSON crs member, axis order,
wrong zone, wrong province), codes and geometry problems, repair only with consent."""
from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Polygon, box

from geo.schema import STORAGE_CRS
from tests import tiny
from tests.ingest import fixtures as fx

NAMES = ["渠县", "静边镇", "三汇镇", "新民村", "团结村", "新民村", "<img src=x onerror=alert(1)>"]


def _expected_bounds():
    return tiny.units_frame().to_crs(STORAGE_CRS).geometry.bounds.to_numpy()


def _zip(tmp_path, frame, **kwargs) -> bytes:
    return fx.zip_bytes(fx.write_shapefile(frame, tmp_path / "shp", "边界", **kwargs))


def _assert_tiny(units):
    assert units.crs.to_epsg() == 4490
    assert units["name"].tolist() == NAMES
    assert units["level"].tolist() == ["county", "township", "township"] + ["village"] * 4
    assert units["parent_code"].tolist()[:3] == ["511700000000", tiny.COUNTY, tiny.COUNTY]
    np.testing.assert_allclose(units.geometry.bounds.to_numpy(), _expected_bounds(), atol=1e-7)


def test_gbk_dbf_without_cpg_in_zone_prefix_gk(stage, tmp_path):
    staged, report = stage("units", "边界.zip", _zip(tmp_path, fx.units_in_zone_prefix()))
    assert report.errors == [] and report.warnings == []
    assert (report.first("encoding_chosen").value, report.first("encoding_chosen").file) == ("gb18030", "边界.shp")
    _assert_tiny(staged.data)


@pytest.mark.parametrize(("cpg", "declared"), [("UTF-8", "utf-8"), ("1252", "cp1252")])
def test_wrong_cpg_is_overruled_and_said(stage, tmp_path, cpg, declared):
    staged, report = stage("units", "边界.zip", _zip(tmp_path, fx.units_in_zone_prefix(), cpg=cpg))
    problem = report.first("cpg_wrong")
    assert (problem.severity, problem.value, problem.detail) == ("warning", declared, {"encoding": "gb18030"})
    assert staged.data["name"].tolist() == NAMES


def test_correct_cpg_is_used(stage, tmp_path):
    staged, report = stage("units", "边界.zip",
                           _zip(tmp_path, fx.units_in_zone_prefix(), encoding="UTF-8", cpg="UTF-8"))
    assert report.first("encoding_chosen").value == "utf-8" and report.warnings == []
    assert staged.data["name"].tolist() == NAMES


def test_cm_variant_geopackage(stage, tmp_path):
    path = tmp_path / "u.gpkg"
    tiny.units_frame().to_file(path, layer="乡村", engine="pyogrio")
    staged, report = stage("units", "u.gpkg", path.read_bytes())
    assert report.errors == []
    _assert_tiny(staged.data)


def test_geopackage_layer_picker(stage, tmp_path):
    path = tmp_path / "u.gpkg"
    tiny.units_frame().to_file(path, layer="县", engine="pyogrio")
    tiny.units_frame().to_file(path, layer="村", engine="pyogrio")
    staged, report = stage("units", "u.gpkg", path.read_bytes())
    assert staged.data is None and report.rules() == ["layer_choose"]
    assert sorted(c.label for c in staged.choices) == ["u.gpkg : 县", "u.gpkg : 村"]
    staged, report = stage("units", "u.gpkg", path.read_bytes(), pick="u.gpkg : 村")
    assert report.errors == [] and staged.chosen.part == "村"


def test_cgcs2000_geojson(stage):
    data = tiny.units_frame().to_crs("EPSG:4490").to_json().encode("utf-8")
    staged, report = stage("units", "u.geojson", data)
    assert report.errors == []
    _assert_tiny(staged.data)


def test_geojson_in_metres_with_legacy_crs_member(stage):
    doc = json.loads(tiny.units_frame().to_json())
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4545"}}
    staged, report = stage("units", "u.geojson", json.dumps(doc, ensure_ascii=False).encode("utf-8"))
    assert report.errors == []
    _assert_tiny(staged.data)


def test_missing_prj_suggests_zone_and_user_confirms(stage, tmp_path):
    data = _zip(tmp_path, fx.units_in_zone_prefix(), prj=False)
    staged, report = stage("units", "边界.zip", data)
    problem = report.first("crs_missing")
    assert (problem.file, problem.detail, problem.fix) == ("边界.shp", {"candidates": ["EPSG:4524"]}, "crs_choose")
    assert staged.crs_candidates == ["EPSG:4524"] and staged.data is None
    staged, report = stage("units", "边界.zip", data, crs="EPSG:4524")
    assert report.errors == []
    _assert_tiny(staged.data)


def test_missing_prj_without_zone_prefix_lists_central_meridians(stage, tmp_path):
    frame = tiny.units_frame().rename(columns={"code": "XZQDM", "name": "XZQMC"})[["XZQDM", "XZQMC", "geometry"]]
    staged, report = stage("units", "边界.zip", _zip(tmp_path, frame, prj=False))
    # every 3-degree CM putting the data inside Sichuan (51); the user picks the right one
    assert report.first("crs_missing").detail == {"candidates": ["EPSG:4542", "EPSG:4543", "EPSG:4544", "EPSG:4545"]}


def test_northing_first_axis_order_is_a_clear_error(stage, tmp_path):
    frame = tiny.units_frame()[["code", "name", "geometry"]]
    swapped = frame.set_geometry(frame.geometry.map(
        lambda g: Polygon([(y, x) for x, y in g.exterior.coords])), crs="EPSG:4545")
    staged, report = stage("units", "边界.zip", _zip(tmp_path, swapped))
    assert staged.data is None
    problem = report.first("crs_axis_swapped")
    assert (problem.file, problem.column, problem.value) == ("边界.shp", "geometry",
                                                             "EPSG:4545 CGCS2000 / 3-degree Gauss-Kruger CM 108E")


def test_wrong_zone_names_the_right_one(stage, tmp_path):
    frame = fx.units_in_zone_prefix().set_crs("EPSG:4525", allow_override=True)
    staged, report = stage("units", "边界.zip", _zip(tmp_path, frame))
    assert report.first("crs_wrong_zone").detail["candidates"] == ["EPSG:4524"]


def test_data_outside_the_province_its_codes_name(stage, tmp_path):
    frame = tiny.units_frame()
    frame["code"] = frame["code"].str.replace("51", "44", n=1, regex=False)
    frame["parent_code"] = frame["parent_code"].str.replace("51", "44", n=1, regex=False)
    staged, report = stage("units", "u.geojson", frame.to_json().encode("utf-8"))
    assert report.rules("error") == ["outside_province"]


def test_code_problems_all_reported(stage):
    frame = tiny.units_frame()
    frame["code"] = frame["code"].astype(object)
    frame.loc[1, "code"] = "4.51103E+11"
    frame.loc[2, "code"] = tiny.COUNTY            # duplicate of row 1
    frame.loc[3, "code"] = "51172510020１.0"       # full-width digit and .0: repaired
    frame.loc[4, "code"] = "51172510"
    staged, report = stage("units", "u.geojson", frame.to_json().encode("utf-8"))
    found = [(p.rule, p.row, p.column, p.value) for p in report.errors]
    # the file also declares level and parent: row 3 (now the county's code) contradicts them
    assert found == [("code_scientific", 2, "code", "4.51103E+11"),
                     ("code_length", 5, "code", "51172510"),
                     ("key_duplicate", 3, "code", tiny.COUNTY),
                     ("level_mismatch", 3, "level", "township"),
                     ("parent_mismatch", 3, "parent_code", tiny.COUNTY)]
    assert report.first("key_duplicate").detail == {"first_row": 1}


def test_empty_null_and_mixed_geometries(stage):
    frame = tiny.units_frame()
    geoms = list(frame.geometry)
    geoms[4] = None
    geoms[5] = Polygon()
    geoms[6] = LineString([(500000, 3400000), (501000, 3401000)])
    frame = frame.set_geometry(gpd.GeoSeries(geoms, crs=frame.crs))
    staged, report = stage("units", "u.geojson", frame.to_json().encode("utf-8"))
    found = [(p.rule, p.row, p.value) for p in report.errors]
    assert found == [("geometry_empty", 5, tiny.VILLAGES[1]), ("geometry_empty", 6, tiny.VILLAGES[2]),
                     ("geometry_not_polygon", 7, f"{tiny.VILLAGES[3]} (LineString)")]


def _bow_tie_frame():
    frame = tiny.units_frame()
    x0, y0, s = tiny.X0 + tiny.SIDE, tiny.Y0 + tiny.SIDE, tiny.SIDE
    # village 4's square drawn as a bow-tie: two triangles of 1,000,000 m² each
    bow = Polygon([(x0, y0), (x0 + s, y0 + s), (x0 + s, y0), (x0, y0 + s)])
    return frame.set_geometry(gpd.GeoSeries([*frame.geometry[:6], bow], crs=frame.crs))


def test_invalid_polygon_needs_consent(stage):
    staged, report = stage("units", "u.geojson", _bow_tie_frame().to_json().encode("utf-8"))
    problem = report.first("geometry_invalid")
    assert (problem.row, problem.value, problem.fix) == (7, tiny.VILLAGES[3], "geometry_repair")
    assert problem.detail["reason"].startswith("Self-intersection")
    assert staged.data is None


def test_repair_that_changes_the_area_too_much_is_refused(stage):
    """A bow-tie's drawn (signed-ring) area is 0; repaired it would be 2 km²: an error, not a note."""
    staged, report = stage("units", "u.geojson", _bow_tie_frame().to_json().encode("utf-8"), repair=True)
    problem = report.first("geometry_repair_too_large")
    assert problem.severity == "error" and problem.row == 7 and staged.data is None
    assert problem.detail["area_before_m2"] == pytest.approx(0, abs=1)
    assert problem.detail["area_after_m2"] == pytest.approx(2_000_000, rel=2e-3)
    assert problem.detail["limit"] == "5%"


def _twisted_frame() -> gpd.GeoDataFrame:
    frame = tiny.units_frame()
    x0, y0, s = tiny.X0 + tiny.SIDE, tiny.Y0 + tiny.SIDE, tiny.SIDE
    # village 4's square with a small twist in its left edge (a 20 m figure-eight)
    ring = [(x0, y0), (x0 + s, y0), (x0 + s, y0 + s), (x0, y0 + s), (x0, y0 + s / 2 + 10),
            (x0 + 20, y0 + s / 2 - 10), (x0 + 20, y0 + s / 2 + 10), (x0, y0 + s / 2 - 10)]
    return frame.set_geometry(gpd.GeoSeries([*frame.geometry[:6], Polygon(ring)], crs=frame.crs))


def test_invalid_polygon_repaired_with_area_report(stage):
    staged, report = stage("units", "u.geojson", _twisted_frame().to_json().encode("utf-8"), repair=True)
    assert report.errors == []
    problem = report.first("geometry_repaired")
    assert problem.severity == "warning" and problem.row == 7
    assert abs(problem.detail["change_m2"]) < 1000 and problem.detail["share"] == "0%"
    assert staged.data.geometry.iloc[6].is_valid


def test_overlapping_units_and_3d_polygons(stage):
    from shapely.affinity import translate
    from shapely import force_3d
    frame = tiny.units_frame()
    geoms = list(frame.geometry)
    geoms[6] = translate(geoms[6], xoff=-tiny.SIDE / 2)          # village 4 over village 3
    geoms[3] = force_3d(geoms[3], 350.0)                        # village 1 with heights
    frame = frame.set_geometry(gpd.GeoSeries(geoms, crs=frame.crs))
    staged, report = stage("units", "u.geojson", frame.to_json().encode("utf-8"))
    overlap = report.first("geometry_overlap")
    assert overlap.severity == "error" and overlap.row == 7 and overlap.value == tiny.VILLAGES[3]
    assert overlap.detail["other"] in tiny.VILLAGES[:3] and overlap.detail["area_m2"] > 100_000
    flat = report.first("geometry_3d")
    assert flat.severity == "warning" and flat.row == 4 and flat.detail["count"] == 1
    assert staged.data is None


def test_units_columns_missing_named(stage):
    frame = tiny.units_frame().rename(columns={"code": "编号x"})
    staged, report = stage("units", "u.geojson", frame.to_json().encode("utf-8"))
    problem = report.first("column_missing")
    assert problem.column == "code" and "编号x" in problem.detail["found"]


def test_cgcs2000_box_helpers_hold():
    # the expected positions used above really are near Dazhou (108E, 30.7N)
    minx, miny, maxx, maxy = box(*_expected_bounds()[0]).bounds
    assert 107.9 < minx < maxx < 108.1 and 30.6 < miny < maxy < 30.8
