"""The info panel of a clicked unit (or relocation site) on 总览, 基础设施, 易地搬迁 and 督战 in a real
browser: a click shows that unit's name and figures beside the map; hostile names stay text in the
panel; a ranking row click focuses the map on that unit; the 督战 page's print button at the top is
on a 1366x768 screen and makes a file of the current view. Screenshots of every page with its
panel open at 1366x768 and 1440x900 go to artifacts/panels/."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo import inspection as ins
from geo.read import read_bundle
from tests import tiny, tiny_sites

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
SHOTS = ROOT / "artifacts" / "panels"
QU = "511725000000"          # 渠县: 41 townships
TOWN = "511722002000"        # the township of 石龙村 (no clinic when it exited)
SHILONG = "511722002203"
WANYUAN = "511781000000"
ASOF = "2020-06-30"
SIZES = ((1366, 768), (1440, 900))
EVIL_IMG, EVIL_MD = "<img src=x onerror=alert(1)>", "**x**"
PANEL = "[data-testid='stColumn']:has(h5)"   # the side column holding the panel's heading

_MARKERS_JS = """() => {
    const out = [];
    window.map.eachLayer(l => {
        if (l instanceof L.CircleMarker && l.feature && l.feature.properties.site_id) {
            const p = window.map.latLngToContainerPoint(l.getLatLng());
            out.push({id: l.feature.properties.site_id, x: p.x, y: p.y});
        }
    });
    return out;
}"""


@pytest.fixture(scope="module")
def units():
    return gpd.read_file(DEMO / "units.gpkg", engine="pyogrio").to_crs(4326)


def shot(page, name: str) -> None:
    """The viewport as the user sees it (no scrolling)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def clean(page_log) -> None:
    assert page_log.blocked == [] and page_log.external == []
    assert page_log.console_errors == [] and page_log.page_errors == []


def click_at(page, frame, lat: float, lng: float) -> None:
    """A mouse click where (lat, lng) is drawn, the map scrolled into view first (as a user)."""
    iframe = page.locator("iframe[title*='streamlit_folium']").first
    iframe.scroll_into_view_if_needed()
    xy = frame.evaluate("([lat, lng]) => { const p = window.map.latLngToContainerPoint([lat, lng]);"
                        " return [p.x, p.y]; }", [lat, lng])
    box = iframe.bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])


def click_unit(page, frame, units, code: str) -> None:
    point = units.loc[units.code == code].geometry.iloc[0].representative_point()
    click_at(page, frame, point.y, point.x)


def panel_text(page, heading: str, wait_idle) -> str:
    """The side column's text once its heading reads `heading` and the run has ended (elements
    of the previous panel stay on screen until then)."""
    page.wait_for_function("(h) => Array.from(document.querySelectorAll('h5')).some(e => e.innerText.includes(h))",
                           arg=heading, polling=100, timeout=60_000)
    wait_idle(page)
    return page.locator(PANEL).last.inner_text()


def screens(page, wait_idle, map_frame, name: str) -> None:
    """The page (panel open) at both laptop sizes; the legend stays on a 1366x768 screen."""
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        wait_idle(page)
        page.evaluate("() => document.querySelector(\"[data-testid='stMain']\").scrollTo(0, 0)")
        frame = map_frame(page)
        legend = frame.locator(".portal-legend, .portal-sites-legend").first.bounding_box()
        assert legend["y"] + legend["height"] <= height, (name, width, legend)
        assert page.locator("h5").first.bounding_box()["y"] < height   # the panel starts on screen
        shot(page, f"{name}_{width}x{height}.png")


def test_landing_click_shows_the_county_panel_and_opens_it(portal, page, page_log, wait_idle, expect_rerun,
                                                          map_frame, count_polygons, units):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(portal.url + "/?year=2018")
    wait_idle(page)
    frame = map_frame(page)
    count_polygons(frame, wait_for=7)
    with expect_rerun(page):
        click_unit(page, frame, units, QU)
    text = panel_text(page, "单位信息：渠县", wait_idle)
    assert "剩余贫困人口" in text and "一低三有" in text and "计划退出年度：2018" in text
    assert "selected=511725000000" in page.url
    screens(page, wait_idle, map_frame, "overview_panel")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.get_by_role("button", name="在退出进度中查看下级单位").click()
    page.wait_for_function("() => location.pathname.endsWith('/exit_map')"
                           " && location.search.includes('region=511725000000')", polling=100)
    wait_idle(page)
    assert "year=2018" in page.url and "level=township" in page.url
    assert count_polygons(map_frame(page), wait_for=41) == 41
    clean(page_log)


