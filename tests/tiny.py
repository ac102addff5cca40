"""A tiny hand-made dataset with known answers, in a projected CRS (EPSG:4545, CGCS2000 GK CM 108E) so reading
exercises reprojection. One county (511725), two townships, four villages on a 2x2 grid."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from geo import schema

COUNTY = "511725000000"
COUNTY_NAME = "渠县"   # a one-county dataset is named by its county (geo.identity)
TOWNS = ("511725100000", "511725101000")
VILLAGES = ("511725100201", "511725100202", "511725101201", "511725101202")
X0, Y0, SIDE = 500_000.0, 3_400_000.0, 2_000.0  # metres, near 108E


def units_frame() -> gpd.GeoDataFrame:
    cells = [box(X0 + i * SIDE, Y0 + j * SIDE, X0 + (i + 1) * SIDE, Y0 + (j + 1) * SIDE)
             for i, j in ((0, 0), (0, 1), (1, 0), (1, 1))]
    rows = [(COUNTY, "渠县", "county", "511700000000", box(X0, Y0, X0 + 2 * SIDE, Y0 + 2 * SIDE)),
            (TOWNS[0], "静边镇", "township", COUNTY, box(X0, Y0, X0 + SIDE, Y0 + 2 * SIDE)),
            (TOWNS[1], "三汇镇", "township", COUNTY, box(X0 + SIDE, Y0, X0 + 2 * SIDE, Y0 + 2 * SIDE))]
    names = ("新民村", "团结村", "新民村", "<img src=x onerror=alert(1)>")
    for code, name, cell in zip(VILLAGES, names, cells):
        rows.append((code, name, "village", code[:9] + "000", cell))
    frame = pd.DataFrame(rows, columns=["code", "name", "level", "parent_code", "geometry"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4545")


def exit_rows() -> list[dict]:
    """2018 and 2019 rows. Village 1 poor, exits 2018; village 3 poor, planned 2019 (not yet
    exited in 2018); villages 2 and 4 non-poor. County poor, exits 2019."""
    rows = []
    for year in (2018, 2019):
        rows.append({"code": COUNTY, "year": year, "poor_flag": 1, "planned_exit_year": 2019,
                     "actual_exit_year": 2019 if year >= 2019 else ""})
        per_village = {
            VILLAGES[0]: (1, 2018, 2018, 100, 98 if year == 2018 else 99, 1000),
            VILLAGES[1]: (0, "", "", 20, 20, 500),
            VILLAGES[2]: (1, 2019, 2019 if year >= 2019 else "", 300, 200 if year == 2018 else 295, 1000),
            VILLAGES[3]: (0, "", "", 10, 5, 500),
        }
        for code, (flag, plan, actual, reg, exited, rural) in per_village.items():
            rows.append({"code": code, "year": year, "poor_flag": flag, "planned_exit_year": plan,
                         "actual_exit_year": actual, "registered_poor": reg, "exited_poor": exited,
                         "rural_population": rural})
    return rows


def services_rows() -> list[dict]:
    rows = []
    for year in (2018, 2019):
        for index, code in enumerate(VILLAGES):
            lacks_clinic = index == 2 and year == 2018
            rows.append({"code": code, "year": year, "road": 1, "water": 1, "power": 1, "network": 1,
                         "clinic": 0 if lacks_clinic else 1, "cultural_room": 1,
                         "collective_income": 0 if index == 3 else 50000})
        for code in TOWNS:
            rows.append({"code": code, "year": year, "health_centre": 1,
                         "central_school": 0 if (code == TOWNS[1] and year == 2018) else 1,
                         "service_centre": 1})
    return rows


def site_rows() -> list[dict]:
    return [{"site_id": "511725100000S01", "name": "静边安置点", "township_code": TOWNS[0],
             "lon": 107.5, "lat": 30.7, "planned_households": 40, "moved_households": 38,
             "planned_persons": 130, "moved_persons": 120, "stage": "已入住", "start_year": 2017,
             "completion_year": 2018, "jobs_found": 60, "industry": 1, "school_nearby": 1,
             "clinic_nearby": 0}]


def table(rows: list[dict], kind: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame = frame.reindex(columns=schema.DATASETS[kind].names).astype(object)
    return frame.where(frame.notna(), "")


def write_folder(folder: Path, *, units: gpd.GeoDataFrame | None = None, **tables: pd.DataFrame) -> Path:
    """Write a complete dataset folder; keyword arguments replace single tables."""
    folder.mkdir(parents=True, exist_ok=True)
    (units if units is not None else units_frame()).to_file(
        folder / schema.FILES["units"], layer=schema.UNITS_LAYER, engine="pyogrio")
    defaults = {"exit_status": table(exit_rows(), "exit_status"),
                "services": table(services_rows(), "services"),
                "sites": table(site_rows(), "sites")}
    defaults.update(tables)
    for kind, frame in defaults.items():
        frame.to_csv(folder / schema.FILES[kind], index=False)
    return folder
