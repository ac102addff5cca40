"""One view, assembled for export without Streamlit: the units in view with display geometry, their
styling, the region's outline and KPIs, and the wording of notices.

The portal passes its cached figures and display geometry; the command line (`layers.pack`)
lets this module compute them. Either way the same functions (`units_in_view`,
`consistency_flags`, `style_view`) decide what is shown, so an export matches the screen.

`text` is the UI's lookup function (`ui.text.t`): builders never hold Chinese themselves.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import pandas as pd

from geo import settings
from geo.aggregate import STATUSES, region_kpis, unit_figures
from geo.change import CHANGE_INDICATORS, with_change
from geo.codes import code_level
from geo.consistency import consistency_flags
from geo.identity import Identity, identity_of
from geo.read import Bundle
from geo.schema import CODE, DISPLAY_CRS, FILES, LEVEL, NAME, OPTIONAL_KINDS
from geo.simplify import display_units
from geo.view import ROOT, TWO_YEAR_MODES, View, context_units, units_in_view
from layers.change_style import change_fields, style_change
from layers.styling import SUPPRESSED_INDICATORS, Styled, format_value, style_view
from layers.view_layer import join_rows

Text = Callable[..., str]  # key, **params -> display string (ui.text.t)


@dataclass(frozen=True)
class Points:
    """A point overlay (e.g. relocation sites): circles at lon/lat (EPSG:4326) filled by class,
    `radius` in screen pixels as on the interactive map, flagged points outlined in `flag_color`;
    legend rows per class with counts, optional size rows and a flag row."""

    lon: tuple[float, ...]
    lat: tuple[float, ...]
    classes: tuple[int, ...]          # index into colors / labels
    radius: tuple[float, ...]
    flagged: tuple[bool, ...]
    colors: tuple[str, ...]
    labels: tuple[str, ...]
    title: str
    flag_color: str
    flag_label: str = ""
    line_color: str = "#333333"
    size_title: str = ""
    sizes: tuple[tuple[float, str], ...] = ()   # (radius px, label) legend rows

    @property
    def counts(self) -> tuple[int, ...]:
        return tuple(sum(1 for k in self.classes if k == i) for i in range(len(self.colors)))

    @property
    def flags(self) -> int:
        return sum(self.flagged)


@dataclass(frozen=True)
class Snapshot:
    """Everything an export of one view needs; plain data, no Streamlit."""

    view: View
    shapes: gpd.GeoDataFrame      # the view's rows (figures + 'flag') with display geometry, EPSG:4326
    styled: Styled                # aligned with shapes' index
    outline: gpd.GeoSeries        # the region's own boundary (empty for the whole dataset), EPSG:4326
    region_name: str
    kpis: tuple[tuple[str, str], ...]   # (label, value) rows of the region's headline figures
    notices: tuple[str, ...]      # notices the export must show (empty view, no data, ...)
    demo: bool
    source: str
    metric_crs: str               # the region's metric CRS (geo.identity): the static map is drawn in it
    extent: tuple[float, float, float, float]   # the whole dataset's lon/lat bounds (fallback view)
    points: Points | None = None            # drawn over the units (with_layers)
    subject: str | None = None              # what the map shows, when not the view's indicator
    page_filters: tuple[str, ...] = ()      # a page's own filters, worded
    title_key: str = "export.title_default" # text key of the default title ({region}, {year})
    html_layers: tuple[Any, ...] = field(default=(), compare=False)  # folium groups for the HTML
    html_units: bool = True                 # draw the units layer (styled) in the HTML export
    demo_kinds: tuple[str, ...] = ()        # kinds still from the bundled demo (empty + demo: all)
    small_count: int = 0                    # monitored counts 1..n-1 shown as "<n" (0: not suppressed)
    asof_text: str | None = None            # a page's own as-of wording (e.g. a day), else the year end

    @property
    def shown(self) -> int:
        """Number of units the view lists (context units of a mode excluded)."""
        if "context" not in self.shapes:
            return len(self.shapes)
        return int((~self.shapes["context"].fillna(False).astype(bool)).sum())

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """Bounds of the units in view, else of the region outline, else the dataset's (EPSG:4326)."""
        for frame in (self.shapes.geometry, self.outline):
            if len(frame) and not frame.is_empty.all():
                return tuple(float(b) for b in frame.total_bounds)
        return self.extent


