"""Many users, bounded, on loopback: two portal replicas behind nginx (the documented deployment,
deploy/nginx.conf.template rendered by deploy/portal-cluster.sh).

1. Real browser sessions (Playwright async, Debian's Chromium): each session opens the landing
   page, then the whole village-level view, in its own browser context (own nginx cookie, so its
   own replica). A lone session, then SESSIONS concurrent ones (contexts picked by their cookie so
   the replicas get the same number each), ROUNDS times each, after one unmeasured warm-up per
   replica. Reported: p50/p95 time to map drawn, concurrent / lone (target p95 <= 2x), errors
   (HTTP >= 400, console and page errors, websocket errors or closes, target 0), server RSS per
   replica.
2. The tile route from cache (plain HTTP/1.1 keep-alive on asyncio streams): a screenful of village tiles with the
   signed scope token, repeated to a fixed request count, CONNECTIONS at a time, through nginx and
   straight to one replica: tiles/s (target >= 200), p50/p95 latency, errors.

"Drawn" = the app is idle and at least as many unit shapes (GeoJSON polygons or tile paths) are
on the map as the view has units. Every wait and request has a time limit. Chromium and both
replicas share this machine's cores: read the ratios, not the seconds.

Run: .venv/bin/python bench/bench_load.py [--data demo|province|both] [--sessions 4] [--rounds 3]
     [--tile-requests 3000] [--connections 50] [--only browsers|tiles]
The province is var/bench/province, built by bench/synth.py when missing. Through nginx the tile
client sends no cookie, so nginx hashes every request anew and spreads them over the replicas
(like many users); each replica's cache is filled first.
"""
from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pyogrio
from playwright.async_api import async_playwright
from pyproj import Transformer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench-load-secret"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
CONNECTED = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
IFRAME = "iframe[title*='streamlit_folium']"
SHAPES_JS = """() => { if (!window.map) return 0;
  const g = Object.values(window.map._layers).filter(l => l.feature && l._map).length;
  const t = document.querySelectorAll('svg.leaflet-tile path').length; return g + t; }"""
