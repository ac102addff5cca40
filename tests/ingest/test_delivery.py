"""A whole delivery of a real prefecture (六盘水市, 张家界市; tests/ingest/delivery.py) imported by
the command line into an empty store, then updated: positions, counts and totals are checked
against the generated sources; nothing is lost without consent."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from cli.ingest import main
from geo import schema
from geo.aggregate import region_kpis, unit_figures
from geo.ingest.store import Store
from geo.read import read_bundle
from tests.ingest import delivery as dl

ROOT = Path(__file__).resolve().parents[2]
PREFECTURES = sorted(dl.GK_EPSG)


@pytest.fixture
def empty_store(tmp_path, monkeypatch) -> Store:
    monkeypatch.setenv("PORTAL_STORE_DIR", str(tmp_path / "store"))
    monkeypatch.delenv("PORTAL_DATA_DIR", raising=False)
    return Store(tmp_path / "store")


def _files(delivery: dl.Delivery) -> list[str]:
    return [str(p) for p in delivery.files.values()]


@pytest.mark.parametrize("prefecture", PREFECTURES)
def test_new_dataset_from_a_messy_delivery(prefecture, tmp_path, empty_store, capsys):
    delivery = dl.build(prefecture, tmp_path / "delivery")
    started = time.perf_counter()
    code = main(["--new", "--repair", *_files(delivery)])
    seconds = time.perf_counter() - started
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith("已发布版本 v0001-")
    bundle = read_bundle(empty_store.active_folder())
    # boundaries: every county and township, where the sources put them (GK -> CGCS2000 -> WGS84)
    counts = bundle.units["level"].value_counts()
    assert (counts["county"], counts["township"]) == (delivery.totals["counties"], delivery.totals["townships"])
    assert "village" not in counts
    drawn = bundle.units.set_index("code")
    for source in (delivery.counties, delivery.townships):
        expected = source.to_crs(schema.DISPLAY_CRS).set_index("code")
        np.testing.assert_allclose(drawn.loc[expected.index].geometry.bounds.to_numpy(),
                                   expected.geometry.bounds.to_numpy(), atol=2e-6)
        assert drawn.loc[expected.index, "name"].tolist() == expected["name"].tolist()
    # the township table: year from the title, 合计 excluded, figures equal the delivered totals
    assert set(bundle.exit_status["year"]) == {dl.YEAR}
    kpis = region_kpis(unit_figures(bundle.units, bundle.exit_status, dl.YEAR))
    assert (kpis.registered_poor, kpis.remaining_poor) == (
        delivery.totals["registered_poor"], delivery.totals["registered_poor"] - delivery.totals["exited_poor"])
    assert (kpis.poor_villages, kpis.exited_villages) == (delivery.totals["poor_villages"],
                                                          delivery.totals["exited_villages"])
    # sites: ids generated, the swapped point repaired, the one without coordinates kept
    sites = bundle.sites
    assert len(sites) == delivery.totals["sites"] and sites["site_id"].is_unique
    assert int(sites["planned_households"].sum()) == delivery.totals["planned_households"]
    source = delivery.sites
    assert (sites.at[1, "lon"], sites.at[1, "lat"]) == (source.at[1, "北纬"], source.at[1, "东经"])
    assert pd.isna(sites.at[2, "lon"]) and sites.at[2, "township_code"] == source.at[2, "所在乡镇代码"]
    found = delivery.townships.set_index("code").geometry.contains(
        __import__("shapely").Point(sites.at[3, "lon"], sites.at[3, "lat"]))
    assert sites.at[3, "township_code"] == found[found].index[0]   # township from the point
    meta = empty_store.active().meta
    assert meta["mode"] == "new" and meta["demo_kinds"] == [] and meta["years"]
    for line in ("经度和纬度写反，已交换", "没有坐标，已保留该行", "按标题中的年份作为统计年度", "合计/小计行，已排除"):
        assert line in err, err
    print(f"\n[{delivery.name}] files={[p.name for p in delivery.files.values()]} seconds={seconds:.2f} "
          f"counts={dict(counts)} exit_rows={len(bundle.exit_status)} sites={len(sites)} "
          f"problems={[l.split('：')[1][:24] for l in err.splitlines() if l.startswith('[')]}", file=sys.__stdout__)


def test_swapped_coordinates_need_consent(tmp_path, empty_store, capsys):
    delivery = dl.build(PREFECTURES[0], tmp_path / "delivery")
    assert main(["--new", *_files(delivery)]) == 1
    err = capsys.readouterr().err
    assert f"[错误] 文件 {delivery.files['sites'].name}，第 3 行，列 东经" in err
    assert "--repair" in err and empty_store.versions() == []


def _township_workbook(rows: list[list[object]], title: str = "2019年脱贫攻坚进度统计表") -> bytes:
    book = Workbook()
    ws = book.active
    ws.append([title])
    ws.append(["区划代码", "建档立卡贫困人口", "已脱贫人口"])
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def published(tmp_path, empty_store, capsys):
    delivery = dl.build(PREFECTURES[1], tmp_path / "delivery")
    assert main(["--new", "--repair", *_files(delivery)]) == 0
    capsys.readouterr()
    return delivery


def test_update_with_a_one_county_table_changes_that_county_only(published, tmp_path, empty_store, capsys):
    before = read_bundle(empty_store.active_folder())
    county = published.counties["code"].iloc[0]
    towns = published.townships.loc[published.townships["code"].str.startswith(county[:6]), "code"].tolist()
    path = tmp_path / "一县.xlsx"
    path.write_bytes(_township_workbook([[int(c), 1000, 900] for c in towns]))
    assert main([str(path)]) == 0, capsys.readouterr().err
    after = read_bundle(empty_store.active_folder())
    assert len(after.units) == len(before.units) and len(after.sites) == len(before.sites)
    rows = after.exit_status.set_index("code")
    old = before.exit_status.set_index("code")
    assert (rows.loc[towns, "registered_poor"] == 1000).all()
    others = old.index.difference(towns)
    assert rows.loc[others, "registered_poor"].tolist() == old.loc[others, "registered_poor"].tolist()
    # the delivered rows change only the columns the file has: village counts are kept
    assert rows["poor_villages"].tolist() == old.loc[rows.index, "poor_villages"].tolist()
    assert empty_store.active().meta["mode"] == "update"


def test_update_refuses_an_empty_table(published, tmp_path, empty_store, capsys):
    first = empty_store.active_id()
    path = tmp_path / "空表.xlsx"
    path.write_bytes(_township_workbook([]))
    assert main([str(path)]) == 1
    err = capsys.readouterr().err
    assert "[错误] 文件 空表.xlsx" in err and "表中没有数据行" in err
    assert empty_store.active_id() == first and len(empty_store.versions()) == 1


def test_removal_needs_consent_and_shows_before_after(published, tmp_path, empty_store, capsys):
    first = empty_store.active_id()
    counties = str(published.files["counties"])
    assert main(["--new", counties]) == 1
    err = capsys.readouterr().err
    county = published.counties.iloc[0]
    towns = int(published.townships["code"].str.startswith(county["code"][:6]).sum())
    assert f"值“{towns + 1} → 1”：发布后{county['name']}的行政区划边界（县、乡、村）将减少" in err, err
    assert "--allow-removal" in err and empty_store.active_id() == first
    assert main(["--new", "--allow-removal", counties]) == 0
    assert len(read_bundle(empty_store.active_folder()).units) == len(published.counties)


def test_command_line_runs_as_a_module(tmp_path):
    delivery = dl.build(PREFECTURES[0], tmp_path / "delivery")
    env = {**os.environ, "PORTAL_STORE_DIR": str(tmp_path / "store"), "PORTAL_DATA_DIR": ""}
    run = subprocess.run([sys.executable, "-m", "cli.ingest", "--new", "--repair", *_files(delivery)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "县 4 个，乡镇" in run.stdout


def test_two_prefectures_in_two_provinces_form_one_dataset(tmp_path, empty_store, capsys):
    """A dataset may hold several prefectures (here in two provinces and two GK zones)."""
    deliveries = [dl.build(p, tmp_path / p) for p in PREFECTURES]
    assert main(["--new", "--repair", *[f for d in deliveries for f in _files(d)]]) == 0, capsys.readouterr().err
    bundle = read_bundle(empty_store.active_folder())
    assert set(bundle.units["code"].str[:4]) == {p[:4] for p in PREFECTURES}
    assert len(bundle.units) == sum(d.totals["counties"] + d.totals["townships"] for d in deliveries)
    imported = empty_store.active().meta["imported"]
    assert {f"{d.name}县界.zip : 县界/县级行政区.shp" for d in deliveries} <= set(imported)


def test_update_on_top_of_the_demo_records_demo_kinds(tmp_path, empty_store, capsys):
    """An update of the bundled demo keeps the demo's other rows: meta.json says which kinds
    still come from the demo (the portal's demo notice reads it); a new dataset has none."""
    demo = read_bundle(ROOT / "data" / "demo")
    village = demo.exit_status["code"].iloc[-1]
    path = tmp_path / "一村.xlsx"
    path.write_bytes(_township_workbook([[int(village), 100, 90]], title="2019年某村"))
    assert main([str(path)]) == 0, capsys.readouterr().err
    meta = empty_store.active().meta
    assert meta["mode"] == "update"
    assert meta["demo_kinds"] == sorted(k for k, name in schema.FILES.items()
                                        if (ROOT / "data" / "demo" / name).is_file())
    rows = read_bundle(empty_store.active_folder()).exit_status.set_index(["code", "year"])
    assert rows.loc[(village, 2019), "registered_poor"] == 100
    assert len(rows) == len(demo.exit_status)


def test_two_files_delivering_the_same_row_are_refused(published, tmp_path, empty_store, capsys):
    first = empty_store.active_id()
    town = int(published.townships["code"].iloc[0])
    for name in ("甲.xlsx", "乙.xlsx"):
        (tmp_path / name).write_bytes(_township_workbook([[town, 10, 5]]))
    assert main([str(tmp_path / "甲.xlsx"), str(tmp_path / "乙.xlsx")]) == 1
    err = capsys.readouterr().err
    assert "[错误] 文件 乙.xlsx，第 3 行" in err and "代码与另一个文件重复（甲.xlsx）" in err, err
    assert empty_store.active_id() == first


def test_mapping_profile_on_the_command_line(published, tmp_path, empty_store, capsys):
    """A site list with the bureau's own headers goes in with a mapping profile (--mapping)."""
    import json
    town = published.townships.iloc[0]
    point = town.geometry.representative_point()
    frame = pd.DataFrame({"点位": ["新安置点"], "乡镇编码": [town["code"]], "X坐标": [round(point.x, 6)],
                          "Y坐标": [round(point.y, 6)], "计划户": [80], "备注": ["无"]})
    (tmp_path / "点位.csv").write_bytes(frame.to_csv(index=False).encode("gbk"))
    assert main([str(tmp_path / "点位.csv")]) == 1
    assert "无法识别文件内容属于哪类数据" in capsys.readouterr().err
    profile = {"name": "县安置点表", "kind": "sites", "columns": {
        "点位": "name", "乡镇编码": "township_code", "X坐标": "lon", "Y坐标": "lat", "计划户": "planned_households",
        "备注": ""}}
    (tmp_path / "map.json").write_text(json.dumps(profile, ensure_ascii=False), encoding="utf-8")
    assert main(["--mapping", str(tmp_path / "map.json"), str(tmp_path / "点位.csv")]) == 0, capsys.readouterr().err
    sites = read_bundle(empty_store.active_folder()).sites
    assert len(sites) == published.totals["sites"] + 1
    added = sites.loc[sites["name"] == "新安置点"].iloc[0]
    assert added["township_code"] == town["code"] and added["planned_households"] == 80
    (tmp_path / "bad.json").write_text(json.dumps({"columns": {"点位": "no_such_field"}}), encoding="utf-8")
    assert main(["--mapping", str(tmp_path / "bad.json"), str(tmp_path / "点位.csv")]) == 1
    assert "映射文件 bad.json 无效：no_such_field" in capsys.readouterr().err
