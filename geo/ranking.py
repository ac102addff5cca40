"""Rankings by progress with the rank change since the previous year (the delta ranking of
national assessments): pure functions on unit_figures frames."""
from __future__ import annotations

import pandas as pd

from geo.schema import CODE, LEVEL, NAME


def _ranked(figures: pd.DataFrame, level: str, prefix: str) -> pd.DataFrame:
    rows = figures.loc[(figures[LEVEL] == level) & figures[CODE].str.startswith(prefix)
                       & figures["exit_rate"].notna(), [CODE, NAME, "exit_rate", "remaining_poor"]]
    rows = rows.sort_values(["exit_rate", "remaining_poor", CODE], ascending=[False, True, True])
    return rows.assign(rank=range(1, len(rows) + 1))


def progress_ranking(now: pd.DataFrame, before: pd.DataFrame | None, *, level: str,
                     prefix: str = "") -> pd.DataFrame:
    """Units of `level` under `prefix` ranked by exit rate (脱贫率: exited / registered poor;
    ties: fewer remaining poor first, then code), with `rank_change` = previous rank - rank
    (positive: moved up; NA without a previous year or rank). Units without figures are left out."""
    ranked = _ranked(now, level, prefix)
    if before is None:
        return ranked.assign(rank_change=pd.array([pd.NA] * len(ranked), dtype="Int64")).reset_index(drop=True)
    earlier = _ranked(before, level, prefix)
    previous = dict(zip(earlier[CODE].tolist(), earlier["rank"].tolist()))
    # a plain look-up: mapping through an empty Series would keep the codes' string dtype
    before_rank = pd.array([previous.get(code) for code in ranked[CODE].tolist()], dtype="Int64")
    change = pd.Series(before_rank, index=ranked.index) - ranked["rank"].astype("Int64")
    return ranked.assign(rank_change=change).reset_index(drop=True)