def test_services_click_shows_the_village_panel(portal, page, page_log, wait_idle, expect_rerun, map_frame,
                                               count_polygons, units):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(portal.url + f"/services?region={TOWN}&year=2016")
    wait_idle(page)
    frame = map_frame(page)
    villages = units[(units.level == "village") & (units.parent_code == TOWN)]
    count_polygons(frame, wait_for=len(villages))
    with expect_rerun(page):
        click_unit(page, frame, units, SHILONG)
    text = panel_text(page, "单位信息：石龙村", wait_idle)
    assert "一低五有：未达标" in text and "缺卫生室" in text and "服务设施：" in text and "剩余贫困人口" in text
    page.wait_for_function("() => location.search.includes('selected=511722002203')", polling=100)
    screens(page, wait_idle, map_frame, "services_panel")
    clean(page_log)


def test_relocation_site_click_shows_the_site_panel(portal, page, page_log, wait_idle, expect_rerun, map_frame):
    bundle = read_bundle(DEMO)
    town = bundle.sites["township_code"].value_counts().index[0]   # a township with several sites
    site = bundle.sites.loc[bundle.sites["township_code"] == town].iloc[0]
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(portal.url + f"/relocation?region={town}&year=2019")
    wait_idle(page)
    frame = map_frame(page)
    frame.wait_for_function(f"() => ({_MARKERS_JS})().some(m => m.id === '{site['site_id']}')", polling=100)
    with expect_rerun(page):
        click_at(page, frame, float(site["lat"]), float(site["lon"]))
    text = panel_text(page, f"安置点信息：{site['name']}", wait_idle)
    assert "入住率" in text and "建设阶段" in text and "距最近有卫生室的村" in text
    assert f"{int(site['planned_households']):,}" in text
    page.wait_for_function("(id) => location.search.includes('site=' + id)", arg=str(site["site_id"]), polling=100)
    screens(page, wait_idle, map_frame, "relocation_site_panel")
    clean(page_log)


def test_inspection_click_shows_open_problems_projects_supervision(portal, page, page_log, wait_idle, expect_rerun,
                                                                   map_frame, count_polygons, units):
    bundle = read_bundle(DEMO)
    states = ins.problem_states(bundle.problems, pd.Timestamp(ASOF), due_days=7)
    open_items = states.loc[states["state"].isin(ins.OPEN_STATES) & states["code"].str.startswith(WANYUAN[:6])]
    village = open_items["code"].value_counts().index[0]
    name = units.loc[units.code == village, "name"].iloc[0]
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(portal.url + f"/inspection?region={WANYUAN}&level=village&date={ASOF}")
    wait_idle(page)
    frame = map_frame(page)
    count_polygons(frame, wait_for=int(((units.level == "village") & units.code.str.startswith(WANYUAN[:6])).sum()))
    with expect_rerun(page):
        click_unit(page, frame, units, village)
    text = panel_text(page, f"单位信息：{name}", wait_idle)
    count = int((open_items["code"] == village).sum())
    assert f"未销号问题 {count} 个（截至 {ASOF}）" in text and "剩余贫困人口" in text
    page.wait_for_function("(c) => location.search.includes('selected=' + c)", arg=village, polling=100)
    screens(page, wait_idle, map_frame, "inspection_panel")
    clean(page_log)


def test_inspection_print_button_on_a_laptop_screen_makes_a_file(portal, page, page_log, wait_idle, expect_rerun):
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(portal.url + f"/inspection?region={WANYUAN}&level=township&date={ASOF}")
    wait_idle(page)
    button = page.get_by_role("button", name="打印 / 导出")
    box = button.bounding_box()
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 768 and box["x"] + box["width"] <= 1366
    button.click()
    popover = page.locator("[data-testid='stPopoverBody']")
    popover.wait_for()
    title = popover.locator("input[type='text']").first.input_value()
    assert "万源市" in title
    popover.get_by_text("PDF（矢量）").click()
    wait_idle(page)
    with expect_rerun(page):
        popover.get_by_role("button", name="生成文件").click()
    download_button = popover.get_by_role("button", name="下载 PDF")
    download_button.wait_for()
    with page.expect_download() as info:
        download_button.click()
    path = info.value.path()
    data = Path(path).read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000
    shot(page, "inspection_print_1366x768.png")
    clean(page_log)


