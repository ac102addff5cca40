"""How a change view (变化) is coloured and worded: diverging classes (geo.change) with colours by
whether the change is an improvement for the indicator, legend labels that say so ('减少 ≤ 500
（好转）'), and the tooltip texts of both years' values and the change. Screen (GeoJSON and vector
tiles) and export share it, so they show the same classes and labels.

`text` is the UI's lookup function (ui.text.t); this module holds no Chinese itself.
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from geo.change import GOOD_DIRECTION, classify_change, is_rate
from geo.disclosure import MONITORED_COLUMNS, is_small, small_label
from layers.palette import change_color
from layers.styling import Styled

Text = Callable[..., str]
WAN = 10_000


def count_words(value: float, text: Text, *, nice: bool = False) -> str:
    """A count as leaders read it: '8,000', '1.23 万' from 10,000 on ('2.5 万' when `nice`: a
    class bound)."""
    if abs(value) >= WAN:
        return text("change.wan", value=f"{value / WAN:g}" if nice else f"{value / WAN:,.2f}")
    return f"{value:,.0f}"


def value_text(value: float, indicator: str, text: Text) -> str:
    """One year's value: '3.67 %' for rates, '1,234' / '1.23 万' for counts."""
    if is_rate(indicator):
        return f"{value * 100:.2f} %"
    return count_words(value, text)


def amount_text(amount: float, indicator: str, text: Text) -> str:
    """The size of a change (>= 0): '1.20 个百分点' for rates, a count otherwise."""
    if is_rate(indicator):
        return text("change.points", value=f"{amount * 100:.2f}")
    return count_words(amount, text)


def _direction(sign: int, indicator: str, text: Text) -> str:
    kind = "rate" if is_rate(indicator) else "count"
    return text(f"change.{'drop' if sign < 0 else 'rise'}_{kind}")


def _verdict(sign: int, indicator: str, text: Text) -> str:
    good = (sign < 0) == (GOOD_DIRECTION[indicator] == "down")
    return text("change.better" if good else "change.worse")


def change_text(change: float, indicator: str, text: Text) -> str:
    """The tooltip's change: '减少 434（好转）', '上升 1.20 个百分点（好转）', '无变化'."""
    if change == 0:
        return text("change.same")
    sign = -1 if change < 0 else 1
    return text("change.class", direction=_direction(sign, indicator, text),
                amount=amount_text(abs(change), indicator, text), verdict=_verdict(sign, indicator, text))


def _bound(value: float, indicator: str, text: Text) -> str:
    """A class bound without its unit: '0.5' (percentage points), '5,000', '1 万'."""
    return f"{value * 100:g}" if is_rate(indicator) else count_words(value, text, nice=True)


def class_label(sign: int, lower: float, upper: float, indicator: str, text: Text) -> str:
    """A change class as a legend row: '减少 > 2,000（恶化）', '增加 500 – 2,000（恶化）',
    '下降 0.5 – 1 个百分点（好转）', '无变化'."""
    if sign == 0:
        return text("change.same")
    low, high = sorted((abs(lower), abs(upper)))
    if low == 0:
        amount = text("change.upto", value=_bound(high, indicator, text))
    elif high == float("inf"):
        amount = text("change.over", value=_bound(low, indicator, text))
    else:
        amount = text("change.range", low=_bound(low, indicator, text), high=_bound(high, indicator, text))
    if is_rate(indicator):
        amount = text("change.points", value=amount)
    return text("change.class", direction=_direction(sign, indicator, text), amount=amount,
                verdict=_verdict(sign, indicator, text))


def style_change(rows: pd.DataFrame, indicator: str, text: Text, *, title: str) -> Styled:
    """Diverging classes of rows['change'] (geo.change.classify_change): colours and labels per
    class, every class counted, missing changes as no data."""
    classes = classify_change(rows["change"], indicator)
    colors = tuple(change_color(g, r, classes.side) for g, r in zip(classes.good, classes.rank))
    labels = tuple(class_label(s, lo, hi, indicator, text)
                   for s, lo, hi in zip(classes.sign, classes.lower, classes.upper))
    return Styled(classes.index, colors, labels, classes.counts, classes.no_data, title)


def change_fields(rows: pd.DataFrame, indicator: str, base: int, year: int, text: Text, *,
                  small_count: int = 0) -> dict[str, pd.Series]:
    """Tooltip rows after name and code: the earlier year's value, the later year's, the change
    (None where unknown). Exports pass `small_count`: monitored counts between 0 and it read
    '<5', and so does a change from or to such a count (it would give the count away)."""
    name = text(f"indicator.{indicator}")
    suppress = indicator in MONITORED_COLUMNS and small_count > 1
    small = (rows["before"].map(lambda v: is_small(v, small_count)) | rows["after"].map(lambda v: is_small(v, small_count))
             if suppress else pd.Series(False, index=rows.index))

    def year_value(v: object) -> str | None:
        if pd.isna(v):
            return None
        if suppress and is_small(v, small_count):
            return small_label(small_count)
        return value_text(float(v), indicator, text)

    change = rows["change"].map(lambda v: None if pd.isna(v) else change_text(float(v), indicator, text))
    return {
        text("change.field_year", year=base, indicator=name): rows["before"].map(year_value),
        text("change.field_year", year=year, indicator=name): rows["after"].map(year_value),
        text("change.field"): change.mask(small, small_label(small_count)),
    }
