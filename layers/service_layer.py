"""Service-coverage polygon layers over the portal's units layer (`portalUnits`, styled in JS,
tooltips by textContent): the "gap count" choropleth and one has/lacks layer per service."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import folium
import geopandas as gpd
import pandas as pd

from layers.palette import NO_DATA_COLOR
from layers.units_layer import LayerStyle, LegendSpec, features_json, units_group

GAP_COLORS = ("#1a9850", "#fee08b", "#fdae61", "#f46d43", "#d73027")  # 0, 1, 2, 3, 4+ gaps
MAX_GAP_CLASS = len(GAP_COLORS) - 1
HAS_COLOR, LACKS_COLOR = "#1a9850", "#d7301f"
NO_DATA = -1


def gap_classes(gaps: pd.Series) -> pd.Series:
    """Class index per unit: gaps 0..3 as is, 4 and more together, NA -> -1 (no data)."""
    values = gaps.astype("Float64").clip(upper=MAX_GAP_CLASS)
    return values.fillna(NO_DATA).astype("int64")


def lacking_classes(frame: pd.DataFrame, items: Sequence[str]) -> pd.Series:
    """How many of `items` (nullable boolean columns of `frame`) each unit lacks: 0..len(items);
    -1 when none of them is reported. One layer for several chosen services, so they never hide
    each other."""
    values = frame[list(items)].astype("boolean")
    lacking = (values == False).sum(axis=1)  # noqa: E712 (nullable boolean)
    known = values.notna().any(axis=1)
    return lacking.where(known, NO_DATA).astype("int64")


def lacking_colors(n_items: int) -> tuple[str, ...]:
    """Colours of lacking 0..n_items services: green for none, then the gap ramp."""
    ramp = GAP_COLORS[1:]
    return (GAP_COLORS[0],) + tuple(ramp[round(i * (len(ramp) - 1) / max(1, n_items - 1))]
                                    for i in range(n_items))


def item_classes(values: pd.Series) -> pd.Series:
    """0 = has the service, 1 = lacks it, -1 = not reported."""
    out = values.astype("boolean").map({True: 0, False: 1})
    return out.fillna(NO_DATA).astype("int64")


def _legend(title: str, colors: Sequence[str], labels: Sequence[str], classes: pd.Series,
            count_format: str, no_data_label: str) -> LegendSpec:
    items = tuple((color, count_format.format(label=label, count=int((classes == i).sum())))
                  for i, (color, label) in enumerate(zip(colors, labels)))
    missing = int((classes == NO_DATA).sum())
    no_data = (NO_DATA_COLOR, count_format.format(label=no_data_label, count=missing)) if missing else None
    return LegendSpec(title, items, no_data)


def class_layer(data: str, classes: pd.Series, colors: Sequence[str], labels: Sequence[str], *,
                name: str, fields: Sequence[str], count_format: str, no_data_label: str,
                selected: str | None = None) -> folium.FeatureGroup:
    """FeatureGroup of pre-serialised features (`features_json` text, cacheable) coloured by
    class index, with a legend counting `classes` (aligned with the features)."""
    style = LayerStyle(colors=tuple(colors), no_data_color=NO_DATA_COLOR, weight=0.5)
    legend = _legend(name, colors, labels, classes, count_format, no_data_label)
    return units_group(data, name=name, style=style, fields=list(fields), legend=legend,
                       selected=selected)


def gap_layer(shapes: gpd.GeoDataFrame, *, name: str, class_labels: Sequence[str],
              fields: Mapping[str, pd.Series], count_format: str, no_data_label: str,
              selected: str | None = None) -> folium.FeatureGroup:
    """Gap-count choropleth of `shapes` (EPSG:4326, a `gaps` column: Int64, NA = no data)."""
    classes = gap_classes(shapes["gaps"])
    return class_layer(features_json(shapes, classes, list(fields.values())), classes, GAP_COLORS,
                       class_labels, name=name, fields=list(fields), count_format=count_format,
                       no_data_label=no_data_label, selected=selected)


def item_layer(shapes: gpd.GeoDataFrame, item: str, *, name: str, has_label: str, lacks_label: str,
               fields: Mapping[str, pd.Series], count_format: str, no_data_label: str,
               selected: str | None = None) -> folium.FeatureGroup:
    """Has / lacks map of one service column `item` (nullable boolean) of `shapes` (EPSG:4326)."""
    classes = item_classes(shapes[item])
    return class_layer(features_json(shapes, classes, list(fields.values())), classes,
                       (HAS_COLOR, LACKS_COLOR), (has_label, lacks_label), name=name, fields=list(fields),
                       count_format=count_format, no_data_label=no_data_label, selected=selected)
