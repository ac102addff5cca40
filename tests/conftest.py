"""Seal the test session from the machine it runs on.

Runs before any test module is imported: every `PORTAL_*` variable of the caller is dropped, the
settings file is pinned to a file of the session's own (anonymous visitors see everything), and
the dataset store (and with it the users database next to it) to a fresh temporary folder, so no test reads the machine's `var/datasets`, `portal.toml` or environment.
Servers started by browser tests inherit this environment.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

for _name in [n for n in os.environ if n.startswith("PORTAL_")]:
    del os.environ[_name]
_SEALED = Path(tempfile.mkdtemp(prefix="portal-tests-"))
# Visitors without login may see any dataset in tests that are not about access (the shipped
# default, anonymous = "demo", is tested in tests/apptest/test_access.py and tests/e2e/test_access.py).
(_SEALED / "portal.toml").write_text('[portal]\nanonymous = "all"\n', encoding="utf-8")
os.environ["PORTAL_SETTINGS"] = str(_SEALED / "portal.toml")
os.environ["PORTAL_STORE_DIR"] = str(_SEALED / "store")
