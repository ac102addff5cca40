"""Derived forms of one dataset version, computed once and kept beside it.

Every cold process used to re-read and re-validate the source files (GeoPackage + CSV, cell by
cell), coverage-simplify each level for display and again per tile zoom band. All of that depends
only on the dataset version, so it is derived once - at publish (`geo.ingest.store.Store.publish`),
or on first use for folders that were not published through the store (the bundled demo, an
explicit `data_dir`) - and written in a compact form:

    <root>/<key>/manifest.json         format, source stamp, kinds present/missing (written last)
                 units.parquet          validated units (GeoParquet, EPSG:4326, display names)
                 <kind>.parquet         validated tables, dtypes as read_bundle types them
                 display-<level>[-fine].parquet   coverage-simplified display geometry (WKB)
                 band-<level>-<i>.parquet         tile zoom band i, Web Mercator (WKB + boxes)
                 tiles-<level>.parquet            encoded whole-dataset tiles, zoom 0..PREBUILT_MAX_ZOOM

`root` is `<store>/derived`, never the repository; `key` hashes the source files' names, sizes and
modification times (kept by the store's atomic rename), so a changed file is a new key. A folder is
written under a temporary name and renamed into place (a concurrent deriver's rename wins, the other
copy is dropped), so a reader sees a complete folder or none.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from geo import schema
from geo.read import CORE_TABLES, Bundle, empty_table, read_bundle
from geo.schema import CODE, DISPLAY_CRS, LEVEL
from geo.simplify import FINE_TOLERANCE, display_units, simplify_coverage
from geo.tiles import (
    LEVELS,
    ZOOM_BANDS,
    Band,
    TileSet,
    folder_stamp,
    tiles_covering,
    to_mercator,
)

FORMAT = 3
DERIVED = "derived"            # folder name under the store root
MANIFEST = "manifest.json"
FINE_LEVELS = ("village",)     # levels whose close-up (fine) geometry is derived ahead
BOX = ("minx", "miny", "maxx", "maxy")
PREBUILT_MAX_ZOOM = 8          # whole-dataset tiles encoded ahead up to this zoom (a province: ~110)


def version_key(folder: str | os.PathLike) -> str:
    """Key of the dataset version in `folder`: its files' names, sizes and mtimes (not its path,
    so a folder renamed into the store keeps its derived forms)."""
    return hashlib.sha256(repr((FORMAT, folder_stamp(folder))).encode()).hexdigest()[:16]


def derived_dir(root: str | os.PathLike, folder: str | os.PathLike) -> Path:
    """Where the derived forms of `folder`'s version live under `root` (may not exist yet)."""
    return Path(root) / version_key(folder)


def _write_wkb(path: Path, codes: np.ndarray, geoms: np.ndarray) -> None:
    boxes = shapely.bounds(geoms)
    table = pa.table({CODE: pa.array(codes.astype(str), pa.string()),
                      "wkb": pa.array(shapely.to_wkb(geoms), pa.binary()),
                      **{side: pa.array(boxes[:, i]) for i, side in enumerate(BOX)}})
    pq.write_table(table, path, compression="zstd")


def _read_wkb(path: Path) -> tuple[np.ndarray, np.ndarray]:
    table = pq.read_table(path, columns=[CODE, "wkb"])
    codes = table.column(CODE).to_numpy(zero_copy_only=False).astype(str)
    return codes, shapely.from_wkb(table.column("wkb").to_numpy(zero_copy_only=False))


def band_geometry(display: np.ndarray, band: int) -> np.ndarray:
    """Web Mercator geometry of tile zoom band `band` from a level's display geometry (coverage-
    simplified again at the band's tolerance, so neighbours keep shared borders)."""
    tolerance = ZOOM_BANDS[band][1]
    return to_mercator(simplify_coverage(display, tolerance) if tolerance else display)


def _write_tiles(path: Path, tiles: TileSet) -> None:
    """The whole-dataset tiles of zooms 0..PREBUILT_MAX_ZOOM over the level's extent (what a
    province-wide view opens with: encoding them is the slow part of a cold view)."""
    keys, data = [], []
    if len(tiles.codes):
        for z in range(PREBUILT_MAX_ZOOM + 1):
            for x, y in tiles_covering(tiles.bounds, z):
                keys.append((z, x, y))
                data.append(tiles.tile(z, x, y))
    z, x, y = (np.array(column, dtype=np.int32) for column in zip(*keys)) if keys else ([], [], [])
    pq.write_table(pa.table({"z": pa.array(z, pa.int32()), "x": pa.array(x, pa.int32()),
                             "y": pa.array(y, pa.int32()), "data": pa.array(data, pa.binary())}), path)


