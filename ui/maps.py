"""Map composition shared by every map page: the constant base map, the cached layer data of a
view, the table of the units in view. Pages call these; builders live in layers/."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st

from geo import settings
from geo.change import default_base_year, delivered_years, is_rate
from geo.codes import code_level
from geo.consistency import flag_keys
from geo.disclosure import is_small, small_label, suppress_counts
from geo.schema import CODE, NAME, PARENT, YEARS
from geo.table import to_csv_bytes, to_xlsx_bytes
from geo.view import ROOT, TWO_YEAR_MODES, View, latest_open_year
from layers.base import base_map, shifted_source, with_basemap
from layers.snapshot import identity_name, prepare_snapshot, tooltip_fields
from layers.styling import Styled
from layers.units_layer import features_json
from layers.vector_layer import class_table
from layers.view_layer import view_group
from ui import cache, tiles
from ui.escape import md_escape
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
    kinds = cache.demo_kinds(folder)
    snapshot = prepare_snapshot(cache.bundle(), view, t, demo=bool(kinds), demo_kinds=kinds, source="",
                                figures=cache.figures(view.year), base_figures=base_figures(view),
                                display=cache.view_display(view, fine=close_up), identity=cache.identity(),
                                small_count=0)   # the live map; exports and downloads suppress
    rows = pd.DataFrame(snapshot.shapes.drop(columns="geometry"))
    fields = tooltip_fields(rows, snapshot.view, t)
    if tiles.use_tiles(len(rows), close_up=close_up):
        table = class_table(rows, snapshot.styled.index, rows["flag"].notna(),
                            tiles.level_spec(view.level, scope=""), fields,
                            name_label=t("field.name"), code_label=t("field.code"))
        return Prepared(rows, snapshot.styled, "", tuple(fields.keys()), snapshot.bounds, table)
    data = features_json(snapshot.shapes, snapshot.styled.index, list(fields.values()), rows["flag"].map(flag_text))
    return Prepared(rows, snapshot.styled, data, tuple(fields.keys()), snapshot.bounds)


def base_figures(view: View) -> pd.DataFrame | None:
    """The compare year's cached figures in change and pair modes, else None."""
    if view.mode in TWO_YEAR_MODES and view.compare_year is not None:
        return cache.figures(view.compare_year)
    return None


@st.cache_resource(show_spinner=False, max_entries=4)
def _delivered(folder: str, stamp: tuple) -> tuple[int, ...]:
    return delivered_years(cache.bundle().exit_status, YEARS)


def delivered() -> tuple[int, ...]:
    """The campaign years the dataset has exit-status rows for (a change needs both years)."""
    return _delivered(*cache.key())


def with_base_year(view: View) -> View:
    """`view` with its compare year settled: in change and pair modes a delivered year before
    view.year (the latest one unless the view names another), else None."""
    if view.mode not in TWO_YEAR_MODES:
        return replace(view, compare_year=None)
    years = delivered()
    if view.compare_year in years and view.compare_year < view.year:
        return view
    return replace(view, compare_year=default_base_year(view.year, years))


def page_title(view: View, region: str) -> str:
    """The page title: the as-of year, or both years of a change / side-by-side view."""
    if view.mode in TWO_YEAR_MODES and view.compare_year is not None:
        return t(f"exit.title_{view.mode}", region=region, base=view.compare_year, year=view.year)
    return t("exit.title_year", region=region, year=view.year)


def pair_views(view: View) -> tuple[View, View]:
    """(earlier, later) views of a side-by-side: the same region, level, indicator and classing;
    each classed together with the other's year, so both maps share their classes."""
    return replace(view, year=view.compare_year, compare_year=view.year), view


def flag_text(flag: object) -> str:
    """What is wrong with a unit, in words ('' when consistent)."""
    words = []
    for key, items in flag_keys(flag):
        if items:
            words.append(t(f"flag.{key}", items="、".join(t(f"svc.item.{i}") for i in items)))
        else:
            words.append(t(f"flag.{key}"))
    return "；".join(words)


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
                      no_data_label=t("status.no_data"), selected=view.selected,
                      flag_label=t("flag.legend"), flagged=int(prepared.rows["flag"].notna().sum()),
                      fit_key=f"{view.region}/{view.level}", labels_on_map=True)


@st.cache_resource(show_spinner=False, max_entries=4)
def _default_year(folder: str, stamp: tuple) -> int:
    return latest_open_year(cache.bundle().exit_status)


def default_year() -> int:
    """The as-of year a new visitor sees: the latest year that still has work to show."""
    return _default_year(*cache.key())


def city_bounds() -> tuple[float, float, float, float]:
    """Lon/lat bounds of the whole dataset (geo.identity), whatever its top level."""
    return cache.identity().bounds


def new_base_map() -> folium.Map:
    """The constant base map of the dataset (same script every run: no iframe rebuild), with the
    optional basemap of the `tile_url` setting (off by default)."""
    return with_basemap(base_map(city_bounds()), settings.get("tile_url"), settings.get("tile_attribution"))


