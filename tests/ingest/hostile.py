"""Hostile uploads generated in code (no binaries in git): each case is a file a hostile or
careless user could send, with the located problem the import must answer with.

A case names the kind it is uploaded as, the file name as written, a builder of its bytes, the
rule expected and where it must be located (value / row / column / sheet), and optionally
settings lowered for the case (environment overrides, as a deployment would set them).
"""
from __future__ import annotations

import io
import json
import math
import sqlite3
import struct
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from tests import tiny
from tests.ingest import fixtures as fx

VRT = (b'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>CSV:/etc/passwd</SrcDataSource>'
       b'<GeometryType>wkbNone</GeometryType></OGRVRTLayer></OGRVRTDataSource>')
FORMULA = "=cmd|' /C calc'!A0"
SCRIPT = "<script>alert(1)</script>"
MARKDOWN = "![x](http://192.0.2.1/b.png)[核实](http://192.0.2.1/)"
CONTROL = "\x1b[31m新民\x07村\u202e"
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
          + ']>')


@dataclass(frozen=True)
class Case:
    """One hostile upload and the answer expected."""

    id: str
    kind: str
    name: str
    build: Callable[[], bytes]
    rule: str
    where: dict = field(default_factory=dict)     # expected value/row/column/sheet of the problem
    env: dict = field(default_factory=dict)       # settings lowered for this case
    patch: dict = field(default_factory=dict)     # module constants of geo.ingest.files lowered
    units: bool = False                           # stage with tiny's boundaries (table codes checked)
    secret: bytes | None = None                   # bytes that must never appear in the report


# ------------------------------------------------------------------------------ builders

def _shapefile(stem: str = "村界") -> dict[str, bytes]:
    folder = Path(tempfile.mkdtemp(prefix="hostile-shp-"))
    return fx.write_shapefile(fx.units_in_zone_prefix(), folder, stem)


def _shp_zip(stem: str = "村界", **replace: bytes) -> bytes:
    members = _shapefile(stem)
    for suffix, data in replace.items():
        members[f"{stem}.{suffix}"] = data
    return fx.zip_bytes(members)


def _corrupt_header(data: bytes) -> bytes:
    return b"\x00\x00\x00\x00" + data[4:]


def _dbf_lying() -> bytes:
    dbf = bytearray(_shapefile()["村界.dbf"])
    dbf[4:8] = struct.pack("<I", 10_000_000)     # ten million records in a few hundred bytes
    return bytes(dbf)


def _gpkg(view_only: bool, application_id: bool = True) -> bytes:
    folder = Path(tempfile.mkdtemp(prefix="hostile-gpkg-"))
    path = folder / "x.gpkg"
    tiny.units_frame().to_file(path, layer="units", engine="pyogrio")
    with sqlite3.connect(path) as db:
        db.execute("CREATE VIEW loop AS WITH RECURSIVE r(fid) AS (SELECT 1 UNION ALL SELECT fid + 1 FROM r) "
                   "SELECT fid, NULL AS geom, 'x' AS code FROM r")
        db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
                   "VALUES ('loop', 'features', 'loop', 4545)")
        db.execute("INSERT INTO gpkg_geometry_columns VALUES ('loop', 'geom', 'POLYGON', 4545, 0, 0)")
        if view_only:
            db.execute("DELETE FROM gpkg_contents WHERE table_name = 'units'")
        if not application_id:
            db.execute("PRAGMA application_id = 0")
    return path.read_bytes()


def _geojson(coordinates: list) -> bytes:
    feature = {"type": "Feature", "properties": {"code": tiny.COUNTY, "name": "渠县"},
               "geometry": {"type": "Polygon", "coordinates": coordinates}}
    return json.dumps({"type": "FeatureCollection", "features": [feature]}).encode("utf-8")


def _ring(n: int) -> list:
    ring = [[107.0 + 0.1 * math.cos(2 * math.pi * i / n), 31.0 + 0.1 * math.sin(2 * math.pi * i / n)]
            for i in range(n)]
    return [ring + [ring[0]]]


