"""Relocation-site markers: one pre-serialised, script-safe JSON list drawn by
`static/portal/sites.js` as clustered circle markers (no folium.Icon / awesome-markers: not
vendored). Popups, tooltips and the legend are built with textContent in the browser, so no data
string is ever parsed as HTML; `<`, `>`, `&` are escaped in the inline JSON.

Why not one folium.CircleMarker + Popup per site: each emits its own script block and popup
HTML (about 1.5 kB per site) and popups need jQuery; one JSON list is a fraction of that.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import folium
import pandas as pd
from branca.element import MacroElement, Template
from folium.elements import JSCSSMixin

from geo.schema import SITE_STAGES
from layers.offline import MARKERCLUSTER_CSS, MARKERCLUSTER_DEFAULT_CSS, MARKERCLUSTER_JS, STATIC_URL
from layers.units_layer import _color, script_safe_json

SITES_JS = STATIC_URL + "portal/sites.js"
SITES_CSS = STATIC_URL + "portal/sites.css"

# Stages in one blue ramp, darker as the site progresses: apart from the red / orange / green /
# blue-grey of the exit-status fills the markers may sit on (green 已入住 dots vanished on green
# 已退出 polygons), and from the neutral grey cluster bubbles (sites.css).
STAGE_COLORS = {
    "not_started": "#d1e5f0",  # pale: nothing built yet
    "building": "#67a9cf",     # under construction
    "completed": "#2166ac",    # built, not yet lived in
    "occupied": "#053061",     # navy: people live there
}
FLAG_COLOR = "#e31a1c"
NO_STAGE_COLOR = "#9e9e9e"  # a site whose list gives no construction stage
LINE_COLOR = "#ffffff"         # a white ring keeps every dot readable on any fill
RADIUS_MIN, RADIUS_MAX = 4.0, 16.0


def marker_radius(planned: pd.Series, largest: float | None = None) -> pd.Series:
    """Pixel radius per site: area proportional to planned households, between RADIUS_MIN and
    RADIUS_MAX; missing or negative counts get the minimum."""
    values = planned.astype("Float64").where(planned.astype("Float64") > 0).astype(float)
    top = largest if largest else (values.max() if values.notna().any() else 1.0)
    top = top if top and top > 0 else 1.0
    scaled = RADIUS_MIN + (RADIUS_MAX - RADIUS_MIN) * (values.clip(upper=top) / top) ** 0.5
    return scaled.fillna(RADIUS_MIN).round(1)


def _cell(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return str(value)


def _stage_index(stage: object) -> int:
    """Index into the stage colours; a site without a stage gets the last (neutral) entry."""
    return SITE_STAGES.index(stage) if isinstance(stage, str) and stage in SITE_STAGES else len(SITE_STAGES)


def sites_json(sites: pd.DataFrame, fields: Sequence[pd.Series], flags: pd.Series,
               radius: pd.Series) -> str:
    """Script-safe JSON list of markers: id, lat, lon (6 decimals), radius `r`, stage index `k`,
    flag text `f` (omitted when empty) and display values `v` (the first is the title). Expects
    `sites` to hold only drawable sites (lon/lat present) and every series to share its index."""
    out = []
    for index in sites.index:
        site = {"id": str(sites.at[index, "site_id"]),
                "lat": round(float(sites.at[index, "lat"]), 6), "lon": round(float(sites.at[index, "lon"]), 6),
                "r": float(radius.at[index]), "k": _stage_index(sites.at[index, "stage"]),
                "v": [_cell(column.at[index]) for column in fields]}
        flag = flags.at[index]
        if isinstance(flag, str) and flag:
            site["f"] = flag
        out.append(site)
    return script_safe_json(out)


@dataclass(frozen=True)
class SitesLegend:
    title: str
    stage_labels: Mapping[str, str]
    size_title: str
    sizes: tuple[tuple[float, str], ...]   # (radius px, label)
    flag_text: str

    def to_json(self) -> dict:
        return {"title": self.title,
                "items": [{"color": _color(STAGE_COLORS[s]), "label": self.stage_labels[s]} for s in SITE_STAGES],
                "sizeTitle": self.size_title, "sizes": [{"r": r, "label": label} for r, label in self.sizes],
                "flagText": self.flag_text, "flagColor": FLAG_COLOR}


class SitesLayer(JSCSSMixin, MacroElement):
    """Adds `portalSites(data, options)` (static/portal/sites.js) to its parent group; declares
    the vendored markercluster and the site script so st_folium loads them from the portal."""

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = portalSites({{ this.data }}, {{ this.options }}).addTo({{ this._parent.get_name() }});
{% endmacro %}
""")
    default_js = [("leaflet.markercluster", MARKERCLUSTER_JS), ("portal_sites_js", SITES_JS)]
    default_css = [("markerclustercss", MARKERCLUSTER_CSS), ("markerclusterdefault", MARKERCLUSTER_DEFAULT_CSS),
                   ("portal_sites_css", SITES_CSS)]

    def __init__(self, data: str, *, fields: Sequence[str], legend: SitesLegend | None,
                 cluster: bool = True, cluster_radius: int = 45, cluster_until_zoom: int = 12):
        super().__init__()
        self._name = "SitesLayer"
        self.data = data
        self.options = script_safe_json({
            "stages": [{"color": _color(STAGE_COLORS[s])} for s in SITE_STAGES] + [{"color": NO_STAGE_COLOR}],
            "fields": list(fields), "line": LINE_COLOR, "flagColor": FLAG_COLOR, "flagWeight": 3.5,
            "cluster": cluster, "clusterRadius": cluster_radius, "clusterUntilZoom": cluster_until_zoom,
            "legend": legend.to_json() if legend else None,
        })


def size_steps(largest: float, labels: str) -> tuple[tuple[float, str], ...]:
    """Three legend sizes (a quarter, half and all of the largest planned households), worded
    with `labels` (a format string with {value})."""
    if not largest or largest <= 0 or math.isnan(largest):
        return ()
    values = sorted({max(1, round(largest * f)) for f in (0.25, 0.5, 1.0)})
    radius = marker_radius(pd.Series(values, dtype="Float64"), largest)
    return tuple((float(r), labels.format(value=v)) for r, v in zip(radius, values))


def sites_group(data: str, *, name: str, fields: Sequence[str], legend: SitesLegend | None,
                cluster: bool = True) -> folium.FeatureGroup:
    """A FeatureGroup holding one SitesLayer (usable as st_folium's feature_group_to_add)."""
    group = folium.FeatureGroup(name=name)
    group.add_child(SitesLayer(data, fields=fields, legend=legend, cluster=cluster))
    return group
