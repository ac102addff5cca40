"""督战 outputs on the tiny dataset: the briefing PDF (cover + one page per county, overdue list,
fonts embedded), the traffic-light layer (legend counts, supervision outline, data escaped),
monitoring rates per 100 rural residents and small counts suppressed for exports."""
from __future__ import annotations

import shutil
import subprocess

import folium
import pandas as pd
import pytest

from geo import inspection as ins
from geo import monitoring
from geo.read import read_bundle
from layers.inspection_brief import build_briefing
from layers.inspection_layer import PROBLEM_COLORS, light_layer, monitor_classes
from tests import tiny
from ui.text import t

PROBLEMS = [
    # id, code, found, deadline, status, closed
    ("WT-1", tiny.VILLAGES[0], "2020-03-01", "2020-05-31", "open", ""),
    ("WT-2", tiny.VILLAGES[3], "2020-03-01", "2020-05-31", "closed", "2020-05-10"),
    ("WT-3", tiny.TOWNS[0], "2020-03-01", "2020-06-30", "in_progress", ""),
]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tiny.write_folder(tmp_path_factory.mktemp("insp"))
    rows = [{"problem_id": i, "code": c, "source": "supervision", "category": "water", "description": "<b>水</b>",
             "found_date": f, "deadline": d, "responsible_unit": "水务局", "status": s, "closed_date": cl}
            for i, c, f, d, s, cl in PROBLEMS]
    tiny.table(rows, "problems").to_csv(folder / "problems.csv", index=False)
    tiny.table([{"code": tiny.VILLAGES[3], "year": 2020, "supervision_level": "city"}],
               "supervision").to_csv(folder / "supervision.csv", index=False)
    return read_bundle(folder)


def test_briefing_pdf_has_cover_and_county_page(bundle, tmp_path):
    brief = build_briefing(bundle, tiny.COUNTY, pd.Timestamp("2020-06-10"), text=t, demo=False, source="tiny",
                           due_days=7, late_days=0)
    assert brief.pages == 2 and brief.names == ("封面", "渠县")
    assert brief.pdf.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils missing (tests/run.sh installs it)")
    path = tmp_path / "brief.pdf"
    path.write_bytes(brief.pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "渠县督战简报（截至 2020-06-10）" in text
    assert "新民村：饮水安全，逾期 10 天（WT-1）" in text       # overdue since 06-01
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "PortalSansSC" in fonts


def test_briefing_needs_a_problem_list(tmp_path):
    empty = read_bundle(tiny.write_folder(tmp_path / "t"))
    with pytest.raises(ValueError):
        build_briefing(empty, "all", pd.Timestamp("2020-06-10"), text=t, demo=False, source="", due_days=7,
                       late_days=0)


def test_light_layer_counts_outlines_and_escapes(bundle):
    from geo.simplify import display_units

    shapes = display_units(bundle.units, "village").reset_index(drop=True)
    states = ins.problem_states(bundle.problems, pd.Timestamp("2020-06-10"), due_days=7)
    counts = ins.per_unit(states, "village", ins.PROBLEM_STATES)
    classes = ins.light_classes(shapes["code"], counts)
    flagged = shapes["code"] == tiny.VILLAGES[3]
    group = light_layer(shapes, classes, PROBLEM_COLORS, ["overdue", "soon", "open", "closed"], name="lights",
                        fields={"name": shapes["name"]}, count_format="{label} ({count})", no_data_label="none",
                        flagged=flagged, flag_text="listed", flag_legend="listed (1)")
    m = folium.Map()
    group.add_to(m)
    html = m.get_root().render()
    assert "overdue (1)" in html and "closed (1)" in html and "none (2)" in html and "listed (1)" in html
    assert "<img src=x" not in html                       # the tiny village name is escaped
    assert '"f":1' in html                                # the supervised village is outlined


def test_monitoring_rates_and_suppression():
    exit_status = pd.DataFrame({
        "code": list(tiny.VILLAGES) * 2, "year": [2019] * 4 + [2020] * 4,
        "rural_population": [1000, 500, 1000, 500] * 2,
        "monitored_unstable": [2, 0, 4, pd.NA, 3, 1, 5, 0], "monitored_marginal": [1, 0, 0, pd.NA, 2, 0, 1, 0],
        "monitored_sudden": [0, 0, 0, pd.NA, 1, 0, 0, 0]}).astype({c: "Int64" for c in (
            "monitored_unstable", "monitored_marginal", "monitored_sudden", "rural_population")})
    villages = monitoring.rates(exit_status, 2020, "village").set_index("code")
    assert villages.at[tiny.VILLAGES[0], "all"] == 6
    assert villages.at[tiny.VILLAGES[0], "rate_all"] == pytest.approx(0.6)
    towns = monitoring.rates(exit_status, 2019, "township").set_index("code")
    assert towns.at[tiny.TOWNS[0], "all"] == 3 and towns.at[tiny.TOWNS[0], "rate_all"] == pytest.approx(0.2)
    assert towns.at[tiny.TOWNS[1], "rural_population"] == 1000        # the village without figures is left out
    trend = monitoring.trend(exit_status)
    assert trend["all"].tolist() == [7, 13] and trend["unstable"].tolist() == [6, 9]
    shown = monitoring.suppress_small(pd.Series([0, 3, 5, 1200, pd.NA], dtype="Int64"), 5)
    assert shown.tolist() == ["0", "<5", "5", "1,200", ""]
    assert monitor_classes(pd.Series([0.0, 0.05, 0.15, 0.3, 0.6, None], dtype="Float64")).tolist() == [0, 1, 2, 3, 4, -1]
