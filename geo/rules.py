"""The portal's one set of data rules for tables: cell types, codes and their levels, keys,
exit years and plausibility (exited <= registered, ...). The same function runs when a file is
imported (Report collects every problem) and when a published dataset is read (Report in
fail-first mode raises DataError at the first error), so both obey one law.
"""
from __future__ import annotations

import re
import unicodedata

import pandas as pd

from geo import schema
from geo.codes import CodeError, code_level, normalize_code
from geo.problems import Report
from geo.schema import Column, Dataset

_TRUE = {"1", "true", "yes", "y", "是", "有", "√", "t"}
_FALSE = {"0", "false", "no", "n", "否", "无", "×", "f"}
_MISSING = {"", "nan", "none", "null", "na", "n/a", "-", "—", "－"}
_PERCENT = re.compile(r"^([+-]?[0-9][0-9,]*\.?[0-9]*)\s*%$")

# Levels each table may key on; anything else is a "code of the wrong level".
ALLOWED_LEVELS: dict[str, tuple[str, ...]] = {
    "units": ("county", "township", "village"),
    "exit_status": ("county", "township", "village"),
    "services": ("township", "village"),
    "sites": ("township",),
    "problems": ("county", "township", "village"),
    "projects": ("county", "township", "village"),
    "supervision": ("county", "township", "village"),
}
DTYPES = {"date": "datetime64[ns]", "str": "string", "bool": "boolean", "enum": "string", "int": "Int64", "year": "Int64",
          "float": "Float64", "code": "string"}

# (part, whole): the part can never exceed the whole on one row (plausibility, error)
NOT_ABOVE: dict[str, tuple[tuple[str, str], ...]] = {
    "exit_status": (("exited_poor", "registered_poor"), ("registered_poor", "rural_population"),
                    ("exited_villages", "poor_villages")),
}


def code_column(dataset: Dataset) -> str:
    """The column that joins a table to the boundaries."""
    return "township_code" if dataset.kind == "sites" else schema.CODE


def number_text(text: str) -> str:
    """Numbers as agencies write them: full-width digits, `1,234`, `85%` (-> 0.85), spaces."""
    value = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    match = _PERCENT.match(value)
    if match:
        return repr(float(match.group(1).replace(",", "")) / 100)
    return value.replace(",", "")


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[T ]00:00(?::00(?:\.0+)?)?)?$")


def parse_date(text: str) -> pd.Timestamp:
    """A day as agencies write it (2020-05-31, 2020/5/31, 2020.5.31, 2020年5月31日, or an Excel
    date cell read as 2020-05-31T00:00:00); raises ValueError("value_not_date") otherwise."""
    match = _DATE.match(text.strip())
    if not match:
        raise ValueError("value_not_date")
    year, month, day = (int(g) for g in match.groups())
    if year not in schema.YEAR_RANGE:
        raise ValueError("value_not_date")
    try:
        return pd.Timestamp(year=year, month=month, day=day)
    except ValueError:
        raise ValueError("value_not_date") from None


