"""Where the portal's data lives: one answer for the pages, the briefing-pack command line and
the import command line.

Order: $PORTAL_DATA_DIR (an explicit folder), else the active version of the versioned store
($PORTAL_STORE_DIR, default var/datasets/), else the bundled demo in data/demo/.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from geo import schema, settings
from geo.ingest.store import META, Store

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


def demo_kinds(folder: str | os.PathLike) -> tuple[str, ...]:
    """Kinds of `folder` that are (still) the bundled synthetic demo, in schema order: every kind
    for the demo folder itself, the list `demo_kinds` of a published version's meta.json (kinds
    the import copied from the demo), else none. An unreadable meta.json counts as no demo part."""
    if is_demo(folder):
        return tuple(schema.FILES)
    try:
        meta = json.loads((Path(folder) / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    listed = meta.get("demo_kinds") if isinstance(meta, dict) else None
    if not isinstance(listed, list):
        return ()
    return tuple(kind for kind in schema.FILES if kind in listed)
