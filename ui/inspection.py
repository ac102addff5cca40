"""Streamlit glue of the 督战 page: the as-of day and filter widgets (URL <-> session), cached
states of the ledgers on a day, the map layers of a view, the tables with Chinese headers, and the
export overlay / briefing. Rules live in geo.inspection and geo.monitoring; drawing in
layers.inspection_layer and layers.inspection_brief."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo import inspection as ins
from geo import monitoring, settings
from geo.codes import code_level
from geo.schema import CODE, NAME, PROBLEM_CATEGORIES, PROBLEM_SOURCES, YEARS
from geo.view import ROOT, View, parse_page_params, region_prefix
from layers import inspection_layer as il
from layers.export_layers import neutral_styled
from layers.inspection_brief import Briefing, build_briefing
from layers.snapshot import Snapshot, with_layers
from ui import cache
from ui.export import _source
from ui.state import ViewState
from ui.text import t

PAGE = "inspection"
LAYERS = ("problems", "projects", "monitoring")   # what the map colours (one at a time)
FILTERS = {"source": PROBLEM_SOURCES, "category": PROBLEM_CATEGORIES, "state": ins.PROBLEM_STATES}


def due_days() -> int:
    """Days before a deadline an open problem turns yellow (setting `inspection_due_days`)."""
    return int(settings.get("inspection_due_days"))


def late_days() -> int:
    """Grace days after a planned finish before a project turns yellow (`project_late_days`)."""
    return int(settings.get("project_late_days"))


def view_year(asof: pd.Timestamp) -> int:
    """The campaign year of an as-of day (clamped to the years the exit data has)."""
    return min(max(asof.year, YEARS[0]), YEARS[-1])


# --------------------------------------------------------------------------- cached data

@st.cache_resource(show_spinner=False, max_entries=16)
def _problem_states(folder: str, stamp: tuple, asof: str, due: int) -> pd.DataFrame | None:
    problems = cache.bundle().problems
    return None if problems is None else ins.problem_states(problems, pd.Timestamp(asof), due_days=due)


def problem_states(asof: pd.Timestamp) -> pd.DataFrame | None:
    """Problems with their state on `asof` (read-only), None without a problem list."""
    return _problem_states(*cache.key(), f"{asof:%Y-%m-%d}", due_days())


@st.cache_resource(show_spinner=False, max_entries=16)
def _project_states(folder: str, stamp: tuple, asof: str, late: int) -> pd.DataFrame | None:
    projects = cache.bundle().projects
    return None if projects is None else ins.project_states(projects, pd.Timestamp(asof), late_days=late)


def project_states(asof: pd.Timestamp) -> pd.DataFrame | None:
    """Projects with their state on `asof` (read-only), None without a project list."""
    return _project_states(*cache.key(), f"{asof:%Y-%m-%d}", late_days())


@st.cache_resource(show_spinner=False, max_entries=32)
def _burn_down(folder: str, stamp: tuple, prefix: str, sources: tuple, categories: tuple,
               units: tuple) -> pd.DataFrame:
    problems = cache.bundle().problems
    start = problems["found_date"].min() - pd.Timedelta(days=1)
    end = max(problems["deadline"].max(), ins.data_date(problems, None)) + pd.Timedelta(days=7)
    chosen = ins.filter_items(problems, sources=sources, categories=categories, units=units, prefix=prefix)
    return ins.burn_down(chosen, start, end)


def burn_down(prefix: str, choices: "Choices") -> pd.DataFrame:
    """Daily burn-down of the region's problems (code prefix) under the source, category and
    responsible-unit filters (the state filter is what the chart shows, so it does not apply)."""
    return _burn_down(*cache.key(), prefix, choices.sources, choices.categories, choices.units)


def shapes(view: View) -> gpd.GeoDataFrame:
    """Display polygons (EPSG:4326) of the units the view shows."""
    fine = view.region != ROOT and code_level(view.region) == "township"
    display = cache.display(view.level, fine=fine)
    return display.loc[display[CODE].str.startswith(region_prefix(view.region))].reset_index(drop=True)


# --------------------------------------------------------------------------- widgets

@dataclass(frozen=True)
class Choices:
    """The page's own widgets: as-of day, problem filters, monitoring layer."""

    asof: pd.Timestamp
    sources: tuple[str, ...]
    categories: tuple[str, ...]
    states: tuple[str, ...]
    units: tuple[str, ...]
    layer: str
    monitor_kind: str

    @property
    def monitor(self) -> bool:
        return self.layer == "monitoring"

    def params(self) -> dict[str, str]:
        """URL parameters of the choices (empty ones are dropped by the caller)."""
        return {"date": f"{self.asof:%Y-%m-%d}", "source": ",".join(self.sources),
                "category": ",".join(self.categories), "state": ",".join(self.states),
                "unit": "|".join(self.units), "layer": self.layer if self.layer != LAYERS[0] else "",
                "monitor": self.monitor_kind if self.monitor and self.monitor_kind != "all" else ""}


