"""In-portal timings with a real browser: the village-level page, an unrelated rerun and a
drill-down click, against a naive Streamlit page (unsimplified GeoDataFrame.explore() through
st_folium with default settings) in the same run.

Run: .venv/bin/python bench/bench_portal.py
Needs Debian's /usr/bin/chromium. Prints seconds, websocket bytes and ratios; shared machines are
noisy, read the ratios.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
# The naive page: unsimplified villages through GeoDataFrame.explore() and st_folium's defaults
# (every event reruns the app). Only its assets are made local, or it could not draw offline.
NAIVE_APP = '''
import sys
sys.path.insert(0, r"{root}")
import geopandas as gpd, streamlit as st
from streamlit_folium import st_folium
from layers.offline import make_offline
units = gpd.read_file(r"{gpkg}")
villages = units[units["level"] == "village"].to_crs(4326)
st.text_input("q", key="q")
st_folium(make_offline(villages.explore(column="name", legend=False, tiles=None)), key="m", height=600)
'''
COUNT_JS = """() => { const m = window.map; if (!m) return 0; let n = 0;
  for (const l of Object.values(m._layers)) { if (l instanceof L.Polygon && l._map) n++; } return n; }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(script: Path, cwd: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
                             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                            cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def idle(page) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", state="attached",
                           timeout=120_000)


def frame_of(page):
    handle = page.locator("iframe[title*='streamlit_folium']").first.element_handle(timeout=120_000)
    return handle.content_frame()


def wait_polygons(page, n: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if frame_of(page).evaluate(COUNT_JS) == n:
                return
        except Exception:  # the iframe may be replaced while we look
            pass
        page.wait_for_timeout(25)
    raise TimeoutError(f"never saw {n} polygons")


class Bytes:
    def __init__(self, page):
        self.total = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self.add))

    def add(self, payload) -> None:
        self.total += len(payload) if isinstance(payload, (bytes, str)) else 0


def measure(browser, url: str, n: int, type_into: str) -> dict:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    counter = Bytes(page)
    start_time = time.monotonic()
    page.goto(url)
    wait_polygons(page, n)
    first = time.monotonic() - start_time
    idle(page)
    page.wait_for_timeout(1500)
    before, t0 = counter.total, time.monotonic()
    box = page.locator(type_into).first
    if not box.is_visible():  # the portal's search sits in a collapsed expander
        page.locator("[data-testid='stExpander'] summary").first.click()
        box.wait_for(state="visible")
    box.fill("无此单位")
    box.press("Enter")
    page.wait_for_timeout(100)
    idle(page)
    wait_polygons(page, n)
    rerun = time.monotonic() - t0
    result = {"first_paint_s": first, "rerun_s": rerun, "rerun_bytes": counter.total - before,
              "page": page}
    return result


def script_time(entry: Path, page: str | None, key: str, params: dict[str, str], runs: int = 5) -> float:
    """Median server-side script time of a rerun caused by an unrelated widget (AppTest)."""
    from statistics import median

    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(entry), default_timeout=300)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page:
        for k, v in params.items():
            at.query_params[k] = v
        at.switch_page(page).run()
    times = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        at.text_input(key=key).set_value(f"x{i}").run()
        times.append(time.perf_counter() - t0)
    return median(times[1:])


def main() -> None:
    gpkg = ROOT / "data" / "demo" / "units.gpkg"
    import geopandas as gpd
    n_villages = int((gpd.read_file(gpkg, columns=["level"]).level == "village").sum())
    tmp = Path(tempfile.mkdtemp())
    naive_script = tmp / "naive.py"
    naive_script.write_text(NAIVE_APP.format(gpkg=gpkg, root=ROOT), encoding="utf-8")
    (tmp / "static").symlink_to(ROOT / "static")
    (tmp / ".streamlit").mkdir()
    (tmp / ".streamlit" / "config.toml").write_text((ROOT / ".streamlit" / "config.toml").read_text())
    portal, portal_url = start(ROOT / "streamlit_app.py", ROOT)
    naive, naive_url = start(naive_script, tmp)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                         args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            # warm both servers' caches once, as a second visitor would find them
            for url in (portal_url + "/exit_map?level=village", naive_url):
                warm = browser.new_page()
                warm.goto(url)
                wait_polygons(warm, n_villages)
                warm.close()
            ours = measure(browser, portal_url + "/exit_map?level=village", n_villages,
                           "[data-testid='stExpander'] input, input[aria-label*='查找']")
            naive_result = measure(browser, naive_url, n_villages, "input[aria-label='q']")
            # drill-down: county level, click the county with the most townships, wait for them
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(portal_url + "/exit_map")
            wait_polygons(page, 7)
            idle(page)
            page.wait_for_timeout(800)
            units = gpd.read_file(gpkg).to_crs(4326)
            towns = units.loc[units.level == "township", "parent_code"].value_counts()
            county, n_towns = str(towns.index[0]), int(towns.iloc[0])
            point = units.loc[units.code == county].geometry.iloc[0].representative_point()
            frame = frame_of(page)
            xy = frame.evaluate("([a, b]) => { const p = window.map.latLngToContainerPoint([a, b]); return [p.x, p.y]; }",
                                [point.y, point.x])
            box = page.locator("iframe[title*='streamlit_folium']").first.bounding_box()
            t0 = time.monotonic()
            page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
            wait_polygons(page, n_towns)
            drill = time.monotonic() - t0
            browser.close()
    finally:
        portal.terminate()
        naive.terminate()
    print(f"villages: {n_villages}")
    print(f"{'':<28}{'portal':>12}{'naive':>12}{'ratio':>8}")
    for key, label in (("first_paint_s", "village page to polygons s"), ("rerun_s", "unrelated rerun s"),
                       ("rerun_bytes", "unrelated rerun ws bytes")):
        a, b = ours[key], naive_result[key]
        fmt = "{:>12,.0f}" if "bytes" in key else "{:>12.2f}"
        print(f"{label:<28}" + fmt.format(a) + fmt.format(b) + f"{(b / a if a else float('inf')):>8.1f}")
    print(f"drill-down click to {n_towns} township polygons: {drill:.2f} s")
    ours_script = script_time(ROOT / "streamlit_app.py", "pages/exit_map.py", "exit.query", {"level": "village"})
    naive_script_s = script_time(naive_script, None, "q", {})
    print(f"{'unrelated rerun script s':<28}{ours_script:>12.2f}{naive_script_s:>12.2f}"
          f"{naive_script_s / ours_script:>8.1f}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
