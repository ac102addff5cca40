"""Accounts in the running app (AppTest): anonymous visitors never reach data management, the
`anonymous` setting, a county user sees only their county everywhere, lockout, idle timeout,
the admin page and the audit log, caches never crossing scopes."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from access import audit, db
from geo.aggregate import region_kpis, unit_figures
from geo.read import read_bundle
from tests import tiny
from tests.access_helpers import PASSWORD, login, make_user

ROOT = Path(__file__).resolve().parents[2]
ENTRY = str(ROOT / "streamlit_app.py")
QU = "511725000000"  # 渠县
DACHUAN = "511703000000"  # 达川区, another county


@pytest.fixture(autouse=True)
def users_db(tmp_path, monkeypatch) -> Path:
    """A fresh users database per test; the shipped anonymous default (demo only)."""
    path = tmp_path / "access.sqlite"
    monkeypatch.setenv("PORTAL_USERS_DB", str(path))
    monkeypatch.setenv("PORTAL_ANONYMOUS", "demo")
    monkeypatch.delenv("PORTAL_DATA_DIR", raising=False)
    return path


def app(params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=120)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return at.run()


def goto(at: AppTest, page: str, params: dict[str, str] | None = None) -> AppTest:
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return at.switch_page(page).run()


def codes(at: AppTest) -> set[str]:
    """Codes of the page's unit table (the first table with a code column; rankings have none)."""
    table = next(df.value for df in at.dataframe if "区划代码" in df.value.columns)
    return set(table["区划代码"])


def events(path: Path) -> list[str]:
    conn = db.connect(path)
    try:
        return [e.event for e in audit.entries(conn)]
    finally:
        conn.close()


def test_anonymous_cannot_reach_upload_publish_or_restore():
    at = app()
    assert not at.exception
    links = [link.label for link in at.sidebar.get("page_link")]
    assert "数据管理" not in links and "用户与审计" not in links and "总览" in links
    for page in ("pages/data_manage.py", "pages/admin.py"):
        at = goto(app(), page)
        assert not at.exception
        assert [i.value for i in at.info] == ["请先登录。"]
        labels = [b.label for b in at.button]
        assert not any(label in ("发布为新版本", "恢复此版本", "校验") for label in labels)
        assert not at.get("file_uploader")
        assert not at.title


def test_viewer_and_region_user_cannot_manage_data_either():
    make_user("viewer", "viewer")
    at = goto(login(app(), "viewer"), "pages/data_manage.py")
    assert "无权使用此页面" in at.error[0].value and not at.get("file_uploader")


def test_anonymous_setting(tmp_path, monkeypatch):
    folder = tiny.write_folder(tmp_path / "real")
    monkeypatch.setenv("PORTAL_DATA_DIR", str(folder))
    at = app()
    assert [i.value for i in at.info] == ["当前数据须登录后查看（未登录访客只能查看演示数据）。"]
    assert not at.metric and not at.title
    make_user("quxian", "region", tiny.COUNTY)
    at = login(at, "quxian")
    assert at.title and len(at.metric) == 4
    monkeypatch.setenv("PORTAL_ANONYMOUS", "none")
    monkeypatch.delenv("PORTAL_DATA_DIR")
    assert [i.value for i in app().info] == ["请先登录。"]
    monkeypatch.setenv("PORTAL_ANONYMOUS", "all")
    monkeypatch.setenv("PORTAL_DATA_DIR", str(folder))
    assert app().title