def load_url(state: ViewState, url: Mapping[str, str | None], default: pd.Timestamp,
             unit_options: Sequence[str]) -> list[str]:
    """Apply the page's URL parameters (first run only) to its widget keys; returns bad names."""
    s = st.session_state
    problems: list[str] = []
    if state.key("date") not in s:
        s[state.key("date")] = default.date()
    if url.get("date") is not None:
        asof = ins.parse_asof(url["date"])
        if asof is None:
            problems.append("date")
        else:
            s[state.key("date")] = asof.date()
    spec = {name: ("list", allowed) for name, allowed in FILTERS.items()}
    spec["monitor"] = ("choice", monitoring.CHOICES)
    spec["layer"] = ("choice", LAYERS)
    values, bad = parse_page_params(url, spec)
    problems += bad
    for name in (*FILTERS, "layer"):
        if name in values:
            s[state.key(name)] = values[name]
    if "monitor" in values:
        s[state.key("monitor_kind")] = values["monitor"]
    if url.get("unit"):
        wanted = [u for u in url["unit"].split("|") if u]
        if set(wanted) <= set(unit_options):
            s[state.key("unit")] = wanted
        else:
            problems.append("unit")
    return problems


def sidebar(state: ViewState, unit_options: Sequence[str], *, has_problems: bool, has_projects: bool) -> Choices:
    """As-of day, the map's subject, problem filters and the monitoring kind in the sidebar."""
    sb = st.sidebar
    layers = [name for name, present in zip(LAYERS, (has_problems, has_projects, True)) if present]
    if st.session_state.get(state.key("layer")) not in layers:
        st.session_state[state.key("layer")] = layers[0]
    layer = sb.radio(t("insp.layer"), layers, key=state.key("layer"), format_func=lambda v: t(f"insp.layer.{v}"))
    kind = sb.selectbox(t("insp.monitor.kind"), list(monitoring.CHOICES), key=state.key("monitor_kind"),
                        format_func=lambda v: t(f"insp.monitor.{v}"), disabled=layer != "monitoring")
    picked = sb.date_input(t("insp.asof"), key=state.key("date"), min_value=date(YEARS[0], 1, 1),
                           max_value=date(YEARS[-1] + 5, 12, 31), help=t("insp.asof_help"), format="YYYY-MM-DD")
    asof = ins.as_day(picked)
    sources = categories = states = units = ()
    if has_problems:
        sb.subheader(t("insp.filters"))
        sources = sb.multiselect(t("insp.filter.source"), list(PROBLEM_SOURCES), key=state.key("source"),
                                 placeholder=t("filter.all"), format_func=lambda v: t(f"insp.source.{v}"))
        categories = sb.multiselect(t("insp.filter.category"), list(PROBLEM_CATEGORIES), key=state.key("category"),
                                    placeholder=t("filter.all"), format_func=lambda v: t(f"insp.category.{v}"))
        states = sb.multiselect(t("insp.filter.state"), list(ins.PROBLEM_STATES), key=state.key("state"),
                                placeholder=t("filter.all"), format_func=lambda v: t(f"insp.item_state.{v}"))
        if state.key("unit") in st.session_state:
            st.session_state[state.key("unit")] = [u for u in st.session_state[state.key("unit")]
                                                   if u in unit_options]
        units = sb.multiselect(t("insp.filter.unit"), list(unit_options), key=state.key("unit"),
                               placeholder=t("filter.all"))
        sb.caption(t("insp.thresholds", due=due_days(), late=late_days()))
    return Choices(asof, tuple(sources), tuple(categories), tuple(states), tuple(units), layer, kind)


