"""Vector-tile mode of the map pages: when to use it, the tile URLs with the viewer's signed region
scope, and the layer. Large views (a province's villages) are drawn from tiles served by
serve/tile_routes.py; small ones (counties, one county's villages) stay GeoJSON, which is cheaper
below `tile_min_features` units (bench/bench_tiles.py measures both)."""
from __future__ import annotations

import time
from collections.abc import Sequence

import folium
import numpy as np
import shapely
import streamlit as st

from access.scope import scope_prefix
from geo import pg, settings
from geo.schema import CODE, LEVEL
from geo.scope_token import sign_scope
from geo.tiles import REGISTRY, version_of
from geo.view import View
from layers.palette import FLAG_COLOR, NO_DATA_COLOR
from layers.styling import Styled
from layers.units_layer import LayerStyle
from layers.vector_layer import TileSpec, vector_group
from layers.view_layer import legend_for
from serve.tile_routes import tile_secret
from ui import auth, cache
from ui.text import t

TOKEN_STEP_S = 3600          # tokens are re-signed hourly, so a view's layer script stays constant
TOKEN_TTL_S = 12 * 3600


def use_tiles(count: int, *, close_up: bool = False) -> bool:
    """Tile mode for views of at least `tile_min_features` units (never for close-ups)."""
    return not close_up and count >= settings.get("tile_min_features")


def viewer_scope() -> str:
    """The viewer's region scope as a code prefix ("" = all), from the login (ui.auth)."""
    return scope_prefix(auth.scope())


def scope_token(scope: str) -> str:
    """A signed scope token, stable within TOKEN_STEP_S (so reruns do not change the map)."""
    now = (time.time() // TOKEN_STEP_S) * TOKEN_STEP_S
    return sign_scope(tile_secret(), scope, ttl_s=TOKEN_TTL_S + TOKEN_STEP_S, now=now)


@st.cache_resource(show_spinner=False, max_entries=6)
def _level(folder: str, files: tuple, level: str) -> tuple[tuple[str, ...], float]:
    # the whole dataset's codes and shapes: tiles are cut per version for everyone, the scope
    # token of each request decides which features leave the server (serve.tile_routes)
    if folder.startswith(pg.KEY_PREFIX):   # PostGIS: codes and sizes by SQL, no geometry here
        return pg.level_summary(folder[len(pg.KEY_PREFIX):], level)
    units = cache.full_bundle(folder, files).units
    codes = tuple(sorted(units.loc[units[LEVEL] == level, CODE].astype(str)))
    display = cache.full_display(folder, files, level)
    area = float(np.median(shapely.area(display.geometry.values))) if len(display) else 1.0
    lat = float(np.median(shapely.get_y(shapely.centroid(display.geometry.values)))) if len(display) else 0.0
    # median unit diameter in Web Mercator pixels at zoom 0 (256 px per 360 degrees)
    unit_px0 = float(np.sqrt(area) * 256 / 360 / max(np.cos(np.radians(lat)), 0.1))
    if not folder.startswith(pg.KEY_PREFIX):  # PostGIS makes its own tiles (ST_AsMVT)
        # warm this process's tile set with the geometry the page already simplified
        REGISTRY.get(version_of(folder, files), level, lambda: display, cache.file_bands(folder, level),
                     cache.file_prebuilt(folder, level))
    return codes, unit_px0


def level_spec(level: str, *, scope: str | None = None) -> TileSpec:
    """Tile URLs (with the viewer's signed scope unless `scope` is given) and code order."""
    folder, files = cache.file_key()
    codes, unit_px0 = _level(folder, files, level)
    token = scope_token(viewer_scope() if scope is None else scope)
    base = f"/tiles/{version_of(folder, files)}/{level}"
    return TileSpec(url=base + "/{z}/{x}/{y}.pbf?s=" + token, index_url=base + "/index.json?s=" + token,
                    layer=level, codes=codes, unit_px0=unit_px0)


def vector_layer(table: dict, styled: Styled, view: View, *,
                 bounds: Sequence[float] | None) -> folium.FeatureGroup:
    """The view's vector-tile feature group with its counted legend."""
    style = LayerStyle(colors=styled.colors or ("#cccccc",), no_data_color=NO_DATA_COLOR,
                       flag_color=FLAG_COLOR)
    legend = legend_for(styled, count_format=t("legend.count", label="{label}", count="{count}"),
                        no_data_label=t("status.no_data"))
    return vector_group(level_spec(view.level), table, name=t(f"indicator.{view.indicator}"), style=style,
                        legend=legend, flag_text=t("flag.tooltip"), selected=view.selected, bounds=bounds)
