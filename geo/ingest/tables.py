"""Report-style tables (CSV and XLSX as local agencies deliver them) to a clean text frame.

Handles title rows above the header, merged (two-row) headers, a unit row below the header,
合计/小计 rows (excluded and listed), note rows, numbers written as text (`85%`, `1,234`, `—`),
and keeps for every data row the row number the user sees in Excel and for every column the
header as written. Nothing here types values: `geo.ingest.validate` does that.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import pandas as pd

# The raw readers (streaming, within limits) live in rawread; re-exported for callers.
from geo.ingest.rawread import Grid, cell_text, read_csv, read_xlsx, xlsx_sheets  # noqa: F401
from geo.ingest.report import Report
from geo.schema import INSPECTION_HEADER_ALIASES, Dataset

HEADER_SCAN_ROWS = 15
TOTAL_WORDS = ("合计", "小计", "总计", "累计")

# Headers as agencies write them (data vocabulary, like schema.ENUM_ALIASES), normalised with
# `header_key`; the schema's own English names always match too.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("区划代码", "行政区划代码", "统计用区划代码", "代码", "单位代码", "村代码", "村级代码", "xzqdm"),
    "name": ("名称", "单位名称", "村名称", "村名", "乡镇名称", "乡镇", "县名称", "安置点名称", "安置点", "xzqmc"),
    "year": ("年度", "统计年度", "截至年度", "年份"),
    "poor_flag": ("贫困县/村", "是否贫困村", "是否贫困县", "贫困村", "贫困县"),
    "poor_villages": ("贫困村数", "贫困村个数", "贫困村数量"),
    "exited_villages": ("已出列贫困村数", "出列贫困村数", "已出列村数", "已退出贫困村数"),
    "planned_exit_year": ("计划退出年度", "计划退出年份", "计划摘帽年度", "计划出列年度"),
    "actual_exit_year": ("实际退出年度", "实际退出年份", "退出年度", "摘帽年度", "实际摘帽年度", "出列年度"),
    "registered_poor": ("建档立卡贫困人口", "建档立卡人口", "贫困人口"),
    "exited_poor": ("已脱贫人口", "脱贫人口"),
    "rural_population": ("农业户籍人口", "农村户籍人口"),
    "monitored_unstable": ("脱贫不稳定户",),
    "monitored_marginal": ("边缘易致贫户",),
    "monitored_sudden": ("突发严重困难户",),
    "road": ("通村硬化路", "硬化路"),
    "water": ("饮水安全", "安全饮水"),
    "power": ("生活用电", "通电"),
    "network": ("通信网络", "宽带"),
    "clinic": ("卫生室",),
    "cultural_room": ("文化室",),
    "collective_income": ("集体经济收入",),
    "health_centre": ("卫生院",),
    "central_school": ("中心校",),
    "service_centre": ("便民服务中心",),
    "site_id": ("安置点编号", "编号"),
    "township_code": ("乡镇代码", "所属乡镇代码", "所在乡镇代码", "乡镇区划代码"),
    "lon": ("经度", "东经"),
    "lat": ("纬度", "北纬"),
    "planned_households": ("计划搬迁户数", "计划户数", "计划安置户数"),
    "moved_households": ("已搬迁户数", "已搬迁户", "搬迁户数", "已入住户数", "入住户数"),
    "planned_persons": ("计划搬迁人数", "计划人数"),
    "moved_persons": ("已搬迁人数", "搬迁人数"),
    "stage": ("建设阶段", "阶段", "建设进度"),
    "start_year": ("开工年度", "开工年份"),
    "completion_year": ("竣工年度", "竣工年份"),
    "jobs_found": ("就业人数",),
    "industry": ("配套产业",),
    "school_nearby": ("学校", "配套学校"),
    "clinic_nearby": ("诊所", "配套卫生室"),
}
_TITLE_YEAR = re.compile(r"((?:19|20)[0-9]{2})\s*年")
_UNIT_CELL = re.compile(r"^[（(]?(单位[:：].*|人|户|元|万元|个|%|％|年|元/年|万人|亩|公里|km)[)）]?$")
_PAREN = re.compile(r"[（(][^）)]*[）)]")


for _name, _extra in INSPECTION_HEADER_ALIASES.items():  # the inspection kinds' headers (geo/schema.py)
    HEADER_ALIASES[_name] = HEADER_ALIASES.get(_name, ()) + tuple(a for a in _extra if a not in HEADER_ALIASES.get(_name, ()))
# Headers for a column whose usual header depends on the kind (e.g. 项目名称 in a project list)
_KIND_HEADERS = {("projects", "category"): "项目类别", ("projects", "status"): "项目状态",
                 ("projects", "name"): "项目名称", ("problems", "status"): "整改状态"}


def agency_header(column: str, kind: str | None = None) -> str:
    """The header agencies usually write for a schema column of `kind` (its first alias), else
    the name."""
    return _KIND_HEADERS.get((kind, column)) or HEADER_ALIASES.get(column, (column,))[0]


def header_key(text: str) -> str:
    """Comparable form of a header: NFKC, no spaces or line breaks, no parenthesised unit."""
    value = unicodedata.normalize("NFKC", str(text)).strip().lower()
    value = _PAREN.sub("", value)
    return re.sub(r"\s+", "", value)


IGNORE = ""  # a mapping target that drops the column
GENERATED_COLUMNS = {"site_id"}  # generated at import when a file does not carry them


def _alias_table(dataset: Dataset, mapping: dict[str, str] | None = None) -> dict[str, str]:
    """Normalised header -> schema column; a user's `mapping` (header as written -> column, or
    IGNORE) comes first."""
    table = {}
    for written, name in (mapping or {}).items():
        if name == IGNORE or name in dataset.names:
            table[header_key(written)] = name
    for name in dataset.names:
        for alias in (name, *HEADER_ALIASES.get(name, ())):
            table.setdefault(header_key(alias), name)
    return table


def title_year(grid: Grid, *, before_row: int) -> tuple[int, int] | None:
    """(year, row) of a year written in a title row above the header ("××市2019年…统计表")."""
    for number, cells in grid.rows:
        if number >= before_row:
            break
        for cell in cells:
            found = _TITLE_YEAR.search(cell)
            if found:
                return int(found.group(1)), number
    return None


def header_shape(headers: list[str]) -> str:
    """A key for "a file of the same shape": its normalised headers, in order."""
    return "|".join(header_key(h) for h in headers if h)


@dataclass
class RawTable:
    """A clean text frame: columns are schema names, index is the Excel row number."""

    file: str
    sheet: str | None
    frame: pd.DataFrame
    written: dict[str, str]                  # schema column -> header as written
    header_row: int = 1
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str | None = None
    headers: list[str] = field(default_factory=list)   # every header as written, in order


def _match(text: str, aliases: dict[str, str]) -> str | None:
    key = header_key(text)
    return aliases.get(key) if key else None


def _header_names(top: list[str] | None, sub: list[str], aliases: dict[str, str]) -> list[tuple[str | None, str]]:
    """(schema name or None, header as written) per column, trying sub, top+sub, top."""
    out = []
    for index, cell in enumerate(sub):
        upper = top[index] if top is not None and index < len(top) else ""
        tries = [(cell, cell)]
        if upper and upper != cell:
            tries += [(upper + cell, f"{upper}/{cell}"), (upper, upper)] if cell else [(upper, upper)]
        found = next(((aliases[header_key(t)], w) for t, w in tries if _match(t, aliases)), None)
        out.append(found if found else (None, f"{upper}/{cell}" if upper and cell and upper != cell else cell or upper))
    return out


def _score(names: list[tuple[str | None, str]]) -> int:
    return len({n for n, _ in names if n})


def _is_total(cells: list[str]) -> str | None:
    for cell in cells:
        compact = re.sub(r"\s+", "", cell)
        if any(word in compact for word in TOTAL_WORDS) and len(compact) <= 12:
            return cell
    return None


def _find_header(rows: list[tuple[int, list[str]]], aliases: dict[str, str]) -> tuple[int, int, int, list] | None:
    """(score, -span, position, names) of the best header among the first rows."""
    best: tuple[int, int, int, list] | None = None
    for position in range(min(HEADER_SCAN_ROWS, len(rows))):
        single = _header_names(None, rows[position][1], aliases)
        options = [(_score(single), -1, position, single)]
        if position + 1 < len(rows):
            pair = _header_names(rows[position][1], rows[position + 1][1], aliases)
            options.append((_score(pair), -2, position, pair))
        for option in options:
            if best is None or option[:2] > best[:2]:
                best = option
    return best


def header_match(grid: Grid, dataset: Dataset, mapping: dict[str, str] | None = None) -> tuple[set[str], list[str]]:
    """(schema columns recognised, headers as written) of the best header row for `dataset`:
    what recognition scores a table by."""
    best = _find_header(grid.rows, _alias_table(dataset, mapping))
    if best is None:
        return set(), []
    return {n for n, _ in best[3] if n}, [w for _, w in best[3]]


def clean(grid: Grid, dataset: Dataset, report: Report, *, mapping: dict[str, str] | None = None,
          year: int | None = None) -> RawTable | None:
    """Find the header (title rows and a two-row merged header allowed), drop unit, total, note
    and empty rows (listed in `report`), and return the text frame; None if no header is found.

    `mapping`: the user's header -> column choices (a saved profile); `year`: the as-of year
    when the table has no year column (else a year in a title row is used, as a note)."""
    aliases = _alias_table(dataset, mapping)
    rows = grid.rows
    best = _find_header(rows, aliases)
    required = [c.name for c in dataset.columns if c.required and not c.nullable]
    if best is None or best[0] == 0:
        report.add(grid.file, "header_not_found", sheet=grid.sheet, detail={"expected": required})
        return None
    score, span, position, names = best
    header_row = rows[position + (-span) - 1][0]
    key_column = dataset.key[0] if dataset.kind != "sites" else "township_code"
    written: dict[str, str] = {}
    columns: dict[int, str] = {}
    ignored = []
    for index, (name, as_written) in enumerate(names):
        if name is None or name == IGNORE:
            if as_written and name is None:
                ignored.append(as_written)
            continue
        if name in written:
            report.add(grid.file, "column_duplicate", sheet=grid.sheet, row=header_row, column=as_written,
                       value=as_written)
            continue
        written[name] = as_written
        columns[index] = name
    constant: dict[str, str] = {}
    if "year" in dataset.names and "year" not in written:
        found = title_year(grid, before_row=header_row) if year is None else None
        if year is not None or found is not None:
            value = year if year is not None else found[0]
            constant["year"] = str(value)
            written["year"] = "year"
            report.add(grid.file, "year_from_title" if year is None else "year_given", severity="info",
                       sheet=grid.sheet, row=found[1] if found else None, value=value)
    absent = []
    for column in dataset.columns:
        if column.name in written or column.name in GENERATED_COLUMNS:
            continue
        if column.nullable:
            # a nullable column may be absent from a report: it is published empty (one note)
            absent.append(column.name)
            continue
        report.add(grid.file, "column_missing", sheet=grid.sheet, row=header_row, column=column.name,
                   detail={"aliases": "、".join(HEADER_ALIASES.get(column.name, ())[:3])})
    if absent:
        report.add(grid.file, "columns_absent_empty", severity="info", sheet=grid.sheet, row=header_row,
                   value="、".join(agency_header(c) for c in absent))
    if ignored:
        report.add(grid.file, "columns_ignored", severity="info", sheet=grid.sheet, row=header_row,
                   value="、".join(ignored))
    data_rows = rows[position + (-span):]
    records, numbers = [], []
    first = True
    for number, cells in data_rows:
        values = {name: (cells[i] if i < len(cells) else "") for i, name in columns.items()}
        nonempty = [c for c in cells if c]
        if not nonempty:
            continue
        key_value = values.get(key_column, "")
        if first and not key_value and all(_UNIT_CELL.match(c.replace(" ", "")) for c in nonempty):
            report.add(grid.file, "unit_row_skipped", severity="info", sheet=grid.sheet, row=number,
                       value=" ".join(nonempty))
            first = False
            continue
        first = False
        total = _is_total(cells)
        if total is not None:
            report.add(grid.file, "total_row_excluded", severity="warning", sheet=grid.sheet, row=number,
                       value=total)
            continue
        if not key_value and len(nonempty) == 1:
            report.add(grid.file, "note_row_skipped", severity="info", sheet=grid.sheet, row=number,
                       value=nonempty[0])
            continue
        records.append(values)
        numbers.append(number)
    frame = pd.DataFrame(records, columns=[c for c in written if c not in constant],
                         index=pd.Index(numbers, name="row"), dtype=object)
    for name, value in constant.items():
        frame[name] = value
    return RawTable(grid.file, grid.sheet, frame, written, header_row, ignored, grid.encoding,
                    [w for _, w in names])
