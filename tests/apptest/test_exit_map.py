"""退出进度 page logic: filters, classing, query-parameter round trips, search, bad URLs."""
from pathlib import Path

import geopandas as gpd
import pytest

from ui.text import t

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/exit_map.py"
QU = "511725000000"        # 渠县
JINGBIAN = "511725110000"  # 静边镇


@pytest.fixture(scope="module")
def units():
    return gpd.read_file(ROOT / "data" / "demo" / "units.gpkg", engine="pyogrio", columns=["code", "level", "parent_code"])


def view_table(at):
    """The table of the units on the map (the ranking and info panels have their own)."""
    return next(df.value for df in at.dataframe if "区划代码" in df.value.columns)


def table_rows(at) -> int:
    return len(view_table(at))


def url_notices(at) -> list[str]:
    return [w.value for w in at.warning if w.value.startswith("链接中的部分参数无效")]


def params(at) -> dict:
    return {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def test_default_view_lists_the_seven_counties(open_page):
    at = open_page(PAGE)
    assert not at.exception
    assert at.title[0].value.startswith("退出进度") and "截至 2019 年底" in at.title[0].value
    assert table_rows(at) == 7
    assert params(at)["level"] == "county" and params(at)["region"] == "all"


def test_region_cascade_drills_down(open_page, units):
    at = open_page(PAGE)
    at.sidebar.selectbox(key="exit.county").set_value(QU).run()
    towns = units[(units.level == "township") & (units.parent_code == QU)]
    assert table_rows(at) == len(towns) == 41
    assert params(at)["region"] == QU and params(at)["level"] == "township"
    at.sidebar.selectbox(key="exit.township").set_value(JINGBIAN).run()
    villages = units[(units.level == "village") & (units.parent_code == JINGBIAN)]
    assert table_rows(at) == len(villages) > 0
    assert params(at)["level"] == "village"
    # breadcrumb back to the city
    at.button(key="exit.crumb.all").click().run()
    assert table_rows(at) == 7 and params(at)["region"] == "all"


def test_deep_link_reproduces_the_view(open_page, units):
    query = {"level": "village", "region": JINGBIAN, "indicator": "incidence", "classing": "policy",
             "year": "2018", "mode": "asof", "poor": "1"}
    at = open_page(PAGE, params=query)
    assert not at.exception and not url_notices(at)
    assert at.sidebar.selectbox(key="exit.indicator").value == "incidence"
    assert at.sidebar.selectbox(key="exit.classing").value == "policy"
    assert at.sidebar.select_slider(key="year").value == 2018
    assert at.sidebar.toggle(key="exit.poor").value is True
    assert params(at) == query
    rows = view_table(at)
    assert 0 < len(rows) <= len(units[(units.level == "village") & (units.parent_code == JINGBIAN)])


@pytest.mark.parametrize("query, named", [
    ({"region": "<script>alert(1)</script>", "year": "2099"}, ["region", "year"]),
    ({"region": "511725110201", "level": "county"}, ["region"]),
    ({"indicator": "${document.title=1}"}, ["indicator"]),
])
def test_bad_query_strings_fall_back_with_a_notice(open_page, query, named):
    at = open_page(PAGE, params=query)
    assert not at.exception
    notice = url_notices(at)[0]
    assert notice.startswith("链接中的部分参数无效")
    for name in named:   # named in Chinese (issue 12: no English parameter names)
        assert t(f"param.{name}") in notice
    assert not any("a" <= c.lower() <= "z" for c in notice)
    assert "<script>" not in notice and "document.title" not in notice
    assert table_rows(at) == 7


def test_filters_narrow_the_table(open_page):
    at = open_page(PAGE)
    at.sidebar.radio(key="exit.level").set_value("village").run()
    everything = table_rows(at)
    at.sidebar.toggle(key="exit.poor").set_value(True).run()
    poor = table_rows(at)
    assert 900 <= poor <= 1100 < everything
    at.sidebar.select_slider(key="year").set_value(2018).run()
    at.sidebar.multiselect(key="exit.status").set_value(["not_exited"]).run()
    open_2018 = table_rows(at)
    assert 0 < open_2018 < poor
    assert {r for r in view_table(at)["退出状态"]} == {"未退出"}


def test_newly_exited_mode(open_page):
    at = open_page(PAGE, params={"year": "2018", "mode": "new"})
    names = set(view_table(at)["名称"])
    assert names == {"渠县", "达川区", "大竹县", "开江县"}


@pytest.mark.parametrize("indicator", ["incidence", "remaining_poor", "exit_rate", "monitored"])
@pytest.mark.parametrize("classing", ["quantiles", "natural_breaks", "policy"])
def test_every_indicator_and_classing_renders(open_page, indicator, classing):
    at = open_page(PAGE, params={"indicator": indicator, "classing": classing, "level": "township"})
    assert not at.exception and not url_notices(at)
    assert table_rows(at) == 210


def test_search_finds_duplicates_with_parent_chain(open_page):
    at = open_page(PAGE)
    at.expander[0].text_input(key="exit.query").set_value("静边").run()
    options = at.selectbox(key="exit.pick").options
    assert any("渠县 > 静边镇" in o for o in options)
    at.selectbox(key="exit.pick").set_value(JINGBIAN).run()
    at.button(key="exit.go").click().run()
    assert params(at)["region"] == QU and params(at)["selected"] == JINGBIAN
    assert table_rows(at) == 41


def test_consistency_flags_listed_in_table(open_page):
    """The demo carries deliberate contradictions (data/README.md): in 2018 two exited villages
    still at or above 3 %, two that exited lacking a 五有 item (石龙村 no clinic, 东湾村 no
    collective income), four that exited later than planned; 2019 two exited counties with open
    poor villages. The table says what is wrong with each."""
    at = open_page(PAGE, params={"level": "village", "year": "2018"})
    table = view_table(at)
    flagged = {code: flag for code, flag in zip(table["区划代码"], table["一致性提示"]) if flag}
    assert list(flagged.values()).count("已出列但贫困发生率仍不低于 3 %") == 2
    assert flagged["511722002203"] == "已出列但出列当年缺卫生室"          # 石龙村
    assert flagged["511725113203"] == "已出列但出列当年缺集体经济收入"    # 东湾村
    assert flagged["511725113212"] == "实际退出晚于计划年度"              # 李梁村
    assert len(flagged) == 8
    assert any("8 个单位存在数据矛盾" in w.value for w in at.warning)
    at = open_page(PAGE, params={"level": "county", "year": "2019"})
    assert sorted(f for f in view_table(at)["一致性提示"] if f) == ["已摘帽但仍有未出列贫困村"] * 2

def test_search_returns_every_match_with_paging(open_page, units):
    """Issue 12: 22 villages named 新胜村, not the first 20; the last page reaches 万源市's."""
    at = open_page(PAGE)
    at.text_input(key="exit.query").set_value("新胜村").run()
    pick = at.selectbox(key="exit.pick")
    assert pick.label.startswith("找到 22 个单位") and len(pick.options) == 20
    at.number_input(key="exit.search_page").set_value(2).run()
    pick = at.selectbox(key="exit.pick")
    assert len(pick.options) == 2 and all("万源市" in o for o in pick.options)
    target = at.selectbox(key="exit.pick").options[1].rsplit("（", 1)[1].rstrip("）")
    at.selectbox(key="exit.pick").set_value(target).run()
    at.button(key="exit.go").click().run()
    assert params(at)["selected"] == target


def test_search_for_a_county_finds_its_townships(open_page, units):
    at = open_page(PAGE)
    at.text_input(key="exit.query").set_value("万源").run()
    towns = units[(units.level == "township") & (units.parent_code == "511781000000")]
    assert at.selectbox(key="exit.pick").label.startswith(f"找到 {1 + len(towns)} 个单位")


def test_chosen_indicator_column_is_next_to_the_name(open_page):
    at = open_page(PAGE, params={"indicator": "incidence", "level": "township"})
    columns = list(view_table(at).columns)
    assert columns[:2] == ["名称", "贫困发生率（%）"]


def test_info_panel_of_the_selected_village(open_page):
    """Issue 12: the clicked / selected unit's panel: figures, plan vs actual exit, the standard
    with reasons, what is inconsistent, its history."""
    at = open_page(PAGE, params={"level": "village", "region": "511722002000", "selected": "511722002203",
                                 "year": "2016"})
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "单位信息：石龙村" in text and "计划退出" in text and "一低五有：未达标" in text and "缺卫生室" in text
    assert any("已出列但出列当年缺卫生室" in w.value for w in at.warning)
    history = next(df.value for df in at.dataframe if "年度" in df.value.columns)
    assert list(history["年度"]) == [str(y) for y in range(2014, 2021)]
