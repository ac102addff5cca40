"""Server memory on PostGIS, side by side in one run: the lean read path of the pages (ui.cache
postgis branches: village points, polygons only for GeoJSON views, figures from one year's rows)
against the previous PostGIS design (the whole dataset with every polygon read into each process,
simplified there) and against the file backend, on the synthetic province (bench/synth.py,
51,017 villages, published into a PostGIS named by --dsn or TEST_PG_DSN).

Each design runs on a fresh server; five views in Debian's Chromium (landing page, county view,
whole village view, another year of it, one county's villages); then the server's RSS
(/proc/<pid>/status VmRSS). The previous design is the same portal with its four postgis read
functions replaced by the former whole-bundle versions (bench/pg_previous_design.py).

Run: .venv/bin/python bench/bench_pg_memory.py [--dsn DSN] [--data DIR]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_scale import SECRET, Server, largest_county, wait_drawn
from bench.synth import ensure


def start(env: dict[str, str], *, previous: bool) -> Server:
    """A fresh portal with `env`; `previous`: the previous PostGIS read design (bench/pg_previous_design.py)."""
    entry = ("bench/pg_previous_design.py",) if previous else ("-m", "streamlit")
    return Server({**env, "PORTAL_TILE_SECRET": SECRET, "PORTAL_ANONYMOUS": "all"}, entry=entry)


def five_views(browser, server: Server, county: str) -> list[float]:
    """RSS (MB) after each of the five views."""
    views = [("/", 1), ("/exit_map?level=county&year=2019", 1), ("/exit_map?level=village&year=2019", 1000),
             ("/exit_map?level=village&year=2018", 1000), (f"/exit_map?level=village&region={county}&year=2019", 100)]
    out = []
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    for number, (path, expected) in enumerate(views):
        page.goto(server.url + path)
        try:
            wait_drawn(page, expected, timeout_s=600)
        except Exception:
            page.screenshot(path=str(ROOT / "artifacts" / "bench" / f"pg-memory-failed-{number}.png"))
            raise
        out.append(server.rss_mb())
    page.screenshot(path=str(ROOT / "artifacts" / "bench" / f"pg-memory-{server.port}.png"))
    page.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=os.environ.get("TEST_PG_DSN", ""))
    parser.add_argument("--data", type=Path, help="dataset folder (default: the synthetic province)")
    args = parser.parse_args()
    if not args.dsn:
        parser.error("a PostGIS DSN is needed (--dsn or TEST_PG_DSN)")
    (ROOT / "artifacts" / "bench").mkdir(parents=True, exist_ok=True)
    data = args.data or ensure("province")
    os.environ["PORTAL_PG_DSN"] = args.dsn
    from geo import pg
    pg.store().ensure_schema()
    started = time.perf_counter()
    version = pg.store().publish(data, source="bench")
    print(f"published {data.name} into PostGIS as {version} in {time.perf_counter() - started:.0f} s", flush=True)
    county = largest_county(data)
    pg_env = {"PORTAL_BACKEND": "postgis", "PORTAL_PG_DSN": args.dsn, "PORTAL_DATA_DIR": ""}
    designs = {"files": ({"PORTAL_BACKEND": "files", "PORTAL_DATA_DIR": str(data)}, False),
               "postgis previous": (pg_env, True), "postgis lean": (pg_env, False)}
    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for name, (env, previous) in designs.items():
            server = start(env, previous=previous)
            try:
                results[name] = five_views(browser, server, county)
            finally:
                server.stop()
            print(name, [round(v) for v in results[name]], flush=True)
        browser.close()
    print("| server RSS (MB) after view | " + " | ".join(results) + " | lean / files | lean / previous |")
    print("|---|" + "---|" * (len(results) + 2))
    labels = ("landing", "counties", "villages (tiles)", "another year", "one county's villages")
    for i, label in enumerate(labels):
        cells = [f"{results[n][i]:,.0f}" for n in results]
        lean = results["postgis lean"][i]
        print(f"| {label} | " + " | ".join(cells)
              + f" | {lean / results['files'][i]:.2f}x | {lean / results['postgis previous'][i]:.2f}x |")


if __name__ == "__main__":
    main()
