"""PostgreSQL + PostGIS as the store of record (setting `backend = "postgis"`, `pg_dsn`).

Behind the same interface as the embedded store: a publish validates a dataset folder with the
same rules (`geo.read.read_bundle`), writes a new version and switches the active version, all in
ONE transaction, so a publish interrupted half-way (error, crash, lost connection) leaves the
previous version active and no partial version visible. Versions are kept.

Per version the database holds the units (geometry as validated, EPSG:4326), every table kind as
typed rows (`portal.rows_<kind>`, columns and types from geo/schema.py, validated by the file
reader's rules before they are inserted with COPY, indexed on version, code and year), and the
units coverage-simplified per level and zoom band in Web Mercator (`geo.tiles.ZOOM_BANDS`:
PostGIS 3.3 has no ST_CoverageSimplify, so shapely simplifies before loading) from which
`ST_AsMVT` makes vector tiles. Connections come from a psycopg 3 pool (`pg_pool_min`/`max`).
Nothing here imports streamlit.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from geo import schema, settings
from geo.ingest.store import ANY_BASE, META, BaseChanged, Store, Version
from geo.read import CORE_TABLES, Bundle, empty_table, read_bundle, validate_units
from geo.rules import DTYPES
from geo.schema import CODE, DISPLAY_CRS, LEVEL, NAME, PARENT
from geo.simplify import DECIMALS, FINE_TOLERANCE, TOLERANCE, simplify_coverage
from geo.tiles import (
    BUFFER,
    EXTENT,
    LEVELS,
    ZOOM_BANDS,
    TileError,
    band_of,
    folder_stamp,
    to_mercator,
    version_of,
)

KEY_PREFIX = "postgis:"
POOL_TIMEOUT_S = 3.0   # a page waits at most this long for a connection, then says the database is down
RECONNECT_S = 3600.0   # the pool keeps trying to reconnect (with backoff) for this long

DDL = """
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE SCHEMA IF NOT EXISTS portal;
CREATE TABLE IF NOT EXISTS portal.versions (
    id text PRIMARY KEY, created timestamptz NOT NULL DEFAULT now(), source text NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS portal.active (
    one boolean PRIMARY KEY DEFAULT true CHECK (one), version text NOT NULL REFERENCES portal.versions(id));
CREATE TABLE IF NOT EXISTS portal.units (
    version text NOT NULL REFERENCES portal.versions(id) ON DELETE CASCADE, code text NOT NULL,
    name text NOT NULL, level text NOT NULL, parent_code text NOT NULL,
    geom geometry(Geometry, 4326) NOT NULL, PRIMARY KEY (version, code));
CREATE TABLE IF NOT EXISTS portal.tile_geoms (
    version text NOT NULL REFERENCES portal.versions(id) ON DELETE CASCADE, level text NOT NULL,
    band smallint NOT NULL, idx integer NOT NULL, code text NOT NULL,
    geom geometry(Geometry, 3857) NOT NULL, PRIMARY KEY (version, level, band, idx));
CREATE INDEX IF NOT EXISTS tile_geoms_gix ON portal.tile_geoms USING gist (geom);
ALTER TABLE portal.versions ADD COLUMN IF NOT EXISTS meta jsonb NOT NULL DEFAULT '{}'::jsonb;
CREATE TABLE IF NOT EXISTS portal.version_kinds (
    version text NOT NULL REFERENCES portal.versions(id) ON DELETE CASCADE, kind text NOT NULL,
    PRIMARY KEY (version, kind));
"""

# SQL type of each schema column type (geo/schema.py): tables are stored as typed rows
SQL_TYPES = {"code": "text", "str": "text", "enum": "text", "int": "bigint", "year": "integer",
             "float": "double precision", "bool": "boolean", "date": "date"}
ROW_KINDS = ("exit_status", "services", "sites", *schema.OPTIONAL_KINDS)


def row_table(kind: str) -> str:
    """The table holding the rows of `kind` (one per kind, typed from geo/schema.py)."""
    if kind not in ROW_KINDS:
        raise ValueError(kind)
    return f"portal.rows_{kind}"


def _rows_ddl() -> str:
    """CREATE TABLE of every table kind: version, row number n (file order), the schema's columns
    typed, its key as primary key after the version, and an index on (version, code[, year])."""
    out = []
    for kind in ROW_KINDS:
        dataset = schema.DATASETS[kind]
        columns = ", ".join(f"{c.name} {SQL_TYPES[c.type]}" + ("" if c.nullable else " NOT NULL")
                            for c in dataset.columns)
        key = ", ".join(dataset.key)
        name = row_table(kind)
        out.append(f"CREATE TABLE IF NOT EXISTS {name} (version text NOT NULL REFERENCES portal.versions(id) "
                   f"ON DELETE CASCADE, n integer NOT NULL, {columns}, PRIMARY KEY (version, {key}));")
        code = "township_code" if kind == "sites" else schema.CODE
        index = f"{code}, {schema.YEAR}" if schema.YEAR in dataset.names else code
        if index != key:   # the primary key already indexes (version, code, year)
            out.append(f"CREATE INDEX IF NOT EXISTS rows_{kind}_code ON {name} (version, {index});")
    return "\n".join(out)


DDL += _rows_ddl()


class StoreUnavailable(RuntimeError):
    """The database cannot be reached; pages show a notice and retry on their next run."""


class PublishInterrupted(RuntimeError):
    """Raised by a test hook to interrupt a publish half-way."""


@lru_cache(maxsize=4)
def _pool(dsn: str, min_size: int, max_size: int) -> ConnectionPool:
    pool = ConnectionPool(dsn, min_size=min_size, max_size=max_size, open=False, timeout=POOL_TIMEOUT_S,
                          check=ConnectionPool.check_connection, reconnect_timeout=RECONNECT_S,
                          kwargs={"connect_timeout": 3, "application_name": "portal"})
    pool.open(wait=False)
    return pool


def pool() -> ConnectionPool:
    """The process's connection pool (settings `pg_dsn`, `pg_pool_min`, `pg_pool_max`)."""
    dsn = settings.get("pg_dsn")
    if not dsn:
        raise StoreUnavailable("setting pg_dsn is empty")
    return _pool(dsn, settings.get("pg_pool_min"), settings.get("pg_pool_max"))


class PgStore:
    """Versions of datasets in PostGIS: publish, list, activate, read."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def run(self, work):
        """`work(conn)` in one transaction; connection failures become StoreUnavailable."""
        try:
            with self.pool.connection() as conn:
                return work(conn)
        except (psycopg.OperationalError, psycopg.InterfaceError) as error:
            raise StoreUnavailable(str(error)) from error
        except Exception as error:
            if type(error).__name__ == "PoolTimeout":
                raise StoreUnavailable(str(error)) from error
            raise

    def ensure_schema(self) -> None:
        """Create the portal's tables (idempotent)."""
        self.run(lambda conn: conn.execute(DDL))

    def publish(self, folder: str | Path, *, source: str = "", meta: dict | None = None,
                expect: object = ANY_BASE, interrupt_after: str | None = None) -> str:
        """Validate `folder` (geo.read.read_bundle: the one rule set), load it as a new version and
        make it active, atomically. Returns the version id. `expect` (a version id, "" for none)
        makes the switch a compare-and-swap: BaseChanged when another publish moved the active
        version meanwhile. `interrupt_after` ("units", "tiles", "tables") is a test hook that fails
        the publish at that step."""
        bundle, bands, rows = _prepare(str(Path(folder).resolve()), folder_stamp(folder))
        version = "v" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        full_meta = {**(meta or {}), "created": datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
                     "counts": {k: int(v) for k, v in bundle.units[LEVEL].value_counts().items()},
                     "missing": list(bundle.missing)}

        def work(conn: psycopg.Connection) -> str:
            with conn.transaction():
                if expect is not ANY_BASE:   # serialised by the row lock on portal.active
                    conn.execute("LOCK TABLE portal.active IN EXCLUSIVE MODE")
                    row = conn.execute("SELECT version FROM portal.active").fetchone()
                    if (row[0] if row else "") != expect:
                        raise BaseChanged(expect or None, row[0] if row else None)
                conn.execute("INSERT INTO portal.versions (id, source, meta) VALUES (%s, %s, %s)",
                             (version, source, Jsonb(full_meta)))
                _copy_units(conn, version, bundle.units)
                _hook(interrupt_after, "units")
                _copy_tile_geoms(conn, version, bands)
                _hook(interrupt_after, "tiles")
                for kind, (names, values) in rows.items():
                    conn.execute("INSERT INTO portal.version_kinds (version, kind) VALUES (%s, %s)", (version, kind))
                    with conn.cursor().copy(f"COPY {row_table(kind)} (version, n, {', '.join(names)}) "
                                            "FROM STDIN") as copy:
                        for n, record in enumerate(values):
                            copy.write_row((version, n, *record))
                _hook(interrupt_after, "tables")
                conn.execute("INSERT INTO portal.active (one, version) VALUES (true, %s) "
                             "ON CONFLICT (one) DO UPDATE SET version = EXCLUDED.version", (version,))
            return version
        return self.run(work)

    def versions(self) -> list[tuple[str, str, bool]]:
        """(id, source, is active) of every version, oldest first."""
        return self.run(lambda conn: [tuple(r) for r in conn.execute(
            "SELECT v.id, v.source, v.id = a.version FROM portal.versions v "
            "LEFT JOIN portal.active a ON true ORDER BY v.id").fetchall()])

    def version_meta(self) -> list[tuple[str, dict, bool]]:
        """(id, meta, is active) of every version, oldest first."""
        return self.run(lambda conn: [(r[0], dict(r[1] or {}), bool(r[2])) for r in conn.execute(
            "SELECT v.id, v.meta, v.id = a.version FROM portal.versions v "
            "LEFT JOIN portal.active a ON true ORDER BY v.id").fetchall()])

    def meta(self, version: str) -> dict:
        """The meta of one version ({} when unknown)."""
        row = self.run(lambda conn: conn.execute("SELECT meta FROM portal.versions WHERE id = %s",
                                                 (version,)).fetchone())
        return dict(row[0] or {}) if row else {}

    def deactivate(self) -> bool:
        """No active version any more (the portal shows the bundled demo); versions stay. False
        when none was active."""
        return self.run(lambda conn: conn.execute("DELETE FROM portal.active").rowcount > 0)

    def active(self) -> str | None:
        """The active version id, or None before the first publish."""
        row = self.run(lambda conn: conn.execute("SELECT version FROM portal.active").fetchone())
        return row[0] if row else None

    def activate(self, version: str) -> None:
        """Make an earlier version active again (one statement: atomic)."""
        def work(conn):
            if not conn.execute("SELECT 1 FROM portal.versions WHERE id = %s", (version,)).fetchone():
                raise KeyError(version)
            conn.execute("INSERT INTO portal.active (one, version) VALUES (true, %s) "
                         "ON CONFLICT (one) DO UPDATE SET version = EXCLUDED.version", (version,))
        self.run(work)

    def kinds(self, version: str) -> set[str]:
        """Table kinds the version holds (the others were absent from its folder)."""
        return {r[0] for r in self.run(lambda conn: conn.execute(
            "SELECT kind FROM portal.version_kinds WHERE version = %s", (version,)).fetchall())}

    def table(self, version: str, kind: str, *, where: str = "", params: tuple = ()) -> pd.DataFrame:
        """The typed rows of one table kind (file order), optionally filtered by an SQL condition
        on its columns (e.g. "year = %s"); the schema's columns and dtypes, as the file reader
        returns them. Rows were validated by geo.rules before they were inserted."""
        dataset = schema.DATASETS[kind]
        sql = (f"SELECT {', '.join(dataset.names)} FROM {row_table(kind)} WHERE version = %s"
               + (f" AND ({where})" if where else "") + " ORDER BY n")
        records = self.run(lambda conn: conn.execute(sql, (version, *params)).fetchall())
        return typed_frame(dataset, records)

    def read_bundle(self, version: str) -> Bundle:
        """The dataset of `version` (same Bundle as the file reader: tables typed, a kind absent at
        publish is an empty table listed in `missing`, an absent inspection kind is None)."""
        def work(conn):
            return conn.execute("SELECT code, name, level, parent_code, ST_AsBinary(geom) FROM portal.units "
                                "WHERE version = %s ORDER BY code", (version,)).fetchall()
        rows = self.run(work)
        if not rows:
            raise KeyError(version)
        frame = pd.DataFrame([r[:4] for r in rows], columns=[CODE, NAME, LEVEL, PARENT])
        units = validate_units(gpd.GeoDataFrame(frame, geometry=shapely.from_wkb([bytes(r[4]) for r in rows]),
                                                crs="EPSG:4326"), source=schema.FILES["units"])
        return Bundle(folder=KEY_PREFIX + version, units=units, **self.tables(version))

    def tables(self, version: str) -> dict:
        """The version's tables as Bundle fields: each stored kind, an empty frame for a core
        table it lacks, and `missing` naming those."""
        present = self.kinds(version)
        fields: dict = {}
        for kind in ROW_KINDS:
            if kind in present:
                fields[kind] = self.table(version, kind)
            elif kind in CORE_TABLES:
                fields[kind] = empty_table(schema.DATASETS[kind])
        return {**fields, "missing": tuple(k for k in CORE_TABLES if k not in present)}


def typed_frame(dataset: schema.Dataset, records: list) -> pd.DataFrame:
    """A frame of `dataset`'s columns with the file reader's dtypes (geo.rules.DTYPES) from rows."""
    columns = list(zip(*records)) if records else [()] * len(dataset.columns)
    out = {}
    for column, values in zip(dataset.columns, columns):
        dtype = DTYPES.get(column.type, "string")
        values = [pd.NA if v is None else v for v in values]
        out[column.name] = pd.Series(pd.to_datetime(pd.Series(values, dtype=object)) if dtype.startswith("datetime")
                                     else values, dtype=dtype)
    return pd.DataFrame(out)


def _records(frame: pd.DataFrame, dataset: schema.Dataset) -> tuple[list[str], list[tuple]]:
    """(column names, rows of plain Python values, NA as None, dates as date) of a typed table."""
    columns = []
    for column in dataset.columns:
        series = frame[column.name]
        if column.type == "date":
            values = [None if pd.isna(v) else v.date() for v in series]
        else:
            values = series.astype(object).where(series.notna(), None).tolist()
        columns.append(values)
    return dataset.names, list(zip(*columns)) if len(frame) else []


@lru_cache(maxsize=1)
def _prepare(folder: str, stamp: tuple) -> tuple[Bundle, list, dict[str, tuple[list[str], list[tuple]]]]:
    """Everything a publish writes, computed before its transaction (kept for a retry of the same
    files): the bundle validated by the file reader's rules, the tile geometry rows, and the typed
    rows of every table kind the folder holds."""
    bundle = read_bundle(folder)
    rows = {kind: _records(getattr(bundle, kind), schema.DATASETS[kind]) for kind in ROW_KINDS
            if kind not in bundle.missing and getattr(bundle, kind) is not None}
    return bundle, _tile_rows(bundle.units), rows


def _hook(interrupt_after: str | None, step: str) -> None:
    if interrupt_after == step:
        raise PublishInterrupted(f"publish interrupted after {step}")


CHUNK_UNITS = 50_000   # a level with more units is simplified per province (2-digit code) chunk


def _copy_units(conn: psycopg.Connection, version: str, units: gpd.GeoDataFrame) -> None:
    """Bulk-load the units with binary COPY (EWKB straight into the geometry column)."""
    wkb = shapely.to_wkb(shapely.set_srid(units.geometry.values, 4326), include_srid=True)
    with conn.cursor().copy("COPY portal.units (version, code, name, level, parent_code, geom) "
                            "FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["text", "text", "text", "text", "text", "bytea"])
        for row, geom in zip(units[[CODE, NAME, LEVEL, PARENT]].itertuples(index=False), wkb):
            copy.write_row((version, *row, geom))


def _copy_tile_geoms(conn: psycopg.Connection, version: str, bands: list) -> None:
    """Bulk-load the per-band tile geometry blocks of `_tile_rows` with binary COPY."""
    with conn.cursor().copy("COPY portal.tile_geoms (version, level, band, idx, code, geom) "
                            "FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["text", "text", "int2", "int4", "text", "bytea"])
        for level, band, codes, wkb in bands:
            for idx, (code, geom) in enumerate(zip(codes, wkb)):
                copy.write_row((version, level, band, idx, code, geom))


def _simplified(geoms: np.ndarray, codes: np.ndarray, tolerance: float) -> np.ndarray:
    """Coverage-simplified `geoms` (display geometry when `tolerance` is 0): whole-level up to
    CHUNK_UNITS units, beyond per province chunk with the chunk's outline kept, so chunks keep
    fitting each other (shared borders stay shared) and memory stays bounded."""
    if not tolerance:
        return geoms
    if len(geoms) <= CHUNK_UNITS:
        return _polygonal(simplify_coverage(geoms, tolerance))
    out = np.empty(len(geoms), dtype=object)
    for idx in pd.Series(range(len(codes))).groupby(np.asarray(codes).astype("U2")).indices.values():
        out[idx] = simplify_coverage(geoms[idx], tolerance, simplify_boundary=False)
    return _polygonal(out)


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """`geoms` with the polygon parts only (a repair by make_valid may return a collection with
    slivers collapsed to lines, which the next coverage simplification refuses)."""
    bad = np.flatnonzero(~np.isin(shapely.get_type_id(geoms), (3, 6)))
    if len(bad):
        geoms = geoms.copy()
        for i in bad:
            parts = [p for p in shapely.get_parts(geoms[i]) if p.geom_type in ("Polygon", "MultiPolygon")]
            geoms[i] = shapely.union_all(parts) if parts else shapely.Polygon()
    return geoms


def _tile_rows(units: gpd.GeoDataFrame) -> list[tuple[str, int, np.ndarray, np.ndarray]]:
    """(level, band, codes, EWKB in EPSG:3857) per level and zoom band, in code order (a unit's
    position is its tiles' feature index `i`)."""
    out = []
    for level in LEVELS:
        subset = units.loc[units[LEVEL] == level].to_crs(DISPLAY_CRS).sort_values(CODE)
        codes = subset[CODE].astype(str).to_numpy()
        display = _simplified(subset.geometry.values, codes, TOLERANCE[level])
        for band, (_, tolerance) in enumerate(ZOOM_BANDS):
            geoms = _simplified(display, codes, tolerance)
            out.append((level, band, codes,
                        shapely.to_wkb(shapely.set_srid(to_mercator(geoms), 3857), include_srid=True)))
    return out


TILE_SQL = """
WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS box),
mvt AS (
    SELECT ST_AsMVTGeom(t.geom, env.box, %(extent)s, %(buffer)s, true) AS geom, t.idx AS i,
           t.code::bigint AS id
    FROM portal.tile_geoms t, env
    WHERE t.version = %(version)s AND t.level = %(level)s AND t.band = %(band)s
      AND t.geom && ST_Expand(env.box, %(pad)s) AND t.code LIKE %(scope)s
)
SELECT ST_AsMVT(mvt, %(level)s, %(extent)s, 'geom', 'id') FROM mvt WHERE geom IS NOT NULL
"""


class PgTiles:
    """Vector tiles of the active PostGIS version (ST_AsMVT), with a bounded in-process cache."""

    def __init__(self, store: PgStore, cache_entries: int = 4096):
        self.store = store
        self._cache: OrderedDict[tuple, bytes] = OrderedDict()
        self._entries = cache_entries
        self._lock = threading.Lock()
        self._current: tuple[float, str | None] = (0.0, None)

    def current_id(self) -> str:
        """The active version id (looked up at most once a second)."""
        checked, version = self._current
        if version is None or time.monotonic() - checked > 1.0:
            version = self.store.active()
            if version is None:
                raise TileError("no dataset published", 404)
            self._current = (time.monotonic(), version)
        return version

    def current(self) -> tuple[str, str]:
        """(URL version id, database version id) of the active version."""
        version = self.current_id()
        key = KEY_PREFIX + version
        return version_of(key, (key,)), version

    def _resolve(self, url_version: str) -> str:
        current, version = self.current()
        if url_version != current:
            raise TileError("dataset version is no longer current", 404)
        return version

    def tile(self, url_version: str, level: str, z: int, x: int, y: int, scope: str) -> bytes:
        """Encoded MVT of one tile (feature id = code, property i = index in code order)."""
        version = self._resolve(url_version)
        key = (version, level, z, x, y, scope)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        size = 2 * 20037508.342789244 / 2 ** z
        params = {"z": z, "x": x, "y": y, "extent": EXTENT, "buffer": BUFFER, "version": version,
                  "level": level, "band": band_of(z), "pad": size * BUFFER / EXTENT,
                  "scope": scope.replace("%", "").replace("_", "") + "%"}
        row = self.store.run(lambda conn: conn.execute(TILE_SQL, params).fetchone())
        data = bytes(row[0]) if row and row[0] is not None else b""
        with self._lock:
            self._cache[key] = data
            while len(self._cache) > self._entries:
                self._cache.popitem(last=False)
        return data

    def index(self, url_version: str, level: str, scope: str) -> bytes:
        """Codes and names of the level in feature-index order (JSON bytes)."""
        import json
        version = self._resolve(url_version)
        rows = self.store.run(lambda conn: conn.execute(
            "SELECT t.code, u.name FROM portal.tile_geoms t JOIN portal.units u "
            "ON u.version = t.version AND u.code = t.code "
            "WHERE t.version = %s AND t.level = %s AND t.band = 0 ORDER BY t.idx", (version, level)).fetchall())
        codes = [c if c.startswith(scope) else "" for c, _ in rows]
        names = [n if c.startswith(scope) else "" for c, n in rows]
        return json.dumps({"codes": codes, "names": names}, ensure_ascii=False, separators=(",", ":")).encode()


@lru_cache(maxsize=1)
def _tiles_for(dsn: str) -> PgTiles:
    return PgTiles(PgStore(pool()))


def pg_tiles() -> PgTiles:
    """The process's PostGIS tile source."""
    return _tiles_for(settings.get("pg_dsn"))


def store() -> PgStore:
    """A PgStore on the process's pool."""
    return PgStore(pool())


def active_key() -> str | None:
    """"postgis:<active version>" (the cache key of the data the portal shows), None when no
    version is active (the portal then shows the bundled demo); raises StoreUnavailable when the
    database cannot be reached."""
    version = store().active()
    return None if version is None else KEY_PREFIX + version


class RecordStore:
    """The import's view of the PostGIS store of record, with the methods of the file store
    (geo.ingest.store.Store) that geo.ingest.pipeline, 数据管理 and cli.ingest use: a publish
    composes a dataset folder under `<root>/tmp` (validated by the file reader's rules) and loads
    it as one new version in one transaction; versions are listed and restored from the database.
    The base of an update is the active version exported once to `<root>/pg-base/<id>/` (versions
    never change, so the export stays valid)."""

    def __init__(self, store: PgStore, root: str | Path):
        self.pg = store
        self.root = Path(root)

    def _version(self, ident: str, meta: dict) -> Version:
        return Version(ident, self.root / "pg-base" / ident, {**meta, "id": ident})

    def versions(self) -> list[Version]:
        """Every version with its meta, oldest first."""
        return [self._version(ident, meta) for ident, meta, _ in self.pg.version_meta()]

    def active_id(self) -> str | None:
        return self.pg.active()

    def active(self) -> Version | None:
        ident = self.active_id()
        return self._version(ident, self.pg.meta(ident)) if ident else None

    def activate(self, ident: str) -> None:
        """Restore an earlier version (KeyError for an unknown id)."""
        self.pg.activate(ident)

    def deactivate(self) -> bool:
        return self.pg.deactivate()

    def base_folder(self) -> Path | None:
        """The active version as a dataset folder (exported on first use), None when none is active."""
        ident = self.active_id()
        if ident is None:
            return None
        target = self.root / "pg-base" / ident
        if (target / META).is_file():
            return target
        bundle = self.pg.read_bundle(ident)
        work = Path(tempfile.mkdtemp(prefix="base-", dir=self._tmp()))
        try:
            bundle.units.to_file(work / schema.FILES["units"], layer=schema.UNITS_LAYER, engine="pyogrio")
            for kind in ROW_KINDS:
                frame = getattr(bundle, kind)
                if frame is not None and kind not in bundle.missing:
                    (work / schema.FILES[kind]).write_text(_csv_text(frame, kind), encoding="utf-8")
            (work / META).write_text(json.dumps({**self.pg.meta(ident), "id": ident}, ensure_ascii=False),
                                     encoding="utf-8")
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(work, target)
            except OSError:   # another process exported it meanwhile
                shutil.rmtree(work, ignore_errors=True)
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)
        return target

    def _tmp(self) -> Path:
        folder = self.root / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def publish(self, write: Callable[[Path], None], meta: dict, *,
                expect: object = ANY_BASE) -> tuple[Version, Bundle]:
        """Let `write` fill a fresh folder, then publish it as one new active version (DataError:
        a rule is broken, BaseChanged: another publish moved the active version; nothing
        published in either case)."""
        work = Path(tempfile.mkdtemp(prefix="publish-", dir=self._tmp()))
        try:
            write(work)
            if not (work / schema.FILES["units"]).is_file():
                raise FileNotFoundError(schema.FILES["units"])
            ident = self.pg.publish(work, source=str(meta.get("mode", "")), meta=meta,
                                    expect=ANY_BASE if expect is ANY_BASE else (expect or ""))
            bundle = _prepare(str(work.resolve()), folder_stamp(work))[0]
            _prepare.cache_clear()   # do not keep a published dataset in this process
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return self._version(ident, self.pg.meta(ident)), replace(bundle, folder=KEY_PREFIX + ident)


def _csv_text(frame: pd.DataFrame, kind: str) -> str:
    """A typed table as the text a dataset folder stores (the import's own writer)."""
    # the pipeline imports the store: imported when used
    from geo.ingest.pipeline import table_csv
    return table_csv(frame, kind).to_csv(index=False)


def record_store(root: str | Path) -> Store | RecordStore:
    """The store the import publishes to: the file store under `root` (backend = files) or the
    PostGIS store of record (backend = postgis; `root` keeps its staging folders)."""
    if settings.get("backend") == "postgis":
        return RecordStore(store(), root)
    return Store(root)


def bundle_for(key: str) -> Bundle:
    """The Bundle of a "postgis:<version>" key."""
    return store().read_bundle(key[len(KEY_PREFIX):])


def region_status_counts(version: str, year: int, level: str, prefix: str = "") -> dict[str, int]:
    """Villages or counties under code `prefix` per exit status as of `year` (the rules of
    geo.aggregate), computed by SQL from the stored exit rows (index on version, code, year):
    nothing is loaded into the process."""
    if level not in ("village", "county"):
        raise ValueError("status counts by SQL are for villages and counties")
    sql = """
    SELECT CASE WHEN r.code IS NULL OR r.poor_flag IS NULL THEN 'no_data'
                WHEN NOT r.poor_flag THEN 'non_poor'
                WHEN r.actual_exit_year <= %(year)s THEN 'exited'
                WHEN r.planned_exit_year = %(year)s THEN 'planned'
                ELSE 'not_exited' END,
           count(*)
    FROM portal.units u LEFT JOIN portal.rows_exit_status r
         ON r.version = u.version AND r.code = u.code AND r.year = %(year)s
    WHERE u.version = %(version)s AND u.level = %(level)s AND u.code LIKE %(prefix)s
    GROUP BY 1
    """
    rows = store().run(lambda conn: conn.execute(sql, {"version": version, "year": year, "level": level,
                                                       "prefix": prefix + "%"}).fetchall())
    return {status: int(count) for status, count in rows}


# ---------------------------------------------------------------- the lean read path of the pages
# Pages on PostGIS never hold the village polygons: the bundle carries county and township
# geometry as stored and one representative point per village (ST_PointOnSurface), figures come
# from one year's rows, and polygons are fetched by SQL only for the units a page draws as GeoJSON
# (from the simplified tile geometry). Vector-tile views hold no unit geometry at all.

DISPLAY_BAND = len(ZOOM_BANDS) - 1   # the tile band without extra simplification: the display geometry
loaded: dict[str, int] = {}   # polygons this process fetched per level (budget tests read it)


def _frame(rows: list, crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    """A units frame (code, name, level, parent_code, geometry) from rows ending in WKB."""
    frame = pd.DataFrame([r[:4] for r in rows], columns=[CODE, NAME, LEVEL, PARENT], dtype="string")
    geoms = shapely.from_wkb([bytes(r[4]) for r in rows]) if rows else np.array([], dtype=object)
    polygons = shapely.get_type_id(geoms) >= 3 if len(geoms) else np.array([], dtype=bool)
    for level, count in frame.loc[polygons, LEVEL].value_counts().items():
        loaded[level] = loaded.get(level, 0) + int(count)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)


def lean_bundle(version: str) -> Bundle:
    """The dataset of `version` for the pages: every unit's attributes, county and township
    geometry as stored, a point inside each village instead of its polygon, the tables typed."""
    store_ = store()
    rows = store_.run(lambda conn: conn.execute(
        "SELECT code, name, level, parent_code, ST_AsBinary(CASE WHEN level = 'village' "
        "THEN ST_PointOnSurface(geom) ELSE geom END) FROM portal.units WHERE version = %s ORDER BY code",
        (version,)).fetchall())
    if not rows:
        raise KeyError(version)
    return Bundle(folder=KEY_PREFIX + version, units=_frame(rows), **store_.tables(version))


def display_units_sql(version: str, level: str, prefix: str = "", *, fine: bool = False) -> gpd.GeoDataFrame:
    """Display polygons (EPSG:4326, rounded like geo.simplify) of the units of `level` under code
    `prefix`, by SQL: the stored display geometry of the tiles, or for `fine` close-ups the
    stored geometry coverage-simplified here with FINE_TOLERANCE (a few hundred units)."""
    like = prefix.replace("%", "").replace("_", "") + "%"
    if fine:
        sql = ("SELECT code, name, level, parent_code, ST_AsBinary(geom) FROM portal.units "
               "WHERE version = %s AND level = %s AND code LIKE %s ORDER BY code")
        params: tuple = (version, level, like)
    else:
        sql = ("SELECT t.code, u.name, u.level, u.parent_code, ST_AsBinary(ST_Transform(t.geom, 4326)) "
               "FROM portal.tile_geoms t JOIN portal.units u ON u.version = t.version AND u.code = t.code "
               "WHERE t.version = %s AND t.level = %s AND t.band = %s AND t.code LIKE %s ORDER BY t.code")
        params = (version, level, DISPLAY_BAND, like)
    frame = _frame(store().run(lambda conn: conn.execute(sql, params).fetchall()))
    if fine:
        geoms = simplify_coverage(frame.geometry.values, FINE_TOLERANCE)
    else:
        geoms = shapely.set_precision(frame.geometry.values, 10 ** -DECIMALS, mode="pointwise")
        bad = ~shapely.is_valid(geoms)
        if bad.any():
            geoms[bad] = shapely.make_valid(geoms[bad])
    return frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs="EPSG:4326"))


def level_summary(version: str, level: str) -> tuple[tuple[str, ...], float]:
    """(codes of `level` in code order, median unit diameter in Web Mercator pixels at zoom 0) by
    SQL, as ui.tiles computes them from display geometry: no geometry enters the process."""
    def work(conn):
        codes = [r[0] for r in conn.execute(
            "SELECT code FROM portal.units WHERE version = %s AND level = %s ORDER BY code", (version, level))]
        size = conn.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ST_Area(g)), "
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY ST_Y(ST_Centroid(g))) "
            "FROM (SELECT ST_Transform(geom, 4326) AS g FROM portal.tile_geoms "
            "WHERE version = %s AND level = %s AND band = %s) s", (version, level, DISPLAY_BAND)).fetchone()
        return tuple(codes), size
    codes, (area, lat) = store().run(work)
    if not codes:
        return (), float(np.sqrt(1.0) * 256 / 360)
    return codes, float(np.sqrt(area) * 256 / 360 / max(np.cos(np.radians(lat)), 0.1))
