"""Read and validate dataset files into typed (Geo)DataFrames.

Every problem raises DataError naming the file, the row as the user sees it, the column and the
value. Nothing here mutates its input or guesses a missing CRS.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from geo import rules, schema, unit_rules
from geo.errors import DataError
from geo.glyphs import display_names
from geo.problems import Report
from geo.schema import CODE, LEVEL, NAME, PARENT, Dataset

# The rules live in geo.rules (tables) and geo.unit_rules (boundaries), shared with the import.
CORE_TABLES = ("exit_status", "services", "sites")  # a dataset may lack any of them


@dataclass(frozen=True)
class Bundle:
    """One validated dataset folder. Units are in DISPLAY_CRS (EPSG:4326); a table the dataset
    does not have is an empty frame with the schema's columns (see `missing`)."""

    folder: str
    units: gpd.GeoDataFrame
    exit_status: pd.DataFrame
    services: pd.DataFrame
    sites: pd.DataFrame
    missing: tuple[str, ...] = ()   # kinds absent from the folder (partial data is normal)
    # optional inspection kinds (督战): None when the folder does not hold them
    problems: pd.DataFrame | None = None
    projects: pd.DataFrame | None = None
    supervision: pd.DataFrame | None = None


def _file_row(index: int, *, header_rows: int = 1) -> int:
    """Row number a user sees in a spreadsheet for 0-based data row `index`."""
    return index + header_rows + 1


def _check_columns(frame: pd.DataFrame, dataset: Dataset, source: str) -> None:
    for column in dataset.columns:
        if column.required and column.name not in frame.columns:
            raise DataError(source, "column_missing", column=column.name,
                            detail={"expected": dataset.names})


def empty_table(dataset: Dataset) -> pd.DataFrame:
    """A table of `dataset` without rows, with the schema's columns and dtypes."""
    return pd.DataFrame({c.name: pd.Series([], dtype=rules.DTYPES.get(c.type, "object")) for c in dataset.columns})


def parse_table(raw: pd.DataFrame, dataset: Dataset, *, source: str, header_rows: int = 1,
                known_codes: set[str] | None = None) -> pd.DataFrame:
    """Validate and type a table read as text with the shared rules (geo.rules) in fail-first
    mode. Returns a new frame with exactly the schema's columns (optional missing ones filled
    with NA). Raises DataError at the first problem."""
    _check_columns(raw, dataset, source)
    frame = raw.copy()
    frame.index = [_file_row(i, header_rows=header_rows) for i in range(len(frame))]
    table = rules.check_frame(frame, dataset, Report(fail_first=True), file=source,
                              known_codes=known_codes)
    return table.reset_index(drop=True)


def read_table(path: str | os.PathLike, dataset: Dataset, *,
               known_codes: set[str] | None = None) -> pd.DataFrame:
    """Read a CSV (UTF-8, optional BOM) of `dataset` and validate it; every cell is read as text
    so codes keep their digits. `known_codes`: codes of the boundaries (unknown -> DataError)."""
    path = Path(path)
    source = path.name
    if not path.is_file():
        raise DataError(source, "file_missing", detail={"path": str(path)})
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(source, "file_corrupt", detail={"reason": type(exc).__name__}) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    return parse_table(raw, dataset, source=source, known_codes=known_codes)


def check_units(gdf: gpd.GeoDataFrame, report: Report, *, source: str) -> gpd.GeoDataFrame | None:
    """The units rules of `geo.unit_rules` (the import's) on a stored boundary layer (columns
    code, name, level, parent_code; rows are feature numbers from 1) into `report`: fail-first
    raises DataError, collect-all returns None after listing every problem. Result in DISPLAY_CRS."""
    _check_columns(gdf, schema.UNITS, source)
    if gdf.crs is None:
        unit_rules.crs_missing(report, source)
        return None
    out = unit_rules.check_units(gdf, report, file=source, crs=CRS.from_user_input(gdf.crs), parents=True,
                                 columns={CODE: CODE, NAME: NAME, LEVEL: LEVEL, PARENT: PARENT})
    return None if out is None else out.to_crs(schema.DISPLAY_CRS)


def validate_units(gdf: gpd.GeoDataFrame, *, source: str) -> gpd.GeoDataFrame:
    """Return a validated copy of a boundary layer in DISPLAY_CRS, or raise DataError at the
    first error (`check_units` in fail-first mode). Never mutates `gdf`."""
    return check_units(gdf, Report(fail_first=True), source=source)


def read_units(path: str | os.PathLike) -> gpd.GeoDataFrame:
    """Read the boundary layer (GeoPackage/GeoJSON) with pyogrio and validate it."""
    path = Path(path)
    source = path.name
    if not path.is_file():
        raise DataError(source, "file_missing", detail={"path": str(path)})
    try:
        layers = [name for name, _ in gpd.list_layers(path).itertuples(index=False)] \
            if path.suffix.lower() == ".gpkg" else []
        layer = schema.UNITS_LAYER if schema.UNITS_LAYER in layers else None
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # GDAL reports corrupt files with several exception types
        raise DataError(source, "file_corrupt", detail={"reason": type(exc).__name__}) from None
    return validate_units(gdf, source=source)


def read_bundle(folder: str | os.PathLike) -> Bundle:
    """Read and cross-validate a dataset folder (table codes must exist in the boundaries). The
    boundaries are required; a missing table is an empty frame listed in `Bundle.missing`."""
    folder = Path(folder)
    units = read_units(folder / schema.FILES["units"])
    units[NAME] = display_names(units[NAME])   # rare glyphs: geo/glyphs.py (files keep the original)
    known = set(units[CODE])
    tables, missing = {}, []
    for kind in CORE_TABLES:
        path = folder / schema.FILES[kind]
        if not path.is_file():
            tables[kind] = empty_table(schema.DATASETS[kind])
            missing.append(kind)
            continue
        tables[kind] = read_table(path, schema.DATASETS[kind], known_codes=known)
    for kind in schema.OPTIONAL_KINDS:  # inspection tables: None when absent
        path = folder / schema.FILES[kind]
        if path.is_file():
            tables[kind] = read_table(path, schema.DATASETS[kind], known_codes=known)
    return Bundle(folder=str(folder), units=units, **tables, missing=tuple(missing))
