"""Briefing pack (汇报材料) from the command line: a cover with the region's KPIs plus one page
per county (or per township of a county), as one PDF and optionally a zip of PNGs.

    .venv/bin/python -m cli.pack --region all --out pack.pdf [--zip pack.zip]
        [--year 2020] [--indicator status] [--classing quantiles] [--paper A4|A3]
        [--orientation landscape|portrait] [--dpi 200] [--data FOLDER]

`--region` is `all` (or the dataset's own prefecture/province code) for the whole dataset, or a
county code. `--data` defaults to $PORTAL_DATA_DIR, else the active store version, else the
bundled demo.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo.classify import METHODS
from geo.datasets import active_folder, demo_kinds, is_demo
from geo.errors import DataError
from geo.identity import identity_of
from geo.read import read_bundle
from geo.schema import YEARS
from geo.view import INDICATORS
from layers.export import DPI
from layers.pack import build_pack, pack_views
from layers.static_map import ORIENTATIONS, PAPERS
from ui import text as ui_text


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: write the pack PDF (and optionally the PNG zip); 0 on success."""
    parser = argparse.ArgumentParser(prog="python -m cli.pack", description=__doc__.splitlines()[0])
    parser.add_argument("--region", required=True,
                        help="'all' or the dataset's own prefecture/province code (the whole dataset), "
                             "or a county code")
    parser.add_argument("--out", required=True, type=Path, help="PDF file to write")
    parser.add_argument("--zip", type=Path, help="zip of the pages as PNG")
    parser.add_argument("--year", type=int, default=YEARS[-1], choices=YEARS)
    parser.add_argument("--indicator", default="status", choices=INDICATORS)
    parser.add_argument("--classing", default="quantiles", choices=METHODS)
    parser.add_argument("--paper", default="A4", choices=sorted(PAPERS))
    parser.add_argument("--orientation", default="landscape", choices=ORIENTATIONS)
    parser.add_argument("--dpi", type=int, default=DPI)
    parser.add_argument("--title", help="cover title (default: region and year)")
    parser.add_argument("--data", type=Path, default=None, help="dataset folder")
    args = parser.parse_args(argv)
    t = ui_text.t
    folder = Path(args.data).resolve() if args.data else active_folder()
    kinds = demo_kinds(folder)
    try:
        bundle = read_bundle(folder)
    except DataError as error:
        print(ui_text.error_text(error), file=sys.stderr)
        return 1
    source = t("export.source_demo") if is_demo(folder) else t("export.source_folder", folder=folder.name)

    def progress(done: int, total: int, name: str) -> None:
        if name:
            print(t("export.pack_progress", done=done + 1, total=total, name=name), file=sys.stderr)

    try:
        pack_views(bundle, args.region, year=args.year)
    except ValueError:
        aliases = identity_of(bundle.units).aliases
        print(t("export.cli_region", region=args.region, roots=t("identity.join").join(aliases)), file=sys.stderr)
        return 2
    pack = build_pack(bundle, args.region, text=t, demo=bool(kinds), demo_kinds=kinds, source=source, year=args.year,
                      indicator=args.indicator, classing=args.classing, paper=args.paper,
                      orientation=args.orientation, dpi=args.dpi, title=args.title, progress=progress)
    args.out.write_bytes(pack.pdf)
    if args.zip:
        args.zip.write_bytes(pack.zip)
    print(t("export.pack_done", pages=pack.pages), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
