"""The documented deployment, for real: two portal replicas behind Debian's nginx rendered from
deploy/nginx.conf.template (deploy/portal-cluster.sh render), nginx run as the test user with a
temporary prefix. In Chromium, only through nginx: the landing page draws; a drill-down over
several reruns stays on one replica (X-Upstream header and nginx's access log); the village view
draws from vector tiles fetched through nginx (from the session's replica) with the signed scope
token, and a token signed on one replica is accepted by the other (the shared tile_secret); a second browser lands on the other
replica and works too. Nothing outside nginx's port is ever requested."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pytest

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SECRET = "replicas-test-secret"
QU = "511725000000"
TILE_PATHS_JS = "() => document.querySelectorAll('svg.leaflet-tile path').length"
# Streamlit probes <page>/_stcore/... before /_stcore/... when a page URL is opened directly
# (streamlit/streamlit#7074): two harmless 404s per deep link, set aside as the e2e rig does.
DEEP_LINK_PROBE = re.compile(r"^https?://[^/]+/.+/_stcore/(health|host-config)$")
ACCESS_LINE = re.compile(r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) \d+ '
                         r'upstream=(?P<upstream>\S+) sticky="(?P<sticky>[^"]*)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Nginx:
    """nginx in front of the replicas; `url` ends without a slash."""

    port: int
    prefix: Path
    process: subprocess.Popen
    replicas: dict[str, str]        # "127.0.0.1:port" -> replica URL

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def access(self) -> list[dict[str, str]]:
        """Parsed access-log lines: method, path, status, upstream, sticky (the cookie id)."""
        text = (self.prefix / "logs" / "access.log").read_text(encoding="utf-8")
        rows = []
        for line in text.splitlines():
            match = ACCESS_LINE.search(line)
            if match:
                row = match.groupdict()
                row["sticky"] = row["sticky"].strip("-")  # "-" marks the empty half (got or set)
                rows.append(row)
        return rows


@pytest.fixture
def cluster(start_portal) -> Iterator[Nginx]:
    """Two replicas (shared tile_secret, village view forced onto tiles) behind nginx."""
    env = {"PORTAL_TILE_SECRET": SECRET, "PORTAL_TILE_MIN_FEATURES": "1000"}
    replicas = [start_portal(env=env) for _ in range(2)]
    # a world-traversable prefix: run as root, nginx's workers drop to `nobody`
    prefix = Path(tempfile.mkdtemp(prefix="portal-nginx-"))
    prefix.chmod(0o755)
    port = _free_port()
    command = ["bash", str(ROOT / "deploy" / "portal-cluster.sh"), "render", "--prefix", str(prefix),
               "--listen", f"127.0.0.1:{port}"]
    for replica in replicas:
        command += ["--replica", f"127.0.0.1:{replica.port}"]
    conf = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    error_log = prefix / "logs" / "error.log"
    process = subprocess.Popen([NGINX, "-p", str(prefix), "-c", conf, "-e", str(error_log),
                                "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    nginx = Nginx(port, prefix, process, {f"127.0.0.1:{r.port}": r.url for r in replicas})
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(nginx.url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, OSError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log = error_log.read_text() if error_log.exists() else ""
            process.kill()
            pytest.fail(f"nginx did not come up (exit {process.poll()}):\n{log}")
        time.sleep(0.1)
    yield nginx
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    shutil.rmtree(prefix, ignore_errors=True)


@dataclass
class Seen:
    """What one browser context did: replicas that answered it, requests, errors, tile fetches."""

    upstreams: list[str] = field(default_factory=list)           # of every response but tiles
    requests: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    tiles: list[tuple[str, int, str]] = field(default_factory=list)   # (url, status, upstream)


def open_context(browser, nginx: Nginx):
    """A browser context that may talk to nginx's port only (everything else aborted, recorded)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN",
                                  service_workers="block")
    seen = Seen()
    allowed = re.compile(rf"^(https?|wss?)://127\.0\.0\.1:{nginx.port}/")

    def block(route) -> None:
        seen.blocked.append(route.request.url)
        route.abort("blockedbyclient")

    def on_response(response) -> None:
        if DEEP_LINK_PROBE.match(response.url):
            return
        upstream = response.headers.get("x-upstream", "")
        if "/tiles/" in response.url:
            seen.tiles.append((response.url, response.status, upstream))
        elif upstream:
            seen.upstreams.append(upstream)
        if response.status >= 400:
            seen.failed.append(f"{response.status} {response.url}")

    context.route(lambda url: not (allowed.match(url) or url.startswith(("data:", "blob:", "about:"))), block)
    context.on("response", on_response)
    context.on("request", lambda request: seen.requests.append(request.url))
    page = context.new_page()
    page.on("websocket", lambda ws: seen.websockets.append(ws.url))
    def on_console(message) -> None:
        url = message.location.get("url", "")
        if message.type == "error" and not ("404" in message.text and DEEP_LINK_PROBE.match(url)):
            seen.errors.append(f"{message.text} @ {url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.set_default_timeout(60_000)
    return context, page, seen


def sticky_replica(context, nginx: Nginx) -> str:
    """The replica nginx pins this context to (its first response sets the cookie)."""
    response = context.request.get(nginx.url + "/_stcore/health")
    assert response.ok
    return response.headers["x-upstream"]


def click_at(page, frame, point) -> None:
    xy = frame.evaluate("([lat, lng]) => { const p = window.map.latLngToContainerPoint([lat, lng]);"
                        " return [p.x, p.y]; }", [point.y, point.x])
    box = page.locator("iframe[title*='streamlit_folium']").first.bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])


