"""Landing page 总览: KPI cards and the county exit-status map as of the chosen year."""
from __future__ import annotations

import streamlit as st

from geo.aggregate import region_kpis
from geo.view import View, drill
from ui import cache, maps
from ui.export import export_panel
from ui.layout import page_header
from ui.setup import load_bundle, setup_page
from ui.state import ViewState, shared_year
from ui.text import t

setup_page("nav.overview")
load_bundle()
year = shared_year(maps.default_year())
kpis = region_kpis(cache.figures(year))

export_slot = page_header(t("overview.title_year", city=t("app.city"), year=year))
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
export_panel(view, container=export_slot)
