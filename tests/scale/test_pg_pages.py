"""The same pages on both backends (files and PostGIS): the same tables and figures; with the
database down every page shows the Chinese notice instead of a traceback, and comes back by
itself when the database returns."""
from __future__ import annotations

import time

import pytest

from geo import pg
from tests.test_demo_data import DEMO
from ui.text import t

PAGES = (None, "pages/exit_map.py", "pages/relocation.py", "pages/services.py", "pages/about_data.py")
VIEWS = ({"level": "county"}, {"level": "village", "year": "2018"},
         {"level": "village", "region": "511725000000", "indicator": "incidence"})


@pytest.fixture
def backend(request, monkeypatch):
    """'files' (the bundled demo) or 'postgis' (the demo published into a fresh PostGIS schema)."""
    if request.param == "postgis":
        request.getfixturevalue("pg_dsn")
        pg.store().publish(DEMO, source="demo")
        monkeypatch.setenv("PORTAL_BACKEND", "postgis")
    else:
        monkeypatch.setenv("PORTAL_BACKEND", "files")
    return request.param


def frames(at) -> list:
    return [len(frame.value) for frame in at.dataframe]


@pytest.mark.parametrize("backend", ["files", "postgis"], indirect=True)
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_both_backends(open_page, backend, page):
    at = open_page(page)
    assert not at.exception, at.exception
    assert not [e for e in at.error if t("scale.store_down") in e.value]


@pytest.mark.parametrize("backend", ["files", "postgis"], indirect=True)
@pytest.mark.parametrize("view", VIEWS)
def test_exit_map_tables_are_identical_on_both_backends(open_page, backend, view):
    at = open_page("pages/exit_map.py", params=view)
    assert not at.exception
    expected = {"county": 7, "2018": 3001, "incidence": 501}
    key = "county" if view["level"] == "county" else view.get("year", view.get("indicator"))
    table = next(df.value for df in at.dataframe if t("field.code") in df.value.columns)  # not the ranking
    assert table.shape[0] == expected[key]


def test_database_down_every_page_says_so_and_recovers(open_page, pg_dsn, pg_cluster, monkeypatch):
    pg.store().publish(DEMO)
    monkeypatch.setenv("PORTAL_BACKEND", "postgis")
    pg_cluster.stop()
    try:
        for page in PAGES:
            at = open_page(page)
            assert not at.exception
            assert any(t("scale.store_down") in e.value for e in at.error), page
    finally:
        pg_cluster.start()
    deadline = time.monotonic() + 60
    while True:  # the pool reconnects by itself; a rerun then shows the page again
        at = open_page("pages/exit_map.py")
        if not any(t("scale.store_down") in e.value for e in at.error):
            break
        assert time.monotonic() < deadline, "the page did not recover within 60 s"
    assert not at.exception and at.dataframe[0].value.shape[0] == 7
