"""Smoke test of the browser rig against the real portal: the landing page draws its county
polygons with every non-local request blocked, and nothing reports an error."""
from __future__ import annotations


def test_landing_page_draws_map_offline(portal, page, page_log, wait_idle, map_frame,
                                        count_polygons, save_screenshot):
    page.goto(portal.url + "/")
    wait_idle(page)
    frame = map_frame(page)

    assert count_polygons(frame) > 0
    assert frame.evaluate("() => L.version") == "1.9.3"  # the vendored copy
    save_screenshot(page, "landing.png")
    assert page.locator("[data-testid='stException']").count() == 0
    assert page_log.blocked == []
    assert page_log.external == []
    assert page_log.console_errors == []
    assert page_log.page_errors == []
    assert any(url.endswith("/app/static/leaflet/leaflet.js") for url in page_log.requests)
