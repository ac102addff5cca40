"""Region scope: a user sees one region code (prefecture, county or township) and everything
below it, nothing else. A scope is stored as the region's 12-digit code ("" = everywhere) and
applied as a code prefix. Used by the portal's cache (ui/cache.py) and by any route that cannot
see the Streamlit session (with access.token)."""
from __future__ import annotations

from dataclasses import replace

from geo.codes import CodeError, code_level, normalize_code
from geo.read import Bundle

EVERYWHERE = ""
_PREFIX_LENGTH = {"city": 4, "county": 6, "township": 9}


class ScopeError(ValueError):
    """A scope that is not a prefecture, county or township code."""


def normalize_scope(raw: object) -> str:
    """Canonical scope code ("" for everywhere); raises ScopeError for villages or bad codes."""
    if raw is None or str(raw).strip() in ("", "*", "all"):
        return EVERYWHERE
    try:
        code = normalize_code(str(raw).strip())
        level = code_level(code)
    except CodeError:
        raise ScopeError("not a 12-digit region code") from None
    if level not in _PREFIX_LENGTH:
        raise ScopeError(f"a scope must be a prefecture, county or township code, not a {level}: {code}")
    return code


def scope_prefix(scope: str) -> str:
    """The code prefix every visible unit starts with ("" = everything)."""
    if not scope:
        return ""
    return scope[: _PREFIX_LENGTH[code_level(scope)]]


def is_visible(scope: str, code: object) -> bool:
    """True when unit `code` lies inside `scope` (itself or below it). Malformed codes are not
    visible in a scoped view."""
    if not scope:
        return True
    return isinstance(code, str) and len(code) == 12 and code.startswith(scope_prefix(scope))


def scope_bundle(bundle: Bundle, scope: str) -> Bundle:
    """A copy of `bundle` holding only the units, statistics and sites inside `scope`; the input
    is not mutated ("" returns the bundle itself).

    A township scope keeps its county's boundary row as the frame the pages navigate from
    (county > township); none of the county's own statistics are kept, so every figure shown for
    it is the sum of the township alone."""
    if not scope:
        return bundle
    prefix = scope_prefix(scope)
    inside = bundle.units["code"].str.startswith(prefix)
    if code_level(scope) == "township":
        inside |= bundle.units["code"] == scope[:6] + "000000"
    units = bundle.units.loc[inside].copy()
    exit_status = bundle.exit_status.loc[bundle.exit_status["code"].str.startswith(prefix)].copy()
    services = bundle.services.loc[bundle.services["code"].str.startswith(prefix)].copy()
    sites = bundle.sites.loc[bundle.sites["township_code"].astype(str).str.startswith(prefix)].copy()
    return replace(bundle, units=units, exit_status=exit_status, services=services, sites=sites)
