"""Bench: relocation-site marker layers with hundreds of points.

Measures, for N synthetic sites spread over the dataset's townships: the time to compute the
site figures (quality checks + geodesic nearest clinic / road over all villages), the time to
build the map HTML and its size, for our one-JSON-list layer (static/portal/sites.js) and, for
comparison, naive folium (one CircleMarker + Popup per site in a MarkerCluster).

Usage: .venv/bin/python -m bench.bench_markers [dataset folder] (default data/demo, else the
tiny test dataset in a temp folder).
"""
from __future__ import annotations

import html
import sys
import tempfile
import time
from pathlib import Path

import folium
import numpy as np
import pandas as pd
import shapely
from folium.plugins import MarkerCluster

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from geo.read import read_bundle  # noqa: E402
from geo.sites import site_figures  # noqa: E402
from layers.base import base_map  # noqa: E402
from layers.sites_layer import SitesLegend, marker_radius, sites_group, sites_json, size_steps  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
STAGES = {"not_started": "未开工", "building": "在建", "completed": "竣工", "occupied": "已入住"}


def synthetic_sites(units, n: int, rng: np.random.Generator) -> pd.DataFrame:
    towns = units.loc[units["level"] == "township"].reset_index(drop=True)
    picks = rng.integers(0, len(towns), n)
    points = shapely.point_on_surface(towns.geometry.values[picks])
    planned = rng.integers(20, 800, n)
    moved = (planned * rng.uniform(0, 1.1, n)).astype(int)
    return pd.DataFrame({
        "site_id": [f"S{i:05d}" for i in range(n)], "name": [f"安置点{i}<b>" for i in range(n)],
        "township_code": towns["code"].to_numpy()[picks].astype(str),
        "lon": shapely.get_x(points) + rng.normal(0, 0.002, n), "lat": shapely.get_y(points) + rng.normal(0, 0.002, n),
        "planned_households": planned, "moved_households": moved, "planned_persons": planned * 3,
        "moved_persons": moved * 3, "stage": rng.choice(list(STAGES), n), "start_year": 2017,
        "completion_year": pd.NA, "jobs_found": rng.integers(0, 200, n),
        "industry": rng.random(n) > 0.3, "school_nearby": rng.random(n) > 0.2, "clinic_nearby": rng.random(n) > 0.2,
    }).astype({"planned_households": "Int64", "moved_households": "Int64", "planned_persons": "Int64",
               "moved_persons": "Int64", "jobs_found": "Int64", "industry": "boolean",
               "school_nearby": "boolean", "clinic_nearby": "boolean"})


def fields_of(figures: pd.DataFrame) -> dict[str, pd.Series]:
    return {"名称": figures["name"], "乡镇": figures["township_name"], "阶段": figures["stage"].map(STAGES),
            "户数": figures["moved_households"].astype(str) + " / " + figures["planned_households"].astype(str),
            "入住率": figures["occupancy"].map(lambda v: f"{v * 100:.1f} %"),
            "卫生室": figures["clinic_m"].map(lambda v: f"{v / 1000:.1f} 公里"),
            "硬化路": figures["road_m"].map(lambda v: f"{v / 1000:.1f} 公里")}


def ours(bounds, figures: pd.DataFrame) -> str:
    fields = fields_of(figures)
    largest = float(figures["planned_households"].max())
    data = sites_json(figures, list(fields.values()), pd.Series("", index=figures.index, dtype=object),
                      marker_radius(figures["planned_households"], largest))
    legend = SitesLegend("阶段", STAGES, "大小", size_steps(largest, "{value:,} 户"), "红边")
    m = base_map(bounds)
    sites_group(data, name="安置点", fields=list(fields), legend=legend).add_to(m)
    return m.get_root().render()


def naive(bounds, figures: pd.DataFrame) -> str:
    fields = fields_of(figures)
    m = base_map(bounds)
    cluster = MarkerCluster().add_to(m)
    for index in figures.index:
        rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v.at[index]))}</td></tr>"
                       for k, v in fields.items())
        folium.CircleMarker([figures.at[index, "lat"], figures.at[index, "lon"]], radius=8,
                            fill=True, popup=folium.Popup(f"<table>{rows}</table>")).add_to(cluster)
    return m.get_root().render()


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def main(folder: Path) -> None:
    data = read_bundle(folder)
    villages = int((data.units["level"] == "village").sum())
    print(f"dataset {folder}: {villages} villages")
    print(f"{'sites':>6} {'figures s':>10} {'ours kB':>9} {'ours s':>8} {'naive kB':>9} {'naive s':>8}")
    rng = np.random.default_rng(1)
    bounds = data.units.total_bounds
    for n in (100, 300, 1000, 3000):
        sites = synthetic_sites(data.units, n, rng)
        figures, t_fig = timed(site_figures, sites, data.units, data.services, int(data.services["year"].max()))
        text, t_ours = timed(ours, bounds, figures)
        base = len(base_map(bounds).get_root().render().encode())
        naive_text, t_naive = timed(naive, bounds, figures)
        print(f"{n:>6} {t_fig:>10.2f} {(len(text.encode()) - base) / 1024:>9.1f} {t_ours:>8.3f} "
              f"{(len(naive_text.encode()) - base) / 1024:>9.1f} {t_naive:>8.3f}")
    print("kB = bytes of map HTML added by the markers (base map subtracted)")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    elif (ROOT / "data" / "demo" / "units.gpkg").exists():
        main(ROOT / "data" / "demo")
    else:
        from tests import tiny
        main(tiny.write_folder(Path(tempfile.mkdtemp()) / "tiny"))
