"""Type and check a clean text table against its schema Dataset, collecting EVERY problem
(the per-cell rules are `geo.read._parse_cell`'s, so imported and bundled data obey one law)."""
from __future__ import annotations

import re
import unicodedata

import pandas as pd

from geo.codes import CodeError, code_level, normalize_code
from geo.ingest.report import Report
from geo.ingest.tables import RawTable
from geo.read import _DTYPES, ALLOWED_LEVELS, _parse_cell, record_problems
from geo.schema import Dataset

_PERCENT = re.compile(r"^([+-]?[0-9][0-9,]*\.?[0-9]*)\s*%$")


def number_text(text: str) -> str:
    """Numbers as agencies write them: full-width digits, `1,234`, `85%` (-> 0.85), spaces."""
    value = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    match = _PERCENT.match(value)
    if match:
        return repr(float(match.group(1).replace(",", "")) / 100)
    return value.replace(",", "")


def code_column(dataset: Dataset) -> str:
    return "township_code" if dataset.kind == "sites" else "code"


def check_table(raw: RawTable, dataset: Dataset, report: Report, *,
                known_codes: set[str] | None = None) -> pd.DataFrame:
    """A typed frame with the schema's columns (index = Excel row), every bad cell reported.

    `known_codes`: codes of the boundaries the table will be published with (unknown -> error)."""
    frame = raw.frame
    where = {"sheet": raw.sheet}
    out: dict[str, list] = {}
    for column in dataset.columns:
        written = raw.written.get(column.name, column.name)
        if column.name not in frame.columns:
            out[column.name] = [pd.NA] * len(frame)
            continue
        values = []
        for row, cell in zip(frame.index, frame[column.name].tolist()):
            if column.type == "code":
                try:
                    code = normalize_code(cell)
                    level = code_level(code)
                except CodeError as exc:
                    report.add(raw.file, exc.rule, row=int(row), column=written, value=cell, **where)
                    values.append(pd.NA)
                    continue
                allowed = ALLOWED_LEVELS[dataset.kind]
                if level not in allowed:
                    report.add(raw.file, "code_wrong_level", row=int(row), column=written, value=cell,
                               detail={"level": level, "allowed": list(allowed)}, **where)
                    values.append(pd.NA)
                    continue
                if known_codes is not None and code not in known_codes:
                    report.add(raw.file, "code_unknown", row=int(row), column=written, value=cell, **where)
                values.append(code)
                continue
            text = "" if cell is None else str(cell)
            if column.type in ("int", "float", "year"):
                text = number_text(text)
            try:
                values.append(_parse_cell(text, column))
            except ValueError as exc:
                report.add(raw.file, str(exc), row=int(row), column=written, value=cell,
                           detail={"allowed": list(column.allowed)} if column.allowed else {}, **where)
                values.append(pd.NA)
        out[column.name] = values
    table = pd.DataFrame({name: pd.Series(vals, index=frame.index, dtype=_DTYPES.get(
        dataset.column(name).type, "string")) for name, vals in out.items()}, index=frame.index)
    keys = list(dataset.key)
    complete = table[keys].notna().all(axis=1)
    seen: dict[tuple, int] = {}
    for row, key in zip(table.index[complete], table.loc[complete, keys].itertuples(index=False)):
        key = tuple(key)
        if key in seen:
            report.add(raw.file, "key_duplicate", row=int(row), column=raw.written.get(keys[0], keys[0]),
                       value=" / ".join(str(k) for k in key), detail={"first_row": seen[key]}, **where)
        else:
            seen[key] = int(row)
    if dataset.kind == "exit_status":
        late = (table["actual_exit_year"] > table["year"]).fillna(False)
        for row in table.index[late]:
            report.add(raw.file, "exit_after_asof", row=int(row),
                       column=raw.written.get("actual_exit_year", "actual_exit_year"),
                       value=int(table.at[row, "actual_exit_year"]), **where)
    for row, column, rule, value in record_problems(dataset.kind, table):
        report.add(raw.file, rule, row=int(row), column=raw.written.get(column, column), value=value, **where)
    return table
