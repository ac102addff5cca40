"""Issue 12 in a real browser: the view survives navigation (year and region across pages, Back
after a drill-down, zoom kept when the year changes), names on the map never overlap, the legend
matches the policy classes, and at 1366x768 the legend and main controls are visible without
scrolling. Screenshots of every changed page at 1440x900 and 1366x768 go to artifacts/issue12/."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "issue12"
QU = "511725000000"
PAGES = {"overview": "/", "exit_map": "/exit_map", "relocation": "/relocation", "services": "/services"}

NAME_BOXES_JS = """() => Array.from(document.querySelectorAll('.portal-name')).map(e => {
    const r = e.getBoundingClientRect(); return [e.textContent, r.left, r.top, r.right, r.bottom]; })"""


@pytest.fixture(scope="module")
def units():
    return gpd.read_file(ROOT / "data" / "demo" / "units.gpkg", engine="pyogrio").to_crs(4326)


def shot(page, name: str) -> None:
    """The viewport as the user sees it (no scrolling)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def nav(page, label: str, path: str, title_part: str, wait_idle) -> None:
    """Click a sidebar page link (as a user moving between pages) and wait until that page is
    shown: its path in the address bar, its title on screen, the app idle."""
    wait_idle(page)
    page.locator("[data-testid='stSidebar'] a", has_text=label).first.click()
    page.wait_for_function("(p) => location.pathname === p", arg=path, polling=100, timeout=60_000)
    page.wait_for_function("(t) => { const h = document.querySelector('h1'); return h && h.innerText.includes(t); }",
                           arg=title_part, polling=100, timeout=60_000)
    wait_idle(page)


def caption_text(page) -> str:
    return " ".join(page.locator("[data-testid='stCaptionContainer']").all_inner_texts())


def title_text(page) -> str:
    return page.locator("h1").first.inner_text()


def overlaps(boxes) -> int:
    count = 0
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]:
                count += 1
    return count


def click_unit(page, frame, point) -> None:
    xy = frame.evaluate("([lat, lng]) => { const p = window.map.latLngToContainerPoint([lat, lng]);"
                        " return [p.x, p.y]; }", [point.y, point.x])
    box = page.locator("iframe[title*='streamlit_folium']").first.bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])


def test_year_and_region_kept_across_pages(portal, page, page_log, wait_idle):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(portal.url + f"/exit_map?level=township&region={QU}&year=2017")
    wait_idle(page)
    assert "渠县" in title_text(page) and "2017" in title_text(page)
    nav(page, "总览", "/", "总览", wait_idle)
    assert "截至 2017 年底" in title_text(page)
    shot(page, "p1_overview_after_exit_2017_1440.png")
    nav(page, "退出进度", "/exit_map", "退出进度", wait_idle)
    assert f"region={QU}" in page.url and "year=2017" in page.url and "level=township" in page.url
    nav(page, "易地搬迁", "/relocation", "易地扶贫搬迁", wait_idle)
    assert f"region={QU}" in page.url and "year=2017" in page.url
    assert "渠县" in title_text(page) and "2017" in title_text(page)
    shot(page, "p1_relocation_carried_1440.png")
    nav(page, "总览", "/", "总览", wait_idle)
    assert "截至 2017 年底" in title_text(page)
    assert page_log.console_errors == [] and page_log.page_errors == []


