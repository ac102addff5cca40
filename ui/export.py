"""The export panel every map page calls with its current View: title, format, paper and
orientation, a button that makes the file and a download button; and the briefing pack with
progress. The work is done by layers.export / layers.pack from the portal's cached data."""
from __future__ import annotations

import re

import streamlit as st

from geo.view import ROOT, View
from layers.export import FORMATS, MIME, export_view
from layers.pack import build_pack
from layers.snapshot import Snapshot, children, clean_title, default_title, prepare_snapshot
from layers.static_map import ORIENTATIONS, PAPERS
from ui import cache
from ui.text import t


def _source(folder: str) -> str:
    if cache.is_demo(folder):
        return t("export.source_demo")
    return t("export.source_folder", folder=folder.rsplit("/", 1)[-1])


def snapshot(view: View) -> Snapshot:
    """The view's Snapshot from the portal's cached figures and display geometry."""
    folder = cache.data_folder()
    return prepare_snapshot(cache.bundle(), view, t, demo=cache.is_demo(folder), source=_source(folder),
                            figures=cache.figures(view.year), display=cache.display(view.level))


def file_name(title: str) -> str:
    """`title` usable as a download file name (characters file systems refuse become _)."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", title).strip(" .") or "export"


def _size(n: int) -> str:
    return f"{n / 1024:,.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:,.1f} MB"


def export_panel(view: View, *, key: str = "export") -> None:
    """Export of `view` as PNG/PDF/HTML, and the briefing pack of its region."""
    s = st.session_state
    with st.expander(t("export.heading")):
        shot = snapshot(view)
        default = default_title(shot, t)
        title_key = f"{key}.title.{shot.view.region}.{view.year}"
        raw_title = st.text_input(t("export.title_input"), value=default, key=title_key, max_chars=200)
        title, cut = clean_title(raw_title, default)
        if cut:
            st.caption(t("export.title_cut"))
        left, middle, right = st.columns(3)
        fmt = left.radio(t("export.format"), FORMATS, key=f"{key}.format",
                         format_func=lambda f: t(f"export.format.{f}"))
        paper = middle.selectbox(t("export.paper"), list(PAPERS), key=f"{key}.paper",
                                 disabled=fmt == "html")
        orientation = right.radio(t("export.orientation"), ORIENTATIONS, key=f"{key}.orientation",
                                  format_func=lambda o: t(f"export.orientation.{o}"), disabled=fmt == "html")
        for notice in shot.notices:
            st.info(notice)
        wanted = (view, title, fmt, paper, orientation)
        if st.button(t("export.make"), key=f"{key}.make", type="primary"):
            try:
                data = export_view(shot, fmt, title=title, text=t, paper=paper, orientation=orientation)
            except (ValueError, FileNotFoundError) as error:
                st.error(t("export.error", reason=str(error)))
            else:
                s[f"{key}.file"] = (wanted, data)
        made = s.get(f"{key}.file")
        if made and made[0] == wanted:
            data = made[1]
            name = f"{file_name(title)}.{fmt}"
            st.caption(t("export.made", name=name, size=_size(len(data))))
            st.download_button(t("export.download", name=fmt.upper()), data, name, MIME[fmt],
                               key=f"{key}.download", on_click="ignore")
        st.divider()
        _pack_section(view, key=key, paper=paper, orientation=orientation)


def _pack_section(view: View, *, key: str, paper: str, orientation: str) -> None:
    s = st.session_state
    region = view.region
    if region != ROOT and len(region) == 12 and region[6:] != "000000":
        st.caption(t("export.pack_township"))
        return
    data = cache.bundle()
    below = children(data.units, region)
    name = t("app.city") if region == ROOT else str(data.units.set_index("code").at[region, "name"])
    st.caption(t("export.pack_help", region=name, count=len(below)))
    wanted = (region, view.year, view.indicator, view.classing, paper, orientation)
    if st.button(t("export.pack"), key=f"{key}.pack"):
        bar = st.progress(0.0)

        def progress(done: int, total: int, label: str) -> None:
            bar.progress(done / total, text=t("export.pack_progress", done=min(done + 1, total), total=total,
                                              name=label) if label else t("export.pack_done", pages=total))

        folder = cache.data_folder()
        pack = build_pack(data, region, text=t, demo=cache.is_demo(folder), source=_source(folder),
                          year=view.year, indicator=view.indicator, classing=view.classing, paper=paper,
                          orientation=orientation, progress=progress)
        s[f"{key}.pack_file"] = (wanted, pack)
    made = s.get(f"{key}.pack_file")
    if made and made[0] == wanted:
        pack = made[1]
        st.success(t("export.pack_done", pages=pack.pages))
        stem = file_name(t("export.cover_title", region=name, year=view.year))
        left, right = st.columns(2)
        left.download_button(t("export.pack_pdf"), pack.pdf, f"{stem}.pdf", MIME["pdf"],
                             key=f"{key}.pack_pdf", on_click="ignore")
        right.download_button(t("export.pack_zip"), pack.zip, f"{stem}.zip", MIME["zip"],
                              key=f"{key}.pack_zip", on_click="ignore")
