"""Per-unit figures for an as-of year: counts summed village -> township -> county, incidence
recomputed from counts (never averaged), and the categorical exit status of every unit."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo.codes import code_level
from geo.schema import CODE, LEVEL, NAME, PARENT, YEAR

COUNTS = ("registered_poor", "exited_poor", "rural_population",
          "monitored_unstable", "monitored_marginal", "monitored_sudden")
STATUSES = ("not_exited", "planned", "exited", "non_poor", "no_data")  # legend order


def _village_status(frame: pd.DataFrame, year: int) -> pd.Series:
    """Status of units that carry a poor flag themselves (villages and counties)."""
    flag = frame["poor_flag"]
    exited = (frame["actual_exit_year"] <= year).fillna(False).astype(bool)
    planned = (frame["planned_exit_year"] == year).fillna(False).astype(bool)
    status = pd.Series("not_exited", index=frame.index, dtype="string")
    status[planned] = "planned"
    status[exited] = "exited"
    status[(flag == False).fillna(False).astype(bool)] = "non_poor"  # noqa: E712 (nullable boolean)
    status[flag.isna()] = "no_data"
    return status


def unit_figures(units: pd.DataFrame, exit_status: pd.DataFrame, year: int) -> pd.DataFrame:
    """One row per unit (every level) with its figures as of `year` end.

    Counts of a township or county are the sum of its children (villages -> townships ->
    counties) when every child has the figure, else the unit's own delivered figure (township
    and county rows, 贫困村数 / 已出列贫困村数 included), else NA; incidence = remaining / rural population at every level. Units
    without statistics stay in the result with NA figures (status "no_data"). Inputs unchanged.
    """
    rows = exit_status.loc[exit_status[YEAR] == year].drop(columns=[YEAR])
    base = pd.DataFrame(units[[CODE, NAME, LEVEL, PARENT]]).merge(
        rows, on=CODE, how="left", validate="one_to_one")
    counts = list(COUNTS)
    status = _village_status(base, year)
    village = base[LEVEL] == "village"
    poor_village = village & (base["poor_flag"] == True).fillna(False).astype(bool)  # noqa: E712
    # township / county figures as delivered (贫困村数 / 已出列贫困村数) when no village rows are
    delivered = {c: base[c].astype("Int64") if c in base else pd.Series(pd.NA, index=base.index, dtype="Int64")
                 for c in ("poor_villages", "exited_villages")}
    known = village & base["poor_flag"].notna()   # a village without a row counts as unknown, not 0
    none = pd.Series(pd.NA, index=base.index, dtype="Int64")
    base["poor_villages"] = poor_village.astype("Int64").where(known, none).where(
        village, delivered["poor_villages"])
    base["exited_villages"] = (poor_village & (status == "exited")).astype("Int64").where(known, none).where(
        village, delivered["exited_villages"])
    base["open_villages"] = (poor_village & (status != "exited")).astype("Int64").where(known, none).where(
        village, delivered["poor_villages"] - delivered["exited_villages"])
    base["planned_villages"] = (poor_village & (status == "planned")).astype("Int64").where(known, none)
    village_counts = ["poor_villages", "exited_villages", "open_villages", "planned_villages"]
    for child, parent in (("village", "township"), ("township", "county")):
        # a parent is summed only from complete children (every child has the figure), else it
        # keeps its own delivered figure: a partial sum would silently understate it
        children = base.loc[base[LEVEL] == child].groupby(PARENT)[counts + village_counts]
        sums = children.sum(min_count=1)
        complete = children.count().eq(children.size(), axis=0)
        sums = sums.where(complete)
        is_parent = base[LEVEL] == parent
        filled = base.loc[is_parent, [CODE]].join(sums, on=CODE)
        for column in counts + village_counts:
            base.loc[is_parent, column] = filled[column].fillna(base.loc[is_parent, column])
    base["remaining_poor"] = base["registered_poor"] - base["exited_poor"]
    rural = base["rural_population"].astype("Float64")
    base["incidence"] = (base["remaining_poor"].astype("Float64") / rural.where(rural > 0))
    base["exit_rate"] = (base["exited_poor"].astype("Float64")
                         / base["registered_poor"].astype("Float64").where(base["registered_poor"] > 0))
    base["monitored"] = base[["monitored_unstable", "monitored_marginal", "monitored_sudden"]].sum(
        axis=1, min_count=1)
    township = base[LEVEL] == "township"
    base["status"] = status
    base.loc[township, "status"] = _township_status(base.loc[township])
    newly = (base["actual_exit_year"] == year).fillna(False).astype(bool)
    new_villages = base.loc[village & newly, PARENT]
    base["newly_exited"] = newly | (township & base[CODE].isin(set(new_villages)))
    return base


def _township_status(townships: pd.DataFrame) -> pd.Series:
    """Townships have no poor flag of their own: they follow their poor villages."""
    status = pd.Series("non_poor", index=townships.index, dtype="string")
    status[townships["exited_villages"] > 0] = "exited"
    status[townships["planned_villages"] > 0] = "planned"
    status[(townships["open_villages"] - townships["planned_villages"]) > 0] = "not_exited"
    status[townships["poor_villages"].isna()] = "no_data"
    return status


@dataclass(frozen=True)
class Kpis:
    """Headline figures of one region (a county, or the whole city) as of a year."""

    poor_counties: int
    exited_counties: int
    poor_villages: int
    exited_villages: int
    registered_poor: int
    remaining_poor: int
    rural_population: int

    @property
    def incidence(self) -> float | None:
        return self.remaining_poor / self.rural_population if self.rural_population else None


def region_kpis(figures: pd.DataFrame, region: str | None = None) -> Kpis:
    """KPIs over the counties of `figures` (all, or those under `region` code prefix).

    Sums county rows, so the result equals the sum over villages by construction."""
    counties = figures.loc[figures[LEVEL] == "county"]
    if region is not None:
        prefix = region[: {"city": 4, "county": 6}[code_level(region)]]
        counties = counties.loc[counties[CODE].str.startswith(prefix)]
    poor = counties["poor_flag"] == True  # noqa: E712
    def total(column: str) -> int:
        return int(counties[column].sum(skipna=True))
    return Kpis(
        poor_counties=int(poor.fillna(False).sum()),
        exited_counties=int((poor.fillna(False) & (counties["status"] == "exited")).sum()),
        poor_villages=total("poor_villages"),
        exited_villages=total("exited_villages"),
        registered_poor=total("registered_poor"),
        remaining_poor=total("remaining_poor"),
        rural_population=total("rural_population"),
    )


def category_counts(figures: pd.DataFrame, column: str = "status",
                    order: tuple[str, ...] = STATUSES) -> dict[str, int]:
    """Count of units in each class, in legend order, classes with zero included."""
    counts = figures[column].value_counts()
    return {key: int(counts.get(key, 0)) for key in order}
