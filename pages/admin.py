"""用户与审计: accounts and the audit log (system administrators only; setup_page stops others)."""
from __future__ import annotations

import streamlit as st

from ui import admin, auth
from ui.setup import setup_page
from ui.text import t

setup_page("nav.admin")
st.title(t("admin.title"))
admin.message()
st.subheader(t("admin.users"))
st.dataframe(admin.users_table(), hide_index=True, width="stretch", key="admin.users")
admin.add_form()
admin.change_form(auth.current().name)
admin.settings_section()
st.subheader(t("admin.audit"))
admin.audit_section()
