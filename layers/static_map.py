"""Print-ready matplotlib pages of a view: the map (same classes and colours as on screen, drawn
in the region's metric CRS so the scale bar is true), unit names where they fit, legend with counts, KPI table,
scale bar, north arrow, notices, source, demo notice and time of generation.

All text uses the bundled font (assets/fonts, loaded by path: servers need no Chinese fonts) and
is drawn with mathtext off, so names and titles with `$`, `<` or `\\` print literally.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import shapely
from fontTools.ttLib import TTFont
from matplotlib.axes import Axes
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Circle, PathPatch, Polygon, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.patheffects import Stroke

from geo.schema import DISPLAY_CRS, NAME
from layers.palette import BORDER_COLOR, FLAG_COLOR, NO_DATA_COLOR
from layers.snapshot import Points, Snapshot, Text, demo_notice, describe_view

FONT_PATH = Path(__file__).resolve().parent.parent / "assets" / "fonts" / "PortalSansSC-Regular.ttf"
PAPERS = {"A4": (297.0, 210.0), "A3": (420.0, 297.0)}   # mm, landscape
ORIENTATIONS = ("landscape", "portrait")
TIMEZONE = ZoneInfo("Asia/Shanghai")
MAX_LABELS = 400
MM = 1 / 25.4
PT_PER_MM = 72 / 25.4
DEMO_COLOR = "#b2182b"
SELECTED_COLOR = "#000000"
PT_PER_PX = 0.75   # a CSS pixel of the interactive map is 0.75 pt on paper


@functools.cache
def _font_chars() -> frozenset[int]:
    return frozenset(TTFont(str(FONT_PATH), lazy=True).getBestCmap())


@functools.cache
def _font(size: float) -> FontProperties:
    if not FONT_PATH.is_file():
        raise FileNotFoundError(f"bundled font missing: {FONT_PATH} (run assets/fonts/build_font.py)")
    return FontProperties(fname=str(FONT_PATH), size=size)


def missing_glyphs(strings: Sequence[str]) -> list[str]:
    """Characters of `strings` the bundled font cannot draw (whitespace ignored), in order."""
    have = _font_chars()
    out: dict[str, None] = {}
    for s in strings:
        for c in s:
            if not c.isspace() and ord(c) not in have:
                out[c] = None
    return list(out)


def now() -> datetime:
    return datetime.now(TIMEZONE)


def paper_size(paper: str, orientation: str) -> tuple[float, float]:
    """(width, height) in mm; raises ValueError naming the allowed values."""
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {sorted(PAPERS)}, got {paper!r}")
    if orientation not in ORIENTATIONS:
        raise ValueError(f"orientation must be one of {ORIENTATIONS}, got {orientation!r}")
    w, h = PAPERS[paper]
    return (w, h) if orientation == "landscape" else (h, w)


# --------------------------------------------------------------------------- text helpers

class _Writer:
    """Draws text with the bundled font and remembers every string (for the glyph check)."""

    def __init__(self, scale: float, text: Text):
        self.scale = scale
        self.strings: list[str] = []
        self.km_format = text("export.km", value="{value}")
        self.north = text("export.north")

    def __call__(self, target, x, y, s: str, size: float, **kwargs):
        self.strings.append(s)
        return target.text(x, y, s, fontproperties=_font(round(size * self.scale, 2)),
                           parse_math=False, usetex=False, **kwargs)


def text_width_em(s: str) -> float:
    """Approximate advance width of `s` in ems (CJK and full-width 1, others 0.55)."""
    return sum(1.0 if ord(c) >= 0x2E80 else 0.55 for c in s)


def wrap(s: str, width_em: float) -> list[str]:
    """Greedy line wrap by approximate width (CJK text has no spaces to break at)."""
    lines, line, used = [], "", 0.0
    for c in s:
        w = text_width_em(c)
        if line and used + w > width_em:
            lines.append(line)
            line, used = "", 0.0
        line += c
        used += w
    if line:
        lines.append(line)
    return lines


# --------------------------------------------------------------------------- geometry helpers

def _path(geom) -> MplPath | None:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]
    verts, codes = [], []
    for polygon in parts:
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) < 4:
                continue
            verts.append(xy)
            codes.append(np.r_[MplPath.MOVETO, np.full(len(xy) - 2, MplPath.LINETO), MplPath.CLOSEPOLY])
    if not verts:
        return None
    return MplPath(np.concatenate(verts), np.concatenate(codes).astype(np.uint8))


def _patches(geoms) -> tuple[list[PathPatch], list[int]]:
    patches, kept = [], []
    for i, geom in enumerate(geoms):
        path = _path(geom) if geom is not None else None
        if path is not None:
            patches.append(PathPatch(path))
            kept.append(i)
    return patches, kept


def fit_extent(bounds: Sequence[float], box_w: float, box_h: float,
               pad: float = 0.04) -> tuple[float, float, float, float]:
    """Extent (xmin, xmax, ymin, ymax) around `bounds`, padded, with the aspect of the box."""
    minx, miny, maxx, maxy = bounds
    w, h = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    w, h = w * (1 + 2 * pad), h * (1 + 2 * pad)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    if w / h > box_w / box_h:
        h = w * box_h / box_w
    else:
        w = h * box_w / box_h
    return cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2


def nice_length(target: float) -> float:
    """Largest 1, 2 or 5 x 10^k not above `target` (> 0)."""
    exp = np.floor(np.log10(target))
    for m in (5, 2, 1):
        if m * 10 ** exp <= target:
            return float(m * 10 ** exp)
    return float(10 ** exp)


@dataclass(frozen=True)
class Placement:
    placed: tuple[int, ...]   # positions (into the inputs) of labels drawn
    skipped: int              # candidates that got no label
    size_pt: float


def place_labels(names: Sequence[str], geoms: Sequence, *, metres_per_pt: float,
                 size_pt: float, cap: int = MAX_LABELS, fit: float = 0.75) -> Placement:
    """Greedy label placement, bigger units first: a name is placed at its unit's representative
    point if its box lies mostly (`fit`) inside the unit and overlaps no placed label; at most
    `cap` labels. Geometries in a metric CRS; pure (no drawing)."""
    geoms = np.asarray(geoms, dtype=object)
    candidates = [i for i, n in enumerate(names) if isinstance(n, str) and n.strip()
                  and geoms[i] is not None and not geoms[i].is_empty]
    areas = shapely.area(geoms[candidates]) if candidates else np.array([])
    order = [candidates[j] for j in np.argsort(-areas, kind="stable")]
    points = shapely.point_on_surface(geoms[order]) if order else []
    placed: list[int] = []
    boxes = np.empty((0, 4))
    gap = 1.5 * metres_per_pt
    for index, point in zip(order, points):
        if len(placed) >= cap:
            break
        half_w = text_width_em(names[index]) * size_pt * metres_per_pt / 2
        half_h = size_pt * 1.2 * metres_per_pt / 2
        x, y = point.x, point.y
        box = shapely.box(x - half_w, y - half_h, x + half_w, y + half_h)
        if shapely.area(shapely.intersection(box, geoms[index])) < fit * box.area:
            continue
        if len(boxes) and np.any((np.abs(boxes[:, 0] - x) < boxes[:, 2] + half_w + gap)
                                 & (np.abs(boxes[:, 1] - y) < boxes[:, 3] + half_h + gap)):
            continue
        placed.append(index)
        boxes = np.vstack([boxes, [x, y, half_w, half_h]])
    return Placement(tuple(placed), len(candidates) - len(placed), size_pt)


def label_size(geoms, metres_per_pt: float, scale: float) -> float:
    """Font size (pt) for unit names: about a third of a typical unit's width, within limits."""
    areas = shapely.area(np.asarray(geoms, dtype=object))
    areas = areas[areas > 0]
    if not len(areas):
        return 7.0 * scale
    typical_pt = np.sqrt(np.median(areas)) / metres_per_pt
    return float(np.clip(typical_pt / 4.0, 5.0 * scale, 11.0 * scale))


