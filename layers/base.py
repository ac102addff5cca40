"""The base map: no tile layer (offline), canvas renderer, local assets only."""
from __future__ import annotations

from collections.abc import Sequence

import folium
from branca.element import MacroElement, Template

from layers.offline import STATIC_URL, make_offline


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
