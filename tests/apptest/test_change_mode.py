"""Issue 12, year-over-year on 退出进度: the 变化 mode (change of an indicator between two years)
and 两年对比 (two years side by side), driven by widgets and by deep links, bad parameters
named in a Chinese notice, the view kept across pages, the table with both values and the change."""
from __future__ import annotations

import subprocess

import pandas as pd
import pytest

from ui.text import t

PAGE, OVERVIEW = "pages/exit_map.py", "streamlit_app.py"
QU = "511725000000"   # 渠县


def params(at) -> dict:
    return {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def view_table(at) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if "区划代码" in df.value.columns)


def url_notices(at) -> list[str]:
    return [w.value for w in at.warning if w.value.startswith("链接中的部分参数无效")]


def go(at, page: str):
    for key in list(at.query_params):
        del at.query_params[key]
    return at.switch_page(page).run()


def test_change_deep_link_shows_both_years_and_the_change(open_page):
    query = {"level": "township", "region": QU, "indicator": "incidence", "year": "2019",
             "mode": "change", "from": "2017", "classing": "quantiles"}
    at = open_page(PAGE, params=query)
    assert not at.exception and not url_notices(at)
    assert "2017→2019 年变化" in at.title[0].value
    assert at.sidebar.selectbox(key="exit.from").value == 2017
    assert params(at) == query
    table = view_table(at)
    assert len(table) == 41
    before, after = "2017 年贫困发生率（%）", "2019 年贫困发生率（%）"
    change = t("change.field_points")
    assert list(table.columns[:4]) == ["名称", before, after, change]
    diff = (table[after] - table[before]).round(2)
    assert ((diff - table[change]).abs() <= 0.011).all()
    assert (table[change] <= 0).all() and (table[change] < 0).any()   # the demo's incidence falls


def test_mode_widget_defaults_to_the_previous_delivered_year(open_page):
    at = open_page(PAGE, params={"year": "2019"})
    assert at.sidebar.selectbox(key="exit.indicator").value == "status"
    at.sidebar.radio(key="exit.mode").set_value("change").run()
    assert not at.exception
    # status has no change: the indicator becomes a number, the earlier year the previous one
    assert at.sidebar.selectbox(key="exit.indicator").value == "remaining_poor"
    assert "status" not in at.sidebar.selectbox(key="exit.indicator").options
    assert at.sidebar.selectbox(key="exit.from").value == 2018
    assert params(at)["mode"] == "change" and params(at)["from"] == "2018"
    table = view_table(at)
    assert {"2018 年剩余贫困人口", "2019 年剩余贫困人口", "变化"} <= set(table.columns)
    at.sidebar.selectbox(key="exit.from").set_value(2015).run()
    wider = view_table(at)
    assert params(at)["from"] == "2015"
    assert wider["变化"].sum() < table["变化"].sum() < 0     # more people left poverty since 2015
    # back to the as-of view: no earlier year, no change columns
    at.sidebar.radio(key="exit.mode").set_value("asof").run()
    assert "from" not in params(at) and "变化" not in view_table(at).columns


@pytest.mark.parametrize("query, named", [
    ({"mode": "change", "from": "abc"}, ["from"]),
    ({"mode": "change", "from": "2019", "year": "2018"}, ["from"]),        # not before the year
    ({"mode": "pair", "from": "1999"}, ["from"]),
    ({"mode": "change", "indicator": "status"}, ["indicator"]),           # a change needs a number
    ({"mode": "delta", "from": "2017"}, ["mode"]),
])
def test_bad_change_parameters_fall_back_with_a_chinese_notice(open_page, query, named):
    at = open_page(PAGE, params={"year": "2019", **query})
    assert not at.exception
    notice = url_notices(at)[0]
    for name in named:
        assert t(f"param.{name}") in notice
    assert not any("a" <= c.lower() <= "z" for c in notice)
    if query["mode"] in ("change", "pair"):
        assert params(at)["mode"] == query["mode"]
        assert int(params(at)["from"]) < int(params(at)["year"])    # fell back to a valid year
    if query.get("indicator") == "status":
        assert params(at)["indicator"] == "remaining_poor"


