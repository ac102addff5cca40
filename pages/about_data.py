"""数据说明: what the loaded dataset is, its size, which kinds it lacks, and every column of every
dataset kind as agencies write it (type, unit, required, allowed values, an example)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.ingest.templates import column_help
from geo.schema import DATASETS
from ui import cache
from ui.setup import load_bundle, setup_page
from ui.text import TEXT, t

setup_page("nav.about")
data = load_bundle()
st.title(t("about.title"))
if cache.is_demo(data.folder):
    st.info(t("demo.notice"))
st.subheader(t("about.sizes"))
counts = data.units["level"].value_counts()
st.write("；".join(t("about.units", level=t(f"level.{lvl}"), count=int(counts.get(lvl, 0)))
                  for lvl in ("county", "township", "village")))
st.subheader(t("about.schema"))
st.caption(t("about.template_hint"))
for kind in DATASETS:
    label = TEXT.get(f"kind.{kind}", kind)
    table = getattr(data, kind, None) if kind != "units" else None
    rows = len(table) if table is not None else None
    with st.expander(label + (f"（{t('about.rows', count=rows)}）" if rows else "")):
        if kind in data.missing or (kind != "units" and table is None):
            st.caption(t("about.kind_missing"))
        columns = column_help(kind)
        st.dataframe(pd.DataFrame({
            t("about.columns"): [c.header for c in columns],
            t("about.type"): [TEXT.get(f"type.{c.type}", c.type) for c in columns],
            t("about.unit"): [TEXT.get(f"unit.{c.unit}", c.unit) for c in columns],
            t("about.required"): [t("tpl.yes") if c.required else "" for c in columns],
            t("about.allowed"): ["、".join(c.allowed) for c in columns],
            t("about.example"): [c.example for c in columns],
            t("about.english"): [c.name for c in columns],
        }), hide_index=True, width="stretch")
