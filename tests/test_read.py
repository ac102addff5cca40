"""Reading and validating dataset files: real files written to a temporary folder."""
import shutil

import pandas as pd
import pytest

from geo import schema
from geo.errors import DataError
from geo.read import read_bundle, read_table, read_units
from tests import tiny
from ui.text import error_text


def test_reads_tiny_folder_and_reprojects(tmp_path):
    data = read_bundle(tiny.write_folder(tmp_path))
    assert data.units.crs.to_epsg() == 4326
    assert list(data.units["level"]) == ["county", "township", "township"] + ["village"] * 4
    assert data.exit_status["registered_poor"].dtype == "Int64"
    assert data.sites.at[0, "stage"] == "occupied"  # Chinese alias mapped onto the enum key
    assert 107.9 < data.units.total_bounds[0] < 108.1  # x=500 km on the CM 108E zone


def test_missing_table_is_partial_data(tmp_path):
    """Boundaries without services or sites are a working dataset: empty typed tables."""
    folder = tiny.write_folder(tmp_path)
    (folder / "services.csv").unlink()
    (folder / "sites.csv").unlink()
    data = read_bundle(folder)
    assert data.missing == ("services", "sites")
    assert data.services.empty and list(data.services.columns) == schema.SERVICES.names
    assert data.sites["planned_households"].dtype == "Int64"
    assert len(data.exit_status) > 0


def test_missing_boundaries_names_it(tmp_path):
    folder = tiny.write_folder(tmp_path)
    (folder / "units.gpkg").unlink()
    with pytest.raises(DataError) as info:
        read_bundle(folder)
    assert info.value.rule == "file_missing" and info.value.source == "units.gpkg"
    assert "units.gpkg" in error_text(info.value) and "找不到数据文件" in error_text(info.value)


def test_exited_above_registered_is_refused(tmp_path):
    folder = tiny.write_folder(tmp_path)
    frame = pd.read_csv(folder / "exit_status.csv", dtype=str, keep_default_na=False)
    frame.loc[0, ["registered_poor", "exited_poor"]] = ["10", "600"]
    frame.to_csv(folder / "exit_status.csv", index=False)
    with pytest.raises(DataError) as info:
        read_bundle(folder)
    assert (info.value.rule, info.value.row, info.value.column) == ("count_above", 2, "exited_poor")


def test_corrupt_gpkg(tmp_path):
    folder = tiny.write_folder(tmp_path)
    (folder / "units.gpkg").write_bytes(b"this is not a geopackage" * 10)
    with pytest.raises(DataError) as info:
        read_bundle(folder)
    assert (info.value.source, info.value.rule) == ("units.gpkg", "file_corrupt")


def test_missing_column_names_it(tmp_path):
    frame = tiny.table(tiny.exit_rows(), "exit_status").drop(columns=["rural_population"])
    frame.to_csv(tmp_path / "exit_status.csv", index=False)
    with pytest.raises(DataError) as info:
        read_table(tmp_path / "exit_status.csv", schema.EXIT_STATUS)
    assert (info.value.rule, info.value.column) == ("column_missing", "rural_population")
    assert "列 rural_population" in error_text(info.value)


def test_duplicate_key_reports_spreadsheet_row(tmp_path):
    frame = tiny.table(tiny.exit_rows(), "exit_status")
    frame = pd.concat([frame, frame.iloc[[3]]], ignore_index=True)
    frame.to_csv(tmp_path / "exit_status.csv", index=False)
    with pytest.raises(DataError) as info:
        read_table(tmp_path / "exit_status.csv", schema.EXIT_STATUS)
    assert info.value.rule == "key_duplicate"
    assert info.value.row == len(frame) + 1  # header is row 1
    assert "第 %d 行" % (len(frame) + 1) in error_text(info.value)


def test_scientific_code_rejected_with_row_and_column(tmp_path):
    frame = tiny.table(tiny.exit_rows(), "exit_status")
    frame.loc[2, "code"] = "5.11725E+11"
    frame.to_csv(tmp_path / "exit_status.csv", index=False)
    with pytest.raises(DataError) as info:
        read_table(tmp_path / "exit_status.csv", schema.EXIT_STATUS)
    assert (info.value.rule, info.value.row, info.value.column) == ("code_scientific", 4, "code")
    assert "科学计数法" in error_text(info.value)


