"""Raw cells of uploaded tables (XLSX and CSV) as text, read within limits.

Workbooks are read in streaming mode (openpyxl `read_only=True`, one row at a time); merged
ranges come from the sheet XML's `<mergeCell ref=...>` read by a streaming parser and are filled
lazily row by row, so a 5 kB workbook with one range `A1:XFD1048576` is refused from its
reference alone instead of materialising 17 billion cells. All XML goes through defusedxml or
an expat parser with the same refusals (no DTDs, no entities: billion laughs and external
entities are refused). Rows, columns, cells and
merged ranges are capped by settings (`max_rows`, `max_columns`, `max_cells`, `max_merged`);
exceeding one is a located problem, never an exception.
"""
from __future__ import annotations

import csv
import io
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from defusedxml import DefusedXmlException
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

from geo import settings
from geo.ingest.encoding import EncodingError, detect
from geo.ingest.report import Report

_DELIMITERS = (",", "\t", ";", "|")
_SNIFF_LINES = 50
# What a broken workbook raises inside openpyxl/zipfile/XML parsing (never shown to the user).
_BROKEN = (InvalidFileException, zipfile.BadZipFile, zlib.error, KeyError, ValueError, TypeError,
           IndexError, AttributeError, EOFError, SyntaxError, OSError, NotImplementedError)


@dataclass(frozen=True)
class Limits:
    """Caps on one table: rows, columns, cells and merged ranges."""

    rows: int
    columns: int
    cells: int
    merged: int

    @classmethod
    def from_settings(cls) -> Limits:
        """The limits as the settings declare them now."""
        return cls(settings.get("max_rows"), settings.get("max_columns"), settings.get("max_cells"),
                   settings.get("max_merged"))


@dataclass
class Grid:
    """Raw cells as text, each row with the row number the user sees (1-based).

    `formula_cells` maps (row, column) (1-based) of cells that carry a formula without a cached
    value (a workbook saved by a program that does not calculate; their text is empty) to the
    formula as written ("=SUM(E5:E8)")."""

    file: str
    sheet: str | None
    rows: list[tuple[int, list[str]]]
    encoding: str | None = None
    formula_cells: dict[tuple[int, int], str] = field(default_factory=dict)


def cell_text(value: object) -> str:
    """An XLSX cell value as the text it stands for; exact integers (floats included) lose `.0`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


# ------------------------------------------------------------------------------------- XLSX

def xlsx_sheets(path: Path) -> list[str]:
    """Sheet names of a workbook (empty when it cannot be opened safely)."""
    try:
        book = load_workbook(path, read_only=True)
    except (DefusedXmlException, *_BROKEN):
        return []
    try:
        return list(book.sheetnames)
    finally:
        book.close()


class _Parser(WorkSheetParser):
    """openpyxl's row parser (cached values), marking formulas that have no cached value."""

    def parse_cell(self, element) -> dict:  # noqa: ANN001 - openpyxl's signature
        """openpyxl's cell dict, plus "formula_without_value" (the formula) when it has no cache."""
        cell = super().parse_cell(element)
        formula = element.find(FORMULA_TAG)
        if cell["value"] is None and formula is not None:
            cell["formula_without_value"] = "=" + (formula.text or "")
        return cell


@dataclass(frozen=True)
class _Merge:
    min_col: int
    min_row: int
    max_col: int
    max_row: int


class _Refused(Exception):
    """A limit was exceeded or the XML is unsafe: the problem is already in the report."""


class _Forbidden(Exception):
    """The XML declares a DTD or an entity."""


