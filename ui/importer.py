"""Streamlit glue of the 数据管理 page: a whole delivery (any number of files) checked at once,
each file's kind recognised and correctable, unknown headers mapped (saved as named profiles),
kept per session (st.session_state, never a global cache), published in one of two modes,
removals shown and only with consent, versions and restore."""
from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field

import streamlit as st

from geo import schema
from geo.ingest import pipeline, profiles, sandbox
from geo.ingest.report import SCREEN_LIMIT, Report
from geo.ingest.store import Store, Version
from geo.ingest.tables import HEADER_ALIASES, IGNORE, header_key
from geo.ingest.templates import LABEL_KEYS, template_xlsx
from geo.pg import RecordStore
from geo.table import to_xlsx_bytes
from ui import cache
from ui.import_text import problem_text, problems_table
from ui.text import TEXT, t

CHECK_KEY = "data.checked"     # the last check: Checked
OUTCOME_KEY = "data.publish_report"
UPLOAD_TYPES = ["zip", "geojson", "json", "gpkg", "csv", "xlsx"]
MODES = ("update", "new")


@dataclass
class Checked:
    """One check of a delivery: its inputs' signature, the staged delivery and its report."""

    signature: str
    mode: str
    delivery: pipeline.Delivery
    report: Report
    options: dict = field(default_factory=dict)


def template(kind: str) -> bytes:
    """The Chinese template workbook of `kind` (headings from the text catalogue)."""
    return template_xlsx(kind, {key: t(f"tpl.{key}") for key in LABEL_KEYS})


def store() -> Store | RecordStore:
    """The store of record (files or PostGIS, setting `backend`): publish, versions, restore."""
    return cache.record_store()


def signature(uploaded: list) -> str:
    """Changes whenever the set of uploaded files (names or contents) changes."""
    digest = hashlib.sha256()
    for item in uploaded:
        digest.update(item.name.encode("utf-8"))
        digest.update(hashlib.sha256(item.getvalue()).digest())
    return digest.hexdigest()


def checked(sig: str) -> Checked | None:
    """The last check of this session if it was for these files."""
    found = st.session_state.get(CHECK_KEY)
    return found if found is not None and found.signature == sig else None


def check_delivery(uploaded: list, sig: str, *, mode: str, kinds: dict[str, str], crs: str | None,
                   repair: bool, years: dict[str, int], mapping: dict[str, str]) -> Checked:
    """Stage every uploaded file (private temp folders, removed afterwards) and keep the result
    in this session only."""
    # opened and checked in a separate process with time and memory limits (geo.ingest.sandbox)
    delivery, report = sandbox.staged_delivery([(item.name, item.getvalue()) for item in uploaded], mode=mode,
                                               base=cache.import_base(), kinds=kinds, crs=crs, repair=repair,
                                               mapping=mapping or None, years=years)
    result = Checked(sig, mode, delivery, report, {"repair": repair})
    st.session_state[CHECK_KEY] = result
    st.session_state[OUTCOME_KEY] = None
    return result


def publish_checked(result: Checked, *, allow_removal: bool) -> tuple[Version | None, Report]:
    """Publish a passing check as one new version (the check's report is kept for the page)."""
    report = Report()
    published = pipeline.publish(store(), result.delivery.staged, base=cache.import_base(), report=report,
                                 mode=result.mode, allow_removal=allow_removal)
    if published is not None:
        st.session_state[CHECK_KEY] = None
        return published[0], report
    return None, report


def kind_options() -> list[str]:
    """Kinds a user may assign to a file ("" = do not import it)."""
    return ["", *pipeline.KINDS]


def kind_label(kind: str) -> str:
    return t("data.kind_skip") if kind == "" else TEXT.get(f"kind.{kind}", kind)


def field_options(kind: str | None) -> list[str]:
    """Mapping targets of a table kind (IGNORE first)."""
    names = schema.DATASETS[kind].names if kind in schema.DATASETS and kind != "units" else \
        sorted({c.name for k, d in schema.DATASETS.items() if k != "units" for c in d.columns})
    return [IGNORE, *names]


def field_label(name: str) -> str:
    return t("data.map_ignore") if name == IGNORE else f"{HEADER_ALIASES.get(name, (name,))[0]}（{name}）"


def suggest(header: str, kind: str | None) -> str:
    """The field a header most resembles (by the agency headers each field is known by)."""
    key = header_key(header)
    best, score = IGNORE, 0.5
    for name in field_options(kind)[1:]:
        for alias in (name, *HEADER_ALIASES.get(name, ())):
            ratio = difflib.SequenceMatcher(None, key, header_key(alias)).ratio()
            if ratio > score:
                best, score = name, ratio
    return best


def saved_profile(headers: list[str]) -> profiles.Profile | None:
    return profiles.for_headers(cache.store_root(), headers)


def save_profile(name: str, kind: str | None, headers: list[str], columns: dict[str, str]) -> None:
    profiles.save(cache.store_root(), name, kind, headers, columns)


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
        mark = {"error": "✖", "warning": "⚠"}.get(problem.severity, "ℹ")
        st.text(f"{mark} {text}")
    st.download_button(t("data.problems_download"), to_xlsx_bytes(problems_table(problems)),
                       t("data.problems_file"),
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key=f"{key}.download", on_click="ignore")


@dataclass(frozen=True)
class VersionRow:
    id: str
    label: str
    active: bool


def version_rows() -> list[VersionRow]:
    current = store().active_id()
    rows = []
    for version in reversed(store().versions()):
        files_text = "、".join(str(v) for v in version.meta.get("imported", {}))
        rows.append(VersionRow(version.id, t("data.version_label", id=version.id,
                                             created=version.meta.get("created", ""), files=files_text),
                               version.id == current))
    return rows
