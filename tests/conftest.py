"""Seal the test session from the machine it runs on.

Runs before any test module is imported: every `PORTAL_*` variable of the caller is dropped, the
settings file is pinned to an empty file of the session's own, and the dataset store (and with it
the users database next to it) to a fresh temporary folder, so no test reads the machine's
`var/datasets`, `portal.toml` or environment. Visitors without login may see every dataset
(`PORTAL_ANONYMOUS=all`) unless a test about access sets otherwise.
Servers started by browser tests inherit this environment.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

for _name in [n for n in os.environ if n.startswith("PORTAL_")]:
    del os.environ[_name]
_SEALED = Path(tempfile.mkdtemp(prefix="portal-tests-"))
(_SEALED / "portal.toml").write_text("[portal]\n", encoding="utf-8")
os.environ["PORTAL_SETTINGS"] = str(_SEALED / "portal.toml")
os.environ["PORTAL_STORE_DIR"] = str(_SEALED / "store")
# Visitors without login may see any dataset in tests that are not about access (the shipped
# default, anonymous = "demo", is tested in tests/apptest/test_access.py and tests/e2e/test_access.py).
os.environ["PORTAL_ANONYMOUS"] = "all"
