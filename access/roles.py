"""Roles and what each may do. Display names live in ui/text.py (role.<name>)."""
from __future__ import annotations

from typing import Literal

Role = Literal["viewer", "region", "data_admin", "admin"]
ROLES: tuple[str, ...] = ("viewer", "region", "data_admin", "admin")

# view: see maps, tables, KPIs; export: downloads, map exports, briefing packs;
# manage_data: import, publish, restore; manage_users: users, audit log, settings.
PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"view"}),
    "region": frozenset({"view", "export"}),
    "data_admin": frozenset({"view", "export", "manage_data"}),
    "admin": frozenset({"view", "export", "manage_data", "manage_users"}),
}
# Anonymous visitors (when the `anonymous` setting lets them in) may view and export what they
# see (at most the bundled demo unless anonymous = all); never manage anything.
ANONYMOUS: frozenset[str] = frozenset({"view", "export"})
# Roles that must carry a region (a 区域用户 without a region would see everything).
NEEDS_REGION = frozenset({"region"})


class RoleError(ValueError):
    """An unknown role, or a role/region combination the rules forbid."""


def check_role(role: str) -> str:
    """`role` when known; raises RoleError naming the allowed roles."""
    if role not in PERMISSIONS:
        raise RoleError(f"unknown role {role!r}; allowed: {', '.join(ROLES)}")
    return role


def allowed(role: str | None, permission: str) -> bool:
    """True when `role` (None = anonymous visitor) has `permission`."""
    if role is None:
        return permission in ANONYMOUS
    return permission in PERMISSIONS.get(role, frozenset())