def _merge_refs(src) -> list[str]:  # noqa: ANN001 - a binary file object
    """`ref` of every <mergeCell> in a sheet's XML, read by expat with element callbacks only
    (no tree is built: a sheet of a million rows costs no memory here). A DTD, an entity or
    an external reference raises _Forbidden (what defusedxml refuses, too)."""
    refs: list[str] = []

    def start(name: str, attributes: dict) -> None:
        """Collect the range of a <mergeCell>."""
        if name.rsplit("}", 1)[-1] == "mergeCell":
            refs.append(attributes.get("ref", ""))

    def forbid(*_args: object) -> None:
        """Refuse DTDs and entities."""
        raise _Forbidden

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = forbid
    parser.EntityDeclHandler = forbid
    parser.UnparsedEntityDeclHandler = forbid
    parser.ExternalEntityRefHandler = forbid
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    while chunk := src.read(1 << 20):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)
    return refs


def _merged_ranges(ws, *, file: str, report: Report, limits: Limits) -> list[_Merge]:  # noqa: ANN001
    """The sheet's merged ranges, checked against the limits before any row is read."""
    out: list[_Merge] = []
    try:
        with ws._get_source() as src:
            refs = _merge_refs(src)
    except _Forbidden:
        report.add(file, "xml_unsafe", sheet=ws.title)
        raise _Refused from None
    except expat.ExpatError:
        report.add(file, "file_corrupt", sheet=ws.title)
        raise _Refused from None
    if len(refs) > limits.merged:
        report.add(file, "merged_too_many", sheet=ws.title, value=len(refs), detail={"limit": limits.merged})
        raise _Refused
    for ref in refs:
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref)
        except (TypeError, ValueError):
            report.add(file, "file_corrupt", sheet=ws.title, value=ref)
            raise _Refused from None
        if None in (min_col, min_row, max_col, max_row):
            report.add(file, "file_corrupt", sheet=ws.title, value=ref)
            raise _Refused
        if max_row > limits.rows or max_col > limits.columns:
            report.add(file, "merged_range_too_large", sheet=ws.title, value=ref,
                       detail={"rows": limits.rows, "columns": limits.columns})
            raise _Refused
        out.append(_Merge(min_col, min_row, max_col, max_row))
    return out


def read_xlsx(path: Path, *, file: str, sheet: str | None = None, report: Report | None = None) -> Grid | None:
    """Every cell of one sheet as text, streamed; merged cells repeat their top-left value (so
    merged headers and merged township cells read as meant). Formulas give their cached values
    (cells without one are listed in `Grid.formula_cells`). None, with a located problem in
    `report`, when the workbook is unsafe, broken or exceeds a limit."""
    report = report if report is not None else Report()
    limits = Limits.from_settings()
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except DefusedXmlException:
        report.add(file, "xml_unsafe")
        return None
    except _BROKEN:
        report.add(file, "file_corrupt")
        return None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            report.add(file, "layer_unknown", value=sheet)
            return None
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        if not hasattr(ws, "_get_source"):   # a chart sheet has no cells
            report.add(file, "no_dataset_found", sheet=ws.title, detail={"kind": ""})
            return None
        merges = _merged_ranges(ws, file=file, report=report, limits=limits)
        return _stream_rows(ws, book, merges, file=file, report=report, limits=limits)
    except _Refused:
        return None
    except DefusedXmlException:
        report.add(file, "xml_unsafe", sheet=sheet)
        return None
    except _BROKEN:
        report.add(file, "file_corrupt", sheet=sheet)
        return None
    finally:
        book.close()