def normalize_region(region: str, identity: Identity) -> str:
    """'all' or the dataset's own root code (its prefecture or province) -> ROOT; unit codes
    unchanged."""
    return ROOT if region == ROOT or identity.is_root_alias(region) else region


MAINLAND_PROVINCES = 31   # provincial-level units a nation-wide dataset covers
MANY_PARTS = 3            # more unnamed parts than this are summarised, so a title stays short


def identity_name(identity: Identity, text: Text) -> str:
    """The dataset's region as the UI names it: its name, or up to three parts joined, else
    '<first>等 N 个地区' ('全国' for every mainland province)."""
    if identity.name or len(identity.parts) <= MANY_PARTS:
        return identity.label(text("identity.join"))
    if identity.scope == "provinces" and len(identity.roots) >= MAINLAND_PROVINCES:
        return text("identity.nation")
    return text("identity.many", first=identity.parts[0], count=len(identity.parts))


def region_name(units: pd.DataFrame, region: str, text: Text, identity: Identity | None = None) -> str:
    """Display name of `region`: the dataset's own name for ROOT, else the unit's name."""
    if region == ROOT:
        return identity_name(identity or identity_of(units), text)
    names = dict(zip(units[CODE].tolist(), units[NAME].tolist()))
    return str(names.get(region, region))


def kpi_rows(figures: pd.DataFrame, region: str, text: Text) -> tuple[tuple[str, str], ...]:
    """Headline figures of `region` (ROOT, a county or a township) as display rows."""
    def persons(value) -> str:
        return text("kpi.none") if pd.isna(value) else text("kpi.persons", value=int(value))

    def percent(value) -> str:
        return text("kpi.none") if value is None or pd.isna(value) else text("kpi.percent", value=float(value))

    if region == ROOT or code_level(region) == "county":
        kpis = region_kpis(figures, None if region == ROOT else region)
        rows = []
        if region == ROOT or kpis.poor_counties:
            rows.append((text("kpi.counties"), text("kpi.of", done=kpis.exited_counties,
                                                    total=kpis.poor_counties)))
        has_data = kpis.rural_population > 0
        rows += [
            (text("kpi.villages"), text("kpi.of", done=kpis.exited_villages, total=kpis.poor_villages)),
            (text("field.registered_poor"), persons(kpis.registered_poor if has_data else pd.NA)),
            (text("kpi.remaining"), persons(kpis.remaining_poor if has_data else pd.NA)),
            (text("kpi.incidence"), percent(kpis.incidence)),
        ]
        return tuple(rows)
    row = figures.loc[figures[CODE] == region]
    if row.empty:
        return ()
    row = row.iloc[0]
    done, total = row["exited_villages"], row["poor_villages"]
    return (
        (text("kpi.villages"), text("kpi.of", done=0 if pd.isna(done) else int(done),
                                    total=0 if pd.isna(total) else int(total))),
        (text("field.registered_poor"), persons(row["registered_poor"])),
        (text("kpi.remaining"), persons(row["remaining_poor"])),
        (text("kpi.incidence"), percent(row["incidence"])),
    )


def demo_notice(demo_kinds: Sequence[str], text: Text, *,
                all_kinds: Sequence[str] = tuple(k for k in FILES if k not in OPTIONAL_KINDS)) -> str:
    """The demo notice for a dataset whose `demo_kinds` are synthetic: the full notice when every
    core kind (or none named) is the demo, else one naming the demo kinds."""
    if not demo_kinds or set(all_kinds) <= set(demo_kinds):
        return text("demo.notice")
    return text("demo.partial", kinds=text("identity.join").join(text(f"kind.{k}") for k in demo_kinds))


def status_labels(text: Text) -> dict[str, str]:
    return {status: text(f"status.{status}") for status in STATUSES}


