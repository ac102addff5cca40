"""Deliveries without a poor-county flag (the 六盘水 / 张家界 fixtures: a township table only): the
counties are 无数据 for status and the portal says why; a county table with 是否贫困县 (by its usual
header or through a mapping profile) fills the status in, and nothing else changes."""
from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from cli.ingest import main
from geo.aggregate import region_kpis, unit_figures
from geo.ingest.store import Store
from geo.poor_county import counties_without_flag
from geo.read import read_bundle
from geo.view import latest_open_year
from tests.ingest import delivery as dl


@pytest.fixture
def store(tmp_path, monkeypatch) -> Store:
    monkeypatch.setenv("PORTAL_STORE_DIR", str(tmp_path / "store"))
    monkeypatch.delenv("PORTAL_DATA_DIR", raising=False)
    return Store(tmp_path / "store")


def _county_table(delivery: dl.Delivery, flag_header: str) -> bytes:
    """A county table as an office would write it: poor flag and 摘帽 years, no figures."""
    codes = delivery.counties["code"].tolist()
    rows = [(codes[0], "是", 2019, 2019), (codes[1], "是", 2020, ""), (codes[2], "否", "", ""),
            (codes[3], "是", 2018, 2018)]
    lines = [f"区划代码,县名称,年度,{flag_header},计划摘帽年度,实际摘帽年度"]
    names = dict(zip(delivery.counties["code"], delivery.counties["name"]))
    lines += [f"{code},{names[code]},{dl.YEAR},{flag},{planned},{actual}" for code, flag, planned, actual in rows]
    return ("\n".join(lines) + "\n").encode("gbk")


@pytest.mark.parametrize("prefecture", sorted(dl.GK_EPSG))
def test_a_township_delivery_names_every_county_without_flag(prefecture, tmp_path, store, capsys):
    delivery = dl.build(prefecture, tmp_path / "delivery")
    assert main(["--new", "--repair", *map(str, delivery.files.values())]) == 0
    bundle = read_bundle(store.active_folder())
    figures = unit_figures(bundle.units, bundle.exit_status, dl.YEAR)
    counties = figures.loc[figures["level"] == "county"]
    assert set(counties["status"]) == {"no_data"}
    assert counties_without_flag(figures) == sorted(delivery.counties["code"])
    # never derived: the counties' figures are still the sums of their townships
    assert region_kpis(figures).registered_poor == delivery.totals["registered_poor"]
    assert region_kpis(figures).poor_counties == 0
    # the pages open on the delivered year (not on an empty 2020 of zeros)
    assert latest_open_year(bundle.exit_status) == dl.YEAR


@pytest.mark.parametrize("header, mapping", [("是否贫困县", None), ("贫困县标识", {"贫困县标识": "poor_flag"})],
                         ids=["usual_header", "mapping_profile"])
def test_a_county_table_with_the_flag_fills_the_status_in(header, mapping, tmp_path, store, capsys):
    delivery = dl.build(sorted(dl.GK_EPSG)[0], tmp_path / "delivery")
    assert main(["--new", "--repair", *map(str, delivery.files.values())]) == 0
    table = tmp_path / "县级贫困县表.csv"
    table.write_bytes(_county_table(delivery, header))
    args = [str(table)]
    if mapping is not None:
        profile = tmp_path / "profile.json"
        profile.write_text(json.dumps({"name": "县表", "kind": "exit_status", "shape": "", "columns": mapping},
                                      ensure_ascii=False), encoding="utf-8")
        args = ["--mapping", str(profile), *args]
    assert main(args) == 0, capsys.readouterr().err
    bundle = read_bundle(store.active_folder())
    figures = unit_figures(bundle.units, bundle.exit_status, dl.YEAR).set_index("code")
    codes = delivery.counties["code"].tolist()
    assert [figures.at[c, "status"] for c in codes] == ["exited", "not_exited", "non_poor", "exited"]
    assert counties_without_flag(figures.reset_index()) == []
    kpis = region_kpis(figures.reset_index())
    assert (kpis.poor_counties, kpis.exited_counties) == (3, 2)
    # the township rows and their totals are kept
    assert kpis.registered_poor == delivery.totals["registered_poor"]
    assert int((bundle.exit_status["code"].str[6:9] != "000").sum()) == delivery.totals["townships"]


def test_the_template_and_the_mapping_step_offer_the_flag():
    from geo.ingest.tables import HEADER_ALIASES, agency_header
    from geo.ingest.templates import template_xlsx
    assert "是否贫困县" in HEADER_ALIASES["poor_flag"]
    sheet = load_workbook(io.BytesIO(template_xlsx("exit_status"))).worksheets[0]
    assert agency_header("poor_flag") in [cell.value for cell in sheet[1]]
    assert {"计划摘帽年度", "实际摘帽年度"} <= set(HEADER_ALIASES["planned_exit_year"] + HEADER_ALIASES["actual_exit_year"])


def test_notice_text_names_the_column_and_the_way_to_deliver_it():
    from ui.text import t
    text = t("notice.poor_flag_none", year=2019, count=4, total=4)
    assert "是否贫困县" in text and "数据管理" in text and "列对应" in text and "2019" in text
