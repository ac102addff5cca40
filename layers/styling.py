"""How a view is coloured, independent of the drawing library: class per unit, colours, class
labels and counts. The interactive map (units_layer) and the static export share it, so a
printed map has exactly the classes and colours seen on screen."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import pandas as pd

from geo.aggregate import STATUSES
from geo.classify import NO_DATA, classify
from geo.disclosure import MONITORED_COLUMNS, is_small, small_label
from layers.palette import CONTEXT_COLOR, NO_DATA_COLOR, STATUS_COLORS, ramp

PERCENT_INDICATORS = ("incidence", "exit_rate")
SUPPRESSED_INDICATORS = MONITORED_COLUMNS   # counts of monitored households (geo.disclosure)


@dataclass(frozen=True)
class Styled:
    """Per-unit class index (NO_DATA = -1) aligned with the rows, and the legend classes."""

    index: pd.Series
    colors: tuple[str, ...]
    labels: tuple[str, ...]
    counts: tuple[int, ...]
    no_data: int
    title: str

    def fill(self) -> pd.Series:
        """Fill colour per unit."""
        return self.index.map(lambda k: NO_DATA_COLOR if k == NO_DATA else self.colors[k])


def format_value(value: float, indicator: str, *, small_count: int = 0) -> str:
    """Display form of one metric value: '3.67 %' or '1,234'; monitored-household counts between
    0 and `small_count` as '<5' (geo.disclosure; 0 disables)."""
    if indicator in SUPPRESSED_INDICATORS and is_small(value, small_count):
        return small_label(small_count)
    if indicator in PERCENT_INDICATORS:
        return f"{value * 100:.2f} %"
    return f"{value:,.0f}"


def threshold_text(value: float, indicator: str) -> str:
    """A policy threshold as written in policy texts: '3 %', '2,000'."""
    if indicator in PERCENT_INDICATORS:
        return f"{value * 100:g} %"
    return f"{value:,.0f}"


def policy_labels(indicator: str, lower: tuple[float, ...], upper: tuple[float, ...]) -> tuple[str, ...]:
    """Labels of fixed policy classes: '0' or '≤ b0', 'a – b' (a inclusive), '≥ b_last'."""
    labels = []
    for i, (low, high) in enumerate(zip(lower, upper)):
        if i == 0:
            text = threshold_text(high, indicator)
            labels.append(text if low == high else f"≤ {text}")
        elif high == float("inf"):
            labels.append(f"≥ {threshold_text(low, indicator)}")
        else:
            labels.append(f"{threshold_text(low, indicator)} – {threshold_text(high, indicator)}")
    return tuple(labels)


def style_status(rows: pd.DataFrame, *, status_labels: Mapping[str, str], title: str) -> Styled:
    """Categorical exit status; 'no_data' becomes the no-data class."""
    classes = [s for s in STATUSES if s != "no_data"]
    status = rows["status"].fillna("no_data")
    index = status.map(lambda s: classes.index(s) if s in classes else NO_DATA).astype("int64")
    counts = tuple(int((index == i).sum()) for i in range(len(classes)))
    return Styled(index, tuple(STATUS_COLORS[s] for s in classes),
                  tuple(status_labels[s] for s in classes), counts, int((index == NO_DATA).sum()), title)


def style_metric(rows: pd.DataFrame, indicator: str, method: str, *, title: str, small_count: int = 0,
                 also: pd.Series | None = None) -> Styled:
    """A metric classed with mapclassify; labels are value ranges (small monitored counts as '<5'
    when `small_count` is set: an export's legend). `also` (e.g. the other year of a side-by-side)
    is classed together with the rows, so both maps get the same classes, but is not counted."""
    if also is None:
        classes = classify(rows[indicator], method, indicator=indicator)
    else:
        joint = pd.concat([rows[indicator].reset_index(drop=True), also.reset_index(drop=True)], ignore_index=True)
        classes = classify(joint, method, indicator=indicator)
        mine = pd.Series(classes.index.iloc[:len(rows)].to_numpy(), index=rows.index, dtype="int64")
        classes = replace(classes, index=mine, no_data=int((mine == NO_DATA).sum()),
                          counts=tuple(int((mine == i).sum()) for i in range(len(classes.upper))))
    if method == "policy":
        return Styled(classes.index, ramp(indicator, len(classes.upper)),
                      policy_labels(indicator, classes.lower, classes.upper), classes.counts,
                      classes.no_data, title)
    labels = []
    for lower, upper in zip(classes.lower, classes.upper):
        low = format_value(lower, indicator, small_count=small_count)
        high = format_value(upper, indicator, small_count=small_count)
        labels.append(low if low == high else f"{low} – {high}")
    return Styled(classes.index, ramp(indicator, len(classes.upper)), tuple(labels), classes.counts,
                  classes.no_data, title)


def style_view(rows: pd.DataFrame, indicator: str, method: str, *, status_labels: Mapping[str, str],
               title: str, context_label: str = "", small_count: int = 0, also: pd.Series | None = None) -> Styled:
    """Status colouring or metric classing, depending on the indicator. Rows with a true
    `context` column (units a mode leaves out) are not classed: they get one neutral last class.
    `also`: values classed together with the metric (style_metric)."""
    context = rows["context"].fillna(False).astype(bool) if "context" in rows else pd.Series(False, index=rows.index)
    shown = rows.loc[~context]
    if indicator == "status":
        styled = style_status(shown, status_labels=status_labels, title=title)
    else:
        styled = style_metric(shown, indicator, method, title=title, small_count=small_count, also=also)
    if not context.any():
        return styled
    index = pd.Series(len(styled.colors), index=rows.index, dtype="int64")
    index[~context] = styled.index
    return Styled(index, (*styled.colors, CONTEXT_COLOR), (*styled.labels, context_label),
                  (*styled.counts, int(context.sum())), styled.no_data, title)
