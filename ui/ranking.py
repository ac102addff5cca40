"""The progress ranking beside a map: counties (or the townships of a county) by exit rate with
the rank change since the previous year; clicking a row opens that unit."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.ranking import progress_ranking
from geo.schema import YEARS
from ui import cache
from ui.text import t


def _change_text(change: object) -> str:
    if change is None or pd.isna(change):
        return "—"
    change = int(change)
    return "—" if change == 0 else (f"▲ {change}" if change > 0 else f"▼ {-change}")


def ranking_table(year: int, level: str, prefix: str) -> tuple[pd.DataFrame, list[str]]:
    """(display table, codes in row order) of the ranking of `level` units under `prefix`."""
    before = cache.figures(year - 1) if year - 1 in YEARS else None
    ranked = progress_ranking(cache.figures(year), before, level=level, prefix=prefix)
    table = pd.DataFrame({
        t("rank.rank"): ranked["rank"],
        t("field.name"): ranked["name"],
        t("rank.rate"): (ranked["exit_rate"].astype("Float64") * 100).round(1),
        t("rank.change"): ranked["rank_change"].map(_change_text),
    })
    return table, list(ranked["code"])


def ranking_panel(year: int, level: str, prefix: str, *, key: str) -> str | None:
    """Draw the ranking (title, table); returns the code of a row the user just selected, once.

    The table's widget key names its year, level and region: a selection belongs to one ranking
    (after a drill-down the townships' table must not inherit the row picked among the counties,
    which opened a township nobody clicked). The pick is taken in the selection callback, which
    runs only when the user changes the selection, so a kept selection never overrides a later
    map click."""
    table, codes = ranking_table(year, level, prefix)
    widget = f"{key}.{level}.{prefix or 'all'}.{year}"

    def picked() -> None:
        rows = st.session_state[widget].selection.rows
        if rows and rows[0] < len(codes):
            st.session_state[f"{key}.picked"] = codes[rows[0]]

    st.markdown(f"**{t('rank.title', level=t(f'level.{level}'), year=year)}**")
    st.caption(t("rank.hint"))
    st.dataframe(table, hide_index=True, width="stretch", key=widget, on_select=picked,
                 selection_mode="single-row", height=min(420, 36 + 35 * len(table)))
    return st.session_state.pop(f"{key}.picked", None)
