"""The audit log: who did what, when, from where. Details are short key/value texts; a key that
names a secret (password, token, secret) is dropped before anything is written."""
from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
from dataclasses import dataclass

EVENTS = ("login", "login_failed", "login_locked", "logout", "session_expired", "publish", "restore",
          "user_add", "user_disable", "user_enable", "user_reset", "user_role", "user_oidc", "export",
          "audit_download", "access_denied")
_SECRET_WORDS = ("password", "passwd", "secret", "token", "cookie")


@dataclass(frozen=True)
class Entry:
    """One audit row."""

    id: int
    at: float
    user: str
    event: str
    detail: str
    ip: str


def _clean(detail: dict[str, object] | None) -> str:
    if not detail:
        return ""
    kept = {str(k): str(v)[:500] for k, v in detail.items()
            if not any(word in str(k).lower() for word in _SECRET_WORDS)}
    return json.dumps(kept, ensure_ascii=False, sort_keys=True)


def record(conn: sqlite3.Connection, event: str, *, user: str = "", detail: dict[str, object] | None = None,
           ip: str = "", now: float | None = None) -> None:
    """Append one row; raises ValueError for an event not in EVENTS."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    conn.execute("INSERT INTO audit (at, user, event, detail, ip) VALUES (?, ?, ?, ?, ?)",
                 (time.time() if now is None else now, user[:64], event, _clean(detail), ip[:64]))


def entries(conn: sqlite3.Connection, *, limit: int = 1000, user: str | None = None,
            event: str | None = None) -> list[Entry]:
    """The newest rows first, optionally of one user or one event."""
    sql, args = "SELECT * FROM audit WHERE 1=1", []
    if user:
        sql, args = sql + " AND user = ?", [*args, user]
    if event:
        sql, args = sql + " AND event = ?", [*args, event]
    rows = conn.execute(sql + " ORDER BY id DESC LIMIT ?", (*args, limit))
    return [Entry(r["id"], r["at"], r["user"], r["event"], r["detail"], r["ip"]) for r in rows]


def when(at: float) -> str:
    """Local time of an entry as YYYY-MM-DD HH:MM:SS."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))


def to_csv(rows: list[Entry], headers: tuple[str, str, str, str, str], *,
           labels: dict[str, str] | None = None) -> bytes:
    """UTF-8 CSV (with BOM, so Excel reads Chinese) of `rows` under the given column headers,
    events named by `labels` when given; cells that a spreadsheet would run as formulas are
    prefixed with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        cells = [when(row.at), row.user, (labels or {}).get(row.event, row.event), row.detail, row.ip]
        writer.writerow(["'" + c if c[:1] in ("=", "+", "-", "@", "\t", "\r") else c for c in cells])
    return out.getvalue().encode("utf-8-sig")
