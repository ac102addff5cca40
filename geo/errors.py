"""The project's data error type.

`geo/` stays language-neutral: a DataError carries a rule key and the facts (file, row, column,
value); `ui.text` turns it into the Chinese sentence the user sees.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class DataError(Exception):
    """A problem in an input file, located as precisely as we can.

    `row` is the row number as the user sees it in the file (CSV/Excel: header is row 1, so the
    first data row is 2; GeoPackage/GeoJSON: the 1-based feature number).
    """

    source: str
    rule: str
    row: int | None = None
    column: str | None = None
    value: Any = None
    detail: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:  # English, for logs and tracebacks
        where = [self.source]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        extra = f" value={self.value!r}" if self.value is not None else ""
        more = f" {self.detail}" if self.detail else ""
        return f"{', '.join(where)}: {self.rule}{extra}{more}"
