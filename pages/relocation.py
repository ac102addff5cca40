"""易地搬迁: relocation sites over county / township boundaries (drill-down and deep links as on
the exit-progress page), filters, KPI cards, accessibility, the site table and the data-quality
list."""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from geo.schema import SITE_STAGES
from geo.sites import SiteFilter, beyond, filter_sites, site_kpis
from geo.view import drill, parse_page_params, region_prefix, show_region
from layers.sites_layer import (
    SitesLegend,
    marker_radius,
    sites_group,
    sites_json,
    size_steps,
)
from ui import maps
from ui import pages_support as ps
from ui.export import export_panel, relocation_overlay
from ui.info import site_clicked, site_panel, sites_section, view_panel
from ui.layout import page_header, url_notice
from ui.setup import load_bundle, setup_page
from ui.state import ViewState
from ui.text import TEXT, group, t

PAGE = "relocation"
DEFAULT_KM, DEFAULT_OCC = 5.0, 80

setup_page("nav.relocation")
data = load_bundle()
state = ViewState(PAGE)
s = st.session_state
url = {name: ps.first_run_param(state, name) for name in ("stage", "occ", "support", "km", "exit", "site")}
problems = state.start(data.units, default_year=maps.default_year())
extra, bad = parse_page_params(url, {"stage": ("list", SITE_STAGES), "occ": ("int", 1, 100),
                                     "support": ("flag",), "km": ("float", 0.5, 50.0), "exit": ("flag",)})
problems += bad
for name, key in (("stage", "stages"), ("support", "support"), ("km", "km"), ("exit", "exit_layer")):
    if name in extra:
        s[state.key(key)] = extra[name]
if "occ" in extra:
    s[state.key("occ_on")], s[state.key("occ")] = True, extra["occ"]
if url.get("site") is not None:   # a site's panel in the link (checked against the region's sites below)
    s[state.key("site")] = url["site"]

view = ps.region_sidebar(state, data.units)
sb = st.sidebar
sb.divider()
sb.subheader(t("reloc.filters"))
stage_filter = sb.multiselect(t("reloc.stage"), list(SITE_STAGES), key=state.key("stages"),
                              placeholder=t("filter.all"), select_all=False,
                              format_func=lambda v: t(f"stage.{v}"))
occ_on = sb.toggle(t("reloc.occupancy_on"), key=state.key("occ_on"))
occ = sb.slider(t("reloc.occupancy_below"), 5, 100, DEFAULT_OCC, 5, key=state.key("occ"), disabled=not occ_on)
lacking = sb.toggle(t("reloc.lacking_support"), key=state.key("support"))
limit_km = sb.slider(t("reloc.distance"), 0.5, 50.0, DEFAULT_KM, 0.5, key=state.key("km"),
                     help=t("reloc.distance_help"))
exit_layer = sb.toggle(t("pages.exit_layer"), key=state.key("exit_layer"))
state.publish(view, {"stage": ",".join(stage_filter), "occ": str(occ) if occ_on else "",
                  "support": "1" if lacking else "", "km": f"{limit_km:g}" if limit_km != DEFAULT_KM else "",
                  "exit": "1" if exit_layer else "", "site": s.get(state.key("site")) or ""},
              drop=("indicator", "classing", "mode"))

export_slot = page_header(t("reloc.title_year", region=maps.region_label(view.region, data.units), year=view.year))
url_notice(problems)
state.breadcrumb(view, data.units)

every = ps.sites(view.year)
shown = filter_sites(every, SiteFilter(region_prefix(view.region), tuple(stage_filter),
                                       occ / 100 if occ_on else None, bool(lacking)))
far = beyond(shown, limit_km * 1000)

kpis = site_kpis(shown)
kpi_rows = ps.relocation_kpis(kpis, int(far.sum()))
ps.kpi_cards(kpi_rows, [1, 1.7, 1.7, 1, 1])