def parse_cell(raw: object, column: Column) -> object:
    """Parse one text cell; raises ValueError(rule) on a bad value. Returns pd.NA for empty."""
    text = "" if raw is None or (isinstance(raw, float) and raw != raw) else str(raw).strip()
    if text.lower() in _MISSING:
        if not column.nullable:
            raise ValueError("value_missing")
        return pd.NA
    if column.type in ("str",):
        return text
    if column.type == "bool":
        low = text.lower()
        low = {"1.0": "1", "0.0": "0"}.get(low, low)
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError("value_not_bool")
    if column.type == "date":
        return parse_date(text)
    if column.type == "enum":
        value = schema.ENUM_ALIASES.get(text, text)
        if value not in column.allowed:
            raise ValueError("value_not_allowed")
        return value
    try:
        number = float(number_text(text))
    except ValueError:
        raise ValueError("value_not_number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError("value_not_number")
    if column.type in ("int", "year"):
        if not number.is_integer():
            raise ValueError("value_not_integer")
        number = int(number)
    if column.type == "year" and number not in schema.YEAR_RANGE:
        raise ValueError("year_out_of_range")
    if column.minimum is not None and number < column.minimum:
        raise ValueError("value_negative" if column.minimum == 0 else "value_too_small")
    return number


def check_frame(frame: pd.DataFrame, dataset: Dataset, report: Report, *, file: str,
                sheet: str | None = None, written: dict[str, str] | None = None,
                known_codes: set[str] | None = None) -> pd.DataFrame:
    """A typed frame with the schema's columns (index = row as the user numbers it), every bad
    cell reported into `report` (collect-all, or fail-first when the report says so).

    `frame` holds text cells under schema column names; `written` maps them to the headers as
    the user wrote them; `known_codes` are the codes of the boundaries (unknown -> error)."""
    written = written or {}
    where = {"sheet": sheet}
    out: dict[str, list] = {}
    for column in dataset.columns:
        label = written.get(column.name, column.name)
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
                    report.add(file, exc.rule, row=int(row), column=label, value=cell, **where)
                    values.append(pd.NA)
                    continue
                allowed = ALLOWED_LEVELS[dataset.kind]
                if level not in allowed:
                    report.add(file, "code_wrong_level", row=int(row), column=label, value=cell,
                               detail={"level": level, "allowed": list(allowed)}, **where)
                    values.append(pd.NA)
                    continue
                if known_codes is not None and code not in known_codes:
                    report.add(file, "code_unknown", row=int(row), column=label, value=cell, **where)
                values.append(code)
                continue
            try:
                values.append(parse_cell("" if cell is None else str(cell), column))
            except ValueError as exc:
                report.add(file, str(exc), row=int(row), column=label, value=cell,
                           detail={"allowed": list(column.allowed)} if column.allowed else {}, **where)
                values.append(pd.NA)
        out[column.name] = values
    table = pd.DataFrame({name: pd.Series(vals, index=frame.index, dtype=DTYPES.get(
        dataset.column(name).type, "string")) for name, vals in out.items()}, index=frame.index)
    keys = list(dataset.key)
    complete = table[keys].notna().all(axis=1)
    seen: dict[tuple, int] = {}
    for row, key in zip(table.index[complete], table.loc[complete, keys].itertuples(index=False)):
        key = tuple(key)
        if key in seen:
            report.add(file, "key_duplicate", row=int(row), column=written.get(keys[0], keys[0]),
                       value=" / ".join(str(k) for k in key), detail={"first_row": seen[key]}, **where)
        else:
            seen[key] = int(row)
    if dataset.kind == "exit_status":
        late = (table["actual_exit_year"] > table["year"]).fillna(False)
        for row in table.index[late]:
            report.add(file, "exit_after_asof", row=int(row),
                       column=written.get("actual_exit_year", "actual_exit_year"),
                       value=int(table.at[row, "actual_exit_year"]),
                       detail={"year": int(table.at[row, "year"])}, **where)
    for part, whole in NOT_ABOVE.get(dataset.kind, ()):
        above = (table[part] > table[whole]).fillna(False).astype(bool)
        for row in table.index[above]:
            report.add(file, "count_above", row=int(row), column=written.get(part, part),
                       value=f"{table.at[row, part]} > {table.at[row, whole]}",
                       detail={"whole": written.get(whole, whole)}, **where)
    for row, column, rule, value in record_problems(dataset.kind, table):
        report.add(file, rule, row=int(row), column=written.get(column, column), value=value, **where)
    return table


def _date_text(value: object) -> str:
    return "" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def record_problems(kind: str, table: pd.DataFrame) -> list[tuple[object, str, str, str]]:
    """Rules across the cells of one row of an inspection table (deadline before found date,
    closed without a date, finish before start): (index, column, rule, value) per problem.
    Empty for other kinds; `table` is typed and unchanged."""
    out: list[tuple[object, str, str, str]] = []
    if kind == "problems":
        early = (table["deadline"] < table["found_date"]).fillna(False)
        closed = table["status"] == "closed"
        no_date = (closed & table["closed_date"].isna()).fillna(False)
        before = (table["closed_date"] < table["found_date"]).fillna(False)
        for index in table.index:
            if early[index]:
                out.append((index, "deadline", "deadline_before_found", _date_text(table.at[index, "deadline"])))
            if no_date[index]:
                out.append((index, "closed_date", "closed_without_date", "已销号"))
            if before[index]:
                out.append((index, "closed_date", "closed_before_found", _date_text(table.at[index, "closed_date"])))
    elif kind == "projects":
        early = (table["planned_finish"] < table["planned_start"]).fillna(False)
        done_early = (table["actual_finish"] < table["actual_start"]).fillna(False)
        for index in table.index:
            if early[index]:
                out.append((index, "planned_finish", "finish_before_start",
                            _date_text(table.at[index, "planned_finish"])))
            if done_early[index]:
                out.append((index, "actual_finish", "finish_before_start",
                            _date_text(table.at[index, "actual_finish"])))
    return out
