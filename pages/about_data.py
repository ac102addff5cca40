"""数据说明: what the loaded dataset is, its size and the schema of every dataset kind."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.schema import DATASETS
from ui import cache
from ui.setup import load_bundle, setup_page
from ui.text import t

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
for kind, dataset in DATASETS.items():
    with st.expander(f"{kind} — {dataset.description}"):
        st.dataframe(pd.DataFrame({
            t("about.columns"): [c.name for c in dataset.columns],
            t("about.type"): [c.type for c in dataset.columns],
            t("about.unit"): [c.unit for c in dataset.columns],
            t("about.allowed"): ["、".join(c.allowed) for c in dataset.columns],
            t("about.description"): [c.description for c in dataset.columns],
        }), hide_index=True, width="stretch")
