"""PostgreSQL + PostGIS as the store of record (setting `backend = "postgis"`, `pg_dsn`).

Behind the same interface as the embedded store: a publish validates a dataset folder with the
same rules (`geo.read.read_bundle`), writes a new version and switches the active version, all in
ONE transaction, so a publish interrupted half-way (error, crash, lost connection) leaves the
previous version active and no partial version visible. Versions are kept.

Per version the database holds the units (geometry as validated, EPSG:4326), the three tables
(as the text cells the file reader validates, so both backends share one rule set), and the
units coverage-simplified per level and zoom band in Web Mercator (`geo.tiles.ZOOM_BANDS`:
PostGIS 3.3 has no ST_CoverageSimplify, so shapely simplifies before loading) from which
`ST_AsMVT` makes vector tiles. Connections come from a psycopg 3 pool (`pg_pool_min`/`max`).
Nothing here imports streamlit.
"""
from __future__ import annotations

import io
import threading
import time
from collections import OrderedDict
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg_pool import ConnectionPool

from geo import schema, settings
from geo.read import Bundle, parse_table, read_bundle, validate_units
from geo.schema import CODE, DISPLAY_CRS, LEVEL, NAME, PARENT
from geo.simplify import TOLERANCE, simplify_coverage
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
TABLES = ("exit_status", "services", "sites")
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
CREATE TABLE IF NOT EXISTS portal.tables (
    version text NOT NULL REFERENCES portal.versions(id) ON DELETE CASCADE, kind text NOT NULL,
    csv text NOT NULL, PRIMARY KEY (version, kind));
"""


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

    def publish(self, folder: str | Path, *, source: str = "", interrupt_after: str | None = None) -> str:
        """Validate `folder`, load it as a new version and make it active, atomically. Returns the
        version id. `interrupt_after` ("units", "tiles", "tables") is a test hook that fails the
        publish at that step."""
        bundle, bands, tables = _prepare(str(Path(folder).resolve()), folder_stamp(folder))
        version = "v" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")

        def work(conn: psycopg.Connection) -> str:
            with conn.transaction():
                conn.execute("INSERT INTO portal.versions (id, source) VALUES (%s, %s)", (version, source))
                _copy_units(conn, version, bundle.units)
                _hook(interrupt_after, "units")
                _copy_tile_geoms(conn, version, bands)
                _hook(interrupt_after, "tiles")
                for kind, text in tables.items():
                    conn.execute("INSERT INTO portal.tables (version, kind, csv) VALUES (%s, %s, %s)",
                                 (version, kind, text))
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

    def active(self) -> str | None:
        """The active version id, or None before the first publish."""
        row = self.run(lambda conn: conn.execute("SELECT version FROM portal.active").fetchone())
        return row[0] if row else None

    def activate(self, version: str) -> None:
        """Make an earlier version active again (one statement: atomic)."""
        def work(conn):
            if not conn.execute("SELECT 1 FROM portal.versions WHERE id = %s", (version,)).fetchone():
                raise KeyError(version)
            conn.execute("UPDATE portal.active SET version = %s", (version,))
        self.run(work)

    def read_bundle(self, version: str) -> Bundle:
        """The dataset of `version`, validated with the file reader's rules (same Bundle)."""
        def work(conn):
            rows = conn.execute("SELECT code, name, level, parent_code, ST_AsBinary(geom) FROM portal.units "
                                "WHERE version = %s ORDER BY code", (version,)).fetchall()
            texts = dict(conn.execute("SELECT kind, csv FROM portal.tables WHERE version = %s",
                                      (version,)).fetchall())
            return rows, texts
        rows, texts = self.run(work)
        if not rows:
            raise KeyError(version)
        frame = pd.DataFrame([r[:4] for r in rows], columns=[CODE, NAME, LEVEL, PARENT])
        units = validate_units(gpd.GeoDataFrame(frame, geometry=shapely.from_wkb([bytes(r[4]) for r in rows]),
                                                crs="EPSG:4326"), source=schema.FILES["units"])
        tables = {}
        for kind in TABLES:
            raw = pd.read_csv(io.StringIO(texts[kind]), dtype=str, keep_default_na=False)
            tables[kind] = parse_table(raw, schema.DATASETS[kind], source=schema.FILES[kind])
        return Bundle(folder=KEY_PREFIX + version, units=units, **tables)


@lru_cache(maxsize=1)
def _prepare(folder: str, stamp: tuple) -> tuple[Bundle, list, dict[str, str]]:
    """Everything a publish writes, computed before its transaction (kept for a retry of the same
    files): the validated bundle, the tile geometry rows, the tables in canonical text (booleans
    True/False, whole years) so that SQL and the file reader's rules both read them."""
    bundle = read_bundle(folder)
    tables = {kind: getattr(bundle, kind).to_csv(index=False) for kind in TABLES}
    return bundle, _tile_rows(bundle.units), tables


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


def active_key() -> str:
    """"postgis:<active version>" (the cache key of the data the portal shows); raises
    StoreUnavailable when the database cannot be reached or holds no version yet."""
    version = store().active()
    if version is None:
        raise StoreUnavailable("no dataset published to PostGIS yet")
    return KEY_PREFIX + version


def bundle_for(key: str) -> Bundle:
    """The Bundle of a "postgis:<version>" key."""
    return store().read_bundle(key[len(KEY_PREFIX):])


def region_status_counts(version: str, year: int, level: str, prefix: str = "") -> dict[str, int]:
    """Villages or counties under code `prefix` per exit status as of `year` (the rules of
    geo.aggregate), computed by SQL from the stored exit table: nothing is loaded into the process."""
    if level not in ("village", "county"):
        raise ValueError("status counts by SQL are for villages and counties")
    sql = """
    WITH rows AS (
        SELECT split_part(line, ',', 1) AS code, split_part(line, ',', 2) AS year,
               split_part(line, ',', 3) AS poor, split_part(line, ',', 4) AS planned,
               split_part(line, ',', 5) AS actual
        FROM portal.tables, regexp_split_to_table(csv, E'\\r?\\n') WITH ORDINALITY AS l(line, n)
        WHERE version = %(version)s AND kind = 'exit_status' AND n > 1 AND line <> ''
    )
    SELECT CASE WHEN r.code IS NULL OR r.poor = '' THEN 'no_data'
                WHEN r.poor = 'False' THEN 'non_poor'
                WHEN r.actual <> '' AND r.actual::int <= %(year)s THEN 'exited'
                WHEN r.planned <> '' AND r.planned::int = %(year)s THEN 'planned'
                ELSE 'not_exited' END,
           count(*)
    FROM portal.units u LEFT JOIN rows r ON r.code = u.code AND r.year = %(year)s::text
    WHERE u.version = %(version)s AND u.level = %(level)s AND u.code LIKE %(prefix)s
    GROUP BY 1
    """
    rows = store().run(lambda conn: conn.execute(sql, {"version": version, "year": year, "level": level,
                                                       "prefix": prefix + "%"}).fetchall())
    return {status: int(count) for status, count in rows}
