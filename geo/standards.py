"""Exit standards computed from the data, with a reason for every failure.

- village 一低五有: incidence < 3 %, collective-economy income, cultural room, clinic,
  hardened road, communications network;
- township 乡三有: health centre, central school, convenience service centre;
- county 一低三有: incidence < 3 % and every township meets 乡三有.

A reason is `(rule, params)`; `ui.text` words it ("缺卫生室", "发生率 4.1 %").
"""
from __future__ import annotations

import pandas as pd

from geo.schema import CODE, INCIDENCE_THRESHOLD, LEVEL, NAME, PARENT, TOWNSHIP_SERVICES, YEAR

Reason = tuple[str, dict]
VILLAGE_ITEMS = ("collective_income", "cultural_room", "clinic", "road", "network")


def _incidence_reason(incidence: object) -> list[Reason]:
    if incidence is None or incidence is pd.NA or incidence != incidence:
        return [("incidence_unknown", {})]
    if incidence >= INCIDENCE_THRESHOLD:
        return [("incidence_high", {"value": float(incidence)})]
    return []


def _services_for(services: pd.DataFrame, year: int) -> pd.DataFrame:
    return services.loc[services[YEAR] == year].drop(columns=[YEAR]).set_index(CODE)


def village_compliance(figures: pd.DataFrame, services: pd.DataFrame, year: int) -> pd.DataFrame:
    """一低五有 per village: columns code, compliant, reasons (list of (rule, params))."""
    villages = figures.loc[figures[LEVEL] == "village", [CODE, "incidence"]]
    table = _services_for(services, year)
    rows = []
    for code, incidence in villages.itertuples(index=False):
        reasons = _incidence_reason(incidence)
        if code not in table.index:
            reasons.append(("services_missing", {}))
        else:
            row = table.loc[code]
            for item in VILLAGE_ITEMS:
                value = row[item]
                if value is pd.NA or value != value:
                    reasons.append(("item_unknown", {"item": item}))
                elif item == "collective_income":
                    if value <= 0:
                        reasons.append(("lacks", {"item": item}))
                elif not value:
                    reasons.append(("lacks", {"item": item}))
        rows.append((code, not reasons, reasons))
    return pd.DataFrame(rows, columns=[CODE, "compliant", "reasons"])


def township_compliance(figures: pd.DataFrame, services: pd.DataFrame, year: int) -> pd.DataFrame:
    """乡三有 per township: columns code, compliant, reasons."""
    townships = figures.loc[figures[LEVEL] == "township", [CODE]]
    table = _services_for(services, year)
    rows = []
    for (code,) in townships.itertuples(index=False):
        reasons: list[Reason] = []
        if code not in table.index:
            reasons.append(("services_missing", {}))
        else:
            for item in TOWNSHIP_SERVICES:
                value = table.at[code, item]
                if value is pd.NA or value != value:
                    reasons.append(("item_unknown", {"item": item}))
                elif not value:
                    reasons.append(("lacks", {"item": item}))
        rows.append((code, not reasons, reasons))
    return pd.DataFrame(rows, columns=[CODE, "compliant", "reasons"])


def county_compliance(figures: pd.DataFrame, services: pd.DataFrame, year: int) -> pd.DataFrame:
    """一低三有 per county: incidence below 3 % and every township meets 乡三有."""
    townships = township_compliance(figures, services, year).merge(
        figures[[CODE, NAME, PARENT]], on=CODE, how="left", validate="one_to_one")
    counties = figures.loc[figures[LEVEL] == "county", [CODE, "incidence"]]
    rows = []
    for code, incidence in counties.itertuples(index=False):
        reasons = _incidence_reason(incidence)
        failing = townships.loc[(townships[PARENT] == code) & ~townships["compliant"]]
        for name, township_reasons in failing[[NAME, "reasons"]].itertuples(index=False):
            reasons.append(("township_fails", {"township": name, "reasons": township_reasons}))
        rows.append((code, not reasons, reasons))
    return pd.DataFrame(rows, columns=[CODE, "compliant", "reasons"])
