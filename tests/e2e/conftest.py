"""Browser rig: the real portal on a free port, Debian's Chromium through Playwright, no internet.

Fixtures
- `portal` (session): the portal started once; `portal.url`.
- `start_portal` (function): factory for a FRESH server (e.g. a deep link opened first after a
  server start); stopped after the test.
- `browser` (session), `page` + `page_log` (function, new context per test): every request that
  is not to a portal started by this rig is aborted and recorded in `page_log.blocked`; all
  request URLs, console errors and page errors are recorded too.
- Helpers, as fixtures that return functions (test modules cannot safely import from a
  conftest): `wait_idle(page)`, `with expect_rerun(page): ...`, `map_frame(page)`,
  `count_polygons(frame)`, `save_screenshot(page, name)` (into artifacts/, git-ignored).

Never runs `playwright install`: Chromium is the Debian package at /usr/bin/chromium.
Set PORTAL_APP_DIR to run the rig against another app folder (rig development only).
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Frame, Page, Playwright, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

REPO_ROOT = Path(__file__).resolve().parents[2]
APP_DIR = Path(os.environ.get("PORTAL_APP_DIR") or REPO_ROOT)
ENTRY = "streamlit_app.py"
CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
STARTUP_TIMEOUT_S = 60
IDLE_TIMEOUT_MS = 60_000
# wait_for_function polls on requestAnimationFrame by default, which Chromium may not run in the
# component iframe (seen: a drawn map "never" appearing for 60 s). Poll on a timer instead, also
# in your own frame.wait_for_function calls.
POLL_MS = 100
ARTIFACTS = REPO_ROOT / "artifacts"

# Portals this rig started, by port: the only places a page may fetch from.
_RUNNING: dict[int, "Portal"] = {}
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
_NON_NETWORK_SCHEMES = {"data", "blob", "about", "javascript"}
_DEEP_LINK_PROBE = re.compile(r"^https?://[^/]+/.+/_stcore/(health|host-config)$")


# --------------------------------------------------------------------------- server

@dataclass
class Portal:
    """A running portal process; `url` ends without a slash."""

    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """Terminate the server (kill after 10 s) and delete its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        _RUNNING.pop(self.port, None)
        self.log_path.unlink(missing_ok=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def launch_portal(app_dir: Path = APP_DIR, *, env: dict[str, str] | None = None) -> Portal:
    """Start `streamlit run` on a free port and wait until /_stcore/health answers.

    Fails the test with the captured output if the process dies or is not healthy in time."""
    if not (app_dir / ENTRY).exists():
        pytest.fail(f"{app_dir / ENTRY} does not exist: the e2e suite runs the portal itself")
    port = _free_port()
    log_path = Path(tempfile.mkstemp(prefix=f"portal-{port}-", suffix=".log")[1])
    command = [sys.executable, "-m", "streamlit", "run", ENTRY, "--server.port", str(port),
               "--server.headless", "true"]
    with log_path.open("wb") as log:  # a file, not a pipe: a full pipe would block the server
        process = subprocess.Popen(command, cwd=app_dir, stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
    portal = Portal(port, process, log_path)
    _RUNNING[port] = portal
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not _healthy(port):
        if process.poll() is not None or time.monotonic() > deadline:
            problem = (f"exited with {process.returncode}" if process.poll() is not None
                       else f"not healthy after {STARTUP_TIMEOUT_S} s")
            output = portal.log()
            portal.stop()
            pytest.fail(f"portal {problem} during startup; its output:\n{output}")
        time.sleep(0.2)
    return portal


@pytest.fixture(scope="session")
def portal() -> Iterator[Portal]:
    """The portal, started once for the session."""
    running = launch_portal()
    yield running
    running.stop()


# --------------------------------------------------------------------------- PostGIS backend

from tests.scale.conftest import pg_cluster  # noqa: E402,F401  (the test cluster, shared)


@pytest.fixture
def pg_env(pg_cluster, monkeypatch) -> dict[str, str]:
    """Environment of a portal on the PostGIS backend: the bundled demo published (as demo data,
    so the demo notice shows) into a fresh schema of the test cluster. Pass it to start_portal."""
    import psycopg

    from geo import pg, schema
    from tests.test_demo_data import DEMO
    with psycopg.connect(pg_cluster.dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS portal CASCADE")
    monkeypatch.setenv("PORTAL_PG_DSN", pg_cluster.dsn)
    pg.store().ensure_schema()
    pg.store().publish(DEMO, source="demo", meta={"demo_kinds": list(schema.FILES)})
    return {"PORTAL_BACKEND": "postgis", "PORTAL_PG_DSN": pg_cluster.dsn}


@pytest.fixture
def start_portal() -> Iterator[Callable[..., Portal]]:
    """Factory for a freshly started portal (stopped after the test)."""
    started: list[Portal] = []

    def start(**kwargs) -> Portal:
        started.append(launch_portal(**kwargs))
        return started[-1]

    yield start
    for running in started:
        running.stop()


# --------------------------------------------------------------------------- browser

@dataclass
class PageLog:
    """What a page did: `blocked` requests (aborted because not local), every request URL,
    websocket URLs, console messages of type error and uncaught page errors. Only Streamlit's
    known deep-link probe 404s are set aside, in `ignored_console_errors`."""

    blocked: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    ignored_console_errors: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        entry = f"{message.text} @ {url}:{message.location.get('lineNumber', '')}"
        # Streamlit probes <page>/_stcore/... before /_stcore/... when a page URL is opened
        # directly (streamlit/streamlit#7074): two harmless 404s per deep link.
        if "404" in message.text and _DEEP_LINK_PROBE.match(url):
            self.ignored_console_errors.append(entry)
        else:
            self.console_errors.append(entry)

    @property
    def external(self) -> list[str]:
        """Every non-local URL seen, blocked or not (websockets included)."""
        return [u for u in [*self.requests, *self.websockets] if not is_local(u)]


def is_local(url: str) -> bool:
    """True for non-network URLs and for a portal this rig started, on its own port."""
    parts = urlsplit(url)
    if parts.scheme in _NON_NETWORK_SCHEMES:
        return True
    return (parts.scheme in {"http", "https", "ws", "wss"}
            and parts.hostname in _LOCAL_HOSTS and parts.port in _RUNNING)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (tests/run.sh does)")
    chromium = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rig_call_failed = report.failed
    return report


def _save_failure(request: pytest.FixtureRequest, page: Page, page_log: PageLog) -> None:
    """artifacts/failures/<test>.png and .txt: what the page showed and logged, and the output
    of the servers still running."""
    folder = ARTIFACTS / "failures"
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
    lines = [f"url: {page.url}"]
    try:
        page.screenshot(path=str(folder / f"{stem}.png"), full_page=True)
        lines.append("page text:\n" + page.inner_text("body", timeout=2000))
    except Exception as error:  # the page may be gone; the log below still helps
        lines.append(f"(no screenshot/text: {error})")
    for name in ("blocked", "console_errors", "page_errors", "ignored_console_errors"):
        lines.append(f"{name}: {getattr(page_log, name)}")
    for running in list(_RUNNING.values()):
        lines.append(f"--- output of portal :{running.port} (last 60 lines)")
        lines += running.log().splitlines()[-60:]
    (folder / f"{stem}.txt").write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Browser, page_log: PageLog) -> Iterator[Page]:
    """A page in a new context that cannot reach anything but the rig's portals. On failure,
    a screenshot, the page text, the page log and the servers' output go to artifacts/failures/."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN",
                                  service_workers="block")
    page = context.new_page()

    def block(route) -> None:
        page_log.blocked.append(route.request.url)
        route.abort("blockedbyclient")

    # Per page, with a URL predicate (PERF_NOTES 8). Checked with Streamlit 1.67: "**/*" with
    # continue() for local requests, at page or context level, did not stall the websocket here
    # either. Playwright never routes websockets: page_log.websockets / external catch those.
    page.route(lambda url: not is_local(url), block)
    page.on("request", lambda request: page_log.requests.append(request.url))
    page.on("websocket", lambda ws: page_log.websockets.append(ws.url))
    page.on("console", page_log.on_console)
    page.on("pageerror", lambda error: page_log.page_errors.append(str(error)))
    page.set_default_timeout(IDLE_TIMEOUT_MS)
    yield page
    if getattr(request.node, "rig_call_failed", False):
        _save_failure(request, page, page_log)
    context.close()


# --------------------------------------------------------------------------- helpers

APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
APP_CONNECTED = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
STATUS_WIDGET = "[data-testid='stStatusWidget']"
MAP_IFRAME = "iframe[title*='streamlit_folium']"


def _wait_idle(page: Page, timeout: float = IDLE_TIMEOUT_MS) -> None:
    """Wait until the app is connected, its script is not running and the running indicator is
    gone. Call after page.goto and after every interaction; right after a click the rerun may not
    have started yet, so wrap interactions in `expect_rerun(page)`, which waits for it."""
    page.wait_for_selector(APP_CONNECTED, state="attached", timeout=timeout)
    page.wait_for_selector(APP_IDLE, state="attached", timeout=timeout)
    page.wait_for_selector(STATUS_WIDGET, state="hidden", timeout=timeout)


_WATCH_RUNS_JS = """() => {
    // Any change of the script state means a run started since (notRunning -> running -> ...).
    window.__rigRuns = 0;
    const app = document.querySelector("[data-testid='stApp']");
    const observer = new MutationObserver(() => { window.__rigRuns += 1; });
    observer.observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
    window.__rigObserver = observer;
}"""


@contextmanager
def _expect_rerun(page: Page, timeout: float = IDLE_TIMEOUT_MS) -> Iterator[None]:
    """`with expect_rerun(page): <interaction>` waits until the interaction has started a
    script run and that run has finished (then as wait_idle)."""
    _wait_idle(page, timeout)
    page.evaluate(_WATCH_RUNS_JS)
    yield
    page.wait_for_function("() => window.__rigRuns > 0", timeout=timeout, polling=POLL_MS)
    page.evaluate("() => window.__rigObserver.disconnect()")
    _wait_idle(page, timeout)


_MAP_SETTLED_JS = """async (quietMs) => {
    // Resolves once the map has had no move/zoom event for quietMs and no animation runs:
    // st_folium applies centre and zoom after creating the map, with an animated zoom.
    const m = window.map;
    let last = performance.now();
    const bump = () => { last = performance.now(); };
    const events = "movestart move moveend zoomstart zoomanim zoom zoomend viewreset resize";
    m.on(events, bump);
    try {
        while (performance.now() - last < quietMs || m._animatingZoom
               || (m._panAnim && m._panAnim._inProgress)) {
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
    } finally {
        m.off(events, bump);
    }
}"""


def _map_frame(page: Page, index: int = 0, timeout: float = IDLE_TIMEOUT_MS) -> Frame:
    """The streamlit-folium component iframe's Frame (title 'streamlit_folium.st_folium'), once
    Leaflet has created the map (`window.map`) and it has stopped moving. Call it again after an
    interaction that moves the map."""
    handle = page.locator(MAP_IFRAME).nth(index).element_handle(timeout=timeout)
    frame = handle.content_frame()
    assert frame is not None, "streamlit-folium iframe has no content frame"
    frame.wait_for_function("() => window.L !== undefined && window.map instanceof window.L.Map",
                            timeout=timeout, polling=POLL_MS)
    frame.evaluate(_MAP_SETTLED_JS, 300)
    return frame


_COUNT_POLYGONS_JS = """(visibleOnly) => {
    if (window.L === undefined) {
        return document.querySelectorAll("path.leaflet-interactive").length;
    }
    // streamlit-folium names its map `window.map`; a plain folium page has `map_<hash>`.
    const maps = new Set();
    for (const key of Object.keys(window)) {
        let value;
        try { value = window[key]; } catch (e) { continue; }
        if (value instanceof L.Map) maps.add(value);
    }
    let count = 0;
    for (const m of maps) {
        // m._layers holds every layer on the map, also those inside groups and GeoJSON layers,
        // whatever the renderer (SVG paths or one canvas).
        for (const layer of Object.values(m._layers)) {
            if (!(layer instanceof L.Polygon) || !layer._map) continue;  // Rectangle is one too
            if (visibleOnly && !(layer._parts && layer._parts.length)) continue;
            count += 1;
        }
    }
    return count;
}"""


def _count_polygons(frame: Frame, *, visible_only: bool = False, wait_for: int | None = None,
                    timeout: float = IDLE_TIMEOUT_MS) -> int:
    """Polygons (one per GeoJSON polygon feature) on the Leaflet map(s) in `frame`, for SVG and
    canvas renderers alike. `visible_only` counts only those intersecting the current view.
    `wait_for=n` first waits until the count is n (the map updates a moment after the script
    run ends) and fails with the last count if it never gets there."""
    if wait_for is not None:
        try:
            frame.wait_for_function(f"(v) => ({_COUNT_POLYGONS_JS})(v) === {int(wait_for)}",
                                    arg=visible_only, timeout=timeout, polling=POLL_MS)
        except PlaywrightTimeoutError:
            got = frame.evaluate(_COUNT_POLYGONS_JS, visible_only)
            raise AssertionError(f"expected {wait_for} polygons, map shows {got}") from None
    return frame.evaluate(_COUNT_POLYGONS_JS, visible_only)


def _save_screenshot(page: Page, name: str) -> Path:
    """Screenshot of the whole app into artifacts/<name> (git-ignored). Streamlit scrolls inside
    its main block, so the viewport is made as tall as the content for the shot."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    size = page.viewport_size
    height = page.evaluate("""() => {
        const main = document.querySelector("[data-testid='stMain']");
        return main ? main.scrollHeight : document.body.scrollHeight;
    }""")
    if size and height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": min(int(height), 6000)})
    try:
        page.screenshot(path=str(path), full_page=True)
    finally:
        if size:
            page.set_viewport_size(size)
    return path


@pytest.fixture(name="wait_idle")
def wait_idle_fixture() -> Callable[..., None]:
    return _wait_idle


@pytest.fixture(name="expect_rerun")
def expect_rerun_fixture() -> Callable[..., AbstractContextManager[None]]:
    return _expect_rerun


@pytest.fixture(name="map_frame")
def map_frame_fixture() -> Callable[..., Frame]:
    return _map_frame


@pytest.fixture(name="count_polygons")
def count_polygons_fixture() -> Callable[..., int]:
    return _count_polygons


@pytest.fixture(name="save_screenshot")
def save_screenshot_fixture() -> Callable[[Page, str], Path]:
    return _save_screenshot
