"""Inspection (督战) rules on dated data: which problems are open, overdue or due soon on an as-of
day, which projects are late, the traffic light of a unit, the roll-up to a level and the closing
trend (销号 burn-down).

Pure functions on the typed tables of `geo.read` (dates are pandas Timestamps at midnight); inputs
are never mutated. Day arithmetic: an item due on the as-of day is *due*, not overdue; it is
overdue from the next day on. An item closed on the as-of day counts as closed on that day.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from geo.codes import code_level
from geo.schema import CODE

# Problem states on an as-of day, in traffic-light order (class index = position).
PROBLEM_STATES = ("overdue", "due_soon", "open", "closed")
OPEN_STATES = ("overdue", "due_soon", "open")
NOT_FOUND = "not_found"           # found after the as-of day: not shown at all
# Project states on an as-of day (class index = position).
PROJECT_STATES = ("start_late", "finish_late", "on_track", "finished")
NO_ITEMS = -1                     # class index of a unit without items
_DIGITS = {"county": 6, "township": 9, "village": 12}
_RANK = {"county": 0, "township": 1, "village": 2}


def as_day(value: date | str | pd.Timestamp) -> pd.Timestamp:
    """A day as a Timestamp at midnight (time of day dropped)."""
    return pd.Timestamp(value).normalize()


def parse_asof(raw: str | None) -> pd.Timestamp | None:
    """The `date` URL parameter (YYYY-MM-DD) as a day, or None when absent or malformed."""
    if not raw or len(raw) != 10:
        return None
    try:
        return as_day(date.fromisoformat(raw))
    except ValueError:
        return None


def data_date(problems: pd.DataFrame | None, projects: pd.DataFrame | None) -> pd.Timestamp | None:
    """The latest date written in the inspection tables (the default as-of day), or None."""
    dates = []
    if problems is not None:
        dates += [problems["found_date"], problems["closed_date"]]
    if projects is not None:
        dates += [projects["actual_start"], projects["actual_finish"]]
    values = pd.concat(dates) if dates else pd.Series(dtype="datetime64[ns]")
    values = values.dropna()
    return as_day(values.max()) if len(values) else None


def problem_states(problems: pd.DataFrame, asof: pd.Timestamp, *, due_days: int) -> pd.DataFrame:
    """A copy of `problems` with `state` (PROBLEM_STATES or NOT_FOUND), `days_left` (deadline
    minus as-of day; negative = days overdue) and `closed_late` (closed after the deadline).

    Closed on `asof` means status closed and closed_date <= asof; a problem closed later was open
    on `asof`. Due within `due_days` days (today included) is `due_soon`."""
    asof = as_day(asof)
    out = problems.copy()
    closed = ((out["status"] == "closed") & (out["closed_date"] <= asof)).fillna(False).astype(bool)
    found = (out["found_date"] <= asof).fillna(False).astype(bool)
    days_left = (out["deadline"] - asof).dt.days
    state = pd.Series("open", index=out.index, dtype="object")
    state[days_left <= due_days] = "due_soon"
    state[days_left < 0] = "overdue"
    state[closed] = "closed"
    state[~found] = NOT_FOUND
    out["state"] = state
    out["days_left"] = days_left.astype("Int64")
    out["closed_late"] = (closed & (out["closed_date"] > out["deadline"])).fillna(False).astype(bool)
    return out


def project_states(projects: pd.DataFrame, asof: pd.Timestamp, *, late_days: int) -> pd.DataFrame:
    """A copy of `projects` with `state` (PROJECT_STATES): `start_late` when the planned start has
    passed and it has not started by `asof` (red); `finish_late` when started but not finished
    more than `late_days` days after the planned finish (yellow); else `finished` or `on_track`."""
    asof = as_day(asof)
    out = projects.copy()
    started = (out["actual_start"] <= asof).fillna(False).astype(bool)
    finished = (out["actual_finish"] <= asof).fillna(False).astype(bool)
    start_late = (out["planned_start"] < asof).fillna(False).astype(bool) & ~started
    finish_late = ((out["planned_finish"] + pd.Timedelta(days=late_days)) < asof).fillna(False).astype(bool) \
        & ~finished
    state = pd.Series("on_track", index=out.index, dtype="object")
    state[finished] = "finished"
    state[finish_late] = "finish_late"
    state[start_late] = "start_late"
    out["state"] = state
    return out


def unit_at(code: str, level: str) -> str | None:
    """The unit of `level` that contains `code` (itself at its own level), or None when `code` is
    a higher level than `level` (a county's problem has no township)."""
    if _RANK[code_level(code)] < _RANK[level]:
        return None
    digits = _DIGITS[level]
    return code[:digits] + "0" * (12 - digits)


def filter_items(items: pd.DataFrame, *, sources: Sequence[str] = (), categories: Sequence[str] = (),
                 states: Sequence[str] = (), units: Sequence[str] = (), prefix: str = "") -> pd.DataFrame:
    """Rows of `items` (with `state`) matching every non-empty filter; `prefix` keeps the codes
    of a region (county 'PPCCDD', township 'PPCCDDTTT', '' = all). Empty filter = no filter."""
    keep = items[CODE].astype(str).str.startswith(prefix)
    if "state" in items:
        keep &= items["state"] != NOT_FOUND
    for column, wanted in (("source", sources), ("category", categories), ("state", states),
                           ("responsible_unit", units)):
        if wanted and column in items:
            keep &= items[column].isin(list(wanted)).fillna(False).astype(bool)
    return items.loc[keep]


def per_unit(items: pd.DataFrame, level: str, states: Sequence[str]) -> pd.DataFrame:
    """Counts of `items` (with CODE and `state`) per unit of `level`: one column per state of
    `states`, `total`, and `light` = index of the first state in `states` order with a count
    (`states`' last entry is "done": a unit lights it only when all its items are done).
    Items of a higher level than `level` are left out (see `above_level`)."""
    units = items[CODE].map(lambda c: unit_at(str(c), level))
    shown = items.assign(unit=units).dropna(subset=["unit"])
    counts = pd.crosstab(shown["unit"], shown["state"]).reindex(columns=list(states), fill_value=0)
    counts = counts.astype("int64")
    counts["total"] = counts.sum(axis=1)
    light = pd.Series(len(states) - 1, index=counts.index, dtype="int64")
    for position in reversed(range(len(states) - 1)):
        light[counts[states[position]] > 0] = position
    counts["light"] = light
    counts.index.name = CODE
    return counts.reset_index()


def above_level(items: pd.DataFrame, level: str) -> pd.DataFrame:
    """Items whose unit is a higher level than `level` (not drawn at that level)."""
    return items.loc[items[CODE].map(lambda c: unit_at(str(c), level) is None)]


def light_classes(codes: pd.Series, counts: pd.DataFrame) -> pd.Series:
    """Class index (`light`) per code of `codes` from `per_unit` counts; NO_ITEMS without items."""
    light = counts.set_index(CODE)["light"]
    return codes.map(light).fillna(NO_ITEMS).astype("int64")


def ranked_units(counts: pd.DataFrame) -> pd.DataFrame:
    """Units with open problems, most overdue first (then most open, then code), with `rank`."""
    out = counts.assign(open_total=counts[list(OPEN_STATES)].sum(axis=1))
    out = out.loc[out["open_total"] > 0]
    out = out.sort_values(["overdue", "open_total", CODE], ascending=[False, False, True])
    return out.assign(rank=range(1, len(out) + 1)).reset_index(drop=True)


def burn_down(problems: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Per day from `start` to `end`: problems found so far, closed so far, open (found minus
    closed) and overdue (open with the deadline passed) — the 销号 burn-down."""
    days = pd.date_range(as_day(start), as_day(end), freq="D")
    found = problems["found_date"].to_numpy("datetime64[ns]")
    closed_on = problems["closed_date"].where(problems["status"] == "closed").to_numpy("datetime64[ns]")
    deadline = problems["deadline"].to_numpy("datetime64[ns]")
    rows = []
    for day in days.to_numpy():
        is_found = found <= day
        is_closed = is_found & (closed_on <= day)
        is_open = is_found & ~is_closed
        rows.append((int(is_found.sum()), int(is_closed.sum()), int(is_open.sum()),
                     int((is_open & (deadline < day)).sum())))
    frame = pd.DataFrame(rows, columns=["found", "closed", "open", "overdue"])
    frame.insert(0, "date", days)
    return frame


def deadlines(problems: pd.DataFrame, *, top: int = 2) -> list[pd.Timestamp]:
    """The most common deadlines (the campaign's clearing dates to mark on the burn-down)."""
    counts = problems["deadline"].dropna().value_counts()
    return sorted(as_day(d) for d in counts.index[:top])


def supervised(supervision: pd.DataFrame | None, year: int) -> pd.DataFrame:
    """Units under listed supervision (挂牌督战) in `year` (CODE, supervision_level)."""
    if supervision is None:
        return pd.DataFrame({CODE: pd.Series(dtype="string"), "supervision_level": pd.Series(dtype="string")})
    rows = supervision.loc[supervision["year"] == year, [CODE, "supervision_level"]]
    return rows.reset_index(drop=True)


def totals(states: pd.DataFrame) -> dict[str, int]:
    """Counts of found problems per state on the as-of day, plus `found` and `closed_late`."""
    shown = states.loc[states["state"] != NOT_FOUND]
    out = {state: int((shown["state"] == state).sum()) for state in PROBLEM_STATES}
    out["found"] = len(shown)
    out["closed_late"] = int(shown["closed_late"].sum())
    return out


def by_county(states: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Per county: found, open and overdue problems on the as-of day (county order by code)."""
    counts = per_unit(states.loc[states["state"] != NOT_FOUND], "county", PROBLEM_STATES)
    counts["open_total"] = counts[list(OPEN_STATES)].sum(axis=1)
    counts["name"] = counts[CODE].map(names)
    return counts.sort_values(CODE).reset_index(drop=True)


def overdue_items(states: pd.DataFrame, prefix: str = "") -> pd.DataFrame:
    """Overdue problems of a region (code prefix), most days overdue first."""
    rows = states.loc[(states["state"] == "overdue") & states[CODE].astype(str).str.startswith(prefix)]
    return rows.sort_values(["days_left", "problem_id"]).reset_index(drop=True)


def responsible_units(items: pd.DataFrame) -> list[str]:
    """Distinct responsible units, sorted (filter options)."""
    return sorted(str(u) for u in items["responsible_unit"].dropna().unique())

