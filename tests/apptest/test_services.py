"""AppTest of 基础设施: region and year filters change the to-do list; sorting; no exception."""
from pathlib import Path

import pytest

from tests import tiny

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tiny.write_folder(tmp_path_factory.mktemp("svc"))


@pytest.fixture
def at(folder, open_page):
    app = open_page("pages/services.py", data=folder)
    assert not app.exception
    at_year(app, 2018)
    return app


def at_year(app, year):
    app.select_slider(key="year").set_value(year).run()
    assert not app.exception


def todo(at):
    return next(df.value for df in at.dataframe if "序号" in df.value.columns)


def test_todo_list_ranks_villages(at):
    table = todo(at)
    assert list(table["区划代码"]) == [tiny.VILLAGES[2], tiny.VILLAGES[3]]
    assert list(table["未达标原因"])[0] == "发生率 10.0 %；缺卫生室"
    assert next(m.value for m in at.metric if m.label == "有短板的村") == "2 / 4"


def test_year_slider_closes_gaps(at):
    at_year(at, 2019)
    table = todo(at)
    assert list(table["区划代码"]) == [tiny.VILLAGES[3]]  # the clinic was built in 2019
    assert next(m.value for m in at.metric if m.label == "短板总数") == "1"


def test_township_filter_and_sort(at):
    at.selectbox(key="services.county").set_value(tiny.COUNTY).run()
    at.selectbox(key="services.township").set_value(tiny.TOWNS[0]).run()
    assert not at.exception
    assert not any("序号" in df.value.columns for df in at.dataframe)  # nothing to do in 静边镇
    at.selectbox(key="services.township").set_value(tiny.TOWNS[1]).run()
    at.radio(key="services.sort").set_value("remaining_poor").run()
    assert list(todo(at)["区划代码"]) == [tiny.VILLAGES[2], tiny.VILLAGES[3]]


def test_service_layer_choice_does_not_fail(at):
    at.multiselect(key="services.layers").set_value(["clinic", "road"]).run()
    at.toggle(key="services.exit_layer").set_value(True).run()
    assert not at.exception
