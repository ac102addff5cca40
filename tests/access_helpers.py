"""Accounts for tests: create a user in the users database the portal will use, log in through
the real sidebar form of an AppTest."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from access import db, users

PASSWORD = "test-password-1"


def make_user(name: str, role: str, region: str = "", *, password: str = PASSWORD, oidc: str | None = None,
              path: Path | None = None) -> None:
    """Create `name` in the users database of the current settings (or `path`)."""
    conn = db.connect(path)
    try:
        users.add(conn, name, role=role, region=region, password=password, oidc=oidc)
    finally:
        conn.close()


def login(at: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    """Fill and submit the sidebar login form; returns the AppTest after the rerun."""
    at.sidebar.text_input(key="auth.name").input(name)
    at.sidebar.text_input(key="auth.password").input(password)
    at.button(key="auth.submit").click().run()
    return at


def open_login(page):
    """The sidebar login form, unfolded (it is folded to keep the page's controls on screen)."""
    form = page.locator("[data-testid='stSidebar'] [data-testid='stForm']")
    if not form.get_by_label("用户名").is_visible():
        page.locator("[data-testid='stSidebar'] [data-testid='stExpander'] summary", has_text="登录").click()
    form.get_by_label("用户名").wait_for()
    return form