DEEP_LINK_PROBE = re.compile(r"^https?://[^/]+/.+/_stcore/(health|host-config)$")
VIEW_TIMEOUT_S = 600
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, process: subprocess.Popen, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up ({url})")
        time.sleep(0.2)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(root: int) -> set[int]:
    """Every live process below `root` (children, grandchildren, ...)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            parents.setdefault(ppid, []).append(int(entry))
    out, todo = set(), [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


class Cluster:
    """Two (or more) replicas of the portal on `data` behind nginx, all on loopback."""

    def __init__(self, data: Path, replicas: int = 2):
        self.work = Path(tempfile.mkdtemp(prefix="bench-load-"))
        self.work.chmod(0o755)  # nginx run as root hands its workers to `nobody`
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PORTAL_DATA_DIR": str(data),
               "PORTAL_TILE_SECRET": SECRET, "PORTAL_ANONYMOUS": "all",
               "PORTAL_STORE_DIR": str(self.work / "store"), "PORTAL_USERS_DB": str(self.work / "access.sqlite")}
        env = {k: v for k, v in env.items() if not k.startswith("PORTAL_") or k in {
            "PORTAL_DATA_DIR", "PORTAL_TILE_SECRET", "PORTAL_ANONYMOUS", "PORTAL_STORE_DIR", "PORTAL_USERS_DB"}}
        self.replicas: dict[str, subprocess.Popen] = {}
        for _ in range(replicas):
            port = free_port()
            log = (self.work / f"replica-{port}.log").open("wb")
            self.replicas[f"127.0.0.1:{port}"] = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
                 "--server.address", "127.0.0.1", "--server.headless", "true"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        for address, process in self.replicas.items():
            wait_http(f"http://{address}/_stcore/health", process, 120, f"replica {address}")
        self.port = free_port()
        prefix = self.work / "nginx"
        command = ["bash", str(ROOT / "deploy" / "portal-cluster.sh"), "render", "--prefix", str(prefix),
                   "--listen", f"127.0.0.1:{self.port}"]
        for address in self.replicas:
            command += ["--replica", address]
        conf = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.nginx = subprocess.Popen([nginx, "-p", str(prefix), "-c", conf, "-e", str(prefix / "logs" / "error.log"),
                                       "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_http(self.url + "/_stcore/health", self.nginx, 30, "nginx")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_gb(self) -> dict[str, float]:
        """Resident memory of each replica process (GB)."""
        out = {}
        for address, process in self.replicas.items():
            with open(f"/proc/{process.pid}/status") as handle:
                kb = next(int(line.split()[1]) for line in handle if line.startswith("VmRSS:"))
            out[address] = kb / 1024 / 1024
        return out

    def cpu_s(self) -> dict[str, float]:
        """CPU seconds (user + system) used so far by each replica, by nginx, and by every other
        process this benchmark started (Chromium)."""
        servers = {address: process.pid for address, process in self.replicas.items()}
        out = {address: cpu_seconds(pid) for address, pid in servers.items()}
        mine = descendants(os.getpid()) - set(servers.values())
        nginx = {self.nginx.pid} | descendants(self.nginx.pid)
        out["nginx"] = sum(cpu_seconds(pid) for pid in nginx)
        out["chromium"] = sum(cpu_seconds(pid) for pid in mine - nginx)
        return out

    def stop(self) -> None:
        for process in [self.nginx, *self.replicas.values()]:
            process.terminate()
        for process in [self.nginx, *self.replicas.values()]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        shutil.rmtree(self.work, ignore_errors=True)


# --------------------------------------------------------------------------- browser sessions

@dataclass
class Errors:
    http: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    websocket: list[str] = field(default_factory=list)

    def total(self) -> int:
        return len(self.http) + len(self.console) + len(self.websocket)


async def new_session(browser, cluster: Cluster, errors: Errors):
    """A browser context whose every request goes to nginx only; returns (context, replica)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN",
                                        service_workers="block")
    allowed = f"127.0.0.1:{cluster.port}/"

    async def block(route) -> None:
        errors.http.append(f"blocked {route.request.url}")
        await route.abort("blockedbyclient")

    await context.route(lambda url: allowed not in url and not url.startswith(("data:", "blob:", "about:")), block)
    context.on("response", lambda r: errors.http.append(f"{r.status} {r.url}")
               if r.status >= 400 and not DEEP_LINK_PROBE.match(r.url) else None)
    probe = await context.request.get(cluster.url + "/_stcore/health")
    return context, probe.headers["x-upstream"]


async def open_view(context, url: str, expected: int, errors: Errors) -> float:
    """Seconds from navigation to the map drawn with >= `expected` shapes, in a fresh page."""
    page = await context.new_page()
    closing = [False]

    def on_console(message) -> None:
        where = message.location.get("url", "")
        if message.type == "error" and not ("404" in message.text and DEEP_LINK_PROBE.match(where)):
            errors.console.append(f"{message.text} @ {where}")

    def on_websocket(ws) -> None:
        ws.on("socketerror", lambda error: errors.websocket.append(f"error {error} {ws.url}"))
        ws.on("close", lambda _: None if closing[0] else errors.websocket.append(f"closed early {ws.url}"))

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.console.append(str(error)))
    page.on("websocket", on_websocket)
    timeout = VIEW_TIMEOUT_S * 1000
    start = time.perf_counter()
    await page.goto(url, timeout=timeout)
    await page.wait_for_selector(CONNECTED, state="attached", timeout=timeout)
    await page.wait_for_selector(IDLE, state="attached", timeout=timeout)
    frame = await (await page.locator(IFRAME).first.element_handle(timeout=timeout)).content_frame()
    await frame.wait_for_function(f"() => ({SHAPES_JS})() >= {expected}", timeout=timeout, polling=100)
    elapsed = time.perf_counter() - start
    if not await page.locator(CONNECTED).count():
        errors.websocket.append(f"not connected after drawing {url}")
    closing[0] = True
    await page.close()
    return elapsed


