"""退出进度: county / township / village choropleths with drill-down, filters, search, deep links
and the table of the units on the map."""
from __future__ import annotations

import streamlit as st

from geo.view import TWO_YEAR_MODES, drill, focus, page_of, region_prefix, search_units
from ui import auth, maps
from ui.export import export_panel
from ui.info import info_panel
from ui.layout import column_widths, page_header, url_notice
from ui.maps import region_label
from ui.notices import poor_flag_notice
from ui.ranking import ranking_panel
from ui.setup import load_bundle, setup_page
from ui.state import ViewState
from ui.text import t

setup_page("nav.exit_map")
data = load_bundle()
state = ViewState("exit")
problems = state.start(data.units, default_year=maps.default_year())
view = maps.with_base_year(state.sidebar(data.units))
state.publish(view)

export_slot = page_header(maps.page_title(view, region_label(view.region, data.units)))
url_notice(problems)

state.breadcrumb(view, data.units)

with st.expander(t("exit.search")):
    query = st.text_input(t("exit.search"), key="exit.query", label_visibility="collapsed")
    hits = search_units(data.units, query) if query else []
    if query and not hits:
        st.info(t("exit.search_none"))
    if hits:
        pages = page_of(hits, 1)[1]
        number = 1
        if pages > 1:
            number = st.number_input(t("exit.search_page", pages=pages), 1, pages, 1, key="exit.search_page")
        shown, _ = page_of(hits, int(number))
        labels = dict(shown)
        pick = st.selectbox(t("exit.search_results", count=len(hits), page=int(number), pages=pages),
                            list(labels), key="exit.pick", placeholder=t("filter.choose"),
                            format_func=lambda c: f"{labels[c]}（{c}）")
        if st.button(t("exit.search_go"), key="exit.go") and pick:
            state.go(focus(view, pick))

prepared = maps.prepare(view)
pair = view.mode == "pair" and view.compare_year is not None
st.caption(t("change.pair_hint") if pair else t("exit.click_hint"))
notices = st.container()   # always there, so the map keeps its place (and its iframe) in the page
poor_flag_notice(view, notices)   # counties without a 贫困县 flag: say why status is 无数据
if not int((~prepared.rows["context"]).sum()):
    notices.info(t("exit.empty"))
flagged = int(prepared.rows["flag"].notna().sum())
if flagged:
    notices.warning(t("exit.flag_count", count=flagged))
if view.mode in TWO_YEAR_MODES and view.compare_year is None:
    notices.info(t("change.no_base", year=view.year))

if pair:   # two years side by side, same classes
    earlier, _ = maps.pair_views(view)
    prepared_a = maps.prepare(earlier)
    left, right = st.columns(2)
    with left:
        st.markdown(f"##### {t('change.pair_title', year=earlier.year)}")
        clicked_a = state.map(maps.layer(prepared_a, earlier), name="map_a")
    with right:
        st.markdown(f"##### {t('change.pair_title', year=view.year)}")
        clicked = state.map(maps.layer(prepared, view)) or clicked_a
    codes = set(prepared.rows["code"]) | set(prepared_a.rows["code"])
    if view.selected:   # a clicked village: its info panel under the two maps
        info_panel(view.selected, view.year, key="exit.info")
else:
    if view.mode == "change" and view.compare_year is not None:
        st.caption(t("change.hint", base=view.compare_year, year=view.year))
    map_column, side = st.columns([3, 1.25])
    with map_column:
        clicked = state.map(maps.layer(prepared, view))
    with side:
        if view.selected:   # the clicked village (or a search hit): its info panel
            if info_panel(view.selected, view.year, key="exit.info"):
                state.go(drill(view, view.selected))
        elif view.level in ("county", "township"):
            clicked = ranking_panel(view.year, view.level, region_prefix(view.region), key="exit.ranking") or clicked
        elif view.region != "all":
            info_panel(view.region, view.year, key="exit.info")
    codes = set(prepared.rows["code"])
if clicked in codes:
    state.go(drill(view, clicked))

table = maps.table_of(view)
st.subheader(t("exit.table_title", count=len(table)))
shown, notice = maps.table_head(table)
if notice:
    st.caption(notice)
st.dataframe(shown, hide_index=True, width="stretch", key="exit.table",
             column_config=column_widths(shown, medium=[t("field.name"), t("field.parent")],
                                         large=[t("field.flag")]))
if auth.allowed("export"):
    csv_bytes, xlsx_bytes = maps.lazy_downloads(view)
    name = t("exit.file_name", region=view.region, level=view.level, year=view.year)
    left, right, _ = st.columns([1, 1, 4])
    left.download_button(t("exit.download_csv"), csv_bytes, f"{name}.csv", "text/csv", key="exit.csv",
                         on_click=auth.log_export, args=("csv", f"{name}.csv"))
    right.download_button(t("exit.download_xlsx"), xlsx_bytes, f"{name}.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key="exit.xlsx", on_click=auth.log_export, args=("xlsx", f"{name}.xlsx"))
export_panel(view, container=export_slot)
