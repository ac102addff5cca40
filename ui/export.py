"""The export panel every map page calls with its current View: title, format, paper and
orientation, a button that makes the file and a download button; and the briefing pack with
progress. The work is done by layers.export / layers.pack from the portal's cached data."""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

import pandas as pd
import streamlit as st

from geo.schema import CODE
from geo.view import ROOT, View
from layers.export import FORMATS, MIME, export_view
from layers.export_layers import gap_styled, neutral_styled, site_points
from layers.pack import build_pack
from layers.sites_layer import SitesLegend, marker_radius
from layers.snapshot import (
    Snapshot,
    children,
    clean_title,
    default_title,
    identity_name,
    prepare_snapshot,
    with_layers,
)
from layers.static_map import ORIENTATIONS, PAPERS
from ui import auth, cache, maps
from ui.errors import log_unexpected
from ui.escape import md_escape
from ui.text import t


def _source(folder: str) -> str:
    if cache.is_demo(folder):
        return t("export.source_demo")
    return t("export.source_folder", folder=folder.rsplit("/", 1)[-1])


@st.cache_resource(show_spinner=False, max_entries=16)
def _snapshot(folder: str, stamp: tuple, view: View) -> Snapshot:
    # cached per dataset, scope and view: the panel is drawn on every rerun (read-only result;
    # overlays build new snapshots)
    kinds = cache.demo_kinds(folder)
    return prepare_snapshot(cache.bundle(), view, t, demo=bool(kinds), demo_kinds=kinds, source=_source(folder),
                            figures=cache.figures(view.year), display=cache.display(view.level),
                            base_figures=maps.base_figures(view),
                            identity=cache.identity())


def snapshot(view: View) -> Snapshot:
    """The view's Snapshot from the portal's cached figures and display geometry."""
    return _snapshot(*cache.key(), view)


