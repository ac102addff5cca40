"""Issue 12, year-over-year in a real browser: the 变化 mode (legend counts equal the coloured
units, tooltips with both years and the change, the PDF prints the screen's legend; also drawn
from vector tiles) and 两年对比 (two maps side by side with the same classes, both legends, a
click drills down both) at 1440x900 and 1366x768. Screenshots go to artifacts/change/."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import geopandas as gpd
import pytest

from geo.read import read_bundle
from geo.view import View
from layers.export import export_view
from layers.snapshot import prepare_snapshot
from ui.text import t

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "change"
QU = "511725000000"
IFRAME = "iframe[title*='streamlit_folium']"
CHANGE_URL = f"/exit_map?level=township&region={QU}&indicator=remaining_poor&year=2019&mode=change&from=2017"
PAIR_URL = "/exit_map?level=county&region=all&indicator=incidence&classing=quantiles&year=2019&mode=pair&from=2016"

# per legend row: its label and count, and how many drawn units have the row's swatch colour
LEGEND_VS_UNITS_JS = """() => {
    const norm = (c) => { const d = document.createElement('div'); d.style.background = c; return d.style.backgroundColor; };
    const byColor = {};
    for (const layer of Object.values(window.map._layers)) {
        if (!layer.feature || !layer.options || !layer._map) continue;
        const c = norm(layer.options.fillColor);
        byColor[c] = (byColor[c] || new Set()).add(layer.feature.properties.code);
    }
    return Array.from(document.querySelectorAll('.portal-legend-row')).map((row) => {
        const swatch = row.querySelector('.portal-swatch');
        const text = row.innerText.trim();
        const m = text.match(/^(.*)（(\\d+)）$/);
        const color = norm(swatch.style.background);
        return {label: m[1], count: Number(m[2]), nodata: swatch.classList.contains('portal-swatch-nodata'),
                outline: swatch.classList.contains('portal-swatch-outline'),
                units: byColor[color] ? byColor[color].size : 0};
    });
}"""


@pytest.fixture(scope="module")
def units():
    return gpd.read_file(ROOT / "data" / "demo" / "units.gpkg", engine="pyogrio").to_crs(4326)


def shot(page, name: str) -> None:
    """The viewport as the user sees it (no scrolling)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def hover(page, frame, point, index: int = 0) -> str:
    """Move the mouse over `point` of map `index`; the tooltip's text."""
    xy = frame.evaluate("([lat, lng]) => { const p = window.map.latLngToContainerPoint([lat, lng]);"
                        " return [p.x, p.y]; }", [point.y, point.x])
    box = page.locator(IFRAME).nth(index).bounding_box()
    page.mouse.move(box["x"] + xy[0], box["y"] + xy[1])
    frame.wait_for_function("() => !!document.querySelector('.leaflet-tooltip .portal-tooltip')",
                            timeout=10_000, polling=100)
    return frame.evaluate("() => document.querySelector('.leaflet-tooltip').innerText")