# --------------------------------------------------------------------------- the map

@dataclass(frozen=True)
class MapResult:
    labels_skipped: int
    labelled: int


def draw_map(ax: Axes, snapshot: Snapshot, write: _Writer, *, box_mm: tuple[float, float],
             labels: bool = True, furniture: bool = True, cap: int = MAX_LABELS) -> MapResult:
    """Polygons, outline, flags, selection, names, scale bar and north arrow into `ax`, whose
    size on paper is `box_mm`. Draws in the snapshot's metric CRS; `snapshot` is not modified."""
    s = write.scale
    shapes = snapshot.shapes.to_crs(snapshot.metric_crs)
    outline = snapshot.outline.to_crs(snapshot.metric_crs)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.6 * s)
        spine.set_color("#555555")
    bounds = None
    if len(shapes) and not shapes.geometry.is_empty.all():
        bounds = shapes.total_bounds
    elif len(outline):
        bounds = outline.total_bounds
    if bounds is None:
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        return MapResult(0, 0)
    xmin, xmax, ymin, ymax = fit_extent(bounds, *box_mm)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal", adjustable="box")
    metres_per_pt = (xmax - xmin) / (box_mm[0] * PT_PER_MM)
    line = 0.35 * s if len(shapes) > 300 else 0.6 * s

    styled = snapshot.styled
    classes = styled.index.loc[shapes.index].to_numpy()
    geoms = shapes.geometry.to_numpy()
    patches, kept = _patches(geoms)
    k = classes[kept]
    colors = [NO_DATA_COLOR if c < 0 else styled.colors[c] for c in k]
    filled = [p for p, c in zip(patches, k) if c >= 0]
    if filled:
        ax.add_collection(PatchCollection(filled, facecolors=[c for c, cl in zip(colors, k) if cl >= 0],
                                          edgecolors=BORDER_COLOR, linewidths=line, zorder=2))
    no_data = [p for p, c in zip(patches, k) if c < 0]
    if no_data:
        ax.add_collection(PatchCollection(no_data, facecolors=NO_DATA_COLOR, edgecolors="#888888",
                                          linewidths=line, linestyles="--", hatch="////", zorder=2))
    if len(outline):
        outline_patches, _ = _patches(outline.to_numpy())
        ax.add_collection(PatchCollection(outline_patches, facecolors="none", edgecolors="#222222",
                                          linewidths=1.4 * s, zorder=4))
    flags = shapes["flag"].notna().to_numpy() if "flag" in shapes else np.zeros(len(shapes), bool)
    flagged, _ = _patches(geoms[flags])
    if flagged:
        ax.add_collection(PatchCollection(flagged, facecolors="none", edgecolors=FLAG_COLOR,
                                          linewidths=1.8 * s, zorder=5))
    selected = snapshot.view.selected
    if selected:
        mask = (shapes["code"] == selected).to_numpy()
        chosen, _ = _patches(geoms[mask])
        if chosen:
            ax.add_collection(PatchCollection(chosen, facecolors="none", edgecolors=SELECTED_COLOR,
                                              linewidths=2.2 * s, zorder=6))

    result = MapResult(0, 0)
    if labels and len(shapes):
        names = shapes[NAME].astype(str).tolist()
        size = label_size(geoms, metres_per_pt, s)
        placement = place_labels(names, geoms, metres_per_pt=metres_per_pt, size_pt=size, cap=cap)
        # The halo is a separate, stroke-only copy: text with path effects is drawn as outlines,
        # and the plain copy on top keeps every name searchable in the PDF.
        halo = [Stroke(linewidth=2.0 * s, foreground="white", alpha=0.85)]
        points = shapely.point_on_surface(geoms[list(placement.placed)]) if placement.placed else []
        for index, point in zip(placement.placed, points):
            ax.text(point.x, point.y, names[index], fontproperties=_font(round(placement.size_pt, 2)),
                    parse_math=False, usetex=False, ha="center", va="center", color="white", zorder=7,
                    path_effects=halo, clip_on=True)
            write(ax, point.x, point.y, names[index], placement.size_pt / s, ha="center", va="center",
                  color="#111111", zorder=8, clip_on=True)
        result = MapResult(placement.skipped, len(placement.placed))
    if snapshot.points is not None:
        _draw_points(ax, snapshot.points, s, snapshot.metric_crs)
    if furniture:
        _scale_bar(ax, write, (xmin, xmax, ymin, ymax))
        _north_arrow(ax, write)
    return result


