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
    from geo.view import View, drill
    from ui import cache, maps
    from ui.export import export_panel
    from ui.setup import load_bundle, setup_page, year_slider
    from ui.state import ViewState
    from ui.text import t


def landing() -> None:
    """The landing page."""
    setup_page("nav.overview")
    load_bundle()
    year = year_slider()
    kpis = region_kpis(cache.figures(year))

    st.title(t("overview.title", city=t("app.city")))
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


if __name__ == "__main__":
    landing()
else:  # imported by `streamlit run` (or uvicorn) as the ASGI app
    from serve.tile_routes import routes as tile_routes

    app = st.App(__file__, routes=tile_routes())
