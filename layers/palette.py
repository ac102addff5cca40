"""Colours shared by the interactive map and the static export (same classes, same colours)."""
from __future__ import annotations

STATUS_COLORS = {
    "not_exited": "#d7301f",  # red: behind
    "planned": "#fdae61",     # orange: due this year
    "exited": "#1a9850",      # green: done
    "non_poor": "#9fb3c8",    # blue-grey: not a poor unit; distinct from the #dddddd map
                              # background and from white no-data (a light grey read as a hole)
    "no_data": "#ffffff",     # white with hatch-like dashed border
}
NO_DATA_COLOR = STATUS_COLORS["no_data"]
BORDER_COLOR = "#4d4d4d"

# Sequential ColorBrewer ramps (5 classes); fewer classes take an evenly spread subset.
RAMPS = {
    "worse_high": ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"),  # OrRd
    "better_high": ("#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c"),  # Greens
}
INDICATOR_RAMP = {"incidence": "worse_high", "remaining_poor": "worse_high", "monitored": "worse_high",
                  "exit_rate": "better_high"}
FLAG_COLOR = "#7b3294"
CONTEXT_COLOR = "#ececec"  # units a mode leaves out (当年新退出: the others), drawn for context
BOUNDARY_FILL = "#f4f4f4"  # plain boundaries under other layers (sites, services)


def ramp(indicator: str, n: int) -> tuple[str, ...]:
    """`n` colours (n <= 5) of the indicator's ramp, spread from light to dark."""
    colors = RAMPS[INDICATOR_RAMP[indicator]]
    if n <= 0:
        return ()
    if n == 1:
        return (colors[2],)
    return tuple(colors[round(i * (len(colors) - 1) / (n - 1))] for i in range(n))

# Diverging change classes (ColorBrewer RdYlGn): an improvement is green, a deterioration red,
# deeper for a larger change; "no change" a neutral pale yellow (not white: that is no data).
CHANGE_GOOD = ("#d9ef8b", "#91cf60", "#1a9850")
CHANGE_BAD = ("#fee08b", "#fc8d59", "#d73027")
NO_CHANGE_COLOR = "#ffffbf"


def change_color(good: bool | None, rank: int, side: int) -> str:
    """Colour of a change class: neutral for no change, else the `rank`-th (1 = nearest 0) of
    `side` classes of the good or bad ramp, spread from light to dark."""
    if good is None:
        return NO_CHANGE_COLOR
    colors = CHANGE_GOOD if good else CHANGE_BAD
    spread = {1: (1,), 2: (0, 2), 3: (0, 1, 2)}[side]
    return colors[spread[rank - 1]]
