"""督战: problems per unit with a traffic light on an as-of day, projects late to start or finish,
listed supervision outlined, units ranked by overdue problems, the 销号 burn-down, filters,
tables with downloads, a clicked unit's open problems, monitoring on the map, exports."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from geo import inspection as ins
from geo import monitoring, settings
from geo.schema import CODE, NAME
from geo.view import ROOT, View, region_prefix, show_region
from layers.inspection_layer import burn_down_figure
from layers.snapshot import identity_name
from ui import cache
from ui import inspection as ui_ins
from ui import pages_support as ps
from ui.escape import md_escape
from ui.export import export_panel
from ui.info import inspection_section, view_panel
from ui.layout import page_header, url_notice
from ui.setup import load_bundle, setup_page
from ui.state import ViewState
from ui.text import t

setup_page("nav.inspection")
data = load_bundle()
state = ViewState(ui_ins.PAGE)
s = st.session_state
has_problems, has_projects = data.problems is not None, data.projects is not None
default_day = ins.data_date(data.problems, data.projects) or pd.Timestamp(f"{data.exit_status['year'].max()}-12-31")
unit_options = ins.responsible_units(data.problems) if has_problems else []
url = {name: ps.first_run_param(state, name)
       for name in ("date", "source", "category", "state", "unit", "layer", "monitor")}
problems = ui_ins.load_url(state, url, default_day, unit_options)
problems += state.start(data.units)

region, level = state.region_widgets(data.units)
choices = ui_ins.sidebar(state, unit_options, has_problems=has_problems, has_projects=has_projects)
asof = choices.asof
view = View(level=level, region=region, year=ui_ins.view_year(asof), selected=state.selected(region))
state.publish(view, choices.params(), drop=("indicator", "classing", "mode"))

export_slot = page_header(t("insp.title"))
url_notice(problems)
if not has_problems:
    st.info(t("insp.no_data"))
st.caption(t("insp.asof_caption", date=f"{asof:%Y-%m-%d}", latest=f"{default_day:%Y-%m-%d}"))
state.breadcrumb(view, data.units)

prefix = region_prefix(view.region)
names = dict(zip(data.units[CODE], data.units[NAME]))
region_name = identity_name(cache.identity(), t) if view.region == ROOT else names[view.region]
states = ui_ins.problem_states(asof)
shown_items = ins.filter_items(states, sources=choices.sources, categories=choices.categories, states=choices.states,
                               units=choices.units, prefix=prefix) if has_problems else None
projects = ui_ins.project_states(asof)
shown_projects = ins.filter_items(projects, prefix=prefix) if has_projects else None
supervised = ins.supervised(data.supervision, asof.year)
supervised = supervised.loc[supervised[CODE].str.startswith(prefix)]
kpis = ui_ins.kpis(shown_items, shown_projects, supervised)
ps.kpi_cards(kpis)

shapes = ui_ins.shapes(view)
problem_counts = ui_ins.counts(shown_items, view.level, ins.PROBLEM_STATES)
project_counts = ui_ins.counts(shown_projects, view.level, ins.PROJECT_STATES)
monitor_year = ui_ins.view_year(asof)
rates = monitoring.rates(data.exit_status, monitor_year, view.level) if choices.monitor else None
groups, colored = ui_ins.map_layers(view, shapes, problem_counts, project_counts, supervised, layer=choices.layer,
                           monitor=(choices.monitor_kind, rates) if choices.monitor else None)
if has_problems:
    above = ins.above_level(shown_items, view.level)
    if len(above):
        st.caption(t("insp.above_level", count=len(above)))
st.caption(t("insp.click_hint"))
map_column, side = st.columns([3, 1.25])
with map_column:
    clicked = state.map(groups)
with side:   # the clicked unit's panel (or the region's): open problems, projects, supervision
    opened = view_panel(view, key=state.key("info"), sections=[inspection_section(asof)], problems=False)
if opened:
    state.go(show_region(view, opened))
if clicked in set(shapes[CODE]) and clicked != view.selected:
    state.go(replace(view, selected=clicked))

if view.selected and has_problems:   # the unit's open items under the page's filters, every column
    own = ins.filter_items(shown_items, prefix=view.selected[:{"county": 6, "township": 9}.get(view.level, 12)])
    own = own.loc[own["state"].isin(ins.OPEN_STATES)]
    name = names.get(view.selected, view.selected)
    if len(own):
        st.info(t("insp.selected", name=md_escape(name), code=view.selected, count=len(own)))
        st.dataframe(ui_ins.problem_table(own, names), hide_index=True, width="stretch", key=state.key("selected_items"))
    else:
        st.success(t("insp.selected_none", name=md_escape(name), code=view.selected))

stamp = f"{asof:%Y%m%d}"


def table_section(table: pd.DataFrame, name: str, *, title: str) -> None:
    """A titled table of the page with its CSV/XLSX downloads (file named by region and day)."""
    st.subheader(title)
    st.dataframe(table, hide_index=True, width="stretch", key=state.key(name))
    ps.download_buttons(table, t(f"insp.file_{name}", region=region_name, date=stamp), key=state.key(f"{name}_dl"),
                        code_columns=[t("field.code")], sheet=t("nav.inspection"))


if has_problems:
    ranked = ui_ins.rank_table(problem_counts, names)
    table_section(ranked, "rank", title=t("insp.rank_title", count=len(ranked)))

    st.subheader(t("insp.burn_title"))
    trend = ui_ins.burn_down(prefix, choices)
    st.pyplot(burn_down_figure(
        trend, labels={k: t(f"insp.burn.{k}") for k in ("found", "closed", "open", "overdue")},
        deadlines=ins.deadlines(data.problems), deadline_label=t("insp.burn.deadline", date="{date}"),
        asof=asof, asof_label=t("insp.burn.asof", date="{date}")), width="stretch")

    table = ui_ins.problem_table(shown_items, names)
    table_section(table, "problems", title=t("insp.problems_title", count=len(table)))
if has_projects:
    table = ui_ins.project_table(shown_projects, names)
    table_section(table, "projects", title=t("insp.projects_title", count=len(table)))

if choices.monitor:
    st.subheader(t("insp.monitor.title", year=monitor_year))
    limit = int(settings.get("small_count"))
    if rates is None or rates.empty:
        st.info(t("insp.monitor.none", year=monitor_year))
    else:
        local = rates.loc[rates[CODE].str.startswith(prefix)]
        st.dataframe(ui_ins.monitor_table(local, names, suppress=None), hide_index=True, width="stretch",
                     key=state.key("monitor_table"))
        st.caption(t("insp.monitor.suppressed", limit=limit))
        ps.download_buttons(ui_ins.monitor_table(local, names, suppress=limit),
                            t("insp.file_monitor", region=region_name, year=monitor_year),
                            key=state.key("monitor_dl"), code_columns=[t("field.code")], sheet=t("nav.inspection"))
        history = monitoring.trend(data.exit_status, prefix)
        if len(history) > 1:
            st.caption(t("insp.monitor.trend"))
            chart = history.set_index("year")[list(monitoring.CHOICES)]
            chart.columns = [t(f"insp.monitor.{k}") for k in chart.columns]
            chart.index = chart.index.astype(str)
            st.line_chart(chart, height=220)

export_panel(view, key="inspection.export", pack=False, container=export_slot,
             overlay=ui_ins.overlay(colored=colored, codes=shapes[CODE], choices=choices, kpi_rows=kpis, groups=groups))
if has_problems and (view.region == ROOT or len(view.region) == 12 and view.region[6:] == "000000"):
    with st.expander(t("insp.brief.heading")):
        st.caption(t("insp.brief.help"))
        wanted = (view.region, f"{asof:%Y-%m-%d}")
        if st.button(t("insp.brief.make"), key=state.key("brief_make")):
            with st.spinner(t("insp.brief.make")):
                s[state.key("brief")] = (wanted, ui_ins.briefing(view.region, asof).pdf)
        made = s.get(state.key("brief"))
        if made and made[0] == wanted:
            name = t("insp.brief.title", region=region_name, date=f"{asof:%Y-%m-%d}")
            st.download_button(t("insp.brief.download"), made[1], f"{name}.pdf", "application/pdf",
                               key=state.key("brief_download"), on_click="ignore")
