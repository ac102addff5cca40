"""AppTest of 督战 on the demo: the as-of date (deep link and widget) moves problems from due to
overdue, filters narrow the tables and land in the URL, the map subject switches, a dataset
without inspection files says so plainly."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from geo import inspection as ins
from geo.read import read_bundle
from tests import tiny
from tests.apptest.conftest import ROOT

PAGE = "pages/inspection.py"


@pytest.fixture(scope="module")
def demo():
    return read_bundle(ROOT / "data" / "demo")


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def problems_table(at) -> pd.DataFrame:
    """The filtered problem list (no unit is selected in these tests, so it is the only one)."""
    tables = [df.value for df in at.dataframe if "问题描述" in df.value.columns]
    assert len(tables) == 1
    return tables[0]


def expected(demo, day: str) -> dict[str, int]:
    return ins.totals(ins.problem_states(demo.problems, pd.Timestamp(day), due_days=7))


def test_deep_link_date_and_date_widget(open_page, demo):
    at = open_page(PAGE, params={"date": "2020-05-31"})
    assert not at.exception
    on_deadline = expected(demo, "2020-05-31")
    assert metric(at, "逾期未销号") == f"{on_deadline['overdue']:,}" == "0"   # due today is not overdue
    assert metric(at, "临期") == f"{on_deadline['due_soon']:,}"
    assert metric(at, "问题总数") == f"{len(demo.problems):,}"
    at.date_input(key="inspection.date").set_value(date(2020, 6, 1)).run()
    assert not at.exception
    day_after = expected(demo, "2020-06-01")
    assert day_after["overdue"] > 0
    assert metric(at, "逾期未销号") == f"{day_after['overdue']:,}"
    assert at.query_params["date"] == "2020-06-01"


def test_filters_narrow_the_tables_and_go_into_the_url(open_page, demo):
    at = open_page(PAGE, params={"date": "2020-07-01"})
    at.multiselect(key="inspection.source").set_value(["supervision"]).run()
    assert not at.exception
    table = problems_table(at)
    assert set(table["来源"]) == {"督查"}
    assert len(table) == int((demo.problems["source"] == "supervision").sum())
    at.multiselect(key="inspection.state").set_value(["overdue"]).run()
    states = ins.problem_states(demo.problems, pd.Timestamp("2020-07-01"), due_days=7)
    wanted = states.loc[(states["source"] == "supervision") & (states["state"] == "overdue")]
    assert len(wanted) > 0
    shown = problems_table(at)
    assert set(shown["状态（截至日期）"]) == {"逾期"}
    assert set(shown["问题编号"]) == set(wanted["problem_id"])
    assert at.query_params["source"] == "supervision" and at.query_params["state"] == "overdue"


def test_region_and_layer_switch(open_page):
    at = open_page(PAGE, params={"date": "2020-06-30", "region": "511781000000", "level": "village"})
    assert not at.exception
    assert metric(at, "挂牌督战单位") == "11"
    at.radio(key="inspection.layer").set_value("projects").run()
    assert not at.exception
    at.radio(key="inspection.layer").set_value("monitoring").run()
    at.selectbox(key="inspection.monitor_kind").set_value("marginal").run()
    assert not at.exception
    assert any("边缘易致贫户" in df.value.columns for df in at.dataframe)
    assert at.query_params["layer"] == "monitoring" and at.query_params["monitor"] == "marginal"


def test_bad_date_in_the_link_is_named(open_page, demo):
    at = open_page(PAGE, params={"date": "2020-13-45"})
    assert not at.exception
    assert any("截至日期" in w.value and "date" not in w.value for w in at.warning)
    assert at.date_input(key="inspection.date").value == ins.data_date(demo.problems, demo.projects).date()


def test_dataset_without_inspection_data(open_page, tmp_path):
    at = open_page(PAGE, data=tiny.write_folder(tmp_path / "tiny"))
    assert not at.exception
    assert any("没有督战数据" in i.value for i in at.info)


def _make(at, fmt: str) -> bytes:
    key = "inspection.export"
    next(r for r in at.radio if r.key == f"{key}.format").set_value(fmt).run()
    next(b for b in at.button if b.key == f"{key}.make").click().run()
    assert not at.exception and not at.error
    return at.session_state[f"{key}.file"][1]


def test_export_panel_and_briefing(open_page):
    from layers.offline import external_urls

    at = open_page(PAGE, params={"date": "2020-06-30", "region": "511781000000", "level": "village"})
    title = next(w for w in at.text_input if w.label == "图名（可修改）")
    assert title.value == "万源市督战：问题整改（2020年）"
    png = _make(at, "png")
    assert png.startswith(b"\x89PNG") and len(png) > 50_000
    assert _make(at, "pdf").startswith(b"%PDF")
    html = _make(at, "html").decode("utf-8")
    assert "portalUnits(" in html and "问题整改（红绿灯）" in html and external_urls(html) == []
    next(b for b in at.button if b.key == "inspection.brief_make").click().run()
    assert not at.exception
    wanted, pdf = at.session_state["inspection.brief"]
    assert wanted == ("511781000000", "2020-06-30") and pdf.startswith(b"%PDF")
    assert any(d.label == "下载督战简报 PDF" for d in at.get("download_button"))