flags = ps.site_flags(far, shown["problems"] > 0)
fields = {
    t("site.name"): shown["name"],
    t("site.township"): shown["county_name"].fillna("") + " " + shown["township_name"].fillna(""),
    t("site.stage"): shown["stage"].map(group("stage")),
    t("site.households"): shown["moved_households"].astype(str) + " / " + shown["planned_households"].astype(str),
    t("site.persons"): shown["moved_persons"].astype(str) + " / " + shown["planned_persons"].astype(str),
    t("site.occupancy"): shown["occupancy"].map(ps.pct),
    t("site.jobs_found"): shown["jobs_found"].map(ps.count),
    t("site.industry"): shown["industry"].map(ps.flag_value),
    t("site.school"): shown["school_nearby"].map(ps.flag_value),
    t("site.clinic"): shown["clinic_nearby"].map(ps.flag_value),
    t("site.clinic_dist"): shown["clinic_m"].map(ps.km),
    t("site.road_dist"): shown["road_m"].map(ps.km),
}
drawn = shown.loc[shown["drawable"]]
largest = float(every["planned_households"].astype("Float64").fillna(0).max()) if len(every) else 0.0
legend = SitesLegend(t("legend.stage"), group("stage"), t("legend.size"),
                     size_steps(largest, TEXT["legend.size_item"]),
                     t("legend.site_flag"))
site_data = sites_json(drawn, [f.loc[drawn.index] for f in fields.values()], flags.loc[drawn.index],
                       marker_radius(drawn["planned_households"], largest))
prepared = maps.prepare(view)
groups = [ps.boundary_layer(prepared)]
if exit_layer:
    groups.append(maps.layer(prepared, view))
groups.append(sites_group(site_data, name=t("layer.sites"), fields=list(fields), legend=legend))

st.caption(t("reloc.click_hint") + t("layer.control_hint"))
notices = st.container()   # always there, so the map keeps its place (and its iframe) in the page
if not len(shown):
    notices.info(t("reloc.empty"))
hidden = int((~shown["drawable"]).sum())
if hidden:
    notices.warning(t("reloc.not_drawn", count=hidden))
map_column, side = st.columns([3, 1.25])
with map_column:
    clicked = state.map(groups, layer_control=ps.layer_control())
site = site_clicked(state.key("map"))
if site is not None:   # a marker: its panel replaces the unit's
    s[state.key("site")] = site
    state.go(replace(view, selected=None))
with side:
    picked = s.get(state.key("site"))
    if picked in set(shown["site_id"].astype(str)):
        home = shown.loc[shown["site_id"].astype(str) == picked, "township_code"].iloc[0]
        township = site_panel(picked, view.year, key=state.key("site_panel"), open_button=view.region != home)
        if township is not None:
            s[state.key("site")] = None
            state.go(show_region(view, township))
    elif opened := view_panel(view, key=state.key("info"), sections=[sites_section(view.year)], sites=False,
                              hint="panel.hint_sites"):
        state.go(drill(view, opened))
if clicked in set(prepared.rows["code"]):
    s[state.key("site")] = None
    state.go(drill(view, clicked))

table = ps.site_table(shown, far)
st.subheader(t("reloc.table_title", count=len(table)))
st.dataframe(table, hide_index=True, width="stretch", key=state.key("table"))
ps.download_buttons(table, t("reloc.file_name", region=view.region), key=state.key("download"),
                    code_columns=[t("site.site_id")], sheet=t("reloc.title"))

in_region = set(every.loc[every["township_code"].str.startswith(region_prefix(view.region)), "site_id"])
issues = ps.quality_table(ps.quality(), in_region)
st.subheader(t("reloc.quality_title", count=len(issues)))
if len(issues):
    st.dataframe(issues, hide_index=True, width="stretch", key=state.key("quality"))
else:
    st.success(t("reloc.quality_none"))

export_panel(view, key="relocation.export", pack=False, container=export_slot, overlay=relocation_overlay(
    drawn=drawn, flags=flags, largest=largest, legend=legend, kpis=kpi_rows, stages=stage_filter,
    occupancy=occ if occ_on else None, lacking=bool(lacking), limit_km=limit_km, exit_layer=exit_layer,
    groups=groups))
