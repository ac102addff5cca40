"""Boundary and point layers from uploads (GeoJSON, zipped Shapefile, GeoPackage): encoding,
CRS (declared, or confirmed by the user from suggestions) and the columns by their usual
headers; the units are then checked by the portal's one rule set for boundaries
(`geo.unit_rules`: codes, geometry, repair with consent, placement, overlaps), the one a
published dataset is read with. Site points become a text table for `geo.site_rules`.

Every function returns new frames (EPSG:4490, CGCS2000) and reports problems into a Report.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geo import schema, settings, unit_rules
from geo.codes import CodeError, normalize_code
from geo.ingest import crs as crs_tools
from geo.ingest import gdalsafe
from geo.ingest.encoding import EncodingError, detect_dbf, pyogrio_name
from geo.ingest.files import Source, source_problem
from geo.ingest.report import Report
from geo.ingest.tables import HEADER_ALIASES, header_key
from geo.schema import CODE, GEOMETRY, LEVEL, NAME, PARENT


@dataclass
class Layer:
    """A vector layer read from a Source, before checks; `crs` None when the file declares none."""

    file: str
    layer: str | None
    frame: gpd.GeoDataFrame
    encoding: str | None = None


def layer_names(source: Source) -> list[str]:
    """Layers a user may pick from (GeoPackage: its feature layers that are plain tables; views
    and virtual tables are never offered; other formats: none)."""
    if source.driver != "GPKG":
        return []
    try:
        return gdalsafe.inspect_gpkg(source.path).tables
    except gdalsafe.GpkgRefused:
        return []


def _gpkg_layer(source: Source, report: Report, layer: str | None) -> tuple[bool, str | None]:
    """(readable, layer to read) for a GeoPackage: only a feature layer that is a plain table."""
    where = {"sheet": layer} if layer else {}
    try:
        layers = gdalsafe.inspect_gpkg(source.path)
    except gdalsafe.GpkgRefused as refused:
        report.add(source.name, refused.rule, value=refused.value,
                   detail={"expected": "GeoPackage", "seconds": gdalsafe.INSPECT_SECONDS}, **where)
        return False, None
    refused = [*layers.views, *layers.other]
    if layer is None:
        if not layers.tables:
            report.add(source.name, "gpkg_layer_not_table", value="、".join(refused) or None)
            return False, None
        if refused:
            report.add(source.name, "gpkg_layer_not_table", severity="warning", value="、".join(refused))
        return True, layers.tables[0]
    if layer in layers.tables:
        return True, layer
    report.add(source.name, "gpkg_layer_not_table" if layer in refused else "layer_unknown",
               value=layer, **where)
    return False, None


def _vertex_limit(layer: Layer, report: Report) -> bool:
    """Every feature within `max_feature_vertices` coordinates (located by feature number)."""
    limit = settings.get("max_feature_vertices")
    counts = shapely.get_num_coordinates(layer.frame.geometry.values)
    over = np.flatnonzero(counts > limit)
    for index in over[:20]:
        report.add(layer.file, "feature_too_many_vertices", row=int(index) + 1, column=GEOMETRY,
                   value=int(counts[index]), detail={"limit": limit},
                   **({"sheet": layer.layer} if layer.layer else {}))
    return not len(over)


def read_layer(source: Source, report: Report, *, layer: str | None = None) -> Layer | None:
    """Read one layer with pyogrio, through the allowed drivers only, after the content of every
    member was checked (GeoPackage: only plain-table layers). Shapefile text is decoded in the
    detected encoding (the .cpg is checked, not trusted); the choice is reported."""
    where = {"sheet": layer} if layer else {}
    gdalsafe.restrict_drivers()
    bad = source_problem(source)
    if bad:
        member = source.name.rsplit(".", 1)[0] + bad[0]   # e.g. 边界/村界.shx, as written
        report.add(source.name, bad[1], value=member, detail=bad[2], **where)
        return None
    if source.driver not in gdalsafe.ALLOWED_DRIVERS:
        report.add(source.name, "file_type_unsupported", value=source.driver, **where)
        return None
    if source.driver == "GPKG":
        readable, layer = _gpkg_layer(source, report, layer)
        if not readable:
            return None
        where = {"sheet": layer} if layer else {}
    encoding = None
    if source.driver == "ESRI Shapefile":
        try:
            decision = detect_dbf(source.path)
        except EncodingError as exc:
            report.add(source.name, "encoding_unknown", value=str(exc) or None, **where)
            return None
        encoding = decision.encoding
        if decision.overruled:
            report.add(source.name, "cpg_wrong", severity="warning", value=decision.declared,
                       detail={"encoding": encoding}, **where)
        report.add(source.name, "encoding_chosen", severity="info", value=encoding, **where)
    try:
        frame = pyogrio.read_dataframe(source.path, layer=layer,
                                       encoding=pyogrio_name(encoding) if encoding else None,
                                       on_invalid="ignore")
    except MemoryError:  # the sandbox's memory limit, not a corrupt file
        raise
    except Exception:  # corrupt or unreadable: GDAL raises several types
        report.add(source.name, "file_corrupt", **where)
        return None
    if not _vertex_limit(Layer(source.name, layer, frame), report):
        return None
    for column in frame.columns:
        if frame[column].dtype == object or str(frame[column].dtype).startswith(("string", "str")):
            bad = frame[column].astype("string").str.contains("\ufffd", regex=False).fillna(False)
            for index in np.flatnonzero(bad.to_numpy()):
                report.add(source.name, "encoding_lossy", row=int(index) + 1, column=str(column),
                           value=frame[column].iloc[index], **where)
    return Layer(source.name, layer, frame, encoding)


def _find_column(frame: pd.DataFrame, name: str) -> str | None:
    wanted = {header_key(a) for a in (name, *HEADER_ALIASES.get(name, ()))}
    return next((c for c in frame.columns if c != GEOMETRY and header_key(c) in wanted), None)


def resolve_crs(layer: Layer, report: Report, *, chosen: str | None, province: str | None) -> CRS | None:
    """The layer's declared CRS; else the user's confirmed choice; else an error listing
    candidates from the coordinate ranges (never guessed)."""
    where = {"sheet": layer.layer} if layer.layer else {}
    if layer.frame.crs is not None:
        return CRS.from_user_input(layer.frame.crs)
    geoms = layer.frame.geometry.values
    present = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    bounds = tuple(shapely.total_bounds(present)) if len(present) else (0.0, 0.0, 0.0, 0.0)
    candidates = crs_tools.suggest(bounds, province)
    if chosen:
        try:
            return crs_tools.parse_crs(chosen)
        except ValueError:
            report.add(layer.file, "crs_unknown", value=chosen, **where)
            return None
    unit_rules.crs_missing(report, layer.file, sheet=layer.layer,
                           candidates=[f"EPSG:{e}" for e in candidates])
    return None


def check_units(layer: Layer, report: Report, *, crs: str | None = None,
                repair: bool = False) -> gpd.GeoDataFrame | None:
    """Units (code, name, level, parent_code, geometry) in EPSG:4490 from a boundary layer, or
    None when any error was reported: the columns found by their usual headers, the CRS declared
    or confirmed, then the units rules of `geo.unit_rules` (the ones a published dataset is read
    with) including placement and overlaps. Invalid polygons are repaired only with `repair`."""
    frame = layer.frame.reset_index(drop=True)
    columns = unit_columns(frame)
    for wanted in (CODE, NAME):
        if wanted not in columns:
            report.add(layer.file, "column_missing", sheet=layer.layer, column=wanted,
                       detail={"aliases": "、".join(HEADER_ALIASES[wanted][:4]),
                               "found": "、".join(str(c) for c in frame.columns if c != GEOMETRY)})
    if CODE not in columns or NAME not in columns:
        return None
    codes = []
    for raw in frame[columns[CODE]].tolist():
        try:
            codes.append(normalize_code(raw))
        except CodeError:
            pass
    errors_before = len(report.errors)
    crs_report = Report()  # listed after the attribute problems, as a user reads the file
    source_crs = resolve_crs(layer, crs_report, chosen=crs, province=unit_rules.province_of(codes))
    units = unit_rules.check_units(frame, report, file=layer.file, sheet=layer.layer, columns=columns,
                                   crs=source_crs, repair=repair, thorough=True)
    report.extend(crs_report.problems)
    if units is None or len(report.errors) > errors_before:
        return None
    return units.to_crs(schema.STORAGE_CRS)


def unit_columns(frame: pd.DataFrame) -> dict[str, str]:
    """Schema name -> column as written: code and name by their usual headers; a level or parent
    column only under its schema name (a file's own level words are checked, not trusted)."""
    found = {name: _find_column(frame, name) for name in (CODE, NAME)}
    found.update({name: name for name in (LEVEL, PARENT) if name in frame.columns})
    return {name: column for name, column in found.items() if column is not None}


def site_points(layer: Layer, report: Report, *, crs: str | None = None) -> pd.DataFrame | None:
    """A text table of sites from a point layer: attribute columns as written plus lon/lat from
    the geometry in EPSG:4490 (index = feature number). None when any error was reported."""
    where = {"sheet": layer.layer} if layer.layer else {}
    frame = layer.frame.reset_index(drop=True)
    geoms = frame.geometry.values
    errors_before = len(report.errors)
    types = np.array([g.geom_type if g is not None else "" for g in geoms], dtype=object)
    for index in np.flatnonzero(~np.isin(types, ["Point", ""])):
        report.add(layer.file, "geometry_not_point", row=int(index) + 1, column=GEOMETRY,
                   value=types[index], **where)
    code_col = _find_column(frame, "township_code")
    codes = []
    for raw in (frame[code_col].tolist() if code_col else []):
        try:
            codes.append(normalize_code(raw))
        except CodeError:
            pass
    source_crs = resolve_crs(layer, report, chosen=crs, province=unit_rules.province_of(codes))
    if source_crs is None or len(report.errors) > errors_before:
        return None
    points = gpd.GeoSeries(geoms, crs=source_crs).to_crs(schema.STORAGE_CRS)
    text = frame.drop(columns=GEOMETRY).astype(object).where(frame.drop(columns=GEOMETRY).notna(), "")
    text = text.map(lambda v: "" if v is None else str(v))
    text["lon"] = [repr(round(p.x, 7)) if p is not None and not p.is_empty else "" for p in points]
    text["lat"] = [repr(round(p.y, 7)) if p is not None and not p.is_empty else "" for p in points]
    text.index = pd.RangeIndex(1, len(text) + 1, name="row")
    return text
