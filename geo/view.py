"""What a map page shows, as plain data: level, region, indicator, classing, year, mode and
filters. Parsing from / writing to URL query parameters, drill-down and breadcrumbs.

Pure functions; streamlit glue lives in ui/state.py.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import pandas as pd

from geo.aggregate import STATUSES
from geo.classify import METHODS
from geo.codes import CodeError, code_level, normalize_code, parent_code
from geo.glyphs import display_text
from geo.schema import CODE, LEVEL, NAME, YEARS

ROOT = "all"  # the whole dataset (its region: geo.identity)
INDICATORS = ("status", "incidence", "remaining_poor", "exit_rate", "monitored")
MODES = ("asof", "new", "change", "pair")   # pair: two years side by side
TWO_YEAR_MODES = ("change", "pair")          # modes that compare `compare_year` with `year`
CHANGE_DEFAULT_INDICATOR = "remaining_poor"  # the change mode has no categorical status
LEVEL_ORDER = ("county", "township", "village")
_CHILD = {ROOT: "county", "county": "township", "township": "village"}


@dataclass(frozen=True)
class View:
    level: str = "county"
    region: str = ROOT
    indicator: str = "status"
    classing: str = "quantiles"
    year: int = YEARS[-1]
    mode: str = "asof"
    poor_only: bool = False
    statuses: tuple[str, ...] = ()   # empty: every status
    selected: str | None = None
    compare_year: int | None = None  # change / pair modes: the earlier year (None: the page's default)


DEFAULT = View()


def latest_open_year(exit_status: pd.DataFrame) -> int:
    """The latest campaign year whose year-end map still shows work: some poor unit not exited
    by then (not an all-green map). When none is (or no row flags a poor unit, e.g. a township
    table without 贫困县), the latest delivered year; the last campaign year without data."""
    poor = exit_status.loc[(exit_status["poor_flag"] == True).fillna(False).astype(bool)]  # noqa: E712
    open_rows = poor.loc[poor["actual_exit_year"].isna() | (poor["actual_exit_year"] > poor["year"])]
    years = sorted(set(int(y) for y in open_rows["year"]) & set(YEARS))
    if years:
        return years[-1]
    delivered = sorted(set(int(y) for y in exit_status["year"].dropna()) & set(YEARS))
    return delivered[-1] if delivered else YEARS[-1]


def region_level(region: str) -> str:
    return ROOT if region == ROOT else code_level(region)


def levels_below(region: str) -> tuple[str, ...]:
    """Levels a region can be shown at (its children and below)."""
    start = LEVEL_ORDER.index(_CHILD[region_level(region)])
    return LEVEL_ORDER[start:]


def parse_view(params: Mapping[str, str], units: pd.DataFrame, *,
               default_year: int | None = None, delivered: Sequence[int] = YEARS) -> tuple[View, list[str]]:
    """View from query parameters. Every bad parameter falls back to its default (the year to
    `default_year` if given) and its name is returned in `problems` (for a visible notice);
    nothing from `params` is echoed. The earlier year of a change (`from`) must be one of the
    `delivered` years before the as-of year."""
    problems: list[str] = []
    known = set(units[CODE])
    levels = dict(zip(units[CODE].tolist(), units[LEVEL].tolist()))

    def pick(name: str, allowed, default):
        raw = params.get(name)
        if raw is None:
            return default
        if raw in allowed:
            return raw
        problems.append(name)
        return default

    region = ROOT
    raw_region = params.get("region")
    if raw_region is not None and raw_region != ROOT:
        try:
            code = normalize_code(raw_region)
        except CodeError:
            code = None
        if code in known and levels[code] in ("county", "township"):
            region = code
        else:
            problems.append("region")
    level = pick("level", levels_below(region), _CHILD[region_level(region)])
    indicator = pick("indicator", INDICATORS, DEFAULT.indicator)
    classing = pick("classing", METHODS, DEFAULT.classing)
    year = int(pick("year", {str(y) for y in YEARS}, str(default_year or DEFAULT.year)))
    mode = pick("mode", MODES, DEFAULT.mode)
    if mode == "change" and indicator == "status":   # a change needs a number
        if "indicator" in params:
            problems.append("indicator")
        indicator = CHANGE_DEFAULT_INDICATOR
    compare_year = None
    raw_from = params.get("from")
    if raw_from is not None:
        if raw_from.isdigit() and int(raw_from) in YEARS and int(raw_from) in delivered and int(raw_from) < year:
            compare_year = int(raw_from)
        else:
            problems.append("from")
    poor_only = pick("poor", {"0", "1"}, "0") == "1"
    statuses: tuple[str, ...] = ()
    if params.get("status"):
        wanted = tuple(s for s in params["status"].split(",") if s)
        if all(s in STATUSES for s in wanted):
            statuses = wanted
        else:
            problems.append("status")
    selected = None
    if params.get("selected"):
        raw = params["selected"]
        if raw in known and levels[raw] == level and raw.startswith(region_prefix(region)):
            selected = raw
        else:
            problems.append("selected")
    view = View(level=level, region=region, indicator=indicator, classing=classing, year=year,
                mode=mode, poor_only=poor_only, statuses=statuses, selected=selected,
                compare_year=compare_year if mode in TWO_YEAR_MODES else None)
    return view, problems


def view_params(view: View) -> dict[str, str]:
    """Query parameters that reproduce `view` (defaults omitted, except the year)."""
    out = {"level": view.level, "region": view.region, "indicator": view.indicator,
           "classing": view.classing, "year": str(view.year), "mode": view.mode}
    if view.poor_only:
        out["poor"] = "1"
    if view.statuses:
        out["status"] = ",".join(view.statuses)
    if view.selected:
        out["selected"] = view.selected
    if view.mode in TWO_YEAR_MODES and view.compare_year is not None:
        out["from"] = str(view.compare_year)
    return out


def region_prefix(region: str) -> str:
    if region == ROOT:
        return ""
    return region[: {"county": 6, "township": 9}[code_level(region)]]


def show_region(view: View, region: str) -> View:
    """The view of `region`'s children (breadcrumb target; ROOT shows the counties)."""
    return replace(view, region=region, level=_CHILD[region_level(region)], selected=None)


