"""Polygon layers styled per feature in the browser.

Each feature carries its fill colour as a property and one JS function styles all features:
folium's `style_function` would emit an O(N^2) switch (PERF_NOTES 3). Only the properties the map
shows are sent, and every string is HTML-escaped because folium's tooltip uses innerHTML.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

import folium
import geopandas as gpd
import pandas as pd

from geo.schema import CODE
from layers.palette import BORDER_COLOR

_STYLE_JS = """
function(feature, layer) {
    var p = feature.properties;
    layer.setStyle({fillColor: p._fill, fillOpacity: 0.78, color: p._line || '%(line)s',
                    weight: p._weight || %(weight)s, opacity: 0.9});
    layer.on('mouseover', function() { layer.setStyle({weight: (p._weight || %(weight)s) + 1.5}); });
    layer.on('mouseout', function() { layer.setStyle({weight: p._weight || %(weight)s}); });
}
"""


def _display(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "—"
    return escape(str(value))


def to_feature_collection(units: gpd.GeoDataFrame, fills: pd.Series,
                          fields: Mapping[str, pd.Series]) -> dict:
    """GeoJSON dict with, per feature, the code, the fill colour and the pre-formatted, escaped
    display fields (keys f0, f1, ...). Expects EPSG:4326; `fills`/`fields` share units' index."""
    if units.crs is None or units.crs.to_epsg() != 4326:
        raise ValueError("choropleth expects EPSG:4326")
    keys = [f"f{i}" for i in range(len(fields))]
    columns = list(fields.values())
    geo = units.geometry.__geo_interface__["features"]
    features = []
    for position, index in enumerate(units.index):
        props = {CODE: str(units.at[index, CODE]), "_fill": fills.at[index]}
        for key, column in zip(keys, columns):
            props[key] = _display(column.at[index])
        features.append({"type": "Feature", "id": props[CODE], "properties": props,
                         "geometry": geo[position]["geometry"]})
    return {"type": "FeatureCollection", "features": features}


def polygon_layer(units: gpd.GeoDataFrame, *, name: str, fills: pd.Series,
                  fields: Mapping[str, pd.Series], weight: float = 0.8,
                  line_color: str = BORDER_COLOR) -> folium.FeatureGroup:
    """A FeatureGroup with one GeoJson of `units`, filled per feature, with a tooltip whose rows
    are `fields` (label -> values). Labels and values are escaped."""
    data = to_feature_collection(units, fills, fields)
    labels = [escape(label) for label in fields]
    group = folium.FeatureGroup(name=escape(name))
    folium.GeoJson(
        data,
        name=escape(name),
        on_each_feature=folium.JsCode(_STYLE_JS % {"line": line_color, "weight": weight}),
        tooltip=folium.GeoJsonTooltip(fields=[f"f{i}" for i in range(len(labels))], aliases=labels,
                                      sticky=True),
    ).add_to(group)
    return group


def class_counts_items(order: Sequence[str], colors: Mapping[str, str], labels: Mapping[str, str],
                       counts: Mapping[str, int]) -> list[tuple[str, str]]:
    """Legend rows (colour, "label（count）") for every class in `order` (zero counts kept)."""
    return [(colors[key], f"{labels[key]}（{counts.get(key, 0)}）") for key in order]
