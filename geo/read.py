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
import shapely

from geo import schema
from geo.codes import CodeError, code_level, normalize_code, parent_code
from geo.glyphs import display_names
from geo.errors import DataError
from geo.schema import CODE, GEOMETRY, LEVEL, NAME, PARENT, YEAR, Column, Dataset

_TRUE = {"1", "true", "yes", "y", "是", "有", "√", "t"}
_FALSE = {"0", "false", "no", "n", "否", "无", "×", "f"}
_MISSING = {"", "nan", "none", "null", "na", "n/a", "-", "—", "－"}

# Levels each table may key on; anything else is a "code of the wrong level".
ALLOWED_LEVELS: dict[str, tuple[str, ...]] = {
    "units": ("county", "township", "village"),
    "exit_status": ("county", "township", "village"),
    "services": ("township", "village"),
    "sites": ("township",),
}


@dataclass(frozen=True)
class Bundle:
    """One complete, validated dataset folder. Units are in DISPLAY_CRS (EPSG:4326)."""

    folder: str
    units: gpd.GeoDataFrame
    exit_status: pd.DataFrame
    services: pd.DataFrame
    sites: pd.DataFrame


def _file_row(index: int, *, header_rows: int = 1) -> int:
    """Row number a user sees in a spreadsheet for 0-based data row `index`."""
    return index + header_rows + 1


def _check_columns(frame: pd.DataFrame, dataset: Dataset, source: str) -> None:
    for column in dataset.columns:
        if column.required and column.name not in frame.columns:
            raise DataError(source, "column_missing", column=column.name,
                            detail={"expected": dataset.names})


def _parse_codes(values: pd.Series, *, source: str, column: str, allowed: tuple[str, ...],
                 row_of) -> pd.Series:
    out = []
    for index, raw in zip(values.index, values.tolist()):
        try:
            code = normalize_code(raw)
            level = code_level(code)
        except CodeError as exc:
            raise DataError(source, exc.rule, row=row_of(index), column=column, value=raw) from None
        if level not in allowed:
            raise DataError(source, "code_wrong_level", row=row_of(index), column=column, value=raw,
                            detail={"level": level, "allowed": list(allowed)})
        out.append(code)
    return pd.Series(out, index=values.index, dtype="string")


def _parse_cell(raw: object, column: Column) -> object:
    """Parse one text cell; raises ValueError(rule) on a bad value. Returns pd.NA for empty."""
    text = "" if raw is None or (isinstance(raw, float) and raw != raw) else str(raw).strip()
    if text.lower() in _MISSING:
        if not column.nullable:
            raise ValueError("value_missing")
        return pd.NA
    if column.type in ("str",):
        return text
    if column.type == "bool":
        low = text.lower()
        low = {"1.0": "1", "0.0": "0"}.get(low, low)
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError("value_not_bool")
    if column.type == "enum":
        value = schema.ENUM_ALIASES.get(text, text)
        if value not in column.allowed:
            raise ValueError("value_not_allowed")
        return value
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        raise ValueError("value_not_number") from None
    if number != number:
        raise ValueError("value_not_number")
    if column.type in ("int", "year"):
        if not number.is_integer():
            raise ValueError("value_not_integer")
        number = int(number)
    if column.type == "year" and number not in schema.YEAR_RANGE:
        raise ValueError("year_out_of_range")
    if column.minimum is not None and number < column.minimum:
        raise ValueError("value_negative" if column.minimum == 0 else "value_too_small")
    return number


_DTYPES = {"str": "string", "bool": "boolean", "enum": "string", "int": "Int64", "year": "Int64",
           "float": "Float64"}


def parse_table(raw: pd.DataFrame, dataset: Dataset, *, source: str, header_rows: int = 1) -> pd.DataFrame:
    """Validate and type a table read as text. Returns a new frame with exactly the schema's
    columns (optional missing ones filled with NA). Raises DataError at the first problem."""
    _check_columns(raw, dataset, source)

    def row_of(index: int) -> int:
        return _file_row(int(index), header_rows=header_rows)

    out = {}
    for column in dataset.columns:
        if column.name not in raw.columns:
            out[column.name] = pd.Series(pd.NA, index=raw.index, dtype=_DTYPES.get(column.type, "object"))
            continue
        values = raw[column.name]
        if column.type == "code":
            out[column.name] = _parse_codes(values, source=source, column=column.name,
                                            allowed=ALLOWED_LEVELS[dataset.kind], row_of=row_of)
            continue
        parsed = []
        for index, cell in zip(values.index, values.tolist()):
            try:
                parsed.append(_parse_cell(cell, column))
            except ValueError as exc:
                raise DataError(source, str(exc), row=row_of(index), column=column.name, value=cell,
                                detail={"allowed": list(column.allowed)} if column.allowed else {}) from None
        out[column.name] = pd.Series(parsed, index=raw.index, dtype=_DTYPES[column.type])
    table = pd.DataFrame(out, index=raw.index)
    dupes = table.duplicated(list(dataset.key), keep="first")
    if dupes.any():
        first = dupes.idxmax()
        raise DataError(source, "key_duplicate", row=row_of(first), column=dataset.key[0],
                        value=" / ".join(str(table.at[first, k]) for k in dataset.key))
    return table.reset_index(drop=True)


