"""Service coverage: gap counting with known answers, compliance reasons worded in Chinese, the
ranked to-do list, gaps over the years and the service layers' payload."""
import pandas as pd
import pytest

from geo.aggregate import unit_figures
from geo.read import read_bundle
from geo.services import coverage, gap_trend, in_region, todo_list, township_services, village_items, village_services
from geo.simplify import display_units
from layers.base import base_map
from layers.offline import external_urls
from layers.service_layer import gap_classes, gap_layer, item_classes, item_layer
from layers.view_layer import join_rows
from tests import tiny


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    services = tiny.table(tiny.services_rows(), "services")
    # village 2 in 2018: no road, no water; network not reported
    row = (services["code"] == tiny.VILLAGES[1]) & (services["year"] == 2018)
    services.loc[row, ["road", "water", "network"]] = [0, 0, ""]
    # village 4 reports nothing in 2019
    services = services.loc[~((services["code"] == tiny.VILLAGES[3]) & (services["year"] == 2019))]
    return read_bundle(tiny.write_folder(tmp_path_factory.mktemp("svc"), services=services))


def test_gap_count_per_village(data):
    items = village_items(data.units, data.services, 2018).set_index("code")
    assert items["gaps"].to_dict() == {tiny.VILLAGES[0]: 0, tiny.VILLAGES[1]: 2,
                                       tiny.VILLAGES[2]: 1, tiny.VILLAGES[3]: 1}
    assert items.at[tiny.VILLAGES[1], "missing"] == ("road", "water")
    assert items.at[tiny.VILLAGES[1], "unknown"] == 1
    assert items.at[tiny.VILLAGES[2], "missing"] == ("clinic",)
    assert items.at[tiny.VILLAGES[3], "missing"] == ("collective_economy",)


def test_village_without_data_has_no_gap_count(data):
    items = village_items(data.units, data.services, 2019).set_index("code")
    assert items.at[tiny.VILLAGES[3], "gaps"] is pd.NA
    assert not items.at[tiny.VILLAGES[3], "reported"]
    assert items.at[tiny.VILLAGES[2], "gaps"] == 0  # the clinic was built in 2019


def test_compliance_reasons_in_chinese(data):
    from ui.pages_support import reason_text, reasons_text
    figures = unit_figures(data.units, data.exit_status, 2018)
    villages = village_services(data.units, data.services, figures, 2018).set_index("code")
    # village 3: incidence (300 - 200) / 1000 = 10 %, and no clinic in 2018
    assert reasons_text(villages.at[tiny.VILLAGES[2], "reasons"]) == "发生率 10.0 %；缺卫生室"
    assert reasons_text(villages.at[tiny.VILLAGES[1], "reasons"]) == "缺通村硬化路；通信网络未填报"
    assert bool(villages.at[tiny.VILLAGES[0], "compliant"])
    assert reason_text(("incidence_high", {"value": 0.041})) == "发生率 4.1 %"
    towns = township_services(data.units, data.services, figures, 2018).set_index("code")
    assert reasons_text(towns.at[tiny.TOWNS[1], "reasons"]) == "缺中心校"
    from geo.standards import county_compliance
    county = county_compliance(figures, data.services, 2018).iloc[0]
    assert reasons_text(county["reasons"]) == "发生率 3.6 %；三汇镇未达乡三有（缺中心校）"


def test_todo_list_ranked_and_filterable(data):
    figures = unit_figures(data.units, data.exit_status, 2018)
    villages = village_services(data.units, data.services, figures, 2018)
    by_gaps = todo_list(villages)
    assert list(by_gaps["code"]) == [tiny.VILLAGES[1], tiny.VILLAGES[2], tiny.VILLAGES[3]]
    assert list(by_gaps["rank"]) == [1, 2, 3]
    by_poor = todo_list(villages, sort="remaining_poor")  # remaining: v3 100, v4 5, v2 0
    assert list(by_poor["code"]) == [tiny.VILLAGES[2], tiny.VILLAGES[3], tiny.VILLAGES[1]]
    town = todo_list(in_region(villages, tiny.TOWNS[1][:9]))
    assert list(town["code"]) == [tiny.VILLAGES[2], tiny.VILLAGES[3]]
    with pytest.raises(ValueError, match="sort must be one of"):
        todo_list(villages, sort="name")


def test_coverage_and_trend(data):
    items = village_items(data.units, data.services, 2018)
    rates = coverage(items).set_index("item")
    assert (rates.at["road", "has"], rates.at["road", "lacks"]) == (3, 1)
    assert rates.at["network", "unknown"] == 1 and rates.at["network", "share"] == 1.0
    trend = gap_trend(data.units, data.services).set_index("year")
    assert trend.at[2018, "total_gaps"] == 4 and trend.at[2019, "total_gaps"] == 0
    assert trend.at[2018, "villages_with_gaps"] == 3


def test_classes():
    assert list(gap_classes(pd.Series([0, 1, 3, 4, 9, None], dtype="Int64"))) == [0, 1, 3, 4, 4, -1]
    assert list(item_classes(pd.Series([True, False, None], dtype="boolean"))) == [0, 1, -1]


def test_service_layers_render_offline_and_escaped(data):
    items = village_items(data.units, data.services, 2018)
    shapes = join_rows(display_units(data.units, "village"), items)
    fields = {"名称": shapes["name"]}
    m = base_map(shapes.total_bounds)
    gap_layer(shapes, name="短板数", class_labels=["0", "1", "2", "3", "4+"], fields=fields,
              count_format="{label}（{count}）", no_data_label="无数据").add_to(m)
    item_layer(shapes, "clinic", name="卫生室", has_label="有", lacks_label="缺", fields=fields,
               count_format="{label}（{count}）", no_data_label="未填报").add_to(m)
    html = m.get_root().render()
    assert "<img src=x onerror" not in html and external_urls(html) == []
    assert "1（2）" in html  # two villages with one gap in the legend
    assert "缺（1）" in html


def test_several_chosen_services_make_one_layer_of_lacking_counts():
    """Issue 12: stacked per-service layers hid each other; one layer counts what is lacking."""
    import pandas as pd

    from layers.service_layer import lacking_classes, lacking_colors

    frame = pd.DataFrame({"road": pd.array([True, False, False, None], dtype="boolean"),
                          "clinic": pd.array([True, True, False, None], dtype="boolean")})
    assert list(lacking_classes(frame, ["road", "clinic"])) == [0, 1, 2, -1]
    assert len(lacking_colors(2)) == 3 and len(set(lacking_colors(6))) >= 4
