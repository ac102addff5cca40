"""Landing page 总览: KPI cards and the county exit-status map as of the chosen year.

`streamlit run streamlit_app.py` imports this file as an ASGI app (`app` at the end: Streamlit plus
the portal's vector-tile routes, serve/tile_routes.py) and runs it as the landing page's script
(`__name__ == "__main__"`) in every session."""
from __future__ import annotations

import streamlit as st

if __name__ == "__main__":
    # Page modules are imported in the script run only: streamlit-folium must declare its
    # component once the runtime exists, not when `streamlit run` imports this file for `app`.
    from dataclasses import replace

    from geo.aggregate import region_kpis
    from geo.schema import CODE, LEVEL, YEARS
    from geo.view import View, drill
    from layers.snapshot import identity_name
    from ui import cache, maps
    from ui.escape import md_escape
    from ui.export import export_panel
    from ui.info import info_panel
    from ui.kpi import overview_cards
    from ui.layout import page_header
    from ui.notices import poor_flag_notice
    from ui.ranking import ranking_panel
    from ui.setup import load_bundle, setup_page
    from ui.state import ViewState, shared_year
    from ui.text import t


def _landing_selection(units) -> str | None:
    """The county selected on the landing page (by a map or ranking click; `selected` in the
    URL on the first visit), kept in the URL so the view is a deep link."""
    s = st.session_state
    counties = set(units.loc[units[LEVEL] == "county", CODE])
    if not s.get("overview.selection_ready"):
        s["overview.selection_ready"] = True
        s["overview.selected"] = st.query_params.get("selected")
    selected = s.get("overview.selected")
    selected = selected if selected in counties else None
    if selected and st.query_params.get("selected") != selected:
        st.query_params["selected"] = selected
    elif not selected and "selected" in st.query_params:
        del st.query_params["selected"]
    return selected


def landing() -> None:
    """The landing page."""
    setup_page("nav.overview")
    data = load_bundle()
    year = shared_year(maps.default_year())
    kpis = region_kpis(cache.figures(year))

    export_slot = page_header(t("overview.title_year", city=md_escape(identity_name(cache.identity(), t)),
                                year=year))
    delivered = set(data.exit_status["year"].dropna().astype(int))
    # change against the previous year only where that year was delivered (not against nothing)
    before = region_kpis(cache.figures(year - 1)) if year - 1 in YEARS and year - 1 in delivered else None
    overview_cards(kpis, before, year)

    selected = _landing_selection(data.units)
    view = View(level="county", indicator="status", year=year, selected=selected)
    prepared = maps.prepare(view)
    st.subheader(t("overview.map_title", year=year))
    st.caption(t("overview.click_hint"))
    poor_flag_notice(view, st.container())   # always drawn: the map keeps its place
    map_column, side = st.columns([3, 1.25])
    with map_column:
        clicked = ViewState("overview").map(maps.layer(prepared, view))
    with side:
        # the clicked county's panel; its button opens the county on 退出进度
        if selected and info_panel(selected, year, key="overview.info", open_label=t("panel.open_exit")):
            ViewState("exit").open(drill(replace(view, selected=None), selected), "pages/exit_map.py")
        clicked = ranking_panel(year, "county", "", key="overview.ranking") or clicked
    if clicked in set(prepared.rows["code"]) and clicked != selected:   # a county: select it
        st.session_state["overview.selected"] = clicked
        st.rerun()
    export_panel(view, container=export_slot)


if __name__ == "__main__":
    landing()
else:  # imported by `streamlit run` (or uvicorn) as the ASGI app
    from serve.tile_routes import routes as tile_routes

    app = st.App(__file__, routes=tile_routes())
