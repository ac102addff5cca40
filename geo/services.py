"""Infrastructure and service coverage: per-village items and gap counts, 乡三有 per township,
the ranked to-do list and how gaps close over the years. Pure functions; inputs unchanged.

A village's items: hardened road, safe water, household electricity, network, clinic, cultural
room and collective economy (income > 0). An item is True (has), False (lacks, a gap) or NA (not
reported). `gaps` counts the False items; a village without a services row in the year has NA
gaps ("no data"), never zero.
"""
from __future__ import annotations

import pandas as pd

from geo.schema import CODE, LEVEL, NAME, PARENT, TOWNSHIP_SERVICES, VILLAGE_SERVICES, YEAR
from geo.standards import township_compliance, village_compliance

ITEMS = (*VILLAGE_SERVICES, "collective_economy")
TODO_SORTS = ("gaps", "remaining_poor")


def _year_rows(services: pd.DataFrame, year: int) -> pd.DataFrame:
    return services.loc[services[YEAR] == year].drop(columns=[YEAR])


def village_items(units: pd.DataFrame, services: pd.DataFrame, year: int) -> pd.DataFrame:
    """One row per village: code, name, parent_code, county_code, one nullable-boolean column
    per item of ITEMS, `reported` (a services row exists), `gaps` and `unknown` (Int64) and
    `missing` (tuple of lacking items, in ITEMS order)."""
    villages = pd.DataFrame(units.loc[units[LEVEL] == "village", [CODE, NAME, PARENT]])
    rows = _year_rows(services, year)
    table = villages.merge(rows, on=CODE, how="left", validate="one_to_one", indicator=True)
    out = villages.reset_index(drop=True)
    out["county_code"] = out[CODE].str.slice(0, 6) + "000000"
    for item in VILLAGE_SERVICES:
        out[item] = table[item].astype("boolean").to_numpy()
    income = table["collective_income"].astype("Float64")
    out["collective_economy"] = (income > 0).to_numpy()
    out["reported"] = (table["_merge"] == "both").to_numpy()
    items = out[list(ITEMS)]
    lacking = items.eq(False).fillna(False).astype(bool)
    out["gaps"] = lacking.sum(axis=1).astype("Int64").where(out["reported"], pd.NA)
    out["unknown"] = items.isna().sum(axis=1).astype("Int64").where(out["reported"], pd.NA)
    out["missing"] = [tuple(item for item, lacks in zip(ITEMS, flags) if lacks)
                      for flags in lacking.itertuples(index=False)]
    return out


def village_services(units: pd.DataFrame, services: pd.DataFrame, figures: pd.DataFrame,
                     year: int) -> pd.DataFrame:
    """`village_items` plus remaining poor, incidence and exit status from `figures` (the
    unit_figures of `year`) and 一低五有 compliance with its reasons."""
    items = village_items(units, services, year)
    stats = figures.loc[figures[LEVEL] == "village", [CODE, "remaining_poor", "incidence", "status",
                                                      "poor_flag"]]
    compliance = village_compliance(figures, services, year)
    return (items.merge(stats, on=CODE, how="left", validate="one_to_one")
                 .merge(compliance, on=CODE, how="left", validate="one_to_one"))


def township_services(units: pd.DataFrame, services: pd.DataFrame, figures: pd.DataFrame,
                      year: int) -> pd.DataFrame:
    """One row per township: code, name, parent_code, the 乡三有 items (nullable boolean),
    compliant and reasons."""
    townships = pd.DataFrame(units.loc[units[LEVEL] == "township", [CODE, NAME, PARENT]])
    rows = _year_rows(services, year)[[CODE, *TOWNSHIP_SERVICES]]
    out = townships.merge(rows, on=CODE, how="left", validate="one_to_one")
    for item in TOWNSHIP_SERVICES:
        out[item] = out[item].astype("boolean")
    compliance = township_compliance(figures, services, year)
    return out.merge(compliance, on=CODE, how="left", validate="one_to_one").reset_index(drop=True)


def in_region(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """Rows whose code starts with the region prefix ('' = everything)."""
    return frame.loc[frame[CODE].str.startswith(prefix)]


def todo_list(villages: pd.DataFrame, *, sort: str = "gaps") -> pd.DataFrame:
    """Villages with at least one gap or failing 一低五有, ranked: by gaps then remaining poor
    (sort="gaps") or the other way round (sort="remaining_poor"); ties by code. Adds `rank`
    (1..n). Villages without data are listed last: someone must report them."""
    if sort not in TODO_SORTS:
        raise ValueError(f"sort must be one of {TODO_SORTS}, got {sort!r}")
    open_ = (villages["gaps"] > 0).fillna(True).astype(bool) | ~villages["compliant"].fillna(False).astype(bool)
    rows = villages.loc[open_].copy()
    keys = ["gaps", "remaining_poor"] if sort == "gaps" else ["remaining_poor", "gaps"]
    rows = rows.assign(_nodata=rows["gaps"].isna()).sort_values(
        ["_nodata", *keys, CODE], ascending=[True, False, False, True], na_position="last", kind="stable")
    rows = rows.drop(columns="_nodata").reset_index(drop=True)
    rows.insert(0, "rank", range(1, len(rows) + 1))
    return rows


def coverage(villages: pd.DataFrame) -> pd.DataFrame:
    """Per item: villages that have it, lack it, did not report it, and the coverage share of
    those reporting (NA when none reported)."""
    rows = []
    for item in ITEMS:
        values = villages[item]
        has, lacks = int(values.eq(True).sum()), int(values.eq(False).sum())
        rows.append((item, has, lacks, int(len(values) - has - lacks),
                     has / (has + lacks) if has + lacks else pd.NA))
    return pd.DataFrame(rows, columns=["item", "has", "lacks", "unknown", "share"])


def gap_trend(units: pd.DataFrame, services: pd.DataFrame, prefix: str = "") -> pd.DataFrame:
    """Per year of the services table: villages (in the region) with at least one gap, total
    gaps, and villages lacking each item: gaps closing over time."""
    rows = []
    for year in sorted(int(y) for y in services[YEAR].dropna().unique()):
        items = in_region(village_items(units, services, year), prefix)
        reported = items.loc[items["reported"]]
        row = {YEAR: year, "villages_with_gaps": int((reported["gaps"] > 0).sum()),
               "total_gaps": int(reported["gaps"].sum())}
        row.update({item: int(items[item].eq(False).sum()) for item in ITEMS})
        rows.append(row)
    return pd.DataFrame(rows, columns=[YEAR, "villages_with_gaps", "total_gaps", *ITEMS])