def test_county_user_sees_only_their_county(users_db):
    make_user("quxian", "region", QU)
    at = login(app(), "quxian")
    assert not at.exception
    assert any("渠县" in el.value for el in at.sidebar.text)
    # KPIs of the county alone
    data = read_bundle(ROOT / "data" / "demo")
    units = data.units.loc[data.units["code"].str.startswith("511725")]
    kpis = region_kpis(unit_figures(units, data.exit_status.loc[data.exit_status["code"].str.startswith("511725")], 2020))
    assert at.metric[0].value == f"{kpis.exited_counties:,} / {kpis.poor_counties:,}"
    assert at.metric[1].value == f"{kpis.exited_villages:,} / {kpis.poor_villages:,}"
    # map table: one county
    at = goto(at, "pages/exit_map.py")
    assert codes(at) == {QU}
    # search finds nothing outside (达川 is a name in another county)
    at.text_input(key="exit.query").input("达川").run()
    assert "没有找到匹配的单位" in [i.value for i in at.info]
    at.text_input(key="exit.query").input("村").run()
    assert all(o.endswith("）") and "（511725" in o for o in at.selectbox(key="exit.pick").options)
    # the county's townships, then a deep link into another county falls back with a notice
    at = goto(at, "pages/exit_map.py")
    at.sidebar.selectbox(key="exit.county").set_value(QU).run()
    assert codes(at) and all(c.startswith("511725") for c in codes(at))
    fresh = login(app(), "quxian")
    fresh = goto(fresh, "pages/exit_map.py", {"region": DACHUAN, "level": "township"})
    assert "链接中的地区不在您的查看范围内，已改为显示您的范围。" in [w.value for w in fresh.warning]
    assert codes(fresh) and all(c.startswith("511725") for c in codes(fresh))
    assert fresh.query_params["region"] in (["all"], "all")
    assert "access_denied" in events(users_db)
    # relocation and services tables: only the county
    reloc = goto(fresh, "pages/relocation.py")
    assert not reloc.exception
    sites = reloc.dataframe[0].value
    assert len(sites) and sites.iloc[:, 0].notna().all()
    svc = goto(fresh, "pages/services.py")
    assert not svc.exception
    todo = [df.value for df in svc.dataframe if "区划代码" in df.value.columns]
    assert todo and all(c.startswith("511725") for c in todo[0]["区划代码"])
    # the county selector offers only the county
    assert [o for o in svc.sidebar.selectbox(key="services.county").options if o.endswith("县") or o.endswith("区")
            or o.endswith("市")][-1:] == ["渠县"]


def test_caches_never_cross_scopes():
    make_user("quxian", "region", QU)
    make_user("chief", "data_admin")
    county = goto(login(app(), "quxian"), "pages/exit_map.py")
    assert codes(county) == {QU}
    everyone = goto(login(app(), "chief"), "pages/exit_map.py")
    assert len(codes(everyone)) == 7
    again = goto(login(app(), "quxian"), "pages/exit_map.py")
    assert codes(again) == {QU}
    assert len(codes(goto(app(), "pages/exit_map.py"))) == 7  # anonymous on the demo: everything


def test_viewer_role_has_no_downloads_or_exports():
    make_user("viewer", "viewer")
    at = goto(login(app(), "viewer"), "pages/exit_map.py")
    assert not at.get("download_button") and [e.label for e in at.expander] == ["查找单位（名称或区划代码）"]
    make_user("quxian", "region", QU)
    assert goto(login(app(), "quxian"), "pages/exit_map.py").get("download_button")
    assert goto(app(), "pages/exit_map.py").get("download_button")  # anonymous visitors: the demo


def test_lockout_after_repeated_failures(users_db, monkeypatch):
    monkeypatch.setenv("PORTAL_LOCKOUT_FAILURES", "3")
    make_user("quxian", "region", QU)
    at = app()
    for _ in range(2):
        login(at, "quxian", "wrong-password")
        assert at.sidebar.error[0].value == "用户名或密码错误。"
    login(at, "quxian", "wrong-password")
    assert at.sidebar.error[0].value.startswith("账号已锁定")
    login(at, "quxian", PASSWORD)
    assert at.sidebar.error[0].value.startswith("账号已锁定")
    assert not any("当前用户" in el.value for el in at.sidebar.text)
    assert events(users_db).count("login_failed") == 2 and events(users_db).count("login_locked") == 2
    conn = db.connect(users_db)
    try:
        assert PASSWORD not in "\n".join(conn.iterdump()) and "wrong-password" not in "\n".join(conn.iterdump())
    finally:
        conn.close()


def test_idle_timeout_and_logout_end_the_session(users_db):
    make_user("quxian", "region", QU)
    at = login(app(), "quxian")
    assert any("当前用户" in el.value for el in at.sidebar.text)
    session = dict(at.session_state["auth.session"])
    at.session_state["auth.session"] = {**session, "last": time.time() - 31 * 60}
    at.run()
    assert at.sidebar.error[0].value == "长时间未操作，已自动退出登录，请重新登录。"
    assert not any("当前用户" in el.value for el in at.sidebar.text)
    login(at, "quxian")
    at.button(key="auth.logout").click().run()
    assert at.sidebar.success[0].value == "已退出登录。"
    assert at.sidebar.text_input(key="auth.name")
    assert events(users_db)[:4] == ["logout", "login", "session_expired", "login"]


def test_disabled_user_is_logged_out_on_the_next_click(users_db):
    make_user("quxian", "region", QU)
    at = login(app(), "quxian")
    conn = db.connect(users_db)
    try:
        from access import users
        users.set_active(conn, "quxian", False)
    finally:
        conn.close()
    at.run()
    assert at.sidebar.error[0].value == "账号已停用，请联系系统管理员。"


