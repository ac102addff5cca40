"""Command-line import: validate files completely and publish them as one new dataset version.

    python -m geo.ingest --kind units --file 边界.zip [--layer NAME] [--crs EPSG:4545] [--repair]
    python -m geo.ingest --kind exit_status --file 退出.xlsx --kind units --file 边界.zip
    python -m geo.ingest --list            # versions of the store
    python -m geo.ingest --restore v0002-20260101T120000

Several --kind/--file pairs are published together. --check validates without publishing.
Problems are printed as located facts with rule keys (language-neutral, like geo.errors.DataError);
--report writes all of them to a CSV.
The store is $PORTAL_STORE_DIR (default var/datasets); the base for kinds not given is the active
version, else $PORTAL_DATA_DIR, else data/demo. Exit status 0 on success, 1 on problems.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo import datasets
from geo.ingest import pipeline, sandbox
from geo.ingest.report import Report
from geo.ingest.store import Store

ROOT = Path(__file__).resolve().parents[2]


def _store() -> Store:
    return Store(datasets.store_root())


def _base(store: Store) -> Path:
    return datasets.active_folder()


def _print(report: Report, out) -> None:
    # An entry point like a page: the Chinese wording comes from ui/ (pure modules, no
    # Streamlit); tests/test_architecture.py allows exactly this import in entry points.
    from ui.import_text import problem_text
    from ui.text import t
    for problem in report.sorted():
        print(f"[{t(f'severity.{problem.severity}')}] {problem_text(problem)}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m geo.ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--kind", action="append", choices=pipeline.KINDS, default=[])
    parser.add_argument("--file", action="append", default=[], type=Path)
    parser.add_argument("--layer", help="layer or sheet to import when a file holds several")
    parser.add_argument("--crs", help="CRS of a file without one (confirm one of the suggestions)")
    parser.add_argument("--repair", action="store_true", help="repair invalid polygons (area change reported)")
    parser.add_argument("--check", action="store_true", help="validate only, publish nothing")
    parser.add_argument("--report", type=Path, help="write all problems to this CSV")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--restore")
    args = parser.parse_args(argv)
    store = _store()
    if args.list:
        active = store.active_id()
        for version in store.versions():
            print(("* " if version.id == active else "  ") + version.id, version.meta.get("imported", {}))
        return 0
    if args.restore:
        try:
            store.activate(args.restore)
        except KeyError:
            print(f"unknown version {args.restore}", file=sys.stderr)
            return 1
        print(args.restore)
        return 0
    if not args.kind or len(args.kind) != len(args.file):
        parser.error("give --kind and --file in pairs")
    report = Report()
    staged: dict[str, pipeline.Staged] = {}
    pairs = sorted(zip(args.kind, args.file), key=lambda p: p[0] != "units")  # boundaries first
    for kind, path in pairs:
        units = staged["units"].data if "units" in staged else None
        units = pipeline.known_units(units, _base(store)) if kind != "units" else None
        staged[kind] = sandbox.staged(sandbox.stage_path, kind, str(path.resolve()), pick=args.layer,
                                      crs=args.crs, repair=args.repair, units=units)
        report.extend(staged[kind].report.problems)
    code = 0
    if report.ok and not args.check:
        published = pipeline.publish(store, staged, base=_base(store), report=report)
        if published:
            print(f"published {published[0].id}")
        else:
            code = 1
    elif not report.ok:
        code = 1
    _print(report, sys.stderr)
    if args.report:
        from geo.table import to_csv_bytes  # formula-like text neutralised, as in every download
        from ui.import_text import problems_table
        args.report.write_bytes(to_csv_bytes(problems_table(report.sorted())))
    return code


if __name__ == "__main__":
    sys.exit(main())
