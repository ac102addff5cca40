"""The loaded dataset's identity: which region it covers, its name, extent and metric CRS.

Nothing about the region is compiled into the portal. From the boundary layer alone:
- root code(s): the county (a one-county dataset), the prefecture (one prefecture), or the
  province (several prefectures of one province; several provinces give several roots);
- display name: the root unit's own row if the layer has one, else `data/regions/regions.csv`
  (provinces and prefectures by code), else the names of the units one level down;
- extent: lon/lat bounds (EPSG:4326) of every unit;
- metric CRS: the CGCS2000 3-degree Gauss-Kruger zone (EPSG:4534-4554, "CM" variants without
  the zone prefix) of the extent's centre for a county or prefecture, an Albers equal-area
  projection on the GRS80 ellipsoid (the CGCS2000 ellipsoid) fitted to the extent otherwise.
Pure functions; the input is never mutated.
"""
from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np

from geo.schema import CODE, DISPLAY_CRS, NAME

REGIONS_FILE = Path(__file__).resolve().parent.parent / "data" / "regions" / "regions.csv"

GK_FIRST_EPSG, GK_FIRST_CM, GK_LAST_CM = 4534, 75, 135  # CGCS2000 3-degree GK CM 75E ... 135E
SCOPES = ("county", "prefecture", "province", "provinces")
LOCAL_SCOPES = ("county", "prefecture")   # small enough for one Gauss-Kruger zone


@dataclass(frozen=True)
class Identity:
    """Who the loaded dataset is about. `name` is None when no single official name is known;
    then `parts` holds the names one level down (join them with `label`)."""

    scope: str                         # one of SCOPES
    roots: tuple[str, ...]             # 12-digit codes of the root unit(s)
    name: str | None
    parts: tuple[str, ...]
    bounds: tuple[float, float, float, float]   # lon/lat, EPSG:4326
    metric_crs: str                    # "EPSG:45xx" or a PROJ string
    aliases: tuple[str, ...] = ()      # prefecture/province codes enclosing the whole dataset

    def label(self, sep: str) -> str:
        """The display name: `name`, else `parts` joined by `sep` (the UI's list separator)."""
        return self.name if self.name else sep.join(self.parts)

    def is_root_alias(self, code: str) -> bool:
        """True when `code` names the whole dataset: the prefecture or province code that encloses
        every unit (never a unit of the dataset itself)."""
        return code in self.aliases


@lru_cache(maxsize=1)
def region_names() -> dict[str, str]:
    """Province and prefecture names by 12-digit code (data/regions/regions.csv; empty if absent)."""
    if not REGIONS_FILE.is_file():
        return {}
    with REGIONS_FILE.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


def _prefecture(code: str) -> str:
    return code[:4] + "0" * 8


def _province(code: str) -> str:
    return code[:2] + "0" * 10


def gk_zone_crs(lon: float) -> str:
    """CGCS2000 3-degree Gauss-Kruger CM zone containing `lon` (EPSG:4534 = CM 75E ... EPSG:4554
    = CM 135E); longitudes outside China are clamped to the nearest zone."""
    cm = int(np.clip(3 * round(float(lon) / 3), GK_FIRST_CM, GK_LAST_CM))
    return f"EPSG:{GK_FIRST_EPSG + (cm - GK_FIRST_CM) // 3}"


def equal_area_crs(bounds: Sequence[float]) -> str:
    """Albers equal-area conic on GRS80 fitted to lon/lat `bounds`: central meridian at the
    centre, standard parallels at 1/6 and 5/6 of the latitude range (at least 1 degree apart)."""
    west, south, east, north = (float(b) for b in bounds)
    span = max(north - south, 1.0)
    middle = (south + north) / 2
    lat1, lat2 = middle - span / 3, middle + span / 3
    lon0 = round((west + east) / 2, 1)
    return (f"+proj=aea +lat_0={round(middle, 1)} +lon_0={lon0} +lat_1={round(lat1, 2)} "
            f"+lat_2={round(lat2, 2)} +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs")


def metric_crs_for(bounds: Sequence[float], *, local: bool) -> str:
    """The metric CRS for lon/lat `bounds`: its Gauss-Kruger zone when `local` (a county or a
    prefecture), else an equal-area projection."""
    if local:
        west, _, east, _ = bounds
        return gk_zone_crs((float(west) + float(east)) / 2)
    return equal_area_crs(bounds)


def area_crs(geoms: gpd.GeoSeries) -> str:
    """An equal-area CRS fitted to `geoms` (any declared CRS): for comparing areas of a few shapes
    wherever they lie. Raises ValueError when the CRS is missing."""
    if geoms.crs is None:
        raise ValueError("geometries without a CRS")
    bounds = geoms.to_crs(DISPLAY_CRS).total_bounds
    if not np.isfinite(bounds).all():
        bounds = (100.0, 20.0, 110.0, 40.0)  # empty shapes have no area anyway
    return equal_area_crs(bounds)


def identity_of(units: gpd.GeoDataFrame, *, names: Mapping[str, str] | None = None) -> Identity:
    """The identity of a validated boundary layer (columns code, name, level; any declared CRS).

    `names` (code -> name) defaults to `region_names()`. Raises ValueError for an empty layer."""
    if not len(units):
        raise ValueError("no units: a dataset without boundaries has no region")
    if units.crs is None:
        raise ValueError("units without a CRS")
    lookup = dict(region_names() if names is None else names)
    own = dict(zip(units[CODE].astype(str), units[NAME].astype(str)))
    codes = sorted(own)
    counties = sorted({c[:6] + "0" * 6 for c in codes})
    prefectures = sorted({_prefecture(c) for c in codes})
    provinces = sorted({_province(c) for c in codes})
    bounds = tuple(float(b) for b in units.to_crs(DISPLAY_CRS).total_bounds)

    def named(code: str) -> str | None:
        return own.get(code) or lookup.get(code)

    def names_of(children: Sequence[str]) -> tuple[str, ...]:
        return tuple(named(c) or c for c in children)

    if len(counties) == 1:
        scope, roots = "county", tuple(counties)
        name, parts = named(counties[0]), names_of(counties)
    elif len(prefectures) == 1:
        scope, roots = "prefecture", tuple(prefectures)
        name, parts = named(prefectures[0]), names_of(counties)
    elif len(provinces) == 1:
        scope, roots = "province", tuple(provinces)
        complete = _all_prefectures(provinces[0], lookup) <= set(prefectures)
        name = own.get(provinces[0]) or (lookup.get(provinces[0]) if complete else None)
        parts = names_of(prefectures)
    else:
        scope, roots = "provinces", tuple(provinces)
        name, parts = None, names_of(provinces)
    enclosing = [*prefectures, *provinces] if len(prefectures) == 1 else list(provinces)
    aliases = tuple(c for c in enclosing if len(provinces) == 1 and c not in own)
    return Identity(scope=scope, roots=roots, name=name, parts=parts, bounds=bounds,
                    metric_crs=metric_crs_for(bounds, local=scope in LOCAL_SCOPES), aliases=aliases)


def _all_prefectures(province: str, lookup: Mapping[str, str]) -> set[str]:
    """Prefecture codes the names table lists for `province` (empty set: nothing known, so a
    dataset is never taken for the whole province on no evidence)."""
    listed = {c for c in lookup if c[:2] == province[:2] and c != province and c[4:] == "0" * 8}
    return listed or {"unknown"}