def read_table(path: str | os.PathLike, dataset: Dataset) -> pd.DataFrame:
    """Read a CSV (UTF-8, optional BOM) of `dataset` and validate it; every cell is read as text
    so codes keep their digits."""
    path = Path(path)
    source = path.name
    if not path.is_file():
        raise DataError(source, "file_missing", detail={"path": str(path)})
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(source, "file_corrupt", detail={"reason": type(exc).__name__}) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    return parse_table(raw, dataset, source=source)


def validate_units(gdf: gpd.GeoDataFrame, *, source: str) -> gpd.GeoDataFrame:
    """Return a validated copy of a boundary layer in DISPLAY_CRS, or raise DataError.

    Checks columns, CRS (never guessed), codes, declared level and parent against the code,
    duplicates, empty geometries and that every parent exists. Rows are numbered from 1 (feature
    number).
    """
    _check_columns(gdf, schema.UNITS, source)
    if gdf.crs is None:
        raise DataError(source, "crs_missing")

    def row_of(index: int) -> int:
        return int(index) + 1

    frame = gdf.reset_index(drop=True)
    codes = _parse_codes(frame[CODE], source=source, column=CODE,
                         allowed=ALLOWED_LEVELS["units"], row_of=row_of)
    dupes = codes.duplicated()
    if dupes.any():
        first = int(dupes.idxmax())
        raise DataError(source, "key_duplicate", row=row_of(first), column=CODE, value=codes[first])
    levels = codes.map(code_level)
    declared = frame[LEVEL].astype("string").str.strip()
    bad = declared != levels
    if bad.any():
        first = int(bad.idxmax())
        raise DataError(source, "level_mismatch", row=row_of(first), column=LEVEL,
                        value=frame.at[first, LEVEL], detail={"expected": levels[first]})
    parents = codes.map(parent_code)
    declared_parent = frame[PARENT].map(lambda v: str(v).strip())
    bad = declared_parent != parents
    if bad.any():
        first = int(bad.idxmax())
        raise DataError(source, "parent_mismatch", row=row_of(first), column=PARENT,
                        value=frame.at[first, PARENT], detail={"expected": parents[first]})
    names = frame[NAME].astype("string").str.strip()
    if names.isna().any() or (names == "").any():
        first = int((names.isna() | (names == "")).idxmax())
        raise DataError(source, "value_missing", row=row_of(first), column=NAME)
    geoms = frame.geometry.values
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.any():
        first = int(empty.argmax())
        raise DataError(source, "geometry_empty", row=row_of(first), column=GEOMETRY, value=codes[first])
    kinds = shapely.get_type_id(geoms)
    not_polygon = ~pd.Series(kinds).isin([3, 6]).to_numpy()
    if not_polygon.any():
        first = int(not_polygon.argmax())
        raise DataError(source, "geometry_not_polygon", row=row_of(first), column=GEOMETRY,
                        value=codes[first])
    present = set(codes)
    orphan = (levels != "county") & ~parents.isin(present)
    if orphan.any():
        first = int(orphan.idxmax())
        raise DataError(source, "parent_unknown", row=row_of(first), column=PARENT, value=parents[first])
    out = gpd.GeoDataFrame(
        {CODE: codes, NAME: names, LEVEL: levels.astype("string"), PARENT: parents.astype("string")},
        geometry=shapely.make_valid(geoms), crs=gdf.crs,
    )
    return out.to_crs(schema.DISPLAY_CRS)


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


def _check_known(table: pd.DataFrame, column: str, known: set[str], source: str) -> None:
    unknown = ~table[column].isin(known)
    if unknown.any():
        first = int(unknown.idxmax())
        raise DataError(source, "code_unknown", row=_file_row(first), column=column,
                        value=table.at[first, column])


def _check_exit_years(table: pd.DataFrame, source: str) -> None:
    """A year row can only know exits up to its own year."""
    late = (table["actual_exit_year"] > table[YEAR]).fillna(False)
    if late.any():
        first = int(late.idxmax())
        raise DataError(source, "exit_after_asof", row=_file_row(first), column="actual_exit_year",
                        value=int(table.at[first, "actual_exit_year"]),
                        detail={"year": int(table.at[first, YEAR])})


def read_bundle(folder: str | os.PathLike) -> Bundle:
    """Read and cross-validate every dataset of a folder (codes must exist in the boundaries)."""
    folder = Path(folder)
    units = read_units(folder / schema.FILES["units"])
    units[NAME] = display_names(units[NAME])   # rare glyphs: geo/glyphs.py (files keep the original)
    known = set(units[CODE])
    tables = {}
    for kind in ("exit_status", "services", "sites"):
        name = schema.FILES[kind]
        table = read_table(folder / name, schema.DATASETS[kind])
        column = "township_code" if kind == "sites" else CODE
        _check_known(table, column, known, name)
        if kind == "exit_status":
            _check_exit_years(table, name)
        tables[kind] = table
    return Bundle(folder=str(folder), units=units, **tables)
