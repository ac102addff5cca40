"""Peak memory and time of every crafted hostile file, staged as the portal does it: in the
import sandbox (own process, limits from the settings). Also large honest-but-big inputs: the
demo exit table repeated to ~150k rows (CSV and XLSX), a 33 MB CSV, a 10^6-coordinate ring.

    .venv/bin/python bench/bench_hostile.py
"""
from __future__ import annotations

import io
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from openpyxl import Workbook  # noqa: E402

from geo.ingest import sandbox  # noqa: E402
from tests.ingest import hostile  # noqa: E402

DEMO = ROOT / "data" / "demo"


def big_inputs() -> list[tuple[str, str, str, bytes]]:
    """(label, kind, name, bytes) of large inputs."""
    lines = (DEMO / "exit_status.csv").read_text(encoding="utf-8").splitlines()
    header, body = lines[0], lines[1:]
    rows_150k = [header] + body * 7
    csv_150k = ("\n".join(rows_150k) + "\n").encode("utf-8")
    csv_33mb = ("\n".join([header] + body * 40) + "\n").encode("utf-8")
    book = Workbook(write_only=True)
    ws = book.create_sheet("退出")
    for line in rows_150k:
        ws.append(line.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    n = 1_000_000
    ring = [[107 + 0.1 * math.cos(2 * math.pi * i / n), 31 + 0.1 * math.sin(2 * math.pi * i / n)] for i in range(n)]
    return [
        (f"exit table {len(rows_150k) - 1} rows (CSV, {len(csv_150k) / 1e6:.0f} MB)", "exit_status", "e.csv", csv_150k),
        (f"exit table {len(rows_150k) - 1} rows (XLSX, {len(buffer.getvalue()) / 1e6:.0f} MB)", "exit_status",
         "e.xlsx", buffer.getvalue()),
        (f"CSV {len(csv_33mb) / 1e6:.0f} MB", "exit_status", "big.csv", csv_33mb),
        ("GeoJSON ring of 10^6 coordinates", "units", "ring.geojson", hostile._geojson([ring + [ring[0]]])),
    ]


def main() -> None:
    print(f"{'case':<44} {'bytes':>10} {'peak MB':>8} {'s':>6}  outcome")
    cases = [(c.id, c.kind, c.name, c.build()) for c in hostile.CASES if not c.env and not c.patch]
    for label, kind, name, data in cases + big_inputs():
        start = time.perf_counter()
        try:
            outcome = sandbox.run(sandbox.stage_upload, kind, name, data)
            errors = outcome.value.report.errors
            result = f"{len(errors)} errors, first {errors[0].rule}" if errors else "passed"
            peak = outcome.peak_rss_kb / 1024
        except sandbox.SandboxError as error:
            result, peak = f"sandbox: {error.reason}", float("nan")
        print(f"{label:<44} {len(data):>10} {peak:>8.0f} {time.perf_counter() - start:>6.1f}  {result}")


if __name__ == "__main__":
    main()
