"""Signed scope tokens (HMAC-SHA256 with the server secret) that carry a user's scope to a route
that cannot see the Streamlit session (e.g. an HTTP tile route): the route verifies the token
and filters with access.scope.is_visible."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path

from access.db import db_path
from geo import settings


def secret_path() -> Path:
    """The secret file: setting `secret_file`, else portal.secret next to the users database."""
    return settings.path("secret_file") or db_path().with_name("portal.secret")


def server_secret(path: Path | None = None) -> bytes:
    """The server secret, created (32 random bytes, owner-only file) on first use."""
    target = path or secret_path()
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return target.read_text(encoding="ascii").strip().encode("ascii")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(user: str, scope: str, *, ttl_s: int = 3600, now: float | None = None,
               secret: bytes | None = None) -> str:
    """A token stating that `user` may see `scope` until now + ttl_s."""
    now = time.time() if now is None else now
    body = _b64(json.dumps({"u": user, "s": scope, "e": int(now + ttl_s)}, separators=(",", ":")).encode())
    mac = hmac.new(secret or server_secret(), body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def read_token(token: str, *, now: float | None = None, secret: bytes | None = None) -> tuple[str, str] | None:
    """(user, scope) of a valid, unexpired token; None for anything forged, altered or expired."""
    try:
        body, mac = token.split(".")
        expected = hmac.new(secret or server_secret(), body.encode("ascii"), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            return None
        claims = json.loads(_unb64(body))
    except (ValueError, UnicodeError):
        return None
    if (time.time() if now is None else now) > claims.get("e", 0):
        return None
    return str(claims["u"]), str(claims["s"])