def basemap_notice() -> None:
    """A visible warning when `tile_url` names a GCJ-02 / BD-09 tile service."""
    url = settings.get("tile_url")
    if url and shifted_source(url):
        st.warning(t("basemap.shifted"))


def region_label(region: str, units: pd.DataFrame) -> str:
    """The region's name for titles, escaped for Markdown: the dataset's own name for ROOT, else
    the unit's name."""
    if region == ROOT:
        return md_escape(identity_name(cache.identity(), t))
    return md_escape(str(dict(zip(units[CODE].tolist(), units[NAME].tolist())).get(region, region)))


def _year_text(years: pd.Series) -> pd.Series:
    """Years as text, empty where unknown (a grid shows NA as 'None')."""
    return years.map(lambda y: "" if pd.isna(y) else str(int(y)))


_INDICATOR_COLUMN = {"incidence": "incidence_pct", "remaining_poor": "remaining_poor",
                     "exit_rate": "exit_rate_pct", "monitored": "monitored", "status": "status"}


def view_table(prepared: Prepared, units: gpd.GeoDataFrame, indicator: str = "status",
               view: View | None = None) -> pd.DataFrame:
    """The units on the map with their figures, Chinese headers, codes as text; the chosen
    indicator's column right after the name (visible without scrolling sideways); in change and
    pair modes (`view`) both years' values and the change instead."""
    rows = prepared.rows.loc[~prepared.rows["context"].astype(bool)]   # context units are not listed
    labels = group("field")
    names = dict(zip(units[CODE].tolist(), units[NAME].tolist()))
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
        labels["flag"]: rows["flag"].map(flag_text),
    })
    chosen = labels[_INDICATOR_COLUMN.get(indicator, "status")]
    first = [labels["name"], chosen]
    if view is not None and "change" in rows:   # change / pair: both years' values and the change
        years = change_columns(rows, indicator, view)
        for name, column in years.items():
            table[name] = column
        first = [labels["name"], *years]
    order = [*first, *[c for c in table.columns if c not in first]]
    return table[order].reset_index(drop=True)


def change_columns(rows: pd.DataFrame, indicator: str, view: View) -> dict[str, pd.Series]:
    """Table columns of a two-year view: the earlier and later values and the change (rates in %
    and percentage points, two decimals; counts as numbers), sortable."""
    name = t(f"indicator.{indicator}")
    if is_rate(indicator):
        def number(c: str) -> pd.Series:
            return (rows[c].astype("Float64") * 100).round(2)
        return {t("change.field_pct", year=view.compare_year, indicator=name): number("before"),
                t("change.field_pct", year=view.year, indicator=name): number("after"),
                t("change.field_points"): number("change")}
    return {t("change.field_year", year=view.compare_year, indicator=name): rows["before"].astype("Float64"),
            t("change.field_year", year=view.year, indicator=name): rows["after"].astype("Float64"),
            t("change.field"): rows["change"].astype("Float64")}


@st.cache_resource(show_spinner=False, max_entries=16)
def _view_table(folder: str, stamp: tuple, view: View) -> pd.DataFrame:
    return view_table(prepare(view), cache.bundle().units, view.indicator, view)


def table_of(view: View) -> pd.DataFrame:
    """view_table of `view`, cached per dataset and view (read-only: a province's table takes
    a second to word, on every rerun otherwise)."""
    return _view_table(*cache.key(), replace(view, selected=None))


def _download_table(view: View, small_count: int) -> pd.DataFrame:
    """The view's table as downloaded: small monitored counts read "<5" (a download is an export)."""
    table = table_of(view).copy()
    monitored = group("field")["monitored"]
    table[monitored] = suppress_counts(table[monitored], small_count)
    if view.indicator == "monitored" and view.mode in TWO_YEAR_MODES and view.compare_year is not None:
        name = t("indicator.monitored")
        years = [t("change.field_year", year=y, indicator=name) for y in (view.compare_year, view.year)]
        small = table[years[0]].map(lambda v: is_small(v, small_count)) | table[years[1]].map(
            lambda v: is_small(v, small_count))
        change = t("change.field")
        table[change] = table[change].astype(object).mask(small, small_label(small_count))   # would give a count away
        for column in years:
            table[column] = suppress_counts(table[column], small_count)
    return table


def lazy_downloads(view: View) -> tuple[Callable[[], bytes], Callable[[], bytes]]:
    """CSV (UTF-8 with BOM) and XLSX (codes as text) of the view's table, the encoding deferred to the click (st.download_button runs a callable
    then): an XLSX of a province's 51,017 villages takes tens of seconds, too long to build on
    every view. The table itself is cut here, in the viewer's script run, so the deferred part
    never consults the session (and so never another viewer's region scope)."""
    table = _download_table(replace(view, selected=None), settings.get("small_count"))
    code = group("field")["code"]
    return (lambda: to_csv_bytes(table)), (lambda: to_xlsx_bytes(table, text_columns=[code], sheet=t("exit.title")))


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