def test_change_mode_legend_counts_tooltip_and_pdf(portal, page, page_log, wait_idle, map_frame,
                                                   count_polygons, save_screenshot, units):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(portal.url + CHANGE_URL)
    wait_idle(page)
    assert "2017→2019 年变化" in page.locator("h1").first.inner_text()
    frame = map_frame(page)
    assert count_polygons(frame, wait_for=41) == 41
    rows = frame.evaluate(LEGEND_VS_UNITS_JS)
    classes = [r for r in rows if not r["nodata"] and not r["outline"]]
    assert sum(r["count"] for r in rows if not r["outline"]) == 41
    for row in classes:   # every class's count is the number of units drawn in its colour
        assert row["count"] == row["units"], row
    labels = [r["label"] for r in classes]
    assert "无变化" in labels and any(lab.startswith("减少") and lab.endswith("（好转）") for lab in labels)
    assert any(lab.startswith("增加") and lab.endswith("（恶化）") for lab in labels)   # the scale is kept
    assert frame.locator(".portal-legend-title").inner_text() == "剩余贫困人口变化（2017→2019 年）"
    shot(page, "change_township_1440.png")
    save_screenshot(page, "change/change_township_full_1440.png")   # with the table below the map

    town = units.loc[(units.level == "township") & (units.parent_code == QU)].sort_values("code").iloc[5]
    page.locator(IFRAME).first.scroll_into_view_if_needed()
    frame = map_frame(page)
    tip = hover(page, frame, town.geometry.representative_point())
    assert town["name"] in tip
    assert "2017 年剩余贫困人口" in tip and "2019 年剩余贫困人口" in tip and "变化" in tip
    assert "减少" in tip or "无变化" in tip

    # the export of the same view prints the same legend rows (PDF text)
    view = View(level="township", region=QU, indicator="remaining_poor", year=2019, mode="change",
                compare_year=2017)
    snapshot = prepare_snapshot(read_bundle(ROOT / "data" / "demo"), view, t, demo=True, source="")
    pdf = export_view(snapshot, "pdf", title="x", text=t)
    printed = subprocess.run(["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True,
                             check=True).stdout.decode("utf-8").splitlines()
    screen = [f"{r['label']}（{r['count']}）" for r in rows]
    assert [line.strip() for line in printed if line.strip() in screen] == screen
    assert page_log.console_errors == [] and page_log.page_errors == []


def test_change_mode_at_1366(portal, page, page_log, wait_idle, map_frame, count_polygons):
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(portal.url + "/exit_map?level=village&region=511725110000&indicator=incidence&year=2019"
              "&mode=change&from=2018")
    wait_idle(page)
    frame = map_frame(page)
    assert count_polygons(frame) > 0
    rows = frame.evaluate(LEGEND_VS_UNITS_JS)
    for row in rows:
        if not row["nodata"] and not row["outline"]:
            assert row["count"] == row["units"], row
    legend = frame.locator(".portal-legend").bounding_box()     # page coordinates
    assert legend["y"] + legend["height"] <= 768                 # legend on screen unscrolled
    shot(page, "change_villages_1366.png")
    assert page_log.console_errors == [] and page_log.page_errors == []


def test_change_mode_from_vector_tiles(start_portal, page, page_log, wait_idle, map_frame):
    portal = start_portal(env={"PORTAL_TILE_MIN_FEATURES": "1000"})
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(portal.url + "/exit_map?level=village&indicator=exit_rate&year=2019&mode=change&from=2018")
    wait_idle(page)
    frame = map_frame(page)
    frame.wait_for_function("() => document.querySelectorAll('svg.leaflet-tile path').length >= 3001",
                            timeout=60_000, polling=100)
    assert frame.evaluate("() => Object.values(window.map._layers).filter(l => l.feature).length") == 0
    rows = frame.locator(".portal-legend-row").all_inner_texts()
    assert sum(int(r.rsplit("（", 1)[1].rstrip("）")) for r in rows) == 3001
    assert any(r.startswith("上升") and "（好转）" in r for r in rows)
    assert frame.locator(".portal-legend-title").inner_text() == "脱贫率变化（2018→2019 年）"
    shot(page, "change_vector_villages_1440.png")
    # a tooltip of a village: both years and the change
    box = page.locator(IFRAME).first.bounding_box()
    page.locator(IFRAME).first.scroll_into_view_if_needed()
    frame.evaluate("() => window.map.setZoom(window.map.getZoom() + 2, {animate: false})")
    frame = map_frame(page)
    frame.wait_for_function("() => document.querySelectorAll('svg.leaflet-tile path').length > 50",
                            timeout=30_000, polling=100)
    box = page.locator(IFRAME).first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    frame.wait_for_function("() => !!document.querySelector('.leaflet-tooltip .portal-tooltip')",
                            timeout=10_000, polling=100)
    tip = frame.evaluate("() => document.querySelector('.leaflet-tooltip').innerText")
    assert "2018 年脱贫率" in tip and "2019 年脱贫率" in tip and "变化" in tip
    # the change text comes as a template plus an integer and is written back in the browser
    assert re.search(r"变化\s+(上升 \d+\.\d{2} 个百分点（好转）|无变化)", tip), tip

    # two years side by side, both from tiles, with the same classes
    page.goto(portal.url + "/exit_map?level=village&indicator=exit_rate&classing=quantiles&year=2019&mode=pair&from=2016")
    wait_idle(page)
    page.locator(IFRAME).nth(1).wait_for(state="attached")
    frames = [map_frame(page, 0), map_frame(page, 1)]
    for frame in frames:
        frame.wait_for_function("() => document.querySelectorAll('svg.leaflet-tile path').length >= 3001",
                                timeout=60_000, polling=100)
    a, b = (legend_rows(frame) for frame in frames)
    assert [r[0] for r in a] == [r[0] for r in b] and a != b
    assert sum(n for _, n in a) == sum(n for _, n in b) == 3001
    shot(page, "pair_vector_villages_1440.png")
    assert page_log.blocked == [] and page_log.console_errors == [] and page_log.page_errors == []


def legend_rows(frame) -> list[tuple[str, int]]:
    """(label, count) of the legend's class rows (the flag-outline row left out: flags differ
    between years)."""
    return [(r["label"], r["count"]) for r in frame.evaluate(LEGEND_VS_UNITS_JS) if not r["outline"]]


@pytest.mark.parametrize("width, height", [(1440, 900), (1366, 768)])
def test_two_years_side_by_side(portal, page, page_log, wait_idle, expect_rerun, map_frame, count_polygons,
                                units, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(portal.url + PAIR_URL)
    wait_idle(page)
    page.locator(IFRAME).nth(1).wait_for(state="attached")
    assert page.locator(IFRAME).count() == 2
    headings = page.locator("h5").all_inner_texts()
    assert "截至 2016 年底" in headings and "截至 2019 年底" in headings
    left, right = map_frame(page, 0), map_frame(page, 1)
    assert count_polygons(left, wait_for=7) == 7 and count_polygons(right, wait_for=7) == 7
    a, b = legend_rows(left), legend_rows(right)
    assert [label for label, _ in a] == [label for label, _ in b]           # the same classes
    assert sum(n for _, n in a) == sum(n for _, n in b) == 7
    assert a != b                                                            # counted per year
    for frame in (left, right):
        for row in frame.evaluate(LEGEND_VS_UNITS_JS):
            if not row["outline"]:
                assert row["count"] == row["units"], row
    # both maps and both legends on screen without scrolling
    for i in range(2):
        box = page.locator(IFRAME).nth(i).bounding_box()
        legend = (left, right)[i].locator(".portal-legend").bounding_box()
        assert box["x"] + box["width"] <= width and legend["y"] + legend["height"] <= height
    shot(page, f"pair_counties_{width}.png")

    # a click on a county in the left map drills down both maps
    qu = units.loc[units.code == QU].geometry.iloc[0].representative_point()
    page.locator(IFRAME).first.scroll_into_view_if_needed()
    left = map_frame(page, 0)
    xy = left.evaluate("([lat, lng]) => { const p = window.map.latLngToContainerPoint([lat, lng]);"
                       " return [p.x, p.y]; }", [qu.y, qu.x])
    box = page.locator(IFRAME).first.bounding_box()
    with expect_rerun(page):
        page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
    page.wait_for_url(lambda url: f"region={QU}" in url, timeout=30_000)
    wait_idle(page)
    assert "mode=pair" in page.url and "from=2016" in page.url
    left, right = map_frame(page, 0), map_frame(page, 1)
    assert count_polygons(left, wait_for=41) == 41 and count_polygons(right, wait_for=41) == 41
    assert [r[0] for r in legend_rows(left)] == [r[0] for r in legend_rows(right)]
    shot(page, f"pair_townships_{width}.png")
    assert page_log.console_errors == [] and page_log.page_errors == []
