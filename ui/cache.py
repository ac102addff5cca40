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
import streamlit as st

from access.scope import scope_bundle
from geo import datasets, derived, pg, schema, settings
from geo.aggregate import unit_figures
from geo.identity import Identity, identity_of
from geo.read import Bundle
from geo.simplify import FINE_TOLERANCE, display_units
from geo.tiles import Band, folder_stamp
from ui import auth

ROOT = datasets.ROOT
DATA_ENV = datasets.DATA_ENV
STORE_ENV = datasets.STORE_ENV
DEMO_FOLDER = datasets.DEMO_FOLDER
store_root = datasets.store_root
is_demo = datasets.is_demo
demo_kinds = datasets.demo_kinds


def data_folder() -> str:
    """The active dataset folder (geo.datasets.active_folder) as a cache key; with the PostGIS
    backend "postgis:<active version>" (raises geo.pg.StoreUnavailable when the database is down)."""
    if settings.get("backend") == "postgis":
        return pg.active_key()
    return str(datasets.active_folder())


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
    return pg.bundle_for(folder) if folder.startswith(pg.KEY_PREFIX) else _file_bundle(folder)


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
    return _display(*key(), level, fine)


@st.cache_resource(show_spinner=False, max_entries=16)
def _figures(folder: str, stamp: tuple, year: int) -> pd.DataFrame:
    data = _bundle(folder, stamp)
    return unit_figures(data.units, data.exit_status, year)


def figures(year: int) -> pd.DataFrame:
    """Per-unit figures of every level as of `year` (read-only)."""
    return _figures(*key(), year)


@st.cache_resource(show_spinner=False, max_entries=4)
def _identity(folder: str, stamp: tuple) -> Identity:
    return identity_of(_bundle(folder, stamp).units)


def identity() -> Identity:
    """The loaded dataset's region: name, root codes, extent, metric CRS (geo.identity)."""
    return _identity(*key())
