"""Where the portal's data lives: one answer for the pages, the briefing-pack command line and
the import command line.

Order: $PORTAL_DATA_DIR (an explicit folder), else the active version of the versioned store
($PORTAL_STORE_DIR, default var/datasets/), else the bundled demo in data/demo/.
"""
from __future__ import annotations

import os
from pathlib import Path

from geo.ingest.store import Store

ROOT = Path(__file__).resolve().parent.parent
DEMO_FOLDER = ROOT / "data" / "demo"
DATA_ENV = "PORTAL_DATA_DIR"
STORE_ENV = "PORTAL_STORE_DIR"
DEFAULT_STORE = ROOT / "var" / "datasets"


def store_root() -> Path:
    """Root of the versioned dataset store."""
    return Path(os.environ.get(STORE_ENV) or DEFAULT_STORE).resolve()


def active_folder() -> Path:
    """The dataset folder the portal shows now (resolved path)."""
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).resolve()
    active = Store(store_root()).active_folder()
    return (active or DEMO_FOLDER).resolve()


def is_demo(folder: str | os.PathLike) -> bool:
    """True when `folder` is the bundled demo (the UI then shows the 演示数据 notice)."""
    return Path(folder).resolve() == DEMO_FOLDER.resolve()