def test_change_without_an_earlier_year_says_so(open_page):
    at = open_page(PAGE, params={"year": "2014", "mode": "change", "indicator": "remaining_poor"})
    assert not at.exception
    assert any(i.value == t("change.no_base", year=2014) for i in at.info)
    assert "from" not in params(at)


def test_change_view_survives_a_visit_to_the_overview(open_page):
    at = open_page(PAGE, params={"level": "township", "region": QU, "year": "2019", "mode": "change",
                                 "from": "2016", "indicator": "exit_rate"})
    go(at, OVERVIEW)
    assert not at.exception
    go(at, PAGE)
    assert not at.exception
    p = params(at)
    assert (p["mode"], p["from"], p["indicator"], p["region"]) == ("change", "2016", "exit_rate", QU)
    assert "2016→2019 年变化" in at.title[0].value


def test_pair_mode_titles_both_years_and_lists_both_values(open_page):
    query = {"level": "county", "region": "all", "indicator": "remaining_poor", "year": "2019",
             "mode": "pair", "from": "2017", "classing": "quantiles"}
    at = open_page(PAGE, params=query)
    assert not at.exception and not url_notices(at)
    assert "2017 年与 2019 年对比" in at.title[0].value
    headings = [m.value for m in at.markdown]
    assert "##### 截至 2017 年底" in headings and "##### 截至 2019 年底" in headings
    table = view_table(at)
    assert len(table) == 7 and {"2017 年剩余贫困人口", "2019 年剩余贫困人口"} <= set(table.columns)
    assert params(at) == query


def test_pair_mode_with_status_keeps_status_classes(open_page):
    at = open_page(PAGE, params={"year": "2019", "mode": "pair", "from": "2016"})
    assert not at.exception and not url_notices(at)
    assert at.sidebar.selectbox(key="exit.indicator").value == "status"
    assert len(view_table(at)) == 7


def test_export_of_a_change_view_prints_its_classes(open_page):
    query = {"level": "township", "region": QU, "indicator": "remaining_poor", "year": "2019",
             "mode": "change", "from": "2017"}
    at = open_page(PAGE, params=query)
    title = next(w for w in at.text_input if w.label == t("export.title_input"))
    assert title.value == "渠县剩余贫困人口变化图（2017—2019年）"
    next(r for r in at.radio if r.key == "export.format").set_value("pdf").run()
    next(b for b in at.button if b.key == "export.make").click().run()
    assert not at.exception
    pdf = at.session_state["export.file"][1]
    text = subprocess.run(["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode("utf-8")
    assert "剩余贫困人口变化（2017→2019 年）" in text and "2017 年底→2019 年底" in text
    table = view_table(at)
    drops = int((table["变化"] < 0).sum())
    printed = [line.strip() for line in text.splitlines()]
    rows = [line for line in printed if line.startswith(("减少", "增加", "无变化"))]
    assert sum(int(r.rsplit("（", 1)[1].rstrip("）")) for r in rows if r.startswith("减少")) == drops
    assert len(rows) >= 3 and any(r.startswith("无变化（") for r in rows)


def test_pair_mode_shows_the_selected_village_under_the_maps(open_page):
    village = "511725110201"
    at = open_page(PAGE, params={"level": "village", "region": "511725110000", "year": "2019", "mode": "pair",
                                 "from": "2017", "selected": village})
    assert not at.exception and not url_notices(at)
    assert any(m.value.startswith("##### ") and "单位信息" in m.value for m in at.markdown)
    assert params(at)["selected"] == village


def test_a_year_that_was_not_delivered_is_named_and_replaced(open_page, tmp_path):
    from tests import tiny
    folder = tiny.write_folder(tmp_path / "tiny")    # delivers 2018 and 2019 only
    at = open_page(PAGE, data=folder, params={"year": "2019", "mode": "change", "from": "2016",
                                             "indicator": "remaining_poor"})
    assert not at.exception
    assert t("param.from") in url_notices(at)[0]
    assert params(at)["from"] == "2018" and at.sidebar.selectbox(key="exit.from").options == ["2018"]
