"""Type and check a clean text table against its schema Dataset, collecting EVERY problem. The
rules are `geo.rules` (the same ones `geo.read` applies, fail-first, to a published dataset)."""
from __future__ import annotations

import pandas as pd

from geo.ingest.report import Report
from geo.ingest.tables import RawTable
from geo.rules import check_frame, code_column, number_text
from geo.schema import Dataset

__all__ = ["check_table", "code_column", "number_text"]


def check_table(raw: RawTable, dataset: Dataset, report: Report, *,
                known_codes: set[str] | None = None) -> pd.DataFrame:
    """A typed frame with the schema's columns (index = Excel row), every bad cell reported.

    `known_codes`: codes of the boundaries the table will be published with (unknown -> error)."""
    return check_frame(raw.frame, dataset, report, file=raw.file, sheet=raw.sheet,
                       written=raw.written, known_codes=known_codes)
