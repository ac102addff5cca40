"""AppTest of the info panel on 总览, 基础设施, 易地搬迁 and 督战: the selected unit's (or site's)
figures, standard met and failed with reasons, sites, open problems, projects and supervision;
its CSV; hostile names escaped; a county user's panel stays in the county."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo import inspection as ins
from geo.read import read_bundle
from tests import tiny, tiny_sites
from tests.access_helpers import login, make_user
from ui.escape import md_escape

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
QU = "511725000000"
SHILONG, SHILONG_TOWN = "511722002203", "511722002000"
WANYUAN = "511781000000"
EVIL_IMG, EVIL_MD = "<img src=x onerror=alert(1)>", "**x**"


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [w.value for w in at.warning] + [c.value for c in at.caption])


def test_landing_panel_of_the_selected_county(open_page):
    at = open_page(params={"year": "2018", "selected": QU})
    assert not at.exception
    text = texts(at)
    assert "单位信息：渠县" in text and "一低三有：" in text and "计划退出年度：**2018**" in text
    assert "本地安置点" in text and "督战问题（截至 2020-07-14）" in text
    assert any(b.label == "在退出进度中查看下级单位" for b in at.button)
    assert at.query_params["selected"] in ([QU], QU)
    csv = next(d for d in at.get("download_button") if d.proto.label == "下载该单位信息（CSV）")
    assert csv is not None


def test_landing_without_selection_shows_the_ranking_only(open_page):
    at = open_page(params={"year": "2018", "selected": "999999999999"})   # unknown code: ignored
    assert not at.exception
    assert "单位信息" not in texts(at) and "selected" not in at.query_params
    assert any("变化" in df.value.columns for df in at.dataframe)


def test_services_panel_names_the_missing_items(open_page):
    at = open_page("pages/services.py", params={"region": SHILONG_TOWN, "year": "2016", "selected": SHILONG})
    assert not at.exception
    text = texts(at)
    assert "单位信息：石龙村" in text and "一低五有：未达标" in text
    assert "✗ 未达标：缺卫生室" in text and "✓ 达标项：" in text and "通信网络" in text
    assert "服务设施：" in text and "卫生室 无" in text and "已出列但出列当年缺卫生室" in text


def test_services_region_panel_without_selection(open_page):
    at = open_page("pages/services.py", params={"region": SHILONG_TOWN, "year": "2016"})
    assert not at.exception
    text = texts(at)
    assert "单位信息：蒲江街道" in text and "乡三有：" in text
    assert not any(b.label == "查看下级单位" for b in at.button)   # its villages are on the map


def test_relocation_site_panel_and_unit_sites_table(open_page):
    data = read_bundle(DEMO)
    site = data.sites.iloc[0]
    at = open_page("pages/relocation.py", params={"year": "2019", "site": site["site_id"]})
    assert not at.exception
    text = texts(at)
    assert f"安置点信息：{md_escape(site['name'])}" in text and "入住率" in text and "距最近有卫生室的村" in text
    assert at.query_params["site"] in ([site["site_id"]], site["site_id"])
    at = open_page("pages/relocation.py", params={"year": "2019", "region": QU})
    assert not at.exception
    sites = next(df.value for df in at.dataframe if list(df.value.columns)[:2] == ["安置点名称", "建设阶段"])
    assert len(sites) == int(data.sites["township_code"].str.startswith(QU[:6]).sum())


def test_relocation_site_panel_lists_the_sites_quality_problems(open_page, tmp_path):
    folder = tiny_sites.write_folder(tmp_path / "sites")
    at = open_page("pages/relocation.py", data=folder, params={"year": "2019", "site": "S04"})   # moved > planned
    assert not at.exception
    text = texts(at)
    assert "安置点信息：" + md_escape(tiny_sites.EVIL[1]) in text and "数据问题 2 个" in text
    problems = next(df.value for df in at.dataframe if "问题" in df.value.columns and "安置点编号" not in df.value.columns)
    assert len(problems) == 2


def test_inspection_panel_lists_open_problems_projects_and_supervision(open_page):
    data = read_bundle(DEMO)
    asof = pd.Timestamp("2020-06-30")
    states = ins.problem_states(data.problems, asof, due_days=7)
    open_items = states.loc[states["state"].isin(ins.OPEN_STATES) & states["code"].str.startswith(WANYUAN[:6])]
    at = open_page("pages/inspection.py", params={"date": "2020-06-30", "region": "all", "level": "county",
                                                  "selected": WANYUAN})
    assert not at.exception
    text = texts(at)
    assert "单位信息：万源市" in text
    assert f"未销号问题 {len(open_items)} 个（截至 2020-06-30）" in text
    assert "挂牌督战：省挂牌（2020 年）" in text and "辖区内挂牌督战单位 10 个" in text
    assert "项目 188 个" in text
    problems = next(df.value for df in at.dataframe if list(df.value.columns) == ["所属单位", "问题描述", "完成时限", "状态（截至日期）"])
    assert len(problems) == len(open_items)


def test_panel_csv_holds_the_units_figures_and_history():
    from ui.info import panel_table  # plain function over the app's caches (demo data)
    table = panel_table(SHILONG, 2016)
    rows = dict(zip(table["项目"], table["内容"]))
    assert rows["区划代码"] == SHILONG and rows["名称"] == "石龙村" and rows["实际退出年度"] == "2016"
    assert rows["退出标准"] == "一低五有：未达标（缺卫生室）" and "缺卫生室" in rows["一致性提示"]
    assert [k for k in rows if k.endswith(" 年")] == [f"{y} 年" for y in range(2014, 2021)]


@pytest.fixture
def evil_folder(tmp_path):
    units = tiny.units_frame()
    units.loc[units.code.isin([tiny.TOWNS[1], tiny.COUNTY]), "name"] = EVIL_MD
    return tiny.write_folder(tmp_path / "evil", units=units, sites=tiny.table(tiny_sites.site_rows(), "sites"),
                             services=tiny.table(tiny_sites.services_rows(), "services"))


@pytest.mark.parametrize("page, params, evil", [
    (None, {"year": "2019", "selected": tiny.COUNTY}, EVIL_MD),
    ("pages/exit_map.py", {"level": "village", "region": tiny.TOWNS[1], "year": "2019",
                           "selected": tiny.VILLAGES[3]}, EVIL_IMG),
    ("pages/services.py", {"region": tiny.TOWNS[1], "year": "2019", "selected": tiny.VILLAGES[3]}, EVIL_IMG),
    ("pages/inspection.py", {"region": tiny.TOWNS[1], "level": "village", "selected": tiny.VILLAGES[3]}, EVIL_IMG),
    ("pages/relocation.py", {"region": tiny.COUNTY, "level": "township", "year": "2019",
                             "selected": tiny.TOWNS[1]}, EVIL_MD),
    ("pages/relocation.py", {"year": "2019", "site": "S03"}, EVIL_IMG),
])
def test_hostile_names_are_escaped_in_the_panel(open_page, evil_folder, page, params, evil):
    at = open_page(page, data=evil_folder, params=params)
    assert not at.exception
    headings = [m.value for m in at.markdown if m.value.startswith("##### ")]
    assert headings and md_escape(evil) in headings[0] and evil not in headings[0]
    assert all(evil not in m.value for m in at.markdown)   # never raw in any Markdown


def test_county_user_panel_stays_in_the_county(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_USERS_DB", str(tmp_path / "access.sqlite"))
    monkeypatch.setenv("PORTAL_ANONYMOUS", "demo")
    monkeypatch.delenv("PORTAL_DATA_DIR", raising=False)
    make_user("quxian", "region", QU)
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.query_params["selected"] = "511703000000"   # 达川区: another county
    at.run()
    assert "单位信息：达川区" in texts(at)       # anonymous demo visitors see the whole demo
    at = login(at, "quxian")
    assert not at.exception
    assert "达川区" not in texts(at) and "selected" not in at.query_params
