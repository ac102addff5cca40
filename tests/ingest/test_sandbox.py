"""The import sandbox: a child process with a time limit and a memory limit whose temp folder
is removed whatever happens; crafted files stay within bounded memory. Limits are asserted as
counts and byte sizes (the time limit is a setting the tests lower), never as durations."""
from __future__ import annotations

import logging
import math
from pathlib import Path

import pytest

from geo.ingest import sandbox
from geo.ingest.report import Report
from tests.ingest import hostile
from tests.ingest import sandbox_jobs as jobs
from ui.import_text import problem_text

MB = 1024  # ru_maxrss is in kB


def test_result_comes_back_with_peak_memory():
    outcome = sandbox.run(jobs.add, 2, 3)
    assert outcome.value == 5 and outcome.peak_rss_kb > 10 * MB


def test_time_limit_is_a_setting_and_a_chinese_message(monkeypatch):
    monkeypatch.setenv("PORTAL_IMPORT_TIMEOUT_S", "1")
    with pytest.raises(sandbox.SandboxError) as caught:
        sandbox.run(jobs.spin)
    assert caught.value.reason == "timeout" and caught.value.limit == 1
    report = Report()
    sandbox.report_failure(caught.value, report, "退出.xlsx")
    assert problem_text(report.problems[0]).startswith("文件 退出.xlsx：导入处理超过时间上限 1 秒")


def test_killed_child_leaves_no_temp_folder(monkeypatch, tmp_path):
    probe = tmp_path / "probe.txt"
    monkeypatch.setenv("SANDBOX_PROBE", str(probe))
    with pytest.raises(sandbox.SandboxError):
        sandbox.run(jobs.leave_temp_then_spin, timeout_s=3)
    staging = Path(probe.read_text(encoding="utf-8"))
    assert staging.name.startswith("upload-") and not staging.exists()
    assert not staging.parent.parent.exists()          # the child's whole private folder is gone


def test_memory_limit_is_a_setting(monkeypatch):
    monkeypatch.setenv("PORTAL_IMPORT_MEMORY_MB", "700")
    with pytest.raises(sandbox.SandboxError) as caught:
        sandbox.run(jobs.allocate, 2000)
    assert caught.value.reason == "memory" and caught.value.limit == 700
    assert caught.value.rule == "import_memory"


def test_crash_is_logged_with_an_incident_id_the_message_shows(caplog):
    with caplog.at_level(logging.ERROR, logger="geo.ingest.sandbox"):
        with pytest.raises(sandbox.SandboxError) as caught:
            sandbox.run(jobs.fail)
    incident = caught.value.incident
    assert caught.value.reason == "crashed" and len(incident) == 8
    assert incident in caplog.text and "/srv/secret/path" in caplog.text    # server side only
    report = Report()
    sandbox.report_failure(caught.value, report, "a.csv")
    text = problem_text(report.problems[0])
    assert incident in text and "/srv" not in text and "Traceback" not in text


def test_staging_job_failure_becomes_a_staged_report(monkeypatch):
    monkeypatch.setenv("PORTAL_IMPORT_MEMORY_MB", "120")   # below what the interpreter needs
    staged = sandbox.staged(sandbox.stage_upload, "exit_status", "退出.csv", b"code\n")
    assert not staged.ok and staged.file == "退出.csv"
    assert staged.report.errors[0].rule in ("import_memory", "import_crashed")


# ------------------------------------------------------------ crafted files in bounded memory

def _crafted(case_id: str) -> hostile.Case:
    return next(c for c in hostile.CASES if c.id == case_id)


@pytest.mark.parametrize("case_id, peak_mb", [
    ("xlsx_merged_whole_sheet", 400),       # was 9.9 GB inside the web process
    ("xlsx_billion_laughs_sheet", 400),
    ("gpkg_recursive_view_only", 400),      # was endless
    ("xlsx_last_row", 400),
])
def test_crafted_file_in_the_sandbox(case_id, peak_mb, monkeypatch):
    monkeypatch.setenv("PORTAL_IMPORT_MEMORY_MB", "1024")
    monkeypatch.setenv("PORTAL_IMPORT_TIMEOUT_S", "60")
    case = _crafted(case_id)
    outcome = sandbox.run(sandbox.stage_upload, case.kind, case.name, case.build())
    assert outcome.value.report.first(case.rule).severity == "error"
    assert outcome.peak_rss_kb < peak_mb * MB, outcome.peak_rss_kb


def test_million_coordinate_ring_is_refused_within_the_memory_limit():
    ring = [[107.0 + 0.1 * math.cos(2 * math.pi * i / 1_000_000), 31.0 + 0.1 * math.sin(2 * math.pi * i / 1_000_000)]
            for i in range(1_000_000)]
    data = hostile._geojson([ring + [ring[0]]])
    staged = sandbox.staged(sandbox.stage_upload, "units", "村界.geojson", data)
    problem = staged.report.first("feature_too_many_vertices")
    assert (problem.row, problem.value) == (1, 1_000_001)