# --------------------------------------------------------------------------- view figures

def state_labels() -> list[str]:
    return [t(f"insp.state.{s}", days=due_days()) for s in ins.PROBLEM_STATES]


def project_labels() -> list[str]:
    return [t(f"insp.project.{s}") for s in ins.PROJECT_STATES]


def counts(items: pd.DataFrame | None, level: str, states: Sequence[str]) -> pd.DataFrame:
    """per_unit counts, empty (with the columns) when there are no items."""
    if items is None or items.empty:
        return pd.DataFrame({CODE: pd.Series(dtype="string"), **{s: pd.Series(dtype="int64") for s in states},
                             "total": pd.Series(dtype="int64"), "light": pd.Series(dtype="int64")})
    return ins.per_unit(items, level, states)


def _count_field(frame: pd.DataFrame, codes: pd.Series, column: str) -> pd.Series:
    values = codes.map(frame.set_index(CODE)[column]) if len(frame) else pd.Series(pd.NA, index=codes.index)
    return values.map(lambda v: None if pd.isna(v) else f"{int(v):,}")


@dataclass(frozen=True)
class Coloring:
    """What the map colours for the chosen layer: class per unit (aligned with the codes), colours,
    class labels, title and the label of units without items."""

    classes: pd.Series
    colors: tuple[str, ...]
    labels: tuple[str, ...]
    title: str
    empty_label: str


def coloring(layer: str, codes: pd.Series, problem_counts: pd.DataFrame, project_counts: pd.DataFrame,
             monitor: tuple[str, pd.DataFrame] | None) -> tuple[Coloring, pd.Series | None]:
    """The chosen layer's Coloring of `codes`, and the monitoring rate per code (monitoring only)."""
    if layer == "projects":
        return Coloring(ins.light_classes(codes, project_counts), il.PROJECT_COLORS, tuple(project_labels()),
                        t("insp.layer.projects"), t("insp.no_projects")), None
    if layer == "monitoring" and monitor is not None:
        kind, rates = monitor
        rate = codes.map(rates.set_index(CODE)[f"rate_{kind}"]) if len(rates) else pd.Series(pd.NA, index=codes.index)
        labels = tuple(t(f"insp.monitor.class.{i}") for i in range(len(il.MONITOR_COLORS)))
        return Coloring(il.monitor_classes(rate), il.MONITOR_COLORS, labels,
                        t("insp.layer.monitoring") + " · " + t(f"insp.monitor.{kind}"), t("status.no_data")), rate
    return Coloring(ins.light_classes(codes, problem_counts), il.PROBLEM_COLORS, tuple(state_labels()),
                    t("insp.layer.problems"), t("insp.no_items")), None


def map_layers(view: View, shown: gpd.GeoDataFrame, problem_counts: pd.DataFrame, project_counts: pd.DataFrame,
               supervised: pd.DataFrame, *, layer: str, monitor: tuple[str, pd.DataFrame] | None
               ) -> tuple[list, Coloring]:
    """The page's feature group for `layer` (problem lights, project progress or monitoring) and
    its Coloring; units under listed supervision are outlined on each."""
    codes = shown[CODE]
    level_of = dict(zip(supervised[CODE], supervised["supervision_level"]))
    flagged = codes.isin(set(level_of))
    colored, rate = coloring(layer, codes, problem_counts, project_counts, monitor)
    fields = {t("field.name"): shown[NAME], t("field.code"): codes}
    if layer == "projects":
        fields[t("insp.field.projects")] = codes.map(_project_text(project_counts))
    elif rate is not None:
        fields[t("insp.field.monitor_rate")] = rate.map(lambda v: None if pd.isna(v) else f"{float(v):.3f}")
    else:
        opened = problem_counts.assign(open_total=problem_counts[list(ins.OPEN_STATES)].sum(axis=1))
        fields[t("insp.field.overdue")] = _count_field(problem_counts, codes, "overdue")
        fields[t("insp.field.due_soon")] = _count_field(problem_counts, codes, "due_soon")
        fields[t("insp.field.open")] = _count_field(opened, codes, "open_total")
        fields[t("insp.field.closed")] = _count_field(problem_counts, codes, "closed")
    fields[t("insp.supervised")] = codes.map(lambda c: t(f"insp.level.{level_of[c]}") if c in level_of else None)
    group = il.light_layer(shown, colored.classes, colored.colors, colored.labels, name=colored.title, fields=fields,
                           count_format=t("legend.count", label="{label}", count="{count}"),
                           no_data_label=colored.empty_label, flagged=flagged, flag_text=t("insp.supervised"),
                           flag_legend=t("insp.supervised_legend", count=int(flagged.sum())),
                           selected=view.selected)
    return [group], colored


