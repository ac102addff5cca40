"""Statistical disclosure control for exports: small counts of monitored households (防止返贫监测)
are shown as "<N" (N = the `small_count` setting, default 5).

Choice: only counts 1..N-1 are suppressed. 0 stays 0 (an absence discloses no household, and
statistics offices publish zeros), missing stays missing, N and above are shown as they are.
Not done: complementary suppression (a township total together with all but one of its villages
can still reveal the last village); exports show single levels, so this is left to the user.
"""
from __future__ import annotations

import pandas as pd

MONITORED_COLUMNS = ("monitored", "monitored_unstable", "monitored_marginal", "monitored_sudden")


def is_small(value: object, limit: int) -> bool:
    """True for a count strictly between 0 and `limit` (NA and non-numbers are never small)."""
    if value is None or value is pd.NA or limit <= 1:
        return False
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return number == number and 0 < number < limit


def small_label(limit: int) -> str:
    """How a suppressed count is shown: "<5" for limit 5."""
    return f"<{limit}"


def suppress_counts(values: pd.Series, limit: int) -> pd.Series:
    """A copy of `values` with counts 1..limit-1 replaced by "<limit" (object dtype when any was
    replaced, else unchanged). `limit` <= 1 disables suppression. Never mutates the input."""
    small = values.map(lambda v: is_small(v, limit)).astype(bool)
    if not small.any():
        return values.copy()
    out = values.astype(object).copy()
    out[small] = small_label(limit)
    return out
