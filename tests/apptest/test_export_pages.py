"""The export panel on 易地搬迁 and 基础设施: default titles of the page, a PNG and an offline HTML
file with the page's own layers, no briefing pack, no exception."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from layers.offline import external_urls
from tests import tiny, tiny_sites
from ui.text import t

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tiny_sites.write_folder(tmp_path_factory.mktemp("export_pages"))


def open_page(folder, monkeypatch, page: str) -> AppTest:
    monkeypatch.setenv("PORTAL_DATA_DIR", str(folder))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    return at


def make(at: AppTest, key: str, fmt: str) -> bytes:
    next(r for r in at.radio if r.key == f"{key}.format").set_value(fmt).run()
    next(b for b in at.button if b.key == f"{key}.make").click().run()
    assert not at.exception and not at.error
    return at.session_state[f"{key}.file"][1]


@pytest.mark.parametrize("page, key, title_key, marker", [
    ("pages/relocation.py", "relocation.export", "export.title_relocation", "portalSites("),
    ("pages/services.py", "services.export", "export.title_services", "portalUnits("),
])
def test_page_exports_png_and_html(folder, monkeypatch, page, key, title_key, marker):
    at = open_page(folder, monkeypatch, page)
    title = next(w for w in at.text_input if w.label == t("export.title_input"))
    pattern = re.escape(t(title_key, region=tiny.COUNTY_NAME, year="YYYY")).replace("YYYY", r"20\d\d")
    assert re.fullmatch(pattern, title.value), title.value
    assert not any(b.key == f"{key}.pack" for b in at.button)      # the pack is exit-status only
    png = make(at, key, "png")
    assert png.startswith(b"\x89PNG") and len(png) > 50_000
    html = make(at, key, "html").decode("utf-8")
    assert marker in html and external_urls(html) == [] and "/app/static/" not in html
    assert f"<title>{title.value}</title>" in html


def test_relocation_export_follows_the_stage_filter(folder, monkeypatch):
    at = open_page(folder, monkeypatch, "pages/relocation.py")
    stages = next(m for m in at.multiselect if m.label == t("reloc.stage"))
    stages.set_value(["building"]).run()
    assert not at.exception
    html = make(at, "relocation.export", "html").decode("utf-8")
    assert re.findall(r'\{"id":"(S\d+)"', html) == ["S02"]          # the one site under construction
    assert t("export.filter_item", name=t("reloc.stage"), value=t("stage.building")) in html
