"""A messy delivery of a real prefecture, generated in code from tests/fixtures/regions/:
county boundaries as a GBK Shapefile without .cpg in a projected Gauss-Kruger CRS (zipped),
township boundaries as GeoJSON with a legacy `crs` member, a report-style XLSX whose year is only
in its title (numeric codes, 贫困村数 / 已出列贫困村数, a 合计 row), and a GBK CSV of relocation
sites with the bureau's own headers (one swapped and one missing coordinate, one without code).

Township polygons are Voronoi cells of seeded points inside each real county (known answers:
`Delivery.counties` / `Delivery.townships` in EPSG:4490, `Delivery.totals`)."""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from openpyxl import Workbook

from tests.ingest import fixtures as fx

REGIONS = Path(__file__).resolve().parents[1] / "fixtures" / "regions" / "regions.json"
# central meridian of each prefecture's GK zone (CGCS2000 3-degree, no zone prefix)
GK_EPSG = {"520200000000": 4544, "430800000000": 4546}  # CM 105E, CM 111E
YEAR = 2019


@dataclass
class Delivery:
    """The generated files and the answers a correct import must reproduce."""

    prefecture: str
    name: str
    files: dict[str, Path]
    counties: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    table: pd.DataFrame            # township rows as delivered (code, registered, exited, villages)
    sites: pd.DataFrame            # site rows as delivered (before repair)
    totals: dict[str, int]


def regions() -> dict:
    return json.loads(REGIONS.read_text(encoding="utf-8"))["prefectures"]


def _cells(county: shapely.Geometry, n: int, rng: np.random.Generator) -> list[shapely.Geometry]:
    """`n` polygons partitioning `county` (Voronoi cells of points inside it, clipped)."""
    minx, miny, maxx, maxy = county.bounds
    shapely.prepare(county)
    inner = county.buffer(-0.01) if not county.buffer(-0.01).is_empty else county
    shapely.prepare(inner)
    points: list[tuple[float, float]] = []
    while len(points) < n:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(inner, x, y):
            points.append((x, y))
    seeds = shapely.MultiPoint(points)
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=shapely.box(minx - 1, miny - 1, maxx + 1, maxy + 1)))
    out = []
    for x, y in points:
        cell = next(c for c in cells if c.contains(shapely.Point(x, y)))
        part = shapely.intersection(cell, county)
        polys = [p for p in shapely.get_parts(part) if p.geom_type == "Polygon" and p.area > 0]
        out.append(shapely.union_all(polys))
    return out


def build(prefecture: str, folder: Path, *, seed: int = 7) -> Delivery:
    """Write the four files of one prefecture's delivery into `folder` and return the answers."""
    region = regions()[prefecture]
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    counties = gpd.GeoDataFrame(
        {"code": [c["code"] for c in region["counties"]], "name": [c["name"] for c in region["counties"]]},
        geometry=[shapely.geometry.shape(c["geometry"]) for c in region["counties"]], crs="EPSG:4490")
    counties["geometry"] = shapely.make_valid(counties.geometry.values)
    town_rows = []
    for county in region["counties"]:
        towns = list(county["townships"].items())
        geom = counties.loc[counties["code"] == county["code"]].geometry.iloc[0]
        for (code, name), cell in zip(towns, _cells(geom, len(towns), rng)):
            town_rows.append((code, name, cell))
    townships = gpd.GeoDataFrame({"code": [r[0] for r in town_rows], "name": [r[1] for r in town_rows]},
                                 geometry=[r[2] for r in town_rows], crs="EPSG:4490")

    # 1. county boundaries: GBK Shapefile, no .cpg, projected GK (declared .prj), zipped
    gk = counties.rename(columns={"code": "XZQDM", "name": "XZQMC"}).to_crs(f"EPSG:{GK_EPSG[prefecture]}")
    members = fx.write_shapefile(gk, folder / "shp", "县级行政区", encoding="GBK", cpg=None)
    files = {"counties": folder / f"{region['name']}县界.zip"}
    files["counties"].write_bytes(fx.zip_bytes({f"县界/{k}": v for k, v in members.items()}))

    # 2. township boundaries: GeoJSON with a legacy crs member (EPSG:4490)
    geojson = json.loads(townships.rename(columns={"code": "代码", "name": "乡镇名称"}).to_json(drop_id=True))
    geojson["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}}
    files["townships"] = folder / f"{region['name']}乡镇界.geojson"
    files["townships"].write_text(json.dumps(geojson, ensure_ascii=False), encoding="utf-8")

    # 3. township progress table: year only in the title, numeric codes, a 合计 row
    registered = rng.integers(200, 3000, len(townships))
    exited = (registered * rng.uniform(0.5, 0.95, len(townships))).astype(int)
    poor_villages = rng.integers(0, 6, len(townships))
    exited_villages = np.minimum(poor_villages, rng.integers(0, 5, len(townships)))
    table = pd.DataFrame({"code": townships["code"], "name": townships["name"], "registered_poor": registered,
                          "exited_poor": exited, "poor_villages": poor_villages,
                          "exited_villages": exited_villages})
    book = Workbook()
    ws = book.active
    ws.title = "乡镇"
    ws.append([f"{region['name']}{YEAR}年脱贫攻坚进度统计表（乡镇）"])
    ws.merge_cells("A1:F1")
    ws.append(["区划代码", "乡镇名称", "建档立卡贫困人口（人）", "已脱贫人口（人）", "贫困村数（个）", "已出列贫困村数（个）"])
    for row in table.itertuples(index=False):
        ws.append([int(row.code), row.name, int(row.registered_poor), int(row.exited_poor),
                   int(row.poor_villages), int(row.exited_villages)])
    ws.append(["合计", None, int(registered.sum()), int(exited.sum()), int(poor_villages.sum()),
               int(exited_villages.sum())])
    files["table"] = folder / f"{region['name']}{YEAR}年进度统计表.xlsx"
    buffer = io.BytesIO()
    book.save(buffer)
    files["table"].write_bytes(buffer.getvalue())

    # 4. relocation sites: GBK CSV, own headers, no ids / stages / persons
    picks = townships.sample(6, random_state=seed)
    rows = []
    for index, (code, geom) in enumerate(zip(picks["code"], picks.geometry)):
        point = geom.representative_point()
        rows.append({"安置点名称": f"安置点{index + 1}", "所在乡镇代码": code, "东经": round(point.x, 6),
                     "北纬": round(point.y, 6), "计划搬迁户数": int(rng.integers(20, 400)),
                     "已入住户数": ""})
    rows[1]["东经"], rows[1]["北纬"] = rows[1]["北纬"], rows[1]["东经"]   # swapped
    rows[2]["东经"], rows[2]["北纬"] = "", ""                           # no coordinates
    rows[3]["所在乡镇代码"] = ""                                         # township from the point
    for row in rows:
        row["已入住户数"] = int(row["计划搬迁户数"] * 0.8)
    sites = pd.DataFrame(rows)
    files["sites"] = folder / f"{region['name']}安置点.csv"
    files["sites"].write_bytes(sites.to_csv(index=False).encode("gbk"))
    totals = {"registered_poor": int(registered.sum()), "exited_poor": int(exited.sum()),
              "poor_villages": int(poor_villages.sum()), "exited_villages": int(exited_villages.sum()),
              "planned_households": int(sites["计划搬迁户数"].sum()), "counties": len(counties),
              "townships": len(townships), "sites": len(sites)}
    return Delivery(prefecture, region["name"], files, counties, townships, table, sites, totals)
