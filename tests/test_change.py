"""Year-over-year change (geo.change, layers.change_style): values, sign conventions per indicator,
the neutral zero class, missing years, bounds never inverted, shared classes of a side-by-side,
and the export printing the screen's legend."""
from __future__ import annotations

import subprocess
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from geo.change import (
    CHANGE_INDICATORS,
    change_values,
    classify_change,
    default_base_year,
    delivered_years,
    magnitude_bounds,
    nice_ceiling,
    with_change,
)
from geo.classify import NO_DATA
from geo.read import read_bundle
from geo.view import View, parse_view, view_params
from layers.change_style import change_fields, change_text, class_label, style_change
from layers.export import export_view
from layers.palette import CHANGE_BAD, CHANGE_GOOD, NO_CHANGE_COLOR
from layers.snapshot import default_title, prepare_snapshot, tooltip_fields
from layers.styling import style_view
from layers.view_layer import legend_for
from tests import tiny
from ui.text import t


def test_change_is_later_minus_earlier_with_missing_years_as_na():
    before = pd.Series([100, 50, None, 7], dtype="Int64")
    after = pd.Series([80, 50, 3, None], dtype="Int64")
    change = change_values(before, after, "remaining_poor")
    assert change.tolist()[:2] == [-20.0, 0.0]
    assert change.isna().tolist() == [False, False, True, True]


def test_changes_below_the_displayed_precision_are_zero():
    rates = change_values(pd.Series([0.0300, 0.0300, 0.0300]), pd.Series([0.03004, 0.0301, 0.02996]), "incidence")
    assert rates.iloc[0] == 0 and rates.iloc[2] == 0          # < 0.005 percentage points
    assert rates.iloc[1] == pytest.approx(0.0001)
    counts = change_values(pd.Series([10.0]), pd.Series([10.4]), "monitored")
    assert counts.iloc[0] == 0


def test_with_change_matches_by_code_and_keeps_its_input():
    rows = pd.DataFrame({"code": ["a", "b", "c"], "exit_rate": [0.9, 0.5, 0.2]})
    base = pd.DataFrame({"code": ["b", "a"], "exit_rate": [0.4, 0.95]})
    copy = rows.copy()
    out = with_change(rows, base, "exit_rate")
    pd.testing.assert_frame_equal(rows, copy)
    assert out["before"].tolist()[:2] == [0.95, 0.4] and pd.isna(out["before"].iloc[2])
    assert out["change"].round(4).tolist()[:2] == [-0.05, 0.1] and pd.isna(out["change"].iloc[2])


def test_unknown_indicator_is_refused():
    with pytest.raises(ValueError, match="status"):
        classify_change(pd.Series([1.0]), "status")


@pytest.mark.parametrize("value, nice", [(0.7, 1), (3, 5), (2.2, 2.5), (100, 100), (0.0042, 0.005), (7, 10)])
def test_nice_ceiling(value, nice):
    assert nice_ceiling(value) == pytest.approx(nice)


def test_zero_class_missing_values_and_sides():
    change = pd.Series([-500, -20, -3, 0, 0, 4, 30, None], dtype="Float64")
    c = classify_change(change, "remaining_poor")
    zero = c.sign.index(0)
    assert c.index.iloc[3] == c.index.iloc[4] == zero and c.counts[zero] == 2
    assert c.index.iloc[7] == NO_DATA and c.no_data == 1
    assert sum(c.counts) == 7
    assert c.sign == (-1,) * c.side + (0,) + (1,) * c.side         # symmetric: every class kept
    assert [c.sign[k] for k in c.index.iloc[:7]] == [-1, -1, -1, 0, 0, 1, 1]


def test_all_equal_or_all_missing():
    same = classify_change(pd.Series([0.0, 0.0]), "incidence")
    assert same.sign == (0,) and same.counts == (2,) and same.no_data == 0
    missing = classify_change(pd.Series([None, None], dtype="Float64"), "incidence")
    assert missing.counts == (0,) and missing.no_data == 2 and set(missing.index) == {NO_DATA}