def _draw_points(ax: Axes, points: Points, scale: float, crs: str) -> None:
    """Circles of `points` (projected to the map's CRS), largest first so small ones stay visible;
    area in pt^2 from the screen radius, flagged ones with a thick outline."""
    if not points.lon:
        return
    xy = gpd.GeoSeries(gpd.points_from_xy(points.lon, points.lat), crs=DISPLAY_CRS).to_crs(crs)
    order = np.argsort(-np.asarray(points.radius), kind="stable")
    flagged = np.asarray(points.flagged, dtype=bool)[order]
    size = (2 * np.asarray(points.radius)[order] * PT_PER_PX * scale) ** 2
    colors = [points.colors[points.classes[i]] for i in order]
    ax.scatter(xy.x.to_numpy()[order], xy.y.to_numpy()[order], s=size, c=colors, alpha=0.95,
               edgecolors=[points.flag_color if f else points.line_color for f in flagged],
               linewidths=np.where(flagged, 1.8 * scale, 0.5 * scale), zorder=6.5)


def _points_legend(ax: Axes, write: _Writer, points: Points, top: float, text: Text) -> float:
    """Legend rows of a point overlay from `top` (mm) down; returns the y below the block."""
    s = write.scale
    mm_per_px = PT_PER_PX / PT_PER_MM * s
    y = top
    write(ax, 0, y, points.title, 8.5, va="top", color="#444444")
    y -= 6 * s
    rows = [(color, text("legend.count", label=label, count=n), 5.0, "#333333", 0.5)
            for color, label, n in zip(points.colors, points.labels, points.counts)]
    if points.sizes:
        rows += [("#bdbdbd", label, r, "#333333", 0.5) for r, label in points.sizes]
    if points.flags:
        rows.append(("#ffffff", text("legend.count", label=points.flag_label, count=points.flags), 5.0,
                     points.flag_color, 1.6))
    size_title_at = len(points.colors)
    for i, (color, label, radius, edge, width) in enumerate(rows):
        if points.sizes and i == size_title_at:
            y -= 1.5 * s
            write(ax, 0, y, points.size_title, 8.5, va="top", color="#444444")
            y -= 6 * s
        r = radius * mm_per_px
        step = max(5.6 * s, 2 * r + 1.4 * s)
        ax.add_patch(Circle((3.5 * s, y - step / 2), r, facecolor=color, edgecolor=edge,
                            linewidth=width * s, alpha=0.9))
        write(ax, max(9.5 * s, 3.5 * s + r + 2 * s), y - step / 2, label, 8.5, va="center")
        y -= step
    return y - 3 * s


