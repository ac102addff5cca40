"""Table imports: CSV encodings, code normalisation and rejection, report-style Excel (title row,
merged header, unit row, 合计/小计 excluded and listed, numbers as text), all problems collected,
sites with lon/lat (zero, swapped, outside their township) and as a point layer."""
from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from geo.ingest import files, pipeline
from geo.ingest.encoding import EncodingError, detect
from geo.ingest.report import Report
from geo.ingest.templates import template_xlsx
from tests import tiny
from tests.ingest import fixtures as fx


def _services(rows: list[dict]) -> pd.DataFrame:
    return tiny.table(rows, "services")


def test_exit_report_workbook(stage, tiny_units):
    staged, report = stage("exit_status", "退出.xlsx", fx.report_workbook(fx.exit_rows_2019()), units=tiny_units)
    assert report.errors == []
    assert staged.written["registered_poor"] == "建档立卡贫困人口"
    assert staged.written["code"] == "区划代码"
    data = staged.data
    assert data.index.tolist() == [5, 6, 7, 8]          # Excel rows
    assert data["code"].tolist() == list(tiny.VILLAGES)  # text, exact integer, spaces, full-width
    assert data["rural_population"].tolist() == [1000, 500, 1000, 500]
    assert data["poor_flag"].tolist() == [True, False, True, False]
    total = report.first("total_row_excluded")
    assert (total.severity, total.sheet, total.row, total.value) == ("warning", "退出情况", 9, "合计")
    assert report.first("unit_row_skipped").row == 4


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_csv_encodings(stage, tiny_units, encoding):
    frame = _services(tiny.services_rows())
    frame.insert(1, "名称", "团结村")
    staged, report = stage("services", "服务.csv", fx.csv_bytes(frame, encoding), units=tiny_units)
    assert report.errors == []
    chosen = {"gbk": "gb18030", "utf-8-sig": "utf-8-sig", "utf-8": "utf-8"}[encoding]
    assert report.first("encoding_chosen").value == chosen
    assert report.first("columns_ignored").value == "名称"
    assert len(staged.data) == 12


def test_undecodable_bytes_are_refused():
    with pytest.raises(EncodingError):
        detect(b"code\n\x80\xff\x80\xff")


def test_code_normalisation_and_rejections_all_listed(stage, tiny_units):
    rows = tiny.services_rows()
    frame = _services(rows)
    frame["code"] = frame["code"].astype(object)
    frame.loc[0, "code"] = tiny.VILLAGES[0] + ".0"           # repaired
    frame.loc[1, "code"] = " ５１１７２５１００２０２ "          # full-width + spaces: repaired
    frame.loc[2, "code"] = "5.11725E+11"                      # rejected: digits lost
    frame.loc[3, "code"] = tiny.COUNTY                        # county code in services: wrong level
    frame.loc[4, "code"] = "511725100299"                     # matches no boundary
    frame.loc[5, "code"] = tiny.VILLAGES[0]                   # same year again: duplicate of row 2
    frame.loc[5, "year"] = 2018
    staged, report = stage("services", "s.csv", fx.csv_bytes(frame, "utf-8"), units=tiny_units)
    found = [(p.rule, p.row, p.column, p.value) for p in report.errors]
    assert found == [
        ("code_scientific", 4, "code", "5.11725E+11"),
        ("code_wrong_level", 5, "code", tiny.COUNTY),
        ("code_unknown", 6, "code", "511725100299"),
        ("key_duplicate", 7, "code", f"{tiny.VILLAGES[0]} / 2018"),
    ]
    assert report.first("key_duplicate").detail == {"first_row": 2}
    assert staged.data is None


def test_numbers_as_text_and_every_bad_cell(stage, tiny_units):
    book = Workbook()
    ws = book.active
    ws.title = "服务"
    ws.append(["2019年基础设施统计"])
    ws.merge_cells("A1:E1")
    ws.append(["代码", "年度", "通村硬化路", "集体经济收入（元）", "卫生室"])
    ws.append([tiny.VILLAGES[0], 2019, "是", "1,234", "√"])
    ws.append([tiny.VILLAGES[1], 2019, "否", "85%", "—"])
    ws.append([tiny.VILLAGES[2], 2019, "有", "—", "×"])
    ws.append([tiny.VILLAGES[3], 2019, "也许", "-5", "1"])
    ws.append([tiny.VILLAGES[0], "二〇一九", "1", "abc", "1"])
    ws.append(["小计", None, None, 1234, None])
    buffer = io.BytesIO()
    book.save(buffer)
    staged, report = stage("services", "服务.xlsx", buffer.getvalue(), units=tiny_units)
    found = [(p.rule, p.sheet, p.row, p.column, p.value) for p in report.errors]
    assert found == [
        ("value_not_number", "服务", 7, "年度", "二〇一九"),
        ("value_not_bool", "服务", 6, "通村硬化路", "也许"),
        ("value_negative", "服务", 6, "集体经济收入（元）", "-5"),
        ("value_not_number", "服务", 7, "集体经济收入（元）", "abc"),
    ]
    assert report.first("total_row_excluded").row == 8


