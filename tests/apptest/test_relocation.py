"""AppTest of 易地搬迁: filters change the KPI cards and the site table; bad rows stay listed in
the data-quality table; no exception."""
from pathlib import Path

import pytest

from tests import tiny_sites

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tiny_sites.write_folder(tmp_path_factory.mktemp("reloc"))


@pytest.fixture
def at(folder, open_page):
    app = open_page("pages/relocation.py", data=folder)
    assert not app.exception
    return app


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def site_table(at):
    return next(df.value for df in at.dataframe if "安置点编号" in df.value.columns and "入住率（%）" in df.value.columns)


def test_all_sites_listed_and_quality_shown(at):
    assert metric(at, "安置点") == "8"
    assert len(site_table(at)) == 8
    quality = next(df.value for df in at.dataframe if "问题" in df.value.columns)
    assert len(quality) == 6  # one row per problem; S05 lacks both coordinates: one problem
    assert "经纬度疑似填反" in set(quality["问题"]) and "缺少坐标" in set(quality["问题"])
    assert any("未在地图上显示" in w.value for w in at.warning)


def test_stage_filter(at):
    at.multiselect(key="relocation.stages").set_value(["building"]).run()
    assert not at.exception
    assert metric(at, "安置点") == "1"
    assert list(site_table(at)["安置点编号"]) == ["S02"]
    assert metric(at, "已搬迁 / 计划户数") == "0 / 100"


def test_occupancy_and_support_filters(at):
    at.toggle(key="relocation.occ_on").set_value(True).run()
    at.slider(key="relocation.occ").set_value(60).run()
    assert set(site_table(at)["安置点编号"]) == {"S02", "S03", "S05", "S06", "S07", "S08"}
    at.toggle(key="relocation.support").set_value(True).run()
    assert not at.exception
    assert set(site_table(at)["安置点编号"]) == {"S02", "S03"}


def test_region_filter(at, ):
    at.selectbox(key="relocation.county").set_value("511725000000").run()
    at.selectbox(key="relocation.township").set_value("511725101000").run()
    assert not at.exception
    assert set(site_table(at)["安置点编号"]) == {"S02", "S03", "S06"}
    quality = next(df.value for df in at.dataframe if "问题" in df.value.columns)
    assert set(quality["安置点编号"]) == {"S06"}


def test_year_slider_filters_stages_and_kpis(open_page):
    """Issue 12: stages and KPIs as of the chosen year (start / completion years), demo data."""
    at = open_page("pages/relocation.py", params={"year": "2016"})
    assert not at.exception
    early = {m.label: m.value for m in at.metric}
    stages_2016 = set(site_table(at)["建设阶段"])
    at.sidebar.select_slider(key="year").set_value(2019).run()
    late = {m.label: m.value for m in at.metric}
    assert early["已搬迁 / 计划户数"].startswith("0 / ") and not late["已搬迁 / 计划户数"].startswith("0 / ")
    assert stages_2016 == {"未开工", "在建"} and "已入住" in set(site_table(at)["建设阶段"])
