"""The view's polygons drawn from the portal's vector tiles (Leaflet.VectorGrid, SVG tile renderer).

Geometry comes over HTTP (`serve/tile_routes.py`, cacheable per dataset version); what this layer
sends over the websocket is only the *class table* of the view: one character per unit of the
level (its class, no data, or not in view), the flagged units, and the tooltip values of the
units in view (few distinct values are sent as a dictionary plus one character per unit). A
change of year, indicator, classing or filter therefore sends numbers, never geometry.

Names and codes come from the tile index (`.../index.json`, also cached by the browser) and are
only ever set with textContent by `static/portal/vector.js`. The inline JSON is script-safe.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import folium
import numpy as np
import pandas as pd
from branca.element import MacroElement, Template

from geo.schema import CODE
from layers.units_layer import LayerStyle, LegendSpec, _color, script_safe_json

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
HIDDEN, NO_DATA_CHAR = ".", "-"
DICT_LIMIT = len(ALPHABET)   # fields with at most this many distinct values are dictionary-coded


@dataclass(frozen=True)
class TileSpec:
    """Where the tiles of one level are: URL templates (scope token included), the level's code
    order (feature index `i` -> code) and the typical unit size, for outline thinning."""

    url: str                  # .../{z}/{x}/{y}.pbf?s=...
    index_url: str            # .../index.json?s=...
    layer: str                # MVT layer name (the level)
    codes: Sequence[str]      # level's codes in feature-index order
    unit_px0: float           # median unit diameter in screen pixels at zoom 0


_INT = re.compile(r"^-?\d{1,3}(,\d{3})*$")          # format_value of a count: '1,234'
_PCT = re.compile(r"^-?\d+\.\d{2} %$")               # format_value of a share: '3.67 %'


def _field(values: pd.Series, visible: np.ndarray) -> dict:
    """One tooltip field over the visible units, in feature-index order, compactly: few distinct
    values as a dictionary plus one character per unit; counts and percentages (as
    `layers.styling.format_value` writes them) as integers the browser formats back; else text."""
    cells = [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)
             for v in values.tolist()]
    cells = [cells[i] for i in visible]
    present = [c for c in cells if c is not None]
    distinct = sorted(set(present))
    if len(distinct) < DICT_LIMIT:
        lookup = {value: ALPHABET[j] for j, value in enumerate(distinct)}
        return {"d": distinct, "s": "".join(HIDDEN if c is None else lookup[c] for c in cells)}
    if all(_INT.match(c) for c in present):
        return {"n": [None if c is None else int(c.replace(",", "")) for c in cells], "fmt": "int"}
    if all(_PCT.match(c) for c in present):
        return {"n": [None if c is None else int(c[:-2].replace(".", "")) for c in cells], "fmt": "pct2"}
    return _templated(cells) or {"a": cells}


_NUMBER = re.compile(r"^(.*?)(\d{1,3}(?:,\d{3})*)(?:\.(\d+))?(\D.*)?$")   # text, first number, text


def _number_text(n: int, dec: int) -> str:
    """`n` with `dec` implied decimals, thousands grouped: (123456, 2) -> '1,234.56'."""
    if dec == 0:
        return f"{n:,}"
    digits = str(n).rjust(dec + 1, "0")
    return f"{int(digits[:-dec]):,}.{digits[-dec:]}"


def _templated(cells: list[str | None]) -> dict | None:
    """Texts made of few templates around one number ('减少 1,234（好转）', '下降 1.20 个百分点（好转）',
    '无变化') as template indexes plus integers: {"t": [[before, decimals, after]], "s": one
    character per unit, "n": integers}; decimals -1 = no number. None when the texts do not fit
    (too many templates, or a text that would not be written back exactly)."""
    templates: dict[tuple[str, int, str], int] = {}
    chars, numbers = [], []
    for c in cells:
        if c is None:
            chars.append(HIDDEN)
            numbers.append(None)
            continue
        m = _NUMBER.match(c)
        if m:
            key = (m.group(1), len(m.group(3) or ""), m.group(4) or "")
            n = int(m.group(2).replace(",", "") + (m.group(3) or ""))
            if key[0] + _number_text(n, key[1]) + key[2] != c:
                return None
        else:
            key, n = (c, -1, ""), None
        if key not in templates:
            if len(templates) >= DICT_LIMIT:
                return None
            templates[key] = len(templates)
        chars.append(ALPHABET[templates[key]])
        numbers.append(n)
    return {"t": [list(k) for k in templates], "s": "".join(chars), "n": numbers}


def class_table(rows: pd.DataFrame, classes: pd.Series, flags: pd.Series, spec: TileSpec,
                fields: dict[str, pd.Series], *, name_label: str, code_label: str) -> dict:
    """The per-view table sent instead of geometry. `rows`, `classes`, `flags` and every field
    series share one index; fields labelled `name_label` / `code_label` are taken from the tile
    index in the browser and not sent."""
    position = {code: i for i, code in enumerate(spec.codes)}
    at = rows[CODE].astype(str).map(position)
    known = at.notna().to_numpy()
    where = at[known].astype(int).to_numpy()
    chars = np.full(len(spec.codes), HIDDEN, dtype="<U1")
    ks = classes.to_numpy()[known]
    if len(ks) and ks.max() >= len(ALPHABET):
        raise ValueError("too many classes for the class table")
    chars[where] = [NO_DATA_CHAR if k < 0 else ALPHABET[k] for k in ks]
    order = np.argsort(where, kind="stable")          # visible units in feature-index order
    rows_in_order = np.flatnonzero(known)[order]
    out_fields = []
    for label, series in fields.items():
        if label == name_label:
            out_fields.append({"label": label, "from": "name"})
        elif label == code_label:
            out_fields.append({"label": label, "from": "code"})
        else:
            out_fields.append({"label": label, **_field(series.reset_index(drop=True), rows_in_order)})
    flagged = sorted(int(i) for i in where[flags.to_numpy()[known].astype(bool)])
    return {"k": "".join(chars.tolist()), "flags": flagged, "fields": out_fields}


class VectorUnits(MacroElement):
    """Adds `portalVectorUnits(options)` (static/portal/vector.js) to its parent group."""

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = portalVectorUnits({{ this.options }}).addTo({{ this._parent.get_name() }});
{% endmacro %}
""")

    def __init__(self, spec: TileSpec, table: dict, *, style: LayerStyle, legend: LegendSpec | None,
                 flag_text: str | None, selected: str | None, bounds: Sequence[float] | None,
                 fit: bool = True):
        super().__init__()
        self._name = "VectorUnits"
        selected_index = list(spec.codes).index(selected) if selected in set(spec.codes) else None
        options = {
            "url": spec.url, "indexUrl": spec.index_url, "layer": spec.layer, "unitPx0": spec.unit_px0,
            "table": table,
            "classes": [{"color": _color(c)} for c in style.colors],
            "noData": {"color": _color(style.no_data_color)},
            "line": _color(style.line), "weight": style.weight, "fillOpacity": style.fill_opacity,
            "flagColor": _color(style.flag_color), "flagWeight": style.flag_weight,
            "selectedColor": _color(style.selected_color), "selected": selected_index,
            "flagText": flag_text, "fit": fit,
            "bounds": [[bounds[1], bounds[0]], [bounds[3], bounds[2]]] if bounds else None,
            "legend": legend.to_json() if legend else None,
        }
        self.options = script_safe_json(options)


def vector_group(spec: TileSpec, table: dict, *, name: str, style: LayerStyle,
                 legend: LegendSpec | None = None, flag_text: str | None = None,
                 selected: str | None = None, bounds: Sequence[float] | None = None) -> folium.FeatureGroup:
    """A FeatureGroup holding one VectorUnits layer (for st_folium's feature_group_to_add)."""
    group = folium.FeatureGroup(name=name)
    group.add_child(VectorUnits(spec, table, style=style, legend=legend, flag_text=flag_text,
                                selected=selected, bounds=bounds))
    return group
