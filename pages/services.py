"""基础设施: village service coverage (one switchable layer per service), the gap-count map,
一低五有 / 乡三有 / 一低三有 with reasons, the ranked to-do list and gaps closing over the years."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from geo.schema import CODE, NAME, PARENT, TOWNSHIP_SERVICES
from geo.services import ITEMS, TODO_SORTS, coverage, in_region, todo_list
from geo.view import focus, parse_page_params, region_prefix, show_region
from layers.service_layer import MAX_GAP_CLASS
from layers.snapshot import identity_name
from ui import cache, maps
from ui import pages_support as ps
from ui.escape import md_escape
from ui.export import export_panel, services_overlay
from ui.info import services_section, view_panel
from ui.layout import column_widths, page_header, url_notice
from ui.setup import load_bundle, setup_page
from ui.state import ViewState
from ui.text import t

PAGE = "services"

setup_page("nav.services")
data = load_bundle()
state = ViewState(PAGE)
s = st.session_state
url = {name: ps.first_run_param(state, name) for name in ("layers", "sort", "exit")}
problems = state.start(data.units, default_year=maps.default_year())
extra, bad = parse_page_params(url, {"layers": ("list", ITEMS), "sort": ("choice", TODO_SORTS), "exit": ("flag",)})
problems += bad
for name, key in (("layers", "layers"), ("sort", "sort"), ("exit", "exit_layer")):
    if name in extra:
        s[state.key(key)] = extra[name]

view = ps.region_sidebar(state, data.units, fixed_level="village")
sb = st.sidebar
sb.divider()
chosen = sb.multiselect(t("svc.layers"), list(ITEMS), key=state.key("layers"), placeholder=t("filter.none"),
                        select_all=False,
                        format_func=ps.item_label, help=t("svc.layers_help"))
exit_layer = sb.toggle(t("pages.exit_layer"), key=state.key("exit_layer"))
sort = s.get(state.key("sort"), TODO_SORTS[0])
state.publish(view, {"layers": ",".join(chosen), "sort": sort if sort != TODO_SORTS[0] else "",
                  "exit": "1" if exit_layer else ""}, drop=("indicator", "classing", "mode"))

export_slot = page_header(t("svc.title_year", region=maps.region_label(view.region, data.units), year=view.year))
url_notice(problems)
state.breadcrumb(view, data.units, fixed_level="village")

prefix = region_prefix(view.region)
names = dict(zip(data.units[CODE], data.units[NAME]))
region_name = identity_name(cache.identity(), t) if not prefix else names[view.region]
villages = in_region(ps.villages(view.year), prefix)
townships = in_region(ps.townships(view.year), prefix)
kpis = ps.services_kpis(villages, townships)
ps.kpi_cards(kpis)

count_format = t("legend.count", label="{label}", count="{count}")
groups = []
if exit_layer:
    groups.append(maps.layer(maps.prepare(view), view))
gap_labels = [t("svc.gap_class", count=n) for n in range(MAX_GAP_CLASS)] + [
    t("svc.gap_class_max", count=MAX_GAP_CLASS)]
groups.append(ps.service_group(view, chosen, gap_labels, count_format))

st.caption(t("svc.click_hint") + t("layer.control_hint"))
map_column, side = st.columns([3, 1.25])
with map_column:
    clicked = state.map(groups, layer_control=ps.layer_control())
with side:   # the clicked village's panel (or the region's), with its service items
    opened = view_panel(view, key=state.key("info"), sections=[services_section(view.year)])
if opened:
    state.go(replace(show_region(view, opened), level="village"))
if clicked in set(villages[CODE]) and clicked != view.selected:
    state.go(focus(view, clicked))

st.subheader(t("svc.coverage_title", region=md_escape(region_name), year=view.year, count=len(villages)))
rates = coverage(villages)
st.dataframe(pd.DataFrame({
    t("svc.item"): rates["item"].map(ps.item_label),
    t("svc.count_has"): rates["has"], t("svc.count_lacks"): rates["lacks"],
    t("svc.count_unknown"): rates["unknown"],
    t("svc.share"): (rates["share"].astype("Float64") * 100).round(1),
}), hide_index=True, width="stretch", key=state.key("coverage"))

trend = ps.trend(view.region)
if len(trend) > 1:
    st.subheader(t("svc.trend_title"))
    chart = trend.set_index("year")[["villages_with_gaps", "total_gaps"]].rename(
        columns={"villages_with_gaps": t("svc.trend_villages"), "total_gaps": t("svc.trend_total")})
    chart.index = chart.index.astype(str)
    st.line_chart(chart, height=220)

todo = todo_list(villages, sort=sort)
st.subheader(t("svc.todo_title", count=len(todo)))
st.radio(t("svc.todo_sort"), TODO_SORTS, key=state.key("sort"), horizontal=True,
         format_func=lambda v: t(f"svc.sort.{v}"))
if len(todo):
    table = pd.DataFrame({
        t("svc.rank"): todo["rank"],
        t("field.code"): todo[CODE].astype(str),
        t("field.name"): todo[NAME],
        t("site.county"): todo["county_code"].map(names),
        t("site.township"): todo[PARENT].map(names),
        t("svc.gaps"): todo["gaps"],
        t("svc.missing"): todo["missing"].map(lambda m: "、".join(ps.item_label(i) for i in m)),
        t("field.remaining_poor"): todo["remaining_poor"],
        t("svc.compliance"): todo["compliant"].map(lambda c: t("svc.compliant") if c is True else t("svc.not_compliant")),
        t("svc.reasons"): todo["reasons"].map(ps.reasons_text),
    })
    st.dataframe(table, hide_index=True, width="stretch", key=state.key("todo"),
                 column_config=column_widths(table, medium=[t("field.name"), t("svc.missing")],
                                             large=[t("svc.reasons")]))
    ps.download_buttons(table, t("svc.file_todo", region=region_name, year=view.year), key=state.key("download"),
                        code_columns=[t("field.code")], sheet=t("svc.title"))
else:
    st.success(t("svc.todo_none"))

left, right = st.columns(2)
with left:
    st.subheader(t("svc.township_title", count=len(townships)))
    st.dataframe(pd.DataFrame({
        t("field.name"): townships[NAME],
        **{ps.item_label(item): townships[item].map(ps.flag_value) for item in TOWNSHIP_SERVICES},
        t("svc.township_compliance"): townships["compliant"].map(lambda c: t("svc.compliant") if c is True else t("svc.not_compliant")),
        t("svc.reasons"): townships["reasons"].map(ps.reasons_text),
    }), hide_index=True, width="stretch", key=state.key("townships"))
with right:
    st.subheader(t("svc.county_title"))
    counties = ps.counties(view.year)
    counties = counties.loc[counties[CODE].str.startswith(prefix[:6])]
    st.dataframe(pd.DataFrame({
        t("field.name"): counties[NAME],
        t("field.incidence_pct"): (counties["incidence"].astype("Float64") * 100).round(2),
        t("svc.county_compliance"): counties["compliant"].map(lambda c: t("svc.compliant") if c is True else t("svc.not_compliant")),
        t("svc.reasons"): counties["reasons"].map(ps.reasons_text),
    }), hide_index=True, width="stretch", key=state.key("counties"))

export_panel(view, key="services.export", pack=False, container=export_slot, overlay=services_overlay(
    villages=villages, kpis=kpis, labels=gap_labels, items=chosen, item_label=ps.item_label,
    groups=groups))
