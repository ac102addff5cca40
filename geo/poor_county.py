"""Which counties the data call 贫困县, and which they leave unsaid.

A county's exit status (摘帽) exists only for a poor county: 贫困县 is a designation (the national
and provincial lists of poor counties), and 摘帽 is granted after inspection and acceptance
(一低三有: incidence below 3 % and every township 乡三有). Neither follows from delivered figures:
non-poor counties have registered poor people and poor villages too, and a township table carries
no acceptance. So the portal never derives the flag: a county whose row of the year has no
`poor_flag` (贫困县/村, e.g. a 是否贫困县 column) is "no data" for status, and the pages say so and
how to deliver it (`counties_without_flag`). Population, exit and village figures are still summed
from the townships and shown.
"""
from __future__ import annotations

import pandas as pd

from geo.schema import CODE, LEVEL


def counties_without_flag(figures: pd.DataFrame, prefix: str = "") -> list[str]:
    """Codes of the counties under `prefix` whose figures (`geo.aggregate.unit_figures` of one
    year) carry no poor-county flag, in code order. Input unchanged."""
    counties = figures.loc[(figures[LEVEL] == "county") & figures[CODE].str.startswith(prefix)]
    return sorted(counties.loc[counties["poor_flag"].isna(), CODE].tolist())
