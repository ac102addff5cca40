"""The exported HTML map opens on a browser that has never seen the portal, with every non-local
request blocked, and draws its polygons, legend and tooltips; hostile names and titles stay text."""
from __future__ import annotations

from pathlib import Path

import pytest

from geo.read import read_bundle
from geo.view import View
from layers.export import export_view
from layers.snapshot import prepare_snapshot
from tests import tiny
from ui.text import t

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
EVIL_TITLE = "<img src=x onerror=alert(1)>${document.title=1}"


def open_export(page, html: bytes) -> list[str]:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.set_content(html.decode("utf-8"), wait_until="load")
    page.wait_for_function("() => document.querySelectorAll('.portal-legend').length > 0")
    return dialogs


def test_tiny_export_draws_offline_and_keeps_names_literal(tmp_path, page, page_log, count_polygons):
    bundle = read_bundle(tiny.write_folder(tmp_path / "data"))
    shot = prepare_snapshot(bundle, View(level="village", region=tiny.COUNTY, year=2018), t, demo=False,
                            source="tiny")
    dialogs = open_export(page, export_view(shot, "html", title=EVIL_TITLE, text=t))
    assert count_polygons(page.main_frame) == 4
    assert page.title() == EVIL_TITLE                    # shown as text, not run
    assert page.locator(".export-panel h1").inner_text() == EVIL_TITLE
    assert page.locator("img[src=x]").count() == 0 and dialogs == []
    legend = page.locator(".portal-legend").inner_text()
    assert "未退出（1）" in legend and "非贫困（2）" in legend
    assert page_log.blocked == [] and page_log.external == []
    assert page_log.console_errors == [] and page_log.page_errors == []


@pytest.mark.skipif(not (DEMO / "units.gpkg").exists(), reason="demo data not built")
def test_demo_county_export_draws_every_township(page, page_log, count_polygons, save_screenshot):
    bundle = read_bundle(DEMO)
    shot = prepare_snapshot(bundle, View(level="township", region="511725000000", year=2018), t,
                            demo=True, source=t("export.source_demo"))
    html = export_view(shot, "html", title="渠县脱贫攻坚进度图（2018年）", text=t)
    open_export(page, html)
    assert count_polygons(page.main_frame) == len(shot.shapes) > 30
    assert t("demo.notice") in page.locator(".export-panel").inner_text()
    save_screenshot(page, "export_html_qu.png")
    assert page_log.blocked == [] and page_log.external == []
    assert page_log.console_errors == [] and page_log.page_errors == []


def test_portal_panel_makes_a_png_download(portal, page, page_log, wait_idle, save_screenshot):
    page.goto(portal.url + "/")
    wait_idle(page)
    page.get_by_text(t("layout.export_button")).click()   # the print / export button at the top
    page.get_by_role("button", name=t("export.make")).click()
    wait_idle(page)
    download_button = page.get_by_role("button", name=t("export.download", name="PNG"))
    download_button.scroll_into_view_if_needed()
    save_screenshot(page, "export_panel.png")
    with page.expect_download() as info:
        download_button.click()
    download = info.value
    assert download.suggested_filename.endswith(".png")
    assert Path(download.path()).read_bytes().startswith(b"\x89PNG")
    assert page_log.blocked == [] and page_log.external == []
    assert page_log.console_errors == [] and page_log.page_errors == []
