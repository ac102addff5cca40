"""Shared helpers of the import tests: stage bytes as a user would upload them."""
from __future__ import annotations

from pathlib import Path

import pytest

from geo.ingest import files, pipeline
from geo.ingest.report import Report
from tests import tiny


@pytest.fixture
def stage(tmp_path):
    """stage(kind, name, data, **options) -> (Staged, Report); staging under tmp_path."""
    def run(kind: str, name: str, data: bytes, **options):
        report = Report()
        upload = files.receive(data, name=name, report=report, staging_root=tmp_path / "staging")
        try:
            return pipeline.stage(kind, upload, report, **options), report
        finally:
            upload.cleanup()
    return run


@pytest.fixture
def tiny_folder(tmp_path) -> Path:
    return tiny.write_folder(tmp_path / "tiny")


@pytest.fixture
def tiny_units(tiny_folder):
    return pipeline.known_units(None, tiny_folder)
