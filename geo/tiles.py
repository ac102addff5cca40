"""Mapbox vector tiles (MVT) of one level's units, simplified per zoom as a coverage.

Geometry only: each feature carries its row index `i` in the level's code order (codes and names
are one cacheable index per level, `TileSet.index_json`); colours come from a small per-view class table (`layers/vector_layer.py`), so a
change of year, indicator or classing never resends geometry.

Per zoom band the level is coverage-simplified once (`shapely.coverage_simplify`: neighbours keep
shared borders, no gaps or overlaps) from the display geometry (or read as derived at publish,
geo/derived.py), projected to Web Mercator and kept as WKB with bounding boxes (a fraction of the
memory of live geometries); a tile decodes the polygons whose box meets it, clips them to the
tile (plus a small buffer so outlines do not end at tile edges), quantises them to the tile grid
and encodes them. Encoded tiles are kept in a bounded LRU. Nothing here imports streamlit.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from mapbox_vector_tile import encode

from geo import datasets
from geo.schema import CODE, FILES, NAME
from geo.simplify import display_units, simplify_coverage

LEVELS = ("county", "township", "village")
EXTENT = 4096            # MVT grid per tile side
BUFFER = 64              # grid units drawn beyond each tile edge
MAX_ZOOM = 16            # deepest tile served (beyond, Leaflet scales the z16 tile)
MERCATOR_HALF = 20037508.342789244
MERCATOR_MAX_LAT = 85.0511287798
# (first zoom of the band, coverage-simplification tolerance in degrees on top of the display
# geometry; 0 = the display geometry itself). About half a screen pixel per band at its first zoom.
ZOOM_BANDS: tuple[tuple[int, float], ...] = ((0, 0.01), (7, 0.004), (9, 0.0015), (11, 0.0))
TILE_CACHE_BYTES = 64 * 1024 * 1024


class TileError(ValueError):
    """A tile request that cannot be answered; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def parse_tile(level: str, z: str, x: str, y: str) -> tuple[str, int, int, int]:
    """Validated (level, z, x, y) from URL parts; raises TileError naming the bad part."""
    if level not in LEVELS:
        raise TileError(f"unknown layer {level!r}", 404)
    try:
        zi, xi, yi = int(z), int(x), int(y)
    except ValueError:
        raise TileError("z/x/y must be integers") from None
    if not 0 <= zi <= MAX_ZOOM:
        raise TileError(f"zoom {zi} outside 0..{MAX_ZOOM}")
    if not (0 <= xi < 2 ** zi and 0 <= yi < 2 ** zi):
        raise TileError(f"tile {xi}/{yi} outside zoom {zi}")
    return level, zi, xi, yi


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Web Mercator (EPSG:3857) bounds of tile z/x/y (XYZ scheme, y down)."""
    size = 2 * MERCATOR_HALF / 2 ** z
    minx = -MERCATOR_HALF + x * size
    maxy = MERCATOR_HALF - y * size
    return minx, maxy - size, minx + size, maxy


def to_mercator(geoms: np.ndarray) -> np.ndarray:
    """Lon/lat polygons -> Web Mercator metres (vectorised, latitude clamped)."""
    def project(xy: np.ndarray) -> np.ndarray:
        lon = xy[:, 0]
        lat = np.clip(xy[:, 1], -MERCATOR_MAX_LAT, MERCATOR_MAX_LAT)
        return np.column_stack([lon * MERCATOR_HALF / 180.0,
                                np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * MERCATOR_HALF / np.pi])
    return shapely.transform(geoms, project)


def tiles_covering(bounds: tuple[float, float, float, float], z: int) -> list[tuple[int, int]]:
    """(x, y) of the zoom-`z` tiles that cover lon/lat `bounds`."""
    n = 2 ** z

    def column(lon: float) -> int:
        return min(n - 1, max(0, int((lon + 180) / 360 * n)))

    def row(lat: float) -> int:
        lat = min(max(lat, -MERCATOR_MAX_LAT), MERCATOR_MAX_LAT)
        return min(n - 1, max(0, int((1 - np.arcsinh(np.tan(np.radians(lat))) / np.pi) / 2 * n)))
    minx, miny, maxx, maxy = bounds
    return [(x, y) for x in range(column(minx), column(maxx) + 1) for y in range(row(maxy), row(miny) + 1)]


def band_of(z: int) -> int:
    """Index into ZOOM_BANDS of zoom `z`."""
    return max(i for i, (first, _) in enumerate(ZOOM_BANDS) if z >= first)


@dataclass(frozen=True)
class Band:
    """One zoom band of a level, held compactly: EPSG:3857 polygons as WKB (about 16 bytes per
    vertex, a third of a live GEOS geometry) plus their bounding boxes; a tile decodes only the
    polygons whose box meets it."""

    wkb: np.ndarray            # WKB bytes, aligned with TileSet.codes
    boxes: np.ndarray          # (n, 4) float: minx, miny, maxx, maxy

    @classmethod
    def of(cls, geoms: np.ndarray) -> Band:
        """A Band of EPSG:3857 geometries (which the caller may then drop)."""
        return cls(shapely.to_wkb(geoms), shapely.bounds(geoms))

    @property
    def geoms(self) -> np.ndarray:
        """Every polygon of the band, decoded (tests and whole-band checks)."""
        return shapely.from_wkb(self.wkb)

    def hits(self, minx: float, miny: float, maxx: float, maxy: float) -> np.ndarray:
        """Sorted indices of the polygons whose bounding box meets the rectangle."""
        b = self.boxes
        return np.flatnonzero((b[:, 0] <= maxx) & (b[:, 2] >= minx) & (b[:, 1] <= maxy) & (b[:, 3] >= miny))


class TileSet:
    """Vector tiles of one level of one dataset version. Thread-safe; bands built on first use."""

    def __init__(self, display: gpd.GeoDataFrame, *, layer: str, version: str,
                 cache_bytes: int = TILE_CACHE_BYTES,
                 bands: Callable[[int], Band | None] | None = None,
                 prebuilt: Callable[[], dict[tuple[int, int, int], bytes]] | None = None):
        if display.crs is None or display.crs.to_epsg() != 4326:
            raise ValueError("TileSet expects EPSG:4326 display geometry")
        ordered = display.sort_values(CODE)
        self.layer = layer
        self.version = version
        self.codes = ordered[CODE].astype(str).to_numpy()
        self.names = ordered[NAME].astype(str).to_numpy()
        self.bounds = tuple(float(b) for b in ordered.total_bounds)
        self._display = ordered.geometry.values
        # band index -> its precomputed Band in code order (geo.derived), or None
        self._derived = bands or (lambda band: None)
        # whole-dataset tiles of the low zooms encoded at publish (geo.derived), read on first use
        self._load_prebuilt = prebuilt
        self._prebuilt: dict[tuple[int, int, int], bytes] | None = None
        self._bands: dict[int, Band] = {}
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple, bytes] = OrderedDict()
        self._cache_used = 0
        self._cache_bytes = cache_bytes

    def index_of(self) -> dict[str, int]:
        """Code -> feature index `i` (the order of the class table)."""
        return {code: i for i, code in enumerate(self.codes)}

    def index_json(self, scope: str = "") -> bytes:
        """{"codes": [...], "names": [...]} in feature-index order; units outside `scope` have
        empty names (their features are never in this scope's tiles)."""
        inside = np.char.startswith(self.codes.astype(str), scope) if scope else np.ones(len(self.codes), bool)
        codes, names = np.where(inside, self.codes, ""), np.where(inside, self.names, "")
        return json.dumps({"codes": codes.tolist(), "names": names.tolist()},
                          ensure_ascii=False, separators=(",", ":")).encode()

    def band(self, z: int) -> Band:
        """The simplified, projected geometry of zoom `z`'s band (built once)."""
        key = band_of(z)
        with self._lock:
            if key not in self._bands:
                band = self._derived(key)
                if band is None or len(band.wkb) != len(self.codes):
                    tolerance = ZOOM_BANDS[key][1]
                    geoms = simplify_coverage(self._display, tolerance) if tolerance else self._display
                    band = Band.of(to_mercator(geoms))
                self._bands[key] = band
            return self._bands[key]

    def features(self, z: int, x: int, y: int, scope: str = "") -> tuple[np.ndarray, np.ndarray]:
        """(indices, clipped EPSG:3857 geometries) of the units in tile z/x/y whose code starts
        with `scope` (empty scope: all)."""
        band = self.band(z)
        minx, miny, maxx, maxy = tile_bounds(z, x, y)
        pad = (maxx - minx) * BUFFER / EXTENT
        hits = band.hits(minx - pad, miny - pad, maxx + pad, maxy + pad)
        if scope:
            hits = hits[np.char.startswith(self.codes[hits].astype(str), scope)]
        clipped = shapely.clip_by_rect(shapely.from_wkb(band.wkb[hits]), minx - pad, miny - pad, maxx + pad, maxy + pad)
        keep = ~shapely.is_empty(clipped)
        return hits[keep], clipped[keep]

    def tile(self, z: int, x: int, y: int, scope: str = "") -> bytes:
        """The encoded MVT of tile z/x/y (one layer named after the level); cached."""
        key = (z, x, y, scope)
        if not scope and self._load_prebuilt is not None:
            with self._lock:
                if self._prebuilt is None:
                    self._prebuilt = self._load_prebuilt()
                found = self._prebuilt.get((z, x, y))
            if found is not None:
                return found
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        indices, geoms = self.features(z, x, y, scope)
        data = encode_tile(self.layer, geoms, indices, self.codes, self.names, tile_bounds(z, x, y))
        with self._lock:
            self._cache[key] = data
            self._cache_used += len(data)
            while self._cache_used > self._cache_bytes and self._cache:
                _, old = self._cache.popitem(last=False)
                self._cache_used -= len(old)
        return data

    def locate(self, lon: float, lat: float) -> str | None:
        """Code of the unit containing lon/lat (display geometry), or None."""
        point = to_mercator(np.array([shapely.Point(lon, lat)]))[0]
        band = self.band(MAX_ZOOM)
        near = band.hits(point.x, point.y, point.x, point.y)
        inside = near[shapely.intersects(shapely.from_wkb(band.wkb[near]), point)]
        return str(self.codes[int(inside[0])]) if len(inside) else None


def encode_tile(layer: str, geoms: np.ndarray, indices: np.ndarray, codes: np.ndarray,
                names: np.ndarray, bounds: tuple[float, float, float, float]) -> bytes:
    """MVT bytes of EPSG:3857 `geoms` quantised to the tile `bounds` (features: id = code as an
    integer, property `i`: codes and names travel once per level in the index)."""
    minx, miny, maxx, maxy = bounds
    scale = EXTENT / (maxx - minx)
    grid = shapely.transform(geoms, lambda xy: np.rint(np.column_stack(
        [(xy[:, 0] - minx) * scale, (xy[:, 1] - miny) * scale])))
    features = [{"geometry": geom, "id": int(codes[i]), "properties": {"i": int(i)}}
                for geom, i in zip(grid, indices)]
    return encode([{"name": layer, "features": features}],
                  default_options={"extents": EXTENT, "quantize_bounds": None,
                                   "on_invalid_geometry": _repair})


def _repair(shape):
    """Quantising can make a sliver invalid: repair it (dropping what collapsed to lines)."""
    fixed = shapely.make_valid(shape)
    polys = [g for g in getattr(fixed, "geoms", [fixed]) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not polys:
        return None
    return shapely.union_all(polys) if len(polys) > 1 else polys[0]


def version_of(folder: str, stamp: tuple) -> str:
    """A short, URL-safe id of a dataset version (folder and file stamps)."""
    return hashlib.sha256(repr((folder, stamp)).encode()).hexdigest()[:12]


class TileSets:
    """Process-wide TileSets keyed by (version, level); `load` gives a level's display units."""

    def __init__(self, keep: int = 6):
        self._sets: OrderedDict[tuple[str, str], TileSet] = OrderedDict()
        self._lock = threading.Lock()
        self._keep = keep

    def get(self, version: str, level: str, load: Callable[[], gpd.GeoDataFrame],
            bands: Callable[[int], Band | None] | None = None,
            prebuilt: Callable[[], dict[tuple[int, int, int], bytes]] | None = None) -> TileSet:
        """The TileSet of (version, level), built with `load()` (and the precomputed `bands`, see
        TileSet) on first use."""
        key = (version, level)
        with self._lock:
            found = self._sets.get(key)
            if found is not None:
                self._sets.move_to_end(key)
                return found
        built = TileSet(load(), layer=level, version=version, bands=bands, prebuilt=prebuilt)
        with self._lock:
            found = self._sets.setdefault(key, built)
            while len(self._sets) > self._keep:
                self._sets.popitem(last=False)
            return found


REGISTRY = TileSets()


def folder_stamp(folder: str | os.PathLike) -> tuple:
    """Changes whenever a dataset file of `folder` changes (name, mtime, size per file)."""
    out = []
    for name in FILES.values():
        path = Path(folder) / name
        out.append((name, path.stat().st_mtime_ns, path.stat().st_size) if path.exists() else (name,))
    return tuple(out)


class FileTiles:
    """Tiles of the active dataset folder (the embedded backend): versions are folder stamps."""

    def current(self) -> tuple[str, Path]:
        """(version id, folder) of the dataset the portal shows now."""
        folder = datasets.active_folder()
        return version_of(str(folder), folder_stamp(folder)), folder

    def tileset(self, version: str, level: str) -> TileSet:
        """The TileSet of `level` if `version` is still current; else TileError 404."""
        current, folder = self.current()
        if version != current:
            raise TileError("dataset version is no longer current", 404)
        # geo.derived builds on this module, hence the import here
        from geo.derived import DERIVED, load
        derived = load(folder, datasets.store_root() / DERIVED)

        def display() -> gpd.GeoDataFrame:
            shapes = derived.display(derived.attributes(), level)
            return shapes if shapes is not None else display_units(derived.bundle().units, level)
        return REGISTRY.get(version, level, display, lambda band: derived.band(level, band),
                            lambda: derived.prebuilt(level))

    def tile(self, version: str, level: str, z: int, x: int, y: int, scope: str) -> bytes:
        """Encoded MVT of one tile."""
        return self.tileset(version, level).tile(z, x, y, scope)

    def index(self, version: str, level: str, scope: str) -> bytes:
        """Codes and names of the level in feature-index order (JSON bytes)."""
        return self.tileset(version, level).index_json(scope)
