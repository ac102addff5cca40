"""Downloadable import templates: one XLSX per dataset kind, header = schema column names,
code columns formatted as text ('@') so Excel keeps all 12 digits."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from geo import schema

TEMPLATE_ROWS = 2000  # rows pre-formatted as text in code columns


def template_columns(kind: str) -> list[str]:
    """Columns of the template for `kind` (boundaries: the attribute table of a layer)."""
    if kind == "units":
        return [schema.CODE, schema.NAME]
    return schema.DATASETS[kind].names


def template_xlsx(kind: str) -> bytes:
    """The template workbook for `kind` (KeyError for an unknown kind)."""
    columns = template_columns(kind)
    dataset = schema.DATASETS[kind]
    book = Workbook()
    ws = book.active
    ws.title = kind
    ws.append(columns)
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
