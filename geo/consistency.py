"""Consistency flags: statements in the data that contradict each other or the exit standards.

- a 摘帽 (exited) county that still has 未出列 poor villages;
- an exited village whose remaining poor are still at or above the 3 % incidence line;
- an exited village that lacked one of the 五有 items (collective income, cultural room, clinic,
  hardened road, network) at the end of its exit year (needs the services table);
- a unit that exited later than planned.

A unit may break several rules: its flag is the rule keys joined by FLAG_SEP, in FLAGS order;
`village_lacks_item` names the items after a colon ("village_lacks_item:clinic|road").
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from geo.schema import CODE, INCIDENCE_THRESHOLD, LEVEL, YEAR
from geo.standards import VILLAGE_ITEMS

FLAGS = ("county_open_villages", "village_high_incidence", "village_lacks_item", "exit_late")
FLAG_SEP = ","


def lacking_at_exit(figures: pd.DataFrame, services: pd.DataFrame) -> pd.Series:
    """Per row of `figures`: the 五有 items ('|'-joined, '' for none) an exited village lacked in
    the services row of its actual exit year (unknown items do not count as lacking)."""
    codes = figures[CODE] if CODE in figures.columns else pd.Series(figures.index, index=figures.index)
    chosen = ((figures[LEVEL] == "village") & (figures["status"] == "exited")
              & figures["actual_exit_year"].notna()).astype(bool)
    out = pd.Series("", index=figures.index, dtype=object)
    if not chosen.any() or services.empty:
        return out
    # joined on the 12-digit codes as integers: a merge on Arrow strings walks them in Python
    keyed = pd.DataFrame({"_row": range(int(chosen.sum())), CODE: _code_ints(codes[chosen]),
                          "actual_exit_year": figures.loc[chosen, "actual_exit_year"].astype("int64").to_numpy()})
    table = services[[CODE, YEAR, *VILLAGE_ITEMS]].rename(columns={YEAR: "actual_exit_year"})
    table = table.assign(**{CODE: _code_ints(table[CODE])})
    joined = keyed.merge(table.astype({"actual_exit_year": "int64"}), on=[CODE, "actual_exit_year"],
                         how="left", validate="many_to_one").sort_values("_row")
    joined.index = figures.index[chosen]
    lacks = pd.Series("", index=joined.index, dtype=object)
    for item in VILLAGE_ITEMS:
        values = pd.to_numeric(joined[item].astype("Float64"), errors="coerce")
        hit = (values <= 0).fillna(False).astype(bool)
        lacks[hit] = lacks[hit].map(lambda k, i=item: f"{k}|{i}" if k else i)
    out.loc[lacks.index] = lacks.to_numpy()
    return out


def _code_ints(codes: pd.Series) -> np.ndarray:
    """12-digit codes as int64 (cast by Arrow, not element by element in Python)."""
    return codes.astype("int64[pyarrow]").to_numpy("int64")


def consistency_flags(figures: pd.DataFrame, services: pd.DataFrame | None = None) -> pd.Series:
    """Flag keys per unit (index of `figures`), NA where consistent. Inputs unchanged."""
    exited = figures["status"] == "exited"
    rules = {
        "county_open_villages": (figures[LEVEL] == "county") & exited
        & (figures["open_villages"] > 0).fillna(False),
        "village_high_incidence": (figures[LEVEL] == "village") & exited
        & (figures["incidence"] >= INCIDENCE_THRESHOLD).fillna(False),
        "village_lacks_item": (lacking_at_exit(figures, services) if services is not None
                               else pd.Series("", index=figures.index, dtype=object)),
        "exit_late": exited & (pd.to_numeric(figures["actual_exit_year"], errors="coerce")
                               > pd.to_numeric(figures["planned_exit_year"], errors="coerce")).fillna(False),
    }
    keys = pd.Series("", index=figures.index, dtype=object)
    for name in FLAGS:
        rule = rules[name]
        if rule.dtype == object:    # item lists
            hit = rule != ""
            words = name + ":" + rule[hit]
        else:
            hit = rule.astype(bool)
            words = pd.Series(name, index=figures.index)[hit]
        keys[hit] = [f"{k}{FLAG_SEP}{w}" if k else w for k, w in zip(keys[hit], words)]
    return keys.where(keys != "", pd.NA).astype("string")


def flag_keys(flag: object) -> list[tuple[str, tuple[str, ...]]]:
    """[(rule key, items)] of one flag value ([] for NA)."""
    out = []
    for part in (str(flag).split(FLAG_SEP) if isinstance(flag, str) and flag else []):
        key, _, items = part.partition(":")
        out.append((key, tuple(i for i in items.split("|") if i)))
    return out