def _scale_bar(ax: Axes, write: _Writer, extent: tuple[float, float, float, float]) -> None:
    xmin, xmax, ymin, ymax = extent
    width, height = xmax - xmin, ymax - ymin
    length = nice_length(width / 5)
    x0, y0, bar_h = xmin + 0.04 * width, ymin + 0.045 * height, 0.012 * height
    segments = 4
    ax.add_patch(Rectangle((x0 - 0.01 * width, y0 - 0.025 * height), length + 0.06 * width,
                           0.075 * height, facecolor="white", edgecolor="none", alpha=0.8, zorder=8))
    for i in range(segments):
        ax.add_patch(Rectangle((x0 + i * length / segments, y0), length / segments, bar_h,
                               facecolor="#222222" if i % 2 == 0 else "white", edgecolor="#222222",
                               linewidth=0.5 * write.scale, zorder=9))
    km = length / 1000
    label = f"{km:g}"
    write(ax, x0, y0 + bar_h * 1.6, "0", 6.5, ha="center", va="bottom", zorder=9)
    write(ax, x0 + length, y0 + bar_h * 1.6, write.km_format.format(value=label), 6.5, ha="center",
          va="bottom", zorder=9)


def _north_arrow(ax: Axes, write: _Writer) -> None:
    x, y, half, tall = 0.95, 0.86, 0.018, 0.07
    # The map is drawn in the region's Gauss-Kruger zone (grid north within about 1 degree of true
    # north) or in an equal-area conic centred on the region: up is north near the centre line.
    ax.add_patch(Polygon([(x - half, y), (x, y + tall), (x, y + tall * 0.28)], closed=True,
                         transform=ax.transAxes, facecolor="#222222", edgecolor="#222222",
                         linewidth=0.6 * write.scale, zorder=9))
    ax.add_patch(Polygon([(x + half, y), (x, y + tall), (x, y + tall * 0.28)], closed=True,
                         transform=ax.transAxes, facecolor="white", edgecolor="#222222",
                         linewidth=0.6 * write.scale, zorder=9))
    write(ax, x, y + tall + 0.012, write.north, 9, transform=ax.transAxes, ha="center", va="bottom",
          zorder=9)


