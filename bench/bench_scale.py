"""Province scale, side by side in one run: the current design (every view as GeoJSON through
st_folium: tiles disabled with PORTAL_TILE_MIN_FEATURES) against vector tiles, on the demo
(3,001 villages) and a synthetic province (四川: real county outlines, ~45,700 synthetic villages,
bench/synth.py, built on demand).

Per dataset and design, on fresh servers, in Debian's Chromium:
- whole village-level view: first visit after start (cold) and a second visit (warm);
- another year at village level in the same session: time and bytes received over the websocket;
- one county's villages after a click (the county chosen in the sidebar, as a click would);
- server memory (RSS) after five views;
and, over plain HTTP, tile latency p50/p95 uncached and cached for a screenful of village tiles.

Before the servers start, each dataset's derived forms are written as a publish writes them
(geo/derived.py, into the store the servers use); that one-off cost is printed as "derive at publish".

Run: .venv/bin/python bench/bench_scale.py [--skip-current-province]
"Drawn" = the app is idle and at least as many unit shapes are on the map as the view has units.
Shared machines are noisy: read the ratios.
"""
from __future__ import annotations

import argparse
import math
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synth import ensure  # noqa: E402
from geo import datasets, derived  # noqa: E402
from geo.read import read_units  # noqa: E402

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
IFRAME = "iframe[title*='streamlit_folium']"
SHAPES_JS = """() => { const g = Object.values(window.map._layers).filter(l => l.feature && l._map).length;
  const t = document.querySelectorAll('svg.leaflet-tile path').length; return g + t; }"""
SECRET = "bench-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A fresh portal process on a free port with `env` added to ours (`entry`: what python runs
    before `run streamlit_app.py`); waits for its health check; RSS from /proc; `stop()`."""

    def __init__(self, env: dict[str, str], *, entry: tuple[str, ...] = ("-m", "streamlit"),
                 wait_s: float = 180):
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, *entry, "run", "streamlit_app.py",
                                      "--server.port", str(self.port), "--server.headless", "true"],
                                     cwd=ROOT, env={**os.environ, **env},
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/_stcore/health", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("portal did not start")

    def rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as handle:
            return next((int(line.split()[1]) / 1024 for line in handle if line.startswith("VmRSS:")),
                        float("nan"))

    def rss_gb(self) -> float:
        return self.rss_mb() / 1024

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def file_server(data: Path, *, tiles: bool) -> Server:
    """The portal on a dataset folder, with vector tiles on or off (the current design)."""
    return Server({"PORTAL_DATA_DIR": str(data), "PORTAL_TILE_SECRET": SECRET,
                   "PORTAL_ANONYMOUS": "all",   # the province is not the demo: visitors need "all"
                   "PORTAL_TILE_MIN_FEATURES": "4000" if tiles else "1000000000"})


def wait_drawn(page, expected: int, timeout_s: float = 300) -> None:
    page.wait_for_selector(IDLE, state="attached", timeout=timeout_s * 1000)
    frame = page.locator(IFRAME).first.element_handle(timeout=timeout_s * 1000).content_frame()
    frame.wait_for_function("() => window.L !== undefined && window.map instanceof window.L.Map",
                            timeout=timeout_s * 1000, polling=100)
    frame.wait_for_function(f"() => ({SHAPES_JS})() >= {expected}", timeout=timeout_s * 1000, polling=100)


def visit(browser, url: str, expected: int, shot: str | None = None) -> float:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    start = time.perf_counter()
    page.goto(url)
    wait_drawn(page, expected)
    elapsed = time.perf_counter() - start
    if shot:
        page.screenshot(path=shot)
    page.close()
    return elapsed


def another_year(browser, url: str, expected: int) -> tuple[float, int]:
    """Time and websocket bytes from a year change (slider) until the map is drawn again."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    received = [0]
    counting = [False]

    def on_ws(ws):
        ws.on("framereceived", lambda payload: received.__setitem__(
            0, received[0] + (len(payload) if counting[0] else 0)))
    page.on("websocket", on_ws)
    page.goto(url)
    wait_drawn(page, expected)
    frame = page.locator(IFRAME).first.element_handle().content_frame()
    frame.evaluate("() => { window.__bench = 1; }")
    page.evaluate("""() => { window.__runs = 0; const app = document.querySelector("[data-testid='stApp']");
        new MutationObserver(() => { window.__runs += 1; }).observe(app, {attributes: true,
        attributeFilter: ["data-test-script-state"]}); }""")
    slider = page.get_by_role("slider").first
    slider.focus()
    counting[0] = True
    start = time.perf_counter()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => window.__runs > 0", timeout=300_000, polling=50)
    wait_drawn(page, expected)
    elapsed = time.perf_counter() - start
    counting[0] = False
    page.close()
    return elapsed, received[0]


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def tile_latency(server: Server, data: Path) -> dict[str, float]:
    """p50/p95 of the village tiles of one 1400x1000 screen at zoom 8 and 10, uncached then cached."""
    env = {"PORTAL_DATA_DIR": str(data)}
    os.environ.update(env)
    from geo.scope_token import sign_scope
    from geo.tiles import FileTiles
    version = FileTiles().current()[0]
    token = sign_scope(SECRET, "")
    urls = []
    for z, (lon, lat) in ((8, (108.0, 31.0)), (10, (107.5, 31.2))):
        cx, cy = tile_of(lon, lat, z)
        urls += [f"{server.url}/tiles/{version}/village/{z}/{x}/{y}.pbf?s={token}"
                 for x in range(cx - 3, cx + 3) for y in range(cy - 2, cy + 2)]
    out = {}
    for label in ("uncached", "cached"):
        times = []
        for url in urls:
            start = time.perf_counter()
            with urllib.request.urlopen(url, timeout=120) as response:
                response.read()
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        out[f"{label} p50 ms"] = statistics.median(times)
        out[f"{label} p95 ms"] = times[int(0.95 * (len(times) - 1))]
    out["tiles"] = len(urls)
    return out


