"""In a real browser: an unexpected error is a Chinese message with an id (no traceback, no server
path), the id and traceback are in the server log; names that are Markdown/HTML payloads are text
on every page (no request leaves, no link to the payload's host, no dialog)."""
from __future__ import annotations

import re
from pathlib import Path

from tests import markup, tiny
from ui.escape import JOINER
from ui.text import t

MESSAGE = re.compile(re.escape(t("error.unexpected", id="IDX")).replace("IDX", "([0-9a-f]{10})"))


def assert_clean(page_log):
    assert page_log.blocked == [], page_log.blocked
    assert page_log.external == []
    assert page_log.page_errors == [], page_log.page_errors


def test_unexpected_error_shows_an_id_not_a_traceback(start_portal, tmp_path: Path, page, page_log,
                                                      wait_idle, save_screenshot):
    rows = tiny.exit_rows()
    rows[1]["registered_poor"] = "1" + "0" * 30        # overflows the reader: not a DataError
    folder = tiny.write_folder(tmp_path / "huge", exit_status=tiny.table(rows, "exit_status"))
    server = start_portal(env={"PORTAL_DATA_DIR": str(folder)})
    for path in ("/", "/exit_map"):
        page.goto(server.url + path)
        wait_idle(page)
        body = page.locator("[data-testid='stMain']").inner_text()
        match = MESSAGE.search(body)
        assert match, body
        for leak in ("Traceback", "OverflowError", str(Path(__file__).parents[2]), ".py", "File \""):
            assert leak not in body, leak
        assert page.locator("[data-testid='stException']").count() == 0
        log = server.log()
        assert f"id={match.group(1)}" in log and "Traceback" in log and "OverflowError" in log
    save_screenshot(page, "unexpected_error.png")
    assert_clean(page_log)


URLS = (
    "/",
    f"/exit_map?level=village&region={tiny.TOWNS[0]}&year=2019",
    f"/exit_map?level=township&region={tiny.COUNTY}&year=2019",
    f"/relocation?region={tiny.COUNTY}",
    f"/services?region={tiny.TOWNS[1]}&selected={tiny.VILLAGES[2]}",
    "/data_manage",
    "/about_data",
)


def test_names_from_data_are_text_on_every_page(start_portal, tmp_path: Path, page, page_log, wait_idle,
                                                map_frame, save_screenshot):
    folder = markup.write_folder(tmp_path / "evil")
    server = start_portal(env={"PORTAL_DATA_DIR": str(folder)})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for url in URLS:
        page.goto(server.url + url)
        wait_idle(page)
        if url.startswith(("/exit_map", "/services", "/relocation")) or url == "/":
            map_frame(page)                         # the map drew: the page ran to its end
        for selector in (f"a[href*='{markup.HOST}']", f"img[src*='{markup.HOST}']", "img[src='x']",
                         "[data-testid='stMarkdownContainer'] strong:has-text('粗体')",
                         "[data-testid='stMarkdownContainer'] code:has-text('code')",
                         ".katex"):
            assert page.locator(selector).count() == 0, (url, selector)
        main = page.locator("[data-testid='stAppViewContainer']").inner_text().replace(JOINER, "")
        assert "Traceback" not in main
        if url == "/":
            shown = page.locator("h1").first.inner_text().replace(JOINER, "")
            assert markup.LINK in shown                                         # shown as the text it is
        if url.startswith("/services"):
            assert markup.MATH in main
    save_screenshot(page, "evil_names.png")
    page.goto(server.url + URLS[1])
    wait_idle(page)
    save_screenshot(page, "evil_names_exit_map.png")
    assert dialogs == []
    assert [u for u in page_log.requests if markup.HOST in u] == []
    assert_clean(page_log)
