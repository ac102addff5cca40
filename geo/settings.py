"""Deployment settings: declared once here, documented in the README (a test checks both agree).

Values come from, in order of precedence:
1. an environment variable `PORTAL_<NAME upper-cased>` (e.g. `PORTAL_STORE_DIR`);
2. the settings file: `$PORTAL_SETTINGS`, else `portal.toml` in the repository root (optional,
   not committed; `[portal]` table, keys as declared below);
3. the declared default.

Each setting has a type; a malformed value raises `SettingsError` naming the setting and where it
came from. The portal's *identity* (region name, root code, extent, metric CRS) is not a setting:
it comes from the loaded dataset (`geo.identity`).
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_ENV = "PORTAL_SETTINGS"
DEFAULT_FILE = ROOT / "portal.toml"
ENV_PREFIX = "PORTAL_"


class SettingsError(ValueError):
    """A setting has a value of the wrong type or outside its allowed set."""


@dataclass(frozen=True)
class Setting:
    """One deployment setting: name, type, default and a one-line help text (English)."""

    name: str
    type: type
    default: Any
    help: str
    choices: tuple = ()

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


# Every setting of the portal. Add new ones here (and a row to the README's settings table).
SETTINGS: tuple[Setting, ...] = (
    Setting("title", str, "脱贫攻坚进度地图", "portal title shown in the browser tab and sidebar"),
    Setting("data_dir", str, "", "an explicit dataset folder to show (overrides the store; empty: use the store)"),
    Setting("store_dir", str, "var/datasets", "root of the versioned dataset store (relative to the repository)"),
    Setting("tile_url", str, "", "optional intranet basemap tile URL template ({z}/{x}/{y}); empty: no basemap"),
    Setting("tile_attribution", str, "", "attribution shown with the basemap tiles"),
    Setting("anonymous", str, "demo", "what visitors without login may see: none, demo (only the bundled demo) or all",
            choices=("none", "demo", "all")),
    Setting("import_timeout_s", int, 120, "time limit of one import (seconds), run in its own process"),
    Setting("import_memory_mb", int, 2048, "memory limit of one import process (MB)"),
    Setting("max_upload_mb", int, 200, "largest accepted upload (MB); must equal server.maxUploadSize"),
    Setting("max_rows", int, 200_000, "most rows accepted in one table file"),
    Setting("max_cells", int, 5_000_000, "most cells accepted in one spreadsheet"),
    Setting("max_columns", int, 500, "most columns accepted in one table file (XLSX or CSV)"),
    Setting("max_merged", int, 10_000, "most merged ranges accepted in one worksheet"),
    Setting("max_feature_vertices", int, 500_000, "most coordinates accepted in one boundary feature"),
    Setting("small_count", int, 5, "monitored-household counts below this are shown as <N in exports"),
    # inspection (督战) traffic lights: local rules differ
    Setting("inspection_due_days", int, 7, "督战: an open problem due within this many days (today included) is yellow"),
    Setting("project_late_days", int, 0, "督战: a started project this many days past its planned finish is yellow"),
    # accounts and access (access/, ui/auth.py)
    Setting("users_db", str, "", "SQLite file of users and the audit log (empty: access.sqlite next to the store folder)"),
    Setting("lockout_failures", int, 5, "wrong passwords in a row that lock an account"),
    Setting("lockout_minutes", int, 15, "how long a locked account stays locked (minutes)"),
    Setting("idle_minutes", int, 30, "a login session ends after this many idle minutes (0: never)"),
    Setting("oidc_claim", str, "email", "OIDC claim matched against a user's linked identity (email or sub)",
            choices=("email", "sub")),
    Setting("repair_max_area_change", float, 0.05,
            "largest share of a polygon's area an automatic repair may change; a larger change is an error"),
    # scale: vector tiles and the PostGIS store of record
    Setting("backend", str, "files", "store of record: files (dataset folders under data/ or store_dir) or postgis",
            choices=("files", "postgis")),
    Setting("pg_dsn", str, "", "PostgreSQL/PostGIS connection string (libpq DSN) when backend = postgis"),
    Setting("pg_pool_min", int, 1, "smallest number of open database connections per portal process"),
    Setting("pg_pool_max", int, 4, "largest number of open database connections per portal process"),
    Setting("tile_secret", str, "", "secret signing the region scope of tile requests; set the same value on every replica (empty: random per process)"),
    Setting("tile_min_features", int, 4000, "views with at least this many units are drawn from vector tiles, smaller ones as GeoJSON"),
)
BY_NAME = {s.name: s for s in SETTINGS}


def _convert(setting: Setting, raw: Any, origin: str) -> Any:
    try:
        if setting.type is bool:
            if isinstance(raw, bool):
                value = raw
            elif str(raw).strip().lower() in {"1", "true", "yes", "on"}:
                value = True
            elif str(raw).strip().lower() in {"0", "false", "no", "off", ""}:
                value = False
            else:
                raise ValueError(raw)
        else:
            value = setting.type(raw)
    except (TypeError, ValueError):
        raise SettingsError(f"setting {setting.name} from {origin}: {raw!r} is not a {setting.type.__name__}")
    if setting.choices and value not in setting.choices:
        raise SettingsError(f"setting {setting.name} from {origin}: {value!r} not in {setting.choices}")
    return value


def settings_file() -> Path:
    """The settings file in use (it may not exist)."""
    return Path(os.environ.get(SETTINGS_ENV) or DEFAULT_FILE)


@lru_cache(maxsize=8)
def _file_values(path: str, mtime: float) -> dict[str, Any]:
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    values = data.get("portal", data)
    unknown = sorted(set(values) - set(BY_NAME))
    if unknown:
        raise SettingsError(f"{path}: unknown settings {unknown}")
    return values


def get(name: str) -> Any:
    """The current value of setting `name` (environment, then file, then default)."""
    setting = BY_NAME[name]
    if setting.env in os.environ:
        return _convert(setting, os.environ[setting.env], setting.env)
    path = settings_file()
    if path.is_file():
        values = _file_values(str(path), path.stat().st_mtime)
        if name in values:
            return _convert(setting, values[name], str(path))
    return setting.default


def path(name: str) -> Path | None:
    """A path setting resolved against the repository root; None when empty."""
    value = get(name)
    if not value:
        return None
    candidate = Path(value)
    return (candidate if candidate.is_absolute() else ROOT / candidate).resolve()


def all_values() -> dict[str, Any]:
    """Every setting with its current value (for the about page and diagnostics)."""
    return {s.name: get(s.name) for s in SETTINGS}

