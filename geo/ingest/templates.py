"""Downloadable import templates: one XLSX per dataset kind, header = schema column names,
code columns formatted as text ('@') so Excel keeps all 12 digits."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from geo import schema
from geo.ingest.tables import HEADER_ALIASES

TEMPLATE_ROWS = 2000  # rows pre-formatted as text in code columns


def template_columns(kind: str) -> list[str]:
    """Columns of the template for `kind` (boundaries: the attribute table of a layer)."""
    if kind == "units":
        return [schema.CODE, schema.NAME]
    return schema.DATASETS[kind].names


# Chinese headers of the inspection templates where the first alias would not fit the kind.
_INSPECTION_HEADERS = {("projects", "category"): "项目类别", ("projects", "status"): "项目状态", ("projects", "name"): "项目名称",
                       ("problems", "status"): "整改状态"}


def template_headers(kind: str) -> list[str]:
    """Header row of the template: Chinese for the inspection kinds (the import reads both)."""
    columns = template_columns(kind)
    if kind not in schema.OPTIONAL_KINDS:
        return columns
    return [_INSPECTION_HEADERS.get((kind, c)) or (HEADER_ALIASES.get(c) or (c,))[0] for c in columns]


def template_xlsx(kind: str) -> bytes:
    """The template workbook for `kind` (KeyError for an unknown kind)."""
    columns = template_columns(kind)
    dataset = schema.DATASETS[kind]
    book = Workbook()
    ws = book.active
    ws.title = kind
    ws.append(template_headers(kind))
    for index, name in enumerate(columns, start=1):
        letter = get_column_letter(index)
        text = dataset.column(name).type in ("code", "str")
        ws.column_dimensions[letter].width = 16 if text else 12
        if text:
            for row in range(2, TEMPLATE_ROWS + 2):
                ws.cell(row=row, column=index).number_format = "@"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
