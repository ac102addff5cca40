"""Every st.cache_* of the portal. Cached functions take plain values (folder, stamp, level,
year), never frames; callers treat returned frames as read-only (geo/ never mutates)."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo import datasets, pg, schema, settings
from geo.aggregate import unit_figures
from geo.read import Bundle, read_bundle
from geo.simplify import FINE_TOLERANCE, display_units
from geo.tiles import folder_stamp

ROOT = datasets.ROOT
DATA_ENV = datasets.DATA_ENV
STORE_ENV = datasets.STORE_ENV
DEMO_FOLDER = datasets.DEMO_FOLDER
store_root = datasets.store_root
is_demo = datasets.is_demo


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
    """(active folder, its stamp): the first two arguments of every cached function."""
    folder = data_folder()
    return folder, stamp(folder)


@st.cache_resource(show_spinner=False, max_entries=4)
def _bundle(folder: str, stamp: tuple) -> Bundle:
    return pg.bundle_for(folder) if folder.startswith(pg.KEY_PREFIX) else read_bundle(folder)


def bundle() -> Bundle:
    """The validated dataset (raises DataError; errors are not cached)."""
    return _bundle(*key())


@st.cache_resource(show_spinner=False, max_entries=12)
def _display(folder: str, stamp: tuple, level: str, fine: bool) -> gpd.GeoDataFrame:
    tolerance = FINE_TOLERANCE if fine else None
    return display_units(_bundle(folder, stamp).units, level, tolerance)


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
