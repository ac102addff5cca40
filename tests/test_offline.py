"""layers.offline: folium maps reference only the vendored assets, unknown external assets fail
loudly, and exports inline everything."""
from __future__ import annotations

import re

import branca.colormap
import folium
import folium.plugins
import pytest

from layers import offline
from layers.offline import (
    JQUERY_JS,
    LEAFLET_CSS,
    LEAFLET_JS,
    MARKERCLUSTER_JS,
    STATIC_DIR,
    STATIC_URL,
    external_urls,
    inline_assets,
    make_offline,
)

POLYGON = {"type": "FeatureCollection", "features": [{
    "type": "Feature", "properties": {"name": "甲县"},
    "geometry": {"type": "Polygon",
                 "coordinates": [[[110.0, 30.0], [110.5, 30.0], [110.5, 30.5], [110.0, 30.0]]]}}]}


def small_map() -> folium.Map:
    """GeoJson polygon with tooltip, a MarkerCluster with default markers, a CircleMarker."""
    m = folium.Map(location=[30.2, 110.2], zoom_start=8, tiles=None, maxZoom=18)
    folium.GeoJson(POLYGON, tooltip=folium.GeoJsonTooltip(["name"], aliases=["名称"])).add_to(m)
    cluster = folium.plugins.MarkerCluster().add_to(m)
    folium.Marker([30.1, 110.1]).add_to(cluster)
    folium.CircleMarker([30.3, 110.3], radius=5).add_to(m)
    return m


def rendered(m: folium.Map) -> str:
    return m.get_root().render()


