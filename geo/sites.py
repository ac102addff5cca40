"""Relocation sites (易地扶贫搬迁集中安置点): data-quality checks, per-site figures, geodesic
accessibility, filters and headline figures.

Site coordinates are CGCS2000 (EPSG:4490) longitude/latitude; the boundaries leave geo/ in
EPSG:4326. The two datums differ by centimetres, far below anything shown, so points are used
as given. Distances are geodesic on GRS80 (CGCS2000's ellipsoid), never planar degrees.

Bad rows are kept: `site_quality` lists every problem with the site and the field, by the rules
of `geo.site_rules` (the import's); a site whose point cannot be placed (missing, (0, 0), swapped,
outside its province) stays in every table but is not drawn.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod
from scipy.spatial import cKDTree

from geo import site_rules
from geo.problems import Report
from geo.schema import CODE, FILES, LEVEL, NAME, SITE_STAGES, YEAR

GEOD = Geod(ellps="GRS80")
SUPPORT_ITEMS = ("jobs", "industry", "school", "clinic")  # follow-up support (后续扶持)
QUALITY_COLUMNS = ["site_id", NAME, "field", "rule", "value", "row", "severity"]
COORDS = "lon/lat"  # the `field` of problems that concern the point as a whole
_CANDIDATES = 8     # nearest candidates on the sphere, then measured geodesically


def geodesic_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance in metres on GRS80 (scalars or arrays, broadcast)."""
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lon1, lat1, lon2, lat2)))
    _, _, dist = GEOD.inv(lon1.ravel(), lat1.ravel(), lon2.ravel(), lat2.ravel())
    return np.asarray(dist, dtype=float).reshape(lon1.shape)