def test_admin_page_users_and_audit(users_db):
    make_user("admin", "admin")
    make_user("chief", "data_admin")
    assert "无权使用此页面" in goto(login(app(), "chief"), "pages/admin.py").error[0].value
    at = goto(login(app(), "admin"), "pages/admin.py")
    assert not at.exception and at.title[0].value == "用户与审计"
    assert set(at.dataframe[0].value["用户名"]) == {"admin", "chief"}
    at.text_input(key="admin.new_name").input("quxian")
    at.selectbox(key="admin.new_role").set_value("region")
    at.text_input(key="admin.new_region").input(QU)
    at.text_input(key="admin.new_password").input("quxian-initial-1")
    at.button(key="FormSubmitter:admin.add_form-新增").click().run()
    assert at.success[0].value == "已新增用户 quxian。"
    assert "quxian" in set(at.dataframe[0].value["用户名"])
    at.text_input(key="admin.new_name").input("bad")
    at.selectbox(key="admin.new_role").set_value("region")
    at.text_input(key="admin.new_password").input("bad-user-pw-1")
    at.button(key="FormSubmitter:admin.add_form-新增").click().run()
    assert at.error[0].value.startswith("未执行：")
    log = next(df.value for df in at.dataframe if "事件" in df.value.columns)
    assert {"登录", "新增用户"} <= set(log["事件"])
    assert "quxian-initial-1" not in log.to_csv()
    assert at.get("download_button")
    shown = next(df.value for df in at.dataframe if "设置" in df.value.columns)
    assert dict(zip(shown["设置"], shown["当前值"]))["anonymous"] == "demo"


def test_regional_data_admin_cannot_publish_or_restore(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_STORE_DIR", str(tmp_path / "store"))
    from geo.ingest.store import Store
    store = Store(tmp_path / "store")
    store.publish(tiny.write_folder, {"imported": {"seed": "tiny"}})
    store.publish(tiny.write_folder, {"imported": {"seed": "tiny again"}})
    make_user("county_admin", "data_admin", QU)
    at = goto(login(app(), "county_admin"), "pages/data_manage.py")
    assert not at.exception
    assert "区域数据管理员不能发布或恢复" in at.warning[0].value
    restores = [b for b in at.button if b.label == "恢复此版本"]
    assert restores and all(b.disabled for b in restores)


def test_township_user_navigates_from_the_county_frame_to_their_township_only():
    town = "511725001000"
    make_user("town", "region", town)
    at = login(app(), "town")
    assert not at.exception
    at = goto(at, "pages/exit_map.py")
    assert codes(at) == {QU}                                        # the county's outline only
    at.sidebar.selectbox(key="exit.county").set_value(QU).run()
    assert codes(at) == {town}
    at.sidebar.selectbox(key="exit.township").set_value(town).run()
    assert codes(at) and all(c.startswith("511725001") for c in codes(at))
    for page in ("pages/relocation.py", "pages/services.py", "pages/about_data.py", "streamlit_app.py"):
        assert not goto(at, page).exception, page


def test_county_user_exports_and_briefing_pack_hold_only_their_county():
    make_user("quxian", "region", QU)
    at = login(app(), "quxian")
    next(r for r in at.radio if r.key == "export.format").set_value("html").run()
    next(b for b in at.button if b.key == "export.make").click().run()
    page = at.session_state["export.file"][1].decode("utf-8")
    assert QU in page and not any(c in page for c in ("511702000000", DACHUAN, "511722000000", "511781000000"))
    next(b for b in at.button if b.key == "export.pack").click().run()
    assert not at.exception
    _, pack = at.session_state["export.pack_file"]
    assert pack.pages == 2                                          # the cover and 渠县 only


def test_admin_refusal_shows_user_input_as_text():
    make_user("admin", "admin")
    at = goto(login(app(), "admin"), "pages/admin.py")
    at.text_input(key="admin.new_name").input("ok-name")
    at.selectbox(key="admin.new_role").set_value("viewer")
    at.text_input(key="admin.new_oidc").input("[核实](http://evil.example/x)")
    at.text_input(key="admin.new_password").input("some-password-1")
    at.button(key="FormSubmitter:admin.add_form-新增").click().run()
    assert at.success  # an odd identity string is stored as text
    at.text_input(key="admin.new_name").input("other")
    at.selectbox(key="admin.new_role").set_value("viewer")
    at.text_input(key="admin.new_oidc").input("[核实](http://evil.example/x)")
    at.text_input(key="admin.new_password").input("some-password-1")
    at.button(key="FormSubmitter:admin.add_form-新增").click().run()
    message = at.error[0].value
    assert message.startswith("未执行：") and "\\[核实\\]\\(http\\:" in message
