"""基础设施 in a real browser: the gap-count map of a county, a village click focuses it, every
non-local request blocked."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd

ROOT = Path(__file__).resolve().parents[2]
XUANHAN = "511722000000"


def test_gap_map_and_village_click(portal, page, page_log, wait_idle, map_frame, count_polygons,
                                   save_screenshot):
    units = gpd.read_file(ROOT / "data" / "demo" / "units.gpkg", engine="pyogrio").to_crs(4326)
    villages = units[(units.level == "village") & units.code.str.startswith(XUANHAN[:6])]
    page.goto(portal.url + f"/services?region={XUANHAN}&year=2016")
    wait_idle(page)
    frame = map_frame(page)
    assert count_polygons(frame, wait_for=len(villages)) == len(villages)
    legend = frame.locator(".portal-legend").first.inner_text()
    assert legend.startswith("短板数") and "（" in legend
    village = villages.sort_values("code").iloc[100]
    point = village.geometry.representative_point()
    xy = frame.evaluate("([lat, lng]) => { const p = window.map.latLngToContainerPoint([lat, lng]);"
                        " return [p.x, p.y]; }", [point.y, point.x])
    box = page.locator("iframe[title*='streamlit_folium']").first.bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
    wait_idle(page)
    page.wait_for_url("**selected=*")
    selected = page.url.split("selected=")[1][:12]
    assert selected in set(villages.code)         # a village of 宣汉县 under the pointer got focus
    town = selected[:9] + "000"
    assert f"region={town}" in page.url
    siblings = int(((units.level == "village") & (units.parent_code == town)).sum())
    assert count_polygons(map_frame(page), wait_for=siblings) == siblings
    save_screenshot(page, "services_focus.png")
    assert page_log.blocked == [] and page_log.external == []
    assert page_log.console_errors == [] and page_log.page_errors == []
