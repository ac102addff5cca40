"""Problem records of an import: the portal's one located-problem type lives in `geo.problems`
(shared with reading a published dataset); re-exported here for the import modules."""
from __future__ import annotations

from geo.problems import Problem, Report, Severity, problems_frame

SCREEN_LIMIT = 20  # problems shown on screen; all of them are downloadable

__all__ = ["SCREEN_LIMIT", "Problem", "Report", "Severity", "problems_frame"]
