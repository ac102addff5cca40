"""Colours shared by the interactive map and the static export (same classes, same colours)."""
from __future__ import annotations

STATUS_COLORS = {
    "not_exited": "#d7301f",  # red: behind
    "planned": "#fdae61",     # orange: due this year
    "exited": "#1a9850",      # green: done
    "non_poor": "#d9d9d9",    # grey: not a poor unit, shown apart
    "no_data": "#ffffff",     # white with hatch-like dashed border
}
NO_DATA_COLOR = STATUS_COLORS["no_data"]
BORDER_COLOR = "#4d4d4d"
