"""The import publishes into PostGIS when `backend = "postgis"`: the command line (in a real
subprocess and in-process) and 数据管理 (AppTest) against the real test cluster. Versions are
listed and restored from the database, an update composes from the active PostGIS version,
removals need consent, an empty table is refused, and publish / restore are audited."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cli.ingest import main
from geo import pg
from tests import tiny
from tests.ingest import delivery as dl
from tests.ingest import fixtures as fx
from tests.ingest.test_delivery import PREFECTURES, _files, _township_workbook

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg_backend(pg_dsn, tmp_path, monkeypatch) -> pg.PgStore:
    """The postgis backend on an empty schema; the store folder holds only staging and the users db."""
    monkeypatch.setenv("PORTAL_BACKEND", "postgis")
    monkeypatch.setenv("PORTAL_STORE_DIR", str(tmp_path / "store"))
    monkeypatch.delenv("PORTAL_DATA_DIR", raising=False)
    return pg.store()


def _audit(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "access.sqlite") as conn:
        return conn.execute("SELECT event, detail FROM audit ORDER BY rowid").fetchall()


def test_cli_publishes_into_postgis_as_a_subprocess(pg_backend, tmp_path):
    delivery = dl.build(PREFECTURES[0], tmp_path / "delivery")
    env = {**os.environ, "PORTAL_BACKEND": "postgis", "PORTAL_PG_DSN": os.environ["PORTAL_PG_DSN"],
           "PORTAL_STORE_DIR": str(tmp_path / "store"), "PORTAL_DATA_DIR": ""}
    run = subprocess.run([sys.executable, "-m", "cli.ingest", "--new", "--repair", *_files(delivery)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    version = pg_backend.active()
    assert version is not None and f"已发布版本 {version}" in run.stdout
    bundle = pg_backend.read_bundle(version)
    counts = bundle.units["level"].value_counts()
    assert (counts["county"], counts["township"]) == (delivery.totals["counties"], delivery.totals["townships"])
    assert len(bundle.exit_status) == delivery.totals["townships"]
    assert not (tmp_path / "store" / "versions").exists()    # nothing went to the file store
    listed = subprocess.run([sys.executable, "-m", "cli.ingest", "--list"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert listed.returncode == 0 and listed.stdout.startswith(f"* {version}"), listed.stdout
    assert [e for e, _ in _audit(tmp_path)] == ["publish"]


def test_cli_update_removal_consent_and_restore_on_postgis(pg_backend, tmp_path, capsys):
    delivery = dl.build(PREFECTURES[1], tmp_path / "delivery")
    assert main(["--new", "--repair", *_files(delivery)]) == 0, capsys.readouterr().err
    first = pg_backend.active()
    before = pg_backend.read_bundle(first)
    # update: one county's townships get new figures, everything else is kept from PostGIS
    county = delivery.counties["code"].iloc[0]
    towns = delivery.townships.loc[delivery.townships["code"].str.startswith(county[:6]), "code"].tolist()
    path = tmp_path / "一县.xlsx"
    path.write_bytes(_township_workbook([[int(c), 1000, 900] for c in towns]))
    assert main([str(path)]) == 0, capsys.readouterr().err
    second = pg_backend.active()
    after = pg_backend.read_bundle(second)
    assert second != first and len(after.units) == len(before.units) and len(after.sites) == len(before.sites)
    rows, old = after.exit_status.set_index("code"), before.exit_status.set_index("code")
    assert (rows.loc[towns, "registered_poor"] == 1000).all()
    others = old.index.difference(towns)
    assert rows.loc[others, "registered_poor"].tolist() == old.loc[others, "registered_poor"].tolist()
    assert pg_backend.meta(second)["mode"] == "update"
    # an empty table is refused; a removal needs consent (before -> after shown)
    empty = tmp_path / "空表.xlsx"
    empty.write_bytes(_township_workbook([]))
    assert main([str(empty)]) == 1 and pg_backend.active() == second
    capsys.readouterr()
    counties = str(delivery.files["counties"])
    assert main(["--new", counties]) == 1
    assert "将减少" in capsys.readouterr().err and pg_backend.active() == second
    assert main(["--new", "--allow-removal", counties]) == 0
    third = pg_backend.active()
    assert len(pg_backend.read_bundle(third).units) == len(delivery.counties)
    # versions are listed and restored from PostGIS
    capsys.readouterr()
    assert main(["--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line[2:].split()[0] for line in listed] == [first, second, third] and listed[2].startswith("* ")
    assert main(["--restore", first]) == 0 and pg_backend.active() == first
    assert main(["--restore", "v-unknown"]) == 1 and pg_backend.active() == first
    assert [e for e, _ in _audit(tmp_path)] == ["publish", "publish", "publish", "restore"]


def test_data_page_publishes_restores_and_returns_to_the_demo_on_postgis(pg_backend, tmp_path):
    from tests.apptest.test_data_manage import _page, _upload
    first = pg_backend.publish(tiny.write_folder(tmp_path / "tiny"), meta={"imported": {"seed": "tiny"}})
    members = fx.write_shapefile(fx.units_in_zone_prefix(), tmp_path / "shp", "边界")
    at = _page()
    assert any(first in text.value for text in at.text), [x.value for x in at.text]   # listed from PostGIS
    _upload(at, [("边界.zip", fx.zip_bytes(members), "application/zip"),
                 ("退出.xlsx", fx.report_workbook(fx.exit_rows_2019()), "application/octet-stream")])
    at.button(key="data.check").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "校验通过：1 个警告。"
    assert pg_backend.active() == first
    at.button(key="data.publish").click().run()
    assert not at.exception, at.exception
    second = pg_backend.active()
    assert second != first and any(s.value == f"已发布版本 {second}，地图已使用新数据。" for s in at.success)
    assert sorted(pg_backend.meta(second)["imported"].values()) == ["exit_status", "units"]
    at.button(key=f"data.restore.{first}").click().run()
    assert not at.exception and pg_backend.active() == first
    at.button(key="demo.back").click().run()
    assert not at.exception and pg_backend.active() is None
    assert [v[0] for v in pg_backend.versions()] == [first, second]   # kept, restorable
    assert [e for e, _ in _audit(tmp_path)][-2:] == ["publish", "restore"]
