"""`streamlit run` with the previous PostGIS read design, for bench/bench_pg_memory.py only: every
process reads the whole version (all polygons, every table) and simplifies display geometry
itself, as before the lean read path. Usage: python bench/pg_previous_design.py run APP [ARGS]."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo import pg
from ui import cache


def _full(version: str):
    """The former read: every unit with its stored polygon."""
    return pg.store().read_bundle(version)


def _level(version: str, level: str):
    """The former tile level summary: from this process's simplified display geometry."""
    import numpy as np
    import shapely
    display = cache.full_display(pg.KEY_PREFIX + version, (pg.KEY_PREFIX + version,), level)
    codes = tuple(sorted(display["code"].astype(str)))
    area = float(np.median(shapely.area(display.geometry.values)))
    lat = float(np.median(shapely.get_y(shapely.centroid(display.geometry.values))))
    return codes, float(np.sqrt(area) * 256 / 360 / max(np.cos(np.radians(lat)), 0.1))


pg.lean_bundle = _full
pg.level_summary = _level
cache.view_display = lambda view, fine=False: cache._display(*cache.key(), view.level, fine)
cache.display = lambda level, fine=False: cache._display(*cache.key(), level, fine)
cache.figures = lambda year: cache._figures(*cache.key(), year)

if __name__ == "__main__":
    from streamlit.web import cli
    sys.argv = ["streamlit", *sys.argv[1:]]
    sys.exit(cli.main())