@pytest.mark.parametrize("indicator", CHANGE_INDICATORS)
@pytest.mark.parametrize("seed", range(6))
def test_bounds_never_inverted_and_every_value_in_its_class(indicator, seed):
    rng = np.random.default_rng(seed)
    scale = 0.05 if indicator in ("incidence", "exit_rate") else 3000
    values = rng.normal(0, scale, 40) * rng.choice([0, 1, 1, 1], 40) * rng.choice([0.01, 1, 10], 40)
    change = change_values(pd.Series(np.zeros(40)), pd.Series(values), indicator)
    c = classify_change(change, indicator)
    for lo, hi, s in zip(c.lower, c.upper, c.sign):
        assert lo < hi if s else lo == hi == 0
    assert list(c.lower) == sorted(c.lower) and list(c.upper) == sorted(c.upper)
    for value, k in zip(change, c.index):
        assert c.lower[k] <= value <= c.upper[k]
    bounds = magnitude_bounds(change, indicator)
    assert list(bounds) == sorted(set(bounds)) and len(bounds) <= 2


@pytest.mark.parametrize("indicator, drop_is_good", [("remaining_poor", True), ("incidence", True),
                                                     ("monitored", True), ("exit_rate", False)])
def test_colour_and_wording_follow_the_indicator(indicator, drop_is_good):
    scale = 0.01 if indicator in ("incidence", "exit_rate") else 100
    rows = pd.DataFrame({"change": [-3 * scale, -scale, 0, scale, 3 * scale]}, dtype="Float64")
    styled = style_change(rows, indicator, t, title="x")
    c = classify_change(rows["change"], indicator)
    for k, sign in enumerate(c.sign):
        label, color = styled.labels[k], styled.colors[k]
        if sign == 0:
            assert label == "无变化" and color == NO_CHANGE_COLOR
            continue
        good = (sign < 0) == drop_is_good
        assert label.endswith("（好转）" if good else "（恶化）"), label
        assert color in (CHANGE_GOOD if good else CHANGE_BAD)
        assert label.startswith(("下降" if sign < 0 else "上升") if indicator in ("incidence", "exit_rate")
                                else ("减少" if sign < 0 else "增加"))
    # deeper classes are darker on each side (the last colour of a ramp is the darkest)
    assert styled.colors[0] == (CHANGE_GOOD if drop_is_good else CHANGE_BAD)[-1]
    assert styled.colors[-1] == (CHANGE_BAD if drop_is_good else CHANGE_GOOD)[-1]


def test_labels_in_percentage_points_and_wan():
    assert class_label(-1, -0.01, -0.005, "incidence", t) == "下降 0.5 – 1 个百分点（好转）"
    assert class_label(1, 0.0, 0.005, "exit_rate", t) == "上升 ≤ 0.5 个百分点（好转）"
    assert class_label(-1, float("-inf"), -20000, "remaining_poor", t) == "减少 > 2 万（好转）"
    assert class_label(1, 500, 2000, "remaining_poor", t) == "增加 500 – 2,000（恶化）"
    assert change_text(-12345, "remaining_poor", t) == "减少 1.23 万（好转）"
    assert change_text(0.012, "incidence", t) == "上升 1.20 个百分点（恶化）"
    assert change_text(0.0, "exit_rate", t) == "无变化"


def test_tooltip_suppresses_small_monitored_counts_in_exports():
    rows = pd.DataFrame({"before": [2, 10, None], "after": [6, 12, 3], "change": [4, 2, None]}, dtype="Float64")
    shown = change_fields(rows, "monitored", 2018, 2019, t, small_count=5)
    values = list(shown.values())
    assert values[0].tolist()[:2] == ["<5", "10"] and pd.isna(values[0].iloc[2])
    assert values[1].tolist() == ["6", "12", "<5"]
    assert values[2].tolist()[:2] == ["<5", "增加 2（恶化）"]
    live = change_fields(rows, "monitored", 2018, 2019, t)
    assert next(iter(live.values())).tolist()[0] == "2"