# --------------------------------------------------------------------------- the page

def _panel_axes(fig: Figure, rect_mm: tuple[float, float, float, float], paper_mm: tuple[float, float]) -> Axes:
    x, y, w, h = rect_mm
    pw, ph = paper_mm
    ax = fig.add_axes((x / pw, y / ph, w / pw, h / ph))
    ax.set_xlim(0, w)
    ax.set_ylim(0, h)
    ax.set_axis_off()
    return ax


def _legend(ax: Axes, write: _Writer, snapshot: Snapshot, top: float, width: float, text: Text,
            x0: float = 0.0) -> float:
    """Legend rows from `top` (mm) down, starting at `x0`; returns the y below the block."""
    s = write.scale
    styled = snapshot.styled
    y = top
    write(ax, x0, y, text("export.legend"), 10, va="top", weight="bold")
    y -= 7 * s
    write(ax, x0, y, styled.title, 8.5, va="top", color="#444444")
    y -= 6 * s
    rows = [(c, text("legend.count", label=label, count=n), False)
            for c, label, n in zip(styled.colors, styled.labels, styled.counts)]
    if styled.no_data:
        rows.append((NO_DATA_COLOR, text("legend.count", label=text("status.no_data"), count=styled.no_data),
                     True))
    for color, label, dashed in rows:
        ax.add_patch(Rectangle((x0, y - 3.6 * s), 7 * s, 3.6 * s, facecolor=color,
                               edgecolor="#888888" if dashed else BORDER_COLOR, linewidth=0.5 * s,
                               linestyle="--" if dashed else "-", hatch="////" if dashed else None))
        write(ax, x0 + 9.5 * s, y - 1.8 * s, label, 8.5, va="center")
        y -= 5.6 * s
    flagged = int(snapshot.shapes["flag"].notna().sum()) if "flag" in snapshot.shapes else 0
    if flagged:
        ax.add_patch(Rectangle((x0, y - 3.6 * s), 7 * s, 3.6 * s, facecolor="none", edgecolor=FLAG_COLOR,
                               linewidth=1.6 * s))
        write(ax, x0 + 9.5 * s, y - 1.8 * s, text("legend.count", label=text("export.flag_legend"),
                                             count=flagged), 8.5, va="center")
        y -= 5.6 * s
    if snapshot.points is not None:
        y = _points_legend(ax, write, snapshot.points, y - 1 * s, text)
        y += 3 * s
    return y - 3 * s


def _kpi_table(ax: Axes, write: _Writer, rows: Sequence[tuple[str, str]], top: float, width: float,
               heading: str) -> float:
    s = write.scale
    y = top
    write(ax, 0, y, heading, 10, va="top", weight="bold")
    y -= 7 * s
    ax.plot([0, width], [y + 1.2 * s, y + 1.2 * s], color="#444444", linewidth=0.8 * s)
    for label, value in rows:
        write(ax, 0, y - 2.6 * s, label, 8.5, va="center")
        write(ax, width, y - 2.6 * s, value, 8.5, va="center", ha="right")
        y -= 5.6 * s
        ax.plot([0, width], [y + 0.4 * s, y + 0.4 * s], color="#cccccc", linewidth=0.5 * s)
    return y - 3 * s


def _notes(ax: Axes, write: _Writer, notes: Sequence[str], top: float, width: float,
           color: str = "#8c510a") -> float:
    s = write.scale
    y = top
    size = 8.0
    width_em = width / (size * s / PT_PER_MM) - 1.5  # the estimate is rough: keep a margin
    for note in notes:
        for line in wrap("• " + note, width_em):
            write(ax, 0, y, line, size, va="top", color=color)
            y -= 4.6 * s
    return y


