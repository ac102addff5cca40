"""The base map: no tile layer (offline), canvas renderer, local assets only."""
from __future__ import annotations

from collections.abc import Sequence

import folium
from branca.element import MacroElement, Template

from layers.offline import CONFIGURED_SOURCE, STATIC_URL, make_offline


class MetricScale(MacroElement):
    """A metric-only scale bar (folium's control_scale also draws miles)."""

    _template = Template("""
{% macro script(this, kwargs) %}
L.control.scale({imperial: false, maxWidth: 160}).addTo({{ this._parent.get_name() }});
{% endmacro %}
""")


PORTAL_JS = STATIC_URL + "portal/portal.js"
PORTAL_CSS = STATIC_URL + "portal/portal.css"
# Vector-tile units (layers/vector_layer.py): loaded with every map, since layers that arrive
# later through feature_group_to_add cannot bring scripts of their own.
VECTORGRID_JS = STATIC_URL + "vectorgrid/Leaflet.VectorGrid.bundled.min.js"
VECTOR_JS = STATIC_URL + "portal/vector.js"


def base_map(bounds: Sequence[float], *, height: str = "100%") -> folium.Map:
    """An offline folium map centred on `bounds` (minx, miny, maxx, maxy in EPSG:4326), with the
    portal's own layer script. No tiles: the portal runs on intranets without a tile server.

    Keep its arguments constant per dataset: streamlit-folium rebuilds the iframe whenever the
    base map's script changes; views change layers, centre and zoom instead."""
    minx, miny, maxx, maxy = bounds
    # No fit_bounds here: on a first load it can run after the layers' own fit (static/portal/
    # portal.js fits the map to every new view layer) and undo it.
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=8, tiles=None,
                   prefer_canvas=True, zoom_snap=0.25, height=height, attributionControl=False)
    m.add_child(MetricScale())
    m = make_offline(m)
    m.default_js = [*m.default_js, ("portal_js", PORTAL_JS), ("vectorgrid_js", VECTORGRID_JS),
                    ("portal_vector_js", VECTOR_JS)]
    m.default_css = [*m.default_css, ("portal_css", PORTAL_CSS)]
    return m


# Hosts and words of tile services in GCJ-02 (or Baidu's BD-09): their tiles are shifted by
# hundreds of metres against CGCS2000 / WGS-84 overlays such as the portal's boundaries.
SHIFTED_SOURCES = ("autonavi", "amap", "gaode", "map.qq", "gtimg", "tencent", "gcj", "baidu", "bdimg",
                   "bdstatic")


def shifted_source(url: str) -> bool:
    """True when a tile URL names a GCJ-02 / BD-09 service (overlays would be off)."""
    low = url.lower()
    return any(word in low for word in SHIFTED_SOURCES)


def with_basemap(m: folium.Map, url: str, attribution: str) -> folium.Map:
    """`m` with a basemap from the deployment's own tile service (`tile_url`, e.g. 天地图 政务版
    on the intranet) under every overlay, and its attribution shown. Added after make_offline on
    purpose: an administrator-configured tile server is the one external source the live map
    may use; exports stay tile-free. Returns `m` unchanged for an empty url."""
    if not url:
        return m
    host = url.split("/")[2] if "//" in url else url
    tiles = folium.TileLayer(tiles=url, attr=attribution or host, name="basemap", overlay=False,
                             control=False, max_zoom=18)
    setattr(tiles, CONFIGURED_SOURCE, True)   # the offline check lets exactly this one through
    tiles.add_to(m)
    m.options["attributionControl"] = True
    return m
