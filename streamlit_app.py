"""Landing page 总览: KPI cards and the county exit-status map as of the chosen year.

`streamlit run streamlit_app.py` imports this file as an ASGI app (`app` at the end: Streamlit plus
the portal's vector-tile routes, serve/tile_routes.py) and runs it as the landing page's script
(`__name__ == "__main__"`) in every session."""
from __future__ import annotations

import streamlit as st

if __name__ == "__main__":
    # Page modules are imported in the script run only: streamlit-folium must declare its
    # component once the runtime exists, not when `streamlit run` imports this file for `app`.
    from geo.aggregate import region_kpis
    from geo.schema import YEARS
    from geo.view import View, drill
    from layers.snapshot import identity_name
    from ui import cache, maps
    from ui.escape import md_escape
    from ui.export import export_panel
    from ui.kpi import overview_cards
    from ui.layout import page_header
    from ui.notices import poor_flag_notice
    from ui.ranking import ranking_panel
    from ui.setup import load_bundle, setup_page
    from ui.state import ViewState, shared_year
    from ui.text import t


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

    view = View(level="county", indicator="status", year=year)
    prepared = maps.prepare(view)
    st.subheader(t("overview.map_title", year=year))
    st.caption(t("overview.click_hint"))
    poor_flag_notice(view, st.container())   # always drawn: the map keeps its place
    map_column, rank_column = st.columns([3, 1.25])
    with map_column:
        clicked = ViewState("overview").map(maps.layer(prepared, view))
    with rank_column:
        clicked = ranking_panel(year, "county", "", key="overview.ranking") or clicked
    if clicked in set(prepared.rows["code"]):  # a county: open its townships on 退出进度
        ViewState("exit").open(drill(view, clicked), "pages/exit_map.py")
    export_panel(view, container=export_slot)


if __name__ == "__main__":
    landing()
else:  # imported by `streamlit run` (or uvicorn) as the ASGI app
    from serve.tile_routes import routes as tile_routes

    app = st.App(__file__, routes=tile_routes())
