"""Import benchmark on the bundled demo (3,001 villages): stage the boundaries as an upload
(GeoPackage, and as a zipped GBK Shapefile in Gauss-Kruger), stage the exit-status table, publish.

    .venv/bin/python bench/bench_import.py
"""
from __future__ import annotations

import io
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pyogrio  # noqa: E402

from geo.ingest import files, pipeline  # noqa: E402
from geo.ingest.report import Report  # noqa: E402
from geo.ingest.store import Store  # noqa: E402

DEMO = ROOT / "data" / "demo"


def timed(label: str, fn):
    start = time.perf_counter()
    out = fn()
    print(f"{label:<48} {time.perf_counter() - start:6.2f} s")
    return out


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    units = pyogrio.read_dataframe(DEMO / "units.gpkg")[["code", "name", "geometry"]]
    print(f"units: {len(units)} features")
    gpkg = (DEMO / "units.gpkg").read_bytes()
    report = Report()
    up = files.receive(gpkg, name="units.gpkg", report=report, staging_root=work)
    staged_units = timed("stage units (GeoPackage, EPSG:4490)", lambda: pipeline.stage("units", up, report))
    assert report.ok, report.problems[:3]
    shp = work / "shp"
    shp.mkdir()
    units.to_crs("EPSG:4524").to_file(shp / "u.shp", engine="pyogrio", encoding="GB18030")
    (shp / "u.cpg").unlink(missing_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in shp.iterdir():
            archive.write(path, f"边界/{path.name}")
    print(f"zipped GB18030 shapefile: {len(buffer.getvalue()) / 1e6:.1f} MB")
    report = Report()
    up = timed("receive zip (limits, extract)", lambda: files.receive(buffer.getvalue(), name="u.zip",
                                                                        report=report, staging_root=work))
    timed("stage units (GB18030 Shapefile, no .cpg, EPSG:4524)", lambda: pipeline.stage("units", up, report))
    assert report.ok, report.problems[:3]
    csv = (DEMO / "exit_status.csv").read_bytes()
    report = Report()
    up = files.receive(csv, name="exit_status.csv", report=report, staging_root=work)
    rows = csv.count(b"\n") - 1
    staged_exit = timed(f"stage exit_status ({rows} rows)",
                        lambda: pipeline.stage("exit_status", up, report, units=staged_units.data))
    assert report.ok, report.problems[:3]
    report = Report()
    store = Store(work / "store")
    timed("publish (cross-check, write, read_bundle, rename)",
          lambda: pipeline.publish(store, {"units": staged_units, "exit_status": staged_exit},
                                   base=DEMO, report=report))
    assert report.ok and store.active_id(), report.problems[:3]


if __name__ == "__main__":
    main()