def prepare_snapshot(bundle: Bundle, view: View, text: Text, *, demo: bool, source: str,
                     demo_kinds: Sequence[str] = (), small_count: int | None = None,
                     figures: pd.DataFrame | None = None,
                     display: gpd.GeoDataFrame | None = None, identity: Identity | None = None,
                     base_figures: pd.DataFrame | None = None) -> Snapshot:
    """The Snapshot of `view`. `figures` (unit_figures of view.year), `base_figures` (of
    view.compare_year, change and pair modes), `display` (display_units of view.level) and
    `identity` (identity_of the units) may be passed from a cache; they are computed otherwise.
    `small_count` defaults to the `small_count` setting (exports suppress small monitored counts);
    the live map passes 0. Inputs unchanged.

    Change mode (变化): rows get `before`, `after`, `change` of the indicator between
    view.compare_year and view.year, coloured by diverging change classes (layers.change_style);
    no compare year means no data. Pair mode (两年对比): the view's year, classed together with
    the compare year's values so both maps of a side-by-side share their classes."""
    identity = identity or identity_of(bundle.units)
    view = replace(view, region=normalize_region(view.region, identity))
    if figures is None:
        figures = unit_figures(bundle.units, bundle.exit_status, view.year)
    if display is None:
        display = display_units(bundle.units, view.level)
    two_years = view.mode in TWO_YEAR_MODES and view.indicator in CHANGE_INDICATORS
    if two_years and base_figures is None and view.compare_year is not None:
        base_figures = unit_figures(bundle.units, bundle.exit_status, view.compare_year)
    rows = units_in_view(figures, view).copy()
    if two_years:   # both years' values and the change (table, tooltips, change classes)
        base = base_figures if view.compare_year is not None else figures.iloc[0:0]
        rows = with_change(rows, base, view.indicator)
    rows["flag"] = consistency_flags(rows, bundle.services) if len(rows) else pd.Series(dtype="string")
    rows["context"] = False
    others = context_units(figures, view)
    if len(others):  # the units the mode leaves out stay on the map as neutral context
        rows = pd.concat([rows, others.assign(flag=pd.Series(pd.NA, index=others.index, dtype="string"),
                                              context=True)])
    shapes = join_rows(display, rows)
    limit = settings.get("small_count") if small_count is None else small_count
    if view.mode == "change" and two_years:
        styled = style_change(pd.DataFrame(shapes.drop(columns="geometry")), view.indicator, text,
                              title=change_title(view, text))
    else:
        also = None
        if view.mode == "pair" and two_years and view.compare_year is not None:
            other = units_in_view(base_figures, replace(view, year=view.compare_year))
            also = other[view.indicator]
        styled = style_view(pd.DataFrame(shapes.drop(columns="geometry")), view.indicator, view.classing,
                            status_labels=status_labels(text), title=text(f"indicator.{view.indicator}"),
                            context_label=text("legend.context"), small_count=limit, also=also)
    outline = bundle.units.loc[bundle.units[CODE] == view.region].geometry.to_crs(DISPLAY_CRS)
    notices = []
    if not int((~shapes["context"].astype(bool)).sum()):
        notices.append(text("export.empty"))
    elif styled.no_data == len(shapes) and view.mode == "change":
        notices.append(text("change.no_data", base=view.compare_year or "—", year=view.year))
    elif styled.no_data == len(shapes):
        notices.append(text("export.no_data", year=view.year))
    if view.indicator in SUPPRESSED_INDICATORS and limit > 1:
        notices.append(text("export.small_count_note", limit=limit))
    title_key = "export.title_change" if view.mode == "change" else "export.title_default"
    return Snapshot(view=view, shapes=shapes, styled=styled, outline=outline.reset_index(drop=True),
                    title_key=title_key,
                    region_name=region_name(bundle.units, view.region, text, identity),
                    kpis=kpi_rows(figures, view.region, text), notices=tuple(notices), demo=demo,
                    source=source, metric_crs=identity.metric_crs, extent=identity.bounds,
                    demo_kinds=tuple(demo_kinds) if demo else (), small_count=limit)


def with_layers(snapshot: Snapshot, *, styled: Styled | None = None, points: Points | None = None,
                subject: str | None = None, page_filters: Sequence[str] = (), title_key: str | None = None,
                kpis: Sequence[tuple[str, str]] | None = None, html_layers: Sequence[Any] = (),
                html_units: bool = True, clear_flags: bool = False) -> Snapshot:
    """`snapshot` as another map page shows it: its own unit colouring (`styled`, aligned with
    snapshot.shapes), a point overlay, its subject, filters, KPIs and title; `html_layers` are the
    page's folium groups for the HTML export (instead of the units layer if not `html_units`).
    `clear_flags` drops the exit-data consistency outlines the page does not show."""
    shapes = snapshot.shapes.assign(flag=pd.NA) if clear_flags else snapshot.shapes
    if styled is not None and not styled.index.index.equals(shapes.index):
        raise ValueError("styled must be aligned with the snapshot's shapes")
    return replace(snapshot, shapes=shapes, styled=styled or snapshot.styled, points=points,
                   subject=subject, page_filters=tuple(page_filters),
                   title_key=title_key or snapshot.title_key,
                   kpis=snapshot.kpis if kpis is None else tuple(kpis),
                   html_layers=tuple(html_layers), html_units=html_units)


