"""access/: hashing, lockout, idle expiry, scope rules, signed tokens, audit without passwords."""
from __future__ import annotations

from pathlib import Path

import pytest

from access import audit, db, users
from access.passwords import WeakPasswordError, hash_password, verify_password
from access.roles import RoleError, allowed
from access.scope import ScopeError, is_visible, normalize_scope, scope_bundle, scope_prefix
from geo.read import read_bundle

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"
PASSWORD = "Qu-xian-2018!"
QU_CODE = "511725000000"


@pytest.fixture
def conn(tmp_path):
    connection = db.connect(tmp_path / "access.sqlite")
    yield connection
    connection.close()


def test_hash_is_argon2id_salted_and_verifies():
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("$argon2id$") and first != second
    assert verify_password(first, PASSWORD) and not verify_password(first, PASSWORD + "x")
    assert not verify_password("not a hash", PASSWORD)
    with pytest.raises(WeakPasswordError):
        hash_password("short")


def test_database_never_stores_the_password_in_clear(conn, tmp_path):
    users.add(conn, "quxian", role="region", region="511725000000", password=PASSWORD)
    raw = (tmp_path / "access.sqlite").read_bytes() + (tmp_path / "access.sqlite-wal").read_bytes()
    assert PASSWORD.encode() not in raw


def test_lockout_after_failures_refuses_even_the_right_password(conn, monkeypatch):
    monkeypatch.setenv("PORTAL_LOCKOUT_FAILURES", "3")
    monkeypatch.setenv("PORTAL_LOCKOUT_MINUTES", "10")
    users.add(conn, "quxian", role="region", region="511725000000", password=PASSWORD)
    assert users.authenticate(conn, "quxian", "wrong-1", now=1000)[0] == "bad"
    assert users.authenticate(conn, "quxian", "wrong-2", now=1001)[0] == "bad"
    assert users.authenticate(conn, "quxian", "wrong-3", now=1002)[0] == "locked"
    assert users.authenticate(conn, "quxian", PASSWORD, now=1003)[0] == "locked"
    assert users.authenticate(conn, "quxian", PASSWORD, now=1002 + 601)[0] == "ok"


def test_success_resets_the_failure_count(conn, monkeypatch):
    monkeypatch.setenv("PORTAL_LOCKOUT_FAILURES", "2")
    users.add(conn, "a", role="viewer", password=PASSWORD)
    assert users.authenticate(conn, "a", "wrong", now=1)[0] == "bad"
    assert users.authenticate(conn, "a", PASSWORD, now=2)[0] == "ok"
    assert users.authenticate(conn, "a", "wrong", now=3)[0] == "bad"


def test_unknown_disabled_and_reset(conn):
    assert users.authenticate(conn, "nobody", PASSWORD) == ("bad", None)
    users.add(conn, "a", role="viewer", password=PASSWORD)
    users.set_active(conn, "a", False)
    assert users.authenticate(conn, "a", PASSWORD)[0] == "disabled"
    users.set_active(conn, "a", True)
    users.reset_password(conn, "a", "another-password")
    assert users.authenticate(conn, "a", PASSWORD)[0] == "bad"
    assert users.authenticate(conn, "a", "another-password")[0] == "ok"


def test_role_and_region_rules(conn):
    with pytest.raises(RoleError):
        users.add(conn, "a", role="region", password=PASSWORD)  # a region user needs a region
    with pytest.raises(RoleError):
        users.add(conn, "a", role="boss", password=PASSWORD)
    with pytest.raises(ScopeError):
        users.add(conn, "a", role="region", region="511725100201", password=PASSWORD)  # a village
    with pytest.raises(users.UserError):
        users.add(conn, "a", role="viewer")  # neither password nor OIDC identity
    user = users.add(conn, "a", role="region", region="511725000000", password=PASSWORD)
    assert user.region == "511725000000"
    assert users.set_role(conn, "a", "data_admin", "").region == ""
    with pytest.raises(users.UserError):
        users.add(conn, "a", role="viewer", password=PASSWORD)
    assert allowed("admin", "manage_users") and not allowed("data_admin", "manage_users")
    assert allowed(None, "view") and not allowed(None, "manage_data")
    assert not allowed("viewer", "export") and allowed("region", "export")


