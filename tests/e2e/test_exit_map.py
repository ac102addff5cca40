"""退出进度 in a real browser: click to drill down, breadcrumb back, deep links reproduce views,
no rerun on pan; every non-local request blocked throughout."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest

ROOT = Path(__file__).resolve().parents[2]
QU = "511725000000"


@pytest.fixture(scope="module")
def units():
    return gpd.read_file(ROOT / "data" / "demo" / "units.gpkg", engine="pyogrio").to_crs(4326)


def click_unit(page, frame, point) -> None:
    """Click the map at a lon/lat (a point inside the unit) like a user would."""
    xy = frame.evaluate("([lat, lng]) => { const p = window.map.latLngToContainerPoint([lat, lng]);"
                        " return [p.x, p.y]; }", [point.y, point.x])
    box = page.locator("iframe[title*='streamlit_folium']").first.bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])


def assert_offline(page_log):
    assert page_log.blocked == [] and page_log.external == []
    assert page_log.console_errors == [] and page_log.page_errors == []


def test_click_county_then_township_then_back(portal, page, page_log, wait_idle, map_frame,
                                              count_polygons, save_screenshot, units):
    page.goto(portal.url + "/exit_map")
    wait_idle(page)
    frame = map_frame(page)
    assert count_polygons(frame, wait_for=7) == 7
    frame.evaluate("() => { window.__same_map = 1; }")
    qu = units.loc[units.code == QU].geometry.iloc[0].representative_point()
    click_unit(page, frame, qu)
    wait_idle(page)
    frame = map_frame(page)
    assert frame.evaluate("() => window.__same_map") == 1      # layers swapped, map not rebuilt
    towns = units[(units.level == "township") & (units.parent_code == QU)]
    assert count_polygons(frame, wait_for=len(towns)) == 41
    codes = set(frame.evaluate("() => Object.values(window.map._layers).filter(l => l.feature && l._map)"
                               ".map(l => l.feature.properties.code)"))
    assert codes == set(towns.code)                                 # only 渠县's townships
    assert "region=511725000000" in page.url and "level=township" in page.url
    town = towns.sort_values("code").iloc[10]
    click_unit(page, frame, town.geometry.representative_point())
    wait_idle(page)
    frame = map_frame(page)
    villages = units[(units.level == "village") & (units.parent_code == town.code)]
    assert count_polygons(frame, wait_for=len(villages)) == len(villages)
    assert f"region={town.code}" in page.url
    crumbs = page.locator("[data-testid='stButton'] button")
    assert crumbs.nth(0).inner_text() == "达州市" and crumbs.nth(1).inner_text() == "渠县"
    save_screenshot(page, "exit_map_villages.png")
    crumbs.nth(0).click()
    wait_idle(page)
    assert count_polygons(map_frame(page), wait_for=7) == 7
    assert_offline(page_log)


def test_deep_link_in_a_fresh_browser_reproduces_the_view(portal, browser, page, page_log, wait_idle,
                                                         map_frame, count_polygons, units, save_screenshot):
    town = "511725110000"
    url = (portal.url + f"/exit_map?level=village&region={town}&indicator=incidence"
           "&classing=policy&year=2018&mode=asof")
    page.goto(url)
    wait_idle(page)
    n = int(((units.level == "village") & (units.parent_code == town)).sum())
    frame = map_frame(page)
    assert count_polygons(frame, wait_for=n) == n
    legend = frame.locator(".portal-legend").inner_text()
    assert legend.startswith("贫困发生率")
    crumbs = page.locator("[data-testid='stButton'] button")
    assert [crumbs.nth(i).inner_text() for i in range(3)] == ["达州市", "渠县", "静边镇"]
    assert "2018" in page.locator("[data-testid='stSidebar'] [data-testid='stSlider']").inner_text()
    save_screenshot(page, "exit_map_deeplink.png")
    assert_offline(page_log)


def test_pan_does_not_rerun_the_app(portal, page, page_log, wait_idle, map_frame, count_polygons):
    page.goto(portal.url + "/exit_map?level=township")
    wait_idle(page)
    frame = map_frame(page)
    count_polygons(frame, wait_for=210)
    frame.evaluate("() => { window.__marker = 1; }")
    box = page.locator("iframe[title*='streamlit_folium']").first.bounding_box()
    page.mouse.move(box["x"] + 200, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] + 350, box["y"] + 260, steps=8)
    page.mouse.up()
    page.mouse.wheel(0, -300)
    page.wait_for_timeout(1500)
    state = page.locator("[data-testid='stApp']").get_attribute("data-test-script-state")
    assert state == "notRunning"
    frame = map_frame(page)
    assert frame.evaluate("() => window.__marker") == 1            # same iframe: not rebuilt
    assert_offline(page_log)