def drill(view: View, code: str) -> View:
    """The view after clicking unit `code`: counties open their townships, townships their
    villages; a village click selects it."""
    level = code_level(code)
    if level in ("county", "township"):
        return show_region(view, code)
    return replace(view, selected=code)


def focus(view: View, code: str) -> View:
    """The view that shows unit `code` highlighted among its siblings (search result)."""
    level = code_level(code)
    region = ROOT if level == "county" else parent_code(code)
    return replace(view, region=region, level=level, selected=code)


def breadcrumb(view: View, units: pd.DataFrame) -> list[tuple[str, str | None]]:
    """[(region code, name)] from the root down to the view's region; the root's name is None
    (the caller words it)."""
    names = dict(zip(units[CODE].tolist(), units[NAME].tolist()))
    chain: list[tuple[str, str | None]] = [(ROOT, None)]
    if view.region == ROOT:
        return chain
    codes = [view.region]
    while code_level(codes[-1]) == "township":
        codes.append(parent_code(codes[-1]))
    chain.extend((code, names.get(code, code)) for code in reversed(codes))
    return chain


def units_in_view(figures: pd.DataFrame, view: View) -> pd.DataFrame:
    """The rows of `figures` the view shows: level, region and filters applied."""
    rows = figures.loc[(figures[LEVEL] == view.level) & figures[CODE].str.startswith(region_prefix(view.region))]
    if view.poor_only:
        if view.level == "township":
            rows = rows.loc[(rows["poor_villages"] > 0).fillna(False).astype(bool)]
        else:
            rows = rows.loc[(rows["poor_flag"] == True).fillna(False).astype(bool)]  # noqa: E712
    if view.statuses:
        rows = rows.loc[rows["status"].isin(view.statuses)]
    if view.mode == "new":
        rows = rows.loc[rows["newly_exited"]]
    return rows


