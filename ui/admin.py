"""The 用户与审计 page's parts: the user table, add/change forms and the audit log with its CSV
download. Every change is audited; a refusal from access/ is shown as a Chinese message."""
from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from access import audit, users
from access.passwords import WeakPasswordError
from access.roles import ROLES, RoleError
from access.scope import ScopeError
from geo import settings
from ui import auth
from ui.escape import md_escape
from ui.text import group, t

_REFUSALS = (users.UserError, RoleError, ScopeError, WeakPasswordError)


def users_table() -> pd.DataFrame:
    """Every account as a Chinese-headed table (never a password hash)."""
    with auth.connection() as conn:
        rows = users.all_users(conn)
    now = time.time()
    return pd.DataFrame({
        t("admin.col.name"): [u.name for u in rows],
        t("admin.col.display"): [u.display for u in rows],
        t("admin.col.role"): [t(f"role.{u.role}") for u in rows],
        t("admin.col.region"): [u.region or "*" for u in rows],
        t("admin.col.active"): [u.active for u in rows],
        t("admin.col.locked"): [u.locked(now) for u in rows],
        t("admin.col.oidc"): [u.oidc or "" for u in rows],
    })


def _apply(change, event: str, target: str, done: str, **detail: object) -> None:
    """Run `change(conn)`; audit and confirm it, or show why it was refused."""
    try:
        with auth.connection() as conn:
            change(conn)
    except _REFUSALS as error:
        st.session_state["admin.message"] = ("error", t("admin.refused", reason=md_escape(error)))
        return
    auth.record(event, target=target, **detail)
    st.session_state["admin.message"] = ("success", t(done, name=md_escape(target)))


def message() -> None:
    """The outcome of the last change, once."""
    kind, text = st.session_state.pop("admin.message", (None, None))
    if kind == "error":
        st.error(text)
    elif kind == "success":
        st.success(text)


def add_form() -> None:
    """Form that creates an account."""
    with st.form("admin.add_form", clear_on_submit=True):
        st.markdown(f"**{t('admin.add')}**")
        left, right = st.columns(2)
        name = left.text_input(t("admin.name"), key="admin.new_name")
        display = right.text_input(t("admin.display"), key="admin.new_display")
        role = left.selectbox(t("admin.role"), ROLES, format_func=lambda r: t(f"role.{r}"), key="admin.new_role")
        region = right.text_input(t("admin.region"), key="admin.new_region")
        oidc = left.text_input(t("admin.oidc"), key="admin.new_oidc")
        password = right.text_input(t("admin.password"), type="password", key="admin.new_password")
        if st.form_submit_button(t("admin.create"), type="primary"):
            _apply(lambda conn: users.add(conn, name, role=role, region=region, password=password or None,
                                          oidc=oidc.strip() or None, display=display.strip()),
                   "user_add", name.strip(), "admin.created", role=role, region=region)
            st.rerun()


def change_form(me: str) -> None:
    """Reset a password, disable/enable, change role and region of one chosen account."""
    with auth.connection() as conn:
        accounts = users.all_users(conn)
    if not accounts:
        return
    names = [u.name for u in accounts]
    pick = st.selectbox(t("admin.pick"), names, key="admin.pick")
    user = next(u for u in accounts if u.name == pick)
    left, middle, right = st.columns(3)
    with left.form("admin.reset_form", clear_on_submit=True):
        password = st.text_input(t("admin.new_password"), type="password", key="admin.reset_password")
        if st.form_submit_button(t("admin.reset")):
            _apply(lambda conn: users.reset_password(conn, pick, password), "user_reset", pick, "admin.reset_done")
            st.rerun()
    with middle.form("admin.role_form"):
        role = st.selectbox(t("admin.role"), ROLES, index=ROLES.index(user.role),
                            format_func=lambda r: t(f"role.{r}"), key=f"admin.role.{pick}")
        region = st.text_input(t("admin.region"), value=user.region, key=f"admin.region.{pick}")
        if st.form_submit_button(t("admin.set_role")):
            if pick == me and role != "admin":
                st.session_state["admin.message"] = ("error", t("admin.self"))
            else:
                _apply(lambda conn: users.set_role(conn, pick, role, region), "user_role", pick, "admin.changed",
                       role=role, region=region)
            st.rerun()
    with right:
        active = user.active
        if st.button(t("admin.disable") if active else t("admin.enable"), key="admin.toggle",
                     disabled=pick == me):
            _apply(lambda conn: users.set_active(conn, pick, not active),
                   "user_disable" if active else "user_enable", pick, "admin.changed")
            st.rerun()


def settings_section() -> None:
    """Every deployment setting with its current value, read-only (they live in portal.toml or
    the environment, not in the browser)."""
    with st.expander(t("admin.settings")):
        st.dataframe(pd.DataFrame({
            t("admin.col.setting"): [s.name for s in settings.SETTINGS],
            t("admin.col.value"): [str(settings.get(s.name)) for s in settings.SETTINGS],
            t("admin.col.help"): [s.help for s in settings.SETTINGS],
        }), hide_index=True, width="stretch", key="admin.settings")


def audit_section() -> None:
    """The newest audit rows and the whole log as CSV."""
    with auth.connection() as conn:
        rows = audit.entries(conn, limit=100_000)
    headers = (t("audit.col.at"), t("audit.col.user"), t("audit.col.event"), t("audit.col.detail"),
               t("audit.col.ip"))
    st.download_button(t("admin.audit_download"), audit.to_csv(rows, headers, labels=group("audit.event")),
                       t("admin.audit_file"),
                       "text/csv", key="admin.audit_csv", on_click=auth.record, args=("audit_download",))
    shown = rows[:500]
    st.dataframe(pd.DataFrame({
        headers[0]: [audit.when(r.at) for r in shown], headers[1]: [r.user for r in shown],
        headers[2]: [t(f"audit.event.{r.event}") for r in shown], headers[3]: [r.detail for r in shown], headers[4]: [r.ip for r in shown],
    }), hide_index=True, width="stretch", key="admin.audit_table")