def test_numbers_as_text_parse(stage, tiny_units):
    book = Workbook()
    ws = book.active
    ws.append(["代码", "年度", "集体经济收入", "卫生室"])
    ws.append([tiny.VILLAGES[0], 2019, "1,234", "√"])
    ws.append([tiny.VILLAGES[1], 2019, "85%", "—"])
    ws.append([tiny.VILLAGES[2], "２０１９", "—", "×"])
    buffer = io.BytesIO()
    book.save(buffer)
    staged, report = stage("services", "s.xlsx", buffer.getvalue(), units=tiny_units)
    assert report.errors == []
    assert staged.data["collective_income"].tolist()[:2] == [1234.0, 0.85]
    assert pd.isna(staged.data["collective_income"].iloc[2])
    assert staged.data["year"].tolist() == [2019, 2019, 2019]
    assert staged.data["clinic"].tolist()[0] is True and pd.isna(staged.data["clinic"].iloc[1])


def _sites(**changes) -> pd.DataFrame:
    rows = [dict(tiny.site_rows()[0]) for _ in range(4)]
    for index, row in enumerate(rows):
        row["site_id"] = f"S{index}"
        # inside township 1 (the western column of tiny's grid)
    rows[0].update(lon=108.005, lat=30.73)
    rows[1].update(lon=0, lat=0)
    rows[2].update(lon=30.73, lat=108.005)
    rows[3].update(lon=108.035, lat=30.73)   # inside the other township
    return tiny.table(rows, "sites")


def test_site_locations(stage, tiny_units):
    staged, report = stage("sites", "安置点.csv", fx.csv_bytes(_sites(), "utf-8"), units=tiny_units)
    found = [(p.rule, p.severity, p.row, p.column) for p in report.problems if p.rule not in ("encoding_chosen",)]
    # problems of the point as a whole name both coordinate columns (as the quality list does)
    assert found == [("point_zero", "error", 3, "lon/lat"), ("lon_lat_swapped", "error", 4, "lon/lat"),
                     ("point_outside_township", "warning", 5, "lon/lat")]
    assert report.first("point_outside_township").detail == {"township": tiny.TOWNS[0]}


def test_sites_as_point_layer(stage, tiny_units):
    import geopandas as gpd
    from shapely.geometry import Point
    frame = _sites().iloc[[0]].drop(columns=["lon", "lat"]).copy()
    frame.columns = ["安置点编号", "安置点名称", "乡镇代码", *frame.columns[3:]]
    points = gpd.GeoDataFrame(frame, geometry=[Point(108.005, 30.73)], crs="EPSG:4490").to_crs("EPSG:4545")
    staged, report = stage("sites", "点.geojson", points.to_json().encode("utf-8"), units=tiny_units)
    assert report.errors == [] and report.warnings == []
    assert staged.data["lon"].iloc[0] == pytest.approx(108.005, abs=1e-6)
    assert staged.data["lat"].iloc[0] == pytest.approx(30.73, abs=1e-6)
    assert staged.data["township_code"].tolist() == [tiny.TOWNS[0]]


def test_templates_have_agency_headers_and_codes_as_text():
    for kind in ("units", "exit_status", "services", "sites"):
        book = load_workbook(io.BytesIO(template_xlsx(kind)))
        ws = book.worksheets[0]
        header = [c.value for c in ws[1]]
        code_col = header.index("乡镇代码" if kind == "sites" else "区划代码") + 1
        assert ws.cell(row=2, column=code_col).number_format == "@"
        assert ws.cell(row=1, column=code_col).comment.text.startswith("township_code" if kind == "sites" else "code")
    book = load_workbook(io.BytesIO(template_xlsx("sites", {"sheet_help": "填写说明", "yes": "是", "no": "否"})))
    help_rows = [[c.value for c in row] for row in book["填写说明"].iter_rows()]
    stage = next(r for r in help_rows if r[1] == "[stage]")
    assert stage[5] == "未开工、在建、竣工、已入住" and stage[4] == "否"
    assert next(r for r in help_rows if r[1] == "[planned_households]")[4] == "是"


def test_a_filled_template_imports(tiny_folder):
    """The template's own headers are recognised: fill the example row, stage it."""
    book = load_workbook(io.BytesIO(template_xlsx("exit_status")))
    ws = book.worksheets[0]
    header = [c.value for c in ws[1]]
    row = {"区划代码": tiny.VILLAGES[0], "年度": 2019, "建档立卡贫困人口": 10, "已脱贫人口": 9}
    ws.append([row.get(h) for h in header])
    buffer = io.BytesIO()
    book.save(buffer)
    report = Report()
    upload = files.receive(buffer.getvalue(), name="模板.xlsx", report=report)
    try:
        delivery = pipeline.stage_delivery([upload], report, mode="update", base=tiny_folder)
    finally:
        upload.cleanup()
    assert report.errors == [], report.problems
    assert [p.kind for p in delivery.parts] == ["exit_status", None]   # the description sheet
    assert "part_ignored" in report.rules("info")
    assert delivery.staged[0].data["exited_poor"].tolist() == [9]
