"""Chinese wording of import problems (no Streamlit: the command line uses it too)."""
from __future__ import annotations

import string

import pandas as pd

from geo.ingest.report import Problem, problems_frame
from ui.text import TEXT, t


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _fill(text: str, detail: dict) -> str:
    values = {k: ("、".join(map(str, v)) if isinstance(v, (list, tuple)) else v) for k, v in detail.items()}
    if "kind" in values:  # a dataset kind is named as the user knows it
        values["kind"] = TEXT.get(f"kind.{values['kind']}", values["kind"])
    return string.Formatter().vformat(text, (), _Blank(values))


def problem_where(problem: Problem) -> str:
    parts = [t("error.where.file", source=problem.file)] if problem.file else []
    if problem.sheet:
        parts.append(t("error.where.sheet", sheet=problem.sheet))
    if problem.row is not None:
        parts.append(t("error.where.row", row=problem.row))
    if problem.column:
        parts.append(t("error.where.column", column=problem.column))
    if problem.value is not None and str(problem.value) != "":
        parts.append(t("error.where.value", value=problem.value))
    return "，".join(parts)


def rule_text(problem: Problem) -> str:
    return _fill(TEXT.get(f"rule.{problem.rule}", problem.rule), problem.detail)


def hint_text(problem: Problem) -> str:
    return _fill(TEXT.get(f"fix.{problem.fix}", TEXT["fix.default"]), problem.detail)


def problem_text(problem: Problem) -> str:
    """One Chinese sentence: where (file, sheet/layer, row, column, value), rule, what to do."""
    where = problem_where(problem)
    return f"{where}：{rule_text(problem)}。{hint_text(problem)}" if where else \
        f"{rule_text(problem)}。{hint_text(problem)}"


def problems_table(problems: list[Problem]) -> pd.DataFrame:
    """The problem list with Chinese headers and wording (for the screen and the download)."""
    frame = problems_frame(problems)
    frame["severity"] = frame["severity"].map(lambda s: t(f"severity.{s}"))
    frame["rule"] = [rule_text(p) for p in problems]
    frame["hint"] = [hint_text(p) for p in problems]
    return frame.rename(columns={c: t(f"data.col.{c}") for c in frame.columns})
