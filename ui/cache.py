"""Every st.cache_* of the portal. Cached functions take plain values (folder, stamp, level,
year), never frames; callers treat returned frames as read-only (geo/ never mutates).

Region scope: `key()` ends the stamp with the viewer's scope (ui.auth.scope), and `bundle()`
holds only the units, statistics and sites inside it, so every consumer downstream (maps,
tables, KPIs, search, downloads, exports, packs) sees only in-scope units and no cached result
is shared between viewers of different scope."""
from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

from access.scope import scope_bundle, scope_prefix
from geo import datasets, derived, pg, schema, settings
from geo.aggregate import unit_figures
from geo.identity import Identity, identity_of
from geo.read import Bundle
from geo.simplify import FINE_TOLERANCE, display_units
from geo.tiles import Band, folder_stamp
from geo.view import ROOT as VIEW_ROOT
from geo.view import View, region_prefix
from ui import auth

ROOT = datasets.ROOT
DATA_ENV = datasets.DATA_ENV
STORE_ENV = datasets.STORE_ENV
DEMO_FOLDER = datasets.DEMO_FOLDER
store_root = datasets.store_root
is_demo = datasets.is_demo


def data_folder() -> str:
    """The active dataset folder (geo.datasets.active_folder) as a cache key; with the PostGIS
    backend "postgis:<active version>", or the bundled demo while no version is active (raises
    geo.pg.StoreUnavailable when the database is down)."""
    if settings.get("backend") == "postgis":
        return pg.active_key() or str(DEMO_FOLDER.resolve())
    return str(datasets.active_folder())


def demo_kinds(folder: str) -> tuple[str, ...]:
    """Kinds of the shown dataset that are the bundled demo's (geo.datasets.demo_kinds; for a
    PostGIS version from its stored meta)."""
    if folder.startswith(pg.KEY_PREFIX):
        return _pg_demo_kinds(folder)
    return datasets.demo_kinds(folder)


@st.cache_resource(show_spinner=False, max_entries=8)
def _pg_demo_kinds(key: str) -> tuple[str, ...]:
    listed = pg.store().meta(key[len(pg.KEY_PREFIX):]).get("demo_kinds", [])
    return tuple(kind for kind in schema.FILES if kind in listed)


def record_store():
    """The store the import publishes to and restores from (files or PostGIS, setting `backend`)."""
    return pg.record_store(store_root())


def import_base() -> str:
    """The dataset an update composes from, as a folder (the active PostGIS version exported once)."""
    folder = data_folder()
    if folder.startswith(pg.KEY_PREFIX):
        return str(pg.RecordStore(pg.store(), store_root()).base_folder())
    return folder


def stamp(folder: str) -> tuple:
    """Changes whenever a dataset file changes, so caches never serve stale data (a PostGIS
    version never changes: its key is its stamp)."""
    if folder.startswith(pg.KEY_PREFIX):
        return (folder,)
    return folder_stamp(folder)


def key() -> tuple[str, tuple]:
    """(active folder, its stamp + the viewer's scope): the first two arguments of every cached
    function, so cached results never cross viewers of different scope."""
    folder = data_folder()
    return folder, (*stamp(folder), ("scope", auth.scope()))


def file_key() -> tuple[str, tuple]:
    """(active folder, its file stamp) without the viewer's scope: for what is the same for
    every viewer (vector tiles, cut per request by a signed scope token)."""
    folder = data_folder()
    return folder, stamp(folder)


def full_bundle(folder: str, files: tuple) -> Bundle:
    """The whole (unscoped) dataset of `file_key()`: never hand it to a page."""
    return _full_bundle(folder, files)


def full_display(folder: str, files: tuple, level: str) -> gpd.GeoDataFrame:
    """The whole (unscoped) display geometry of one level of `file_key()`."""
    return _full_display(folder, files, level, False)


def _split(stamp: tuple) -> tuple[tuple, str]:
    """(file stamp, scope) of a key() stamp."""
    if stamp and stamp[-1][0] == "scope":
        return stamp[:-1], stamp[-1][1]
    return stamp, ""


@st.cache_resource(show_spinner=False, max_entries=4)
def _full_bundle(folder: str, files: tuple) -> Bundle:
    # PostGIS: the lean bundle (village points, no village polygons; geo.pg.lean_bundle)
    return pg.lean_bundle(folder[len(pg.KEY_PREFIX):]) if folder.startswith(pg.KEY_PREFIX) else _file_bundle(folder)



# ---------------------------------------------------------------- file backend: derived forms
def _derived(folder: str) -> derived.Derived:
    """The derived forms of a dataset folder (geo.derived), derived here on first use when the
    folder was not published through the store (the bundled demo, an explicit data_dir)."""
    return derived.load(folder, datasets.store_root() / derived.DERIVED)


def _file_bundle(folder: str) -> Bundle:
    """read_bundle(folder) as validated once per version, from its derived Parquet files."""
    return _derived(folder).bundle()


def _file_display(folder: str, units: gpd.GeoDataFrame, level: str, fine: bool) -> gpd.GeoDataFrame | None:
    """The level's display geometry as derived once per version, or None when not derived."""
    return _derived(folder).display(units, level, fine=fine)


def file_bands(folder: str, level: str) -> Callable[[int], Band | None]:
    """Loader of a level's derived tile zoom bands (geo.tiles.TileSet `bands`)."""
    found = _derived(folder)
    return lambda band: found.band(level, band)


