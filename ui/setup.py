"""One shared setup call at the top of every page: config, sidebar navigation, demo notice.

Classic `pages/` convention: every page calls `setup_page` first, so a deep link opened first on
a fresh server gets the same config and sidebar as the landing page.
"""
from __future__ import annotations

import streamlit as st

from geo import settings
from geo.errors import DataError
from geo.pg import StoreUnavailable
from layers.snapshot import demo_notice
from ui import auth, cache, errors
from ui.escape import md_escape
from ui.layout import style_page
from ui.text import TEXT, error_text, t

# (script path relative to the app root, navigation text key)
PAGES = (
    ("streamlit_app.py", "nav.overview"),
    ("pages/exit_map.py", "nav.exit_map"),
    ("pages/relocation.py", "nav.relocation"),
    ("pages/services.py", "nav.services"),
    ("pages/inspection.py", "nav.inspection"),
    ("pages/data_manage.py", "nav.data"),
    ("pages/about_data.py", "nav.about"),
    ("pages/admin.py", "nav.admin"),
)


def setup_page(page_key: str) -> None:
    """Page config, Chinese navigation, login and gating (ui.auth.gate; stops the page when the
    viewer may not see it), the demo notice and the handler that turns unexpected errors into a
    Chinese message with an id. Call first on every page."""
    errors.install(page_key)
    title = settings.get("title")
    st.set_page_config(page_title=f"{t(page_key)} · {title}", page_icon=t("app.icon"),
                       layout="wide", initial_sidebar_state="expanded")
    auth.resolve()
    with st.sidebar:
        st.markdown(f"### {md_escape(title)}")
        for path, key in PAGES:
            if (cache.ROOT / path).exists() and auth.page_visible(key):
                st.page_link(path, label=t(key))
        st.divider()
    auth.gate(page_key)
    try:
        folder = cache.data_folder()
    except StoreUnavailable:  # database down: the same notice on every page, retried each run
        store_down()
    kinds = cache.demo_kinds(folder)
    if kinds:
        st.sidebar.warning(demo_notice(kinds, t), icon="⚠️")
    style_page()


def store_down() -> None:
    """The Chinese 'database unavailable' notice with a retry button; stops the page."""
    st.error(t("scale.store_down"), icon=":material/cloud_off:")
    st.button(t("scale.store_retry"), key="scale.retry")
    st.stop()


def load_bundle():
    """The validated dataset, or a Chinese error naming file/row/column and a stopped page."""
    try:
        bundle = cache.bundle()
    except StoreUnavailable:
        store_down()
    except DataError as error:
        st.error(f"**{t('error.title')}**：{md_escape(error_text(error))}\n\n{t('error.hint')}")
        st.stop()
    if bundle.missing:  # partial data is normal: say plainly what the dataset does not hold
        st.sidebar.info(t("data.missing_kinds", kinds="、".join(TEXT.get(f"kind.{k}", k) for k in bundle.missing)))
    return bundle