async def session(browser_context, cluster: Cluster, views: list[tuple[str, str, int]], errors: Errors,
                  times: dict[str, list[float]]) -> None:
    for name, path, expected in views:
        times.setdefault(name, []).append(await open_view(browser_context, cluster.url + path, expected, errors))


async def balanced_sessions(browser, cluster: Cluster, count: int, errors: Errors) -> list:
    """`count` contexts, the same number pinned to each replica (chosen by their nginx cookie)."""
    per = {address: [] for address in cluster.replicas}
    share = math.ceil(count / len(per))
    spare = []
    for _ in range(count * 12):
        context, replica = await new_session(browser, cluster, errors)
        if len(per[replica]) < share:
            per[replica].append(context)
        else:
            spare.append(context)
        if sum(len(v) for v in per.values()) >= count:
            break
    for context in spare:
        await context.close()
    return [c for contexts in per.values() for c in contexts][:count]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


async def browser_phase(cluster: Cluster, views: list[tuple[str, str, int]], sessions: int,
                        rounds: int) -> dict:
    errors = Errors()
    lone: dict[str, list[float]] = {}
    together: dict[str, list[float]] = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        # warm-up, not measured: every replica opens every view once (caches of a fresh process)
        for context in await balanced_sessions(browser, cluster, len(cluster.replicas), errors):
            await session(context, cluster, views, errors, {})
            await context.close()
        cpu_start = cluster.cpu_s()
        wall_start = time.perf_counter()
        for _ in range(rounds):
            (context,) = await balanced_sessions(browser, cluster, 1, errors)
            await session(context, cluster, views, errors, lone)
            await context.close()
        cpu_lone = cluster.cpu_s()
        wall_lone = time.perf_counter() - wall_start
        rss_lone = cluster.rss_gb()
        wall_start = time.perf_counter()
        for _ in range(rounds):
            contexts = await balanced_sessions(browser, cluster, sessions, errors)
            await asyncio.wait_for(asyncio.gather(*(session(c, cluster, views, errors, together)
                                                    for c in contexts)),
                                   timeout=VIEW_TIMEOUT_S * len(views) * 2)
            for context in contexts:
                await context.close()
        rss_together = cluster.rss_gb()
        cpu_together = cluster.cpu_s()
        wall_together = time.perf_counter() - wall_start
        await browser.close()
    used = {"lone": {k: cpu_lone[k] - cpu_start[k] for k in cpu_lone},
            "together": {k: cpu_together[k] - cpu_lone[k] for k in cpu_together}}
    return {"lone": lone, "together": together, "errors": errors, "rss_lone": rss_lone,
            "rss_together": rss_together, "cpu": used, "wall": {"lone": wall_lone, "together": wall_together},
            "sessions": {"lone": rounds, "together": rounds * sessions}}


# --------------------------------------------------------------------------- tiles

def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def screen_of_tiles(data: Path, z: int = 10) -> list[str]:
    """Paths (with a signed all-region token) of the village tiles of one 1400x1000 screen at
    zoom `z` around the dataset's centre."""
    os.environ["PORTAL_DATA_DIR"] = str(data)
    from geo.scope_token import sign_scope
    from geo.tiles import version_of, folder_stamp
    folder = data.resolve()
    version = version_of(str(folder), folder_stamp(folder))
    info = pyogrio.read_info(folder / "units.gpkg")
    minx, miny, maxx, maxy = info["total_bounds"]
    to_wgs84 = Transformer.from_crs(info["crs"], 4326, always_xy=True)
    lon, lat = to_wgs84.transform((minx + maxx) / 2, (miny + maxy) / 2)
    cx, cy = tile_of(lon, lat, z)
    token = sign_scope(SECRET, "")
    return [f"/tiles/{version}/village/{z}/{x}/{y}.pbf?s={token}"
            for x in range(cx - 3, cx + 3) for y in range(cy - 2, cy + 2)]


