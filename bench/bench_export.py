"""Time and bytes of the export on the demo data: one county as A4 PDF/PNG/HTML (township and
village level) and the 7-county briefing pack (PDF + PNG zip).

    .venv/bin/python bench/bench_export.py [--data data/demo] [--year 2018]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo.aggregate import unit_figures  # noqa: E402
from geo.read import read_bundle  # noqa: E402
from geo.simplify import display_units  # noqa: E402
from geo.view import View  # noqa: E402
from layers.export import export_view  # noqa: E402
from layers.pack import build_pack  # noqa: E402
from layers.snapshot import default_title, prepare_snapshot  # noqa: E402
from ui.text import t  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "demo")
    parser.add_argument("--year", type=int, default=2018)
    args = parser.parse_args()
    start = time.perf_counter()
    bundle = read_bundle(args.data)
    figures = unit_figures(bundle.units, bundle.exit_status, args.year)
    print(f"read + figures: {time.perf_counter() - start:.2f} s")
    towns = bundle.units.loc[bundle.units.level == "township", "parent_code"].value_counts()
    county = str(towns.index[0])   # the county with the most townships
    for level in ("township", "village"):
        display = display_units(bundle.units, level)
        view = View(level=level, region=county, year=args.year)
        snapshot = prepare_snapshot(bundle, view, t, demo=True, source=t("export.source_demo"),
                                    figures=figures, display=display)
        title = default_title(snapshot, t)
        for fmt in ("pdf", "png", "html"):
            start = time.perf_counter()
            data = export_view(snapshot, fmt, title=title, text=t)
            print(f"county {county} {level:8s} A4 {fmt:4s}: {time.perf_counter() - start:5.2f} s "
                  f"{len(data):>10,} bytes ({len(snapshot.shapes)} units)")
    start = time.perf_counter()
    pack = build_pack(bundle, "all", text=t, demo=True, source=t("export.source_demo"),
                      year=args.year)
    print(f"whole-dataset pack ({pack.pages} pages, PDF + PNG zip at 200 dpi): "
          f"{time.perf_counter() - start:5.2f} s, PDF {len(pack.pdf):,} bytes, zip {len(pack.zip):,} bytes")


if __name__ == "__main__":
    main()
