"""Accounts in a real browser: anonymous visitors never reach data management, a county user
sees only their county (map, search, deep link, CSV download), lockout after repeated failures,
and a single sign-on login against a real OIDC provider started locally (oidc-provider-mock)."""
from __future__ import annotations


import csv
import io
import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from access import audit, db, users
from tests.access_helpers import PASSWORD, make_user, open_login

QU = "511725000000"        # 渠县 (41 townships in the demo)
DACHUAN = "511703000000"   # 达川区


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"PORTAL_USERS_DB": str(tmp_path / "access.sqlite"), "PORTAL_ANONYMOUS": "demo",
            "PORTAL_DATA_DIR": "", **extra}


def sidebar(page) -> str:
    return page.locator("[data-testid='stSidebar']").inner_text()


def log_in(page, expect_rerun, name: str, password: str) -> None:
    form = open_login(page)
    form.get_by_label("用户名").fill(name)
    form.get_by_label("密码").fill(password)
    with expect_rerun(page):
        form.get_by_role("button", name="登录").click()


def assert_clean(page_log, allowed_blocked: tuple[str, ...] = ()):
    assert [u for u in page_log.blocked if not u.startswith(allowed_blocked)] == [], page_log.blocked
    errors = [e for e in page_log.console_errors if not any(a in e for a in allowed_blocked)]
    assert errors == [], page_log.console_errors
    assert page_log.page_errors == [], page_log.page_errors


def test_anonymous_cannot_reach_upload_publish_or_restore(start_portal, tmp_path, page, page_log, wait_idle):
    portal = start_portal(env=env_for(tmp_path))
    page.goto(portal.url + "/")
    wait_idle(page)
    assert "数据管理" not in sidebar(page) and "总览" in sidebar(page)
    for path in ("/data_manage", "/admin"):
        page.goto(portal.url + path)
        wait_idle(page)
        page.get_by_text("请先登录。").wait_for()
        assert page.locator("[data-testid='stFileUploader']").count() == 0
        for label in ("发布为新版本", "恢复此版本", "校验"):
            assert page.get_by_role("button", name=label).count() == 0
    assert_clean(page_log)


def test_county_user_sees_only_their_county(start_portal, tmp_path, page, page_log, wait_idle, expect_rerun,
                                            map_frame, count_polygons, save_screenshot):
    make_user("quxian", "region", QU, path=tmp_path / "access.sqlite")
    portal = start_portal(env=env_for(tmp_path))
    page.goto(portal.url + "/")
    wait_idle(page)
    save_screenshot(page, "login_form.png")
    log_in(page, expect_rerun, "quxian", PASSWORD)
    assert "当前用户：quxian（区域用户）" in sidebar(page)
    assert "渠县（511725000000）" in sidebar(page)
    assert count_polygons(map_frame(page), wait_for=1) == 1          # the county alone on 总览
    save_screenshot(page, "county_user.png")
    assert page.locator("[data-testid='stMetricValue']").first.inner_text().endswith("/ 1")

    # a deep link to another county: notice, and the scope root instead
    page.goto(portal.url + f"/exit_map?level=township&region={DACHUAN}&year=2018")
    wait_idle(page)
    # a new browser session of the same tab needs a login again (sessions end with the tab)
    if page.get_by_text("请先登录。").count() == 0 and "当前用户" not in sidebar(page):
        log_in(page, expect_rerun, "quxian", PASSWORD)
    page.get_by_text("链接中的地区不在您的查看范围内，已改为显示您的范围。").wait_for()
    assert count_polygons(map_frame(page), wait_for=41) == 41          # 渠县's townships only
    assert "达川" not in page.locator("[data-testid='stDataFrame']").first.inner_text()

    # search: a name of another county finds nothing
    summary = page.locator("[data-testid='stExpander'] summary", has_text="查找单位")
    summary.click()
    box = page.get_by_role("textbox", name="查找单位（名称或区划代码）")
    box.fill("达川")
    with expect_rerun(page):
        box.press("Enter")
    if not page.get_by_text("没有找到匹配的单位").is_visible():
        summary.click()  # the rerun may draw the expander closed again
    page.get_by_text("没有找到匹配的单位").wait_for()
    box.fill("渠县")
    with expect_rerun(page):
        box.press("Enter")
    found = page.get_by_text(re.compile(r"找到 \d+ 个单位"))          # the county and its townships
    if not found.is_visible():
        summary.click()
    found.wait_for()

    # the CSV download holds the county's townships only
    with expect_rerun(page), page.expect_download() as info:   # the click audits, then reruns
        page.get_by_role("button", name="下载 CSV").first.click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 41 and all(r["区划代码"].startswith("511725") for r in rows)
    conn = db.connect(tmp_path / "access.sqlite")
    try:
        exports = [e for e in audit.entries(conn) if e.event == "export"]
    finally:
        conn.close()
    assert len(exports) == 1 and exports[0].user == "quxian" and '"kind": "csv"' in exports[0].detail
    assert_clean(page_log)


