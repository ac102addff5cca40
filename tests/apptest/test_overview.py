"""Landing page 总览 on the bundled demo and on broken datasets."""
import pandas as pd
import pytest

from tests import tiny
from ui.escape import md_escape


def metrics(at):
    return {m.label: m.value for m in at.metric}


def test_landing_shows_kpis_for_the_latest_year_with_work(open_page):
    """The default as-of year is the latest that still has work to show (2019: villages still
    open), not the all-done 2020; the year is in the title."""
    at = open_page()
    assert not at.exception
    assert "2019" in at.title[0].value and at.title[0].value.startswith("达州市脱贫攻坚进度总览")
    kpi = metrics(at)
    assert kpi["贫困县摘帽"].startswith("7 / 7")
    assert kpi["贫困发生率"].startswith("0.15%")
    assert any("演示数据" in w.value for w in at.sidebar.warning)
    assert "截至 2019 年底" in at.title[0].value
    at = open_page(params={"year": "2020"})
    assert metrics(at)["贫困发生率"].startswith("0.00%")


def test_year_slider_changes_the_as_of_view(open_page):
    at = open_page()
    at.sidebar.select_slider(key="year").set_value(2017).run()
    kpi = metrics(at)
    assert kpi["贫困县摘帽"].startswith("1 / 7")          # 通川区 exited in 2017
    assert kpi["剩余贫困人口"] != metrics(open_page())["剩余贫困人口"]
    assert at.query_params["year"] == ["2017"] or at.query_params["year"] == "2017"


def test_year_from_the_url(open_page):
    at = open_page(params={"year": "2018"})
    assert metrics(at)["贫困县摘帽"].startswith("5 / 7")


@pytest.mark.parametrize("breakage, expected", [
    ("missing_file", ["units.gpkg", "找不到数据文件"]),   # a missing table is partial data, not an error
    ("missing_column", ["exit_status.csv", "rural_population", "缺少必需的列"]),
    ("duplicate", ["exit_status.csv", "第 4 行", "代码重复"]),
    ("wrong_level", ["sites.csv", "第 2 行", "township_code", "层级"]),
    ("corrupt", ["units.gpkg", "损坏"]),
])
def test_broken_data_gives_a_chinese_error_without_traceback(open_page, tmp_path, breakage, expected):
    folder = tiny.write_folder(tmp_path / "d")
    if breakage == "missing_file":
        (folder / "units.gpkg").unlink()
    elif breakage == "missing_column":
        pd.read_csv(folder / "exit_status.csv", dtype=str).drop(columns="rural_population").to_csv(
            folder / "exit_status.csv", index=False)
    elif breakage == "duplicate":
        frame = pd.read_csv(folder / "exit_status.csv", dtype=str)
        pd.concat([frame.iloc[:2], frame.iloc[[1]], frame.iloc[2:]]).to_csv(folder / "exit_status.csv", index=False)
    elif breakage == "wrong_level":
        frame = pd.read_csv(folder / "sites.csv", dtype=str)
        frame.loc[0, "township_code"] = tiny.VILLAGES[0]
        frame.to_csv(folder / "sites.csv", index=False)
    elif breakage == "corrupt":
        (folder / "units.gpkg").write_bytes(b"\0garbage" * 100)
    for page in (None, "pages/exit_map.py"):
        at = open_page(page, data=folder)
        assert not at.exception
        message = at.error[0].value
        for fragment in expected:
            assert md_escape(fragment) in message, message   # names from files are shown as text
        assert "Traceback" not in message


def test_county_ranking_with_rank_change(open_page):
    """Issue 12: counties ranked by progress with the rank change since the previous year."""
    at = open_page(params={"year": "2015"})
    ranking = next(df for df in at.dataframe if "变化" in df.value.columns)
    table = ranking.value
    assert list(table["名次"]) == list(range(1, 8))
    assert table["脱贫率（%）"].is_monotonic_decreasing
    assert dict(zip(table["名称"], table["变化"])) == {
        "通川区": "—", "大竹县": "—", "达川区": "▲ 1", "渠县": "▲ 1", "开江县": "▼ 2", "宣汉县": "▲ 1", "万源市": "▼ 1"}


def test_a_gcj02_basemap_setting_is_warned_about(open_page, monkeypatch):
    monkeypatch.setenv("PORTAL_TILE_URL", "https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}")
    at = open_page()
    assert not at.exception
    assert any("GCJ-02" in w.value for w in at.warning)
    monkeypatch.delenv("PORTAL_TILE_URL")
    assert not any("GCJ-02" in w.value for w in open_page().warning)
