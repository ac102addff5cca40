"""Versioned store and publication: a complete, re-validated folder per version; atomic publish;
previous version active until then; list and restore; interrupted imports leave nothing; the
end-to-end import of a GBK Gauss-Kruger Shapefile plus a report-style XLSX; the command line."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo import schema
from geo.errors import DataError
from geo.ingest import pipeline
from geo.ingest.report import Report
from geo.ingest.store import Store
from geo.read import read_bundle
from tests import tiny
from tests.ingest import fixtures as fx

ROOT = Path(__file__).resolve().parents[2]


def _copy_tiny(folder: Path) -> None:
    tiny.write_folder(folder)


def test_publish_list_restore(tmp_path):
    store = Store(tmp_path / "store")
    assert store.active() is None and store.versions() == []
    first, bundle = store.publish(_copy_tiny, {"note": "one"})
    second, _ = store.publish(_copy_tiny, {"note": "two"})
    assert [v.id for v in store.versions()] == [first.id, second.id]
    assert first.id.startswith("v0001-") and second.id.startswith("v0002-")
    assert store.active_id() == second.id
    assert sorted(p.name for p in first.folder.iterdir()) == sorted([n for k, n in schema.FILES.items() if k not in schema.OPTIONAL_KINDS] + ["meta.json"])
    assert bundle.folder == str(first.folder)
    store.activate(first.id)
    assert store.active_folder() == first.folder
    with pytest.raises(KeyError):
        store.activate("v9999-20200101T000000")
    with pytest.raises(KeyError):
        store.activate("../../etc")


def test_interrupted_publish_leaves_nothing(tmp_path):
    store = Store(tmp_path / "store")
    first, _ = store.publish(_copy_tiny, {})

    def half_written(folder: Path) -> None:
        tiny.write_folder(folder)
        (folder / schema.FILES["sites"]).unlink()
        raise KeyboardInterrupt  # the process is stopped in the middle of writing

    with pytest.raises(KeyboardInterrupt):
        store.publish(half_written, {})
    assert [v.id for v in store.versions()] == [first.id]
    assert store.active_id() == first.id
    assert list((tmp_path / "store" / "tmp").iterdir()) == []


def test_invalid_bundle_is_never_published(tmp_path):
    store = Store(tmp_path / "store")
    first, _ = store.publish(_copy_tiny, {})

    def broken(folder: Path) -> None:
        tiny.write_folder(folder, sites=tiny.table([{**tiny.site_rows()[0], "township_code": "511725199000"}], "sites"))

    with pytest.raises(DataError) as caught:
        store.publish(broken, {})
    assert caught.value.rule == "code_unknown"
    assert [v.id for v in store.versions()] == [first.id] and store.active_id() == first.id


def _stage_e2e(stage, tmp_path):
    members = fx.write_shapefile(fx.units_in_zone_prefix(), tmp_path / "shp", "达州边界")
    units, report = stage("units", "边界.zip", fx.zip_bytes({f"边界/{k}": v for k, v in members.items()}))
    assert report.errors == [], report.problems
    exits, report = stage("exit_status", "退出.xlsx", fx.report_workbook(fx.exit_rows_2019()), units=units.data)
    assert report.errors == [], report.problems
    return units, exits


def test_end_to_end_gbk_gauss_kruger_and_report_excel(stage, tmp_path, tiny_folder):
    units, exits = _stage_e2e(stage, tmp_path)
    store = Store(tmp_path / "store")
    report = Report()
    version, bundle = pipeline.publish(store, {"units": units, "exit_status": exits}, base=tiny_folder,
                                       report=report)
    assert report.errors == []
    again = read_bundle(store.active_folder())
    assert again.units["name"].tolist() == tiny.units_frame()["name"].tolist()
    expected = tiny.units_frame().to_crs(schema.DISPLAY_CRS).geometry.bounds.to_numpy()
    np.testing.assert_allclose(again.units.geometry.bounds.to_numpy(), expected, atol=1e-7)
    # update mode: the delivered 2019 rows replace the base's 2019 rows, the 2018 rows are kept
    before = read_bundle(tiny_folder).exit_status
    rows = again.exit_status.set_index(["code", "year"]).sort_index()
    assert sorted(set(again.exit_status["year"])) == sorted(set(before["year"]))
    assert rows.loc[[(c, 2019) for c in tiny.VILLAGES], "rural_population"].tolist() == [1000, 500, 1000, 500]
    kept = before.loc[before["year"] != 2019].set_index(["code", "year"]).sort_index()
    assert rows.loc[kept.index, "registered_poor"].tolist() == kept["registered_poor"].tolist()
    assert (store.active_folder() / "services.csv").read_bytes() == (tiny_folder / "services.csv").read_bytes()
    assert version.meta["imported"] == {"边界.zip": "units", "退出.xlsx": "exit_status"}
    assert version.meta["mode"] == "update" and version.meta["demo_kinds"] == []


def test_update_keeps_units_the_delivery_does_not_mention(stage, tmp_path, tiny_folder):
    frame = tiny.units_frame()
    frame = frame[frame["code"] != tiny.VILLAGES[3]]
    units, report = stage("units", "u.geojson", frame.to_json().encode("utf-8"))
    assert report.errors == []
    report = Report()
    store = Store(tmp_path / "store")
    version, bundle = pipeline.publish(store, {"units": units}, base=tiny_folder, report=report)
    assert tiny.VILLAGES[3] in set(bundle.units["code"])
    assert len(bundle.exit_status) == len(read_bundle(tiny_folder).exit_status)


def test_new_dataset_lists_every_unknown_code(stage, tmp_path, tiny_folder):
    """New mode: tables are checked against the delivered boundaries only, every row listed."""
    frame = tiny.units_frame()
    frame = frame[frame["code"] != tiny.VILLAGES[3]]
    units, report = stage("units", "u.geojson", frame.to_json().encode("utf-8"))
    exits, report = stage("exit_status", "退出.xlsx", fx.report_workbook(fx.exit_rows_2019()), units=units.data)
    found = [(p.file, p.rule, p.row) for p in report.errors]
    assert found == [("退出.xlsx", "code_unknown", 8)]
    assert pipeline.publish(Store(tmp_path / "store"), [units, exits], base=None, report=report,
                            mode="new") is None


def test_importing_one_level_keeps_the_others(stage, tmp_path, tiny_folder):
    frame = tiny.units_frame()
    villages = frame[frame["level"] == "village"].copy()
    villages["name"] = ["一村", "二村", "三村", "四村"]
    units, report = stage("units", "村.geojson", villages.to_json().encode("utf-8"))
    publish_report = Report()
    store = Store(tmp_path / "store")
    pipeline.publish(store, {"units": units}, base=tiny_folder, report=publish_report)
    assert publish_report.first("units_kept").value == 3
    names = read_bundle(store.active_folder()).units.set_index("code")["name"]
    assert names[tiny.VILLAGES[0]] == "一村" and names[tiny.COUNTY] == "渠县"


def test_command_line_import(tmp_path, tiny_folder):
    members = fx.write_shapefile(fx.units_in_zone_prefix(), tmp_path / "shp", "边界")
    (tmp_path / "b.zip").write_bytes(fx.zip_bytes(members))
    (tmp_path / "e.xlsx").write_bytes(fx.report_workbook(fx.exit_rows_2019(), title="标题"))
    env = {**os.environ, "PORTAL_STORE_DIR": str(tmp_path / "store"), "PORTAL_DATA_DIR": str(tiny_folder)}
    run = subprocess.run([sys.executable, "-m", "cli.ingest", "--kind", "exit_status", "--file",
                          str(tmp_path / "e.xlsx"), "--kind", "units", "--file", str(tmp_path / "b.zip"),
                          "--report", str(tmp_path / "r.csv")],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("已发布版本 v0001-")
    lines = run.stderr.splitlines()
    total = [line for line in lines if "第 9 行" in line and "合计" in line]
    assert len(total) == 1 and total[0].startswith("[") and "文件 e.xlsx" in total[0], run.stderr
    bad = subprocess.run([sys.executable, "-m", "cli.ingest", "--kind", "units", "--file",
                          str(tmp_path / "missing.zip")], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 1 and "文件 missing.zip" in bad.stderr and "[错误]" in bad.stderr, bad.stderr
    report = pd.read_csv(tmp_path / "r.csv", dtype=str, keep_default_na=False)
    # the --report CSV is for people: Chinese headers and wording, like the page's download
    assert report.loc[report["值"] == "合计", ["文件", "工作表/图层", "行"]].values.tolist() == \
        [["e.xlsx", "退出情况", "9"]]
    listing = subprocess.run([sys.executable, "-m", "cli.ingest", "--list"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60)
    assert listing.stdout.startswith("* v0001-")
    # publishing and restoring on the command line are audited like the page (users database
    # next to the store by default)
    version = listing.stdout.split()[1]
    restore = subprocess.run([sys.executable, "-m", "cli.ingest", "--restore", version], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60)
    assert restore.returncode == 0, restore.stderr
    conn = sqlite3.connect(tmp_path / "access.sqlite")
    events = [row[0] for row in conn.execute("SELECT event FROM audit ORDER BY id")]
    conn.close()
    assert events == ["publish", "restore"]


def test_portal_shows_the_active_version(tmp_path, monkeypatch):
    from ui import cache
    monkeypatch.delenv(cache.DATA_ENV, raising=False)
    monkeypatch.setenv(cache.STORE_ENV, str(tmp_path / "store"))
    assert cache.data_folder() == str(cache.DEMO_FOLDER.resolve())
    version, _ = Store(tmp_path / "store").publish(_copy_tiny, {})
    assert cache.data_folder() == str(version.folder.resolve())
    monkeypatch.setenv(cache.DATA_ENV, str(tmp_path / "elsewhere"))
    assert cache.data_folder() == str((tmp_path / "elsewhere").resolve())