def test_lockout_after_repeated_failures(start_portal, tmp_path, page, page_log, wait_idle, expect_rerun):
    make_user("quxian", "region", QU, path=tmp_path / "access.sqlite")
    portal = start_portal(env=env_for(tmp_path, PORTAL_LOCKOUT_FAILURES="3"))
    page.goto(portal.url + "/")
    wait_idle(page)
    for _ in range(2):
        log_in(page, expect_rerun, "quxian", "wrong-password")
        page.get_by_text("用户名或密码错误。").wait_for()
    log_in(page, expect_rerun, "quxian", "wrong-password")
    page.get_by_text("账号已锁定", exact=False).wait_for()
    log_in(page, expect_rerun, "quxian", PASSWORD)                   # the right one, too late
    page.get_by_text("账号已锁定", exact=False).wait_for()
    assert "当前用户" not in sidebar(page)
    assert_clean(page_log)


# --------------------------------------------------------------------------- single sign-on

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def oidc_provider(tmp_path):
    """oidc-provider-mock on a free port with one predefined user; yields its base URL."""
    port = _free_port()
    claims = json.dumps({"sub": "li-001", "email": "li@example.gov.cn", "name": "Li"})
    log = (tmp_path / "oidc.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--port", str(port),
                                "--user-claims", claims], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/.well-known/openid-configuration", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("OIDC provider did not start:\n" + (tmp_path / "oidc.log").read_text())
        time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(10)
    log.close()


def test_single_sign_on_against_a_local_oidc_provider(start_portal, tmp_path, oidc_provider, page, page_log,
                                                      wait_idle, expect_rerun, map_frame, count_polygons):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f"""[auth]
redirect_uri = "http://127.0.0.1:{{port}}/oauth2callback"
cookie_secret = "test-cookie-secret-0123456789abcdef0123456789"
client_id = "portal"
client_secret = "portal-secret"
server_metadata_url = "{oidc_provider}/.well-known/openid-configuration"
""", encoding="utf-8")
    conn = db.connect(tmp_path / "access.sqlite")
    users.add(conn, "quxian", role="region", region=QU, oidc="li@example.gov.cn")  # single sign-on only
    conn.close()
    portal = start_portal(env=env_for(tmp_path, STREAMLIT_SECRETS_FILES=str(secrets),
                                      AUTHLIB_INSECURE_TRANSPORT="1"))
    # the provider's own pages are a second local server: let the browser reach it
    page.route(lambda url: url.startswith(oidc_provider), lambda route: route.continue_())
    page.goto(portal.url + "/")
    wait_idle(page)
    page.get_by_role("button", name="统一身份认证登录").click()
    page.wait_for_url(oidc_provider + "/**")
    page.get_by_role("button", name="li-001").click()
    page.wait_for_url(portal.url + "/**")
    wait_idle(page)
    page.get_by_text("当前用户：quxian（区域用户）").wait_for()
    assert count_polygons(map_frame(page), wait_for=1) == 1
    page.get_by_role("button", name="退出登录").click()
    # st.logout ends the provider's session too (RP-initiated logout), then comes back
    page.wait_for_url(oidc_provider + "/oauth2/end_session**")
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(portal.url + "/**")
    page.get_by_role("button", name="统一身份认证登录").wait_for()
    wait_idle(page)
    assert "当前用户" not in sidebar(page)
    conn = db.connect(tmp_path / "access.sqlite")
    try:
        entries = audit.entries(conn)
    finally:
        conn.close()
    logged = [(e.event, e.user) for e in entries]
    assert ("login", "quxian") in logged and ("logout", "quxian") in logged
    assert all(e.ip for e in entries if e.event == "login")               # from where
    # the provider's login page asks a CDN for its stylesheet: blocked, as everything outside is
    assert_clean(page_log, allowed_blocked=("https://cdn.jsdelivr.net/",))


def test_admin_page_and_audit_download(start_portal, tmp_path, page, page_log, wait_idle, expect_rerun,
                                       save_screenshot):
    make_user("admin", "admin", path=tmp_path / "access.sqlite")
    make_user("quxian", "region", QU, path=tmp_path / "access.sqlite")
    portal = start_portal(env=env_for(tmp_path))
    page.goto(portal.url + "/")
    wait_idle(page)
    log_in(page, expect_rerun, "quxian", "a-wrong-password")        # leaves a failed login in the log
    log_in(page, expect_rerun, "admin", PASSWORD)
    page.get_by_role("link", name="用户与审计").click()
    page.get_by_role("heading", name="审计日志").wait_for()
    wait_idle(page)
    save_screenshot(page, "admin_page.png")
    with page.expect_download() as info:
        page.get_by_role("button", name="下载审计日志（CSV）").click()
    wait_idle(page)
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8-sig"))))
    assert {("admin", "登录"), ("quxian", "登录失败")} <= {(r["用户"], r["事件"]) for r in rows}
    assert all(r["来源地址"] for r in rows)
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert PASSWORD not in text and "a-wrong-password" not in text
    assert_clean(page_log)
