"""督战 in a real browser, offline: a deep link with an as-of date draws the county's villages with
the counted traffic-light legend; clicking a village with overdue problems lists its open items;
the monitoring layer draws from a deep link; no request leaves the machine and the console stays
clean. Screenshots also at 1366x768."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import inspection as ins
from geo.read import read_bundle

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
WANYUAN = "511781000000"   # the demo's slowest county (listed supervision)
ASOF = "2020-06-30"


def test_overdue_map_and_unit_click(portal, page, page_log, wait_idle, map_frame, count_polygons,
                                    save_screenshot):
    bundle = read_bundle(DEMO)
    states = ins.problem_states(bundle.problems, pd.Timestamp(ASOF), due_days=7)
    counts = ins.per_unit(states.loc[states["state"] != ins.NOT_FOUND], "village", ins.PROBLEM_STATES)
    counts = counts.loc[counts["code"].str.startswith(WANYUAN[:6])]
    units = gpd.read_file(DEMO / "units.gpkg", engine="pyogrio").to_crs(4326)
    villages = units[(units.level == "village") & units.code.str.startswith(WANYUAN[:6])]

    page.goto(portal.url + f"/inspection?region={WANYUAN}&level=village&date={ASOF}")
    wait_idle(page)
    frame = map_frame(page)
    assert count_polygons(frame, wait_for=len(villages)) >= len(villages)
    legend = frame.locator(".portal-legend").first.inner_text()
    assert legend.startswith("问题整改（红绿灯）")
    assert f"逾期未销号（{int((counts['light'] == 0).sum())}）" in legend
    assert f"已全部销号（{int((counts['light'] == 3).sum())}）" in legend
    assert "挂牌督战" in legend
    save_screenshot(page, "inspection_wanyuan.png")

    opened = counts.assign(open_total=counts[list(ins.OPEN_STATES)].sum(axis=1))
    target = opened.loc[opened["open_total"] > 0].sort_values(["light", "code"]).iloc[0]
    village = villages.set_index("code").loc[target["code"]]
    iframe = page.locator("iframe[title*='streamlit_folium']").first
    iframe.scroll_into_view_if_needed()  # the map starts below the KPI cards: click where it is shown
    point = village.geometry.representative_point()
    xy = frame.evaluate("([lat, lng]) => { const p = window.map.latLngToContainerPoint([lat, lng]);"
                        " return [p.x, p.y]; }", [point.y, point.x])
    box = iframe.bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
    wait_idle(page)
    page.wait_for_url(f"**selected={target['code']}*")
    open_items = int(target["open_total"])
    info = page.get_by_text(f"（{target['code']}）：未销号问题 {open_items} 个")
    info.wait_for()
    assert f"date={ASOF}" in page.url
    save_screenshot(page, "inspection_click.png")

    page.set_viewport_size({"width": 1366, "height": 768})
    wait_idle(page)
    save_screenshot(page, "inspection_1366.png")

    page.goto(portal.url + f"/inspection?region={WANYUAN}&level=village&date={ASOF}&layer=monitoring")
    wait_idle(page)
    frame = map_frame(page)
    assert count_polygons(frame, wait_for=len(villages)) == len(villages)
    legend = frame.locator(".portal-legend").first.inner_text()
    assert legend.startswith("防返贫监测（每百名农村人口监测户数） · 全部监测户")
    save_screenshot(page, "inspection_monitoring.png")
    assert page_log.blocked == [] and page_log.external == []
    assert page_log.console_errors == [] and page_log.page_errors == []
