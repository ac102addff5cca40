"""The portal's polygon layer: one pre-serialised GeoJSON per view, styled in the browser.

Why not folium.GeoJson: its `style_function` is O(N^2) in the browser (PERF_NOTES 3), its tooltip
writes data into innerHTML, and it re-serialises the data on every render (st_folium renders a map
several times per run). Here the GeoJSON text is built once (cacheable), names are only ever set
with textContent by `static/portal/portal.js`, and `<`, `>`, `&` are escaped in the inline JSON so
no data string can close the <script> block.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import folium
import geopandas as gpd
import pandas as pd
import shapely
from branca.element import MacroElement, Template

from geo.schema import CODE

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                              "\u2028": "\\u2028", "\u2029": "\\u2029"})


def script_safe_json(value: object) -> str:
    """JSON text that is safe to inline inside a <script> element."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_SAFE)


def _cell(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return str(value)


def features_json(units: gpd.GeoDataFrame, classes: pd.Series, fields: Sequence[pd.Series],
                  flags: pd.Series | None = None) -> str:
    """Script-safe GeoJSON FeatureCollection text: per feature its code, class index `k`
    (-1 = no data), display values `v`, a name anchor `lp` ([lat, lon] inside the polygon) and
    flag `f` (`flags`: bool, or the text saying what is
    wrong, '' for none). Expects EPSG:4326; inputs share units' index."""
    if units.crs is None or units.crs.to_epsg() != 4326:
        raise ValueError("units layer expects EPSG:4326")
    geometries = shapely.to_geojson(units.geometry.values)
    inside = shapely.point_on_surface(units.geometry.values)  # name anchors, always inside
    xs, ys = shapely.get_x(inside), shapely.get_y(inside)
    parts = []
    for position, index in enumerate(units.index):
        props = {CODE: str(units.at[index, CODE]), "k": int(classes.at[index]),
                 "v": [_cell(column.at[index]) for column in fields]}
        if xs[position] == xs[position]:
            props["lp"] = [round(float(ys[position]), 5), round(float(xs[position]), 5)]
        flag = flags.at[index] if flags is not None else None
        if isinstance(flag, str):
            if flag:
                props["f"] = flag        # what is wrong, shown in the tooltip
        elif flag is not None and flag is not pd.NA and bool(flag):
            props["f"] = 1
        parts.append('{"type":"Feature","properties":' + script_safe_json(props)
                     + ',"geometry":' + geometries[position] + "}")
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"


@dataclass(frozen=True)
class LegendSpec:
    title: str
    items: tuple[tuple[str, str], ...]   # (colour, label)
    no_data: tuple[str, str] | None = None
    outline: tuple[str, str] | None = None   # (colour, label) of the consistency-flag outline

    def to_json(self) -> dict:
        items = [{"color": _color(c), "label": label} for c, label in self.items]
        if self.no_data:
            items.append({"color": _color(self.no_data[0]), "label": self.no_data[1], "nodata": True})
        if self.outline:
            items.append({"color": _color(self.outline[0]), "label": self.outline[1], "outline": True})
        return {"title": self.title, "items": items}


def _color(value: str) -> str:
    if not _HEX.match(value):
        raise ValueError(f"colour must be #rrggbb, got {value!r}")
    return value


@dataclass(frozen=True)
class LayerStyle:
    """Per-class colours and the outline rules shared by all polygon views."""

    colors: tuple[str, ...]
    no_data_color: str = "#ffffff"
    line: str = "#4d4d4d"
    weight: float = 0.8
    fill_opacity: float = 0.78
    flag_color: str = "#7b3294"
    flag_weight: float = 3.0
    selected_color: str = "#000000"


class UnitsLayer(MacroElement):
    """Adds `portalUnits(data, options)` (static/portal/portal.js) to its parent map/group."""

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = portalUnits({{ this.data }}, {{ this.options }}).addTo({{ this._parent.get_name() }});
{% endmacro %}
""")

    def __init__(self, data: str, *, style: LayerStyle, fields: Sequence[str],
                 legend: LegendSpec | None = None, flag_text: str | None = None,
                 selected: str | None = None, fit: bool = True, fit_key: str | None = None,
                 names_on_map: bool = False):
        super().__init__()
        self._name = "UnitsLayer"
        self.data = data
        options = {
            "classes": [{"color": _color(c)} for c in style.colors],
            "noData": {"color": _color(style.no_data_color)},
            "fields": list(fields), "line": _color(style.line), "weight": style.weight,
            "fillOpacity": style.fill_opacity, "flagColor": _color(style.flag_color),
            "flagWeight": style.flag_weight, "selectedColor": _color(style.selected_color),
            "selected": selected, "flagText": flag_text, "fit": fit, "fitKey": fit_key,
            "names": names_on_map,
            "legend": legend.to_json() if legend else None,
        }
        self.options = script_safe_json(options)


def units_group(data: str, *, name: str, style: LayerStyle, fields: Sequence[str],
                legend: LegendSpec | None = None, flag_text: str | None = None,
                selected: str | None = None, fit: bool = True, fit_key: str | None = None,
                names_on_map: bool = False) -> folium.FeatureGroup:
    """A FeatureGroup holding one UnitsLayer (usable as st_folium's feature_group_to_add);
    `fit` makes the map fit the layer when it is added and `fit_key` (if given) differs from the
    extent the map was last fitted to; `names_on_map` draws unit names (first tooltip field)
    where they fit without overlapping."""
    group = folium.FeatureGroup(name=name)
    group.add_child(UnitsLayer(data, style=style, fields=fields, legend=legend,
                               flag_text=flag_text, selected=selected, fit=fit, fit_key=fit_key,
                               names_on_map=names_on_map))
    return group
