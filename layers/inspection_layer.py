"""督战 layers: the problem traffic light and the project progress per unit (polygons styled in the
browser by class index, listed-supervision units outlined through the layer's flag), the
monitoring-rate choropleth, the same classes as a `Styled` for exports, and the 销号 burn-down
chart as a matplotlib figure (screen and briefing share it).

Builders take display strings as parameters; they never look text up.
"""
from __future__ import annotations

from collections.abc import Sequence

import folium
import geopandas as gpd
import pandas as pd
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from geo.inspection import NO_ITEMS
from layers.palette import FLAG_COLOR, NO_DATA_COLOR
from layers.static_map import FONT_PATH
from layers.styling import Styled
from layers.units_layer import LayerStyle, LegendSpec, features_json, units_group

# overdue, due soon, open (on track), all closed
PROBLEM_COLORS = ("#d7301f", "#fee08b", "#74add1", "#1a9850")
# not started after the planned start, not finished after the planned finish, on track, finished
PROJECT_COLORS = ("#d7301f", "#fee08b", "#74add1", "#1a9850")
# monitored households per 100 rural residents: 0, <0.1, 0.1-0.2, 0.2-0.4, >=0.4
MONITOR_BREAKS = (0.1, 0.2, 0.4)
MONITOR_COLORS = ("#f7f7f7", "#fdd49e", "#fc8d59", "#d7301f", "#7f0000")
BURN_COLORS = {"found": "#636363", "closed": "#1a9850", "open": "#2c7fb8", "overdue": "#d7301f"}


def _legend(title: str, colors: Sequence[str], labels: Sequence[str], classes: pd.Series, count_format: str,
            no_data_label: str, extra: Sequence[tuple[str, str]] = ()) -> LegendSpec:
    items = tuple((color, count_format.format(label=label, count=int((classes == i).sum())))
                  for i, (color, label) in enumerate(zip(colors, labels))) + tuple(extra)
    missing = int((classes == NO_ITEMS).sum())
    no_data = (NO_DATA_COLOR, count_format.format(label=no_data_label, count=missing)) if missing else None
    return LegendSpec(title, items, no_data)


def light_layer(shapes: gpd.GeoDataFrame, classes: pd.Series, colors: Sequence[str], labels: Sequence[str], *,
                name: str, fields: dict[str, pd.Series], count_format: str, no_data_label: str,
                flagged: pd.Series | None = None, flag_text: str | None = None, flag_legend: str | None = None,
                selected: str | None = None) -> folium.FeatureGroup:
    """Units (EPSG:4326, CODE) coloured by class index (NO_ITEMS = none), a legend counting each
    class; `flagged` units (listed supervision) get a thick outline, a tooltip row and a legend row.
    `classes`, `fields` and `flagged` share `shapes`' index."""
    data = features_json(shapes, classes, list(fields.values()), flagged)
    extra = ((FLAG_COLOR, flag_legend),) if flag_legend else ()
    style = LayerStyle(colors=tuple(colors), no_data_color=NO_DATA_COLOR, flag_color=FLAG_COLOR, weight=0.6)
    legend = _legend(name, colors, labels, classes, count_format, no_data_label, extra)
    return units_group(data, name=name, style=style, fields=list(fields), legend=legend,
                       flag_text=flag_text, selected=selected)


def light_styled(classes: pd.Series, colors: Sequence[str], labels: Sequence[str], title: str) -> Styled:
    """The same classes for the static export (`classes` aligned with the snapshot's shapes)."""
    counts = tuple(int((classes == i).sum()) for i in range(len(colors)))
    return Styled(classes.astype("int64"), tuple(colors), tuple(labels), counts,
                  int((classes == NO_ITEMS).sum()), title)


def monitor_classes(rate: pd.Series) -> pd.Series:
    """Class per unit of monitored households per 100 rural residents (NA -> NO_ITEMS)."""
    values = rate.astype("Float64")
    out = pd.Series(NO_ITEMS, index=rate.index, dtype="int64")
    out[(values == 0).fillna(False)] = 0
    low, middle, high = MONITOR_BREAKS
    out[((values > 0) & (values < low)).fillna(False)] = 1
    out[((values >= low) & (values < middle)).fillna(False)] = 2
    out[((values >= middle) & (values < high)).fillna(False)] = 3
    out[(values >= high).fillna(False)] = 4
    return out


def _font(size: float) -> FontProperties:
    return FontProperties(fname=str(FONT_PATH), size=size)


def draw_burn_down(ax, trend: pd.DataFrame, *, labels: dict[str, str], deadlines: Sequence[pd.Timestamp],
                   deadline_label: str, asof: pd.Timestamp | None, asof_label: str, size: float = 9) -> None:
    """Found, closed, open and overdue per day on `ax`; dashed lines at the deadlines and the
    as-of day. `labels` maps found/closed/open/overdue to legend text; `deadline_label` and
    `asof_label` are format strings with {date}."""
    for column in ("found", "closed", "open", "overdue"):
        ax.plot(trend["date"], trend[column], color=BURN_COLORS[column], linewidth=1.8 if column != "found" else 1.0,
                label=labels[column])
    top = float(trend[["found", "closed"]].to_numpy().max()) if len(trend) else 1.0
    for day in deadlines:
        ax.axvline(day, color="#d7301f", linestyle="--", linewidth=0.9)
        ax.text(day, top * 0.98, deadline_label.format(date=f"{day:%m-%d}"), rotation=90, va="top", ha="right",
                fontproperties=_font(size - 1.5), color="#d7301f")
    if asof is not None:
        ax.axvline(asof, color="#000000", linestyle=":", linewidth=1.0)
        ax.text(asof, top * 0.5, asof_label.format(date=f"{asof:%m-%d}"), rotation=90, va="center", ha="left",
                fontproperties=_font(size - 1.5))
    ax.legend(prop=_font(size - 1), loc="center left", frameon=False)
    ax.grid(True, color="#eeeeee", linewidth=0.6)
    ax.set_ylim(bottom=0)
    for label in ax.get_xticklabels() + ax.get_yticklabels():
        label.set_fontproperties(_font(size - 1.5))
    ax.xaxis.set_major_formatter(DateFormatter("%m-%d"))


def burn_down_figure(trend: pd.DataFrame, **kwargs) -> Figure:
    """A stand-alone burn-down figure (7 x 2.8 in) for the page; see `draw_burn_down`."""
    fig = Figure(figsize=(7, 2.8))
    ax = fig.add_axes((0.06, 0.12, 0.92, 0.84))
    draw_burn_down(ax, trend, **kwargs)
    return fig
