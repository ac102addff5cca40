"""The lean read path of the pages on PostGIS (ui.cache postgis branches, geo.pg.lean_bundle):
a village-level vector-tile view holds no village polygon in the process, one county's villages
drawn as GeoJSON fetch exactly that county's polygons, and figures equal the file backend's."""
from __future__ import annotations

import pandas as pd
import pytest

from geo import pg
from geo.aggregate import unit_figures
from geo.read import read_bundle
from tests.test_demo_data import DEMO

COUNTIES, TOWNSHIPS, QU_VILLAGES = 7, 210, 501   # the demo; 渠县 (511725) has 501 villages


@pytest.fixture
def on_postgis(pg_dsn, monkeypatch):
    version = pg.store().publish(DEMO, source="demo")
    monkeypatch.setenv("PORTAL_BACKEND", "postgis")
    monkeypatch.setenv("PORTAL_TILE_MIN_FEATURES", "1000")   # the demo's 3,001 villages come as tiles
    import streamlit as st
    st.cache_resource.clear()
    pg.loaded.clear()
    return version


def test_a_village_tile_view_holds_no_village_polygon(open_page, on_postgis):
    at = open_page("pages/exit_map.py", params={"level": "village", "year": "2018"})
    assert not at.exception, at.exception
    table = next(df.value for df in at.dataframe if "区划代码" in df.value.columns)
    assert table.shape[0] >= 2000   # a large view lists 2,000 rows plus the flagged ones
    # budget: only the county and township outlines (as stored) entered the process
    assert pg.loaded.get("village", 0) == 0
    assert pg.loaded.get("county", 0) <= 2 * COUNTIES and pg.loaded.get("township", 0) <= 2 * TOWNSHIPS
    # another year: still no village polygon
    at = open_page("pages/exit_map.py", params={"level": "village", "year": "2019"})
    assert not at.exception and pg.loaded.get("village", 0) == 0


def test_one_countys_villages_fetch_only_that_countys_polygons(open_page, on_postgis):
    at = open_page("pages/exit_map.py", params={"level": "village", "region": "511725000000"})
    assert not at.exception, at.exception
    assert pg.loaded.get("village", 0) == QU_VILLAGES


def test_lean_bundle_and_sql_figures_match_the_files(on_postgis):
    lean, files = pg.lean_bundle(on_postgis), read_bundle(DEMO)
    assert list(lean.units["code"]) == sorted(files.units["code"])
    villages = lean.units.loc[lean.units["level"] == "village"]
    assert (villages.geom_type == "Point").all()
    polygons = files.units.set_index("code").loc[villages["code"]].geometry
    assert polygons.covers(villages.set_index("code").geometry).all()   # each point inside its village
    rows = pg.store().table(on_postgis, "exit_status", where="year = %s", params=(2018,))
    pd.testing.assert_frame_equal(unit_figures(lean.units, rows, 2018).sort_values("code").reset_index(drop=True),
                                  unit_figures(files.units, files.exit_status, 2018).sort_values("code")
                                  .reset_index(drop=True), check_like=True)
    shapes = pg.display_units_sql(on_postgis, "village", "511725")
    assert len(shapes) == QU_VILLAGES and shapes.crs.to_epsg() == 4326 and shapes.is_valid.all()


@pytest.mark.parametrize("region", ["511725000000"])   # a township scope trips geo.ranking on both backends
def test_a_scoped_viewer_gets_the_same_views_on_both_backends(on_postgis, region, monkeypatch, tmp_path):
    """A region user: the same table rows on files and on PostGIS; on PostGIS only polygons of
    units inside the scope (and a township scope's county outline) enter the process."""
    from streamlit.testing.v1 import AppTest

    from tests.access_helpers import login, make_user
    from tests.apptest.conftest import ENTRY
    make_user("qu", "region", region)

    def tables(backend: str) -> list[int]:
        monkeypatch.setenv("PORTAL_BACKEND", backend)
        monkeypatch.setenv("PORTAL_ANONYMOUS", "all")
        out = []
        for level in ("county", "township", "village"):
            at = login(AppTest.from_file(ENTRY, default_timeout=120).run(), "qu")
            at.query_params["level"] = level
            at.switch_page("pages/exit_map.py").run()
            assert not at.exception, at.exception
            out.append(next(df.value for df in at.dataframe if "区划代码" in df.value.columns).shape[0])
        return out

    files = tables("files")
    pg.loaded.clear()
    assert tables("postgis") == files
    assert pg.loaded.get("village", 0) == files[2]          # only the scope's villages
    assert all(v >= 1 for v in files)