def _write(work: Path, bundle: Bundle, source: Path) -> None:
    bundle.units.to_parquet(work / "units.parquet", compression="zstd")
    kinds = []
    for kind in (*CORE_TABLES, *schema.OPTIONAL_KINDS):
        frame = getattr(bundle, kind)
        if frame is not None and kind not in bundle.missing:
            frame.to_parquet(work / f"{kind}.parquet", compression="zstd")
            kinds.append(kind)
    for level in LEVELS:
        display = display_units(bundle.units, level).sort_values(CODE)
        codes, geoms = display[CODE].to_numpy(), display.geometry.values
        _write_wkb(work / f"display-{level}.parquet", codes, np.asarray(geoms))
        bands = {}
        for band, (_, tolerance) in enumerate(ZOOM_BANDS):
            if tolerance:   # the finest band is the display geometry itself, projected on load
                bands[band] = Band.of(band_geometry(np.asarray(geoms), band))
                _write_wkb(work / f"band-{level}-{band}.parquet", codes, bands[band].geoms)
        _write_tiles(work / f"tiles-{level}.parquet", TileSet(display, layer=level, version="", bands=bands.get))
        if level in FINE_LEVELS:
            fine = display_units(bundle.units, level, FINE_TOLERANCE).sort_values(CODE)
            _write_wkb(work / f"display-{level}-fine.parquet", fine[CODE].to_numpy(), np.asarray(fine.geometry.values))
    manifest = {"format": FORMAT, "source": str(source), "stamp": repr(folder_stamp(source)),
                "kinds": kinds, "missing": list(bundle.missing)}
    (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def derive(folder: str | os.PathLike, root: str | os.PathLike, bundle: Bundle | None = None) -> Path:
    """Write the derived forms of `folder` under `root` unless they exist; returns their folder.
    `bundle`: the folder's read_bundle when the caller has it (a publish), else read here (raises
    DataError for an invalid folder, and then writes nothing)."""
    folder, root = Path(folder), Path(root)
    target = derived_dir(root, folder)
    if (target / MANIFEST).is_file():
        return target
    bundle = bundle if bundle is not None else read_bundle(folder)
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".derive-", dir=root))
    try:
        _write(work, bundle, folder)
        try:
            os.rename(work, target)   # atomic; fails when a concurrent deriver got there first
        except OSError:
            if not (target / MANIFEST).is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


class Derived:
    """Reader of one derived folder (see the module docstring); cheap to create."""

    def __init__(self, path: Path, folder: Path):
        self.path = path
        self.folder = folder
        self.manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))

    def bundle(self) -> Bundle:
        """The dataset as read_bundle returns it (validated at derive time), from Parquet."""
        units = gpd.read_parquet(self.path / "units.parquet")
        tables: dict[str, pd.DataFrame] = {kind: pd.read_parquet(self.path / f"{kind}.parquet")
                                           for kind in self.manifest["kinds"]}
        for kind in CORE_TABLES:
            if kind not in tables:
                tables[kind] = empty_table(schema.DATASETS[kind])
        return Bundle(folder=str(self.folder), units=units, **tables, missing=tuple(self.manifest["missing"]))

    def attributes(self) -> pd.DataFrame:
        """The units' attribute columns without geometry (cheap: geometry is never decoded)."""
        return pd.read_parquet(self.path / "units.parquet", columns=[n for n in schema.UNITS.names if n != schema.GEOMETRY])

    def display(self, units: pd.DataFrame, level: str, *, fine: bool = False) -> gpd.GeoDataFrame | None:
        """display_units(units, level[, FINE_TOLERANCE]) from the derived geometry (same rows and
        order); None when not derived (a fine level not in FINE_LEVELS) or not matching `units`."""
        path = self.path / f"display-{level}{'-fine' if fine else ''}.parquet"
        if not path.is_file():
            return None
        codes, geoms = _read_wkb(path)
        subset = units.loc[units[LEVEL] == level]
        mine = subset[CODE].to_numpy().astype(str)
        order = np.argsort(mine, kind="stable")
        if len(mine) != len(codes) or not np.array_equal(mine[order], codes):
            return None   # a scoped or otherwise different frame: the caller simplifies itself
        placed = np.empty(len(geoms), dtype=object)
        placed[order] = geoms
        if isinstance(subset, gpd.GeoDataFrame):
            subset = pd.DataFrame(subset.drop(columns=subset.geometry.name))
        return gpd.GeoDataFrame(subset, geometry=gpd.GeoSeries(placed, index=subset.index, crs=DISPLAY_CRS))

    def prebuilt(self, level: str) -> dict[tuple[int, int, int], bytes]:
        """(z, x, y) -> encoded whole-dataset tile of `level` for the low zooms ({} when none)."""
        path = self.path / f"tiles-{level}.parquet"
        if not path.is_file():
            return {}
        table = pq.read_table(path)
        keys = zip(*(table.column(c).to_pylist() for c in ("z", "x", "y")))
        return dict(zip(keys, table.column("data").to_pylist()))

    def band(self, level: str, band: int) -> Band | None:
        """A level's tile zoom band (Web Mercator WKB and boxes, code order), never decoded
        here; None when it is the projected display geometry (the finest band) or not derived."""
        path = self.path / f"band-{level}-{band}.parquet"
        if not path.is_file():
            return None
        table = pq.read_table(path, columns=["wkb", *BOX])
        boxes = np.column_stack([table.column(side).to_numpy() for side in BOX])
        return Band(table.column("wkb").to_numpy(zero_copy_only=False), boxes)


def load(folder: str | os.PathLike, root: str | os.PathLike, *, create: bool = True) -> Derived:
    """The derived forms of `folder` under `root`, derived first when missing and `create`
    (raises DataError for an invalid folder; FileNotFoundError when missing and not `create`)."""
    folder = Path(folder)
    path = derive(folder, root) if create else derived_dir(root, folder)
    if not (path / MANIFEST).is_file():
        raise FileNotFoundError(path / MANIFEST)
    return Derived(path, folder)