def _project_text(project_counts: pd.DataFrame) -> Mapping[str, str]:
    if project_counts.empty:
        return {}
    return {row[CODE]: f"{int(row['start_late'])} / {int(row['finish_late'])} / {int(row['total'])}"
            for _, row in project_counts.iterrows()}


def kpis(states: pd.DataFrame | None, projects: pd.DataFrame | None, supervised: pd.DataFrame) -> list[tuple[str, str]]:
    """(label, value) cards of the region on the as-of day."""
    rows: list[tuple[str, str]] = []
    if states is not None:
        total = ins.totals(states)
        rows += [(t("insp.kpi.found"), f"{total['found']:,}"),
                 (t("insp.kpi.open"), f"{total['overdue'] + total['due_soon'] + total['open']:,}"),
                 (t("insp.kpi.overdue"), f"{total['overdue']:,}"),
                 (t("insp.kpi.due_soon"), f"{total['due_soon']:,}"),
                 (t("insp.kpi.closed_short"), f"{total['closed']:,}"),
                 (t("insp.kpi.closed_late"), f"{total['closed_late']:,}")]
    if projects is not None:
        rows.append((t("insp.kpi.projects_short"), t("insp.kpi.projects_short_value",
                                                      start=int((projects["state"] == "start_late").sum()),
                                                      finish=int((projects["state"] == "finish_late").sum()))))
    rows.append((t("insp.kpi.supervised"), f"{len(supervised):,}"))
    return rows


# --------------------------------------------------------------------------- tables

