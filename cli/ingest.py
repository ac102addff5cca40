"""Import a whole delivery from the command line: every file recognised by its content,
validated completely, and published as one new dataset version.

    python -m cli.ingest --new [--repair] [--allow-removal] [--mapping FILE] FILE [FILE ...]
    python -m cli.ingest 退出情况.xlsx                 # update the active dataset
    python -m cli.ingest --kind-of 表1.csv=sites FILE   # correct a guess ("" skips a file)
    python -m cli.ingest --kind units --file 边界.zip    # the older kind/file pairs still work
    python -m cli.ingest --list                         # versions, * = active
    python -m cli.ingest --restore v0002-20260101T120000

--new publishes exactly the delivered files (nothing of the current data); without it the
delivery updates the active dataset (changed units and rows, everything else kept). A publish
that would remove data needs --allow-removal. --repair consents to repairing invalid polygons
and swapped longitude/latitude. --check validates without publishing; --report writes all
problems to a CSV. The store is the `store_dir` setting (with `backend = "postgis"` the
PostGIS store of record: versions listed, published and restored there); the base of an update is the active
version, else the `data_dir` setting, else the bundled demo. Exit 0 when published, 1 with the
problems printed in Chinese.
"""
from __future__ import annotations

import argparse
import getpass
import sys
import time
from pathlib import Path

from access import audit, db
from geo import datasets, pg
from geo.ingest import pipeline, profiles, sandbox
from geo.ingest.report import Report
from geo.ingest.store import Store
from geo.table import to_csv_bytes
from ui.import_text import problem_text, problems_table
from ui.text import t


def _print(report: Report, out) -> None:
    for problem in report.sorted():
        print(f"[{t(f'severity.{problem.severity}')}] {problem_text(problem)}", file=out)


def _kinds(pairs: list[str], parser: argparse.ArgumentParser) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, _, kind = pair.rpartition("=")
        if not name or (kind and kind not in pipeline.KINDS):
            parser.error(t("cli.kind_of", value=pair, kinds="、".join(pipeline.KINDS)))
        out[name] = kind
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m cli.ingest", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, metavar="FILE")
    parser.add_argument("--new", action="store_true", help="publish exactly the delivered files")
    parser.add_argument("--allow-removal", action="store_true", help="consent to removing data")
    parser.add_argument("--repair", action="store_true",
                        help="repair invalid polygons and swapped lon/lat (every repair is listed)")
    parser.add_argument("--mapping", type=Path, help="header mapping profile (JSON)")
    parser.add_argument("--kind-of", action="append", default=[], metavar="FILE=KIND")
    parser.add_argument("--year", type=int, help="as-of year of tables without a year column")
    parser.add_argument("--kind", action="append", choices=pipeline.KINDS, default=[])
    parser.add_argument("--file", action="append", default=[], type=Path)
    parser.add_argument("--crs", help="CRS of a file without one (confirm one of the suggestions)")
    parser.add_argument("--check", action="store_true", help="validate only, publish nothing")
    parser.add_argument("--report", type=Path, help="write all problems to this CSV")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--restore")
    args = parser.parse_args(argv)
    store = pg.record_store(datasets.store_root())   # files or PostGIS (setting `backend`)
    if args.list:
        active = store.active_id()
        for version in store.versions():
            print(("* " if version.id == active else "  ") + version.id, version.meta.get("imported", {}))
        return 0
    if args.restore:
        try:
            store.activate(args.restore)
            _audit("restore", version=args.restore)
        except KeyError:
            print(t("cli.unknown_version", id=args.restore), file=sys.stderr)
            return 1
        print(args.restore)
        return 0
    if len(args.kind) != len(args.file):
        parser.error(t("cli.pairs"))
    paths = list(args.paths) + list(args.file)
    if not paths:
        parser.error(t("cli.no_files"))
    kinds = _kinds(args.kind_of, parser)
    kinds.update({path.name: kind for kind, path in zip(args.kind, args.file)})
    mapping = None
    if args.mapping:
        try:
            profile = profiles.load(args.mapping)
        except ValueError as exc:
            print(t("cli.mapping_bad", file=args.mapping.name, value=str(exc)), file=sys.stderr)
            return 1
        mapping = profile.columns
    started = time.perf_counter()
    mode = "new" if args.new else "update"
    base = None if args.new else _base(store)
    # opened and checked in a separate process with time and memory limits (geo.ingest.sandbox)
    delivery, report = sandbox.staged_delivery([(path.name, str(path.resolve())) for path in paths], mode=mode,
                                               base=base, kinds=kinds, crs=args.crs, repair=args.repair,
                                               mapping=mapping, year_all=args.year)
    code = 1
    if report.ok and not args.check:
        publish_base = _base(store)
        published = pipeline.publish(store, delivery.staged, base=publish_base, report=report, mode=mode,
                                     allow_removal=args.allow_removal)
        if published:
            version, bundle = published
            code = 0
            _audit("publish", version=version.id, ok=True)
            print(t("cli.published", id=version.id, seconds=round(time.perf_counter() - started, 1)))
            counts = bundle.units["level"].value_counts()
            print(t("cli.counts", counties=int(counts.get("county", 0)), townships=int(counts.get("township", 0)),
                    villages=int(counts.get("village", 0)), exit_rows=len(bundle.exit_status),
                    service_rows=len(bundle.services), sites=len(bundle.sites)))
    elif report.ok:
        code = 0
    _print(report, sys.stderr)
    if args.report:
        args.report.write_bytes(to_csv_bytes(problems_table(report.sorted())))  # formula-like text neutralised
    return code


def _base(store: Store | pg.RecordStore) -> Path:
    """The dataset an update composes from: the active version (on PostGIS exported once to a
    folder), else the `data_dir` setting or the bundled demo."""
    if isinstance(store, pg.RecordStore):
        return store.base_folder() or datasets.DEMO_FOLDER.resolve()
    return datasets.active_folder()


def _audit(event: str, **detail: object) -> None:
    """Audit a publish or restore made on the command line (who: the operating-system user)."""
    conn = db.connect()
    try:
        audit.record(conn, event, user=f"cli:{getpass.getuser()}", detail={**detail, "via": "cli"})
        conn.commit()
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
