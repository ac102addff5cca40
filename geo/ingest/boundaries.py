"""Boundary and point layers from uploads (GeoJSON, zipped Shapefile, GeoPackage): encoding,
CRS (declared, or confirmed by the user from suggestions), codes, geometry checks and repair
with consent, placement in China and in the province the codes name.

Every function returns new frames (EPSG:4490, CGCS2000) and reports problems into a Report.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geo import schema, settings
from geo.codes import CodeError, code_level, normalize_code, parent_code
from geo.ingest import crs as crs_tools
from geo.ingest import gdalsafe
from geo.ingest.encoding import EncodingError, detect_dbf, pyogrio_name
from geo.ingest.files import Source, source_problem
from geo.ingest.report import Report
from geo.ingest.tables import HEADER_ALIASES, header_key
from geo.schema import CODE, GEOMETRY, LEVEL, NAME, PARENT

_POLYGONAL = {"Polygon", "MultiPolygon"}


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


def _province(codes: list[str]) -> str | None:
    counts = Counter(c[:2] for c in codes if c)
    return counts.most_common(1)[0][0] if counts else None


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
    report.add(layer.file, "crs_missing", hint="crs_choose", **where,
               detail={"candidates": [f"EPSG:{e}" for e in candidates]})
    return None


def _place(layer: Layer, geoms: np.ndarray, source_crs: CRS, province: str | None, report: Report) -> bool:
    where = {"sheet": layer.layer} if layer.layer else {}
    present = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if not len(present):
        return False
    placement = crs_tools.check_placement(tuple(shapely.total_bounds(present)), source_crs, province)
    if placement.rule:
        report.add(layer.file, placement.rule, column=GEOMETRY, value=crs_tools.epsg_label(source_crs),
                   detail=placement.detail, **where)
        return False
    return True


def check_units(layer: Layer, report: Report, *, crs: str | None = None,
                repair: bool = False) -> gpd.GeoDataFrame | None:
    """Units (code, name, level, parent_code, geometry) in EPSG:4490 from a boundary layer, or
    None when any error was reported. Level and parent are derived from the code.

    Invalid polygons are repaired only with `repair=True`, and each repair is reported with the
    area it changed; without consent they are errors."""
    where = {"sheet": layer.layer} if layer.layer else {}
    frame = layer.frame.reset_index(drop=True)
    errors_before = len(report.errors)
    code_col = _find_column(frame, CODE)
    name_col = _find_column(frame, NAME)
    for wanted, found in ((CODE, code_col), (NAME, name_col)):
        if found is None:
            report.add(layer.file, "column_missing", column=wanted, **where,
                       detail={"aliases": "、".join(HEADER_ALIASES[wanted][:4]),
                               "found": "、".join(str(c) for c in frame.columns if c != GEOMETRY)})
    if code_col is None or name_col is None:
        return None
    codes: list[str | None] = []
    for index, raw in enumerate(frame[code_col].tolist()):
        try:
            code = normalize_code(raw)
            code_level(code)
            codes.append(code)
        except CodeError as exc:
            report.add(layer.file, exc.rule, row=index + 1, column=code_col, value=raw, **where)
            codes.append(None)
    first_seen: dict[str, int] = {}
    for index, code in enumerate(codes):
        if code is None:
            continue
        if code in first_seen:
            report.add(layer.file, "key_duplicate", row=index + 1, column=code_col, value=code,
                       detail={"first_row": first_seen[code]}, **where)
        else:
            first_seen[code] = index + 1
    names = frame[name_col].astype("string").str.strip()
    for index in np.flatnonzero((names.isna() | (names == "")).to_numpy()):
        report.add(layer.file, "value_missing", row=int(index) + 1, column=name_col, **where)
    geoms = frame.geometry.values.copy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for index in np.flatnonzero(missing):
        report.add(layer.file, "geometry_empty", row=int(index) + 1, column=GEOMETRY,
                   value=codes[index], **where)
    types = np.array([g.geom_type if g is not None else "" for g in geoms], dtype=object)
    for index in np.flatnonzero(~missing & ~np.isin(types, list(_POLYGONAL))):
        report.add(layer.file, "geometry_not_polygon", row=int(index) + 1, column=GEOMETRY,
                   value=f"{codes[index]} ({types[index]})", **where)
    province = _province([c for c in codes if c])
    source_crs = resolve_crs(layer, report, chosen=crs, province=province)
    if source_crs is None:
        return None
    polygonal = ~missing & np.isin(types, list(_POLYGONAL))
    invalid = polygonal & ~shapely.is_valid(geoms)
    metric = _local_metric(geoms, source_crs)
    for index in np.flatnonzero(invalid):
        reason = shapely.is_valid_reason(geoms[index])
        if not repair:
            report.add(layer.file, "geometry_invalid", row=int(index) + 1, column=GEOMETRY,
                       value=codes[index], hint="geometry_repair", detail={"reason": reason}, **where)
            continue
        fixed = shapely.make_valid(geoms[index])
        parts = [p for p in shapely.get_parts(fixed) if p.geom_type in _POLYGONAL]
        fixed = shapely.union_all(parts) if parts else shapely.Polygon()
        before, after = (gpd.GeoSeries([geoms[index], fixed], crs=source_crs).to_crs(metric).area.tolist())
        # a bow-tie's signed-ring area can be ~0: report absolute change and the repaired area;
        # a repair that changes the area by more than the set share is refused (an error)
        share = abs(after - before) / max(before, after, 1e-9)
        limit = settings.get("repair_max_area_change")
        detail = {"reason": reason, "area_before_m2": round(before, 1), "area_after_m2": round(after, 1),
                  "change_m2": round(after - before, 1), "share": f"{share:.0%}", "limit": f"{limit:.0%}"}
        if share > limit:
            report.add(layer.file, "geometry_repair_too_large", row=int(index) + 1, column=GEOMETRY,
                       value=codes[index], detail=detail, **where)
            continue
        report.add(layer.file, "geometry_repaired", severity="warning", row=int(index) + 1, column=GEOMETRY,
                   value=codes[index], detail=detail, **where)
        geoms[index] = fixed
    _check_3d(layer, geoms, codes, report)
    if not _place(layer, geoms, source_crs, province, report):
        return None
    if len(report.errors) > errors_before:
        return None
    _check_overlaps(layer, geoms, codes, source_crs, metric, report)
    if len(report.errors) > errors_before:
        return None
    out = gpd.GeoDataFrame(
        {CODE: pd.Series(codes, dtype="string"), NAME: names,
         LEVEL: pd.Series([code_level(c) for c in codes], dtype="string"),
         PARENT: pd.Series([parent_code(c) for c in codes], dtype="string")},
        geometry=gpd.GeoSeries(geoms, crs=source_crs),
    )
    return out.to_crs(schema.STORAGE_CRS)


def _local_metric(geoms: np.ndarray, source_crs: CRS) -> CRS:
    """An equal-area CRS centred on the data (areas of repairs and overlaps, anywhere)."""
    present = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if not len(present):
        return CRS.from_epsg(6933)
    box = gpd.GeoSeries([shapely.box(*shapely.total_bounds(present))], crs=source_crs).to_crs(schema.STORAGE_CRS)
    centre = box.iloc[0].centroid
    return CRS.from_proj4(f"+proj=laea +lat_0={centre.y:.4f} +lon_0={centre.x:.4f} +ellps=GRS80 +units=m")


OVERLAP_SHARE = 0.01  # neighbours may overlap by digitising noise, not by more than 1 % of the smaller


def _check_3d(layer: Layer, geoms: np.ndarray, codes: list, report: Report) -> None:
    """Polygons with z coordinates are flattened to 2D (a note per layer, never silent)."""
    where = {"sheet": layer.layer} if layer.layer else {}
    has_z = shapely.has_z(geoms)
    if has_z.any():
        first = int(np.flatnonzero(has_z)[0])
        report.add(layer.file, "geometry_3d", severity="warning", row=first + 1, column=GEOMETRY,
                   value=codes[first], detail={"count": int(has_z.sum())}, **where)
        geoms[has_z] = shapely.force_2d(geoms[has_z])


def _check_overlaps(layer: Layer, geoms: np.ndarray, codes: list, source_crs: CRS, metric: CRS,
                    report: Report) -> None:
    """Units of one level must not overlap (beyond digitising noise): an error naming both."""
    where = {"sheet": layer.layer} if layer.layer else {}
    levels = [code_level(c) if c else None for c in codes]
    usable = np.array([g is not None and not shapely.is_empty(g) and shapely.is_valid(g) for g in geoms])
    pairs: set[tuple[int, int]] = set()
    for level in {lv for lv in levels if lv}:  # one level at a time: parents contain children
        index = np.flatnonzero(usable & np.array([lv == level for lv in levels]))
        shapes = geoms[index]
        tree = shapely.STRtree(shapes)
        # neighbours in a clean coverage only touch: look at interiors that overlap or contain
        for predicate in ("overlaps", "contains"):
            left, right = tree.query(shapes, predicate=predicate)
            pairs |= {(int(min(index[a], index[b])), int(max(index[a], index[b])))
                      for a, b in zip(left, right) if a != b}
    pairs = sorted(pairs)
    if not pairs:
        return
    series = gpd.GeoSeries(geoms, crs=source_crs).to_crs(metric)
    areas = series.area.to_numpy()
    for a, b in pairs:
        shared = shapely.area(shapely.intersection(series.iloc[a], series.iloc[b]))
        if shared > OVERLAP_SHARE * min(areas[a], areas[b]):
            report.add(layer.file, "geometry_overlap", row=int(b) + 1, column=GEOMETRY, value=codes[b],
                       detail={"other": codes[a], "other_row": int(a) + 1, "area_m2": round(float(shared), 1)},
                       **where)


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
    source_crs = resolve_crs(layer, report, chosen=crs, province=_province(codes))
    if source_crs is None or len(report.errors) > errors_before:
        return None
    points = gpd.GeoSeries(geoms, crs=source_crs).to_crs(schema.STORAGE_CRS)
    text = frame.drop(columns=GEOMETRY).astype(object).where(frame.drop(columns=GEOMETRY).notna(), "")
    text = text.map(lambda v: "" if v is None else str(v))
    text["lon"] = [repr(round(p.x, 7)) if p is not None and not p.is_empty else "" for p in points]
    text["lat"] = [repr(round(p.y, 7)) if p is not None and not p.is_empty else "" for p in points]
    text.index = pd.RangeIndex(1, len(text) + 1, name="row")
    return text


def township_of_points(lon: pd.Series, lat: pd.Series, units: gpd.GeoDataFrame | None) -> pd.Series:
    """Code of the township polygon holding each (lon, lat) point (EPSG:4490), NA where none does."""
    out = pd.Series(pd.NA, index=lon.index, dtype="string")
    if units is None:
        return out
    towns = units.loc[units[LEVEL] == "township"].to_crs(schema.STORAGE_CRS)
    usable = lon.notna() & lat.notna()
    if not usable.any() or towns.empty:
        return out
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon[usable].astype(float), lat[usable].astype(float)),
                              index=lon.index[usable], crs=schema.STORAGE_CRS)
    found = gpd.sjoin(points, towns[[CODE, "geometry"]], how="left", predicate="within")
    found = found.loc[~found.index.duplicated(keep="first"), CODE]
    out.loc[found.index] = found.astype("string")
    return out


def check_site_locations(file: str, sites: pd.DataFrame, units: gpd.GeoDataFrame | None,
                         report: Report, *, written: dict[str, str], sheet: str | None = None,
                         repair: bool = False) -> pd.DataFrame:
    """Sites (typed, index = row) must not sit at (0,0), must lie in China and their province
    (else: swapped lon/lat?), and should lie inside their township (warning). Swapped lon/lat is
    repaired with consent (`repair`), else an error offering the repair; a row without
    coordinates is kept and listed. Returns a new frame (repairs applied)."""
    sites = sites.copy()
    col = written.get("lon", "lon")
    towns = None
    if units is not None:
        towns = units.loc[units[LEVEL] == "township"].to_crs(schema.STORAGE_CRS).set_index(CODE).geometry
    for row, lon, lat, town in zip(sites.index, sites["lon"], sites["lat"], sites["township_code"]):
        if pd.isna(lon) or pd.isna(lat):
            report.add(file, "point_missing", severity="warning", row=int(row), column=col, sheet=sheet)
            continue
        lon, lat = float(lon), float(lat)
        value = f"{lon}, {lat}"
        if lon == 0 and lat == 0:
            report.add(file, "point_zero", row=int(row), column=col, value=value, sheet=sheet)
            continue
        box = crs_tools.target_box(None if pd.isna(town) else str(town)[:2])
        inside = box[0] <= lon <= box[2] and box[1] <= lat <= box[3]
        if not inside:
            swapped = box[0] <= lat <= box[2] and box[1] <= lon <= box[3]
            if swapped and repair:
                sites.loc[row, ["lon", "lat"]] = [lat, lon]
                report.add(file, "lon_lat_repaired", severity="warning", row=int(row), column=col,
                           value=value, sheet=sheet)
                lon, lat = lat, lon
            else:
                report.add(file, "lon_lat_swapped" if swapped else "outside_province", row=int(row),
                           column=col, value=value, hint="lon_lat_repair" if swapped else None, sheet=sheet)
                continue
        if towns is not None and not pd.isna(town) and town in towns.index:
            if not towns[town].buffer(0.0005).contains(shapely.Point(lon, lat)):  # ~50 m slack
                report.add(file, "point_outside_township", severity="warning", row=int(row),
                           column=col, value=f"{lon}, {lat}", detail={"township": str(town)}, sheet=sheet)
    return sites
