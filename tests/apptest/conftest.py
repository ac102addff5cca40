"""AppTest helpers: run the real app in-process; pages are reached through the entry script
(navigation links are relative to it), as a user would."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
ENTRY = str(ROOT / "streamlit_app.py")


@pytest.fixture
def open_page(monkeypatch):
    """open_page(page=None, data=None, params=None) -> AppTest after its first run."""

    def _open(page: str | None = None, *, data: Path | None = None,
              params: dict[str, str] | None = None) -> AppTest:
        if data is not None:
            monkeypatch.setenv("PORTAL_DATA_DIR", str(data))
        else:
            monkeypatch.delenv("PORTAL_DATA_DIR", raising=False)
        at = AppTest.from_file(ENTRY, default_timeout=120)
        for key, value in (params or {}).items():
            at.query_params[key] = value
        at.run()
        if page is not None:
            # a deep link opens the page directly: give it the URL as the user typed it
            for key, value in (params or {}).items():
                at.query_params[key] = value
            at.switch_page(page).run()
        return at

    return _open
