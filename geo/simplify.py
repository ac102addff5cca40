"""Display geometry: topology-preserving coverage simplification per level, then rounding.

Per-polygon simplification opens gaps and overlaps between neighbours (PERF_NOTES 2); simplifying
each level as one coverage keeps shared borders shared.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geo.schema import DISPLAY_CRS, LEVEL

# Area-based tolerance in degrees (shapely.coverage_simplify is Visvalingam-Whyatt).
# 0.001 keeps ~50 % of the demo's vertices with a deviation of well under 100 m: right up to
# zoom ~12. Close-ups of one township's villages use FINE_TOLERANCE.
TOLERANCE = {"county": 0.002, "township": 0.001, "village": 0.001}
FINE_TOLERANCE = 0.0002
DECIMALS = 6


def simplify_coverage(geoms: np.ndarray, tolerance: float, decimals: int = DECIMALS, *,
                      simplify_boundary: bool = True) -> np.ndarray:
    """Coverage-simplify an array of polygons forming a coverage, then round coordinates.
    `simplify_boundary=False` keeps the coverage's outer edges (a chunk of a larger coverage then
    still fits its neighbour chunks).

    Returns a new array; invalid results (rare, from rounding) are repaired with make_valid."""
    simplified = (shapely.coverage_simplify(geoms, tolerance, simplify_boundary=simplify_boundary)
                  if tolerance > 0 else geoms)
    rounded = shapely.set_precision(simplified, 10 ** -decimals, mode="pointwise")
    bad = ~shapely.is_valid(rounded)
    if bad.any():
        rounded = rounded.copy()
        rounded[bad] = shapely.make_valid(rounded[bad])
    return rounded


def display_units(units: gpd.GeoDataFrame, level: str,
                  tolerance: float | None = None) -> gpd.GeoDataFrame:
    """Units of one level in EPSG:4326 with simplified, rounded geometry (a new frame)."""
    if units.crs is None:
        raise ValueError("units have no CRS")
    subset = units.loc[units[LEVEL] == level].to_crs(DISPLAY_CRS)
    geoms = simplify_coverage(subset.geometry.values, TOLERANCE[level] if tolerance is None else tolerance)
    return subset.set_geometry(gpd.GeoSeries(geoms, index=subset.index, crs=DISPLAY_CRS))


def vertex_count(gdf: gpd.GeoDataFrame) -> int:
    """Total number of coordinates of a frame's geometries."""
    return int(shapely.get_num_coordinates(gdf.geometry.values).sum())
