"""Seeded synthetic province and nation datasets for benchmarks, built on demand, never committed.

A *province* is the bundled demo prefecture (real county boundaries and township codes, synthetic
villages) copied under other prefecture codes of the same province and shifted side by side on a
grid, so each copy keeps real boundary shapes and code structure: 17 copies give 51,017 villages.
A *nation* repeats that under other province codes (134 copies give 402,134 villages); its
geometry is coverage-simplified once before copying (the raw 97 M vertices would not fit this
machine's memory), which is what a publish into PostGIS stores anyway.

Figures are the demo's own, perturbed per copy with a seeded generator so copies differ.

    .venv/bin/python bench/synth.py province var/bench/province
    .venv/bin/python bench/synth.py nation var/bench/nation
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo import schema  # noqa: E402
from geo.identity import identity_of  # noqa: E402
from geo.read import read_units  # noqa: E402
from geo.simplify import simplify_coverage  # noqa: E402

DEMO = ROOT / "data" / "demo"
DEMO_PREFIX = identity_of(read_units(ROOT / "data" / "demo" / schema.FILES["units"])).roots[0][:4]  # the demo prefecture
CODE_COLUMNS = {"units.gpkg": ("code", "parent_code"), "exit_status.csv": ("code",),
                "services.csv": ("code",), "sites.csv": ("site_id", "township_code")}
# Prefecture codes 01..99 except the demo's own; province codes of the nation (real 2-digit ones).
PROVINCES = ("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
             "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65")


def _prefixes(copies: int, *, nation: bool) -> list[str]:
    """4-digit province+prefecture prefixes for `copies` copies (the demo's own first)."""
    out = [DEMO_PREFIX]
    provinces = PROVINCES if nation else ("51",)
    for province in provinces:
        for city in range(1, 100):
            prefix = f"{province}{city:02d}"
            if prefix != DEMO_PREFIX:
                out.append(prefix)
            if len(out) == copies:
                return out
    raise ValueError(f"at most {len(out)} copies")


def _recode(values: pd.Series, prefix: str) -> pd.Series:
    text = values.astype(str)
    return text.where(~text.str.startswith(DEMO_PREFIX), prefix + text.str[4:])


def build(out: Path, copies: int, *, seed: int = 7, nation: bool = False) -> Path:
    """Write a dataset folder of `copies` demo copies to `out`; returns `out`."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    units = gpd.read_file(DEMO / "units.gpkg")
    if nation:  # pre-simplify once per level (as a publish would), so 400k villages fit in memory
        parts = []
        for level in ("county", "township", "village"):
            part = units.loc[units["level"] == level]
            geoms = simplify_coverage(part.geometry.values, 0.0005 if level == "village" else 0.001)
            parts.append(part.set_geometry(gpd.GeoSeries(geoms, index=part.index, crs=units.crs)))
        units = pd.concat(parts)
    minx, miny, maxx, maxy = units.total_bounds
    width, height = maxx - minx, maxy - miny
    columns = int(np.ceil(np.sqrt(copies)))
    tables = {name: pd.read_csv(DEMO / name, dtype=str, keep_default_na=False)
              for name in ("exit_status.csv", "services.csv", "sites.csv")}
    frames: dict[str, list] = {name: [] for name in CODE_COLUMNS}
    for index, prefix in enumerate(_prefixes(copies, nation=nation)):
        dx = (index % columns) * width * 1.02
        dy = -(index // columns) * height * 1.02
        copy = units.copy()
        copy["geometry"] = shapely.transform(copy.geometry.values, lambda xy, dx=dx, dy=dy: xy + [dx, dy])
        for column in CODE_COLUMNS["units.gpkg"]:
            copy[column] = _recode(copy[column], prefix)
        frames["units.gpkg"].append(copy)
        for name, table in tables.items():
            table = table.copy()
            for column in CODE_COLUMNS[name]:
                table[column] = _recode(table[column], prefix)
            if name == "sites.csv":
                table["lon"] = (table["lon"].astype(float) + dx).round(6).astype(str)
                table["lat"] = (table["lat"].astype(float) + dy).round(6).astype(str)
            if name == "exit_status.csv" and index:
                # shift planned/actual exit years of some units by a year so copies differ
                shift = rng.random(len(table)) < 0.2
                for column in ("planned_exit_year", "actual_exit_year"):
                    years = pd.to_numeric(table[column], errors="coerce")
                    moved = (years + 1).where(shift & (years + 1 <= pd.to_numeric(table["year"])), years)
                    table[column] = moved.map(lambda v: "" if pd.isna(v) else str(int(v)))
            frames[name].append(table)
    merged = gpd.GeoDataFrame(pd.concat(frames["units.gpkg"], ignore_index=True), crs=units.crs)
    merged.to_file(out / schema.FILES["units"], layer=schema.UNITS_LAYER, driver="GPKG", engine="pyogrio")
    for name in tables:
        pd.concat(frames[name], ignore_index=True).to_csv(out / name, index=False, encoding="utf-8")
    return out


def ensure(kind: str, out: Path | None = None, *, seed: int = 7) -> Path:
    """The province (17 copies) or nation (134 copies) dataset, built unless already there."""
    copies = {"province": 17, "nation": 134}[kind]
    out = out or ROOT / "var" / "bench" / kind
    if not (out / "sites.csv").is_file():
        build(out, copies, seed=seed, nation=kind == "nation")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("province", "nation"))
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    folder = ensure(args.kind, args.out, seed=args.seed)
    units = gpd.read_file(folder / schema.FILES["units"], columns=["level"], ignore_geometry=True)
    print(folder, units["level"].value_counts().to_dict())


if __name__ == "__main__":
    main()