def context_units(figures: pd.DataFrame, view: View) -> pd.DataFrame:
    """The units of the view's level and region that its mode leaves out (当年新退出: the units
    that did not exit in the year): drawn as neutral context, never counted. Empty in asof mode."""
    if view.mode != "new":
        return figures.iloc[0:0]
    shown = set(units_in_view(figures, view)[CODE])
    rows = figures.loc[(figures[LEVEL] == view.level) & figures[CODE].str.startswith(region_prefix(view.region))]
    return rows.loc[~rows[CODE].isin(shown)]


def parent_chain(code: str, names: Mapping[str, str]) -> str:
    """'渠县 > 静边镇 > 新民村'-style chain for telling apart units with the same name."""
    chain = [code]
    while code_level(chain[-1]) in ("township", "village"):
        chain.append(parent_code(chain[-1]))
    return " > ".join(names.get(c, c) for c in reversed(chain))


def search_units(units: pd.DataFrame, query: str) -> list[tuple[str, str]]:
    """Every unit whose name contains `query` or whose code starts with it, plus the townships
    of a matching county ("万源" finds 万源市 and its townships): [(code, parent chain)],
    counties first, then townships, then villages, each in code order. No limit: page it."""
    query = display_text(query.strip())   # a rare character typed or pasted finds its substitute
    if not query:
        return []
    names = dict(zip(units[CODE].tolist(), units[NAME].tolist()))
    direct = units[NAME].str.contains(query, regex=False) | units[CODE].str.startswith(query)
    counties = units.loc[direct & (units[LEVEL] == "county"), CODE].str.slice(0, 6)
    towns_of = (units[LEVEL] == "township") & units[CODE].str.slice(0, 6).isin(set(counties))
    hits = units.loc[direct | towns_of]
    hits = hits.assign(_order=hits[LEVEL].map({lvl: i for i, lvl in enumerate(LEVEL_ORDER)}))
    hits = hits.sort_values(["_order", CODE])
    return [(code, parent_chain(code, names)) for code in hits[CODE]]


SEARCH_PAGE = 20


def page_of(items: list, page: int, size: int = SEARCH_PAGE) -> tuple[list, int]:
    """(the items of 1-based `page`, number of pages); a page out of range is clamped."""
    pages = max(1, -(-len(items) // size))
    page = min(max(1, page), pages)
    return items[(page - 1) * size: page * size], pages


def parse_page_params(raw: Mapping[str, str | None], spec: Mapping[str, tuple]) -> tuple[dict, list[str]]:
    """Page-specific URL parameters. `spec` maps a name to ("list", allowed), ("choice", allowed),
    ("flag",), ("int", low, high) or ("float", low, high) (floats are clamped). Absent names are
    left out; bad ones are named in `problems` and left out (the page keeps its default)."""
    values: dict = {}
    problems: list[str] = []
    for name, (kind, *args) in spec.items():
        text = raw.get(name)
        if text is None:
            continue
        value = None
        if kind == "list":
            items = [v for v in text.split(",") if v]
            value = items if set(items) <= set(args[0]) else None
        elif kind == "choice":
            value = text if text in args[0] else None
        elif kind == "flag":
            value = {"0": False, "1": True}.get(text)
        elif kind == "int":
            value = int(text) if text.isdigit() and args[0] <= int(text) <= args[1] else None
        elif kind == "float":
            try:
                number = float(text)
                value = min(args[1], max(args[0], number)) if number == number else None
            except ValueError:
                value = None
        if value is None:
            problems.append(name)
        else:
            values[name] = value
    return values, problems
