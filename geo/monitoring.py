"""防返贫监测 on the map: monitored households per 100 rural residents per unit, the three kinds
apart, their trend over the years, and small counts suppressed for exports.

Works on the aggregated `monitored_*` columns of exit_status (village rows; no household records).
Inputs are never mutated.
"""
from __future__ import annotations

import pandas as pd

from geo.codes import code_level
from geo.inspection import unit_at
from geo.schema import CODE, YEAR

KINDS = {"unstable": "monitored_unstable", "marginal": "monitored_marginal", "sudden": "monitored_sudden"}
CHOICES = ("all", *KINDS)          # "all" = the three kinds together


def _villages(exit_status: pd.DataFrame) -> pd.DataFrame:
    return exit_status.loc[exit_status[CODE].map(code_level) == "village"]


def years_with_data(exit_status: pd.DataFrame) -> list[int]:
    """Years in which any village reports monitored households."""
    rows = _villages(exit_status)
    has = rows[list(KINDS.values())].notna().any(axis=1)
    return sorted(int(y) for y in rows.loc[has, YEAR].unique())


def rates(exit_status: pd.DataFrame, year: int, level: str) -> pd.DataFrame:
    """Per unit of `level` in `year`: households per kind, `all`, rural population and `rate_<kind>`
    (households per 100 rural residents) for every kind and `all`. Villages without figures are
    left out; sums over villages for townships and counties."""
    rows = _villages(exit_status)
    rows = rows.loc[(rows[YEAR] == year) & rows[list(KINDS.values())].notna().any(axis=1)]
    frame = pd.DataFrame({CODE: rows[CODE].map(lambda c: unit_at(str(c), level)),
                          "rural_population": rows["rural_population"].astype("Float64")})
    for kind, column in KINDS.items():
        frame[kind] = rows[column].astype("Float64")
    frame["all"] = frame[list(KINDS)].sum(axis=1, min_count=1)
    out = frame.groupby(CODE, sort=True)[["rural_population", *CHOICES]].sum(min_count=1).reset_index()
    for kind in CHOICES:
        denominator = out["rural_population"].where(out["rural_population"] > 0)
        out[f"rate_{kind}"] = (out[kind] / denominator * 100).astype("Float64")
    return out


def trend(exit_status: pd.DataFrame, prefix: str = "") -> pd.DataFrame:
    """Monitored households per year and kind in a region (code prefix), for the years with data."""
    rows = _villages(exit_status)
    rows = rows.loc[rows[CODE].astype(str).str.startswith(prefix)]
    years = years_with_data(exit_status)
    rows = rows.loc[rows[YEAR].isin(years)]
    out = rows.groupby(YEAR)[list(KINDS.values())].sum(min_count=1)
    out.columns = list(KINDS)
    out["all"] = out.sum(axis=1)
    return out.reset_index().astype({YEAR: "int64"})


def suppress_small(values: pd.Series, limit: int) -> pd.Series:
    """Counts as text for an export: below `limit` (and above 0) shown as '<limit'; empty for NA."""
    def shown(value: object) -> str:
        if pd.isna(value):
            return ""
        number = int(value)
        return f"<{limit}" if 0 < number < limit else f"{number:,}"
    return values.map(shown).astype("object")
