"""PostGIS as the store of record, against a real PostGIS: publish (versions kept, active
switched atomically, an interrupted publish leaves the previous version active), the same Bundle
as the file reader, ST_AsMVT tiles with the same features as the embedded tiles, figures by SQL,
and an outage reported as StoreUnavailable / HTTP 503."""
from __future__ import annotations

import time

import mapbox_vector_tile
import pandas as pd
import psycopg
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from geo import pg
from geo.aggregate import category_counts, unit_figures
from geo.read import read_bundle
from geo.scope_token import sign_scope
from geo.simplify import display_units
from geo.tiles import TileSet
from serve.tile_routes import routes
from tests.scale.test_tiles import tile_of
from tests.test_demo_data import DEMO


@pytest.fixture(scope="module")
def demo():
    return read_bundle(DEMO)


def test_publish_reads_back_the_same_bundle(pg_dsn, demo):
    store = pg.store()
    version = store.publish(DEMO, source="demo")
    assert store.active() == version and store.versions() == [(version, "demo", True)]
    bundle = store.read_bundle(version)
    for kind in pg.ROW_KINDS:
        pd.testing.assert_frame_equal(getattr(bundle, kind), getattr(demo, kind))
    assert bundle.missing == demo.missing == ()
    assert list(bundle.units["code"]) == sorted(demo.units["code"])
    assert bundle.units.crs.to_epsg() == 4326
    assert bundle.units.to_crs(4545).area.sum() == pytest.approx(demo.units.to_crs(4545).area.sum(), rel=1e-9)


@pytest.mark.parametrize("step", ["units", "tiles", "tables"])
def test_an_interrupted_publish_leaves_the_previous_version_active(pg_dsn, step):
    store = pg.store()
    first = store.publish(DEMO, source="first")
    with pytest.raises(pg.PublishInterrupted):
        store.publish(DEMO, source="broken", interrupt_after=step)
    assert store.active() == first
    assert [v[0] for v in store.versions()] == [first]   # nothing of the broken one is visible


def test_versions_are_kept_and_an_earlier_one_can_be_made_active(pg_dsn):
    store = pg.store()
    first = store.publish(DEMO, source="a")
    second = store.publish(DEMO, source="b")
    assert store.active() == second and [v[0] for v in store.versions()] == [first, second]
    store.activate(first)
    assert store.active() == first
    with pytest.raises(KeyError):
        store.activate("v-unknown")


def test_postgis_tiles_hold_the_same_units_as_embedded_tiles(pg_dsn, demo):
    pg.store().publish(DEMO)
    tiles = pg.pg_tiles()
    url_version, _ = tiles.current()
    embedded = TileSet(display_units(demo.units, "village"), layer="village", version="x")
    for z in (7, 9, 11):
        x, y = tile_of(107.5, 31.2, z)
        ours = mapbox_vector_tile.decode(tiles.tile(url_version, "village", z, x, y, ""))["village"]["features"]
        theirs = mapbox_vector_tile.decode(embedded.tile(z, x, y))["village"]["features"]
        assert {f["properties"]["i"] for f in ours} == {f["properties"]["i"] for f in theirs}
        assert all(f["id"] == int(embedded.codes[f["properties"]["i"]]) for f in ours)
    scoped = tiles.tile(url_version, "village", 9, *tile_of(107.5, 31.2, 9), "511722")
    features = mapbox_vector_tile.decode(scoped).get("village", {}).get("features", [])
    assert all(embedded.codes[f["properties"]["i"]].startswith("511722") for f in features)


@pytest.mark.parametrize("year", [2016, 2018, 2020])
@pytest.mark.parametrize("level", ["village", "county"])
def test_status_counts_by_sql_match_the_aggregation(pg_dsn, demo, year, level):
    version = pg.store().publish(DEMO)
    figures = unit_figures(demo.units, demo.exit_status, year)
    expected = {k: v for k, v in category_counts(figures.loc[figures["level"] == level]).items() if v}
    assert pg.region_status_counts(version, year, level) == expected
    qu = figures.loc[(figures["level"] == level) & figures["code"].str.startswith("511725")]
    assert pg.region_status_counts(version, year, level, "511725") == \
        {k: v for k, v in category_counts(qu).items() if v}


