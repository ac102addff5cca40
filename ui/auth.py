"""Login, session and gating. The rules live in access/ (no streamlit there); this module keeps
the logged-in user in st.session_state, draws the login form in the sidebar, ends sessions on
logout or idle timeout, maps single sign-on (st.login, OIDC) users to portal accounts, and
writes the audit log with the client's address.

A session is refreshed from the users database once per run (`gate`, called by setup_page), so
a disabled user or a changed role or region takes effect on the user's next click.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import streamlit as st

from access import audit, db, users
from access.roles import allowed as role_allows
from access.scope import is_visible
from geo import datasets, settings
from geo.codes import CodeError, normalize_code
from geo.errors import DataError
from ui.escape import md_escape
from ui.text import t

SESSION_KEY = "auth.session"
NOTICE_KEY = "auth.notice"
SSO_SEEN_KEY = "auth.sso_seen"
# What each page needs beyond "view" (keys are the pages' navigation text keys).
PAGE_PERMISSION = {"nav.data": "manage_data", "nav.admin": "manage_users"}


@dataclass(frozen=True)
class Session:
    """The logged-in user of this browser session."""

    name: str
    display: str
    role: str
    region: str
    via: str  # "local" or "oidc"


@contextmanager
def connection() -> Iterator:
    """An open connection to the users database, closed afterwards."""
    conn = db.connect()
    try:
        yield conn
    finally:
        conn.close()


def client_ip() -> str:
    """The client's address as Streamlit sees it, with a proxy's X-Forwarded-For when present."""
    try:
        ip = st.context.ip_address
        forwarded = st.context.headers.get("X-Forwarded-For")
    except (AttributeError, RuntimeError):
        return ""
    ip = ip if isinstance(ip, str) else ""  # no request behind the session (AppTest)
    forwarded = forwarded if isinstance(forwarded, str) else ""
    return f"{forwarded.split(',')[0].strip()} (via {ip})" if forwarded else ip


def record(event: str, *, user: str | None = None, **detail: object) -> None:
    """Append an audit row for `event` by `user` (default: the logged-in user) from this client."""
    if user is None:
        session = current()
        user = session.name if session else ""
    with connection() as conn:
        audit.record(conn, event, user=user, detail=detail, ip=client_ip())


def current() -> Session | None:
    """The logged-in user as of this run's gate (no database access)."""
    raw = st.session_state.get(SESSION_KEY)
    if not raw:
        return None
    return Session(raw["name"], raw["display"], raw["role"], raw["region"], raw["via"])


def scope() -> str:
    """The region code the viewer is limited to ("" = everywhere); part of every cache key."""
    session = current()
    return session.region if session else ""


def allowed(permission: str) -> bool:
    """True when the viewer (logged in or anonymous) has `permission`."""
    session = current()
    return role_allows(session.role if session else None, permission)


def _start(user: users.User, via: str) -> None:
    st.session_state[SESSION_KEY] = {"name": user.name, "display": user.display or user.name, "role": user.role,
                                     "region": user.region, "via": via, "last": time.time()}


def _end(event: str, notice: str) -> None:
    session = current()
    if session is not None:
        record(event, user=session.name, via=session.via)
    st.session_state.pop(SESSION_KEY, None)
    st.session_state[NOTICE_KEY] = notice


def _refresh() -> None:
    """Apply idle timeout and the database's current state of the user to the session."""
    raw = st.session_state.get(SESSION_KEY)
    if not raw:
        return
    now = time.time()
    with connection() as conn:
        user = users.get(conn, raw["name"])
    expired = users.idle_expired(raw["last"], now)
    if expired or user is None or not user.active:
        _end("session_expired" if expired else "logout", "auth.expired" if expired else "auth.disabled")
        if raw["via"] == "oidc" and sso_configured():
            st.logout()  # else the identity cookie would log the user straight back in
        return
    raw.update(role=user.role, region=user.region, display=user.display or user.name, last=now)


# ---------------------------------------------------------------------- single sign-on

