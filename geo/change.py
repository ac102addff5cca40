"""Change of an indicator per unit between two as-of years, and its diverging classing.

Pure functions. The change is `after - before` (the later year minus the earlier one) in the
indicator's own unit: persons or households for counts, a share (0.0123 = 1.23 percentage points)
for rates. A unit lacking the value in either year has no change (NA -> no data).

Classing is diverging and centred on 0: one neutral class for "no change" (a change that rounds to
0 at the displayed precision), and up to three classes on each side with the *same* magnitude
bounds (so a colour's depth means the same amount on both sides). Bounds are nice numbers (1, 2,
2.5, 5 x 10^n) taken from the terciles of the non-zero magnitudes; a bound at or above the largest
magnitude is dropped (no class is empty by construction on both sides at once). Every class is
kept on both sides even when one side has no unit, so the legend shows the scale. Bounds are
never inverted: each class's lower bound is below its upper bound.

Whether a drop is good depends on the indicator (GOOD_DIRECTION): fewer remaining poor, a lower
incidence and fewer monitored households are better; a higher exit rate is better.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.classify import NO_DATA
from geo.schema import CODE

GOOD_DIRECTION = {"remaining_poor": "down", "incidence": "down", "monitored": "down", "exit_rate": "up"}
CHANGE_INDICATORS = tuple(GOOD_DIRECTION)
RATE_INDICATORS = ("incidence", "exit_rate")
MAX_SIDE = 3   # classes per side at most
# a change below half the displayed resolution reads as 0 (rates: 0.01 percentage point, counts: 1)
ZERO_TOLERANCE = {"rate": 0.00005, "count": 0.5}
_NICE = (1.0, 2.0, 2.5, 5.0, 10.0)


def is_rate(indicator: str) -> bool:
    """True for indicators that are shares (their change is in percentage points)."""
    return indicator in RATE_INDICATORS


def _check(indicator: str) -> None:
    if indicator not in GOOD_DIRECTION:
        raise ValueError(f"no change view for {indicator!r}; allowed: {CHANGE_INDICATORS}")


def delivered_years(exit_status: pd.DataFrame, years: Iterable[int]) -> tuple[int, ...]:
    """The campaign `years` that have exit-status rows (a change needs both years delivered)."""
    present = {int(y) for y in exit_status["year"].dropna()}
    return tuple(y for y in years if y in present)


def default_base_year(year: int, delivered: Iterable[int]) -> int | None:
    """The year a change is measured from by default: the latest delivered year before `year`."""
    earlier = [y for y in delivered if y < year]
    return max(earlier) if earlier else None


def change_values(before: pd.Series, after: pd.Series, indicator: str) -> pd.Series:
    """after - before (Float64, aligned with `after`), NA where either is missing; changes below
    half the displayed resolution are exactly 0. Raises ValueError for an indicator without a
    change view."""
    _check(indicator)
    b = pd.to_numeric(before.astype("Float64"), errors="coerce")
    a = pd.to_numeric(after.astype("Float64"), errors="coerce")
    diff = (a - b).astype("Float64")
    tolerance = ZERO_TOLERANCE["rate" if is_rate(indicator) else "count"]
    return diff.mask((diff.abs() < tolerance).fillna(False).astype(bool), 0.0)


def with_change(rows: pd.DataFrame, base: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """A copy of `rows` (figures of the later year) with columns `before` (the indicator in
    `base`, the earlier year's figures, matched by code), `after` and `change`. Rows without a
    match in `base` get NA. Inputs unchanged."""
    _check(indicator)
    earlier = base.drop_duplicates(CODE).set_index(CODE)[indicator]
    out = rows.copy()
    out["before"] = out[CODE].map(earlier).astype("Float64")
    out["after"] = out[indicator].astype("Float64")
    out["change"] = change_values(out["before"], out["after"], indicator)
    return out


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^n at or above `value` (> 0)."""
    if not value > 0:
        raise ValueError(f"nice_ceiling needs a positive value, got {value!r}")
    exponent = math.floor(math.log10(value))
    for step in _NICE:
        candidate = step * 10.0 ** exponent
        if candidate >= value * (1 - 1e-12):
            return float(f"{candidate:.12g}")
    return float(f"{10.0 ** (exponent + 1):.12g}")


def magnitude_bounds(change: pd.Series, indicator: str) -> tuple[float, ...]:
    """Increasing nice bounds b1 < b2 (< largest magnitude) between the classes of one side:
    from the terciles of the non-zero magnitudes; counts round to whole numbers (at least 1),
    rates to at least 0.01 percentage point."""
    _check(indicator)
    values = pd.to_numeric(change.astype("Float64"), errors="coerce").dropna().to_numpy(dtype=float)
    magnitudes = np.abs(values[values != 0])
    if magnitudes.size == 0:
        return ()
    floor = 0.0001 if is_rate(indicator) else 1.0
    largest = float(magnitudes.max())
    bounds: list[float] = []
    for q in np.quantile(magnitudes, [1 / MAX_SIDE, 2 / MAX_SIDE]):
        b = nice_ceiling(max(float(q), floor))
        if b < largest and (not bounds or b > bounds[-1]):
            bounds.append(b)
    return tuple(bounds)


@dataclass(frozen=True)
class ChangeClasses:
    """Diverging classes of a change, ordered from the largest drop to the largest rise.

    `sign` is -1 (drop), 0 (no change) or +1 (rise); `rank` the depth on its side (1 = nearest 0);
    `lower` / `upper` the signed bounds (a drop class (-b2, -b1] has lower -b2, upper -b1;
    the no-change class 0, 0; open ends are +-inf); `good` whether the change is an
    improvement (None for no change)."""

    index: pd.Series                 # int class per unit, NO_DATA where the change is missing
    sign: tuple[int, ...]
    rank: tuple[int, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    good: tuple[bool | None, ...]
    counts: tuple[int, ...]
    no_data: int
    side: int                        # classes per side


def classify_change(change: pd.Series, indicator: str) -> ChangeClasses:
    """Diverging classes of `change` (NA allowed) centred on a neutral no-change class."""
    _check(indicator)
    bounds = magnitude_bounds(change, indicator)
    values = pd.to_numeric(change.astype("Float64"), errors="coerce")
    known = values.notna().to_numpy()
    y = values[known].to_numpy(dtype=float)
    has_change = bool((y != 0).any())
    side = len(bounds) + 1 if has_change else 0
    edges = (0.0, *bounds, math.inf)               # magnitude edges of one side: (e[i], e[i+1]]
    down_good = GOOD_DIRECTION[indicator] == "down"
    sign: list[int] = []
    rank: list[int] = []
    lower: list[float] = []
    upper: list[float] = []
    for r in range(side, 0, -1):                   # drops, deepest first
        sign.append(-1), rank.append(r), lower.append(-edges[r]), upper.append(-edges[r - 1])
    sign.append(0), rank.append(0), lower.append(0.0), upper.append(0.0)
    for r in range(1, side + 1):                   # rises, nearest 0 first
        sign.append(1), rank.append(r), lower.append(edges[r - 1]), upper.append(edges[r])
    good = tuple(None if s == 0 else (s < 0) == down_good for s in sign)
    magnitude = np.abs(y)
    depth = np.searchsorted(np.asarray(bounds, dtype=float), magnitude, side="left") + 1   # (b_{i-1}, b_i]
    cls = np.where(y < 0, side - depth, np.where(y > 0, side + depth, side)).astype(int)
    index = pd.Series(NO_DATA, index=change.index, dtype="int64")
    index[known] = cls
    counts = tuple(int((cls == i).sum()) for i in range(len(sign)))
    return ChangeClasses(index, tuple(sign), tuple(rank), tuple(lower), tuple(upper), good, counts,
                         int((~known).sum()), side)
