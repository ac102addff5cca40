"""Small counts of monitored households read "<5" in every export and download; 0 stays 0.

Tiny dataset: in 2019 the villages have 3, 0, 7 and no monitored households (setting
small_count = 5, the default). Each format is checked for "<5" and for the absence of the 3."""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess

import openpyxl
import pandas as pd
import pytest
from matplotlib.text import Text

from geo.disclosure import is_small, suppress_counts
from geo.read import read_bundle
from geo.view import View
from layers.export import export_view
from layers.pack import build_pack
from layers.snapshot import prepare_snapshot
from layers.static_map import snapshot_figure
from tests import tiny
from ui.text import group, t

MONITORED = {tiny.VILLAGES[0]: (2, 1, 0), tiny.VILLAGES[1]: (0, 0, 0), tiny.VILLAGES[2]: (4, 2, 1)}
VIEW = View(level="village", region=tiny.COUNTY, indicator="monitored", classing="quantiles", year=2019)


def monitored_folder(folder):
    rows = tiny.exit_rows()
    for row in rows:
        unstable, marginal, sudden = MONITORED.get(row["code"], ("", "", ""))
        row.update(monitored_unstable=unstable, monitored_marginal=marginal, monitored_sudden=sudden)
    return tiny.write_folder(folder, exit_status=tiny.table(rows, "exit_status"))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return monitored_folder(tmp_path_factory.mktemp("monitored"))


@pytest.fixture(scope="module")
def shot(folder):
    return prepare_snapshot(read_bundle(folder), VIEW, t, demo=False, source="tiny")


def test_only_counts_between_zero_and_the_limit_are_small():
    values = pd.Series([0, 1, 4, 5, 12, pd.NA], dtype="Int64")
    assert suppress_counts(values, 5).tolist()[:5] == [0, "<5", "<5", 5, 12]
    assert suppress_counts(values, 5).isna().tolist()[5]
    assert suppress_counts(values, 0).tolist()[:5] == [0, 1, 4, 5, 12]    # 0 or 1: not suppressed
    assert not is_small("x", 5) and not is_small(None, 5) and is_small(4.0, 5)
    assert values.tolist()[1] == 1                                          # input unchanged


def test_snapshot_legend_and_notice(shot):
    labels = " ".join(shot.styled.labels)
    assert "<5" in labels and not re.search(r"(?<![<\d])[1-4](?!\d)", labels), labels
    assert t("export.small_count_note", limit=5) in shot.notices
    assert shot.small_count == 5


def test_pdf_and_png_show_no_small_count(shot):
    fig = snapshot_figure(shot, title="t", text=t)
    drawn = [a.get_text() for a in fig.findobj(Text)]
    assert any("<5" in s for s in drawn)
    assert not any(re.search(r"(?<![\d.])3(?![\d.])", s) for s in drawn), drawn   # the village's 3
    pdf = export_view(shot, "pdf", title="t", text=t)
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    assert "<5" in text and t("export.small_count_note", limit=5) in text
    assert export_view(shot, "png", title="t", text=t, dpi=50).startswith(b"\x89PNG")


def test_html_tooltips_show_less_than_five(shot):
    page = export_view(shot, "html", title="t", text=t).decode()
    values = [json.loads(m) for m in re.findall(r'"v":(\[[^\]]*\])', page)]
    shown = {v[3] for v in values}   # name, code, status, then the indicator (monitored)
    assert "\\u003c5" in page or "<5" in shown
    assert shown >= {"<5", "0", "7"} and "3" not in shown, shown


def test_pack_pages_show_less_than_five(folder):
    pack = build_pack(read_bundle(folder), tiny.COUNTY, text=t, demo=False, source="tiny", year=2019,
                      indicator="monitored", dpi=40)
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pack.pdf, capture_output=True,
                          check=True).stdout.decode()
    assert "<5" in text


def test_csv_and_xlsx_downloads_show_less_than_five(folder, monkeypatch):
    monkeypatch.setenv("PORTAL_DATA_DIR", str(folder))
    from ui import maps
    csv_of, xlsx_of = maps.lazy_downloads(VIEW)             # as the page's download buttons
    csv_bytes, xlsx_bytes = csv_of(), xlsx_of()
    column, code = group("field")["monitored"], group("field")["code"]
    rows = list(csv.DictReader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
    shown = {row[code]: row[column] for row in rows}
    assert shown[tiny.VILLAGES[0]] == "<5" and shown[tiny.VILLAGES[1]] == "0"
    assert shown[tiny.VILLAGES[2]] == "7" and shown[tiny.VILLAGES[3]] == ""
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes)).active
    header = [c.value for c in sheet[1]]
    cells = {str(r[header.index(code)]): r[header.index(column)]
             for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert cells[tiny.VILLAGES[0]] == "<5" and cells[tiny.VILLAGES[1]] == 0 and cells[tiny.VILLAGES[2]] == 7
    monkeypatch.setenv("PORTAL_SMALL_COUNT", "1")            # the setting turns it off
    csv_bytes = maps.lazy_downloads(VIEW)[0]()
    rows = list(csv.DictReader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
    assert {row[code]: row[column] for row in rows}[tiny.VILLAGES[0]] == "3"
