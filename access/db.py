"""The embedded SQLite database of users and the audit log (setting `users_db`)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from geo import settings
from geo.datasets import store_root

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    display TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL,
    region TEXT NOT NULL DEFAULT '',
    password TEXT,
    oidc TEXT UNIQUE,
    active INTEGER NOT NULL DEFAULT 1,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until REAL NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    changed REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    user TEXT NOT NULL DEFAULT '',
    event TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
"""


def db_path() -> Path:
    """The database file: setting `users_db`, else access.sqlite next to the dataset store."""
    return settings.path("users_db") or (store_root().parent / "access.sqlite")


def connect(path: str | Path | None = None) -> sqlite3.Connection:
    """An open connection (schema created when missing; rows as sqlite3.Row). Close it after use."""
    target = Path(path) if path is not None else db_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(target, timeout=10, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(SCHEMA)
    return conn
