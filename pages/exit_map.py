"""退出进度: county / township / village choropleths with drill-down, filters, search, deep links
and the table of the units on the map."""
from __future__ import annotations

import streamlit as st

from geo.view import drill, focus, search_units
from ui import maps
from ui.export import export_panel
from ui.setup import load_bundle, setup_page
from ui.state import ViewState
from ui.text import t

setup_page("nav.exit_map")
data = load_bundle()
state = ViewState("exit")
problems = state.start(data.units)
view = state.sidebar(data.units)
state.publish(view)

st.title(t("exit.title"))
if problems:
    st.warning(t("exit.url_notice", params="、".join(sorted(set(problems)))))

state.breadcrumb(view, data.units)

with st.expander(t("exit.search")):
    query = st.text_input(t("exit.search"), key="exit.query", label_visibility="collapsed")
    hits = search_units(data.units, query) if query else []
    if query and not hits:
        st.info(t("exit.search_none"))
    if hits:
        labels = dict(hits)
        pick = st.selectbox(t("exit.search_results", count=len(hits)), list(labels), key="exit.pick",
                            format_func=lambda c: f"{labels[c]}（{c}）")
        if st.button(t("exit.search_go"), key="exit.go"):
            state.go(focus(view, pick))

prepared = maps.prepare(view)
st.caption(t("exit.click_hint"))
if not len(prepared.rows):
    st.info(t("exit.empty"))
flagged = int(prepared.rows["flag"].notna().sum())
if flagged:
    st.warning(t("exit.flag_count", count=flagged))

clicked = state.map(maps.layer(prepared, view))
if clicked in set(prepared.rows["code"]):
    state.go(drill(view, clicked))

table = maps.view_table(prepared, data.units)
st.subheader(t("exit.table_title", count=len(table)))
shown, notice = maps.table_head(table)
if notice:
    st.caption(notice)
st.dataframe(shown, hide_index=True, width="stretch", key="exit.table")
csv_bytes, xlsx_bytes = maps.lazy_downloads(view)
name = t("exit.file_name", region=view.region, level=view.level, year=view.year)
left, right, _ = st.columns([1, 1, 4])
left.download_button(t("exit.download_csv"), csv_bytes, f"{name}.csv", "text/csv", key="exit.csv",
                     on_click="ignore")
right.download_button(t("exit.download_xlsx"), xlsx_bytes, f"{name}.xlsx",
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      key="exit.xlsx", on_click="ignore")
export_panel(view)