def assert_clean(seen: Seen, nginx: Nginx) -> None:
    assert seen.blocked == [], seen.blocked
    assert seen.errors == [], seen.errors
    assert seen.failed == [], seen.failed
    assert all(u.startswith((nginx.url, f"ws://127.0.0.1:{nginx.port}/")) for u in seen.websockets)
    assert seen.requests and all(u.startswith(nginx.url) or u.startswith(("data:", "blob:"))
                                 for u in seen.requests)


@pytest.fixture(scope="module")
def units():
    return gpd.read_file(ROOT / "data" / "demo" / "units.gpkg", engine="pyogrio").to_crs(4326)


def test_two_replicas_behind_nginx(cluster, browser, wait_idle, expect_rerun, map_frame, count_polygons,
                                   save_screenshot, units):
    nginx = cluster
    context, page, seen = open_context(browser, nginx)
    home = sticky_replica(context, nginx)
    assert home in nginx.replicas

    # landing page through nginx: KPI cards and the 7 counties drawn
    page.goto(nginx.url + "/?year=2018")
    wait_idle(page)
    assert count_polygons(map_frame(page), wait_for=7) == 7
    save_screenshot(page, "replicas_landing.png")

    # drill-down over several reruns in one session: county -> townships -> villages -> a year back
    page.locator("iframe[title*='streamlit_folium']").first.scroll_into_view_if_needed()
    frame = map_frame(page)
    click_at(page, frame, units.loc[units.code == QU].geometry.iloc[0].representative_point())
    page.get_by_role("button", name="在退出进度中查看下级单位").click()   # the county's panel opens its townships
    page.wait_for_function("() => location.pathname.endsWith('/exit_map')"
                           f" && location.search.includes('region={QU}')", polling=100)
    wait_idle(page)
    frame = map_frame(page)
    towns = units[(units.level == "township") & (units.parent_code == QU)]
    assert count_polygons(frame, wait_for=len(towns)) == len(towns)
    town = towns.sort_values("code").iloc[10]
    page.locator("iframe[title*='streamlit_folium']").first.scroll_into_view_if_needed()
    frame = map_frame(page)
    with expect_rerun(page):
        click_at(page, frame, town.geometry.representative_point())
    page.wait_for_function(f"() => location.search.includes('region={town.code}')", polling=100)
    wait_idle(page)
    villages = units[(units.level == "village") & (units.parent_code == town.code)]
    assert count_polygons(map_frame(page), wait_for=len(villages)) == len(villages)
    slider = page.get_by_role("slider").first
    slider.focus()
    with expect_rerun(page):
        page.keyboard.press("ArrowLeft")
    wait_idle(page)
    assert "year=2017" in page.url and f"region={town.code}" in page.url
    assert count_polygons(map_frame(page), wait_for=len(villages)) == len(villages)
    # one websocket, never reconnected, and every response from the same replica
    assert len(seen.websockets) == 1
    assert set(seen.upstreams) == {home}, set(seen.upstreams)

    # the whole village level (3,001 units, forced onto tiles): tiles come through nginx with the token
    page.goto(nginx.url + "/exit_map?level=village&year=2018")
    wait_idle(page)
    frame = map_frame(page)
    frame.wait_for_function(f"() => ({TILE_PATHS_JS})() >= 3001", timeout=90_000, polling=100)
    frame.wait_for_function("() => performance.getEntriesByType('resource')"
                            ".some(e => e.name.split('?')[0].endsWith('/index.json'))", polling=100)
    pbf = [(u, s, up) for u, s, up in seen.tiles if u.split("?")[0].endswith(".pbf")]
    assert pbf and all(s == 200 and "?s=" in u for u, s, _ in pbf), pbf[:5]
    assert any(u.split("?")[0].endswith("/index.json") and s == 200 for u, s, _ in seen.tiles)
    save_screenshot(page, "replicas_village_tiles.png")
    # tiles follow the session's replica (its tile set is warm), like everything else
    assert set(seen.upstreams) == {home} and len(seen.websockets) == 2
    assert {up for _, _, up in seen.tiles} == {home}
    assert_clean(seen, nginx)

    # the token signed by the page's replica is accepted by BOTH replicas (shared tile_secret);
    # through nginx the route's own gzip passes unchanged (no second compression), a forged token is refused
    tile_url = pbf[0][0]
    path = tile_url[len(nginx.url):]
    for replica_url in nginx.replicas.values():
        with urllib.request.urlopen(replica_url + path, timeout=30) as response:
            assert response.status == 200 and len(response.read()) > 0
    request = urllib.request.Request(tile_url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
        assert response.headers.get("Content-Encoding") in (None, "gzip")
        if response.headers.get("Content-Encoding") == "gzip":
            assert body[:2] == b"\x1f\x8b"
    forged = re.sub(r"s=[^&]+", "s=AAAA.BBBB", tile_url)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, timeout=30)
    assert refused.value.code == 403

    # a second browser: contexts get a new cookie each; take one that nginx pins to the other replica
    other = None
    for _ in range(12):   # each new cookie lands on either replica (hash): 2^-12 to never see the other
        context_b, page_b, seen_b = open_context(browser, nginx)
        if sticky_replica(context_b, nginx) != home:
            other = (context_b, page_b, seen_b)
            break
        context_b.close()
    assert other is not None, "every new browser landed on the same replica"
    context_b, page_b, seen_b = other
    page_b.set_viewport_size({"width": 1366, "height": 768})
    page_b.goto(nginx.url + "/exit_map?level=township&region=" + QU + "&year=2018")
    wait_idle(page_b)
    assert count_polygons(map_frame(page_b), wait_for=len(towns)) == len(towns)
    slider = page_b.get_by_role("slider").first
    slider.focus()
    with expect_rerun(page_b):
        page_b.keyboard.press("ArrowLeft")
    wait_idle(page_b)
    assert count_polygons(map_frame(page_b), wait_for=len(towns)) == len(towns)
    page_b.screenshot(path=str(ROOT / "artifacts" / "replicas_second_browser_1366.png"))
    assert set(seen_b.upstreams) == {next(r for r in nginx.replicas if r != home)}
    assert_clean(seen_b, nginx)

    # nginx's own log agrees: each browser's cookie went to one replica only; both replicas served
    by_cookie: dict[str, set[str]] = {}
    for row in nginx.access():
        if row["sticky"]:
            by_cookie.setdefault(row["sticky"], set()).add(row["upstream"])
    assert all(len(upstreams) == 1 for upstreams in by_cookie.values()), by_cookie
    assert {u for upstreams in by_cookie.values() for u in upstreams} == set(nginx.replicas)
    websocket_rows = [r for r in nginx.access() if r["path"].startswith("/_stcore/stream")]
    assert websocket_rows and all(r["status"] == "101" for r in websocket_rows)
    context_b.close()
    context.close()
    assert os.path.getsize(nginx.prefix / "logs" / "error.log") == 0 or \
        "[error]" not in (nginx.prefix / "logs" / "error.log").read_text()