def snapshot_figure(snapshot: Snapshot, *, title: str, text: Text, paper: str = "A4",
                    orientation: str = "landscape", generated: datetime | None = None,
                    page_label: str | None = None, extra_notices: Sequence[str] = (),
                    cap: int = MAX_LABELS) -> Figure:
    """A complete print page of one view. `title` is used verbatim (clean it first)."""
    pw, ph = paper_size(paper, orientation)
    s = min(pw, ph) / 210.0
    fig = Figure(figsize=(pw * MM, ph * MM))
    fig.patch.set_facecolor("white")
    write = _Writer(s, text)
    margin, top_band, footer = 10 * s, 24 * s, 15 * s
    write(fig, 0.5, 1 - 7 * s / ph, title, 17, ha="center", va="top", weight="bold")
    write(fig, 0.5, 1 - 16.5 * s / ph, describe_view(snapshot, text), 8.5, ha="center", va="top",
          color="#444444")
    if snapshot.demo:
        _demo_badge(fig, write, text, (pw, ph))

    if orientation == "landscape":
        panel_w = 0.27 * pw
        map_box = (margin, footer, pw - 2 * margin - panel_w - 5 * s, ph - top_band - footer)
        panels = [(pw - margin - panel_w, footer, panel_w, ph - top_band - footer)]
    else:
        panel_h = 0.26 * ph
        map_box = (margin, footer + panel_h + 8 * s, pw - 2 * margin, ph - top_band - footer - panel_h - 8 * s)
        half = (pw - 2 * margin - 8 * s) / 2
        panels = [(margin, footer, half, panel_h), (margin + half + 8 * s, footer, half, panel_h)]
    ax = fig.add_axes((map_box[0] / pw, map_box[1] / ph, map_box[2] / pw, map_box[3] / ph))
    result = draw_map(ax, snapshot, write, box_mm=(map_box[2], map_box[3]), cap=cap)

    notices = list(snapshot.notices) + list(extra_notices)
    if result.labels_skipped:
        notices.append(text("export.labels_skipped", count=result.labels_skipped))
    kpis = list(snapshot.kpis) + [(text("export.kpi_units"), str(snapshot.shown))]
    first = _panel_axes(fig, panels[0], (pw, ph))
    y = _legend(first, write, snapshot, panels[0][3], panels[0][2], text)
    if len(panels) == 1:
        y = _kpi_table(first, write, kpis, y, panels[0][2], text("export.kpi"))
        notes_ax, notes_top, notes_w = first, y, panels[0][2]
    else:
        second = _panel_axes(fig, panels[1], (pw, ph))
        y2 = _kpi_table(second, write, kpis, panels[1][3], panels[1][2], text("export.kpi"))
        notes_ax, notes_top, notes_w = second, y2, panels[1][2]
    missing = missing_glyphs(write.strings)
    if missing:
        notices.append(text("export.missing_glyphs", chars=" ".join(missing[:20])))
    _notes(notes_ax, write, notices, notes_top, notes_w)
    _footer(fig, write, snapshot, text, (pw, ph), generated or now(), page_label)
    return fig


def _demo_badge(fig: Figure, write: _Writer, text: Text, paper_mm: tuple[float, float]) -> None:
    pw, ph = paper_mm
    s = write.scale
    write(fig, 10 * s / pw, 1 - 7 * s / ph, text("demo.badge"), 9, ha="left", va="top", color="white",
          weight="bold", bbox={"boxstyle": "round,pad=0.35", "facecolor": DEMO_COLOR, "edgecolor": "none"})


