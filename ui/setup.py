"""One shared setup call at the top of every page: config, sidebar navigation, demo notice.

Classic `pages/` convention: every page calls `setup_page` first, so a deep link opened first on
a fresh server gets the same config and sidebar as the landing page.
"""
from __future__ import annotations

import streamlit as st

from geo.errors import DataError
from geo.pg import StoreUnavailable
from geo.schema import YEARS
from ui import cache
from ui.text import error_text, t

# (script path relative to the app root, navigation text key)
PAGES = (
    ("streamlit_app.py", "nav.overview"),
    ("pages/exit_map.py", "nav.exit_map"),
    ("pages/relocation.py", "nav.relocation"),
    ("pages/services.py", "nav.services"),
    ("pages/data_manage.py", "nav.data"),
    ("pages/about_data.py", "nav.about"),
)


def setup_page(page_key: str) -> None:
    """Page config, Chinese navigation and the demo notice. Call first on every page."""
    st.set_page_config(page_title=f"{t(page_key)} · {t('app.title')}", page_icon=t("app.icon"),
                       layout="wide", initial_sidebar_state="expanded")
    with st.sidebar:
        st.markdown(f"### {t('app.title')}")
        for path, key in PAGES:
            if (cache.ROOT / path).exists():
                st.page_link(path, label=t(key))
        st.divider()
    try:
        folder = cache.data_folder()
    except StoreUnavailable:  # database down: the same notice on every page, retried each run
        store_down()
    if cache.is_demo(folder):
        st.sidebar.warning(t("demo.notice"), icon="⚠️")


def store_down() -> None:
    """The Chinese 'database unavailable' notice with a retry button; stops the page."""
    st.error(t("scale.store_down"), icon="🛑")
    st.button(t("scale.store_retry"), key="scale.retry")
    st.stop()


def load_bundle():
    """The validated dataset, or a Chinese error naming file/row/column and a stopped page."""
    try:
        return cache.bundle()
    except StoreUnavailable:
        store_down()
    except DataError as error:
        st.error(f"**{t('error.title')}**：{error_text(error)}\n\n{t('error.hint')}")
        st.stop()


def year_slider() -> int:
    """Sidebar as-of year, shared by pages through the `year` query parameter."""
    default = YEARS[-1]
    raw = st.query_params.get("year")
    if raw is not None and raw.isdigit() and int(raw) in YEARS:
        default = int(raw)
    if "year" not in st.session_state:
        st.session_state["year"] = default
    year = st.sidebar.select_slider(t("sidebar.year"), options=list(YEARS), key="year",
                                    help=t("sidebar.year_help"))
    st.query_params["year"] = str(year)
    return int(year)
