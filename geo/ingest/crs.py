"""Coordinate reference systems of uploads: read what the file declares, suggest candidates when
it declares nothing (the user confirms; nothing is guessed silently), transform to CGCS2000 with
`always_xy`, and check that the result lies in China and in the province its codes name; when it
does not, say whether the zone or the axis order is wrong.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyproj import CRS, Transformer

from geo.schema import STORAGE_CRS

# (min lon, min lat, max lon, max lat), generous by about half a degree; keyed by the code's
# first two digits. Sources: provincial extents from the national 1:1M basemap, rounded.
PROVINCE_BBOX: dict[str, tuple[float, float, float, float]] = {
    "11": (115.2, 39.2, 117.7, 41.3), "12": (116.5, 38.3, 118.3, 40.5), "13": (113.2, 35.8, 120.1, 42.9),
    "14": (110.0, 34.3, 114.8, 41.0), "15": (96.9, 37.2, 126.3, 53.6), "21": (118.6, 38.5, 126.0, 43.7),
    "22": (121.4, 40.6, 131.6, 46.5), "23": (120.9, 43.2, 135.3, 53.8), "31": (120.6, 30.4, 122.4, 32.1),
    "32": (116.1, 30.5, 122.1, 35.4), "33": (117.8, 26.8, 123.4, 31.4), "34": (114.6, 29.2, 119.9, 34.9),
    "35": (115.6, 23.3, 120.9, 28.6), "36": (113.3, 24.2, 118.7, 30.3), "37": (114.6, 34.1, 123.0, 38.6),
    "41": (110.1, 31.1, 116.9, 36.6), "42": (108.1, 28.8, 116.4, 33.5), "43": (108.5, 24.4, 114.5, 30.4),
    "44": (109.4, 19.9, 117.6, 25.8), "45": (104.2, 20.7, 112.3, 26.6), "46": (107.5, 3.0, 118.0, 20.4),
    "50": (105.0, 27.9, 110.4, 32.5), "51": (97.1, 25.8, 108.8, 34.6), "52": (103.4, 24.4, 109.8, 29.5),
    "53": (97.3, 20.9, 106.4, 29.5), "54": (78.2, 26.6, 99.4, 36.7), "61": (105.3, 31.5, 111.5, 39.8),
    "62": (91.9, 32.3, 109.0, 43.0), "63": (89.2, 31.4, 103.3, 39.5), "64": (104.1, 35.0, 107.9, 39.6),
    "65": (73.2, 34.1, 96.6, 49.4), "71": (119.1, 20.5, 124.8, 26.6), "81": (113.6, 21.9, 114.7, 22.8),
    "82": (113.3, 21.9, 113.8, 22.4),
}
CHINA_BBOX = (73.0, 3.0, 136.0, 54.0)

GK_ZONE_EPSG = {zone: 4513 + zone - 25 for zone in range(25, 46)}        # with zone prefix
GK_CM_EPSG = {cm: 4534 + (cm - 75) // 3 for cm in range(75, 136, 3)}     # "CM", no prefix
GEOGRAPHIC_EPSG = 4490


@dataclass(frozen=True)
class Placement:
    """Outcome of a location check: `rule` None when fine, else a rule key with `detail`."""

    rule: str | None
    detail: dict


def parse_crs(text: str) -> CRS:
    """A CRS from an EPSG code or text the user picked from our suggestions (raises ValueError)."""
    value = text.strip()
    if value.isdigit():
        value = f"EPSG:{value}"
    try:
        return CRS.from_user_input(value)
    except Exception as exc:  # pyproj raises CRSError, a ValueError subclass, but be explicit
        raise ValueError(text) from exc


def epsg_label(crs: CRS | None) -> str:
    """`EPSG:4549 CGCS2000 / 3-degree Gauss-Kruger CM 120E` or the CRS name."""
    if crs is None:
        return ""
    code = crs.to_epsg(min_confidence=70)
    return f"EPSG:{code} {crs.name}" if code else crs.name


def _inside(bounds: tuple[float, float, float, float], box: tuple[float, float, float, float]) -> bool:
    minx, miny, maxx, maxy = bounds
    return minx >= box[0] and miny >= box[1] and maxx <= box[2] and maxy <= box[3]


def _transform_bounds(bounds, source: CRS, *, swap: bool = False) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = bounds
    if swap:
        minx, miny, maxx, maxy = miny, minx, maxy, maxx
    transformer = Transformer.from_crs(source, STORAGE_CRS, always_xy=True)
    xs = np.array([minx, maxx, minx, maxx, (minx + maxx) / 2])
    ys = np.array([miny, miny, maxy, maxy, (miny + maxy) / 2])
    lon, lat = transformer.transform(xs, ys)
    if not np.all(np.isfinite(lon)) or not np.all(np.isfinite(lat)):
        return (np.inf, np.inf, np.inf, np.inf)
    return float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())


def target_box(province: str | None) -> tuple[float, float, float, float]:
    return PROVINCE_BBOX.get(province or "", CHINA_BBOX)


def suggest(bounds: tuple[float, float, float, float], province: str | None = None) -> list[int]:
    """EPSG codes that would put `bounds` (in file units) inside the province (or China), best first.

    Degrees -> CGCS2000; eastings with a zone prefix -> that zone; eastings without -> every
    central meridian that lands inside the province."""
    box = target_box(province)
    minx, miny, maxx, maxy = bounds
    out: list[int] = []
    if _inside(bounds, CHINA_BBOX):
        out.append(GEOGRAPHIC_EPSG)
    elif 25e6 <= minx and maxx < 46e6 and int(minx // 1e6) == int(maxx // 1e6):
        epsg = GK_ZONE_EPSG.get(int(minx // 1e6))
        if epsg:
            out.append(epsg)
    elif 0 <= minx and maxx <= 1e6 and 0 < miny and maxy < 6.5e6:
        out.extend(GK_CM_EPSG.values())
    return [e for e in out if _inside(_transform_bounds(bounds, CRS.from_epsg(e)), box)]


def check_placement(bounds: tuple[float, float, float, float], source: CRS,
                    province: str | None) -> Placement:
    """Is data with `bounds` (file units, `source` CRS) in China and in its province? If not,
    diagnose: swapped axes (northing first), or a wrong Gauss-Kruger zone / central meridian."""
    got = _transform_bounds(bounds, source)
    box = target_box(province)
    zone = {v: k for k, v in GK_ZONE_EPSG.items()}.get(source.to_epsg(min_confidence=70) or 0)
    if zone is not None and int(bounds[0] // 1e6) != zone:
        # the easting's prefix names the zone: a mismatch is a wrong zone, wherever it lands
        prefix = int(bounds[0] // 1e6)
        found = [f"EPSG:{GK_ZONE_EPSG[prefix]}"] if prefix in GK_ZONE_EPSG else []
        return Placement("crs_wrong_zone", {"bounds": tuple(round(v, 4) for v in got),
                                            "province": province or "", "candidates": found})
    if _inside(got, box):
        return Placement(None, {})
    detail: dict = {"bounds": tuple(round(v, 4) for v in got), "province": province or ""}
    if _inside(_transform_bounds(bounds, source, swap=True), box):
        return Placement("crs_axis_swapped", detail)
    candidates = [e for e in suggest(bounds, province) if e != source.to_epsg()]
    if candidates and (source.is_projected or not source.is_geographic):
        return Placement("crs_wrong_zone", {**detail, "candidates": [f"EPSG:{e}" for e in candidates]})
    swapped = (bounds[1], bounds[0], bounds[3], bounds[2])
    if suggest(swapped, province):
        return Placement("crs_axis_swapped", detail)
    if _inside(got, CHINA_BBOX):
        return Placement("outside_province", detail)
    if candidates:
        return Placement("crs_wrong_zone", {**detail, "candidates": [f"EPSG:{e}" for e in candidates]})
    return Placement("outside_china", detail)
