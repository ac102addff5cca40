"""Browser test of 易地搬迁 on the tiny site data: markers drawn, a click on a marker opens a
popup with the site's name (hostile names shown as text, never run), every non-local request
blocked, no console errors."""
from __future__ import annotations

import pytest

from tests import tiny_sites

_MARKERS_JS = """() => {
    const out = [];
    window.map.eachLayer(l => {
        if (l instanceof L.CircleMarker && l.feature && l.feature.properties.site_id) {
            const p = window.map.latLngToContainerPoint(l.getLatLng());
            out.push({id: l.feature.properties.site_id, x: p.x, y: p.y});
        }
    });
    return out;
}"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tiny_sites.write_folder(tmp_path_factory.mktemp("e2e-sites"))


def _click_marker(page, frame, site_id, expect_rerun):
    """Click a marker: its popup opens and the page reruns to show the site's panel (waited for,
    so the next click does not land mid-run)."""
    iframe = page.locator("iframe[title*='streamlit_folium']").first
    iframe.scroll_into_view_if_needed()
    page.wait_for_function("() => true")  # let the scroll settle before measuring
    # centre the marker: beside the info panel the map is narrower and the legend (top left)
    # may cover a marker near the corner, as it would for a user, who would pan
    frame.evaluate("""(id) => { window.map.eachLayer(l => {
        if (l instanceof L.CircleMarker && l.feature && l.feature.properties.site_id === id) {
            window.map.panTo(l.getLatLng(), {animate: false}); } }); }""", site_id)
    markers = {m["id"]: m for m in frame.evaluate(_MARKERS_JS)}
    box = iframe.bounding_box()
    origin = frame.evaluate("() => { const r = window.map.getContainer().getBoundingClientRect();"
                            " return {x: r.left, y: r.top}; }")
    marker = markers[site_id]
    with expect_rerun(page):
        page.mouse.click(box["x"] + origin["x"] + marker["x"], box["y"] + origin["y"] + marker["y"])
    frame.wait_for_selector(".leaflet-popup-content .portal-site-title")
    text = frame.locator(".leaflet-popup-content").inner_text()
    frame.evaluate("() => window.map.closePopup()")
    frame.wait_for_function("() => document.querySelectorAll('.leaflet-popup').length === 0")
    return text


def test_markers_and_popups_offline(start_portal, folder, page, page_log, wait_idle, map_frame,
                                    save_screenshot, expect_rerun):
    portal = start_portal(env={"PORTAL_DATA_DIR": str(folder)})
    page.goto(portal.url + "/relocation?year=2019")
    wait_idle(page)
    frame = map_frame(page)
    frame.wait_for_function("() => typeof window.portalSites === 'function'"
                            " && (window.feature_group || []).length >= 2")
    frame.wait_for_function("() => { let n = 0; window.map.eachLayer(l => {"
                            " if (l instanceof L.CircleMarker && l.feature) n++; }); return n > 0; }")
    drawn = {m["id"] for m in frame.evaluate(_MARKERS_JS)}
    # six drawable sites; missing / swapped coordinates are listed, not drawn
    assert drawn == {"S01", "S02", "S03", "S04", "S07", "S08"}

    text = _click_marker(page, frame, "S01", expect_rerun)
    assert "静边一号安置点" in text and "38 / 40" in text and "公里" in text
    title = page.title()
    text = _click_marker(page, frame, "S03", expect_rerun)
    assert tiny_sites.EVIL[0] in text  # shown literally as text
    assert frame.locator(".leaflet-popup-content img").count() == 0
    text = _click_marker(page, frame, "S04", expect_rerun)
    assert tiny_sites.EVIL[1] in text
    assert page.title() == title and frame.evaluate("() => document.title") != "1"
    save_screenshot(page, "relocation_popup.png")

    assert page_log.blocked == []
    assert page_log.external == []
    assert [e for e in page_log.console_errors if "/_stcore/" not in e] == []
    assert page_log.page_errors == []
    assert any("/app/static/portal/sites.js" in url for url in page_log.requests)
    assert any("/app/static/leaflet.markercluster/leaflet.markercluster.js" in url for url in page_log.requests)


def test_markers_cluster_when_zoomed_out(start_portal, folder, page, page_log, wait_idle, map_frame):
    portal = start_portal(env={"PORTAL_DATA_DIR": str(folder)})
    page.goto(portal.url + "/relocation?year=2019")
    wait_idle(page)
    frame = map_frame(page)
    frame.wait_for_function("() => (window.feature_group || []).length >= 2")
    frame.evaluate("() => window.map.setZoom(9, {animate: false})")
    frame.wait_for_selector(".marker-cluster")
    assert frame.locator(".marker-cluster").count() >= 1
    assert page_log.external == []