def local_urls(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)=["'](/app/static/[^"']+)""", html)


def test_offline_map_references_only_vendored_files():
    html = rendered(make_offline(small_map()))
    assert external_urls(html) == []
    urls = local_urls(html)
    assert {LEAFLET_JS, LEAFLET_CSS, MARKERCLUSTER_JS} <= set(urls)
    for url in urls:
        assert (STATIC_DIR / url.removeprefix(STATIC_URL)).is_file(), url


def test_unmodified_map_lists_the_cdn_assets():
    """The guard itself: folium's defaults are all found (5 hosts, 4 JS + 6 CSS)."""
    urls = external_urls(rendered(small_map()))
    assert len(urls) == 13  # folium.Map's 10 + MarkerCluster's 3
    assert {re.match(r"https://([^/]+)", u).group(1) for u in urls} == {
        "cdn.jsdelivr.net", "code.jquery.com", "cdnjs.cloudflare.com", "netdna.bootstrapcdn.com"}


def test_class_defaults_are_not_mutated():
    before = (list(folium.Map.default_js), list(folium.plugins.MarkerCluster.default_css))
    make_offline(small_map()).get_root().render()
    assert (folium.Map.default_js, folium.plugins.MarkerCluster.default_css) == before


def test_children_added_later_are_covered():
    m = make_offline(folium.Map(tiles=None, maxZoom=18))
    group = folium.FeatureGroup()
    folium.plugins.MarkerCluster().add_to(group)
    group.add_to(m)  # as st_folium does with feature_group_to_add
    assert group._children and all(
        not offline.is_external(url) for child in group._children.values()
        for _, url in child.default_js + child.default_css)
    assert external_urls(rendered(m)) == []


def test_links_appended_after_make_offline_are_kept():
    m = make_offline(folium.Map(tiles=None))
    m.default_js = [*m.default_js, ("portal_js", STATIC_URL + "portal/portal.js")]
    rendered(m)
    assert ("portal_js", STATIC_URL + "portal/portal.js") in m.default_js


def test_jquery_only_for_maps_that_use_it():
    plain = make_offline(small_map())
    assert JQUERY_JS not in local_urls(rendered(plain))
    with_popup = make_offline(small_map())
    folium.CircleMarker([30.0, 110.0], popup="弹出").add_to(with_popup)
    assert JQUERY_JS in local_urls(rendered(with_popup))
    assert JQUERY_JS in local_urls(rendered(make_offline(small_map(), include=["jquery"])))


def test_include_loads_libraries_up_front():
    m = make_offline(folium.Map(tiles=None), include=["markercluster"])
    assert MARKERCLUSTER_JS in [url for _, url in m.default_js]
    with pytest.raises(ValueError, match="d3"):
        make_offline(folium.Map(tiles=None), include=["d3"])


@pytest.mark.parametrize("add, match", [
    (lambda m: folium.plugins.Fullscreen().add_to(m), r"Fullscreen .*leaflet\.fullscreen"),
    (lambda m: folium.TileLayer("OpenStreetMap").add_to(m),
     r"TileLayer .*tile\.openstreetmap\.org"),
    (lambda m: folium.Marker([30, 110], icon=folium.Icon()).add_to(m), r"Icon .*awesome-markers"),
    (lambda m: branca.colormap.LinearColormap(["red", "blue"]).add_to(m), r"LinearColormap .*d3"),
])
def test_unknown_external_assets_fail_loudly(add, match):
    m = make_offline(folium.Map(tiles=None))
    with pytest.raises(ValueError, match=match):
        add(m)
        rendered(m)


def test_default_tiles_fail_loudly():
    with pytest.raises(ValueError, match="tile.openstreetmap.org"):
        make_offline(folium.Map())


@pytest.mark.parametrize("html, expected", [
    ('<script src="https://a.example/x.js"></script>', ["https://a.example/x.js"]),
    ("<link rel='stylesheet' href='//b.example/y.css'>", ["//b.example/y.css"]),
    ('<img src=http://c.example/i.png>', ["http://c.example/i.png"]),
    ('<style>@import "https://d.example/f.css";</style>', ["https://d.example/f.css"]),
    ("<style>@import url(https://d.example/g.css);</style>", ["https://d.example/g.css"]),
    ("<div style=\"background:url('https://e.example/bg.png')\"></div>",
     ["https://e.example/bg.png"]),
    ('<script>el.innerHTML = "<img src=\'https://f.example/p.gif\'>";</script>',
     ["https://f.example/p.gif"]),
    ('<a href="https://leafletjs.com">Leaflet</a>', []),
    ('<svg xmlns="http://www.w3.org/2000/svg"></svg>', []),
    ('<img src="data:image/png;base64,AAAA"><script src="/app/static/x/y.js"></script>', []),
    ('<script src="https://a.example/x.js"></script><script src="https://a.example/x.js"></script>',
     ["https://a.example/x.js"]),
])
def test_external_urls(html, expected):
    assert external_urls(html) == expected


def test_inline_assets_is_self_contained():
    m = make_offline(small_map())
    folium.CircleMarker([30.0, 110.0], popup="弹出").add_to(m)  # brings jQuery
    out = inline_assets(rendered(m))
    assert STATIC_URL not in out
    assert external_urls(out) == []
    assert "Leaflet 1.9.3" in out and "jQuery v3.7.1" in out and "MarkerClusterGroup" in out
    assert "url(images/" not in out and 'url("data:image/png;base64,' in out
    assert "L.Icon.Default.mergeOptions" in out  # default markers find their images


@pytest.mark.parametrize("html", [
    '<script src="/app/static/missing.js"></script>',
    '<script src="/app/static/../layers/offline.py"></script>',
    '<script>var u = "/app/static/leaflet/leaflet.js";</script>',
])
def test_inline_assets_refuses_what_it_cannot_inline(html):
    with pytest.raises(ValueError):
        inline_assets(html)


def test_every_vendored_file_is_in_licenses():
    licences = (STATIC_DIR / "LICENSES.md").read_text(encoding="utf-8")
    vendored = [p for p in STATIC_DIR.rglob("*")
                if p.is_file() and p.name != "LICENSES.md" and p.parent.name != "portal"]
    assert vendored
    for path in vendored:
        assert f"`{path.relative_to(STATIC_DIR).as_posix()}`" in licences, path
