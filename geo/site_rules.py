"""The portal's one set of rules for relocation sites (安置点): coordinates (missing, (0, 0),
swapped longitude/latitude, outside the province the township code names, outside the claimed
township), counts (negative, moved-in above planned) and stage (moved in before completion).

The same function runs when a site list is imported (`geo.ingest.pipeline`: problems into the
import's Report; swapped lon/lat is repaired only with consent) and for the 易地搬迁 page's
data-quality list (`geo.sites.site_quality`), so both name the same rule, row and column. A rule's
severity is its own: errors (a point that cannot be placed: (0, 0), swapped, outside the province)
stop an import; warnings are published and listed. A site is drawn only when its point is usable.

Coordinates are CGCS2000 (EPSG:4490) lon/lat. The province box is generous (geo.ingest.crs), so a
swap is told apart without doubt: no Chinese latitude is a Chinese longitude.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema
from geo.ingest import crs as crs_tools
from geo.problems import Report
from geo.schema import CODE, LEVEL

COUNTS = ("planned_households", "moved_households", "planned_persons", "moved_persons", "jobs_found")
MOVED_PLANNED = (("moved_households", "planned_households"), ("moved_persons", "planned_persons"))
TOWNSHIP_SLACK_DEG = 0.0005  # ~50 m: a site on its township's border is inside


@dataclass(frozen=True)
class Checked:
    """Sites after the rules: `sites` with consented repairs applied, `drawable` per row."""

    sites: pd.DataFrame
    drawable: pd.Series


def _numbers(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()


def towns_of(units: gpd.GeoDataFrame | None) -> gpd.GeoSeries | None:
    """Township polygons by code in EPSG:4490 (None without boundaries)."""
    if units is None:
        return None
    towns = units.loc[units[LEVEL] == "township"]
    if towns.crs is not None and towns.crs.to_epsg() != 4490:
        towns = towns.to_crs(schema.STORAGE_CRS)
    return towns.set_index(CODE).geometry


def township_of_points(lon: pd.Series, lat: pd.Series, units: gpd.GeoDataFrame | None) -> pd.Series:
    """Code of the township polygon holding each (lon, lat) point (EPSG:4490), NA where none does."""
    out = pd.Series(pd.NA, index=lon.index, dtype="string")
    towns = towns_of(units)
    usable = lon.notna() & lat.notna()
    if towns is None or towns.empty or not usable.any():
        return out
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon[usable].astype(float), lat[usable].astype(float)),
                              index=lon.index[usable], crs=schema.STORAGE_CRS)
    shapes = gpd.GeoDataFrame({CODE: towns.index}, geometry=towns.to_numpy(), crs=schema.STORAGE_CRS)
    found = gpd.sjoin(points, shapes, how="left", predicate="within")
    found = found.loc[~found.index.duplicated(keep="first"), CODE]
    out.loc[found.index] = found.astype("string")
    return out


def check_sites(sites: pd.DataFrame, units: gpd.GeoDataFrame | None, report: Report, *, file: str,
                sheet: str | None = None, written: dict[str, str] | None = None,
                repair: bool = False) -> Checked:
    """Apply the site rules to typed `sites` (index = row as the user numbers it), reporting into
    `report` row by row with columns as written (`written`: schema name -> header). Swapped
    lon/lat is repaired with consent (`repair`: a warning) else an error offering the repair.
    Returns a new frame and the drawable mask; `sites` is unchanged."""
    written = written or {}
    col = {name: written.get(name, name) for name in schema.SITES.names}
    out = sites.copy()
    lon, lat = _numbers(out["lon"]), _numbers(out["lat"])
    codes = out["township_code"].astype("string").tolist()
    numbers = {c: _numbers(out[c]) if c in out else np.full(len(out), np.nan) for c in COUNTS}
    stages = out["stage"].astype(object).tolist() if "stage" in out else [None] * len(out)
    towns = towns_of(units)
    drawable = np.zeros(len(out), dtype=bool)
    for position, row in enumerate(out.index):
        where = {"file": file, "sheet": sheet, "row": int(row)}
        point = _point_rules(lon[position], lat[position], codes[position], towns, report, where, col, repair)
        if point is not None:
            drawable[position] = True
            if (point[0], point[1]) != (lon[position], lat[position]):
                out.loc[row, ["lon", "lat"]] = list(point)
        _count_rules({c: v[position] for c, v in numbers.items()}, stages[position], report, where, col)
    return Checked(out, pd.Series(drawable, index=out.index))


def _point_rules(x: float, y: float, town: object, towns: gpd.GeoSeries | None, report: Report,
                 where: dict, col: dict[str, str], repair: bool) -> tuple[float, float] | None:
    """The usable (lon, lat) of one site (swapped back with consent), None when it cannot be placed."""
    point_col = f"{col['lon']}/{col['lat']}"
    file = where["file"]
    where = {k: v for k, v in where.items() if k != "file"}
    if np.isnan(x) or np.isnan(y):
        missing = [c for c, v in ((col["lon"], x), (col["lat"], y)) if np.isnan(v)]
        report.add(file, "point_missing", severity="warning", column="/".join(missing), **where)
        return None
    value = f"{x}, {y}"
    if x == 0 and y == 0:
        report.add(file, "point_zero", column=point_col, value=value, **where)
        return None
    town = None if town is None or pd.isna(town) else str(town)
    box = crs_tools.target_box(town[:2] if town else None)
    if not (box[0] <= x <= box[2] and box[1] <= y <= box[3]):
        if not (box[0] <= y <= box[2] and box[1] <= x <= box[3]):
            report.add(file, "outside_province", column=point_col, value=value, **where)
            return None
        if not repair:
            report.add(file, "lon_lat_swapped", column=point_col, value=value, hint="lon_lat_repair", **where)
            return None
        report.add(file, "lon_lat_repaired", severity="warning", column=point_col, value=value, **where)
        x, y = y, x
    known = towns is not None and town is not None and town in towns.index
    if known and not shapely.dwithin(towns[town], shapely.Point(x, y), TOWNSHIP_SLACK_DEG):
        report.add(file, "point_outside_township", severity="warning", column=point_col,
                   value=f"{x}, {y}", detail={"township": town}, **where)
    return x, y


def _count_rules(numbers: dict[str, float], stage: object, report: Report, where: dict,
                 col: dict[str, str]) -> None:
    """Negative counts; moved-in above planned; households moved in before completion (warnings:
    the row is published and listed, the KPIs leave negative counts out)."""
    file = where["file"]
    where = {k: v for k, v in where.items() if k != "file"}
    for column in COUNTS:
        if numbers[column] < 0:
            report.add(file, "count_negative", severity="warning", column=col[column],
                       value=int(numbers[column]), **where)
    for moved, planned in MOVED_PLANNED:
        m, p = numbers[moved], numbers[planned]
        if m > p >= 0:
            report.add(file, "moved_exceeds_planned", severity="warning", column=col[moved],
                       value=f"{int(m)} > {int(p)}", detail={"planned": col[planned]}, **where)
    stage = stage if isinstance(stage, str) else None  # a site list may carry no stage
    if stage in ("not_started", "building") and numbers["moved_households"] > 0:
        report.add(file, "stage_inconsistent", severity="warning", column=col["stage"], value=stage, **where)