async def _fetch(reader, writer, host: str, path: str) -> int:
    """One keep-alive GET on an open connection; returns the status (body read and dropped)."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: gzip\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while (size := int((await reader.readuntil(b"\r\n")).strip(), 16)):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    if headers.get("connection", "").lower() == "close":
        raise ConnectionResetError("server closed the connection")
    return status


async def hammer(base: str, paths: list[str], total: int, connections: int) -> dict:
    """`total` GETs of `paths` (round robin) over `connections` keep-alive connections; latency per
    request. A minimal HTTP/1.1 client on asyncio streams: httpx itself needed ~4 ms of CPU per
    request at 50 connections and became the bottleneck on this 2-core machine."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors: list[str] = []
    queue: asyncio.Queue[str] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(paths[i % len(paths)])

    async def worker() -> None:
        reader = writer = None
        while not queue.empty():
            path = queue.get_nowait()
            start = time.perf_counter()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, int(port))
                status = await asyncio.wait_for(_fetch(reader, writer, f"{host}:{port}", path), timeout=30)
                if status != 200:
                    errors.append(f"{status} {path}")
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as error:
                errors.append(f"{type(error).__name__} {path}")
                if writer is not None:
                    writer.close()
                reader = writer = None
            latencies.append(time.perf_counter() - start)
        if writer is not None:
            writer.close()

    start = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(connections))), timeout=300)
    wall = time.perf_counter() - start
    return {"tiles/s": total / wall, "p50 ms": statistics.median(latencies) * 1000,
            "p95 ms": percentile(latencies, 0.95) * 1000, "errors": len(errors), "requests": total,
            "first errors": errors[:3]}


async def tile_phase(cluster: Cluster, data: Path, total: int, connections: int) -> dict:
    paths = screen_of_tiles(data)
    for address in cluster.replicas:   # fill every replica's tile cache first
        for path in paths:
            with urllib.request.urlopen(f"http://{address}{path}", timeout=300) as response:
                response.read()
    direct = next(iter(cluster.replicas))
    return {"through nginx": await hammer(cluster.url, paths, total, connections),
            f"direct {direct}": await hammer(f"http://{direct}", paths, total, connections),
            "screen tiles": len(paths)}


# --------------------------------------------------------------------------- report

def run(name: str, data: Path, villages: int, args) -> None:
    views = [("landing", "/", 7), ("village view", "/exit_map?level=village&year=2020", villages)]
    print(f"\n## {name} ({villages:,} villages), load average before: {os.getloadavg()[0]:.2f}", flush=True)
    cluster = Cluster(data)
    try:
        result = None if args.only == "tiles" else asyncio.run(browser_phase(cluster, views, args.sessions, args.rounds))
        tiles = None if args.only == "browsers" else asyncio.run(
            tile_phase(cluster, data, args.tile_requests, args.connections))
    finally:
        cluster.stop()
    if result:
        report_browsers(result, views, args)
    if tiles:
        report_tiles(tiles, args)
    print(f"load average after: {os.getloadavg()[0]:.2f}", flush=True)