def file_prebuilt(folder: str, level: str) -> Callable[[], dict[tuple[int, int, int], bytes]]:
    """Loader of a level's tiles encoded at publish (geo.tiles.TileSet `prebuilt`)."""
    found = _derived(folder)
    return lambda: found.prebuilt(level)
# ----------------------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=16)
def _bundle(folder: str, stamp: tuple) -> Bundle:
    files, scope = _split(stamp)
    return scope_bundle(_full_bundle(folder, files), scope)


def bundle() -> Bundle:
    """The validated dataset (raises DataError; errors are not cached)."""
    return _bundle(*key())


@st.cache_resource(show_spinner=False, max_entries=12)
def _full_display(folder: str, files: tuple, level: str, fine: bool) -> gpd.GeoDataFrame:
    units = _full_bundle(folder, files).units
    if not folder.startswith(pg.KEY_PREFIX):
        shapes = _file_display(folder, units, level, fine)
        if shapes is not None:
            return shapes
    return display_units(units, level, FINE_TOLERANCE if fine else None)


@st.cache_resource(show_spinner=False, max_entries=24)
def _display(folder: str, stamp: tuple, level: str, fine: bool) -> gpd.GeoDataFrame:
    # simplified once for the whole dataset (shared borders stay shared), then cut to the
    # units of the scoped bundle
    files, scope = _split(stamp)
    shapes = _full_display(folder, files, level, fine)
    if not scope:
        return shapes
    return shapes.loc[shapes[schema.CODE].isin(set(_bundle(folder, stamp).units[schema.CODE]))].copy()


def display(level: str, *, fine: bool = False) -> gpd.GeoDataFrame:
    """Coverage-simplified, rounded EPSG:4326 polygons of one level, computed once per dataset;
    `fine` keeps more detail for close-ups (one township's villages)."""
    folder, stamp = key()
    if folder.startswith(pg.KEY_PREFIX):
        return _pg_display(folder, stamp, level, fine, "")
    return _display(folder, stamp, level, fine)


def view_display(view: View, *, fine: bool = False) -> gpd.GeoDataFrame:
    """The display geometry a map view needs: on files the level's (`display`); on PostGIS only
    the units of the view's level inside its region, as polygons when the view is drawn as
    GeoJSON and without geometry (empty) when it is drawn from vector tiles."""
    folder, stamp = key()
    if not folder.startswith(pg.KEY_PREFIX):
        return display(view.level, fine=fine)
    region = "" if view.region == VIEW_ROOT or identity().is_root_alias(view.region) else region_prefix(view.region)
    return _pg_display(folder, stamp, view.level, fine, region)


# ------------------------------------------------------------------ PostGIS read path (geo.pg)
# Polygons only for what a page draws as GeoJSON, fetched by SQL per (version, scope, level,
# region); views of at least `tile_min_features` units are drawn from tiles and get none.

@st.cache_resource(show_spinner=False, max_entries=24)
def _pg_display(folder: str, stamp: tuple, level: str, fine: bool, region: str) -> gpd.GeoDataFrame:
    version, (_, scope) = folder[len(pg.KEY_PREFIX):], _split(stamp)
    units = _bundle(folder, stamp).units
    inside = units.loc[(units[schema.LEVEL] == level) & units[schema.CODE].str.startswith(region)]
    if not fine and len(inside) >= settings.get("tile_min_features"):   # ui.tiles.use_tiles
        # drawn from vector tiles: the rows without geometry (bounds fall back to the region)
        empty = gpd.GeoSeries([shapely.Polygon()] * len(inside), index=inside.index, crs=schema.DISPLAY_CRS)
        return gpd.GeoDataFrame(inside[[schema.CODE, schema.NAME, schema.LEVEL, schema.PARENT]].copy(),
                                geometry=empty, crs=schema.DISPLAY_CRS)
    # a township scope keeps its county's outline as the frame: counties by their 6 digits
    scoped = scope_prefix(scope)[:6] if level == "county" else scope_prefix(scope)
    prefix = region if len(region) >= len(scoped) else scoped
    shapes = pg.display_units_sql(version, level, prefix, fine=fine)
    if not scope:
        return shapes
    return shapes.loc[shapes[schema.CODE].isin(set(inside[schema.CODE]))].reset_index(drop=True)


@st.cache_resource(show_spinner=False, max_entries=16)
def _pg_figures(folder: str, stamp: tuple, year: int) -> pd.DataFrame:
    # one year's rows inside the scope by SQL (index on version, code, year), the same aggregation
    prefix = scope_prefix(_split(stamp)[1]).replace("%", "").replace("_", "")
    rows = pg.store().table(folder[len(pg.KEY_PREFIX):], "exit_status", where="year = %s AND code LIKE %s",
                            params=(year, prefix + "%"))
    return unit_figures(_bundle(folder, stamp).units, rows, year)


@st.cache_resource(show_spinner=False, max_entries=16)
def _figures(folder: str, stamp: tuple, year: int) -> pd.DataFrame:
    data = _bundle(folder, stamp)
    return unit_figures(data.units, data.exit_status, year)


def figures(year: int) -> pd.DataFrame:
    """Per-unit figures of every level as of `year` (read-only)."""
    folder, stamp = key()
    if folder.startswith(pg.KEY_PREFIX):
        return _pg_figures(folder, stamp, year)
    return _figures(folder, stamp, year)


@st.cache_resource(show_spinner=False, max_entries=4)
def _identity(folder: str, stamp: tuple) -> Identity:
    return identity_of(_bundle(folder, stamp).units)


def identity() -> Identity:
    """The loaded dataset's region: name, root codes, extent, metric CRS (geo.identity)."""
    return _identity(*key())