def test_back_undoes_a_drill_down_and_year_keeps_zoom(portal, page, page_log, wait_idle, expect_rerun,
                                                       map_frame, count_polygons, units):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(portal.url + "/exit_map")
    wait_idle(page)
    frame = map_frame(page)
    assert count_polygons(frame, wait_for=7) == 7
    qu = units.loc[units.code == QU].geometry.iloc[0].representative_point()
    with expect_rerun(page):
        click_unit(page, frame, qu)
    frame = map_frame(page)
    assert count_polygons(frame, wait_for=41) == 41 and f"region={QU}" in page.url
    # the year changes, the user's zoom stays
    frame.evaluate("() => window.map.setZoom(window.map.getZoom() + 1, {animate: false})")
    frame = map_frame(page)
    zoom = frame.evaluate("() => window.map.getZoom()")
    thumb = page.locator("[data-testid='stSidebar'] [aria-label='截至年度']").first.bounding_box()
    with expect_rerun(page):   # drag the year thumb one step to the left
        page.mouse.move(thumb["x"] + thumb["width"] / 2, thumb["y"] + thumb["height"] / 2)
        page.mouse.down()
        page.mouse.move(thumb["x"] - 30, thumb["y"] + thumb["height"] / 2, steps=5)
        page.mouse.up()
    assert "year=2019" not in page.url
    frame = map_frame(page)
    assert count_polygons(frame, wait_for=41) == 41
    assert frame.evaluate("() => window.map.getZoom()") == zoom
    # Back: first undoes the year change, then the drill-down
    with expect_rerun(page):
        page.go_back()
    with expect_rerun(page):
        page.go_back()
    frame = map_frame(page)
    assert count_polygons(frame, wait_for=7) == 7
    assert "region=all" in page.url or "region" not in page.url
    assert page_log.console_errors == [] and page_log.page_errors == []


@pytest.mark.parametrize("url, least", [("/exit_map", 5), (f"/exit_map?level=township&region={QU}", 10)])
def test_names_on_the_map_never_overlap(portal, page, wait_idle, map_frame, url, least):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(portal.url + url)
    wait_idle(page)
    frame = map_frame(page)
    frame.wait_for_function(f"() => document.querySelectorAll('.portal-name').length >= {least}",
                            polling=100, timeout=60_000)
    boxes = frame.evaluate(NAME_BOXES_JS)
    assert len(boxes) >= least and overlaps(boxes) == 0
    frame.evaluate("() => window.map.setZoom(window.map.getZoom() + 1, {animate: false})")
    frame = map_frame(page)
    more = frame.evaluate(NAME_BOXES_JS)
    assert overlaps(more) == 0


def test_policy_legend_matches_the_classes(portal, page, wait_idle, map_frame):
    page.goto(portal.url + f"/exit_map?level=township&region={QU}&year=2017&indicator=incidence&classing=policy")
    wait_idle(page)
    frame = map_frame(page)
    frame.wait_for_selector(".portal-legend")
    rows = frame.locator(".portal-legend-row").all_inner_texts()
    labels = [r.rsplit("（", 1)[0] for r in rows]
    assert labels[:5] == ["0 %", "0 % – 1 %", "1 % – 3 %", "3 % – 10 %", "≥ 10 %"]
    counts = [int(r.rsplit("（", 1)[1].rstrip("）")) for r in rows[:5]]
    assert sum(counts) == 41
    option = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']", has_text="分级方法")
    shown = (option.text_content() or "") + " ".join(
        i.input_value() for i in option.locator("input").all())
    assert "政策阈值（0 %、1 %、3 %、10 %）" in shown, shown


@pytest.mark.parametrize("name, path", list(PAGES.items()))
def test_laptop_screen_shows_legend_and_controls(portal, page, wait_idle, map_frame, name, path):
    """1366x768: the map legend and the year / indicator controls are on screen unscrolled."""
    for width, height in ((1440, 900), (1366, 768)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(portal.url + path)
        wait_idle(page)
        frame = map_frame(page)
        frame.wait_for_selector(".portal-legend, .portal-sites-legend")
        iframe = page.locator("iframe[title*='streamlit_folium']").first.bounding_box()
        legend = frame.locator(".portal-legend, .portal-sites-legend").first.bounding_box()
        # bounding_box of an element in a frame is relative to the main page viewport
        assert legend["y"] + legend["height"] <= height, (name, width, legend, iframe)
        year = page.locator("[data-testid='stSidebar'] [aria-label='截至年度']").first.bounding_box()
        assert year["y"] + year["height"] <= height
        if name == "exit_map":
            indicator = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']",
                                     has_text="指标").first.bounding_box()
            assert indicator["y"] + indicator["height"] <= height
        assert page.locator("h1").first.bounding_box()["y"] < 80     # little empty space above titles
        shot(page, f"p7_{name}_{width}x{height}.png")


