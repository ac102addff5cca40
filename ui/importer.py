"""Streamlit glue of the 数据管理 page: uploads staged per session (st.session_state, never a
global cache), problem lists in Chinese, publication into the versioned store, restore."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from geo.ingest import pipeline, sandbox
from geo.ingest.report import SCREEN_LIMIT, Report
from geo.ingest.store import Store, Version
from geo.table import to_xlsx_bytes
from ui import cache
from ui.import_text import problem_text, problems_table
from ui.text import t

STAGED_KEY = "data.staged"    # kind -> pipeline.Staged (validated, waiting to be published)
RESULT_KEY = "data.result"    # kind -> (upload signature, Staged) of the last check
UPLOAD_TYPES = {"units": ["zip", "geojson", "json", "gpkg"],
                "exit_status": ["csv", "xlsx"], "services": ["csv", "xlsx"],
                "sites": ["csv", "xlsx", "zip", "geojson", "json", "gpkg"]}


def store() -> Store:
    return Store(cache.store_root())


def staged() -> dict[str, pipeline.Staged]:
    return st.session_state.setdefault(STAGED_KEY, {})


def last_result(kind: str, signature: str) -> pipeline.Staged | None:
    found = st.session_state.get(RESULT_KEY, {}).get(kind)
    return found[1] if found and found[0] == signature else None


def check_upload(kind: str, name: str, data: bytes, signature: str, *, pick: str | None,
                 crs: str | None, repair: bool) -> pipeline.Staged:
    """Stage one upload in the import sandbox (own process, limits, private temp folder);
    keep the result in this session only; a passing result joins the session's staged kinds."""
    units = staged()["units"].data if "units" in staged() else None
    units = pipeline.known_units(units, cache.data_folder()) if kind != "units" else None
    # in a child process with time and memory limits; its temp folder is removed whatever happens
    result = sandbox.staged(sandbox.stage_upload, kind, name, data, pick=pick, crs=crs, repair=repair, units=units)
    st.session_state.setdefault(RESULT_KEY, {})[kind] = (signature, result)
    if result.ok:
        staged()[kind] = result
    return result


def show_report(report: Report, key: str) -> None:
    """Summary, the first SCREEN_LIMIT problems on screen, all of them as a download."""
    problems = report.sorted()
    if report.ok:
        st.success(t("data.passed", warnings=len(report.warnings)))
    else:
        st.error(t("data.failed", errors=len(report.errors), warnings=len(report.warnings)))
    if not problems:
        return
    shown = problems[:SCREEN_LIMIT]
    st.caption(t("data.problems", count=len(problems), shown=len(shown)))
    for problem in shown:
        text = problem_text(problem)
        # st.text: names and values from files are shown as plain text, never as markdown/HTML
        if problem.severity == "error":
            st.text(f"✖ {text}")
        elif problem.severity == "warning":
            st.text(f"⚠ {text}")
        else:
            st.text(f"ℹ {text}")
    st.download_button(t("data.problems_download"), to_xlsx_bytes(problems_table(problems)),
                       t("data.problems_file"),
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key=f"{key}.download", on_click="ignore")


def publish_staged() -> tuple[Version | None, Report]:
    """Publish everything staged in this session as one new version."""
    report = Report()
    result = pipeline.publish(store(), staged(), base=cache.data_folder(), report=report)
    if result is not None:
        st.session_state[STAGED_KEY] = {}
        st.session_state[RESULT_KEY] = {}
        return result[0], report
    return None, report


@dataclass(frozen=True)
class VersionRow:
    id: str
    label: str
    active: bool


def version_rows() -> list[VersionRow]:
    current = store().active_id()
    rows = []
    for version in reversed(store().versions()):
        files_text = "、".join(str(v) for v in version.meta.get("imported", {}).values())
        rows.append(VersionRow(version.id, t("data.version_label", id=version.id,
                                             created=version.meta.get("created", ""), files=files_text),
                               version.id == current))
    return rows
