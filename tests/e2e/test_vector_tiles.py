"""Vector-tile mode in a real browser (the demo's village view forced into it with
PORTAL_TILE_MIN_FEATURES): tiles come from the portal's own route, polygons are drawn, Chinese
tooltips show name and code from the tile index, a click selects the village, a new year swaps
the class table only; no request leaves the machine, no console error."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest

ROOT = Path(__file__).resolve().parents[2]
QU = "511725000000"
DRAWN_JS = "() => document.querySelectorAll('svg.leaflet-tile path').length"


@pytest.fixture(scope="module")
def villages():
    units = gpd.read_file(ROOT / "data" / "demo" / "units.gpkg", engine="pyogrio").to_crs(4326)
    return units.loc[units.level == "village"]


def screen_point(page, frame, point) -> tuple[float, float]:
    xy = frame.evaluate("([lat, lng]) => { const p = window.map.latLngToContainerPoint([lat, lng]);"
                        " return [p.x, p.y]; }", [point.y, point.x])
    box = page.locator("iframe[title*='streamlit_folium']").first.bounding_box()
    return box["x"] + xy[0], box["y"] + xy[1]


def test_village_view_from_tiles(start_portal, page, page_log, wait_idle, expect_rerun, map_frame,
                                 save_screenshot, villages):
    portal = start_portal(env={"PORTAL_TILE_MIN_FEATURES": "1000"})
    page.goto(portal.url + "/exit_map?level=village&year=2018")
    wait_idle(page)
    frame = map_frame(page)
    frame.wait_for_function(f"() => ({DRAWN_JS})() >= 3001", timeout=60_000, polling=100)
    tiles = [u for u in page_log.requests if "/tiles/" in u and u.split("?")[0].endswith(".pbf")]
    assert tiles and any("/index.json" in u for u in page_log.requests)
    # the GeoJSON path is not used: no unit polygon is a plain Leaflet layer
    assert frame.evaluate("() => Object.values(window.map._layers).filter(l => l.feature).length") == 0
    save_screenshot(page, "vector_tiles_villages.png")

    # close enough that a village is a click target (and the iframe fully in view: a mousedown
    # that scrolls the page would move the pointer between down and up)
    village = villages.loc[villages.code.str.startswith(QU[:6])].sort_values("code").iloc[40]
    point = village.geometry.representative_point()
    page.locator("iframe[title*='streamlit_folium']").first.scroll_into_view_if_needed()
    frame.evaluate("([lat, lng]) => window.map.setView([lat, lng], 12, {animate: false})", [point.y, point.x])
    frame = map_frame(page)
    frame.wait_for_function("() => document.querySelectorAll('svg.leaflet-tile path').length > 50",
                            timeout=30_000, polling=100)
    x, y = screen_point(page, frame, point)
    page.mouse.move(x, y)
    frame.wait_for_function("() => !!document.querySelector('.leaflet-tooltip .portal-tooltip')",
                            timeout=10_000, polling=100)
    tip = frame.evaluate("() => document.querySelector('.leaflet-tooltip').innerText")
    assert village["name"] in tip and village["code"] in tip and "退出状态" in tip

    with expect_rerun(page):
        page.mouse.click(x, y)
    wait_idle(page)
    # the click reruns the page, which then moves to the focused view (a second run): wait for it
    page.wait_for_url(lambda url: f"selected={village['code']}" in url, timeout=30_000)

    # another year: the same map, a new class table; the tiles come from the browser's cache
    frame = map_frame(page)
    frame.evaluate("() => { window.__same_map = 1; }")
    fetched = len([u for u in page_log.requests if u.split("?")[0].endswith(".pbf")])
    slider = page.get_by_role("slider").first
    slider.focus()
    with expect_rerun(page):
        page.keyboard.press("ArrowLeft")
    wait_idle(page)
    assert "year=2017" in page.url
    frame = map_frame(page)
    frame.wait_for_function(f"() => ({DRAWN_JS})() >= 3001", timeout=60_000, polling=100)
    assert frame.evaluate("() => window.__same_map") == 1
    refetched = len([u for u in page_log.requests if u.split("?")[0].endswith(".pbf")]) - fetched
    print(f"tile requests: first view {fetched}, after the restyle {refetched}")

    assert page_log.blocked == [] and page_log.external == []
    assert page_log.console_errors == [] and page_log.page_errors == []
