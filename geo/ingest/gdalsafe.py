"""GDAL as the import may use it: only the Shapefile, GeoJSON and GeoPackage drivers, no VRT, no
network; and GeoPackages inspected with sqlite3 (read-only, time-boxed) before GDAL opens them,
so a layer that is a view (e.g. an endless recursive query) or a virtual table is never read.

GDAL chooses a driver by content, not by extension, so a file named `.shp` holding an OGR VRT
(XML naming `CSV:/etc/passwd`) would be read by the VRT driver. Two fences stop that: the
content checks of `geo.ingest.files` (magic numbers of every member) and the driver registry
reduced here with GDAL_SKIP (process-wide; the portal itself only ever reads GeoPackages).
"""
from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyogrio
from pyogrio import _ogr

ALLOWED_DRIVERS = ("ESRI Shapefile", "GeoJSON", "GPKG")
GPKG_APPLICATION_IDS = {0x47504B47, 0x47503130, 0x47503131}   # 'GPKG', 'GP10', 'GP11'
INSPECT_SECONDS = 5.0          # sqlite3 inspection of one GeoPackage
INSPECT_STEPS = 1000           # progress handler called every N virtual machine steps

# GDAL may never reach the network or other files while reading an upload.
CONFIG = {
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".invalid-no-network",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "CPL_VSIL_CURL_USE_HEAD": "NO",
    "GDAL_VRT_ENABLE_PYTHON": "NO",
    "OGR_GEOJSON_MAX_OBJ_SIZE": "500MB",
}
_lock = threading.Lock()
_restricted = False


def restrict_drivers() -> list[str]:
    """Deregister every GDAL driver but ALLOWED_DRIVERS (idempotent, process-wide) and set the
    no-network options; returns the vector drivers left."""
    global _restricted
    with _lock:
        if not _restricted:
            pyogrio.set_gdal_config_options(CONFIG)
            skip = [name for name in pyogrio.list_drivers() if name not in ALLOWED_DRIVERS]
            # GDALAllRegister ends with AutoSkipDrivers(), which deregisters GDAL_SKIP (comma list)
            pyogrio.set_gdal_config_options({"GDAL_SKIP": ",".join(skip)})
            _ogr._register_drivers()
            _restricted = True
        return sorted(pyogrio.list_drivers())


class GpkgRefused(Exception):
    """The GeoPackage cannot be read safely; `rule` names why (a `rule.*` text key)."""

    def __init__(self, rule: str, value: str | None = None):
        super().__init__(rule)
        self.rule = rule
        self.value = value


@dataclass
class GpkgLayers:
    """Feature layers of a GeoPackage: plain tables (readable) and what was refused, by name."""

    tables: list[str] = field(default_factory=list)
    views: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)   # virtual tables or missing tables


def inspect_gpkg(path: Path, *, seconds: float = INSPECT_SECONDS) -> GpkgLayers:
    """Feature layers of the GeoPackage at `path`, read with sqlite3 in read-only, immutable mode
    (no journal, no trigger can run) under a time box. Raises GpkgRefused."""
    uri = f"{Path(path).resolve().as_uri()}?mode=ro&immutable=1"
    deadline = time.monotonic() + seconds
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=0, check_same_thread=False)
    except sqlite3.Error:
        raise GpkgRefused("file_corrupt") from None
    connection.set_progress_handler(lambda: int(time.monotonic() > deadline), INSPECT_STEPS)
    try:
        connection.execute("PRAGMA trusted_schema=OFF")
        application_id, = connection.execute("PRAGMA application_id").fetchone()
        if application_id not in GPKG_APPLICATION_IDS:
            raise GpkgRefused("content_mismatch")
        master = {name: (kind, (sql or "").lstrip().upper()) for name, kind, sql in
                  connection.execute("SELECT name, type, sql FROM sqlite_master")}
        if "gpkg_contents" not in master:
            raise GpkgRefused("content_mismatch")
        rows = connection.execute(
            "SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY rowid").fetchall()
    except sqlite3.OperationalError as exc:
        raise GpkgRefused("gpkg_too_slow" if "interrupt" in str(exc) else "file_corrupt") from None
    except sqlite3.Error:
        raise GpkgRefused("file_corrupt") from None
    finally:
        connection.close()
    layers = GpkgLayers()
    for (name,) in rows:
        kind, sql = master.get(str(name), ("", ""))
        if kind == "view":
            layers.views.append(str(name))
        elif kind == "table" and not sql.startswith("CREATE VIRTUAL"):
            layers.tables.append(str(name))
        else:
            layers.other.append(str(name))
    return layers