def test_hostile_names_stay_text_in_every_panel(start_portal, tmp_path: Path, page, page_log, wait_idle):
    units = tiny.units_frame()
    units.loc[units.code.isin([tiny.TOWNS[1], tiny.COUNTY]), "name"] = EVIL_MD
    folder = tiny.write_folder(tmp_path / "evil", units=units, sites=tiny.table(tiny_sites.site_rows(), "sites"),
                               services=tiny.table(tiny_sites.services_rows(), "services"))
    server = start_portal(env={"PORTAL_DATA_DIR": str(folder)})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    evil_village = tiny.VILLAGES[3]
    links = {
        "overview": (f"/?year=2019&selected={tiny.COUNTY}", EVIL_MD),
        "exit_map": (f"/exit_map?level=village&region={tiny.TOWNS[1]}&year=2019&selected={evil_village}", EVIL_IMG),
        "services": (f"/services?region={tiny.TOWNS[1]}&year=2019&selected={evil_village}", EVIL_IMG),
        "inspection": (f"/inspection?region={tiny.TOWNS[1]}&level=village&selected={evil_village}", EVIL_IMG),
        "relocation_unit": (f"/relocation?region={tiny.COUNTY}&level=township&year=2019&selected={tiny.TOWNS[1]}",
                            EVIL_MD),
        "relocation_site": ("/relocation?year=2019&site=S03", EVIL_IMG),
    }
    for name, (link, evil) in links.items():
        page.goto(server.url + link)
        wait_idle(page)
        heading = "安置点信息：" if name == "relocation_site" else "单位信息："
        text = panel_text(page, heading + evil, wait_idle)
        panel = page.locator(PANEL).last
        assert panel.locator("img").count() == 0 and panel.locator("strong:text-is('x')").count() == 0, name
        assert evil in text, name
    assert dialogs == []
    clean(page_log)


def test_ranking_click_focuses_the_map_on_that_unit(portal, page, page_log, wait_idle, expect_rerun, map_frame,
                                                   count_polygons, units):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(portal.url + "/exit_map?year=2018")
    wait_idle(page)
    frame = map_frame(page)
    count_polygons(frame, wait_for=7)
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.scroll_into_view_if_needed()
    row = _ranking_row(page, grid, "渠县")
    with expect_rerun(page):
        _click_row(page, grid, row)
    page.wait_for_function("() => location.search.includes('region=511725000000')", polling=100)
    wait_idle(page)
    assert "level=township" in page.url and "year=2018" in page.url
    assert count_polygons(map_frame(page), wait_for=41) == 41
    # the townships' ranking replaced the counties': no row of it was picked by itself (it was:
    # the kept selection opened the township in the counties' clicked row), and a click on a
    # township's row opens its villages
    assert "region=511725000000" in page.url and "selected" not in page.url
    grid = page.locator("[data-testid='stDataFrame']").first
    first = grid.locator("[role='row']").nth(1).text_content() or ""
    town = units.loc[(units.parent_code == QU) & units.name.map(lambda n: n in first)].code.iloc[0]
    with expect_rerun(page):
        _click_row(page, grid, 0)
    page.wait_for_function("(c) => location.search.includes('region=' + c)", arg=town, polling=100)
    wait_idle(page)
    villages = int(((units.level == "village") & (units.parent_code == town)).sum())
    assert count_polygons(map_frame(page), wait_for=villages) == villages
    # 总览: a ranking row selects the county (its panel, its outline, the URL)
    page.goto(portal.url + "/?year=2018")
    wait_idle(page)
    count_polygons(map_frame(page), wait_for=7)
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.scroll_into_view_if_needed()
    with expect_rerun(page):
        _click_row(page, grid, _ranking_row(page, grid, "渠县"))
    panel_text(page, "单位信息：渠县", wait_idle)
    page.wait_for_function("() => location.search.includes('selected=511725000000')", polling=100)
    clean(page_log)


def _ranking_row(page, grid, name: str) -> int:
    """Row index (0-based) of `name` in the ranking grid (read from its accessible table)."""
    cells = grid.locator("[role='row']")
    cells.first.wait_for(state="attached")
    for index in range(cells.count()):
        if name in (cells.nth(index).text_content() or ""):
            return index - 1   # the first row is the header
    raise AssertionError(f"{name} not in the ranking")


def _click_row(page, grid, row: int) -> None:
    """Click the row-selection box at the left of data row `row` of a st.dataframe grid."""
    box = grid.bounding_box()
    header, height = 35, 35
    page.mouse.click(box["x"] + 10, box["y"] + header + height * row + height / 2)
