"""User accounts: add, disable, enable, reset, change role, authenticate with lockout, find by
an OIDC claim. Every function takes an open connection (access.db.connect) and the clock as
`now` (seconds) where time matters, so tests control it."""
from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from typing import Literal

from access.passwords import DUMMY_HASH, hash_password, verify_password
from access.roles import NEEDS_REGION, RoleError, check_role
from access.scope import normalize_scope
from geo import settings

Outcome = Literal["ok", "bad", "locked", "disabled"]


class UserError(ValueError):
    """An unknown or duplicate user name, or a change the rules forbid."""


@dataclass(frozen=True)
class User:
    """One account as the portal uses it (never carries the password hash)."""

    name: str
    display: str
    role: str
    region: str
    oidc: str | None
    active: bool
    locked_until: float

    def locked(self, now: float) -> bool:
        return self.locked_until > now


def _user(row: sqlite3.Row) -> User:
    return User(row["name"], row["display"], row["role"], row["region"], row["oidc"],
                bool(row["active"]), float(row["locked_until"]))


def _check(role: str, region: str) -> tuple[str, str]:
    check_role(role)
    region = normalize_scope(region)
    if role in NEEDS_REGION and not region:
        raise RoleError(f"role {role} needs a region code")
    return role, region


# Letters (also Chinese), digits and . _ @ - only: names reach the audit log, CSV and the page.
_NAME = re.compile(r"^[\w.@-]{1,64}$")


def _name(name: str) -> str:
    name = name.strip()
    if not _NAME.match(name):
        raise UserError("bad user name (1-64 letters, digits or . _ @ -)")
    return name


def get(conn: sqlite3.Connection, name: str) -> User | None:
    """The user called `name`, or None."""
    row = conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
    return _user(row) if row else None


def require(conn: sqlite3.Connection, name: str) -> User:
    """The user called `name`; raises UserError when there is none."""
    user = get(conn, name)
    if user is None:
        raise UserError(f"no user {name!r}")
    return user


def all_users(conn: sqlite3.Connection) -> list[User]:
    """Every account, by name."""
    return [_user(r) for r in conn.execute("SELECT * FROM users ORDER BY name")]


def add(conn: sqlite3.Connection, name: str, *, role: str, region: str = "", password: str | None = None,
        oidc: str | None = None, display: str = "", now: float | None = None) -> User:
    """Create an account (a password, an OIDC identity, or both); raises UserError/RoleError."""
    name = _name(name)
    role, region = _check(role, region)
    if password is None and not oidc:
        raise UserError("a user needs a password or an OIDC identity")
    if get(conn, name) is not None:
        raise UserError(f"user {name!r} exists")
    hashed = hash_password(password) if password is not None else None
    now = time.time() if now is None else now
    try:
        conn.execute("INSERT INTO users (name, display, role, region, password, oidc, created, changed) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (name, display, role, region, hashed, oidc or None, now, now))
    except sqlite3.IntegrityError:
        raise UserError(f"OIDC identity {oidc!r} already belongs to another user") from None
    return require(conn, name)


def _update(conn: sqlite3.Connection, name: str, sql: str, values: tuple) -> User:
    require(conn, name)
    conn.execute(f"UPDATE users SET {sql}, changed = ? WHERE name = ?", (*values, time.time(), name))
    return require(conn, name)


def set_active(conn: sqlite3.Connection, name: str, active: bool) -> User:
    """Disable or enable an account (enabling also clears a lockout)."""
    return _update(conn, name, "active = ?, failures = 0, locked_until = 0", (int(active),))


def reset_password(conn: sqlite3.Connection, name: str, password: str) -> User:
    """Set a new password and clear failures and lockout."""
    return _update(conn, name, "password = ?, failures = 0, locked_until = 0", (hash_password(password),))


def set_role(conn: sqlite3.Connection, name: str, role: str, region: str = "") -> User:
    """Change role and region (the rules of `add` apply)."""
    role, region = _check(role, region)
    return _update(conn, name, "role = ?, region = ?", (role, region))


def set_oidc(conn: sqlite3.Connection, name: str, oidc: str | None) -> User:
    """Link the account to an OIDC identity (the claim value, e.g. an e-mail), or unlink (None)."""
    try:
        return _update(conn, name, "oidc = ?", (oidc or None,))
    except sqlite3.IntegrityError:
        raise UserError(f"OIDC identity {oidc!r} already belongs to another user") from None


def authenticate(conn: sqlite3.Connection, name: str, password: str, *, now: float | None = None) -> tuple[Outcome, User | None]:
    """Check a local login. After `lockout_failures` wrong passwords in a row the account is
    locked for `lockout_minutes`; while locked even the right password is refused. Unknown
    names cost the same hashing time as known ones."""
    now = time.time() if now is None else now
    row = conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
    if row is None or row["password"] is None:
        verify_password(DUMMY_HASH, password)
        return "bad", None
    user = _user(row)
    if user.locked(now):
        return "locked", user
    if not verify_password(row["password"], password):
        failures = int(row["failures"]) + 1
        locked_until = 0.0
        if failures >= settings.get("lockout_failures"):
            locked_until, failures = now + 60 * settings.get("lockout_minutes"), 0
        conn.execute("UPDATE users SET failures = ?, locked_until = ? WHERE name = ?", (failures, locked_until, name))
        return ("locked" if locked_until else "bad"), require(conn, name)
    if not user.active:
        return "disabled", user
    conn.execute("UPDATE users SET failures = 0, locked_until = 0 WHERE name = ?", (name,))
    return "ok", require(conn, name)


def by_oidc(conn: sqlite3.Connection, identity: str) -> User | None:
    """The account linked to OIDC identity `identity` (exact match), or None."""
    row = conn.execute("SELECT * FROM users WHERE oidc = ?", (identity,)).fetchone()
    return _user(row) if row else None


def idle_expired(last_seen: float, now: float, *, idle_minutes: int | None = None) -> bool:
    """True when a session last active at `last_seen` has been idle longer than the setting
    `idle_minutes` allows (0 = never)."""
    limit = settings.get("idle_minutes") if idle_minutes is None else idle_minutes
    return limit > 0 and now - last_seen > 60 * limit
