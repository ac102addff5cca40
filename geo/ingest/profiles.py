"""Named header mappings ("profiles"): which column of a user's file is which field (or is
ignored), saved as JSON in the store folder and offered again for a file of the same shape.

File format (also what `python -m cli.ingest --mapping FILE` reads):
    {"name": "县扶贫办安置点表", "kind": "sites", "shape": "<normalised headers>",
     "columns": {"安置点名字": "name", "计划户": "planned_households", "备注": ""}}
An empty field name means "ignore this column".
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from geo import schema
from geo.ingest.tables import IGNORE, header_shape

FOLDER = "profiles"
_SAFE = re.compile(r"[^\w\u4e00-\u9fff-]+")


@dataclass(frozen=True)
class Profile:
    """One saved mapping: header as written -> schema column (or IGNORE)."""

    name: str
    kind: str | None
    shape: str
    columns: dict[str, str]


def parse(data: dict) -> Profile:
    """A Profile from its JSON object; ValueError naming a field that no dataset has."""
    columns = {str(k): str(v) for k, v in dict(data.get("columns", {})).items()}
    known = {c.name for d in schema.DATASETS.values() for c in d.columns}
    unknown = sorted(v for v in columns.values() if v != IGNORE and v not in known)
    if unknown:
        raise ValueError("、".join(unknown))
    kind = data.get("kind") or None
    if kind is not None and kind not in schema.DATASETS:
        raise ValueError(str(kind))
    return Profile(str(data.get("name", "")), kind, str(data.get("shape", "")), columns)


def load(path: str | os.PathLike) -> Profile:
    """Read a profile file (ValueError when it is not a valid profile)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(Path(path).name) from exc
    if not isinstance(data, dict):
        raise ValueError(Path(path).name)
    return parse(data)


def saved(root: str | os.PathLike) -> list[Profile]:
    """Every profile saved in the store at `root`, by name."""
    folder = Path(root) / FOLDER
    out = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            out.append(load(path))
        except ValueError:
            continue
    return out


def for_headers(root: str | os.PathLike, headers: list[str]) -> Profile | None:
    """The saved profile made for a file with exactly these headers, if any."""
    shape = header_shape(headers)
    return next((p for p in saved(root) if p.shape == shape), None)


def save(root: str | os.PathLike, name: str, kind: str | None, headers: list[str],
         columns: dict[str, str]) -> Profile:
    """Save a profile under the store folder (atomic replace); the file name is derived from
    `name` (never a path the user chose)."""
    profile = parse({"name": name, "kind": kind, "shape": header_shape(headers), "columns": columns})
    folder = Path(root) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    stem = _SAFE.sub("_", name).strip("_")[:60] or "profile"
    fd, tmp = tempfile.mkstemp(prefix=".profile-", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"name": profile.name, "kind": profile.kind, "shape": profile.shape,
                   "columns": profile.columns}, f, ensure_ascii=False, indent=1)
    os.replace(tmp, folder / f"{stem}.json")
    return profile