def sso_configured() -> bool:
    """True when secrets.toml has an [auth] section (st.login is then available)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file (StreamlitSecretNotFoundError is one)
        return False


def _sso_login() -> None:
    """Map an identity-provider login (st.user) to a portal account, once per browser session."""
    if current() is not None or not sso_configured() or not st.user.is_logged_in:
        return
    claim = settings.get("oidc_claim")
    identity = str(st.user.get(claim) or "")
    with connection() as conn:
        user = users.by_oidc(conn, identity) if identity else None
    seen = st.session_state.get(SSO_SEEN_KEY)
    if user is not None and user.active:
        _start(user, "oidc")
        record("login", user=user.name, via="oidc", identity=identity)
        return
    if seen != identity:
        st.session_state[SSO_SEEN_KEY] = identity
        record("login_failed", user=user.name if user else "", via="oidc", identity=identity,
               reason="disabled" if user else "unknown")
    st.session_state[NOTICE_KEY] = (("auth.sso_disabled", {}) if user
                                    else ("auth.sso_unknown", {"identity": md_escape(identity)}))


# ---------------------------------------------------------------------- forms

def _login(name: str, password: str) -> None:
    name = name.strip()
    if not name or not password:
        st.session_state[NOTICE_KEY] = "auth.empty"
        return
    with connection() as conn:
        outcome, user = users.authenticate(conn, name, password)
    if outcome == "ok" and user is not None:
        _start(user, "local")
        st.session_state.pop(NOTICE_KEY, None)
        record("login", user=user.name, via="local")
        return
    record("login_locked" if outcome == "locked" else "login_failed", user=name, reason=outcome)
    st.session_state[NOTICE_KEY] = {"bad": "auth.bad", "locked": "auth.locked",
                                     "disabled": "auth.disabled"}[outcome]


def _submitted() -> None:
    s = st.session_state
    _login(s.get("auth.name", ""), s.get("auth.password", ""))
    s["auth.password"] = ""


def logout() -> None:
    """End this session (and the identity provider's cookie for single sign-on)."""
    session = current()
    _end("logout", "auth.logged_out")
    if session is not None and session.via == "oidc" and sso_configured():
        st.logout()


def _notice() -> bool:
    """Show the last login outcome once; True when it was a refusal (the form stays open)."""
    notice = st.session_state.pop(NOTICE_KEY, None)
    if not notice:
        return False
    key, params = notice if isinstance(notice, tuple) else (notice, {})
    if key == "auth.logged_out":
        st.sidebar.success(t(key))
        return False
    st.sidebar.error(t(key, minutes=settings.get("lockout_minutes"), **params))
    return True


def _account_box() -> None:
    """Sidebar: who is logged in and a logout button, or the login form."""
    sb = st.sidebar
    session = current()
    if session is not None:
        sb.text(t("auth.signed_in", name=session.display, role=t(f"role.{session.role}")))
        sb.text(t("auth.scope", region=_region_name(session.region)) if session.region else t("auth.scope_all"))
        sb.button(t("auth.logout"), key="auth.logout", on_click=logout)
        return
    notice = _notice()
    # folded by default so the page's own controls stay on a laptop screen; open after a refusal
    with sb.expander(t("auth.title"), expanded=notice), st.form("auth.form", border=False):
        st.text_input(t("auth.user"), key="auth.name", autocomplete="username")
        st.text_input(t("auth.password"), key="auth.password", type="password", autocomplete="current-password")
        st.form_submit_button(t("auth.submit"), on_click=_submitted, type="primary", key="auth.submit")
    if sso_configured():
        sb.button(t("auth.sso"), key="auth.sso", on_click=st.login)


def _region_name(code: str) -> str:
    """A region code with its name from the scoped dataset when known (plain text)."""
    from ui import cache  # cache imports this module for scope(); import here to avoid a cycle

    try:
        units = cache.bundle().units
    except DataError:  # the page reports a broken dataset itself; the code alone still says it
        return code
    names = dict(zip(units["code"], units["name"]))
    return f"{names[code]}（{code}）" if code in names else code


def _out_of_scope_link() -> None:
    """A deep link to a region outside the viewer's scope: drop it (the page falls back to the
    scope root) and say so."""
    region = scope()
    raw = st.query_params.get("region")
    if not region or raw is None or raw == "all":
        return
    try:
        code = normalize_code(raw)
    except CodeError:
        return  # malformed: the page's own URL check reports it
    if not is_visible(region, code):
        del st.query_params["region"]
        if "selected" in st.query_params:
            del st.query_params["selected"]
        st.warning(t("auth.out_of_scope"))
        record("access_denied", region=code)


def resolve() -> None:
    """Bring the session up to date for this run: idle timeout, the user's current role and
    region, a single sign-on login. Call before anything asks `current()`."""
    _refresh()
    _sso_login()


def gate(page_key: str) -> None:
    """Draw the account box and stop the page when the viewer may not see it (data management
    and the admin page are never anonymous; the `anonymous` setting decides what visitors
    without login see). Call after `resolve`."""
    _account_box()
    session = current()
    need = PAGE_PERMISSION.get(page_key, "view")
    if session is None:
        mode = settings.get("anonymous")
        if need != "view" or mode == "none":
            st.info(t("auth.required"))
            st.stop()
        if mode == "demo" and not datasets.is_demo(datasets.active_folder()):
            st.info(t("auth.required_demo"))
            st.stop()
    elif not role_allows(session.role, need):
        st.error(t("auth.forbidden", role=t(f"role.{'admin' if need == 'manage_users' else 'data_admin'}")))
        st.stop()
    _out_of_scope_link()


def page_visible(page_key: str) -> bool:
    """True when the navigation should offer page `page_key` to the viewer."""
    return allowed(PAGE_PERMISSION.get(page_key, "view"))


def may_publish() -> bool:
    """Publishing and restoring replace every region's data: only data administrators without a
    region limit may do it."""
    session = current()
    return session is not None and role_allows(session.role, "manage_data") and not session.region


def log_export(kind: str, name: str) -> None:
    """Download-button callback: audit an export of `kind` (csv, xlsx, png, pdf, html, pack)."""
    record("export", kind=kind, file=name, scope=scope() or "*")