def _stream_rows(ws, book, merges: list[_Merge], *, file: str, report: Report,  # noqa: ANN001
                 limits: Limits) -> Grid:
    """Rows of the sheet with merged ranges filled lazily; limits checked as rows arrive."""
    starts: dict[int, list[_Merge]] = {}
    for merge in merges:
        starts.setdefault(merge.min_row, []).append(merge)
    active: list[_Merge] = []
    top_left: dict[_Merge, object] = {}
    grid = Grid(file, ws.title, [])
    width = 0
    cells = 0

    def emit(number: int, values: dict[int, object]) -> None:
        """Append row `number` (column -> value) with merged ranges filled; check the limits."""
        nonlocal width, cells
        for merge in starts.get(number, ()):
            top_left[merge] = values.get(merge.min_col)
            active.append(merge)
        active[:] = [m for m in active if m.max_row >= number]
        for merge in active:
            for column in range(merge.min_col, merge.max_col + 1):
                values[column] = top_left[merge]
        row_width = max(values, default=0)
        if row_width > limits.columns:
            report.add(file, "table_too_many_columns", sheet=ws.title, row=number, value=row_width,
                       detail={"limit": limits.columns})
            raise _Refused
        width = max(width, row_width)
        if number > limits.rows:
            report.add(file, "table_too_many_rows", sheet=ws.title, row=number, detail={"limit": limits.rows})
            raise _Refused
        cells = number * width
        if cells > limits.cells:
            report.add(file, "table_too_many_cells", sheet=ws.title, row=number, value=cells,
                       detail={"limit": limits.cells})
            raise _Refused
        grid.rows.append((number, [cell_text(values.get(c)) for c in range(1, row_width + 1)]))

    last = 0
    with ws._get_source() as src:
        parser = _Parser(src, ws._shared_strings, data_only=True, epoch=book.epoch,
                         date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
        for number, row in parser.parse():
            if number > limits.rows:
                report.add(file, "table_too_many_rows", sheet=ws.title, row=number, detail={"limit": limits.rows})
                raise _Refused
            for gap in range(last + 1, number):   # rows absent from the XML are empty
                emit(gap, {})
            values = {}
            for cell in row:
                values[cell["column"]] = cell["value"]
                if cell.get("formula_without_value"):
                    grid.formula_cells[(number, cell["column"])] = cell["formula_without_value"]
            emit(number, values)
            last = number
    for number in range(last + 1, max((m.max_row for m in merges), default=0) + 1):
        emit(number, {})
    grid.rows = [(n, values + [""] * (width - len(values))) for n, values in grid.rows]
    return grid


# -------------------------------------------------------------------------------------- CSV

def _delimiter(lines: list[str]) -> str:
    """The delimiter that splits the most sampled lines into the same number (>1) of fields."""
    best, best_score = ",", 0
    for delimiter in _DELIMITERS:
        counts = [len(next(csv.reader([line], delimiter=delimiter))) for line in lines if line.strip()]
        counts = [c for c in counts if c > 1]
        if not counts:
            continue
        common = max(set(counts), key=counts.count)
        score = counts.count(common)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_csv(path: Path, *, file: str, report: Report) -> Grid | None:
    """Every cell of a CSV as text, in the detected encoding (reported as a note). A title line
    above the header is fine; NUL bytes, and rows, columns or cells beyond the limits are
    located problems."""
    limits = Limits.from_settings()
    data = path.read_bytes()
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        report.add(file, "file_empty")
        return None
    try:
        decision = detect(data)
    except EncodingError:
        report.add(file, "encoding_unknown", hint="encoding_unknown")
        return None
    text = data.decode(decision.encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if "\x00" in line:
            report.add(file, "text_nul", row=number)
            return None
    if not any(line.strip() for line in lines):
        report.add(file, "file_empty")
        return None
    delimiter = _delimiter(lines[:_SNIFF_LINES])
    rows = []
    width = 0
    try:
        for number, record in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            if number > limits.rows:
                report.add(file, "table_too_many_rows", row=number, detail={"limit": limits.rows})
                return None
            if len(record) > limits.columns:
                report.add(file, "table_too_many_columns", row=number, value=len(record),
                           detail={"limit": limits.columns})
                return None
            width = max(width, len(record))
            if number * width > limits.cells:
                report.add(file, "table_too_many_cells", row=number, value=number * width,
                           detail={"limit": limits.cells})
                return None
            rows.append((number, [v.strip() for v in record]))
    except csv.Error:
        report.add(file, "file_corrupt")
        return None
    report.add(file, "encoding_chosen", severity="info", value=decision.encoding)
    rows = [(n, values + [""] * (width - len(values))) for n, values in rows]
    return Grid(file, None, rows, encoding=decision.encoding)