def largest_county(folder: Path) -> str:
    """The county of `folder` with the most villages (the benchmark's close-up)."""
    units = read_units(folder / "units.gpkg")
    villages = units.loc[units["level"] == "village", "code"].str[:6]
    return villages.value_counts().index[0] + "000000"


def run(name: str, data: Path, villages: int, county: str, county_villages: int, *, tiles: bool,
        browser, shots: Path) -> dict[str, float]:
    result: dict[str, float] = {}
    design = "tiles" if tiles else "current"
    server = file_server(data, tiles=tiles)
    try:
        url = server.url + "/exit_map?level=village&year=2020"
        result["village view cold s"] = visit(browser, url, villages, str(shots / f"{name}-{design}-cold.png"))
        result["village view warm s"] = visit(browser, url, villages)
        result["another year s"], result["another year ws bytes"] = another_year(browser, url, villages)
        result["county villages s"] = visit(browser, server.url + f"/exit_map?level=village&region={county}&year=2020",
                                            county_villages)
        visit(browser, server.url + "/exit_map?level=township&year=2020", 1)
        result["server GB after 5 views"] = server.rss_gb()
        if tiles:
            result.update({f"tile {k}": v for k, v in tile_latency(server, data).items()})
    finally:
        server.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-current-province", action="store_true",
                        help="skip the current design on the province (minutes of machine time)")
    args = parser.parse_args()
    shots = ROOT / "artifacts" / "bench"
    shots.mkdir(parents=True, exist_ok=True)
    province = ensure("province")
    demo = ROOT / "data" / "demo"
    qu = largest_county(demo)
    units = read_units(province / "units.gpkg")
    villages = int((units["level"] == "village").sum())
    big = largest_county(province)
    big_villages = int(((units["level"] == "village") & units["code"].str.startswith(big[:6])).sum())
    del units
    results: dict[str, dict[str, float]] = {}
    publish = {}
    for name, folder in (("demo", demo), ("province", province)):
        start = time.perf_counter()
        derived.derive(folder, datasets.store_root() / derived.DERIVED)   # once per version, as at publish
        publish[name] = time.perf_counter() - start
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        results["demo current"] = run("demo", demo, 3001, qu, 501, tiles=False, browser=browser, shots=shots)
        results["demo tiles"] = run("demo", demo, 3001, qu, 501, tiles=True, browser=browser, shots=shots)
        if not args.skip_current_province:
            results["province current"] = run("province", province, villages, big, big_villages, tiles=False,
                                              browser=browser, shots=shots)
        results["province tiles"] = run("province", province, villages, big, big_villages, tiles=True,
                                        browser=browser, shots=shots)
        browser.close()
    for name, result in results.items():
        result["derive at publish s (0 = already derived)"] = publish[name.split()[0]]
    keys = list(dict.fromkeys(k for r in results.values() for k in r))
    names = list(results)
    print("| measure | " + " | ".join(names) + " | province tiles / demo current |")
    print("|---|" + "---|" * (len(names) + 1))
    for key in keys:
        cells = []
        for name in names:
            value = results[name].get(key)
            cells.append("—" if value is None else (f"{value:,.0f}" if "bytes" in key else f"{value:.2f}"))
        base, ours = results["demo current"].get(key), results["province tiles"].get(key)
        ratio = f"{ours / base:.2f}x" if base and ours is not None else "—"
        print(f"| {key} | " + " | ".join(cells) + f" | {ratio} |")


if __name__ == "__main__":
    main()
