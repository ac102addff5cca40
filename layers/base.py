"""The base map: no tile layer (offline), canvas renderer, local assets only."""
from __future__ import annotations

from collections.abc import Sequence

import folium

from layers.offline import make_offline


def base_map(bounds: Sequence[float], *, height: str = "100%") -> folium.Map:
    """An offline folium map fitted to `bounds` (minx, miny, maxx, maxy in EPSG:4326).

    No tiles by default: the portal runs on intranets without a tile server."""
    minx, miny, maxx, maxy = bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        zoom_snap=0.25,
        height=height,
    )
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return make_offline(m)