def test_oidc_identity_maps_to_one_user(conn):
    users.add(conn, "li", role="region", region="511725000000", oidc="li@example.gov.cn")
    assert users.by_oidc(conn, "li@example.gov.cn").name == "li"
    assert users.by_oidc(conn, "other@example.gov.cn") is None
    assert users.authenticate(conn, "li", "")[0] == "bad"  # no local password
    with pytest.raises(users.UserError):
        users.add(conn, "wang", role="viewer", oidc="li@example.gov.cn")


def test_idle_expiry():
    assert not users.idle_expired(1000, 1000 + 29 * 60, idle_minutes=30)
    assert users.idle_expired(1000, 1000 + 31 * 60, idle_minutes=30)
    assert not users.idle_expired(0, 10 ** 9, idle_minutes=0)


def test_scope_rules():
    assert normalize_scope("") == normalize_scope("*") == ""
    assert normalize_scope(511725000000) == "511725000000"
    assert scope_prefix("511700000000") == "5117"
    assert scope_prefix("511725000000") == "511725"
    assert scope_prefix("511725100000") == "511725100"
    assert is_visible("511725000000", "511725100201")
    assert is_visible("511725000000", "511725000000")
    assert not is_visible("511725000000", "511722000000")
    assert not is_visible("511725100000", "511725101201")
    assert not is_visible("511725000000", "5117251")  # malformed
    assert is_visible("", "511722000000")
    for bad in ("abc", "510000000000", "511725100201"):
        with pytest.raises(ScopeError):
            normalize_scope(bad)


def test_scope_bundle_keeps_only_the_region_and_copies():
    full = read_bundle(DEMO)
    before = len(full.units)
    county = scope_bundle(full, "511725000000")
    assert len(full.units) == before
    assert set(county.units["code"].str[:6]) == {"511725"}
    assert set(county.units.loc[county.units["level"] == "county", "code"]) == {"511725000000"}
    assert set(county.exit_status["code"].str[:6]) == {"511725"}
    assert set(county.services["code"].str[:6]) == {"511725"}
    assert len(county.sites) and set(county.sites["township_code"].str[:6]) == {"511725"}
    town = scope_bundle(full, "511725001000")
    frame = town.units["code"] == QU_CODE                  # the county's outline, to navigate from
    assert frame.sum() == 1
    assert set(town.units.loc[~frame, "code"].str[:9]) == {"511725001"} and len(town.units) > 2
    assert set(town.exit_status["code"].str[:9]) == {"511725001"}  # none of the county's own rows
    assert set(town.services["code"].str[:9]) == {"511725001"}
    assert scope_bundle(full, "") is full


def test_audit_never_holds_a_password(conn):
    audit.record(conn, "login_failed", user="quxian", detail={"password": PASSWORD, "reason": "bad"}, ip="10.0.0.7")
    audit.record(conn, "user_reset", user="admin", detail={"target": "quxian", "new_password": PASSWORD})
    rows = audit.entries(conn)
    assert [r.event for r in rows] == ["user_reset", "login_failed"]
    assert rows[1].ip == "10.0.0.7" and "bad" in rows[1].detail
    dump = "\n".join(conn.iterdump())
    assert PASSWORD not in dump
    assert PASSWORD.encode() not in audit.to_csv(rows, ("a", "b", "c", "d", "e"))
    with pytest.raises(ValueError):
        audit.record(conn, "made_up")


def test_audit_csv_neutralises_formulas(conn):
    audit.record(conn, "login_failed", user="=HYPERLINK(1)")
    text = audit.to_csv(audit.entries(conn), ("时间", "用户", "事件", "详情", "来源")).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text and text.startswith("时间,用户")


def test_users_database_is_sealed_from_the_machine():
    assert not str(db.db_path()).startswith(str(Path(__file__).resolve().parent.parent / "var"))


def test_user_names_cannot_carry_markup(conn):
    for bad in ("![x](http://a/b.png)", "a b", "<img>", "", "x" * 65):
        with pytest.raises(users.UserError):
            users.add(conn, bad, role="viewer", password=PASSWORD)
    assert users.add(conn, "李明.qx-1@dz", role="viewer", password=PASSWORD).name == "李明.qx-1@dz"
