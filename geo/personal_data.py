"""Personal data an import must refuse: the portal holds aggregates and ledgers of units, never
ID numbers (身份证号) or private phone numbers (防返贫监测 notices never show them either).

Checks the raw cells of a table as read (every column, recognised or not), so a column the import
would have ignored is refused too.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

ID_NUMBER = re.compile(r"^\d{17}[\dXx]$")       # 18-digit resident ID number
ID_AS_FLOAT = re.compile(r"^\d\.\d+[eE]\+17$")  # the same typed into Excel as a number
PHONE = re.compile(r"^1[3-9]\d{9}$")            # 11-digit mainland mobile number
HEADER_WORDS = ("身份证", "证件号", "公民身份号码", "电话", "手机", "联系方式", "银行卡", "银行账号")
HEADER_SCAN_ROWS = 15


def _compact(cell: str) -> str:
    return re.sub(r"[\s\-]", "", str(cell))


def cell_kind(cell: str) -> str | None:
    """'id_number' or 'phone' when a cell looks like one, else None."""
    value = _compact(cell)
    if ID_NUMBER.match(value) or ID_AS_FLOAT.match(value):
        return "id_number"
    if PHONE.match(value):
        return "phone"
    return None


def _header_row(rows: Sequence[tuple[int, list[str]]]) -> int | None:
    """Position of the most filled row among the first rows (the header, for naming columns)."""
    best, position = 0, None
    for index, (_, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        filled = sum(1 for c in cells if str(c).strip())
        if filled > best:
            best, position = filled, index
    return position


def column_letter(index: int) -> str:
    """Excel column letter of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def scan(rows: Sequence[tuple[int, list[str]]]) -> list[tuple[int, str, str, str]]:
    """Personal data in a grid of (Excel row, cells): (row, column as written, rule, value) per
    offending column, the first offending cell of each. Rules: `personal_header` (a header such
    as 身份证号 or 手机), `personal_id_number`, `personal_phone`."""
    header_at = _header_row(rows)
    headers = rows[header_at][1] if header_at is not None else []

    def name(index: int) -> str:
        text = headers[index].strip() if index < len(headers) else ""
        return f"{column_letter(index)}（{text}）" if text else column_letter(index)

    found: dict[int, tuple[int, str, str, str]] = {}
    if header_at is not None:
        for index, cell in enumerate(headers):
            if any(word in str(cell) for word in HEADER_WORDS):
                found[index] = (rows[header_at][0], name(index), "personal_header", str(cell).strip())
    for number, cells in rows:
        for index, cell in enumerate(cells):
            if index in found or not cell:
                continue
            kind = cell_kind(cell)
            if kind is not None:
                found[index] = (number, name(index), f"personal_{kind}", _masked(cell))
    return [found[i] for i in sorted(found)]


def _masked(cell: str) -> str:
    """The offending value with its middle hidden, so the report itself holds no personal data."""
    value = _compact(cell)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