def test_code_of_wrong_level(tmp_path):
    frame = tiny.table(tiny.site_rows(), "sites")
    frame.loc[0, "township_code"] = tiny.VILLAGES[0]
    frame.to_csv(tmp_path / "sites.csv", index=False)
    with pytest.raises(DataError) as info:
        read_table(tmp_path / "sites.csv", schema.SITES)
    assert (info.value.rule, info.value.row, info.value.column) == ("code_wrong_level", 2, "township_code")


def test_declared_level_must_match_code(tmp_path):
    units = tiny.units_frame()
    units.loc[4, "level"] = "township"
    with pytest.raises(DataError) as info:
        read_bundle(tiny.write_folder(tmp_path, units=units))
    assert (info.value.rule, info.value.row, info.value.column) == ("level_mismatch", 5, "level")


def test_duplicate_unit_code(tmp_path):
    units = tiny.units_frame()
    units.loc[5, "code"] = units.loc[4, "code"]
    units.loc[5, "parent_code"] = units.loc[4, "parent_code"]
    with pytest.raises(DataError) as info:
        read_bundle(tiny.write_folder(tmp_path, units=units))
    assert (info.value.rule, info.value.row) == ("key_duplicate", 6)


def test_missing_crs_is_never_guessed(tmp_path):
    units = tiny.units_frame().set_crs(None, allow_override=True)
    path = tmp_path / "u.gpkg"  # GeoJSON would imply WGS84; a GeoPackage can say "undefined"
    units.to_file(path, engine="pyogrio")
    with pytest.raises(DataError) as info:
        read_units(path)
    assert info.value.rule == "crs_missing"


def test_unknown_code_in_table(tmp_path):
    frame = tiny.table(tiny.exit_rows(), "exit_status")
    frame.loc[1, "code"] = "511725100299"
    with pytest.raises(DataError) as info:
        read_bundle(tiny.write_folder(tmp_path, exit_status=frame))
    assert (info.value.source, info.value.rule, info.value.row) == ("exit_status.csv", "code_unknown", 3)


@pytest.mark.parametrize("column, value, rule", [
    ("registered_poor", "-5", "value_negative"),
    ("registered_poor", "abc", "value_not_number"),
    ("poor_flag", "maybe", "value_not_bool"),
    ("year", "1850", "year_out_of_range"),
])
def test_bad_cells(tmp_path, column, value, rule):
    frame = tiny.table(tiny.exit_rows(), "exit_status")
    frame.loc[1, column] = value
    frame.to_csv(tmp_path / "exit_status.csv", index=False)
    with pytest.raises(DataError) as info:
        read_table(tmp_path / "exit_status.csv", schema.EXIT_STATUS)
    assert (info.value.rule, info.value.row, info.value.column) == (rule, 3, column)


def test_exit_after_asof_year(tmp_path):
    frame = tiny.table(tiny.exit_rows(), "exit_status")
    frame.loc[0, "actual_exit_year"] = 2019  # the 2018 county row cannot know a 2019 exit
    with pytest.raises(DataError) as info:
        read_bundle(tiny.write_folder(tmp_path, exit_status=frame))
    assert info.value.rule == "exit_after_asof" and info.value.row == 2


def test_utf8_bom_and_fullwidth_codes_accepted(tmp_path):
    frame = tiny.table(tiny.exit_rows(), "exit_status")
    frame.loc[0, "code"] = "５１１７２５００００００"
    frame.to_csv(tmp_path / "exit_status.csv", index=False, encoding="utf-8-sig")
    table = read_table(tmp_path / "exit_status.csv", schema.EXIT_STATUS)
    assert table.at[0, "code"] == tiny.COUNTY


def test_nothing_is_mutated(tmp_path):
    units = tiny.units_frame()
    before = units.copy()
    folder = tiny.write_folder(tmp_path, units=units)
    read_bundle(folder)
    assert units.equals(before)
    shutil.rmtree(folder)


def test_invalid_polygon_is_refused_with_its_reason(tmp_path):
    """The reader applies the import's rule (never a silent repair): row, column and reason named."""
    from shapely.geometry import Polygon
    units = tiny.units_frame()
    x0, y0, s = tiny.X0 + tiny.SIDE, tiny.Y0 + tiny.SIDE, tiny.SIDE
    units.loc[6, "geometry"] = Polygon([(x0, y0), (x0 + s, y0 + s), (x0 + s, y0), (x0, y0 + s)])
    with pytest.raises(DataError) as info:
        read_bundle(tiny.write_folder(tmp_path, units=units))
    assert (info.value.rule, info.value.row, info.value.column) == ("geometry_invalid", 7, "geometry")
    assert "边界面无效（Self-intersection" in error_text(info.value)
