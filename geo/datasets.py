"""Where the portal's data lives: one answer for the pages, the briefing-pack command line and
the import command line.

Order: $PORTAL_DATA_DIR (an explicit folder), else the active version of the versioned store
($PORTAL_STORE_DIR, default var/datasets/), else the bundled demo in data/demo/.
"""
from __future__ import annotations

import os
from pathlib import Path

from geo import settings
from geo.ingest.store import Store

ROOT = Path(__file__).resolve().parent.parent
DATA_ENV = settings.BY_NAME["data_dir"].env
STORE_ENV = settings.BY_NAME["store_dir"].env
DEMO_FOLDER = ROOT / "data" / "demo"


def store_root() -> Path:
    """Root of the versioned dataset store (setting `store_dir`, env PORTAL_STORE_DIR)."""
    return settings.path("store_dir") or (ROOT / "var" / "datasets").resolve()


def active_folder() -> Path:
    """The dataset folder the portal shows now (resolved path)."""
    explicit = settings.path("data_dir")
    if explicit is not None:
        return explicit
    active = Store(store_root()).active_folder()
    return (active or DEMO_FOLDER).resolve()


def is_demo(folder: str | os.PathLike) -> bool:
    """True when `folder` is the bundled demo (the UI then shows the 演示数据 notice)."""
    return Path(folder).resolve() == DEMO_FOLDER.resolve()