def report_browsers(result: dict, views: list[tuple[str, str, int]], args) -> None:
    print(f"\n{args.sessions} concurrent sessions on {len(result['rss_lone'])} replicas vs one lone "
          f"session; {args.rounds} rounds each (n = {args.rounds} lone, {args.rounds * args.sessions} concurrent)")
    print("| view | lone p50 s | lone p95 s | concurrent p50 s | concurrent p95 s | p95 ratio (target <= 2x) |")
    print("|---|---|---|---|---|---|")
    for view, *_ in views:
        lone, together = result["lone"][view], result["together"][view]
        ratio = percentile(together, 0.95) / percentile(lone, 0.95)
        print(f"| {view} | {statistics.median(lone):.2f} | {percentile(lone, 0.95):.2f} | "
              f"{statistics.median(together):.2f} | {percentile(together, 0.95):.2f} | "
              f"{ratio:.2f}x {'ok' if ratio <= 2 else 'MISSED'} |")
    errors = result["errors"]
    print(f"\nerrors (target 0): {errors.total()} — HTTP>=400/blocked {len(errors.http)}, console/page "
          f"{len(errors.console)}, websocket {len(errors.websocket)}")
    for line in (errors.http + errors.console + errors.websocket)[:5]:
        print("  ", line[:200])
    print("server RSS per replica (GB), after the lone sessions -> after the concurrent ones: " + ", ".join(
        f"{a} {result['rss_lone'][a]:.2f} -> {result['rss_together'][a]:.2f}" for a in result["rss_lone"]))
    print("\nCPU seconds per session (both views), and the share of 2 cores the phase got:")
    print("| phase | replicas | nginx | chromium | total per session | wall per phase s | CPU used / (2 cores x wall) |")
    print("|---|---|---|---|---|---|---|")
    for phase in ("lone", "together"):
        used, n = result["cpu"][phase], result["sessions"][phase]
        replicas = sum(v for k, v in used.items() if k not in ("nginx", "chromium"))
        total = sum(used.values())
        wall = result["wall"][phase]
        print(f"| {phase} | {replicas / n:.2f} | {used['nginx'] / n:.2f} | {used['chromium'] / n:.2f} | "
              f"{total / n:.2f} | {wall:.1f} | {total / (2 * wall):.0%} |")
    lone_cpu = sum(result["cpu"]["lone"].values()) / result["sessions"]["lone"]
    batch_cpu = sum(result["cpu"]["together"].values()) / result["sessions"]["together"] * args.sessions
    print(f"CPU floor: {args.sessions} concurrent sessions need {batch_cpu:.1f} CPU-s, at least "
          f"{batch_cpu / 2:.1f} s on 2 idle cores, against {lone_cpu:.1f} CPU-s for a lone session "
          f"(floor ratio {batch_cpu / 2 / lone_cpu:.2f}x when a lone session is CPU-bound)")


def report_tiles(tiles: dict, args) -> None:
    print(f"\ntile route from cache: {tiles['screen tiles']} village tiles of one screen (z10), "
          f"{args.tile_requests} requests, {args.connections} connections, Accept-Encoding gzip")
    print("| target | tiles/s (target >= 200) | p50 ms | p95 ms | errors |")
    print("|---|---|---|---|---|")
    for target, row in tiles.items():
        if isinstance(row, dict):
            print(f"| {target} | {row['tiles/s']:.0f} {'ok' if row['tiles/s'] >= 200 else 'MISSED'} | "
                  f"{row['p50 ms']:.1f} | {row['p95 ms']:.1f} | {row['errors']} {row['first errors'] or ''} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tile-requests", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--only", choices=("browsers", "tiles"), help="run one part only")
    parser.add_argument("--data", choices=("demo", "province", "both"), default="demo",
                        help="the demo, the synthetic province (var/bench/province; built with bench/synth.py "
                             "if missing), or both")
    args = parser.parse_args()
    if args.data in ("demo", "both"):
        run("demo", ROOT / "data" / "demo", 3001, args)
    if args.data in ("province", "both"):
        province = ROOT / "var" / "bench" / "province"
        if not (province / "sites.csv").is_file():
            subprocess.run([sys.executable, str(ROOT / "bench" / "synth.py"), "province", str(province)],
                           cwd=ROOT, check=True)
        run("province", province, 51017, args)


if __name__ == "__main__":
    main()
