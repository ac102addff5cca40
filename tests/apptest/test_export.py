"""The export panel on the landing page and the exit-progress page: default title from the view,
files made on request, hostile titles and the briefing pack with progress, no exception."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests import tiny
from ui.text import t

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
EVIL = "<img src=x onerror=alert(1)>${document.title=1}"


@pytest.fixture
def app(tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tiny.write_folder(tmp_path / "data")))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    return at


def title_input(at: AppTest):
    return next(w for w in at.text_input if w.label == t("export.title_input"))


def button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)


def test_landing_page_exports_png_with_default_title(app):
    year = app.sidebar.select_slider(key="year").value   # the latest year with work to show
    assert title_input(app).value == t("export.title_default", region=tiny.COUNTY_NAME, year=year)
    button(app, "export.make").click().run()
    assert not app.exception
    wanted, data = app.session_state["export.file"]
    assert data.startswith(b"\x89PNG") and len(data) > 50_000
    assert wanted[1:] == (title_input(app).value, "png", "A4", "landscape")


def test_exit_page_exports_pdf_and_html_with_a_hostile_title(app):
    app.switch_page("pages/exit_map.py").run()
    assert not app.exception
    title_input(app).set_value(EVIL).run()
    next(r for r in app.radio if r.key == "export.format").set_value("pdf").run()
    button(app, "export.make").click().run()
    assert not app.exception
    assert app.session_state["export.file"][1].startswith(b"%PDF")
    next(r for r in app.radio if r.key == "export.format").set_value("html").run()
    button(app, "export.make").click().run()
    page = app.session_state["export.file"][1].decode("utf-8")
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_pack_button_makes_the_city_pack(app):
    button(app, "export.pack").click().run()
    assert not app.exception
    _, pack = app.session_state["export.pack_file"]
    assert pack.pages == 2 and pack.pdf.startswith(b"%PDF") and pack.zip.startswith(b"PK")
    assert any(t("export.pack_done", pages=2) in s.value for s in app.success)
