"""Map payload and build time per level, against a naive GeoDataFrame.explore() baseline.

Run: .venv/bin/python bench/bench_maps.py [dataset folder]
Prints bytes and seconds for county, township and village maps built the portal's way (coverage
simplified, rounded, pre-serialised, styled in JS), the naive explore() of the unsimplified
villages, and the ratios. Absolute times on shared machines are noisy; read the ratios.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.aggregate import unit_figures  # noqa: E402
from geo.consistency import consistency_flags  # noqa: E402
from geo.read import read_bundle  # noqa: E402
from geo.simplify import display_units, vertex_count  # noqa: E402
from geo.view import View, units_in_view  # noqa: E402
from layers.base import base_map  # noqa: E402
from layers.styling import style_view  # noqa: E402
from layers.view_layer import join_rows, view_layer  # noqa: E402

LABELS = {"not_exited": "a", "planned": "b", "exited": "c", "non_poor": "d", "no_data": "e"}


def portal_map(data, level: str, indicator: str = "status") -> tuple[str, int, float, float]:
    """HTML of the portal's map of a level; (html, vertices, prepare seconds, render seconds)."""
    start = time.perf_counter()
    view = View(level=level, indicator=indicator, classing="quantiles")
    rows = units_in_view(unit_figures(data.units, data.exit_status, view.year), view).copy()
    rows["flag"] = consistency_flags(rows)
    shapes = join_rows(display_units(data.units, level), rows)
    styled = style_view(shapes, indicator, "quantiles", status_labels=LABELS, title="t")
    fields = {"n": shapes["name"], "s": shapes["status"], "r": shapes["remaining_poor"],
              "i": shapes["incidence"]}
    group = view_layer(shapes, styled, name="x", fields=fields, flags=shapes["flag"].notna(),
                       flag_text="f", count_format="{label} ({count})", no_data_label="e")
    prepared = time.perf_counter() - start
    start = time.perf_counter()
    m = base_map(shapes.total_bounds)
    group.add_to(m)
    html = m.get_root().render()
    return html, vertex_count(shapes), prepared, time.perf_counter() - start


def naive_map(data) -> tuple[str, int, float]:
    start = time.perf_counter()
    figures = unit_figures(data.units, data.exit_status, 2020)
    villages = data.units.loc[data.units["level"] == "village"].merge(
        figures.drop(columns=["name", "level", "parent_code"]), on="code")
    m = villages.explore(column="status", tiles=None)
    html = m.get_root().render()
    return html, vertex_count(villages), time.perf_counter() - start


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "data" / "demo"
    data = read_bundle(folder)
    print(f"dataset: {folder}")
    print(f"{'map':<22}{'features':>9}{'vertices':>10}{'HTML bytes':>13}{'prepare s':>11}{'render s':>10}")
    results = {}
    for level in ("county", "township", "village"):
        html, vertices, prep, render = portal_map(data, level)
        n = int((data.units["level"] == level).sum())
        results[level] = (len(html.encode()), prep + render)
        print(f"{'portal ' + level:<22}{n:>9}{vertices:>10}{len(html.encode()):>13,}{prep:>11.2f}{render:>10.2f}")
    html, vertices, seconds = naive_map(data)
    n = int((data.units["level"] == "village").sum())
    naive_bytes = len(html.encode())
    print(f"{'naive explore village':<22}{n:>9}{vertices:>10}{naive_bytes:>13,}{seconds:>11.2f}{'':>10}")
    village_bytes, village_seconds = results["village"]
    print(f"\nvillage map vs naive explore(): bytes x{naive_bytes / village_bytes:.1f} smaller, "
          f"build x{seconds / village_seconds:.1f} faster")
    # the re-render cost st_folium pays on every rerun (prepared data cached)
    _, _, _, render = portal_map(data, "village")
    print(f"village re-render only (cached data): {render:.3f} s")


if __name__ == "__main__":
    main()
