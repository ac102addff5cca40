"""数据管理: import a whole delivery, correct what each file is, map unknown columns, see every
problem, publish a new dataset or an update, restore an earlier version."""
from __future__ import annotations

import streamlit as st

from geo import settings
from ui import auth, cache, importer
from ui.demo import back_to_demo
from ui.setup import setup_page
from ui.text import t

setup_page("nav.data")
publish_ok = auth.may_publish()  # gate: setup_page stops anyone without manage_data
st.title(t("data.title"))
st.caption(t("data.intro"))
if not publish_ok:
    st.warning(t("auth.regional_publish"))

active = importer.store().active()
st.subheader(t("data.active"))
if settings.get("data_dir"):
    st.warning(t("data.env_override"))
st.write(t("data.active_version", id=active.id, created=active.meta.get("created", "")) if active
         else t("data.active_demo"))
back_to_demo()

with st.expander(t("data.templates")):
    template_kind = st.selectbox(t("data.kind"), list(importer.pipeline.KINDS), format_func=importer.kind_label,
                                 key="data.template_kind")
    st.download_button(t("data.template", kind=importer.kind_label(template_kind)), importer.template(template_kind),
                       t("data.template_file", kind=template_kind),
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key="data.template", on_click="ignore")

# on the bundled demo the natural first import is a new dataset, not an update of the demo
mode = st.radio(t("data.mode"), importer.MODES, format_func=lambda m: t(f"data.mode.{m}"), key="data.mode",
                horizontal=True, index=importer.MODES.index("new") if cache.is_demo(cache.data_folder()) else 0)
st.caption(t(f"data.mode_help.{mode}"))
st.caption(t("data.formats"))
uploaded = st.file_uploader(t("data.upload", limit=settings.get("max_upload_mb")), type=importer.UPLOAD_TYPES,
                            accept_multiple_files=True, key="data.upload")
if uploaded:
    sig = importer.signature(uploaded)
    result = importer.checked(sig)
    kinds: dict[str, str] = {}
    years: dict[str, int] = {}
    mapping: dict[str, str] = {}
    crs = None
    if result is not None:
        st.subheader(t("data.parts"))
        for index, part in enumerate(result.delivery.parts):
            staged = next((s for s in result.delivery.staged if s.label == part.label), None)
            left, middle, right = st.columns([3, 2, 2])
            left.text(part.label)
            options = importer.kind_options()
            kind = middle.selectbox(t("data.part_kind"), options, index=options.index(part.kind or ""),
                                    format_func=importer.kind_label, key=f"data.kind.{index}")
            kinds[part.label] = kind
            if part.levels:
                right.text(t("data.levels", levels="、".join(t(f"level.{lv}") for lv in part.levels)))
            if staged is not None and staged.year is not None:
                years[part.label] = int(right.number_input(t("data.year_confirm"), min_value=2000, max_value=2100,
                                                           value=staged.year, key=f"data.year.{index}"))
            unknown = list(staged.unknown_headers) if staged is not None else \
                [h for h in part.headers if h] if part.kind is None else []
            if unknown:
                headers = list(staged.headers) if staged is not None and staged.headers else list(part.headers)
                profile = importer.saved_profile(headers)
                with st.expander(t("data.mapping", file=part.label), expanded=part.kind is None):
                    if profile is not None:
                        st.text(t("data.profile_found", name=profile.name))
                    fields = importer.field_options(kind or None)
                    for number, header in enumerate(unknown):
                        default = profile.columns.get(header) if profile else importer.suggest(header, kind or None)
                        mapping[header] = st.selectbox(
                            header, fields, index=fields.index(default) if default in fields else 0,
                            format_func=importer.field_label, key=f"data.map.{index}.{number}")
                    name = st.text_input(t("data.profile_name"), key=f"data.profile.{index}")
                    if st.button(t("data.profile_save"), key=f"data.profile_save.{index}", disabled=not name):
                        importer.save_profile(name, kind or None, headers,
                                              {h: mapping[h] for h in unknown})
                        st.toast(t("data.profile_saved", name=name))
        candidates = sorted({c for s in result.delivery.staged for c in s.crs_candidates})
        if candidates:
            crs = st.selectbox(t("data.crs_pick"), candidates, key="data.crs")
        elif "crs_missing" in result.report.rules():
            st.warning(t("data.crs_none"))
    repair = st.checkbox(t("data.repair"), key="data.repair")
    if st.button(t("data.check"), key="data.check", type="primary"):
        importer.check_delivery(uploaded, sig, mode=mode, kinds=kinds, crs=crs, repair=repair, years=years,
                                mapping=mapping)
        st.rerun()
    if result is not None:
        importer.show_report(result.report, key="data.report")
        if result.mode != mode:
            st.info(t("data.recheck"))
        elif result.report.ok:
            allow = st.checkbox(t("data.allow_removal"), key="data.allow_removal")
            if st.button(t(f"data.publish.{mode}"), key="data.publish", type="primary", disabled=not publish_ok):
                version, report = importer.publish_checked(result, allow_removal=allow)
                auth.record("publish", version=version.id if version else "", ok=version is not None)
                st.session_state[importer.OUTCOME_KEY] = (version.id if version else None, report)
                st.rerun()

outcome = st.session_state.get(importer.OUTCOME_KEY)
if outcome is not None:
    published, report = outcome
    if published:
        st.success(t("data.published", id=published))
    if report.problems:
        importer.show_report(report, key="data.publish")

rows = importer.version_rows()
if rows:
    st.subheader(t("data.versions"))
    for row in rows:
        left, right = st.columns([5, 1])
        left.text(("● " if row.active else "○ ") + row.label)
        if not row.active and right.button(t("data.restore"), key=f"data.restore.{row.id}", disabled=not publish_ok):
            importer.store().activate(row.id)
            auth.record("restore", version=row.id)
            st.session_state[importer.OUTCOME_KEY] = None
            st.toast(t("data.restored", id=row.id))
            st.rerun()
