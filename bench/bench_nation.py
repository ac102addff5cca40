"""Nation on PostGIS, measured side by side with the province and the demo in one run.

Datasets: the bundled demo (3,001 villages), the synthetic province (四川, >= 45,000 villages) and
the synthetic nation (>= 400,000 villages in ~2,800 counties), both from `bench/synth.py` (real
county outlines and township codes; built on demand under var/bench/, never committed). Each is
published into its own database of one PostgreSQL + PostGIS cluster through `geo.pg.PgStore.publish`
(timed; database size reported), then a fresh portal (`backend = "postgis"`) is started per dataset:

- tile latency over plain HTTP on the portal's tile route: p50/p95 of screens (1400x1000 px) of
  village tiles at zooms 8, 10 and 12 centred on the densest county (most villages per km²),
  uncached (first request after start) and cached (the same URLs again), and the wall time of a
  whole screen fetched six at a time as a browser does;
- in Debian's Chromium, on a second fresh portal (nothing cached from the above): the county
  overview (`level=county`) until every county is drawn; the village view, then one screen of
  village tiles after the map jumps to zoom 10 (and 12) over the densest county (VectorGrid's
  `load` event); server RSS after these views.

Targets (issue 11): county overview <= 2 s; a screen of village tiles <= 1 s; tile p95 <= 150 ms
uncached and <= 10 ms cached; <= 1 GB per replica. Shared 2-core machine: read the ratios.

    .venv/bin/python bench/bench_nation.py                  # throwaway cluster, all three datasets
    .venv/bin/python bench/bench_nation.py --dsn "host=... dbname=postgres user=..." --skip nation
    .venv/bin/python bench/bench_nation.py --keep var/bench/pg   # keep the cluster: reruns skip publishing
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
from playwright.sync_api import sync_playwright
from psycopg_pool import ConnectionPool

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_scale import IDLE, IFRAME, Server, tile_of, wait_drawn  # noqa: E402
from bench.synth import ensure  # noqa: E402
from geo.pg import KEY_PREFIX, PgStore  # noqa: E402
from geo.scope_token import sign_scope  # noqa: E402
from geo.tiles import version_of  # noqa: E402

SECRET = "bench-secret"
ZOOMS = (8, 10, 12)
SCREEN = (1400, 1000)
SHOTS = Path("/work/artifacts/nation") if Path("/work/artifacts").is_dir() else ROOT / "artifacts" / "nation"
TARGETS = {"county overview s": 2.0, "county overview first s": 2.0, "village tile screen s": 1.0, "tile uncached p95 ms": 150.0,
           "tile cached p95 ms": 10.0, "server GB": 1.0}


def dsn_with(dsn: str, dbname: str) -> str:
    """`dsn` pointing at database `dbname`."""
    parts = [p for p in dsn.split() if not p.startswith("dbname=")]
    return " ".join(parts + [f"dbname={dbname}"])


def publish(admin_dsn: str, name: str, folder: Path, *, republish: bool) -> dict[str, float]:
    """Publish `folder` into database bench_<name> (unless its active version is this folder's
    build already); returns publish seconds, database MB, tile rows and the database DSN."""
    stamp = f"{folder}:{(folder / 'synth.json').stat().st_mtime_ns if (folder / 'synth.json').exists() else 'demo'}"
    db = f"bench_{name}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,)).fetchone():
            conn.execute(f'CREATE DATABASE "{db}"')
    dsn = dsn_with(admin_dsn, db)
    out: dict[str, float] = {}
    with ConnectionPool(dsn, min_size=1, max_size=2, open=True) as pool:
        store = PgStore(pool)
        store.ensure_schema()
        active = store.run(lambda conn: conn.execute(
            "SELECT v.source FROM portal.active a JOIN portal.versions v ON v.id = a.version").fetchone())
        if republish or not active or active[0] != stamp:
            start = time.perf_counter()
            store.publish(folder, source=stamp)
            out["publish s"] = time.perf_counter() - start
        with pool.connection() as conn:
            out["database MB"] = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2 ** 20
            out["tile rows"] = conn.execute("SELECT count(*) FROM portal.tile_geoms t JOIN portal.active a "
                                            "ON t.version = a.version").fetchone()[0]
            out["villages"] = conn.execute("SELECT count(*) FROM portal.units u JOIN portal.active a "
                                           "ON u.version = a.version WHERE level = 'village'").fetchone()[0]
            out["counties"] = conn.execute("SELECT count(*) FROM portal.units u JOIN portal.active a "
                                           "ON u.version = a.version WHERE level = 'county'").fetchone()[0]
            row = conn.execute("""
                WITH n AS (SELECT left(u.code, 6) AS c, count(*) AS n FROM portal.units u
                           JOIN portal.active a ON u.version = a.version WHERE level = 'village' GROUP BY 1),
                dense AS (SELECT u.code FROM portal.units u JOIN portal.active a ON u.version = a.version
                          JOIN n ON u.code = n.c || '000000'
                          ORDER BY n.n / ST_Area(u.geom::geography) DESC, u.code LIMIT 1)
                SELECT ST_X(ST_PointOnSurface(u.geom)), ST_Y(ST_PointOnSurface(u.geom)), u.code, a.version
                FROM portal.units u JOIN portal.active a ON u.version = a.version, dense
                WHERE u.code = dense.code""").fetchone()
    out["dsn"], out["centre"], out["county"], out["version"] = dsn, (row[0], row[1]), row[2], row[3]
    return out


def pg_server(dsn: str) -> Server:
    """A fresh portal process on PostGIS (one replica)."""
    return Server({"PORTAL_BACKEND": "postgis", "PORTAL_PG_DSN": dsn, "PORTAL_TILE_SECRET": SECRET,
                   "PORTAL_ANONYMOUS": "all"})   # the province and nation are not the demo: visitors need "all"


def screen_urls(portal: Server, version: str, centre: tuple[float, float], z: int) -> list[str]:
    """The village tiles of one SCREEN-sized view at zoom `z` around `centre`."""
    token = sign_scope(SECRET, "")
    url_version = version_of(KEY_PREFIX + version, (KEY_PREFIX + version,))
    cx, cy = tile_of(*centre, z)
    nx, ny = SCREEN[0] // 256 // 2 + 1, SCREEN[1] // 256 // 2 + 1
    return [f"{portal.url}/tiles/{url_version}/village/{z}/{x}/{y}.pbf?s={token}"
            for x in range(cx - nx, cx + nx) for y in range(cy - ny, cy + ny)]


def fetch(url: str) -> tuple[float, int]:
    start = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept-Encoding": "gzip"}),
                                timeout=300) as response:
        size = len(response.read())
    return (time.perf_counter() - start) * 1000, size


def tile_latency(portal: Server, version: str, centre: tuple[float, float]) -> dict[str, float]:
    """p50/p95 uncached and cached over the screens of ZOOMS; screen wall time six at a time."""
    out: dict[str, float] = {}
    uncached, cached, sizes, screens = [], [], [], []
    for z in ZOOMS:
        urls = screen_urls(portal, version, centre, z)
        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(6) as pool:  # a browser's connections per host
            first = list(pool.map(fetch, urls))
        screens.append(time.perf_counter() - start)
        out[f"screen z{z} uncached s"] = screens[-1]
        uncached += [ms for ms, _ in first]
        sizes += [size for _, size in first]
        cached += [fetch(url)[0] for url in urls]
    for label, times in (("uncached", uncached), ("cached", cached)):
        times.sort()
        out[f"tile {label} p50 ms"] = statistics.median(times)
        out[f"tile {label} p95 ms"] = times[int(0.95 * (len(times) - 1))]
    out["tile gzip KB max"] = max(sizes) / 1024
    out["tiles"] = len(uncached)
    return out


TILE_SCREEN_JS = """([lat, lon, z]) => new Promise(resolve => {
  const grid = Object.values(window.map._layers).find(l => l instanceof L.VectorGrid);
  if (!grid) { resolve(-1); return; }
  const t0 = performance.now();
  grid.once('load', () => resolve((performance.now() - t0) / 1000));
  window.map.setView([lat, lon], z, {animate: false});
})"""


FADED_IN_JS = """() => { const tiles = [...document.querySelectorAll('.leaflet-tile')];
  return tiles.length > 0 && tiles.every(t => t.classList.contains('leaflet-tile-loaded')
    && getComputedStyle(t).opacity === '1'); }"""


def browser_views(browser, portal: Server, name: str, counties: int, centre, county: str) -> dict[str, float]:
    """County overview drawn; village view; a screen of village tiles at zoom 10 drawn."""
    out: dict[str, float] = {}
    for label in ("county overview first s", "county overview s"):  # first visit after start, then again
        page = browser.new_page(viewport={"width": SCREEN[0], "height": SCREEN[1]})
        start = time.perf_counter()
        page.goto(portal.url + "/exit_map?level=county&year=2020")
        wait_drawn(page, counties, timeout_s=900)
        out[label] = time.perf_counter() - start
        page.screenshot(path=str(SHOTS / f"{name}-county.png"))
        page.close()
    page = browser.new_page(viewport={"width": SCREEN[0], "height": SCREEN[1]})
    start = time.perf_counter()
    page.goto(portal.url + "/exit_map?level=village&year=2020")
    wait_drawn(page, 1, timeout_s=900)
    out["village view s"] = time.perf_counter() - start
    page.screenshot(path=str(SHOTS / f"{name}-village-overview.png"))
    frame = page.locator(IFRAME).first.element_handle().content_frame()
    for z in (10, 12):
        took = frame.evaluate(TILE_SCREEN_JS, [centre[1], centre[0], z])
        page.wait_for_selector(IDLE, state="attached")
        if took >= 0:
            frame.wait_for_function(FADED_IN_JS, timeout=60_000, polling=100)   # not mid fade-in
        page.screenshot(path=str(SHOTS / f"{name}-village-z{z}.png"))
        if took >= 0:  # -1: the view is GeoJSON (fewer units than tile_min_features), no tiles
            out[f"village tile screen z{z} s"] = took
    if "village tile screen z10 s" in out:
        out["village tile screen s"] = max(out["village tile screen z10 s"], out["village tile screen z12 s"])
    page.close()
    return out


def run(name: str, folder: Path, admin_dsn: str, browser, *, republish: bool) -> dict[str, float]:
    """Publish; tile latency over HTTP on one fresh portal; the browser views on another fresh
    portal (so the browser's screen of village tiles is not served from the first one's cache)."""
    print(f"[{name}] publishing {folder}", flush=True)
    info = publish(admin_dsn, name, folder, republish=republish)
    result = {k: v for k, v in info.items() if isinstance(v, (int, float))}
    portal = pg_server(info["dsn"])
    try:
        result["server GB at start"] = portal.rss_gb()
        result.update(tile_latency(portal, info["version"], info["centre"]))
        print(f"[{name}] tiles done", flush=True)
        portal.stop()
        portal = pg_server(info["dsn"])
        result.update(browser_views(browser, portal, name, int(info["counties"]), info["centre"], info["county"]))
        result["server GB"] = portal.rss_gb()
    except Exception as error:  # a view that never draws (e.g. out of time) is reported, not fatal
        result["error"] = float("nan")
        print(f"[{name}] {type(error).__name__}: {str(error)[:300]}", flush=True)
        result["server GB"] = portal.rss_gb()
    finally:
        portal.stop()
    print(f"[{name}] {json.dumps(result)}", flush=True)
    return result


def cluster(keep: Path | None) -> tuple[str, str | None]:
    """(DSN, folder to stop) of a throwaway cluster (tests/pg_cluster.sh), or of the kept one."""
    state = keep / "dsn" if keep else None
    if state and state.is_file():
        return state.read_text().strip(), None
    out = subprocess.run(["bash", str(ROOT / "tests" / "pg_cluster.sh"), "start"], check=True,
                         capture_output=True, text=True).stdout
    env = dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines() if "=" in line)
    dsn, folder = env["TEST_PG_DSN"].strip("'"), env["TEST_PG_DIR"].strip("'")
    if state:
        keep.mkdir(parents=True, exist_ok=True)
        state.write_text(dsn)
        (keep / "folder").write_text(folder)
        return dsn, None
    return dsn, folder


def main() -> None:
    global SHOTS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="an existing cluster (a database the user may CREATE DATABASE from)")
    parser.add_argument("--keep", type=Path, help="keep the throwaway cluster; its DSN is stored here")
    parser.add_argument("--skip", action="append", default=[], choices=("demo", "province", "nation"))
    parser.add_argument("--republish", action="store_true", help="publish even if the database has this build")
    parser.add_argument("--shots", type=Path, help=f"screenshot folder (default {SHOTS})")
    args = parser.parse_args()
    if args.shots:
        SHOTS = args.shots
    SHOTS.mkdir(parents=True, exist_ok=True)
    datasets = {"demo": ROOT / "data" / "demo"}
    for kind in ("province", "nation"):
        if kind not in args.skip:
            start = time.perf_counter()
            datasets[kind] = ensure(kind)
            print(f"[{kind}] dataset ready in {time.perf_counter() - start:.0f} s: "
                  f"{(datasets[kind] / 'synth.json').read_text()}", flush=True)
    datasets = {k: v for k, v in datasets.items() if k not in args.skip}
    dsn, stop = (args.dsn, None) if args.dsn else cluster(args.keep)
    results: dict[str, dict[str, float]] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            for name, folder in datasets.items():
                results[name] = run(name, folder, dsn, browser, republish=args.republish)
            browser.close()
    finally:
        if stop:
            subprocess.run(["bash", str(ROOT / "tests" / "pg_cluster.sh"), "stop", stop], check=False)
    report(results)


def report(results: dict[str, dict[str, float]]) -> None:
    """A Markdown table: each dataset, ratios nation/province and nation/demo, the target."""
    names = list(results)
    keys = list(dict.fromkeys(k for r in results.values() for k in r))
    ratio_cols = [(a, b) for a, b in (("nation", "province"), ("nation", "demo"), ("province", "demo"))
                  if a in results and b in results]
    print("| measure | " + " | ".join(names) + " | " + " | ".join(f"{a}/{b}" for a, b in ratio_cols)
          + " | target |")
    print("|---|" + "---|" * (len(names) + len(ratio_cols) + 1))
    for key in keys:
        cells = []
        for name in names:
            value = results[name].get(key)
            cells.append("—" if value is None else f"{value:,.0f}" if key in ("tile rows", "villages", "counties",
                                                                                 "tiles") else f"{value:,.2f}")
        ratios = []
        for a, b in ratio_cols:
            x, y = results[a].get(key), results[b].get(key)
            ratios.append(f"{x / y:.2f}x" if x is not None and y else "—")
        target = TARGETS.get(key)
        print(f"| {key} | " + " | ".join(cells + ratios) + f" | {'≤ ' + str(target) if target else ''} |")


if __name__ == "__main__":
    main()
