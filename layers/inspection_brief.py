"""督战 briefing (督战简报): one PDF for the whole dataset or one county on an as-of day. The cover
holds the totals, the overdue problems per county and the 销号 burn-down chart; then one page per
county with its map (villages coloured by the problem traffic light, the same classes and colours
as on screen) and its overdue list. Pages are drawn with the single-view export's machinery
(layers.static_map), so fonts, footer and demo notice match every other export.
"""
from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

import geopandas as gpd
import matplotlib
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from geo import inspection as ins
from geo.codes import code_level
from geo.identity import identity_of
from geo.read import Bundle
from geo.schema import CODE, YEARS
from geo.view import ROOT, View
from layers.export import CREATOR, GLYPH_WARNING, RC
from layers.inspection_layer import PROBLEM_COLORS, draw_burn_down, light_styled
from layers.snapshot import (Snapshot, Text, children, clean_title, normalize_region, prepare_snapshot, region_name,
                             with_layers)
from layers.static_map import (
    MM,
    _demo_badge,
    _footer,
    _kpi_table,
    _panel_axes,
    _Writer,
    now,
    paper_size,
    snapshot_figure,
)

OVERDUE_LINES = 14   # overdue problems listed on a county page (the rest are counted)


@dataclass(frozen=True)
class Briefing:
    pdf: bytes
    pages: int
    names: tuple[str, ...]   # cover first, then the counties


def _state_labels(text: Text, due_days: int) -> list[str]:
    return [text(f"insp.state.{s}", days=due_days) for s in ins.PROBLEM_STATES]


def _cover(states: pd.DataFrame, projects: pd.DataFrame | None, by_county: pd.DataFrame, trend: pd.DataFrame,
           marks: list[pd.Timestamp], asof: pd.Timestamp, *, title: str, subtitle: str, snapshot: Snapshot,
           text: Text, generated: datetime, page_label: str) -> Figure:
    pw, ph = paper_size("A4", "landscape")
    s = min(pw, ph) / 210.0
    fig = Figure(figsize=(pw * MM, ph * MM))
    write = _Writer(s, text)
    write(fig, 0.5, 1 - 12 * s / ph, title, 20, ha="center", va="top", weight="bold")
    write(fig, 0.5, 1 - 23 * s / ph, subtitle, 9, ha="center", va="top", color="#444444")
    if snapshot.demo:
        _demo_badge(fig, write, text, (pw, ph))
    margin, footer, top = 10 * s, 15 * s, ph - 34 * s
    left_w = 95 * s
    panel = _panel_axes(fig, (margin, footer, left_w, top - footer), (pw, ph))
    total = ins.totals(states)
    rows = [(text("insp.kpi.found"), f"{total['found']:,}"),
            (text("insp.kpi.closed"), text("insp.kpi.closed_value", closed=total["closed"], late=total["closed_late"])),
            (text("insp.kpi.open"), f"{total['overdue'] + total['due_soon'] + total['open']:,}"),
            (text("insp.kpi.overdue"), f"{total['overdue']:,}"),
            (text("insp.kpi.due_soon"), f"{total['due_soon']:,}")]
    if projects is not None:
        rows.append((text("insp.kpi.projects_late"), text(
            "insp.kpi.projects_value", start=int((projects["state"] == "start_late").sum()),
            finish=int((projects["state"] == "finish_late").sum()), total=len(projects))))
    y = _kpi_table(panel, write, rows, top - footer, left_w, text("insp.brief.totals"))
    write(panel, 0, y, text("insp.brief.by_county"), 10, va="top", weight="bold")
    y -= 7 * s
    columns = (0.0, 0.55, 0.78, 1.0)
    header = (text("insp.brief.col.county"), text("insp.brief.col.found"), text("insp.brief.col.open"),
              text("insp.brief.col.overdue"))
    for i, label in enumerate(header):
        write(panel, columns[i] * left_w, y - 2.6 * s, label, 8, va="center", ha="right" if i else "left",
              color="#444444")
    y -= 5.4 * s
    panel.plot([0, left_w], [y + 0.6 * s, y + 0.6 * s], color="#444444", linewidth=0.8 * s)
    for _, row in by_county.iterrows():
        values = (str(row["name"]), f"{int(row['total']):,}", f"{int(row['open_total']):,}",
                  f"{int(row['overdue']):,}")
        for i, value in enumerate(values):
            write(panel, columns[i] * left_w, y - 2.6 * s, value, 8.5, va="center", ha="right" if i else "left",
                  color=PROBLEM_COLORS[0] if i == 3 and row["overdue"] else "#111111")
        y -= 5.2 * s
        panel.plot([0, left_w], [y + 0.4 * s, y + 0.4 * s], color="#dddddd", linewidth=0.4 * s)
    chart_x = margin + left_w + 12 * s
    chart_w = pw - chart_x - margin
    write(fig, chart_x / pw, (top - 2 * s) / ph, text("insp.burn_title"), 10, va="top", weight="bold")
    ax = fig.add_axes((chart_x / pw, (footer + 30 * s) / ph, chart_w / pw, (top - footer - 46 * s) / ph))
    draw_burn_down(ax, trend, labels={k: text(f"insp.burn.{k}") for k in ("found", "closed", "open", "overdue")},
                   deadlines=marks, deadline_label=text("insp.burn.deadline", date="{date}"), asof=asof,
                   asof_label=text("insp.burn.asof", date="{date}"), size=9 * s)
    _footer(fig, write, snapshot, text, (pw, ph), generated, page_label)
    return fig


