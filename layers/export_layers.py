"""What the relocation and services pages add to an export (layers.snapshot.with_layers): the
site points with the stage colours of the interactive map, the neutral boundary colouring and the
gap-count classes, all from the same constants and functions the on-screen layers use."""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from geo.schema import CODE, SITE_STAGES
from layers.palette import BOUNDARY_FILL
from layers.service_layer import GAP_COLORS, NO_DATA, gap_classes
from layers.sites_layer import FLAG_COLOR, LINE_COLOR, NO_STAGE_COLOR, STAGE_COLORS, SitesLegend, _stage_index
from layers.snapshot import Points
from layers.styling import Styled


def site_points(drawn: pd.DataFrame, flagged: pd.Series, radius: pd.Series, legend: SitesLegend) -> Points:
    """Points of drawable sites (lon/lat present) coloured by stage; `flagged` (bool) and
    `radius` (px, layers.sites_layer.marker_radius) share `drawn`'s index."""
    unstaged = any(not isinstance(v, str) for v in drawn["stage"])  # site lists may carry no stage
    return Points(
        lon=tuple(float(v) for v in drawn["lon"]), lat=tuple(float(v) for v in drawn["lat"]),
        classes=tuple(_stage_index(v) for v in drawn["stage"]),
        radius=tuple(float(v) for v in radius.loc[drawn.index]),
        flagged=tuple(bool(v) for v in flagged.loc[drawn.index]),
        colors=tuple(STAGE_COLORS[s] for s in SITE_STAGES) + ((NO_STAGE_COLOR,) if unstaged else ()),
        labels=tuple(legend.stage_labels[s] for s in SITE_STAGES)
        + ((legend.stage_labels.get("none", ""),) if unstaged else ()), title=legend.title,
        flag_color=FLAG_COLOR, flag_label=legend.flag_text, line_color=LINE_COLOR,
        size_title=legend.size_title, sizes=tuple(legend.sizes))


def neutral_styled(shapes: pd.DataFrame, label: str) -> Styled:
    """Every unit in one neutral class (boundaries only), legend `label` with the unit count."""
    index = pd.Series(0, index=shapes.index, dtype="int64")
    return Styled(index, (BOUNDARY_FILL,), (label,), (len(index),), 0, label)


def gap_styled(shapes: pd.DataFrame, gaps: pd.DataFrame, labels: Sequence[str], title: str) -> Styled:
    """The gap-count classes of the services page for `shapes` (a CODE column); `gaps` holds
    CODE and `gaps` (Int64, NA = not reported) per village."""
    per_code = gaps.drop_duplicates(CODE).set_index(CODE)["gaps"]
    index = gap_classes(shapes[CODE].map(per_code).astype("Float64"))
    index.index = shapes.index
    counts = tuple(int((index == i).sum()) for i in range(len(GAP_COLORS)))
    return Styled(index, GAP_COLORS, tuple(labels), counts, int((index == NO_DATA).sum()), title)