SCREENS = {
    "p2_policy_legend": f"/exit_map?level=township&region={QU}&year=2017&indicator=incidence&classing=policy",
    "p2_policy_remaining": "/exit_map?level=county&year=2019&indicator=remaining_poor&classing=policy",
    "p5_nonpoor": f"/exit_map?level=township&region={QU}&year=2018",
    "p5_new_mode_context": "/exit_map?level=village&region=511725000000&year=2018&mode=new",
    "p6_flags": "/exit_map?level=village&region=511722002000&year=2016&selected=511722002203",
    "p8_relocation_2016": "/relocation?year=2016",
    "p8_relocation_2019": "/relocation?year=2019&exit=1",
    "p10_services_two_layers": "/services?layers=clinic,road&region=511725000000",
    "p10_glyph": f"/exit_map?level=township&region={QU}&year=2018",
    "later_overview_kpi_ranking": "/?year=2015",
    "p9_bad_link_notice": "/exit_map?region=xyz&year=2099&indicator=bad",
}


@pytest.mark.parametrize("name, url", list(SCREENS.items()))
def test_screens_of_changed_pages(portal, page, page_log, wait_idle, map_frame, name, url):
    """Every changed view at 1440x900 and 1366x768, looked at by a person (artifacts/issue12)."""
    for width, height in ((1440, 900), (1366, 768)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(portal.url + url)
        wait_idle(page)
        frame = map_frame(page)
        frame.wait_for_selector(".portal-legend")
        shot(page, f"{name}_{width}x{height}.png")
    assert page_log.console_errors == [] and page_log.page_errors == []


def test_info_panel_shows_the_clicked_unit(portal, page, page_log, wait_idle, expect_rerun, map_frame,
                                          count_polygons, units):
    page.set_viewport_size({"width": 1440, "height": 900})
    town = "511722002000"
    page.goto(portal.url + f"/exit_map?level=village&region={town}&year=2016")
    wait_idle(page)
    frame = map_frame(page)
    villages = units[(units.level == "village") & (units.parent_code == town)]
    count_polygons(frame, wait_for=len(villages))
    shilong = units.loc[units.code == "511722002203"].geometry.iloc[0].representative_point()
    with expect_rerun(page):
        click_unit(page, frame, shilong)
    page.wait_for_function("() => document.body.innerText.includes('单位信息：石龙村')", polling=100,
                           timeout=60_000)
    wait_idle(page)
    assert "selected=511722002203" in page.url
    body = page.locator("[data-testid='stMain']").inner_text()
    assert "已出列但出列当年缺卫生室" in body and "一低五有：未达标" in body
    shot(page, "later_info_panel_1440.png")
    assert page_log.console_errors == [] and page_log.page_errors == []



def test_search_pages_every_match(portal, page, wait_idle, expect_rerun):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(portal.url + "/exit_map")
    wait_idle(page)
    page.get_by_text("查找单位（名称或区划代码）").first.click()
    box = page.locator("[data-testid='stMain'] [data-testid='stExpander'] input[type='text']").first
    with expect_rerun(page):
        box.fill("新胜村")
        box.press("Enter")
    page.wait_for_function("() => document.body.innerText.includes('找到 22 个单位')"
                           " && document.body.innerText.includes('结果页（共 2 页）')", polling=100, timeout=60_000)
    shot(page, "p4_search_paging_1440x900.png")
    body = page.locator("[data-testid='stMain']").inner_text()
    assert "第 1 / 2 页" in body and "结果页（共 2 页）" in body