def test_delivered_and_default_years():
    exit_status = pd.DataFrame({"year": [2016, 2016, 2018, 2019]})
    years = delivered_years(exit_status, range(2014, 2021))
    assert years == (2016, 2018, 2019)
    assert default_base_year(2019, years) == 2018
    assert default_base_year(2018, years) == 2016      # 2017 was not delivered
    assert default_base_year(2016, years) is None


def test_view_round_trip_and_bad_from(tmp_path):
    units = pd.DataFrame({"code": [tiny.COUNTY], "level": ["county"]})
    view = View(indicator="incidence", mode="change", compare_year=2016, year=2019)
    parsed, problems = parse_view(view_params(view), units)
    assert parsed == view and not problems
    for bad in ("2019", "2020", "x", "2013"):
        parsed, problems = parse_view({"mode": "change", "indicator": "incidence", "year": "2019", "from": bad}, units)
        assert problems == ["from"] and parsed.compare_year is None
    undelivered, problems = parse_view({"mode": "pair", "year": "2019", "from": "2017"}, units,
                                       delivered=(2016, 2018, 2019))
    assert problems == ["from"] and undelivered.compare_year is None
    asof, _ = parse_view({"mode": "asof", "from": "2016"}, units)
    assert asof.compare_year is None and "from" not in view_params(asof)


def test_pair_classes_are_shared_and_counted_per_year():
    a = pd.DataFrame({"incidence": [0.01, 0.02, 0.03, 0.05]})
    b = pd.DataFrame({"incidence": [0.001, 0.002, 0.004, 0.01]})
    kw = {"status_labels": {}, "title": "x"}
    sa = style_view(a, "incidence", "quantiles", also=b["incidence"], **kw)
    sb = style_view(b, "incidence", "quantiles", also=a["incidence"], **kw)
    assert sa.labels == sb.labels and sa.colors == sb.colors
    assert sum(sa.counts) == 4 == sum(sb.counts) and sa.counts != sb.counts
    alone = style_view(b, "incidence", "quantiles", **kw)
    assert alone.labels != sb.labels     # classed alone, the same values get other classes


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return read_bundle(tiny.write_folder(tmp_path_factory.mktemp("tiny")))


def change_view(**kw) -> View:
    base = {"level": "village", "region": tiny.COUNTY, "indicator": "remaining_poor", "year": 2019,
            "mode": "change", "compare_year": 2018}
    return View(**{**base, **kw})


def test_snapshot_of_a_change_view(bundle):
    shot = prepare_snapshot(bundle, change_view(), t, demo=True, source="")
    assert shot.styled.title == "剩余贫困人口变化（2018→2019 年）"
    assert sum(shot.styled.counts) + shot.styled.no_data == 4
    fields = tooltip_fields(shot.shapes, shot.view, t)
    assert list(fields)[2:] == ["2018 年剩余贫困人口", "2019 年剩余贫困人口", "变化"]
    assert default_title(shot, t) == "渠县剩余贫困人口变化图（2018—2019年）"
    missing = prepare_snapshot(bundle, change_view(compare_year=None), t, demo=True, source="")
    assert missing.styled.no_data == 4 and any("2019" in n for n in missing.notices)
    earlier = prepare_snapshot(bundle, change_view(compare_year=2016), t, demo=True, source="")
    assert earlier.styled.no_data == 4     # 2016 was not delivered: no unit has both years