def _footer(fig: Figure, write: _Writer, snapshot: Snapshot, text: Text, paper_mm: tuple[float, float],
            generated: datetime, page_label: str | None) -> None:
    pw, ph = paper_mm
    s = write.scale
    left, right = 10 * s / pw, 1 - 10 * s / pw
    source = text("export.source", source=snapshot.source)
    write(fig, left, 9 * s / ph, source, 7.5, ha="left", va="center", color="#333333")
    if snapshot.demo:
        write(fig, left, 4.5 * s / ph, demo_notice(snapshot.demo_kinds, text), 7.5, ha="left", va="center",
              color=DEMO_COLOR)
    stamp = text("export.generated", time=generated.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M"))
    write(fig, right, 9 * s / ph, stamp, 7.5, ha="right", va="center", color="#333333")
    if page_label:
        write(fig, right, 4.5 * s / ph, page_label, 7.5, ha="right", va="center", color="#333333")


def table_rows(snapshot: Snapshot, text: Text) -> list[tuple[str, str, str, str]]:
    """(name, status, remaining, incidence) of every unit the view lists, for the pack's cover
    (context units of a mode left out)."""
    shapes = snapshot.shapes
    if "context" in shapes:
        shapes = shapes.loc[~shapes["context"].fillna(False).astype(bool)]
    out = []
    for _, row in shapes.iterrows():
        status = row["status"] if isinstance(row["status"], str) else "no_data"
        remaining = "—" if _na(row["remaining_poor"]) else f"{int(row['remaining_poor']):,}"
        incidence = "—" if _na(row["incidence"]) else f"{float(row['incidence']) * 100:.2f} %"
        out.append((str(row[NAME]), text(f"status.{status}"), remaining, incidence))
    return out


def _na(value) -> bool:
    try:
        return bool(value is None or value != value or str(value) == "<NA>")
    except TypeError:
        return True


ROW_MM, HEADER_MM = 5.2, 12.4     # children table: row height, heading + column header (x scale)
FOOTER_MM = 15.0                   # footer band (x scale); nothing else is drawn below it
TABLE_GAP_MM = 8.0                 # between table columns (x scale)


def cover_figures(snapshot: Snapshot, *, title: str, text: Text, paper: str = "A4",
                  orientation: str = "landscape", generated: datetime | None = None) -> list[Figure]:
    """The briefing pack's cover: title, the region's KPIs and legend, an overview map of its
    children and the table of every child, continued on further pages when it does not fit
    (nothing is drawn over the footer). Page numbers are added by `label_page`."""
    rows = table_rows(snapshot, text)
    pw, ph = paper_size(paper, orientation)
    s = min(pw, ph) / 210.0
    generated = generated or now()
    fig = Figure(figsize=(pw * MM, ph * MM))
    fig.patch.set_facecolor("white")
    write = _Writer(s, text)
    margin, footer = 10 * s, FOOTER_MM * s
    write(fig, 0.5, 1 - 14 * s / ph, title, 22, ha="center", va="top", weight="bold")
    write(fig, 0.5, 1 - 27 * s / ph, describe_view(snapshot, text), 9, ha="center", va="top",
          color="#444444")
    if snapshot.demo:
        _demo_badge(fig, write, text, (pw, ph))
    top = ph - 38 * s
    if orientation == "landscape":
        map_box = (margin, footer, pw * 0.42, top - footer)
        right = (margin + pw * 0.42 + 8 * s, footer + 2 * s, pw - 2 * margin - pw * 0.42 - 8 * s,
                 top - footer - 2 * s)
    else:
        map_box = (margin, ph * 0.5, pw - 2 * margin, top - ph * 0.5)
        right = (margin, footer + 2 * s, pw - 2 * margin, ph * 0.5 - footer - 6 * s)
    ax = fig.add_axes((map_box[0] / pw, map_box[1] / ph, map_box[2] / pw, map_box[3] / ph))
    result = draw_map(ax, snapshot, write, box_mm=(map_box[2], map_box[3]))
    panel = _panel_axes(fig, right, (pw, ph))
    width = right[2]
    half = (width - TABLE_GAP_MM * s) / 2
    y_kpi = _kpi_table(panel, write, snapshot.kpis, right[3], half, text("export.kpi"))
    y_legend = _legend(panel, write, snapshot, right[3], half, text, x0=half + TABLE_GAP_MM * s)
    y = min(y_kpi, y_legend)
    notices = list(snapshot.notices)
    if result.labels_skipped:
        notices.append(text("export.labels_skipped", count=result.labels_skipped))
    missing = missing_glyphs([*write.strings, *(r[0] for r in rows)])
    if missing:
        notices.append(text("export.missing_glyphs", chars=" ".join(missing[:20])))
    # the notes get their own band at the bottom of the panel; the table stops above it
    size_em = width / (8.0 * s / PT_PER_MM) - 1.5
    lines = sum(len(wrap("• " + n, size_em)) for n in notices)
    notes_h = lines * 4.6 * s + (2 * s if lines else 0)
    _notes(panel, write, notices, notes_h, width)
    placed = _children_table(panel, write, rows, text, top=y, bottom=notes_h, width=width, columns=2,
                             heading=text("export.cover_children"))
    _footer(fig, write, snapshot, text, (pw, ph), generated, None)
    pages = [fig]
    rest = rows[placed:]
    while rest:
        page = Figure(figsize=(pw * MM, ph * MM))
        page.patch.set_facecolor("white")
        write_more = _Writer(s, text)
        write_more(page, 0.5, 1 - 14 * s / ph, title, 17, ha="center", va="top", weight="bold")
        if snapshot.demo:
            _demo_badge(page, write_more, text, (pw, ph))
        box = (margin, footer + 2 * s, pw - 2 * margin, ph - 30 * s - footer - 2 * s)
        more = _panel_axes(page, box, (pw, ph))
        placed = _children_table(more, write_more, rest, text, top=box[3], bottom=0.0, width=box[2],
                                 columns=3 if orientation == "landscape" else 2,
                                 heading=text("export.cover_children_more"))
        _footer(page, write_more, snapshot, text, (pw, ph), generated, None)
        write.strings.extend(write_more.strings)
        pages.append(page)
        if placed == 0:   # cannot happen with the fixed layout; never loop forever
            break
        rest = rest[placed:]
    return pages


def label_page(fig: Figure, label: str, *, paper: str, orientation: str, text: Text) -> None:
    """Write the page number ('第 2 页，共 9 页') in the footer of a page made without one."""
    pw, ph = paper_size(paper, orientation)
    s = min(pw, ph) / 210.0
    _Writer(s, text)(fig, 1 - 10 * s / pw, 4.5 * s / ph, label, 7.5, ha="right", va="center",
                     color="#333333")


def _children_table(ax: Axes, write: _Writer, rows: Sequence[tuple[str, str, str, str]], text: Text, *,
                    top: float, bottom: float, width: float, columns: int, heading: str) -> int:
    """As many `rows` as fit between `top` and `bottom` (mm, panel coordinates), in `columns`
    side-by-side tables; returns how many were drawn."""
    s = write.scale
    row_h = ROW_MM * s
    per_column = int((top - bottom - HEADER_MM * s) // row_h)
    if per_column <= 0 or not rows:
        return 0
    write(ax, 0, top, heading, 10, va="top", weight="bold")
    col_w = (width - (columns - 1) * TABLE_GAP_MM * s) / columns
    stops = (0.0, 0.33, 0.75, 1.0)   # name, status (left); remaining, incidence (right-aligned)
    header = (text("field.name"), text("field.status"), text("field.remaining_poor"), text("field.incidence"))
    placed = 0
    for c in range(columns):
        chunk = rows[placed: placed + per_column]
        if not chunk:
            break
        x0 = c * (col_w + TABLE_GAP_MM * s)
        y = top - 7 * s
        for i, label in enumerate(header):
            x = x0 + stops[i] * col_w
            write(ax, x, y - 2.6 * s, label, 7.5, va="center", ha="right" if i >= 2 else "left", color="#444444")
        y -= 5.4 * s
        ax.plot([x0, x0 + col_w], [y + 0.6 * s, y + 0.6 * s], color="#444444", linewidth=0.8 * s)
        for name, status, remaining, incidence in chunk:
            write(ax, x0, y - 2.6 * s, name, 8, va="center")
            write(ax, x0 + stops[1] * col_w, y - 2.6 * s, status, 8, va="center")
            write(ax, x0 + stops[2] * col_w, y - 2.6 * s, remaining, 8, va="center", ha="right")
            write(ax, x0 + col_w, y - 2.6 * s, incidence, 8, va="center", ha="right")
            y -= row_h
            ax.plot([x0, x0 + col_w], [y + 0.4 * s, y + 0.4 * s], color="#dddddd", linewidth=0.4 * s)
        placed += len(chunk)
    return placed
