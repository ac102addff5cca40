"""Hostile-input suite: every case of tests/ingest/hostile.py is answered with a located Chinese
problem, leaks nothing (no server path, no traceback, no line of /etc/passwd, no formula in the
problem download), leaves no staging folder, and publishes nothing (the active version of a store
holding a published dataset is unchanged)."""
from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from geo.ingest import boundaries, files, pipeline, sandbox
from geo.ingest.report import Report
from geo.ingest.store import Store
from geo.table import to_csv_bytes, to_xlsx_bytes
from tests import tiny
from tests.ingest import hostile
from ui.import_text import problem_text, problems_table, rule_text
from ui.text import TEXT

ROOT = Path(__file__).resolve().parents[2]
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _passwd_lines() -> list[str]:
    try:
        lines = Path("/etc/passwd").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return [line for line in lines if len(line) > 8]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A store with one published version (tiny's dataset) that no hostile upload may change."""
    store = Store(tmp_path_factory.mktemp("hostile-store"))
    version, _ = store.publish(tiny.write_folder, {"note": "base"})
    return store, version.id


def test_at_least_forty_cases():
    assert len(hostile.CASES) >= 40
    assert len({c.id for c in hostile.CASES}) == len(hostile.CASES)


@pytest.mark.parametrize("case", hostile.CASES, ids=lambda c: c.id)
def test_hostile_upload(case, published, monkeypatch, tmp_path, tiny_units):
    store, active = published
    data = case.build()
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    for key, value in case.patch.items():
        monkeypatch.setattr(files, key, value)
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))   # where the staging folder goes

    staged = sandbox.stage_upload(case.kind, case.name, data, units=tiny_units if case.units else None)

    report = staged.report
    assert not staged.ok
    problem = report.first(case.rule)
    assert problem.severity == "error", report.problems
    for key, value in case.where.items():
        assert getattr(problem, key) == value, (key, problem)
    # located and worded in Chinese: file named, the rule's own sentence, no raw rule key
    assert problem.file, problem
    assert f"rule.{case.rule}" in TEXT
    text = problem_text(problem)
    assert _CJK.search(rule_text(problem)) and problem.file in text and case.rule not in text
    if problem.row is not None:
        assert f"第 {problem.row} 行" in text
    # nothing leaks: no server path, no traceback, no secret file content, in text or download
    texts = [problem_text(p) for p in report.problems]
    download = to_xlsx_bytes(problems_table(report.sorted()))
    book = load_workbook(io.BytesIO(download))
    cells = [c for row in book.active.iter_rows() for c in row]
    dump = "\n".join(texts + [str(c.value) for c in cells])
    for leak in (str(tmp_path), str(ROOT), "Traceback", "/tmp/"):
        assert leak not in dump
    if case.secret is not None:
        assert all(line not in dump for line in _passwd_lines())
    assert not [c for c in cells if c.data_type == "f"], "a formula reached the problem download"
    assert not any(line.startswith(("=", "+", "@")) for line in
                   to_csv_bytes(problems_table(report.sorted())).decode("utf-8-sig").split(","))
    # the staging folder is gone
    assert list(temp.iterdir()) == []
    # nothing published, nothing lost
    attempt = Report()
    assert pipeline.publish(store, {case.kind: staged}, base=store.active_folder(), report=attempt) is None
    assert store.active_id() == active and [v.id for v in store.versions()] == [active]


def test_formula_in_a_value_stays_text_in_downloads(tiny_units):
    case = next(c for c in hostile.CASES if c.id == "csv_formula_injection")
    staged = sandbox.stage_upload(case.kind, case.name, case.build(), units=tiny_units)
    frame = problems_table(staged.report.sorted())
    book = load_workbook(io.BytesIO(to_xlsx_bytes(frame)))
    values = [c.value for row in book.active.iter_rows() for c in row]
    assert "'" + hostile.FORMULA in values
    assert ("'" + hostile.FORMULA).replace('"', '""') in to_csv_bytes(frame).decode("utf-8-sig")


def test_names_stay_data(tiny_units):
    """Script, Markdown and control characters come back verbatim as values, never interpreted."""
    for case_id, payload in (("csv_script_as_code", hostile.SCRIPT), ("csv_markdown_as_code", hostile.MARKDOWN)):
        case = next(c for c in hostile.CASES if c.id == case_id)
        staged = sandbox.stage_upload(case.kind, case.name, case.build(), units=tiny_units)
        assert payload in problem_text(staged.report.first(case.rule))


def test_geopackage_view_is_never_read_even_when_asked(tmp_path):
    path = tmp_path / "src_1.gpkg"
    path.write_bytes(hostile._gpkg(view_only=False))
    source = files.Source("村界.gpkg", path, "vector", "GPKG")
    assert boundaries.layer_names(source) == ["units"]
    report = Report()
    assert boundaries.read_layer(source, report, layer="loop") is None
    assert report.first("gpkg_layer_not_table").value == "loop"
    report = Report()
    layer = boundaries.read_layer(source, report)        # the table is read; the view is named
    assert layer is not None and layer.layer == "units" and len(layer.frame) == 7
    assert report.first("gpkg_layer_not_table").severity == "warning"


def test_zip_member_names_utf8_without_flag_then_gb18030(tmp_path):
    def member(raw: bytes) -> str:
        info = files.zipfile.ZipInfo("x")
        info.filename = raw.decode("cp437")     # how zipfile presents names without the UTF-8 flag
        return files._member_name(info)
    assert member("村界.shp".encode("utf-8")) == "村界.shp"        # Linux / macOS zip
    assert member("村界.shp".encode("gbk")) == "村界.shp"          # Chinese Windows
    assert member(b"plain.shp") == "plain.shp"


def test_gdal_refuses_vrt_even_without_content_checks(tmp_path, monkeypatch):
    """Second fence: with the magic-number check switched off, the reduced driver registry
    still does not open an OGR VRT that names /etc/passwd."""
    from geo.ingest import gdalsafe
    assert gdalsafe.restrict_drivers() == sorted(gdalsafe.ALLOWED_DRIVERS)
    for suffix in (".shp", ".shx", ".dbf"):
        (tmp_path / f"src_1{suffix}").write_bytes(hostile.VRT)
    monkeypatch.setattr(boundaries, "source_problem", lambda source: None)
    source = files.Source("村界.shp", tmp_path / "src_1.shp", "vector", "ESRI Shapefile", (".shp", ".shx", ".dbf"))
    report = Report()
    assert boundaries.read_layer(source, report) is None
    dump = "\n".join(problem_text(p) for p in report.problems)
    assert report.errors and all(line not in dump for line in _passwd_lines())


def test_formula_without_cached_value_is_marked(tmp_path):
    """A workbook written by a program that does not calculate: the cell reads empty and is
    listed with its formula, so the rules can say "formula without value"."""
    from openpyxl import Workbook

    from geo.ingest import rawread
    book = Workbook()
    ws = book.active
    ws.append(["代码", "建档立卡贫困人口"])
    ws.append([tiny.VILLAGES[0], "=SUM(B3:B4)"])
    ws.append([tiny.VILLAGES[1], 7])
    book.save(tmp_path / "f.xlsx")
    grid = rawread.read_xlsx(tmp_path / "f.xlsx", file="f.xlsx", report=Report())
    assert grid.rows[1] == (2, [tiny.VILLAGES[0], ""]) and grid.rows[2] == (3, [tiny.VILLAGES[1], "7"])
    assert grid.formula_cells == {(2, 2): "=SUM(B3:B4)"}
