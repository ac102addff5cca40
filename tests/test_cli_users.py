"""python -m cli.users: the first administrator, password from stdin (never argv), refusals."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from access import audit, db, users

ROOT = Path(__file__).resolve().parent.parent


def cli(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.users", "--db", str(tmp_path / "u.sqlite"), *args],
                          input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_add_list_disable_reset_set_role(tmp_path):
    assert cli(tmp_path, "add", "admin", "--role", "admin", "--password-stdin", stdin="first-admin-pw\n").returncode == 0
    assert cli(tmp_path, "add", "qx", "--role", "region", "--region", "511725000000", "--password-stdin",
               stdin="quxian-pw-1\n").returncode == 0
    refused = cli(tmp_path, "add", "bad", "--role", "region", "--password-stdin", stdin="abcdefgh12\n")
    assert refused.returncode == 2 and "needs a region" in refused.stderr
    short = cli(tmp_path, "add", "weak", "--role", "viewer", "--password-stdin", stdin="short\n")
    assert short.returncode == 2
    assert cli(tmp_path, "disable", "qx").returncode == 0
    listed = cli(tmp_path, "list").stdout
    assert "admin" in listed and "511725000000" in listed and "first-admin-pw" not in listed
    assert cli(tmp_path, "reset", "qx", "--password-stdin", stdin="quxian-pw-2\n").returncode == 0
    assert cli(tmp_path, "enable", "qx").returncode == 0
    assert cli(tmp_path, "set-role", "qx", "--role", "data_admin", "--region", "511725000000").returncode == 0
    conn = db.connect(tmp_path / "u.sqlite")
    try:
        assert users.authenticate(conn, "qx", "quxian-pw-2")[0] == "ok"
        assert users.get(conn, "qx").role == "data_admin"
        events = [e.event for e in audit.entries(conn)]
        assert events.count("user_add") == 2 and "user_reset" in events and "user_role" in events
        assert "quxian-pw" not in "\n".join(conn.iterdump())
    finally:
        conn.close()
    assert cli(tmp_path, "disable", "nobody").returncode == 2