def test_tile_route_on_postgis_and_its_outage(pg_dsn, pg_cluster, monkeypatch):
    monkeypatch.setenv("PORTAL_BACKEND", "postgis")
    monkeypatch.setenv("PORTAL_TILE_SECRET", "s")
    pg.store().publish(DEMO)
    client = TestClient(Starlette(routes=routes()), raise_server_exceptions=False)
    url_version, _ = pg.pg_tiles().current()
    x, y = tile_of(107.5, 31.2, 10)
    url = f"/tiles/{url_version}/village/10/{x}/{y}.pbf?s={sign_scope('s', '')}"
    assert client.get(url).status_code == 200
    assert client.get(url.replace(f"/10/{x}/", f"/10/{x + 1}/")).status_code == 200
    pg_cluster.stop()
    try:
        pg.pg_tiles()._current = (0.0, None)
        response = client.get(url.replace(f"/10/{x}/", f"/10/{x + 2}/"))
        assert response.status_code == 503 and "Traceback" not in response.text
        with pytest.raises(pg.StoreUnavailable):
            pg.store().active()
    finally:
        pg_cluster.start()
    # the pool reconnects by itself (with backoff): wait for that state, bounded
    deadline = time.monotonic() + 60
    while True:
        try:
            assert pg.store().active() is not None
            break
        except pg.StoreUnavailable:
            assert time.monotonic() < deadline, "no reconnection within 60 s"
    assert client.get(url.replace(f"/10/{x}/", f"/10/{x + 2}/")).status_code == 200


def test_tables_are_typed_rows_with_indexes(pg_dsn, demo):
    version = pg.store().publish(DEMO)
    with psycopg.connect(pg_dsn) as conn:
        types = dict(conn.execute("SELECT column_name, data_type FROM information_schema.columns "
                                  "WHERE table_schema = 'portal' AND table_name = 'rows_exit_status'").fetchall())
        assert types["year"] == "integer" and types["poor_flag"] == "boolean"
        assert types["registered_poor"] == "bigint" and types["code"] == "text"
        assert conn.execute("SELECT count(*) FROM portal.rows_exit_status WHERE version = %s",
                            (version,)).fetchone()[0] == len(demo.exit_status)
        plan = "\n".join(r[0] for r in conn.execute(
            "EXPLAIN SELECT * FROM portal.rows_sites WHERE version = %s AND township_code = '511725100000'",
            (version,)).fetchall())
        assert "rows_sites_code" in plan or "Seq Scan" in plan   # indexed (tiny tables may scan)
        dated = conn.execute("SELECT data_type FROM information_schema.columns WHERE table_schema = 'portal' "
                             "AND table_name = 'rows_problems' AND column_name = 'deadline'").fetchone()
        assert dated[0] == "date"
    one_year = pg.store().table(version, "exit_status", where="year = %s", params=(2018,))
    expected = demo.exit_status.loc[demo.exit_status["year"] == 2018].reset_index(drop=True)
    pd.testing.assert_frame_equal(one_year, expected)


def test_a_dataset_with_absent_tables_reads_back_the_same(pg_dsn, tmp_path):
    import shutil
    for name in ("units.gpkg", "exit_status.csv"):
        shutil.copy(DEMO / name, tmp_path / name)
    version = pg.store().publish(tmp_path)
    bundle, files = pg.store().read_bundle(version), read_bundle(tmp_path)
    assert bundle.missing == files.missing == ("services", "sites")
    assert bundle.problems is None and bundle.services.empty
    pd.testing.assert_frame_equal(bundle.services, files.services)


def test_a_table_breaking_a_rule_is_refused_before_anything_is_inserted(pg_dsn, tmp_path):
    import shutil

    from geo.errors import DataError
    first = pg.store().publish(DEMO)
    for name in ("units.gpkg", "exit_status.csv"):
        shutil.copy(DEMO / name, tmp_path / name)
    text = (tmp_path / "exit_status.csv").read_text(encoding="utf-8").splitlines()
    cells = text[1].split(",")
    cells[1] = "1999"   # a year before the campaign: the rule set refuses it
    (tmp_path / "exit_status.csv").write_text("\n".join([text[0], ",".join(cells), *text[2:]]) + "\n", encoding="utf-8")
    with pytest.raises(DataError):
        pg.store().publish(tmp_path)
    assert pg.store().active() == first and len(pg.store().versions()) == 1
