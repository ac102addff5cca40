"""The map layer of one view: polygons of the units in view, coloured by `Styled`, with tooltip
rows, consistency flags and a legend that counts each class."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import folium
import geopandas as gpd
import pandas as pd

from geo.schema import CODE
from layers.palette import FLAG_COLOR, NO_DATA_COLOR
from layers.styling import Styled
from layers.units_layer import LayerStyle, LegendSpec, features_json, units_group


def join_rows(units: gpd.GeoDataFrame, rows: pd.DataFrame) -> gpd.GeoDataFrame:
    """Geometry for exactly the rows of a view (inner join on code, rows' order kept)."""
    geometry = units[[CODE, "geometry"]]
    joined = rows.merge(geometry, on=CODE, how="inner", validate="one_to_one")
    return gpd.GeoDataFrame(joined, geometry="geometry", crs=units.crs)


def legend_for(styled: Styled, *, count_format: str, no_data_label: str, flag_label: str | None = None,
               flagged: int = 0) -> LegendSpec:
    """Counted legend rows of `styled`, the no-data row and (when `flagged`) the flag outline row."""
    items = tuple((color, count_format.format(label=label, count=count))
                  for color, label, count in zip(styled.colors, styled.labels, styled.counts))
    no_data = ((NO_DATA_COLOR, count_format.format(label=no_data_label, count=styled.no_data))
               if styled.no_data else None)
    outline = ((FLAG_COLOR, count_format.format(label=flag_label, count=flagged))
               if flagged and flag_label else None)
    return LegendSpec(styled.title, items, no_data, outline)


def view_group(data: str, styled: Styled, *, name: str, labels: Sequence[str], flag_text: str,
               count_format: str, no_data_label: str, selected: str | None = None,
               flag_label: str | None = None, flagged: int = 0, fit_key: str | None = None,
               labels_on_map: bool = False) -> folium.FeatureGroup:
    """FeatureGroup of pre-serialised view data (`features_json`), coloured by `styled`, with a
    counted legend; `labels` are the tooltip row labels. `fit_key` names the extent: the map is
    fitted only when it changes (a new year keeps the user's zoom)."""
    style = LayerStyle(colors=styled.colors or ("#cccccc",), no_data_color=NO_DATA_COLOR,
                       flag_color=FLAG_COLOR)
    legend = legend_for(styled, count_format=count_format, no_data_label=no_data_label,
                        flag_label=flag_label, flagged=flagged)
    return units_group(data, name=name, style=style, fields=labels, legend=legend,
                       flag_text=flag_text, selected=selected, fit_key=fit_key, names_on_map=labels_on_map)


def view_layer(shapes: gpd.GeoDataFrame, styled: Styled, *, name: str,
               fields: Mapping[str, pd.Series], flags: pd.Series | None, flag_text: str,
               count_format: str, no_data_label: str, selected: str | None = None) -> folium.FeatureGroup:
    """FeatureGroup of `shapes` (rows joined with geometry, EPSG:4326); `styled`, `fields` and
    `flags` are aligned with `shapes`' index."""
    data = features_json(shapes, styled.index, list(fields.values()), flags)
    return view_group(data, styled, name=name, labels=list(fields.keys()), flag_text=flag_text,
                      count_format=count_format, no_data_label=no_data_label, selected=selected)