def nearest_m(points: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each (lon, lat) in `points` the geodesic distance (m) to the nearest of `targets` and
    its row position; NaN / -1 for points with NaN coordinates or when there are no targets.

    Candidates are preselected as the few nearest on the unit sphere (a k-d tree of 3D unit
    vectors: chord length orders points as the great circle does), then measured on the
    ellipsoid, so the answer is the geodesic minimum without an n x m distance matrix."""
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    targets = np.asarray(targets, dtype=float).reshape(-1, 2)
    dist = np.full(len(points), np.nan)
    index = np.full(len(points), -1, dtype=int)
    valid = ~np.isnan(points).any(axis=1)
    if not len(targets) or not valid.any():
        return dist, index
    p = points[valid]
    k = min(_CANDIDATES, len(targets))
    _, candidates = cKDTree(_unit_vectors(targets)).query(_unit_vectors(p), k=k)
    candidates = np.asarray(candidates, dtype=int).reshape(len(p), k)
    measured = geodesic_m(np.repeat(p[:, 0], k), np.repeat(p[:, 1], k),
                          targets[candidates.ravel(), 0], targets[candidates.ravel(), 1]).reshape(-1, k)
    best = measured.argmin(axis=1)
    dist[valid] = measured[np.arange(len(p)), best]
    index[valid] = candidates[np.arange(len(p)), best]
    return dist, index


def _unit_vectors(lonlat: np.ndarray) -> np.ndarray:
    """(lon, lat) degrees -> 3D unit vectors on the sphere."""
    lon, lat = np.radians(lonlat[:, 0]), np.radians(lonlat[:, 1])
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def village_points(units: gpd.GeoDataFrame) -> pd.DataFrame:
    """code, lon, lat of every village's representative point (inside the polygon), EPSG:4326."""
    if units.crs is None:
        raise ValueError("units have no CRS")
    villages = units.loc[units[LEVEL] == "village"].to_crs("EPSG:4326")
    points = shapely.point_on_surface(villages.geometry.values)
    return pd.DataFrame({CODE: villages[CODE].to_numpy(), "lon": shapely.get_x(points),
                         "lat": shapely.get_y(points)})


def _number(value: object) -> float | None:
    return None if value is None or value is pd.NA or value != value else float(value)


def _checked(sites: pd.DataFrame, units: gpd.GeoDataFrame) -> tuple[site_rules.Checked, Report]:
    """The site rules (geo.site_rules, the import's) on the published sites file: rows as the
    file numbers them (header = row 1), columns by their schema names."""
    report = Report()
    rows = sites.set_axis(pd.RangeIndex(2, len(sites) + 2), axis=0)
    return site_rules.check_sites(rows, units, report, file=FILES["sites"]), report


def site_quality(sites: pd.DataFrame, units: gpd.GeoDataFrame) -> pd.DataFrame:
    """One row per problem: site_id, name, field, rule, value, row, severity, found by the same
    rules as the import (missing / (0, 0) / swapped coordinates, outside the province or the
    claimed township, negative counts, moved > planned, moved in before completion). `field` is
    the schema column (`lon/lat` for the point as a whole), `row` the row in sites.csv. Inputs
    unchanged; never raises for bad values."""
    return _quality(sites, _checked(sites, units)[1])


def _quality(sites: pd.DataFrame, report: Report) -> pd.DataFrame:
    position = {row: i for i, row in enumerate(range(2, len(sites) + 2))}
    ids, names = sites["site_id"].tolist(), sites[NAME].tolist()
    rows = [{"site_id": ids[position[p.row]], NAME: names[position[p.row]], "field": p.column, "rule": p.rule,
             "value": None if p.value is None else str(p.value), "row": p.row, "severity": p.severity}
            for p in report.problems]
    frame = pd.DataFrame(rows, columns=QUALITY_COLUMNS)
    return frame.sort_values("row", kind="stable").reset_index(drop=True)


def _flag(value: object) -> bool | None:
    return None if value is None or value is pd.NA else bool(value)


def _support_missing(row) -> tuple[str, ...]:
    jobs = _number(row["jobs_found"])
    values = {"jobs": None if jobs is None else jobs > 0, "industry": _flag(row["industry"]),
              "school": _flag(row["school_nearby"]), "clinic": _flag(row["clinic_nearby"])}
    return tuple(item for item in SUPPORT_ITEMS if not values[item])


def service_targets(services: pd.DataFrame, points: pd.DataFrame, year: int, item: str) -> pd.DataFrame:
    """Village points whose services row of `year` has `item` (clinic, road, ...) = true."""
    rows = services.loc[(services[YEAR] == year) & (services[item] == True).fillna(False).astype(bool)]  # noqa: E712
    return points.loc[points[CODE].isin(set(rows[CODE]))].reset_index(drop=True)


def site_figures(sites: pd.DataFrame, units: gpd.GeoDataFrame, services: pd.DataFrame,
                 year: int) -> pd.DataFrame:
    """One row per site (all of them, bad ones included) with county/township codes and names,
    occupancy, follow-up support gaps, geodesic metres to the nearest village with a clinic and
    with a hardened road in `year`, `drawable` and the number of data-quality problems."""
    names = dict(zip(units[CODE], units[NAME]))
    out = sites.copy()
    out["county_code"] = out["township_code"].str.slice(0, 6) + "000000"
    out["county_name"] = out["county_code"].map(names)
    out["township_name"] = out["township_code"].map(names)
    planned = out["planned_households"].astype("Float64")
    moved = out["moved_households"].astype("Float64")
    out["occupancy"] = (moved / planned.where(planned > 0)).where(moved >= 0)
    out["support_missing"] = [_support_missing(row) for _, row in out.iterrows()]
    out["lacks_support"] = out["support_missing"].map(bool)
    checked, report = _checked(sites, units)
    out["drawable"] = checked.drawable.to_numpy()
    xy = np.array(out[["lon", "lat"]].astype("float64").to_numpy(), dtype=float, copy=True)
    xy[~out["drawable"].to_numpy()] = np.nan
    points = village_points(units)
    for item, column in (("clinic", "clinic_m"), ("road", "road_m")):
        targets = service_targets(services, points, year, item)
        out[column], _ = nearest_m(xy, targets[["lon", "lat"]].to_numpy())
    quality = _quality(sites, report)
    out["problems"] = out["site_id"].map(quality["site_id"].value_counts()).fillna(0).astype(int)
    return out


def sites_as_of(sites: pd.DataFrame, year: int) -> pd.DataFrame:
    """The sites as they stood at the end of `year` (a copy; the file holds the latest state and
    the years of start and completion). Rule: not started before `start_year`; building before
    `completion_year`; from then on the file's stage (竣工 / 已入住). A year the file leaves empty
    hides no progress: a site the file says has started (or is complete) without that year counts
    as started (complete) in every year. Movers and jobs count only from completion (nobody moves
    into a site under construction). Planned counts are the plan and stay."""
    out = sites.copy()
    final = out["stage"].astype(str)
    start = pd.to_numeric(out["start_year"], errors="coerce")
    done = pd.to_numeric(out["completion_year"], errors="coerce")
    started_ever = (final != "not_started").to_numpy()
    complete_ever = final.isin(["completed", "occupied"]).to_numpy()
    not_started = ~started_ever | (start > year).fillna(False).to_numpy()
    building = (~not_started) & (~complete_ever | (done > year).fillna(False).to_numpy())
    before_completion = not_started | building
    stage = out["stage"].astype(object).to_numpy(copy=True)
    stage[not_started] = "not_started"
    stage[building] = "building"
    out["stage"] = pd.Series(stage, index=out.index).astype(sites["stage"].dtype)
    for column in ("moved_households", "moved_persons"):
        out[column] = out[column].where(~before_completion, 0)
    out["jobs_found"] = out["jobs_found"].mask(before_completion)
    return out


@dataclass(frozen=True)
class SiteFilter:
    """What the relocation page filters on; empty / None means no filter."""

    region_prefix: str = ""
    stages: tuple[str, ...] = ()
    occupancy_below: float | None = None   # fraction, e.g. 0.8
    lacking_support: bool = False


def filter_sites(figures: pd.DataFrame, rule: SiteFilter) -> pd.DataFrame:
    """Rows of `site_figures` that pass `rule` (sites of unknown occupancy pass an occupancy
    filter: a planner must look at them)."""
    keep = figures["township_code"].str.startswith(rule.region_prefix)
    if rule.stages:
        unknown = set(rule.stages) - set(SITE_STAGES)
        if unknown:
            raise ValueError(f"unknown stages {sorted(unknown)}; allowed {SITE_STAGES}")
        keep &= figures["stage"].isin(rule.stages)
    if rule.occupancy_below is not None:
        keep &= (figures["occupancy"] < rule.occupancy_below).fillna(True).astype(bool)
    if rule.lacking_support:
        keep &= figures["lacks_support"]
    return figures.loc[keep.astype(bool)]


@dataclass(frozen=True)
class SiteKpis:
    sites: int
    planned_households: int
    moved_households: int
    planned_persons: int
    moved_persons: int

    @property
    def occupancy(self) -> float | None:
        return self.moved_households / self.planned_households if self.planned_households > 0 else None


def site_kpis(figures: pd.DataFrame) -> SiteKpis:
    """Totals over the given sites; negative (invalid) counts are left out of the sums."""
    def total(column: str) -> int:
        values = figures[column].astype("Float64")
        return int(values.where(values >= 0).sum(skipna=True))
    return SiteKpis(len(figures), total("planned_households"), total("moved_households"),
                    total("planned_persons"), total("moved_persons"))


def beyond(figures: pd.DataFrame, limit_m: float) -> pd.Series:
    """True where the nearest clinic or hardened-road village is farther than `limit_m` (or
    there is none at all for a drawable site)."""
    far = (figures["clinic_m"] > limit_m) | (figures["road_m"] > limit_m)
    none = figures["drawable"] & (figures["clinic_m"].isna() | figures["road_m"].isna())
    return (far | none).astype(bool)
