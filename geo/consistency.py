"""Consistency flags: statements in the data that contradict each other in the same year.

- a 摘帽 (exited) county that still has 未出列 poor villages;
- an exited village whose remaining poor are still at or above the 3 % incidence line.
"""
from __future__ import annotations

import pandas as pd

from geo.schema import INCIDENCE_THRESHOLD, LEVEL

FLAGS = ("county_open_villages", "village_high_incidence")


def consistency_flags(figures: pd.DataFrame) -> pd.Series:
    """Flag key per unit (index of `figures`), NA where consistent."""
    flag = pd.Series(pd.NA, index=figures.index, dtype="string")
    exited = figures["status"] == "exited"
    county = (figures[LEVEL] == "county") & exited & (figures["open_villages"] > 0).fillna(False)
    village = ((figures[LEVEL] == "village") & exited
               & (figures["incidence"] >= INCIDENCE_THRESHOLD).fillna(False))
    flag[county.astype(bool)] = "county_open_villages"
    flag[village.astype(bool)] = "village_high_incidence"
    return flag
