"""Classing a metric for a choropleth with mapclassify: quantiles, natural breaks (seeded,
deterministic) or fixed policy thresholds. Missing values get class -1 (no data).

Policy classes are fixed per indicator (its own thresholds, every class kept even when empty, so
maps of different regions and years compare): class i holds values in (bins[i-1], bins[i]], the
first class [0, bins[0]], class i in [bins[i-1], bins[i]) (a value on a threshold belongs to the
class above it: 3.00 % is not "below 3 %"), the last [bins[-1], inf). Bounds come from the policy, never from the
data, so a legend is never inverted.

Edge cases are part of the contract: all values equal -> one class; all missing -> no classes;
fewer distinct values than classes -> as many classes as distinct values.
"""
from __future__ import annotations

from dataclasses import dataclass

import mapclassify
import numpy as np
import pandas as pd

METHODS = ("quantiles", "natural_breaks", "policy")
NO_DATA = -1

# Upper bounds of the policy classes per indicator (the last class is open-ended). Each
# indicator has its own thresholds; only incidence uses the 3 % exit line.
POLICY_BINS: dict[str, tuple[float, ...]] = {
    "incidence": (0.0, 0.01, 0.03, 0.10),            # cleared, <1 %, <3 % (exit line), <10 %, more
    "remaining_poor": (0, 100, 500, 2000),
    "exit_rate": (0.5, 0.8, 0.9, 0.97),
    "monitored": (0, 5, 20, 50),
}


@dataclass(frozen=True)
class Classes:
    """Result of classing: per-unit class index (NO_DATA for missing) and class bounds."""

    index: pd.Series            # int, aligned with the input
    lower: tuple[float, ...]    # lower bound of each class (inclusive of the data minimum)
    upper: tuple[float, ...]    # upper bound of each class (inclusive)
    counts: tuple[int, ...]
    no_data: int


def _natural_breaks(y: np.ndarray, k: int) -> mapclassify.NaturalBreaks:
    """Jenks-style breaks by mapclassify's k-means NaturalBreaks (FisherJenks without numba takes
    ~8 s for 3,000 values). Seeded so the same data always gets the same breaks."""
    state = np.random.get_state()
    np.random.seed(20140101)
    try:
        return mapclassify.NaturalBreaks(y, k=k)
    finally:
        np.random.set_state(state)


def classify(values: pd.Series, method: str, *, k: int = 5, indicator: str | None = None) -> Classes:
    """Class `values` (NA allowed) with `method`; raises ValueError for an unknown method."""
    if method not in METHODS:
        raise ValueError(f"unknown classing method {method!r}; allowed: {METHODS}")
    numeric = pd.to_numeric(values.astype("Float64"), errors="coerce")
    known = numeric.notna().to_numpy()
    y = numeric[known].to_numpy(dtype=float)
    index = pd.Series(NO_DATA, index=values.index, dtype="int64")
    if y.size == 0:
        return Classes(index, (), (), (), int((~known).sum()))
    distinct = np.unique(y)
    if method == "policy":
        return _policy(values.index, numeric, known, y, indicator)
    if distinct.size == 1:
        classifier = None
    else:
        kk = min(k, distinct.size)
        classifier = (mapclassify.Quantiles(y, k=kk) if method == "quantiles"
                      else _natural_breaks(y, kk))
    if classifier is None:
        yb = np.zeros(y.size, dtype=int)
        upper = np.array([y.max()])
    else:
        yb = np.asarray(classifier.yb, dtype=int)
        upper = np.asarray(classifier.bins, dtype=float)
        # quantiles/breaks may emit empty classes (ties): drop and renumber them
        used = np.unique(yb)
        remap = {old: new for new, old in enumerate(used)}
        yb = np.array([remap[b] for b in yb])
        upper = upper[used]
    lower = [float(y.min())] + [float(u) for u in upper[:-1]]
    index[known] = yb
    counts = tuple(int((yb == i).sum()) for i in range(len(upper)))
    return Classes(index, tuple(lower), tuple(float(u) for u in upper), counts, int((~known).sum()))


def policy_bounds(indicator: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(lower, upper) bounds of the policy classes of `indicator`; raises ValueError if it has none.
    The first class starts at 0 (every indicator is non-negative), the last ends at infinity."""
    if indicator not in POLICY_BINS:
        raise ValueError(f"no policy thresholds for {indicator!r}; allowed: {tuple(POLICY_BINS)}")
    bins = POLICY_BINS[indicator]
    return (min(0.0, bins[0]), *bins), (*bins, float("inf"))


def _policy(index: pd.Index, numeric: pd.Series, known: np.ndarray, y: np.ndarray,
            indicator: str | None) -> Classes:
    """Fixed policy classes: [0, b0], [b0, b1), ..., [b_last, inf)."""
    lower, upper = policy_bounds(indicator or "")
    bins = np.asarray(POLICY_BINS[indicator], dtype=float)
    yb = np.where(y <= bins[0], 0, np.searchsorted(bins, y, side="right"))
    out = pd.Series(NO_DATA, index=index, dtype="int64")
    out[known] = yb
    counts = tuple(int((yb == i).sum()) for i in range(len(upper)))
    return Classes(out, tuple(float(v) for v in lower), tuple(float(v) for v in upper), counts,
                   int((~known).sum()))
