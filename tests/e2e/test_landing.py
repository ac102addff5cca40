"""Landing page and deep links in a real browser, every non-local request blocked."""
from __future__ import annotations

from pathlib import Path

from tests import tiny

EVIL_IMG = "<img src=x onerror=alert(1)>"
EVIL_TPL = "${document.title=1}"


def assert_clean(page_log):
    assert page_log.blocked == [], page_log.blocked
    assert page_log.external == []
    assert page_log.console_errors == [], page_log.console_errors
    assert page_log.page_errors == [], page_log.page_errors


def test_landing_draws_seven_counties_offline(portal, page, page_log, wait_idle, map_frame,
                                              count_polygons, save_screenshot):
    page.goto(portal.url + "/")
    wait_idle(page)
    frame = map_frame(page)
    assert count_polygons(frame, wait_for=7) == 7
    legend = frame.locator(".portal-legend").inner_text()
    assert "已退出（7）" in legend
    assert page.locator("[data-testid='stMetricValue']").first.inner_text() == "7 / 7"
    assert "演示数据" in page.locator("[data-testid='stSidebar']").inner_text()
    save_screenshot(page, "landing.png")
    assert_clean(page_log)


def test_deep_link_first_on_a_fresh_server_has_config_and_sidebar(start_portal, page, page_log, wait_idle,
                                                                 map_frame, count_polygons):
    fresh = start_portal()
    page.goto(fresh.url + "/exit_map?level=township&region=511725000000&year=2018")
    wait_idle(page)
    assert page.title() == "退出进度 · 脱贫攻坚进度地图"           # the shared page config ran
    sidebar = page.locator("[data-testid='stSidebar']").inner_text()
    for link in ("总览", "退出进度", "数据说明", "演示数据"):
        assert link in sidebar
    frame = map_frame(page)
    assert count_polygons(frame, wait_for=41) == 41                 # 渠县's townships
    assert_clean(page_log)


def test_names_from_data_are_text_not_html(start_portal, tmp_path: Path, page, page_log, wait_idle,
                                           map_frame, count_polygons):
    units = tiny.units_frame()
    units.loc[5, "name"] = EVIL_TPL            # village 3 (index 6 already carries EVIL_IMG)
    folder = tiny.write_folder(tmp_path / "evil", units=units)
    server = start_portal(env={"PORTAL_DATA_DIR": str(folder)})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server.url + "/exit_map?level=village&year=2019")
    wait_idle(page)
    frame = map_frame(page)
    assert count_polygons(frame, wait_for=4) == 4
    texts = []
    for code in (tiny.VILLAGES[3], tiny.VILLAGES[2]):
        frame.evaluate("""(code) => { for (const l of Object.values(window.map._layers)) {
            if (l.feature && l.feature.properties.code === code) { l.openTooltip(l.getCenter()); } } }""", code)
        texts.append(frame.locator(".leaflet-tooltip").last.inner_text())
    assert EVIL_IMG in texts[0] and EVIL_TPL in texts[1]
    assert frame.locator(".leaflet-tooltip img").count() == 0
    assert page.title() == "退出进度 · 脱贫攻坚进度地图" and frame.evaluate("document.title") != "1"
    assert dialogs == []
    table = page.locator("[data-testid='stDataFrame']").inner_text()
    assert "Traceback" not in table
    assert_clean(page_log)


def test_click_a_county_on_the_landing_page_opens_its_townships(portal, page, page_log, wait_idle,
                                                               map_frame, count_polygons):
    """A click selects the county (its info panel); the panel's button opens its townships."""
    import geopandas as gpd
    units = gpd.read_file(Path(__file__).resolve().parents[2] / "data" / "demo" / "units.gpkg",
                          engine="pyogrio").to_crs(4326)
    page.goto(portal.url + "/?year=2018")
    wait_idle(page)
    frame = map_frame(page)
    count_polygons(frame, wait_for=7)
    # like a user, bring the whole map into view first: on a map half below the fold, clicks on
    # the visible part of the canvas did not reach the polygons in Chromium (noted, not solved)
    page.locator("iframe[title*='streamlit_folium']").first.scroll_into_view_if_needed()
    frame = map_frame(page)
    point = units.loc[units.code == "511725000000"].geometry.iloc[0].representative_point()
    xy = frame.evaluate("([lat, lng]) => { const p = window.map.latLngToContainerPoint([lat, lng]);"
                        " return [p.x, p.y]; }", [point.y, point.x])
    box = page.locator("iframe[title*='streamlit_folium']").first.bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
    page.get_by_role("button", name="在退出进度中查看下级单位").click()
    page.wait_for_function("() => location.pathname.endsWith('/exit_map')"
                           " && location.search.includes('region=511725000000')", polling=100)
    wait_idle(page)
    assert "year=2018" in page.url and "level=township" in page.url
    assert count_polygons(map_frame(page), wait_for=41) == 41
    assert_clean(page_log)