def file_name(title: str) -> str:
    """`title` usable as a download file name (characters file systems refuse become _)."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", title).strip(" .") or "export"


def _size(n: int) -> str:
    return f"{n / 1024:,.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:,.1f} MB"


Overlay = Callable[[Snapshot], Snapshot]


def export_panel(view: View, *, key: str = "export", overlay: Overlay | None = None,
                 pack: bool = True, container=None) -> None:
    """Export of `view` as PNG/PDF/HTML, and the briefing pack of its region. `overlay` turns
    the exit-progress snapshot into what another page shows (relocation_overlay,
    services_overlay); pages without the exit-status map pass pack=False. `container` (e.g. the
    print button's popover at the top of the page) holds the panel instead of an expander."""
    s = st.session_state
    if not auth.allowed("export"):
        return
    with container if container is not None else st.expander(t("export.heading")):
        shot = snapshot(view)
        if overlay is not None:
            shot = overlay(shot)
        default = default_title(shot, t)
        title_key = f"{key}.title.{shot.view.region}.{view.year}"
        raw_title = st.text_input(t("export.title_input"), value=default, key=title_key, max_chars=200)
        title, cut = clean_title(raw_title, default)
        if cut:
            st.caption(t("export.title_cut"))
        left, middle, right = st.columns(3)
        fmt = left.radio(t("export.format"), FORMATS, key=f"{key}.format",
                         format_func=lambda f: t(f"export.format.{f}"))
        paper = middle.selectbox(t("export.paper"), list(PAPERS), key=f"{key}.paper", placeholder=t("filter.choose"),
                                 disabled=fmt == "html")
        orientation = right.radio(t("export.orientation"), ORIENTATIONS, key=f"{key}.orientation",
                                  format_func=lambda o: t(f"export.orientation.{o}"), disabled=fmt == "html")
        for notice in shot.notices:
            st.info(notice)
        shown = view if overlay is None else (view, shot.subject, shot.page_filters, shot.styled.title,
                                              shot.styled.counts, shot.kpis)
        wanted = (shown, title, fmt, paper, orientation)
        if st.button(t("export.make"), key=f"{key}.make", type="primary"):
            try:
                data = export_view(shot, fmt, title=title, text=t, paper=paper, orientation=orientation)
            except (ValueError, FileNotFoundError) as error:   # logged with an id, no server path shown
                st.error(t("export.error", id=log_unexpected(error, where="export")))
            else:
                s[f"{key}.file"] = (wanted, data)
        made = s.get(f"{key}.file")
        if made and made[0] == wanted:
            data = made[1]
            name = f"{file_name(title)}.{fmt}"
            st.caption(t("export.made", name=md_escape(name), size=_size(len(data))))
            st.download_button(t("export.download", name=fmt.upper()), data, name, MIME[fmt],
                               key=f"{key}.download", on_click=auth.log_export, args=(fmt, name))
        if pack:
            st.divider()
            _pack_section(view, key=key, paper=paper, orientation=orientation)


def _item(name: str, value: object) -> str:
    return t("export.filter_item", name=name, value=value)


def relocation_overlay(*, drawn: pd.DataFrame, flags: pd.Series, largest: float, legend: SitesLegend,
                       kpis: list[tuple[str, str]], stages: Sequence[str], occupancy: int | None,
                       lacking: bool, limit_km: float, exit_layer: bool, groups: Sequence) -> Overlay:
    """The relocation page's export: its sites (stage colours, sizes, red outline when flagged)
    over the boundaries (or the exit-status layer when shown), its KPIs, filters and layers."""
    def apply(shot: Snapshot) -> Snapshot:
        points = site_points(drawn, flags.loc[drawn.index] != "",
                             marker_radius(drawn["planned_households"], largest), legend)
        filters = []
        if stages:
            filters.append(_item(t("reloc.stage"), t("export.list_sep").join(t(f"stage.{v}") for v in stages)))
        if occupancy is not None:
            filters.append(_item(t("reloc.occupancy_below"), occupancy))
        if lacking:
            filters.append(t("reloc.lacking_support"))
        filters.append(_item(t("reloc.distance"), f"{limit_km:g}"))
        styled = None if exit_layer else neutral_styled(shot.shapes, t("layer.boundaries"))
        return with_layers(shot, styled=styled, points=points, subject=t("layer.sites"), page_filters=filters,
                           title_key="export.title_relocation", kpis=kpis, html_layers=groups,
                           html_units=False, clear_flags=not exit_layer)
    return apply


def services_overlay(*, villages: pd.DataFrame, kpis: list[tuple[str, str]], labels: Sequence[str],
                     items: Sequence[str], item_label: Callable[[str], str], groups: Sequence) -> Overlay:
    """The services page's export: the gap-count choropleth (classes, colours and counts as on
    screen), its KPIs and, in the HTML file, every layer the page shows."""
    def apply(shot: Snapshot) -> Snapshot:
        names = t("export.list_sep").join(item_label(i) for i in items)
        styled = gap_styled(shot.shapes, villages[[CODE, "gaps"]], labels, t("svc.gap_layer"))
        out = with_layers(shot, styled=styled, subject=t("svc.gap_layer"),
                          page_filters=[_item(t("svc.layers"), names)] if items else [],
                          title_key="export.title_services", kpis=kpis, html_layers=groups, html_units=False,
                          clear_flags=True)
        if items:
            out = replace(out, notices=(*out.notices, t("export.svc_items_html", items=names)))
        return out
    return apply


def _pack_section(view: View, *, key: str, paper: str, orientation: str) -> None:
    s = st.session_state
    region = view.region
    if region != ROOT and len(region) == 12 and region[6:] != "000000":
        st.caption(t("export.pack_township"))
        return
    data = cache.bundle()
    below = children(data.units, region)
    if region == ROOT:
        name = identity_name(cache.identity(), t)
    else:
        name = str(data.units.set_index("code").at[region, "name"])
    st.caption(t("export.pack_help", region=md_escape(name), count=len(below)))
    wanted = (region, view.year, view.indicator, view.classing, paper, orientation)
    if st.button(t("export.pack"), key=f"{key}.pack"):
        bar = st.progress(0.0)

        def progress(done: int, total: int, label: str) -> None:
            if label:
                bar.progress(done / total, text=t("export.pack_progress", done=min(done + 1, total),
                                                  total=total, name=md_escape(label)))

        folder = cache.data_folder()
        kinds = cache.demo_kinds(folder)
        pack = build_pack(data, region, text=t, demo=bool(kinds), demo_kinds=kinds, source=_source(folder),
                          year=view.year, indicator=view.indicator, classing=view.classing, paper=paper,
                          orientation=orientation, progress=progress,
                          compare_year=view.compare_year if view.mode == "change" else None)
        bar.empty()   # the success message below says "共 N 页" once
        s[f"{key}.pack_file"] = (wanted, pack)
    made = s.get(f"{key}.pack_file")
    if made and made[0] == wanted:
        pack = made[1]
        st.success(t("export.pack_done", pages=pack.pages))
        stem = file_name(t("export.cover_title", region=name, year=view.year))
        left, right = st.columns(2)
        left.download_button(t("export.pack_pdf"), pack.pdf, f"{stem}.pdf", MIME["pdf"],
                             key=f"{key}.pack_pdf", on_click=auth.log_export, args=("pack_pdf", f"{stem}.pdf"))
        right.download_button(t("export.pack_zip"), pack.zip, f"{stem}.zip", MIME["zip"],
                              key=f"{key}.pack_zip", on_click=auth.log_export, args=("pack_zip", f"{stem}.zip"))