def problem_table(items: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """Problems with Chinese headers: open ones first (most overdue first), then closed."""
    order = {state: i for i, state in enumerate(ins.PROBLEM_STATES)}
    items = items.assign(_order=items["state"].map(order)).sort_values(["_order", "days_left", "problem_id"])
    day = lambda v: "" if pd.isna(v) else f"{pd.Timestamp(v):%Y-%m-%d}"  # noqa: E731
    return pd.DataFrame({
        t("insp.col.problem_id"): items["problem_id"],
        t("field.code"): items[CODE].astype(str),
        t("insp.col.unit"): items[CODE].map(names),
        t("insp.col.county"): items[CODE].map(lambda c: names.get(str(c)[:6] + "000000")),
        t("insp.col.source"): items["source"].map(lambda v: t(f"insp.source.{v}")),
        t("insp.col.category"): items["category"].map(lambda v: t(f"insp.category.{v}")),
        t("insp.col.description"): items["description"],
        t("insp.col.found_date"): items["found_date"].map(day),
        t("insp.col.deadline"): items["deadline"].map(day),
        t("insp.col.state"): items["state"].map(lambda v: t(f"insp.item_state.{v}")),
        t("insp.col.days"): items["days_left"],
        t("insp.col.responsible_unit"): items["responsible_unit"],
        t("insp.col.responsible_person"): items["responsible_person"],
        t("insp.col.measure"): items["measure"],
        t("insp.col.closed_date"): items["closed_date"].where(items["state"] == "closed").map(day),
        t("insp.col.status"): items["status"].map(lambda v: t(f"insp.status.{v}")),
    })


def project_table(items: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """Projects with Chinese headers, late ones first."""
    order = {s: i for i, s in enumerate(ins.PROJECT_STATES)}
    items = items.assign(_order=items["state"].map(order)).sort_values(["_order", "project_id"])
    day = lambda v: "" if pd.isna(v) else f"{pd.Timestamp(v):%Y-%m-%d}"  # noqa: E731
    return pd.DataFrame({
        t("insp.col.project_id"): items["project_id"],
        t("insp.col.project_name"): items[NAME],
        t("field.code"): items[CODE].astype(str),
        t("insp.col.unit"): items[CODE].map(names),
        t("insp.col.category"): items["category"].map(lambda v: t(f"insp.category.{v}")),
        t("insp.col.funds"): items["funds"],
        t("insp.col.planned_start"): items["planned_start"].map(day),
        t("insp.col.planned_finish"): items["planned_finish"].map(day),
        t("insp.col.actual_start"): items["actual_start"].map(day),
        t("insp.col.actual_finish"): items["actual_finish"].map(day),
        t("insp.col.project_state"): items["state"].map(lambda v: t(f"insp.project.{v}")),
    })


def rank_table(problem_counts: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """Units with open problems, most overdue first."""
    ranked = ins.ranked_units(problem_counts)
    return pd.DataFrame({
        t("insp.rank"): ranked["rank"], t("field.code"): ranked[CODE].astype(str),
        t("field.name"): ranked[CODE].map(names),
        t("insp.field.overdue"): ranked["overdue"], t("insp.field.due_soon"): ranked["due_soon"],
        t("insp.field.open"): ranked["open_total"], t("insp.field.closed"): ranked["closed"],
    })


def monitor_table(rates: pd.DataFrame, names: Mapping[str, str], *, suppress: int | None) -> pd.DataFrame:
    """Monitoring per unit; `suppress` shows counts below it as '<N' (for downloads)."""
    def households(column: str) -> pd.Series:
        return monitoring.suppress_small(rates[column], suppress) if suppress else rates[column]
    return pd.DataFrame({
        t("field.code"): rates[CODE].astype(str), t("field.name"): rates[CODE].map(names),
        **{t(f"insp.monitor.{k}"): households(k) for k in monitoring.CHOICES},
        t("insp.monitor.col.rate"): rates["rate_all"].astype("Float64").round(3),
    })


# --------------------------------------------------------------------------- exports

def overlay(*, colored: Coloring, codes: pd.Series, choices: Choices, kpi_rows: list[tuple[str, str]],
            groups: Sequence):
    """The export panel's overlay: the map's classes per unit (joined on the snapshot's shapes
    by code), its KPIs, filters and layers."""
    per_code = pd.Series(colored.classes.to_numpy(), index=codes.to_numpy())

    def apply(shot: Snapshot) -> Snapshot:
        if shot.shapes.empty:
            styled = neutral_styled(shot.shapes, colored.title)
        else:
            index = shot.shapes[CODE].map(per_code).fillna(ins.NO_ITEMS).astype("int64")
            styled = il.light_styled(index, colored.colors, colored.labels, colored.title)
        filters = []
        if choices.states:
            filters.append(t("insp.export.filter_state", states="、".join(
                t(f"insp.item_state.{s}") for s in choices.states)))
        out = with_layers(shot, styled=styled, subject=colored.title, page_filters=filters,
                          title_key="insp.export.title", kpis=kpi_rows, html_layers=groups, html_units=False,
                          clear_flags=True)
        return replace(out, asof_text=t("insp.asof_day", date=f"{choices.asof:%Y-%m-%d}"))
    return apply


def briefing(region: str, asof: pd.Timestamp) -> Briefing:
    """The 督战 briefing PDF of `region` (ROOT or a county) on `asof`."""
    folder = cache.data_folder()
    kinds = tuple(cache.demo_kinds(folder))
    return build_briefing(cache.bundle(), region, asof, text=t, demo=bool(kinds), demo_kinds=kinds, source=_source(folder),
                          due_days=due_days(), late_days=late_days(), display=cache.display)
