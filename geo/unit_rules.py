"""The portal's one set of rules for boundary units (code form and level, duplicates, declared
level and parent against the code, names, geometry type / empty / invalid / 3D, CRS declared,
parent present one level up, placement and overlaps). The same functions run when a delivery is
imported (`geo.ingest.boundaries`, the Report collects every problem) and when a published
dataset is read (`geo.read.validate_units`, the Report in fail-first mode raises DataError at the
first error), with the located-problem type of `geo.problems`.

Two rules run only at import (`thorough=True`), where files enter the portal: placement (the
data lie in China and in the province their codes name; a wrong Gauss-Kruger zone or axis order
of the delivered CRS is diagnosed) and overlaps between units of one level. Overlaps cost
geometry predicates over every neighbour pair (about 0.6 s on the demo's 3,218 units, seconds
for a province) and a stored dataset is CGCS2000 by construction; both were checked when it was
published. Rows are 1-based feature numbers; columns are named as written in the file.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo import schema, settings
from geo.codes import CodeError, code_level, normalize_code, parent_code
from geo.ingest import crs as crs_tools
from geo.problems import Report
from geo.rules import ALLOWED_LEVELS
from geo.schema import CODE, GEOMETRY, LEVEL, NAME, PARENT

POLYGONAL = ("Polygon", "MultiPolygon")
OVERLAP_SHARE = 0.01  # neighbours may overlap by digitising noise, not by more than 1 % of the smaller
# declared levels as agencies write them (a file may carry its own level column)
LEVEL_WORDS = {"county": "county", "township": "township", "village": "village", "县": "county",
               "县级": "county", "区县": "county", "乡镇": "township", "乡": "township", "镇": "township",
               "街道": "township", "乡级": "township", "村": "village", "村级": "village", "社区": "village"}

Locate = Callable[[int], tuple[str, "str | None", "int | None", "str | None"]]


def crs_missing(report: Report, file: str, *, sheet: str | None = None,
                candidates: list[str] | None = None) -> None:
    """The layer declares no CRS: never guessed (`candidates`: EPSG labels the user may confirm)."""
    if candidates is None:
        report.add(file, "crs_missing", sheet=sheet)
    else:
        report.add(file, "crs_missing", sheet=sheet, hint="crs_choose", detail={"candidates": candidates})


def province_of(codes: list[str | None]) -> str | None:
    """The province (first two digits) most codes name, None without codes."""
    counts = Counter(c[:2] for c in codes if c)
    return counts.most_common(1)[0][0] if counts else None


def code_rules(values: list, report: Report, *, file: str, sheet: str | None, column: str) -> list[str | None]:
    """Canonical codes (None where unusable): form (code_*), a level units may have, duplicates
    (the later row, naming the first)."""
    allowed = ALLOWED_LEVELS["units"]
    codes: list[str | None] = []
    first_seen: dict[str, int] = {}
    for index, raw in enumerate(values):
        try:
            code = normalize_code(raw)
            level = code_level(code)
        except CodeError as exc:
            report.add(file, exc.rule, sheet=sheet, row=index + 1, column=column, value=raw)
            codes.append(None)
            continue
        if level not in allowed:
            report.add(file, "code_wrong_level", sheet=sheet, row=index + 1, column=column, value=raw,
                       detail={"level": level, "allowed": list(allowed)})
            codes.append(None)
            continue
        codes.append(code)
    for index, code in enumerate(codes):
        if code is None:
            continue
        if code in first_seen:
            report.add(file, "key_duplicate", sheet=sheet, row=index + 1, column=column, value=code,
                       detail={"first_row": first_seen[code]})
        else:
            first_seen[code] = index + 1
    return codes


def declared_rules(frame: pd.DataFrame, codes: list[str | None], report: Report, *, file: str,
                   sheet: str | None, columns: Mapping[str, str]) -> None:
    """A level or parent the file declares must be the one its code says (checked only when the
    file has such a column: both are derived from the code)."""
    level_col, parent_col = columns.get(LEVEL), columns.get(PARENT)
    if level_col is not None:
        for index, (raw, code) in enumerate(zip(frame[level_col].tolist(), codes)):
            if code is None:
                continue
            text = "" if raw is None or pd.isna(raw) else str(raw).strip()
            if LEVEL_WORDS.get(text, text) != code_level(code):
                report.add(file, "level_mismatch", sheet=sheet, row=index + 1, column=level_col, value=raw,
                           detail={"expected": code_level(code)})
    if parent_col is not None:
        for index, (raw, code) in enumerate(zip(frame[parent_col].tolist(), codes)):
            if code is None:
                continue
            try:
                declared = normalize_code(raw)
            except CodeError:
                declared = None
            if declared != parent_code(code):
                report.add(file, "parent_mismatch", sheet=sheet, row=index + 1, column=parent_col, value=raw,
                           detail={"expected": parent_code(code)})


def name_rules(values: pd.Series, report: Report, *, file: str, sheet: str | None, column: str) -> pd.Series:
    """Names stripped; an empty name is an error."""
    names = values.astype("string").str.strip()
    for index in np.flatnonzero((names.isna() | (names == "")).to_numpy()):
        report.add(file, "value_missing", sheet=sheet, row=int(index) + 1, column=column)
    return names.reset_index(drop=True)


def shape_rules(geoms: np.ndarray, codes: list[str | None], report: Report, *, file: str,
                sheet: str | None) -> np.ndarray:
    """Every unit has a polygon: empty / missing and non-polygonal geometries are errors.
    Returns the mask of polygonal geometries."""
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for index in np.flatnonzero(missing):
        report.add(file, "geometry_empty", sheet=sheet, row=int(index) + 1, column=GEOMETRY, value=codes[index])
    types = shapely.get_type_id(geoms)
    polygonal = ~missing & np.isin(types, (3, 6))
    for index in np.flatnonzero(~missing & ~polygonal):
        report.add(file, "geometry_not_polygon", sheet=sheet, row=int(index) + 1, column=GEOMETRY,
                   value=f"{codes[index]} ({geoms[index].geom_type})")
    return polygonal


def flat_rule(geoms: np.ndarray, codes: list[str | None], report: Report, *, file: str,
              sheet: str | None) -> np.ndarray:
    """Polygons with z coordinates are flattened to 2D (a warning per layer, never silent).
    Returns the (possibly new) geometry array."""
    has_z = shapely.has_z(geoms)
    if not has_z.any():
        return geoms
    first = int(np.flatnonzero(has_z)[0])
    report.add(file, "geometry_3d", severity="warning", sheet=sheet, row=first + 1, column=GEOMETRY,
               value=codes[first], detail={"count": int(has_z.sum())})
    geoms = geoms.copy()
    geoms[has_z] = shapely.force_2d(geoms[has_z])
    return geoms


def local_metric(geoms: np.ndarray, source_crs: CRS) -> CRS:
    """An equal-area CRS centred on the data (areas of repairs and overlaps, anywhere)."""
    present = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if not len(present):
        return CRS.from_epsg(6933)
    box = gpd.GeoSeries([shapely.box(*shapely.total_bounds(present))], crs=source_crs).to_crs(schema.STORAGE_CRS)
    centre = box.iloc[0].centroid
    return CRS.from_proj4(f"+proj=laea +lat_0={centre.y:.4f} +lon_0={centre.x:.4f} +ellps=GRS80 +units=m")


def validity_rule(geoms: np.ndarray, polygonal: np.ndarray, codes: list[str | None], report: Report, *,
                  file: str, sheet: str | None, source_crs: CRS, repair: bool) -> np.ndarray:
    """An invalid polygon is an error; with consent (`repair`) it is repaired and the area it
    changed reported (a repair that changes the area by more than `repair_max_area_change` is
    refused). Returns the (possibly new) geometry array."""
    invalid = polygonal & ~shapely.is_valid(geoms)
    if not invalid.any():
        return geoms
    geoms = geoms.copy()
    metric = local_metric(geoms, source_crs) if repair else None
    for index in np.flatnonzero(invalid):
        reason = shapely.is_valid_reason(geoms[index])
        where = {"sheet": sheet, "row": int(index) + 1, "column": GEOMETRY, "value": codes[index]}
        if not repair:
            report.add(file, "geometry_invalid", hint="geometry_repair", detail={"reason": reason}, **where)
            continue
        fixed = shapely.make_valid(geoms[index])
        parts = [p for p in shapely.get_parts(fixed) if p.geom_type in POLYGONAL]
        fixed = shapely.union_all(parts) if parts else shapely.Polygon()
        before, after = gpd.GeoSeries([geoms[index], fixed], crs=source_crs).to_crs(metric).area.tolist()
        # a bow-tie's signed-ring area can be ~0: report absolute change and the repaired area;
        # a repair that changes the area by more than the set share is refused (an error)
        share = abs(after - before) / max(before, after, 1e-9)
        limit = settings.get("repair_max_area_change")
        detail = {"reason": reason, "area_before_m2": round(before, 1), "area_after_m2": round(after, 1),
                  "change_m2": round(after - before, 1), "share": f"{share:.0%}", "limit": f"{limit:.0%}"}
        if share > limit:
            report.add(file, "geometry_repair_too_large", detail=detail, **where)
            continue
        report.add(file, "geometry_repaired", severity="warning", detail=detail, **where)
        geoms[index] = fixed
    return geoms


def placement_rule(geoms: np.ndarray, codes: list[str | None], source_crs: CRS, report: Report, *,
                   file: str, sheet: str | None) -> bool:
    """The units lie in China and in the province their codes name (import only; a wrong zone or
    axis order of the CRS is named). False when a problem was reported."""
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not present.any():
        return False
    placement = crs_tools.check_placement(tuple(shapely.total_bounds(geoms[present])), source_crs,
                                          province_of(codes))
    if placement.rule:
        report.add(file, placement.rule, sheet=sheet, column=GEOMETRY, value=crs_tools.epsg_label(source_crs),
                   detail=placement.detail)
        return False
    return True


def overlap_rule(geoms: np.ndarray, codes: list[str | None], source_crs: CRS, report: Report, *,
                 file: str, sheet: str | None) -> None:
    """Units of one level must not overlap (beyond digitising noise): an error naming both
    (import only, see the module docstring)."""
    levels = [code_level(c) if c else None for c in codes]
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) & shapely.is_valid(geoms)
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
    if not pairs:
        return
    series = gpd.GeoSeries(geoms, crs=source_crs).to_crs(local_metric(geoms, source_crs))
    areas = series.area.to_numpy()
    for a, b in sorted(pairs):
        shared = shapely.area(shapely.intersection(series.iloc[a], series.iloc[b]))
        if shared > OVERLAP_SHARE * min(areas[a], areas[b]):
            report.add(file, "geometry_overlap", sheet=sheet, row=int(b) + 1, column=GEOMETRY, value=codes[b],
                       detail={"other": codes[a], "other_row": int(a) + 1, "area_m2": round(float(shared), 1)})


def parent_rule(units: pd.DataFrame, report: Report, locate: Locate) -> None:
    """Every township's and village's parent (the unit one level up, from its code) is among
    `units`; counties hang below the prefecture, which has no boundary. `locate(position)` gives
    (file, sheet, row, column) of a unit as the user delivered it."""
    present = set(units[CODE])
    orphan = (units[LEVEL] != "county").to_numpy() & ~units[PARENT].isin(present).to_numpy()
    for index in np.flatnonzero(orphan):
        file, sheet, row, column = locate(int(index))
        report.add(file, "parent_unknown", sheet=sheet, row=row, column=column, value=units[PARENT].iloc[index],
                   detail={"code": units[CODE].iloc[index]})


def check_units(frame: gpd.GeoDataFrame, report: Report, *, file: str, sheet: str | None = None,
                columns: Mapping[str, str] | None = None, crs: CRS | None, repair: bool = False,
                thorough: bool = False, parents: bool = False) -> gpd.GeoDataFrame | None:
    """Units (code, name, level, parent_code, geometry in `crs`) from a boundary layer, or None
    when an error was reported (the caller reports a missing `crs`: how one is found depends on
    the format). `columns` maps CODE, NAME and optionally LEVEL / PARENT to the columns as
    written; level and parent are derived from the code. `repair`: consent to repair invalid
    polygons; `thorough`: also placement and overlaps (import); `parents`: also the parent rule
    (a single-file dataset; an import checks it across all its files). Never mutates `frame`."""
    columns = dict(columns or {CODE: CODE, NAME: NAME})
    frame = frame.reset_index(drop=True)
    errors_before = len(report.errors)
    codes = code_rules(frame[columns[CODE]].tolist(), report, file=file, sheet=sheet, column=columns[CODE])
    declared_rules(frame, codes, report, file=file, sheet=sheet, columns=columns)
    names = name_rules(frame[columns[NAME]], report, file=file, sheet=sheet, column=columns[NAME])
    geoms = np.asarray(frame.geometry.values, dtype=object)
    polygonal = shape_rules(geoms, codes, report, file=file, sheet=sheet)
    if crs is None:
        return None
    geoms = flat_rule(geoms, codes, report, file=file, sheet=sheet)
    geoms = validity_rule(geoms, polygonal, codes, report, file=file, sheet=sheet, source_crs=crs, repair=repair)
    if thorough:
        if not placement_rule(geoms, codes, crs, report, file=file, sheet=sheet):
            return None
        if len(report.errors) > errors_before:
            return None
        overlap_rule(geoms, codes, crs, report, file=file, sheet=sheet)
    if len(report.errors) > errors_before:
        return None
    out = gpd.GeoDataFrame(
        {CODE: pd.Series(codes, dtype="string"), NAME: names,
         LEVEL: pd.Series([code_level(c) for c in codes], dtype="string"),
         PARENT: pd.Series([parent_code(c) for c in codes], dtype="string")},
        geometry=gpd.GeoSeries(geoms, crs=crs),
    )
    if parents:
        parent_col = columns.get(PARENT, columns[CODE])
        parent_rule(out, report, lambda i: (file, sheet, i + 1, parent_col))
        if len(report.errors) > errors_before:
            return None
    return out
