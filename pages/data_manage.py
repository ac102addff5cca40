"""数据管理: import boundaries and tables, see every problem, publish a new version, restore."""
from __future__ import annotations

import hashlib
import os

import streamlit as st

from geo.ingest.files import MAX_UPLOAD_MB
from geo.ingest.templates import template_xlsx
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
if os.environ.get(cache.DATA_ENV):
    st.warning(t("data.env_override"))
st.write(t("data.active_version", id=active.id, created=active.meta.get("created", "")) if active
         else t("data.active_demo"))
back_to_demo()

kinds = list(importer.UPLOAD_TYPES)
kind = st.radio(t("data.kind"), kinds, format_func=lambda k: t(f"kind.{k}"), key="data.kind",
                horizontal=True)
st.caption(t("data.formats.units") if kind == "units" else
           t("data.formats.sites") if kind == "sites" else t("data.formats.table"))
st.download_button(t("data.template", kind=t(f"kind.{kind}")), template_xlsx(kind), t("data.template_file", kind=kind),
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   key=f"data.template.{kind}", on_click="ignore")

uploaded = st.file_uploader(t("data.upload", limit=MAX_UPLOAD_MB), type=importer.UPLOAD_TYPES[kind],
                            key=f"data.upload.{kind}")
if uploaded is not None:
    data = uploaded.getvalue()
    signature = hashlib.sha256(data).hexdigest() + uploaded.name
    previous = importer.last_result(kind, signature)
    pick = crs = None
    if previous is not None and len(previous.choices) > 1:
        labels = [c.label for c in previous.choices]
        pick = st.selectbox(t("data.pick"), labels, key=f"data.pick.{kind}")
    if previous is not None and "crs_missing" in previous.report.rules():
        if previous.crs_candidates:
            crs = st.selectbox(t("data.crs_pick"), previous.crs_candidates, key=f"data.crs.{kind}")
        else:
            st.warning(t("data.crs_none"))
    repair = st.checkbox(t("data.repair"), key=f"data.repair.{kind}") if kind == "units" else False
    if st.button(t("data.check"), key=f"data.check.{kind}", type="primary"):
        previous = importer.check_upload(kind, uploaded.name, data, signature, pick=pick, crs=crs,
                                         repair=repair)
        st.rerun()
    if previous is not None:
        importer.show_report(previous.report, key=f"data.report.{kind}")

st.divider()
staged = importer.staged()
if staged:
    for staged_kind, item in staged.items():
        st.text(t("data.staged", kind=t(f"kind.{staged_kind}"), file=item.file, rows=len(item.data)))
    left, right, _ = st.columns([1, 1, 3])
    if left.button(t("data.publish"), key="data.publish", type="primary", disabled=not publish_ok):
        version, report = importer.publish_staged()
        auth.record("publish", version=version.id if version else "", ok=version is not None)
        st.session_state["data.publish_report"] = (version.id if version else None, report)
        st.rerun()
    if right.button(t("data.clear"), key="data.clear"):
        st.session_state[importer.STAGED_KEY] = {}
        st.rerun()
else:
    st.caption(t("data.staged_none"))
outcome = st.session_state.get("data.publish_report")
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
            st.session_state["data.publish_report"] = None
            st.toast(t("data.restored", id=row.id))
            st.rerun()
