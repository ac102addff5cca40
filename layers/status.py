"""Categorical exit-status choropleth (未退出 / 当年计划退出 / 已退出, 非贫困 apart) with a
legend that counts each class."""
from __future__ import annotations

from collections.abc import Mapping

import folium
import geopandas as gpd
import pandas as pd

from geo.aggregate import STATUSES, category_counts
from geo.schema import CODE
from layers.choropleth import class_counts_items, polygon_layer
from layers.legend import Legend
from layers.palette import STATUS_COLORS

TOOLTIP_FIELDS = ("name", "status", "planned_exit_year", "actual_exit_year", "remaining_poor",
                  "incidence")


def format_count(values: pd.Series) -> pd.Series:
    """Thousands-separated integers; NA stays NA."""
    return values.map(lambda v: pd.NA if v is pd.NA or v != v else f"{int(v):,}")


def format_percent(values: pd.Series, digits: int = 2) -> pd.Series:
    """Fractions as percentages ('3.67 %'); NA stays NA."""
    return values.map(lambda v: pd.NA if v is pd.NA or v != v else f"{float(v) * 100:.{digits}f} %")


def join_figures(units: gpd.GeoDataFrame, figures: pd.DataFrame) -> gpd.GeoDataFrame:
    """Boundaries left-joined with figures: a unit without statistics stays on the map."""
    columns = [c for c in figures.columns if c not in units.columns or c == CODE]
    return units.merge(figures[columns], on=CODE, how="left", validate="one_to_one")


def status_layer(units: gpd.GeoDataFrame, figures: pd.DataFrame, *, name: str,
                 status_labels: Mapping[str, str], field_labels: Mapping[str, str],
                 legend_title: str) -> tuple[folium.FeatureGroup, Legend, dict[str, int]]:
    """Exit-status polygons of `units` (EPSG:4326, one level) with tooltip and counted legend.

    Returns the layer, its legend and the class counts (also shown in the legend)."""
    joined = join_figures(units, figures)
    status = joined["status"].fillna("no_data")
    fields = {
        field_labels["name"]: joined["name"],
        field_labels["status"]: status.map(status_labels),
        field_labels["planned_exit_year"]: joined["planned_exit_year"],
        field_labels["actual_exit_year"]: joined["actual_exit_year"],
        field_labels["remaining_poor"]: format_count(joined["remaining_poor"]),
        field_labels["incidence"]: format_percent(joined["incidence"]),
    }
    layer = polygon_layer(joined, name=name, fills=status.map(STATUS_COLORS), fields=fields)
    counts = category_counts(pd.DataFrame({"status": status}))
    shown = [key for key in STATUSES if counts[key] > 0 or key in ("not_exited", "planned", "exited")]
    legend = Legend(legend_title, class_counts_items(shown, STATUS_COLORS, status_labels, counts))
    return layer, legend, counts
