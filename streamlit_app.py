"""Landing page 总览: KPI cards and the county exit-status map as of the chosen year."""
from __future__ import annotations

import streamlit as st

from geo.aggregate import region_kpis
from geo.view import View, drill
from layers.snapshot import identity_name
from ui import cache, maps
from ui.escape import md_escape
from ui.export import export_panel
from ui.setup import load_bundle, setup_page, year_slider
from ui.state import ViewState
from ui.text import t

setup_page("nav.overview")
load_bundle()
year = year_slider()
kpis = region_kpis(cache.figures(year))

st.title(t("overview.title", city=md_escape(identity_name(cache.identity(), t))))
st.caption(t("sidebar.asof", year=year))
cards = st.columns(4)
cards[0].metric(t("kpi.counties"), t("kpi.of", done=kpis.exited_counties, total=kpis.poor_counties))
cards[1].metric(t("kpi.villages"), t("kpi.of", done=kpis.exited_villages, total=kpis.poor_villages))
cards[2].metric(t("kpi.remaining"), t("kpi.persons", value=kpis.remaining_poor))
cards[3].metric(t("kpi.incidence"),
                t("kpi.percent", value=kpis.incidence) if kpis.incidence is not None else t("kpi.none"))

view = View(level="county", indicator="status", year=year)
prepared = maps.prepare(view)
st.subheader(t("overview.map_title", year=year))
st.caption(t("overview.click_hint"))
clicked = ViewState("overview").map(maps.layer(prepared, view))
if clicked in set(prepared.rows["code"]):  # a county: open its townships on 退出进度
    ViewState("exit").open(drill(view, clicked), "pages/exit_map.py")
export_panel(view)
