"""Relocation sites on the tiny dataset (tests/tiny.py) with known answers: good sites, hostile
names and every kind of bad row the quality check must list (never dropped, never a crash)."""
from __future__ import annotations

from pathlib import Path

from pyproj import Transformer

from tests import tiny

_TO_LONLAT = Transformer.from_crs("EPSG:4545", "EPSG:4490", always_xy=True)
EVIL = ("<img src=x onerror=alert(1)>", "${document.title=1}")


def lonlat(i: float, j: float) -> tuple[float, float]:
    """Lon/lat of grid position (i, j) in cell units of tiny's 2x2 village grid."""
    lon, lat = _TO_LONLAT.transform(tiny.X0 + i * tiny.SIDE, tiny.Y0 + j * tiny.SIDE)
    return round(lon, 6), round(lat, 6)


def _site(site_id, name, town, point, planned_h, moved_h, planned_p, moved_p, stage, *,
          jobs=10, industry=1, school=1, clinic=1):
    lon, lat = point if point is not None else ("", "")
    return {"site_id": site_id, "name": name, "township_code": tiny.TOWNS[town], "lon": lon, "lat": lat,
            "planned_households": planned_h, "moved_households": moved_h, "planned_persons": planned_p,
            "moved_persons": moved_p, "stage": stage, "start_year": 2017, "completion_year": "",
            "jobs_found": jobs, "industry": industry, "school_nearby": school, "clinic_nearby": clinic}


def site_rows() -> list[dict]:
    swapped = lonlat(1.5, 0.5)[::-1]
    return [
        _site("S01", "静边一号安置点", 0, lonlat(0.5, 0.5), 40, 38, 130, 120, "已入住", jobs=60),
        _site("S02", "三汇安置点", 1, lonlat(1.5, 1.5), 100, 0, 320, 0, "在建", jobs="", industry=0),
        _site("S03", EVIL[0], 1, lonlat(1.3, 0.3), 20, 10, 60, 30, "竣工", school=0),
        _site("S04", EVIL[1], 0, lonlat(0.5, 1.5), 30, 35, 90, 100, "已入住"),       # moved > planned
        _site("S05", "缺坐标安置点", 0, None, 10, 5, 30, 15, "已入住"),               # no coordinates
        _site("S06", "坐标颠倒安置点", 1, swapped, 10, 5, 30, 15, "已入住"),          # lat/lon swapped
        _site("S07", "负数安置点", 0, lonlat(0.2, 0.8), 10, 5, -5, 15, "已入住"),     # negative count
        _site("S08", "越界安置点", 0, lonlat(1.5, 0.5), 10, 5, 30, 15, "已入住"),     # lies in town 1
    ]


def services_rows() -> list[dict]:
    """tiny's services, except that only village 4 (cell (1, 1)) has a clinic in 2019."""
    rows = tiny.services_rows()
    for row in rows:
        if row["year"] == 2019 and row["code"] in tiny.VILLAGES:
            row["clinic"] = 1 if row["code"] == tiny.VILLAGES[3] else 0
    return rows


def write_folder(folder: Path) -> Path:
    return tiny.write_folder(folder, sites=tiny.table(site_rows(), "sites"),
                             services=tiny.table(services_rows(), "services"))
