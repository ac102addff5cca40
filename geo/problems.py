"""The one located-problem type of the portal's data rules: every problem names the user's own
file, sheet/layer, row (as numbered in the spreadsheet), column as written and value, with a rule
key and a hint key. A Report collects them all (import: collect-all mode) or raises DataError at
the first error (reading a published dataset: fail-first mode); `geo.rules` runs in both.

`geo/` stays language-neutral: rule and hint keys are worded in Chinese by `ui.text` (`rule.*`,
`fix.*`); `detail` carries the facts a sentence needs (expected value, encoding, area change).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from geo.errors import DataError

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Problem:
    """One located problem. `row` is the row a user sees in Excel (header = row 1) or the
    1-based feature number of a boundary layer."""

    file: str
    rule: str
    severity: Severity = "error"
    sheet: str | None = None     # sheet (XLSX) or layer (GeoPackage / zipped Shapefile)
    row: int | None = None
    column: str | None = None    # as written in the file
    value: Any = None
    hint: str | None = None      # key of the remedy; defaults to the rule's
    detail: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def fix(self) -> str:
        return self.hint or self.rule

    def __str__(self) -> str:  # language-neutral, for logs and the command line
        where = [self.file] if self.file else []
        if self.sheet:
            where.append(f"[{self.sheet}]")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        value = f" value={self.value!r}" if self.value is not None and str(self.value) != "" else ""
        detail = f" {self.detail}" if self.detail else ""
        return f"{self.severity}: {' '.join(where)}: {self.rule}{value}{detail} (fix: {self.fix})"


@dataclass
class Report:
    """All problems of one import, in the order found."""

    problems: list[Problem] = field(default_factory=list)
    fail_first: bool = False  # raise DataError at the first error instead of collecting

    def add(self, file: str, rule: str, **kwargs: Any) -> Problem:
        """Record one problem (fail-first mode: raise it as DataError when it is an error)."""
        problem = Problem(file, rule, **kwargs)
        self.problems.append(problem)
        if self.fail_first and problem.severity == "error":
            raise DataError(problem.file, problem.rule, row=problem.row, column=problem.column,
                            value=problem.value, detail=dict(problem.detail))
        return problem

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def rules(self, severity: Severity | None = None) -> list[str]:
        """Rule keys in order (handy in tests and logs)."""
        return [p.rule for p in self.problems if severity is None or p.severity == severity]

    def first(self, rule: str) -> Problem:
        """The first problem with `rule` (KeyError when there is none)."""
        for problem in self.problems:
            if problem.rule == rule:
                return problem
        raise KeyError(rule)

    def sorted(self) -> list[Problem]:
        """Errors first, then warnings, then notes; stable within each."""
        order = {"error": 0, "warning": 1, "info": 2}
        return sorted(self.problems, key=lambda p: order[p.severity])


def problems_frame(problems: Iterable[Problem]) -> pd.DataFrame:
    """A plain frame of the located facts (English column keys; ui.importer labels them)."""
    rows = [{"severity": p.severity, "file": p.file, "sheet": p.sheet or "", "row": p.row,
             "column": p.column or "", "value": "" if p.value is None else str(p.value),
             "rule": p.rule, "hint": p.fix} for p in problems]
    frame = pd.DataFrame(rows, columns=["severity", "file", "sheet", "row", "column", "value",
                                        "rule", "hint"])
    frame["row"] = frame["row"].astype("Int64")
    return frame