def test_pdf_prints_the_screen_legend(bundle):
    shot = prepare_snapshot(bundle, change_view(indicator="incidence"), t, demo=True, source="")
    screen = legend_for(shot.styled, count_format=t("legend.count", label="{label}", count="{count}"),
                        no_data_label=t("status.no_data"))
    rows = [label for _, label in screen.items]
    assert any("下降" in r for r in rows) and "无变化（" in " ".join(rows)
    pdf = export_view(shot, "pdf", title="x", text=t)
    text = subprocess.run(["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode("utf-8")
    printed = [line.strip() for line in text.splitlines()]
    assert [r for r in rows if r in printed] == rows, (rows, printed)
    assert shot.styled.title in text


def test_pair_snapshot_of_the_earlier_year_shares_classes(bundle):
    later = View(level="village", region=tiny.COUNTY, indicator="incidence", year=2019, mode="pair",
                 compare_year=2018, classing="quantiles")
    a = prepare_snapshot(bundle, replace(later, year=2018, compare_year=2019), t, demo=True, source="")
    b = prepare_snapshot(bundle, later, t, demo=True, source="")
    assert a.styled.labels == b.styled.labels and a.styled.colors == b.styled.colors


def test_pack_of_a_change_view_titles_and_legends_every_page(bundle):
    from layers.pack import build_pack
    pack = build_pack(bundle, tiny.COUNTY, text=t, demo=False, source="tiny", year=2019, dpi=40,
                      indicator="remaining_poor", compare_year=2018)
    text = subprocess.run(["pdftotext", "-", "-"], input=pack.pdf, capture_output=True, check=True).stdout.decode()
    assert "静边镇剩余贫困人口变化图（2018—2019年）" in text and "三汇镇剩余贫困人口变化图（2018—2019年）" in text
    assert text.count("剩余贫困人口变化（2018→2019 年）") >= 3     # cover and both pages


def test_html_export_of_a_change_view_has_both_years_in_its_tooltips(bundle):
    from layers.export import html_bytes
    from layers.units_layer import script_safe_json
    shot = prepare_snapshot(bundle, change_view(), t, demo=True, source="")
    page = html_bytes(shot, title="x", text=t).decode("utf-8")
    assert "2018 年剩余贫困人口" in page and "2019 年剩余贫困人口" in page
    assert "剩余贫困人口变化（2018→2019 年）" in page
    for label in shot.styled.labels:   # inline JSON writes < and > as \u003c, \u003e
        assert script_safe_json(label)[1:-1] in page


def decode(field: dict) -> list:
    """What static/portal/vector.js writes back for a templated field."""
    from layers.vector_layer import ALPHABET, _number_text
    out = []
    for i, ch in enumerate(field["s"]):
        if ch == ".":
            out.append(None)
            continue
        before, dec, after = field["t"][ALPHABET.index(ch)]
        out.append(before if dec < 0 else before + _number_text(field["n"][i], dec) + after)
    return out


def test_change_texts_travel_as_templates_and_integers():
    from layers.vector_layer import _templated
    cells = ["减少 1,234（好转）", "下降 1.20 个百分点（好转）", "无变化", None, "减少 12.34 万（好转）",
             "上升 0.05 个百分点（恶化）", "增加 1,234,567（恶化）", "减少 0（好转）"]
    field = _templated(cells)
    assert field is not None and decode(field) == cells and len(field["t"]) == 6
    odd = ["1234 x", "x 007", "1,23"]          # written back exactly, or not templated at all
    assert _templated(odd) is None or decode(_templated(odd)) == odd
    assert _templated([f"名称{chr(0x4E00 + i)}" for i in range(100)]) is None   # too many templates


def test_a_change_restyle_of_a_province_stays_within_budget():
    from geo.schema import CODE
    from layers.units_layer import script_safe_json
    from layers.vector_layer import TileSpec, class_table
    from tests.scale.test_vector_layer import RESTYLE_BUDGET, province_rows
    from tests.test_demo_data import DEMO
    demo = read_bundle(DEMO)
    after, before = province_rows(demo, 2019), province_rows(demo, 2018)
    codes = tuple(sorted(after[CODE]))
    for indicator in CHANGE_INDICATORS:
        rows = with_change(after, before, indicator)
        view = View(level="village", indicator=indicator, year=2019, mode="change", compare_year=2018)
        styled = style_change(rows, indicator, t, title="x")
        fields = tooltip_fields(rows, view, t)
        table = class_table(rows, styled.index, rows["flag"].notna(), TileSpec("u", "u", "village", codes, 0.01),
                            fields, name_label=t("field.name"), code_label=t("field.code"))
        assert len(table["k"]) == 51_017
        assert len(script_safe_json(table).encode()) <= RESTYLE_BUDGET, indicator
        change = table["fields"][-1]
        assert "t" in change or "d" in change      # never one text per unit
