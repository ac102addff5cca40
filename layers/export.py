"""Snapshot of a view as PNG, PDF or a self-contained interactive HTML file.

PNG/PDF come from `layers.static_map` (PDF: vector, the bundled font embedded as TrueType so the
text stays searchable); HTML is the portal's own map (same units layer, legend, tooltips) with
every script and stylesheet inlined, so it opens offline on any machine.
"""
from __future__ import annotations

import html
import io
import warnings
from datetime import datetime

import folium
import matplotlib
from branca.element import Element
from matplotlib.figure import Figure

from layers.base import base_map
from layers.offline import external_urls, inline_assets
from layers.palette import FLAG_COLOR
from layers.snapshot import Snapshot, Text, demo_notice, describe_view, tooltip_fields
from layers.static_map import TIMEZONE, now, snapshot_figure
from layers.view_layer import view_layer

FORMATS = ("png", "pdf", "html")
MIME = {"png": "image/png", "pdf": "application/pdf", "html": "text/html",
        "zip": "application/zip"}
DPI = 200
CREATOR = "exit-progress-portal"
GLYPH_WARNING = "Glyph .* missing from font"  # the page names those characters itself
# Type 42 = TrueType embedded as is (subset): vector glyphs, text extractable (pdftotext).
RC = {"pdf.fonttype": 42, "ps.fonttype": 42, "pdf.compression": 6, "hatch.linewidth": 0.4}


def png_bytes(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as a PNG at `dpi` (200 dpi or more for print)."""
    with matplotlib.rc_context(RC), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=GLYPH_WARNING, category=UserWarning)
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=dpi, facecolor="white")
    return out.getvalue()


def pdf_bytes(fig: Figure, *, title: str) -> bytes:
    """The figure as a one-page vector PDF with the bundled font embedded."""
    with matplotlib.rc_context(RC), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=GLYPH_WARNING, category=UserWarning)
        out = io.BytesIO()
        fig.savefig(out, format="pdf", metadata={"Title": title, "Creator": CREATOR})
    return out.getvalue()


def html_bytes(snapshot: Snapshot, *, title: str, text: Text, generated: datetime | None = None) -> bytes:
    """A self-contained interactive map of the view (UTF-8 HTML, no external reference).

    Raises ValueError if anything external would remain in the page."""
    m = base_map(snapshot.bounds)
    rows = snapshot.shapes
    if snapshot.html_units:
        fields = tooltip_fields(rows, snapshot.view, text, small_count=snapshot.small_count)
        group = view_layer(rows, snapshot.styled, name=snapshot.subject or text(f"indicator.{snapshot.view.indicator}"),
                           fields=fields, flags=rows["flag"].notna(), flag_text=text("flag.tooltip"),
                           count_format=text("legend.count", label="{label}", count="{count}"),
                           no_data_label=text("status.no_data"), selected=snapshot.view.selected)
        m.add_child(group)
    for layer in snapshot.html_layers:   # a page's own groups (sites, service layers), in its order
        m.add_child(layer)
    if int(snapshot.html_units) + len(snapshot.html_layers) > 1:
        m.add_child(folium.LayerControl(position="topright", collapsed=False))
    stamp = (generated or now()).astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M")
    lines = [describe_view(snapshot, text), *snapshot.notices,
             text("export.source", source=snapshot.source), text("export.generated", time=stamp)]
    if snapshot.demo:
        lines.insert(1, demo_notice(snapshot.demo_kinds, text))
    kpis = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in snapshot.kpis)
    panel = (
        '<div class="export-panel"><h1>' + html.escape(title) + "</h1>"
        + "".join(f"<p>{html.escape(line)}</p>" for line in lines)
        + f'<table class="portal-tooltip">{kpis}</table></div>'
    )
    style = (
        "<style>.export-panel{position:absolute;top:10px;left:54px;z-index:1000;max-width:420px;"
        "background:rgba(255,255,255,.94);padding:8px 12px;border-radius:4px;"
        "box-shadow:0 1px 4px rgba(0,0,0,.3);font:12px/1.5 'Noto Sans CJK SC','Microsoft YaHei',"
        f"'PingFang SC',sans-serif;color:#222}}.export-panel h1{{font-size:16px;margin:0 0 4px}}"
        f".export-panel p{{margin:0}}.export-panel .flag{{color:{FLAG_COLOR}}}</style>"
    )
    root = m.get_root()
    root.title = html.escape(title)
    root.header.add_child(Element(style), name="export_style")
    root.html.add_child(Element(panel), name="export_panel")
    page = inline_assets(root.render())
    leftover = external_urls(page)
    if leftover:
        raise ValueError(f"export would load external resources: {leftover[:3]}")
    return page.encode("utf-8")


def export_view(snapshot: Snapshot, fmt: str, *, title: str, text: Text, paper: str = "A4",
                orientation: str = "landscape", dpi: int = DPI,
                generated: datetime | None = None) -> bytes:
    """The view in one of FORMATS; `title` already cleaned (layers.snapshot.clean_title)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    generated = generated or now()
    if fmt == "html":
        return html_bytes(snapshot, title=title, text=text, generated=generated)
    fig = snapshot_figure(snapshot, title=title, text=text, paper=paper, orientation=orientation,
                          generated=generated)
    return png_bytes(fig, dpi) if fmt == "png" else pdf_bytes(fig, title=title)
