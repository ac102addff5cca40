"""KPI cards with the change against the previous year (▲ / ▼, large counts in 万)."""
from __future__ import annotations

import streamlit as st

from geo.aggregate import Kpis
from ui.text import t

WAN = 10_000


def count_text(value: int) -> str:
    """A head count as leaders read it: '8,000', '19.98 万' from 10,000 on."""
    return t("kpi.wan", value=value / WAN) if abs(value) >= WAN else f"{value:,}"


def persons_text(value: int) -> str:
    """'8,000 人' / '47.00 万人'."""
    return t("kpi.persons_wan", value=value / WAN) if abs(value) >= WAN else t("kpi.persons", value=value)


def delta(now: float | None, before: float | None, *, good: str, percent: bool = False,
          year: int) -> tuple[str | None, str]:
    """(delta text, st.metric delta_color) of a change: '▲ 3' / '▼ 1.20 万' / '▼ 0.35 个百分点',
    coloured green when the change goes the `good` way ('up' or 'down'), red otherwise, grey when
    nothing changed; (None, 'off') without a previous year."""
    if now is None or before is None:
        return None, "off"
    change = now - before
    if percent:
        amount = t("kpi.points", value=abs(change) * 100)
    else:
        amount = count_text(int(abs(change)))
    if change == 0:
        return t("kpi.same", year=year - 1), "off"
    arrow = "▲" if change > 0 else "▼"
    text = t("kpi.delta", arrow=arrow, amount=amount, year=year - 1)
    better = (change > 0) == (good == "up")
    return text, "normal" if better else "inverse"


def overview_cards(now: Kpis, before: Kpis | None, year: int) -> None:
    """The four headline cards of 总览 with their change since the year before."""
    prev = before
    rows = [
        (t("kpi.counties"), t("kpi.of", done=now.exited_counties, total=now.poor_counties),
         delta(now.exited_counties, prev.exited_counties if prev else None, good="up", year=year)),
        (t("kpi.villages"), t("kpi.of", done=now.exited_villages, total=now.poor_villages),
         delta(now.exited_villages, prev.exited_villages if prev else None, good="up", year=year)),
        (t("kpi.remaining"), persons_text(now.remaining_poor),
         delta(now.remaining_poor, prev.remaining_poor if prev else None, good="down", year=year)),
        (t("kpi.incidence"), t("kpi.percent", value=now.incidence) if now.incidence is not None else t("kpi.none"),
         delta(now.incidence, prev.incidence if prev else None, good="down", percent=True, year=year)),
    ]
    for column, (label, value, (change, color)) in zip(st.columns(len(rows)), rows):
        column.metric(label, value, change, delta_color=color, delta_arrow="off")
