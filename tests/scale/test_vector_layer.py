"""The class table a vector-tile view sends instead of geometry: what it encodes, and its size
per restyle at province scale (51,017 villages)."""
from __future__ import annotations

import folium
import pandas as pd
import pytest

from geo.aggregate import unit_figures
from geo.read import read_bundle
from geo.schema import CODE, LEVEL
from geo.view import INDICATORS, View
from layers.snapshot import tooltip_fields
from layers.styling import style_view
from layers.units_layer import LayerStyle, script_safe_json
from layers.vector_layer import ALPHABET, HIDDEN, NO_DATA_CHAR, TileSpec, class_table, vector_group
from tests.test_demo_data import DEMO
from ui.text import t

COPIES = 17  # the demo prefecture under 17 prefecture codes: 51,017 villages (bench/synth.py)
RESTYLE_BUDGET = 1_000_000  # bytes over the websocket for another year/indicator at village level


@pytest.fixture(scope="module")
def demo():
    return read_bundle(DEMO)


def province_rows(demo, year: int) -> pd.DataFrame:
    """Village figures of the demo copied under 17 prefecture codes (no geometry needed)."""
    figures = unit_figures(demo.units, demo.exit_status, year)
    villages = figures.loc[figures[LEVEL] == "village"]
    copies = []
    for n in range(COPIES):
        copy = villages.copy()
        copy[CODE] = copy[CODE].str.slice(0, 2) + f"{n + 1:02d}" + copy[CODE].str.slice(4)
        copies.append(copy)
    rows = pd.concat(copies, ignore_index=True)
    rows["flag"] = pd.NA
    return rows


def table_for(rows: pd.DataFrame, view: View, codes) -> dict:
    styled = style_view(rows, view.indicator, view.classing,
                        status_labels={s: t(f"status.{s}") for s in ("not_exited", "planned", "exited", "non_poor", "no_data")},
                        title="x")
    fields = tooltip_fields(rows, view, t)
    spec = TileSpec("u/{z}/{x}/{y}.pbf", "u/index.json", "village", codes, 0.01)
    return class_table(rows, styled.index, rows["flag"].notna(), spec, fields,
                       name_label=t("field.name"), code_label=t("field.code"))


def test_class_string_marks_class_no_data_and_hidden():
    rows = pd.DataFrame({CODE: ["c", "a"], "v": ["1,234", None], "flag": [pd.NA, "x"]})
    spec = TileSpec("u", "i", "village", ("a", "b", "c"), 1.0)
    table = class_table(rows, pd.Series([2, -1]), rows["flag"].notna(), spec,
                        {"N": rows[CODE], "V": rows["v"]}, name_label="N", code_label="Z")
    assert table["k"] == NO_DATA_CHAR + HIDDEN + ALPHABET[2]
    assert table["flags"] == [0]
    # fields come in feature-index order over the visible units (a, then c)
    assert table["fields"][0] == {"label": "N", "from": "name"}
    assert table["fields"][1]["label"] == "V"
    assert table["fields"][1]["d"] == ["1,234"] and table["fields"][1]["s"] == HIDDEN + "0"


def test_counts_and_percentages_travel_as_integers():
    n = 100
    rows = pd.DataFrame({CODE: [f"{i:03d}" for i in range(n)],
                         "cnt": [f"{i * 1001:,}" for i in range(n)],
                         "pct": [f"{i * 0.37:.2f} %" for i in range(n)],
                         "txt": [f"<b>{'x' * (i + 1)}</b>" for i in range(n)]})   # no number: not templated
    spec = TileSpec("u", "i", "village", tuple(rows[CODE]), 1.0)
    table = class_table(rows, pd.Series(range(n)) % 5, pd.Series([False] * n), spec,
                        {"cnt": rows["cnt"], "pct": rows["pct"], "txt": rows["txt"]},
                        name_label="-", code_label="-")
    cnt, pct, txt = table["fields"]
    assert cnt["fmt"] == "int" and cnt["n"][3] == 3003
    assert pct["fmt"] == "pct2" and pct["n"][10] == 370
    assert txt["a"][1] == "<b>xx</b>"  # text as is: the browser sets it with textContent


@pytest.mark.parametrize("indicator", INDICATORS)
def test_a_restyle_of_a_province_stays_within_budget(demo, indicator):
    rows = province_rows(demo, 2018)
    codes = tuple(sorted(rows[CODE]))
    table = table_for(rows, View(level="village", indicator=indicator, year=2018), codes)
    size = len(script_safe_json(table).encode())
    assert len(table["k"]) == len(rows) == 51_017
    assert size <= RESTYLE_BUDGET, size


def test_the_layer_script_holds_no_geometry_and_is_script_safe(demo):
    rows = province_rows(demo, 2018).head(50)
    rows.loc[0, "name"] = "</script><script>alert(1)</script>"
    codes = tuple(sorted(rows[CODE]))
    table = table_for(rows, View(level="village", indicator="status", year=2018), codes)
    group = vector_group(TileSpec("/tiles/v/village/{z}/{x}/{y}.pbf?s=t", "/tiles/v/village/index.json?s=t",
                                  "village", codes, 0.01), table, name="x",
                         style=LayerStyle(colors=("#ff0000", "#00ff00", "#0000ff", "#cccccc")))
    m = folium.Map(tiles=None)
    group.add_to(m)
    html = m.get_root().render()
    assert "portalVectorUnits(" in html and "coordinates" not in html
    assert "</script><script>alert(1)" not in html