def tooltip_fields(rows: pd.DataFrame, view: View, text: Text, *, small_count: int = 0) -> dict[str, pd.Series]:
    """Tooltip rows of the interactive map (label -> display value per unit); the HTML export
    passes `small_count` so small monitored counts read '<5'."""
    def shown(column: str, indicator: str) -> pd.Series:
        return rows[column].map(lambda v: None if pd.isna(v) else format_value(v, indicator,
                                                                                small_count=small_count))

    labels = status_labels(text)
    fields = {text("field.name"): rows[NAME], text("field.code"): rows[CODE]}
    if view.mode == "change" and "change" in rows:
        return {**fields, **change_fields(rows, view.indicator, view.compare_year, view.year, text,
                                          small_count=small_count)}
    fields[text("field.status")] = rows["status"].fillna("no_data").map(labels)
    if view.indicator not in ("status", "remaining_poor", "incidence"):
        fields[text(f"indicator.{view.indicator}")] = shown(view.indicator, view.indicator)
    fields[text("field.remaining_poor")] = shown("remaining_poor", "remaining_poor")
    fields[text("field.incidence")] = shown("incidence", "incidence")
    fields[text("field.planned_exit_year")] = rows["planned_exit_year"]
    fields[text("field.actual_exit_year")] = rows["actual_exit_year"]
    return fields


def change_title(view: View, text: Text) -> str:
    """The change legend's title: '剩余贫困人口变化（2018→2019 年）'."""
    return text("change.title", indicator=text(f"indicator.{view.indicator}"),
                base=view.compare_year or "—", year=view.year)


def default_title(snapshot: Snapshot, text: Text) -> str:
    view = snapshot.view
    return text(snapshot.title_key, region=snapshot.region_name, year=view.year,
                base=view.compare_year or "—", indicator=text(f"indicator.{view.indicator}"))


TITLE_MAX = 60  # characters: one line at A4 landscape


def clean_title(raw: str | None, default: str) -> tuple[str, bool]:
    """A printable one-line title (control characters dropped, whitespace collapsed, at most
    TITLE_MAX characters) and whether it was cut. Empty input gives `default`. The result is
    still untrusted text: escape it for HTML, draw it without mathtext."""
    cleaned = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in (raw or ""))
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        return default, False
    if len(cleaned) > TITLE_MAX:
        return cleaned[: TITLE_MAX - 1] + "…", True
    return cleaned, False


def describe_view(snapshot: Snapshot, text: Text) -> str:
    """One line: region, as-of year, level, indicator, mode and filters."""
    view = snapshot.view
    asof = snapshot.asof_text or text("sidebar.asof", year=view.year)
    if view.mode in TWO_YEAR_MODES:
        asof = text("change.asof", base=view.compare_year or "—", year=view.year)
    parts = [text("export.region", region=snapshot.region_name), asof, text(f"level.{view.level}")]
    if snapshot.subject is not None:
        parts.append(snapshot.subject)
        if snapshot.page_filters:
            parts.append(text("export.filters", filters=text("export.filter_sep").join(snapshot.page_filters)))
        return " · ".join(parts)
    parts += [text(f"indicator.{view.indicator}"), text(f"mode.{view.mode}")]
    if view.indicator != "status" and view.mode != "change":
        parts.append(text(f"classing.{view.classing}"))
    filters = []
    if view.poor_only:
        filters.append(text("exit.poor_only"))
    if view.statuses:
        labels = status_labels(text)
        filters.append(text("export.filter_status",
                            statuses=text("export.list_sep").join(labels[s] for s in view.statuses)))
    if filters:
        parts.append(text("export.filters", filters=text("export.filter_sep").join(filters)))
    return " · ".join(parts)


def children(units: pd.DataFrame, region: str) -> list[tuple[str, str]]:
    """[(code, name)] of the units directly below `region` (ROOT: the counties), in code order."""
    if region == ROOT:
        below = units.loc[units[LEVEL] == "county"]
    else:
        child_level = {"county": "township", "township": "village"}[code_level(region)]
        below = units.loc[(units[LEVEL] == child_level) & (units["parent_code"] == region)]
    below = below.sort_values(CODE)
    return list(zip(below[CODE].astype(str), below[NAME].astype(str)))
