"""Landing page 总览: KPI cards and the county exit-status map as of the chosen year."""
from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from geo.aggregate import region_kpis
from layers.base import base_map
from layers.status import status_layer
from ui import cache
from ui.setup import load_bundle, setup_page, year_slider
from ui.text import group, t

setup_page("nav.overview")
load_bundle()
year = year_slider()
figures = cache.figures(year)
kpis = region_kpis(figures)

st.title(t("overview.title", city=t("app.city")))
st.caption(t("sidebar.asof", year=year))
cards = st.columns(4)
cards[0].metric(t("kpi.counties"), t("kpi.of", done=kpis.exited_counties, total=kpis.poor_counties))
cards[1].metric(t("kpi.villages"), t("kpi.of", done=kpis.exited_villages, total=kpis.poor_villages))
cards[2].metric(t("kpi.remaining"), t("kpi.persons", value=kpis.remaining_poor))
cards[3].metric(t("kpi.incidence"),
                t("kpi.percent", value=kpis.incidence) if kpis.incidence is not None else t("kpi.none"))

counties = cache.display("county")
layer, legend, _ = status_layer(counties, figures, name=t("legend.status"), status_labels=group("status"),
                                field_labels=group("field"), legend_title=t("legend.status"))
st.subheader(t("overview.map_title", year=year))
m = base_map(counties.total_bounds)
layer.add_to(m)
m.add_child(legend)
st_folium(m, key="overview_map", returned_objects=[], height=560, use_container_width=True)
