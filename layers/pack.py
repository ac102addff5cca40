"""Briefing pack (汇报材料): one multi-page PDF for a region, a cover page with the region's KPIs
and one page per child unit (the counties of the whole dataset, or the townships of a county), and the
same pages as PNGs in a zip. The pages are the same figures as the single-view export.

The command line is `python -m cli.pack` (cli/pack.py).
"""
from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages

from geo.aggregate import unit_figures
from geo.codes import code_level
from geo.identity import identity_of
from geo.read import Bundle
from geo.simplify import display_units
from geo.view import ROOT, View
from layers.export import CREATOR, DPI, GLYPH_WARNING, RC, png_bytes
from layers.snapshot import (
    Text,
    children,
    clean_title,
    default_title,
    normalize_region,
    prepare_snapshot,
)
from layers.static_map import cover_figures, label_page, now, snapshot_figure

Progress = Callable[[int, int, str], None]   # (pages done, pages total, name of the next page)


@dataclass(frozen=True)
class Pack:
    pdf: bytes
    zip: bytes
    pages: int
    names: tuple[str, ...]   # cover first, then the child units


def safe_name(name: str) -> str:
    """`name` usable in a file name inside a zip (path separators, reserved and control
    characters become _)."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip(" .") or "_"


def pack_views(bundle: Bundle, region: str, *, year: int, indicator: str = "status",
               classing: str = "quantiles", compare_year: int | None = None) -> tuple[View, list[tuple[str, str, View]]]:
    """The cover's view (the region's children) and (code, name, view) per child page; with
    `compare_year`, every page shows the change since that year (变化 mode).

    Raises ValueError for a region that is not the whole dataset or a county."""
    identity = identity_of(bundle.units)
    region = normalize_region(region, identity)
    if region != ROOT and (region not in set(bundle.units["code"]) or code_level(region) != "county"):
        raise ValueError(f"region must be the whole dataset ({ROOT!r} or {identity.aliases}) or a county "
                         f"code, got {region!r}")
    child_level = "county" if region == ROOT else "township"
    grandchild = {"county": "township", "township": "village"}[child_level]
    change = {"mode": "change", "compare_year": compare_year} if compare_year is not None else {}
    cover = View(level=child_level, region=region, indicator=indicator, classing=classing, year=year, **change)
    pages = [(code, name, View(level=grandchild, region=code, indicator=indicator, classing=classing,
                               year=year, **change))
             for code, name in children(bundle.units, region)]
    return cover, pages


def build_pack(bundle: Bundle, region: str, *, text: Text, demo: bool, source: str, year: int,
               demo_kinds: tuple[str, ...] = (),
               indicator: str = "status", classing: str = "quantiles", paper: str = "A4",
               orientation: str = "landscape", dpi: int = DPI, title: str | None = None,
               progress: Progress | None = None, generated: datetime | None = None,
               compare_year: int | None = None) -> Pack:
    """The briefing pack of `region`; `progress(done, total, next_name)` is called before each
    page and once at the end. Same figures as the single-view export; with `compare_year` the
    pages show the change since that year (变化 mode)."""
    cover_view, pages = pack_views(bundle, region, year=year, indicator=indicator, classing=classing,
                                   compare_year=compare_year)
    generated = generated or now()
    figures = unit_figures(bundle.units, bundle.exit_status, year)
    base = unit_figures(bundle.units, bundle.exit_status, compare_year) if compare_year is not None else None
    displays = {}

    def display(level: str):
        if level not in displays:
            displays[level] = display_units(bundle.units, level)
        return displays[level]

    report = progress or (lambda done, total, name: None)
    names = [text("export.cover")] + [name for _, name, _ in pages]
    report(0, len(pages) + 1, names[0])
    identity = identity_of(bundle.units)
    cover = prepare_snapshot(bundle, cover_view, text, demo=demo, demo_kinds=demo_kinds, source=source,
                             figures=figures, display=display(cover_view.level), identity=identity,
                             base_figures=base)
    cover_title, _ = clean_title(title, text("export.cover_title", region=cover.region_name, year=year))
    covers = cover_figures(cover, title=cover_title, text=text, paper=paper, orientation=orientation,
                           generated=generated)
    total = len(covers) + len(pages)
    pdf_out, zip_out = io.BytesIO(), io.BytesIO()
    with matplotlib.rc_context(RC), warnings.catch_warnings(), \
            PdfPages(pdf_out, metadata={"Title": cover_title, "Creator": CREATOR}) as pdf, \
            zipfile.ZipFile(zip_out, "w", compression=zipfile.ZIP_STORED) as archive:
        warnings.filterwarnings("ignore", message=GLYPH_WARNING, category=UserWarning)
        for number, fig in enumerate(covers, start=1):
            label_page(fig, text("export.page", page=number, pages=total), paper=paper,
                       orientation=orientation, text=text)
            pdf.savefig(fig)
            suffix = "" if number == 1 else f"_{number}"
            archive.writestr(f"00_{safe_name(names[0])}{suffix}.png", png_bytes(fig, dpi))
        for number, (code, name, view) in enumerate(pages, start=len(covers) + 1):
            report(number - len(covers), len(pages) + 1, name)
            snapshot = prepare_snapshot(bundle, view, text, demo=demo, demo_kinds=demo_kinds, source=source,
                                        figures=figures, display=display(view.level), identity=identity,
                                        base_figures=base)
            page_title = default_title(snapshot, text)
            fig = snapshot_figure(snapshot, title=page_title, text=text, paper=paper,
                                  orientation=orientation, generated=generated,
                                  page_label=text("export.page", page=number, pages=total))
            pdf.savefig(fig)
            # code (unique) and name (readable); characters a file system refuses become _
            archive.writestr(f"{number - len(covers):02d}_{code}_{safe_name(name)}.png", png_bytes(fig, dpi))
    report(len(pages) + 1, len(pages) + 1, "")
    return Pack(pdf_out.getvalue(), zip_out.getvalue(), total, tuple(names))
