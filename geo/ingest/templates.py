"""Downloadable import templates: one XLSX per dataset kind with the headers agencies write
(Chinese, from the data vocabulary in geo.ingest.tables), the schema's English name as a note on
each header cell, code columns formatted as text ('@') so Excel keeps all 12 digits, and a second
sheet describing every column (type, unit, required, allowed values, an example row).

`geo/` stays language-neutral: the sheet titles and the description sheet's headings come from
the caller (`labels`); the headers and allowed values are data vocabulary.
"""
from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter

from geo import schema
from geo.ingest.tables import agency_header

TEMPLATE_ROWS = 2000  # rows pre-formatted as text in code columns
# example codes: a village, its township and county (a plain, made-up region)
_EXAMPLE_CODES = {"village": "130102001201", "township": "130102001000", "county": "130102000000"}
_BOOL_VALUES = ("是", "否", "1", "0")
LABEL_KEYS = ("sheet_data", "sheet_help", "header", "name", "type", "unit", "required", "allowed",
              "example", "description", "yes", "no")


@dataclass(frozen=True)
class ColumnHelp:
    """What a user needs to fill one column."""

    name: str          # schema name (English)
    header: str        # the header agencies write
    type: str
    unit: str
    required: bool
    allowed: tuple[str, ...]
    example: str
    description: str


def template_columns(kind: str) -> list[str]:
    """Columns of the template for `kind` (boundaries: the attribute table of a layer)."""
    if kind == "units":
        return [schema.CODE, schema.NAME]
    return schema.DATASETS[kind].names


def allowed_values(column: schema.Column) -> tuple[str, ...]:
    """Allowed values as users write them (enum keys shown by their Chinese words)."""
    if column.type == "bool":
        return _BOOL_VALUES
    if column.allowed:
        words = {v: k for k, v in reversed(list(schema.ENUM_ALIASES.items()))}
        return tuple(words.get(v, v) for v in column.allowed)
    return ()


def _example(kind: str, column: schema.Column) -> str:
    if column.type == "code":
        level = "township" if column.name == "township_code" or kind in ("services",) else \
            "county" if kind == "units" else "village"
        return _EXAMPLE_CODES[level]
    if column.type == "year":
        return "2019"
    if column.type == "date":
        return "2020-05-31"
    if column.type == "bool":
        return "是"
    if column.type == "enum":
        return allowed_values(column)[-1]
    if column.name == "lon":
        return "114.512345"
    if column.name == "lat":
        return "38.041234"
    if column.type in ("int", "float"):
        return "120"
    if column.name == "site_id":
        return f"{_EXAMPLE_CODES['township']}S01"
    return agency_header(column.name, kind).replace("名称", "") + "示例" if column.name != schema.NAME else "示例名称"


def column_help(kind: str) -> list[ColumnHelp]:
    """Every column of the template for `kind`, described."""
    dataset = schema.DATASETS[kind]
    out = []
    for name in template_columns(kind):
        column = dataset.column(name)
        out.append(ColumnHelp(name, agency_header(name, kind), column.type, column.unit,
                              column.required and not column.nullable, allowed_values(column),
                              _example(kind, column), column.description))
    return out


def template_xlsx(kind: str, labels: Mapping[str, str] | None = None) -> bytes:
    """The template workbook for `kind` (KeyError for an unknown kind). `labels`: the caller's
    words for LABEL_KEYS (sheet titles, headings of the description sheet)."""
    words = {key: key for key in LABEL_KEYS} | dict(labels or {})
    columns = column_help(kind)
    book = Workbook()
    ws = book.active
    ws.title = words["sheet_data"][:31]
    ws.append([c.header for c in columns])
    for index, col in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index)
        cell.comment = Comment(f"{col.name}: {col.description}", "template")
        text = col.type in ("code", "str")
        ws.column_dimensions[letter].width = 18 if text else 12
        if text:
            for row in range(2, TEMPLATE_ROWS + 2):
                ws.cell(row=row, column=index).number_format = "@"
    help_ws = book.create_sheet(words["sheet_help"][:31])
    help_ws.append([words[k] for k in ("header", "name", "type", "unit", "required", "allowed", "example")])
    for col in columns:
        # English names in brackets: a description sheet must never read as a data header
        help_ws.append([col.header, f"[{col.name}]", f"[{col.type}]", col.unit,
                        words["yes"] if col.required else words["no"], "、".join(col.allowed), col.example])
    help_ws.append([])
    help_ws.append([words["example"]] + [c.example for c in columns])
    for index in range(1, 8):
        help_ws.column_dimensions[get_column_letter(index)].width = 20
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
