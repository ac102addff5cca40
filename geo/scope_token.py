"""Signed region-scope tokens for HTTP routes that cannot see the Streamlit session (tiles).

A page signs the viewer's region scope (a code prefix: "" = everything, "PPCC" = one
prefecture, "PPCCDD" = one county) with the deployment's secret; the route verifies the token and
serves only units whose code starts with that prefix. HMAC-SHA256, URL-safe, with an expiry.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time

_PREFIX = re.compile(r"^[0-9]{0,12}$")


def _mac(secret: str, payload: bytes) -> str:
    digest = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def sign_scope(secret: str, prefix: str, *, ttl_s: int = 12 * 3600, now: float | None = None) -> str:
    """A token granting code prefix `prefix` until now + ttl_s; raises ValueError on a bad prefix
    or an empty secret."""
    if not secret:
        raise ValueError("empty secret")
    if not _PREFIX.match(prefix):
        raise ValueError(f"scope prefix must be 0-12 digits, got {prefix!r}")
    expires = int((time.time() if now is None else now) + ttl_s)
    payload = f"{prefix}.{expires}".encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _mac(secret, payload)


def verify_scope(token: str | None, secret: str, *, now: float | None = None) -> str | None:
    """The code prefix a token grants, or None when it is missing, forged, malformed or expired."""
    if not token or not secret or token.count(".") != 1:
        return None
    body, mac = token.split(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        prefix, expires = payload.decode("ascii").split(".")
        expiry = int(expires)
    except (ValueError, UnicodeDecodeError):
        return None
    if not hmac.compare_digest(mac, _mac(secret, payload)) or not _PREFIX.match(prefix):
        return None
    if expiry < (time.time() if now is None else now):
        return None
    return prefix


def allows(granted: str, requested: str) -> bool:
    """True when a token granting `granted` may see the region with code prefix `requested`."""
    return requested.startswith(granted)
