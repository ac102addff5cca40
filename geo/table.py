"""Tables for download: CSV that Excel opens in Chinese, XLSX with codes as text, and cells that
cannot be read as formulas (CSV/formula injection)."""
from __future__ import annotations

import io
from collections.abc import Iterable

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _xml_safe(value: object) -> object:
    """Control characters XLSX cannot hold (e.g. ESC, BEL from a hostile file) shown as \\xNN."""
    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return value


def safe_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells (object/string columns) are neutralised; numbers untouched."""
    out = frame.copy()
    for column in out.columns:
        dtype = out[column].dtype
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            out[column] = out[column].map(neutralise).astype(object)
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM so Excel opens Chinese correctly; formula-like text neutralised."""
    return safe_table(frame).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, *, text_columns: Iterable[str] = (), sheet: str = "Sheet1") -> bytes:
    """XLSX where `text_columns` (codes) are stored as text cells (format '@'), so Excel keeps
    all 12 digits; other cells keep their numeric type; formula-like text neutralised."""
    text_columns = set(text_columns)
    table = safe_table(frame)
    book = Workbook()
    ws = book.active
    ws.title = sheet[:31]
    ws.append([_xml_safe(str(c)) for c in table.columns])
    for row in table.itertuples(index=False):
        cells = []
        for column, value in zip(table.columns, row):
            if value is None or value is pd.NA or (isinstance(value, float) and value != value):
                cells.append(None)
            elif column in text_columns:
                cells.append(_xml_safe(str(value)))
            elif hasattr(value, "item"):
                cells.append(value.item())
            else:
                cells.append(_xml_safe(value))
        ws.append(cells)
    for index, column in enumerate(table.columns, start=1):
        if column in text_columns:
            for cell in ws[get_column_letter(index)][1:]:
                cell.number_format = "@"
            ws.column_dimensions[get_column_letter(index)].width = 15
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