def _deep_geojson() -> bytes:
    depth = 100_000
    return (b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
            b'"geometry":{"type":"Polygon","coordinates":' + b"[" * depth + b"]" * depth + b"}}]}")


def _zip_raw(entries: list[tuple[zipfile.ZipInfo | str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return buffer.getvalue()


def _symlink_zip() -> bytes:
    info = zipfile.ZipInfo("村界.shp")
    info.external_attr = 0o120777 << 16
    return _zip_raw([(info, "/etc/passwd")])


def _encrypted_zip() -> bytes:
    """A zip whose member is marked encrypted (traditional PKWARE); zipfile cannot write one,
    so the flag is set in the local and the central header."""
    data = bytearray(_zip_raw([("退出.csv", b"\x00" * 64)], zipfile.ZIP_STORED))
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    data[local + 6] |= 0x1
    data[central + 8] |= 0x1
    return bytes(data)


def _lying_sizes_zip() -> bytes:
    """A deflated bomb whose headers claim 100 bytes uncompressed (passes the ratio check on
    paper); the bytes actually inflated are what count."""
    data = bytearray(_zip_raw([("村界.geojson", b" " * (5 * 1024 * 1024))]))
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    data[local + 22:local + 26] = struct.pack("<I", 100)
    data[central + 24:central + 28] = struct.pack("<I", 100)
    return bytes(data)


def _bad_crc_zip() -> bytes:
    data = bytearray(_zip_raw([("退出.csv", b"code,year\n" * 50)], zipfile.ZIP_STORED))
    offset = data.index(b"code,year")
    data[offset] ^= 0xFF
    return bytes(data)


def _workbook(fill: Callable, *, title: str = "退出情况") -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = title
    fill(ws)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _patch_member(xlsx: bytes, member: str, change: Callable[[bytes], bytes]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info)
            out.writestr(info.filename, change(data) if info.filename == member else data)
    return buffer.getvalue()


def _header_row(ws) -> None:  # noqa: ANN001
    ws.append(["区划代码", "名称", "年度", "是否贫困村", "建档立卡贫困人口", "已脱贫人口", "农业户籍人口"])


def _merged_bomb() -> bytes:
    def fill(ws) -> None:  # noqa: ANN001
        ws["A1"] = "2019年退出情况"
        ws.merge_cells("A1:B2")
    return _patch_member(_workbook(fill), "xl/worksheets/sheet1.xml",
                         lambda d: d.replace(b'ref="A1:B2"', b'ref="A1:XFD1048576"'))


def _many_merges() -> bytes:
    def fill(ws) -> None:  # noqa: ANN001
        for row in range(1, 8):
            ws.merge_cells(f"A{row}:B{row}")
    return _workbook(fill)


def _laughs_workbook(member: str) -> bytes:
    """A workbook whose `member` declares nested entities (a billion laughs once expanded)."""
    def fill(ws) -> None:  # noqa: ANN001
        ws["A1"] = "x"
    return _patch_member(_workbook(fill), member,
                         lambda d: LAUGHS.encode() + _strip_decl(d).replace(b"<v>", b"<v>&lol9;", 1))


def _strip_decl(data: bytes) -> bytes:
    if data.startswith(b"<?xml"):
        return data[data.index(b"?>") + 2:]
    return data


def _xxe_workbook() -> bytes:
    def fill(ws) -> None:  # noqa: ANN001
        ws["A1"] = "x"
    evil = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    return _patch_member(_workbook(fill), "xl/worksheets/sheet1.xml",
                         lambda d: evil + _strip_decl(d).replace(b"<v>", b"<v>&x;", 1))


def _far_cell(ref: str) -> bytes:
    def fill(ws) -> None:  # noqa: ANN001
        ws["A1"] = "区划代码"
        ws[ref] = "x"
    return _workbook(fill)


def _wide_table(rows: int, columns: int) -> bytes:
    def fill(ws) -> None:  # noqa: ANN001
        for r in range(rows):
            ws.append([f"{r}-{c}" for c in range(columns)])
    return _workbook(fill)


def _exit_csv(rows: list[list[object]], *, title: str | None = None, encoding: str = "utf-8") -> bytes:
    header = ["code", "year", "poor_flag", "planned_exit_year", "actual_exit_year", "registered_poor",
              "exited_poor", "rural_population"]
    frame = pd.DataFrame(rows, columns=header)
    text = frame.to_csv(index=False)
    if title:
        text = title + "\n" + text
    return text.encode(encoding)


def _row(code: object = tiny.VILLAGES[0], registered: object = 100) -> list[object]:
    return [code, 2019, 1, 2019, 2019, registered, 90, 1000]


def _nul_late() -> bytes:
    body = _exit_csv([_row() for _ in range(200)])
    lines = body.split(b"\n")
    lines[150] = lines[150].replace(b",", b",\x00", 1)
    return b"\n".join(lines)


def _named_member_zip(member: str) -> bytes:
    info = zipfile.ZipInfo(member)
    info.flag_bits |= 0x800
    return _zip_raw([(info, b"")])


# -------------------------------------------------------------------------------- the cases
_LONG = "村" * 2000 + ".csv"

CASES: list[Case] = [
    # GDAL: only the declared driver, every member's magic number checked
    Case("vrt_as_shp_in_zip", "units", "村界.zip",
         lambda: fx.zip_bytes({"村界.shp": VRT, "村界.shx": VRT, "村界.dbf": VRT}), "content_mismatch",
         {"value": "村界.shp"}, secret=b"root:"),
    Case("vrt_as_shp_with_real_sidecars", "units", "村界.zip", lambda: _shp_zip(shp=VRT),
         "content_mismatch", {"value": "村界.shp"}, secret=b"root:"),
    Case("vrt_as_geojson", "units", "村界.geojson", lambda: VRT, "content_mismatch", {"value": "村界.geojson"},
         secret=b"root:"),
    Case("vrt_file_in_zip", "units", "村界.zip", lambda: fx.zip_bytes({"村界.vrt": VRT}), "no_dataset_found"),
    Case("vrt_uploaded", "units", "村界.vrt", lambda: VRT, "file_type_unsupported"),
    Case("shp_wrong_magic", "units", "村界.zip", lambda: _shp_zip(shp=_corrupt_header(_shapefile()["村界.shp"])),
         "content_mismatch", {"value": "村界.shp"}),
    Case("shx_wrong_magic", "units", "村界.zip", lambda: _shp_zip(shx=_corrupt_header(_shapefile()["村界.shx"])),
         "content_mismatch", {"value": "村界.shx"}),
    Case("dbf_not_dbase", "units", "村界.zip", lambda: _shp_zip(dbf=b"<html>not a table</html>" * 4),
         "content_mismatch", {"value": "村界.dbf"}),
    Case("dbf_lying_record_count", "units", "村界.zip", lambda: _shp_zip(dbf=_dbf_lying()),
         "content_mismatch", {"value": "村界.dbf"}),
    Case("prj_is_xml", "units", "村界.zip", lambda: _shp_zip(prj=VRT), "content_mismatch", {"value": "村界.prj"}),
    Case("shp_missing_dbf", "units", "村界.zip",
         lambda: fx.zip_bytes({k: v for k, v in _shapefile().items() if not k.endswith(".dbf")}),
         "shapefile_missing_part", {"value": "村界.shp"}),
    # GeoPackage: tables only, inspected read-only before GDAL
    Case("gpkg_recursive_view_only", "units", "村界.gpkg", lambda: _gpkg(view_only=True),
         "gpkg_layer_not_table", {"value": "loop"}),
    Case("gpkg_plain_sqlite", "units", "村界.gpkg", lambda: _gpkg(view_only=False, application_id=False),
         "content_mismatch", {"value": "村界.gpkg"}),
    # GeoJSON
    Case("geojson_not_object", "units", "村界.geojson", lambda: b"  [1, 2, 3]", "content_mismatch"),
    Case("geojson_deep_nesting", "units", "村界.geojson", _deep_geojson, "file_corrupt"),
    Case("geojson_ring_over_vertex_limit", "units", "村界.geojson", lambda: _geojson(_ring(5000)),
         "feature_too_many_vertices", {"row": 1, "column": "geometry"}, env={"PORTAL_MAX_FEATURE_VERTICES": "1000"}),
    # zips
    Case("zip_slip", "units", "村界.zip", lambda: fx.zip_bytes({"../../etc/cron.d/x.csv": b"x"}),
         "zip_unsafe_member", {"value": "../../etc/cron.d/x.csv"}),
    Case("zip_absolute", "units", "村界.zip", lambda: fx.zip_bytes({"/etc/x.geojson": b"{}"}),
         "zip_unsafe_member", {"value": "/etc/x.geojson"}),
    Case("zip_symlink", "units", "村界.zip", _symlink_zip, "zip_unsafe_member", {"value": "村界.shp"}),
    Case("zip_bomb_ratio", "units", "村界.zip", lambda: fx.zip_bytes({"村界.geojson": b" " * (20 * 1024 * 1024)}),
         "zip_ratio"),
    Case("zip_bomb_total", "units", "村界.zip",
         lambda: fx.zip_bytes({f"f{i}.geojson": bytes(range(256)) * 8 for i in range(3)},
                              compression=zipfile.ZIP_STORED),
         "zip_too_large", patch={"MAX_UNCOMPRESSED": 4000}),
    Case("zip_header_lies_about_size", "units", "村界.zip", _lying_sizes_zip, "zip_corrupt"),
    Case("zip_too_many_members", "units", "村界.zip",
         lambda: fx.zip_bytes({f"f{i}.csv": b"a" for i in range(250)}, compression=zipfile.ZIP_STORED),
         "zip_too_many_members", {"value": 250}),
    Case("zip_encrypted", "exit_status", "退出.zip", _encrypted_zip, "zip_encrypted", {"value": "退出.csv"}),
    Case("zip_truncated", "units", "村界.zip", lambda: _shp_zip()[:300], "zip_corrupt"),
    Case("zip_bad_crc", "exit_status", "退出.zip", _bad_crc_zip, "zip_corrupt"),
    Case("zip_only_macosx", "units", "村界.zip", lambda: fx.zip_bytes({"__MACOSX/._x.shp": b"\x00\x05"}), "zip_empty"),
    Case("zip_member_control_chars", "exit_status", "退出.zip", lambda: _named_member_zip("\x1b[2J" + CONTROL + ".csv"),
         "file_empty"),
    Case("zip_member_script_name", "exit_status", "退出.zip", lambda: _named_member_zip(SCRIPT + ".csv"),
         "file_empty"),
    Case("zip_member_very_long_name", "exit_status", "退出.zip", lambda: _named_member_zip(_LONG), "file_empty"),
    # workbooks
    Case("xlsx_renamed_zip", "exit_status", "退出.xlsx", lambda: fx.zip_bytes({"退出.csv": b"code\n"}),
         "xlsx_not_workbook", {"value": "退出.xlsx"}),
    Case("xlsx_is_text", "exit_status", "退出.xlsx", lambda: b"code,year\n1,2\n", "content_mismatch"),
    Case("xlsx_encrypted_ole", "exit_status", "退出.xlsx",
         lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "xlsx_encrypted_or_xls"),
    Case("xlsx_billion_laughs_sheet", "exit_status", "退出.xlsx", lambda: _laughs_workbook("xl/worksheets/sheet1.xml"),
         "xml_unsafe", {"value": "退出.xlsx"}),
    Case("xlsx_billion_laughs_workbook", "exit_status", "退出.xlsx", lambda: _laughs_workbook("xl/workbook.xml"),
         "xml_unsafe"),
    Case("xlsx_external_entity", "exit_status", "退出.xlsx", _xxe_workbook, "xml_unsafe", secret=b"root:"),
    Case("xlsx_merged_whole_sheet", "exit_status", "退出.xlsx", _merged_bomb, "merged_range_too_large",
         {"value": "A1:XFD1048576", "sheet": "退出情况"}),
    Case("xlsx_too_many_merges", "exit_status", "退出.xlsx", _many_merges, "merged_too_many",
         {"sheet": "退出情况"}, env={"PORTAL_MAX_MERGED": "5"}),
    Case("xlsx_last_row", "exit_status", "退出.xlsx", lambda: _far_cell("A1048576"), "table_too_many_rows",
         {"row": 1048576, "sheet": "退出情况"}),
    Case("xlsx_last_column", "exit_status", "退出.xlsx", lambda: _far_cell("XFD2"), "table_too_many_columns",
         {"row": 2, "value": 16384, "sheet": "退出情况"}),
    Case("xlsx_too_many_cells", "exit_status", "退出.xlsx", lambda: _wide_table(30, 10), "table_too_many_cells",
         {"row": 11, "sheet": "退出情况"}, env={"PORTAL_MAX_CELLS": "100"}),
    # CSV
    Case("csv_empty", "exit_status", "退出.csv", lambda: b"", "file_empty", {}),
    Case("csv_only_blank_lines", "exit_status", "退出.csv", lambda: b"\xef\xbb\xbf\r\n \r\n\t\n", "file_empty"),
    Case("csv_title_line", "exit_status", "退出.csv",
         lambda: _exit_csv([_row(), _row("511725100299")], title="2019年渠县贫困退出情况统计表"),
         "code_unknown", {"row": 4, "column": "code", "value": "511725100299"}, units=True),
    Case("csv_utf16_bom", "exit_status", "退出.csv",
         lambda: b"\xff\xfe" + _exit_csv([_row(), _row(registered=-5)]).decode().encode("utf-16-le"),
         "value_negative", {"row": 3, "column": "registered_poor"}, units=True),
    Case("csv_utf16_without_bom", "exit_status", "退出.csv",
         lambda: _exit_csv([_row()]).decode().encode("utf-16-le"), "file_not_text"),
    Case("csv_utf8_bom", "exit_status", "退出.csv",
         lambda: b"\xef\xbb\xbf" + _exit_csv([_row(), _row("5117251002")]), "code_length",
         {"row": 3, "column": "code"}, units=True),
    Case("csv_nul_bytes", "exit_status", "退出.csv", _nul_late, "text_nul", {"row": 151}),
    Case("csv_is_a_zip", "exit_status", "退出.csv", lambda: fx.zip_bytes({"a.csv": b"x"}), "file_not_text"),
    Case("csv_too_many_columns", "exit_status", "退出.csv",
         lambda: (",".join(f"c{i}" for i in range(600)) + "\n").encode(), "table_too_many_columns",
         {"row": 1, "value": 600}),
    Case("csv_too_many_rows", "exit_status", "退出.csv", lambda: _exit_csv([_row()] * 30),
         "table_too_many_rows", {"row": 11}, env={"PORTAL_MAX_ROWS": "10"}),
    Case("csv_formula_injection", "exit_status", "退出.csv", lambda: _exit_csv([_row(), _row(FORMULA)]),
         "code_not_digits", {"row": 3, "column": "code", "value": FORMULA}, units=True),
    Case("csv_script_as_code", "exit_status", "退出.csv", lambda: _exit_csv([_row(SCRIPT)]),
         "code_not_digits", {"row": 2, "value": SCRIPT}, units=True),
    Case("csv_markdown_as_code", "exit_status", "退出.csv", lambda: _exit_csv([_row(MARKDOWN)]),
         "code_not_digits", {"row": 2, "value": MARKDOWN}, units=True),
    Case("csv_control_chars_as_code", "exit_status", "退出.csv", lambda: _exit_csv([_row(CONTROL)]),
         "code_not_digits", {"row": 2, "value": CONTROL.strip()}, units=True),
    # upload itself
    Case("upload_over_size_limit", "exit_status", "退出.csv", lambda: b"x" * (1024 * 1024 + 1), "file_too_large",
         {"value": 1024 * 1024 + 1}, env={"PORTAL_MAX_UPLOAD_MB": "1"}),
]
