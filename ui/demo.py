"""The way back to the bundled demo: a button that switches the portal from the published version
to data/demo/ (Store.deactivate). The data page calls `back_to_demo`; versions stay restorable."""
from __future__ import annotations

import streamlit as st

from geo import settings
from ui import cache
from ui.text import t

DONE_KEY = "demo.back_done"


def back_to_demo(*, key: str = "demo.back") -> None:
    """A button shown while a published version is active (not when the `data_dir` setting picks
    the folder): it removes the ACTIVE pointer and reruns; the next run confirms it."""
    if st.session_state.pop(DONE_KEY, False):
        st.success(t("demo.back_done"))
    store = cache.record_store()
    if settings.get("data_dir") or store.active_id() is None:
        return
    if st.button(t("demo.back"), key=key, help=t("demo.back_help")):
        store.deactivate()
        st.session_state[DONE_KEY] = True
        st.rerun()
