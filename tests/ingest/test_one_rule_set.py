"""One set of data rules: the same broken boundaries (and sites) through the import (collect-all,
as the command line and the page run it) and through the reader of a published dataset give the
same rule ids, rows and columns; the reader refuses with the first of them, in Chinese."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Polygon

from geo.errors import DataError
from geo.ingest import files, pipeline
from geo.ingest.store import Store
from geo.problems import Report
from geo.read import check_units, read_units
from tests import tiny
from ui.text import error_text


def _located(problems) -> list[tuple]:
    return [(p.file, p.rule, p.row, p.column) for p in problems if p.severity != "info"]


def _import(tmp_path: Path, delivered: dict[str, bytes], kinds: dict[str, str]) -> Report:
    """A new dataset from `delivered` (name -> bytes), staged and published like `cli.ingest --new`."""
    report = Report()
    uploads = [files.receive(data, name=name, report=report, staging_root=tmp_path / "staging")
               for name, data in delivered.items()]
    try:
        delivery = pipeline.stage_delivery(uploads, report, mode="new", base=None, kinds=kinds)
        if report.ok:
            pipeline.publish(Store(tmp_path / "store"), delivery.staged, base=None, report=report, mode="new")
    finally:
        for upload in uploads:
            upload.cleanup()
    return report


def _broken_units() -> gpd.GeoDataFrame:
    frame = tiny.units_frame()
    x0, y0, s = tiny.X0 + tiny.SIDE, tiny.Y0 + tiny.SIDE, tiny.SIDE
    geoms = list(frame.geometry)
    geoms[5] = None                                                          # row 6: no polygon
    geoms[6] = Polygon([(x0, y0), (x0 + s, y0 + s), (x0 + s, y0), (x0, y0 + s)])  # row 7: bow-tie
    frame = frame.set_geometry(gpd.GeoSeries(geoms, crs=frame.crs))
    frame.loc[1, "code"] = "5.11725E+11"             # row 2: digits lost by Excel
    frame.loc[2, "code"] = tiny.COUNTY               # row 3: duplicate, contradicting level/parent
    frame.loc[3, "level"] = "township"               # row 4: declared level is not the code's
    frame.loc[4, "name"] = ""                        # row 5: no name
    return frame


def _orphans() -> gpd.GeoDataFrame:
    """Clean boundaries without the second township: its two villages have no parent."""
    frame = tiny.units_frame()
    return frame.drop(index=1).reset_index(drop=True)


@pytest.mark.parametrize("make", [_broken_units, _orphans], ids=["attributes_and_geometry", "parents"])
def test_units_import_and_read_apply_the_same_rules(tmp_path, make):
    path = tmp_path / "units.gpkg"
    make().to_file(path, layer="units", engine="pyogrio")
    imported = _import(tmp_path, {"units.gpkg": path.read_bytes()}, {"units.gpkg": "units"})
    read = Report()
    assert check_units(gpd.read_file(path, engine="pyogrio"), read, source="units.gpkg") is None
    assert _located(imported.problems) == _located(read.problems)
    assert len(read.errors) >= 2
    with pytest.raises(DataError) as refused:      # the portal refuses the dataset at the first one
        read_units(path)
    first = read.errors[0]
    assert (refused.value.source, refused.value.rule, refused.value.row, refused.value.column) == \
        (first.file, first.rule, first.row, first.column)
    sentence = error_text(refused.value)
    assert sentence.startswith("文件 units.gpkg") and f"第 {first.row} 行" in sentence and "{" not in sentence


def test_expected_unit_rules_come_out(tmp_path):
    path = tmp_path / "units.gpkg"
    _broken_units().to_file(path, layer="units", engine="pyogrio")
    read = Report()
    check_units(gpd.read_file(path, engine="pyogrio"), read, source="units.gpkg")
    assert [(p.rule, p.row, p.column) for p in read.errors] == [
        ("code_scientific", 2, "code"), ("key_duplicate", 3, "code"), ("level_mismatch", 3, "level"),
        ("level_mismatch", 4, "level"), ("parent_mismatch", 3, "parent_code"), ("value_missing", 5, "name"),
        ("geometry_empty", 6, "geometry"), ("geometry_invalid", 7, "geometry")]
    orphans = Report()
    _orphans().to_file(path, layer="units", engine="pyogrio")
    check_units(gpd.read_file(path, engine="pyogrio"), orphans, source="units.gpkg")
    assert [(p.rule, p.row, p.column, p.value) for p in orphans.errors] == [
        ("parent_unknown", 3, "parent_code", tiny.TOWNS[0]), ("parent_unknown", 4, "parent_code", tiny.TOWNS[0])]


def test_sites_import_and_quality_list_apply_the_same_rules(tmp_path):
    """tests/tiny_sites.py's bad rows (moved > planned, no coordinates, swapped, negative count,
    outside the claimed township): the import reports exactly what the 易地搬迁 page lists."""
    from geo.read import read_bundle
    from geo.sites import site_quality
    from tests import tiny_sites
    folder = tiny_sites.write_folder(tmp_path / "dataset")
    delivered = {name: (folder / name).read_bytes() for name in ("units.gpkg", "sites.csv")}
    imported = _import(tmp_path, delivered, {"units.gpkg": "units", "sites.csv": "sites"})
    on_import = [(p.rule, p.severity, p.row, p.column) for p in imported.problems
                 if p.file == "sites.csv" and p.severity != "info"]
    bundle = read_bundle(folder)
    listed = site_quality(bundle.sites, bundle.units)
    on_page = list(zip(listed["rule"], listed["severity"], listed["row"], listed["field"]))
    assert on_import == on_page
    assert {rule for rule, *_ in on_page} == {"moved_exceeds_planned", "point_missing", "lon_lat_swapped",
                                              "count_negative", "point_outside_township"}
    assert imported.rules("error") == ["lon_lat_swapped"]   # the import refuses it without --repair
