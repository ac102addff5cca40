"""Map composition shared by every map page: the constant base map, the cached layer data of a
view, the table of the units in view. Pages call these; builders live in layers/."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st

from geo.codes import code_level
from geo.schema import CODE, NAME, PARENT
from geo.table import to_csv_bytes, to_xlsx_bytes
from geo.view import ROOT, View
from layers.base import base_map
from layers.snapshot import prepare_snapshot, tooltip_fields
from layers.styling import Styled
from layers.units_layer import features_json
from layers.view_layer import view_group
from layers.vector_layer import class_table
from ui import cache, tiles
from ui.text import group, t

MAP_HEIGHT = 600


@dataclass(frozen=True)
class Prepared:
    """Everything a view needs that does not change with selection or table sorting."""

    rows: pd.DataFrame        # figures of the units in view, plus 'flag'
    styled: Styled
    data: str                 # script-safe GeoJSON text ("" when drawn from vector tiles)
    fields: tuple[str, ...]   # tooltip labels
    bounds: tuple[float, float, float, float]
    table: dict | None = None  # vector-tile mode: the class table sent instead of geometry


@st.cache_resource(show_spinner=False, max_entries=64)
def _prepare(folder: str, stamp: tuple, view: View) -> Prepared:
    # the same assembly as exports (layers.snapshot), with this process's cached inputs
    close_up = view.region != ROOT and code_level(view.region) == "township"
    snapshot = prepare_snapshot(cache.bundle(), view, t, demo=cache.is_demo(folder), source="",
                                figures=cache.figures(view.year),
                                display=cache.display(view.level, fine=close_up))
    rows = pd.DataFrame(snapshot.shapes.drop(columns="geometry"))
    fields = tooltip_fields(rows, snapshot.view, t)
    if tiles.use_tiles(len(rows), close_up=close_up):
        table = class_table(rows, snapshot.styled.index, rows["flag"].notna(),
                            tiles.level_spec(view.level, scope=""), fields,
                            name_label=t("field.name"), code_label=t("field.code"))
        return Prepared(rows, snapshot.styled, "", tuple(fields.keys()), snapshot.bounds, table)
    data = features_json(snapshot.shapes, snapshot.styled.index, list(fields.values()), rows["flag"].notna())
    return Prepared(rows, snapshot.styled, data, tuple(fields.keys()), snapshot.bounds)


def prepare(view: View) -> Prepared:
    """Cached per dataset and view (selection excluded: it only changes an option)."""
    return _prepare(*cache.key(), replace(view, selected=None))


def layer(prepared: Prepared, view: View) -> folium.FeatureGroup:
    """The view's feature group (polygons + legend) for st_folium's feature_group_to_add:
    vector tiles plus the class table for large views, GeoJSON otherwise."""
    if prepared.table is not None:
        return tiles.vector_layer(prepared.table, prepared.styled, view, bounds=prepared.bounds)
    return view_group(prepared.data, prepared.styled, name=t(f"indicator.{view.indicator}"),
                      labels=prepared.fields, flag_text=t("flag.tooltip"),
                      count_format=t("legend.count", label="{label}", count="{count}"),
                      no_data_label=t("status.no_data"), selected=view.selected)


@st.cache_resource(show_spinner=False, max_entries=4)
def _base(folder: str, stamp: tuple) -> tuple[float, float, float, float]:
    return tuple(float(b) for b in cache.display("county").total_bounds)


def city_bounds() -> tuple[float, float, float, float]:
    return _base(*cache.key())


def new_base_map() -> folium.Map:
    """The constant base map of the dataset (same script every run: no iframe rebuild)."""
    return base_map(city_bounds())


def _year_text(years: pd.Series) -> pd.Series:
    """Years as text, empty where unknown (a grid shows NA as 'None')."""
    return years.map(lambda y: "" if pd.isna(y) else str(int(y)))


def view_table(prepared: Prepared, units: gpd.GeoDataFrame) -> pd.DataFrame:
    """The units on the map with their figures, Chinese headers, codes as text."""
    rows = prepared.rows
    labels = group("field")
    names = dict(zip(units[CODE], units[NAME]))
    table = pd.DataFrame({
        labels["code"]: rows[CODE].astype(str),
        labels["name"]: rows[NAME],
        labels["parent"]: rows[PARENT].map(lambda c: names.get(c, "")),
        labels["status"]: rows["status"].fillna("no_data").map(group("status")),
        labels["planned_exit_year"]: _year_text(rows["planned_exit_year"]),
        labels["actual_exit_year"]: _year_text(rows["actual_exit_year"]),
        labels["registered_poor"]: rows["registered_poor"],
        labels["exited_poor"]: rows["exited_poor"],
        labels["remaining_poor"]: rows["remaining_poor"],
        labels["rural_population"]: rows["rural_population"],
        labels["incidence_pct"]: (rows["incidence"] * 100).round(2),
        labels["exit_rate_pct"]: (rows["exit_rate"] * 100).round(2),
        labels["monitored"]: rows["monitored"],
        labels["flag"]: rows["flag"].map(lambda f: t(f"flag.{f}") if isinstance(f, str) else ""),
    })
    return table.reset_index(drop=True)


@st.cache_resource(show_spinner=False, max_entries=32)
def _downloads(folder: str, stamp: tuple, view: View) -> tuple[bytes, bytes]:
    table = view_table(prepare(view), cache.bundle().units)
    code = group("field")["code"]
    return to_csv_bytes(table), to_xlsx_bytes(table, text_columns=[code], sheet=t("exit.title"))


def downloads(view: View) -> tuple[bytes, bytes]:
    """CSV (UTF-8 with BOM) and XLSX (codes as text) of the view's table, built once per view."""
    return _downloads(*cache.key(), replace(view, selected=None))


def lazy_downloads(view: View) -> tuple[Callable[[], bytes], Callable[[], bytes]]:
    """`downloads` deferred to the click (st.download_button runs a callable then): an XLSX of a
    province's 51,017 villages takes tens of seconds, too long to build on every view."""
    key = cache.key()
    view = replace(view, selected=None)
    return (lambda: _downloads(*key, view)[0]), (lambda: _downloads(*key, view)[1])


TABLE_HEAD = 2000  # rows of a large view's on-page table (the downloads hold every row)


def table_head(table: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """The rows the page shows and a notice when some are left out: views drawn from vector
    tiles (`tiles.use_tiles`) send the first TABLE_HEAD rows plus every flagged row, in order,
    instead of megabytes of table over the websocket."""
    if not tiles.use_tiles(len(table)):
        return table, None
    flagged = table[group("field")["flag"]].astype(bool)
    keep = flagged | ((~flagged).cumsum() <= TABLE_HEAD)
    return table.loc[keep], t("scale.table_head", shown=int(keep.sum()), total=len(table))