def _overdue_lines(states: pd.DataFrame, prefix: str, names: dict[str, str], text: Text) -> list[str]:
    rows = ins.overdue_items(states, prefix)
    lines = [text("insp.brief.overdue_line", unit=names.get(str(r[CODE]), r[CODE]),
                  category=text(f"insp.category.{r['category']}"), days=-int(r["days_left"]), id=r["problem_id"])
             for _, r in rows.head(OVERDUE_LINES).iterrows()]
    if len(rows) > OVERDUE_LINES:
        lines.append(text("insp.brief.more", count=len(rows) - OVERDUE_LINES))
    return lines or [text("insp.brief.none")]


def build_briefing(bundle: Bundle, region: str, asof: pd.Timestamp, *, text: Text, demo: bool, source: str,
                   demo_kinds: tuple[str, ...] = (),
                   due_days: int, late_days: int, display: Callable[[str], gpd.GeoDataFrame] | None = None,
                   generated: datetime | None = None) -> Briefing:
    """The briefing PDF of `region` (ROOT / the city's code, or a county code) on `asof`.
    Raises ValueError without a problem list or for another region."""
    if bundle.problems is None:
        raise ValueError("no problem list in this dataset")
    region = normalize_region(region, identity_of(bundle.units))
    if region != ROOT and code_level(region) != "county":
        raise ValueError(f"region must be the whole dataset or a county, got {region!r}")
    asof = ins.as_day(asof)
    generated = generated or now()
    year = min(max(asof.year, YEARS[0]), YEARS[-1])
    prefix = "" if region == ROOT else region[:6]
    names = dict(zip(bundle.units[CODE], bundle.units["name"]))
    states = ins.problem_states(bundle.problems, asof, due_days=due_days)
    states = states.loc[states[CODE].astype(str).str.startswith(prefix) & (states["state"] != ins.NOT_FOUND)]
    projects = None
    if bundle.projects is not None:
        projects = ins.project_states(bundle.projects, asof, late_days=late_days)
        projects = projects.loc[projects[CODE].astype(str).str.startswith(prefix)]
    counties = [(region, names[region])] if region != ROOT else children(bundle.units, ROOT)
    by_county = ins.by_county(states, names)
    trend = ins.burn_down(bundle.problems.loc[bundle.problems[CODE].astype(str).str.startswith(prefix)],
                          bundle.problems["found_date"].min() - pd.Timedelta(days=1),
                          max(asof, bundle.problems["deadline"].max()) + pd.Timedelta(days=5))
    marks = ins.deadlines(bundle.problems)
    def shapes(level: str) -> gpd.GeoDataFrame | None:
        if display is not None:
            return display(level)
        return None

    title, _ = clean_title(text("insp.brief.title", region=region_name(bundle.units, region, text), date=f"{asof:%Y-%m-%d}"), "")
    total_pages = len(counties) + 1
    cover_view = View(level="county", region=region if region != ROOT else ROOT, year=year)
    cover_shot = prepare_snapshot(bundle, cover_view, text, demo=demo, demo_kinds=demo_kinds, source=source, display=shapes("county"))
    page_names = [text("export.cover")] + [name for _, name in counties]
    out = io.BytesIO()
    labels = _state_labels(text, due_days)
    with matplotlib.rc_context(RC), warnings.catch_warnings(), \
            PdfPages(out, metadata={"Title": title, "Creator": CREATOR}) as pdf:
        warnings.filterwarnings("ignore", message=GLYPH_WARNING, category=UserWarning)
        subtitle = text("insp.thresholds", due=due_days, late=late_days)
        pdf.savefig(_cover(states, projects, by_county, trend, marks, asof, title=title, subtitle=subtitle,
                           snapshot=cover_shot, text=text, generated=generated,
                           page_label=text("export.page", page=1, pages=total_pages)))
        for number, (code, name) in enumerate(counties, start=2):
            view = View(level="village", region=code, year=year)
            shot = prepare_snapshot(bundle, view, text, demo=demo, demo_kinds=demo_kinds, source=source, display=shapes("village"))
            own = states.loc[states[CODE].astype(str).str.startswith(code[:6])]
            counts = ins.per_unit(own, "village", ins.PROBLEM_STATES) if len(own) else None
            classes = (ins.light_classes(shot.shapes[CODE], counts) if counts is not None
                       else pd.Series(ins.NO_ITEMS, index=shot.shapes.index, dtype="int64"))
            classes.index = shot.shapes.index
            styled = light_styled(classes, PROBLEM_COLORS, labels, text("insp.layer.problems"))
            county_total = ins.totals(own) if len(own) else {"overdue": 0, "due_soon": 0, "open": 0, "found": 0}
            kpis = [(text("insp.kpi.found"), f"{county_total['found']:,}"),
                    (text("insp.brief.kpi_open"),
                     f"{county_total['overdue'] + county_total['due_soon'] + county_total['open']:,}"),
                    (text("insp.brief.kpi_overdue"), f"{county_total['overdue']:,}")]
            shot = with_layers(shot, styled=styled, subject=text("insp.layer.problems"), kpis=kpis, clear_flags=True)
            shot = replace(shot, asof_text=text("insp.asof_day", date=f"{asof:%Y-%m-%d}"))
            page_title, _ = clean_title(text("insp.brief.county_title", region=name, date=f"{asof:%Y-%m-%d}"), "")
            fig = snapshot_figure(shot, title=page_title, text=text, generated=generated,
                                  page_label=text("export.page", page=number, pages=total_pages),
                                  extra_notices=_overdue_lines(own, code[:6], names, text))
            pdf.savefig(fig)
    return Briefing(out.getvalue(), total_pages, tuple(page_names))
