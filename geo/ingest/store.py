"""Versioned dataset store: every publication is a complete dataset folder (geo/schema.py FILES),
written under `tmp/`, validated with `geo.read.read_bundle`, then moved into `versions/` with one
atomic rename; the `ACTIVE` pointer file is replaced atomically afterwards. An interrupted import
leaves at most a folder under `tmp/` (swept on the next publish), never a half-written version, and
the previous version stays active until the pointer moves.

Publishing is serialised: the id is chosen, the folder moved and the pointer replaced under an
exclusive lock (`fcntl.flock` on `<root>/.lock`, shared by processes and threads), so version ids
never collide; and a publish states the active version its data was composed from (`expect`): if
another publish moved the pointer meanwhile, it raises BaseChanged instead of silently replacing
the other's work (compare-and-swap).

Layout:  <root>/versions/<id>/{units.gpkg, exit_status.csv, services.csv, sites.csv, meta.json}
         <root>/ACTIVE      (the active version id, one line)
         <root>/derived/<key>/   (each version's derived forms, geo/derived.py, written at publish)
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from geo import schema
from geo.read import Bundle, read_bundle

ACTIVE = "ACTIVE"
META = "meta.json"
LOCK = ".lock"
ANY_BASE = object()   # `expect` default: publish whatever is active (no compare-and-swap)
_held = threading.local()   # lock depth per store root in this thread (the lock is re-entrant)
_ID = re.compile(r"^v\d{4}-\d{8}T\d{6}$")
STALE_TMP_S = 24 * 3600  # temp folders older than this are leftovers of interrupted imports


@dataclass(frozen=True)
class Version:
    """One published version: id, folder, and what its meta.json says."""

    id: str
    folder: Path
    meta: dict

    @property
    def number(self) -> int:
        return int(self.id[1:5])


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BaseChanged(Exception):
    """The active version is no longer the one a publish was composed from."""

    def __init__(self, expected: str | None, active: str | None):
        super().__init__(f"expected active version {expected!r}, found {active!r}")
        self.expected = expected
        self.active = active


class Store:
    """A dataset store rooted at `root` (created on first publish)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.versions_dir = self.root / "versions"
        self.tmp_dir = self.root / "tmp"

    # ---------------------------------------------------------------- reading
    def versions(self) -> list[Version]:
        """Complete versions, oldest first (folders under tmp/ are never listed)."""
        if not self.versions_dir.is_dir():
            return []
        out = []
        for folder in sorted(self.versions_dir.iterdir()):
            if not (folder.is_dir() and _ID.match(folder.name) and (folder / META).is_file()):
                continue
            try:
                meta = json.loads((folder / META).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            out.append(Version(folder.name, folder, meta))
        return out

    def active_id(self) -> str | None:
        pointer = self.root / ACTIVE
        try:
            value = pointer.read_text(encoding="utf-8").strip()
        except OSError:
            return None
        return value if _ID.match(value) and (self.versions_dir / value / META).is_file() else None

    def active(self) -> Version | None:
        """The active version, or None when nothing was ever published."""
        ident = self.active_id()
        return next((v for v in self.versions() if v.id == ident), None) if ident else None

    def active_folder(self) -> Path | None:
        ident = self.active_id()
        return self.versions_dir / ident if ident else None

    # ---------------------------------------------------------------- writing
    def _sweep(self) -> None:
        if not self.tmp_dir.is_dir():
            return
        now = time.time()
        for leftover in self.tmp_dir.iterdir():
            try:
                if now - leftover.stat().st_mtime > STALE_TMP_S:
                    shutil.rmtree(leftover, ignore_errors=True)
            except OSError:
                pass

    def _next_id(self) -> str:
        numbers = [v.number for v in self.versions()]
        if self.versions_dir.is_dir():  # also count folders without meta, never reuse a name
            numbers += [int(p.name[1:5]) for p in self.versions_dir.iterdir() if _ID.match(p.name)]
        return f"v{max(numbers, default=0) + 1:04d}-{time.strftime('%Y%m%dT%H%M%S')}"

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the store's exclusive publish lock (blocks until free; re-entrant per thread)."""
        key = str(self.root.resolve())
        depth = getattr(_held, "depth", {})
        _held.depth = depth
        if depth.get(key):
            depth[key] += 1
            try:
                yield
            finally:
                depth[key] -= 1
            return
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            depth[key] = 1
            try:
                yield
            finally:
                depth[key] = 0
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def publish(self, write: Callable[[Path], None], meta: dict, *,
                expect: object = ANY_BASE) -> tuple[Version, Bundle]:
        """Let `write` fill a fresh folder with a complete dataset, validate it with
        read_bundle (raises DataError: nothing published), then, under the lock, check that the
        active version is still `expect` (raises BaseChanged: nothing published), move the folder
        into place under a fresh id and activate it."""
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self._sweep()
        work = Path(tempfile.mkdtemp(prefix=f"{uuid.uuid4().hex[:8]}-", dir=self.tmp_dir))
        try:
            write(work)
            # the boundaries are required; a dataset may lack any table (partial data is normal)
            missing = [n for n in (schema.FILES["units"],) if not (work / n).is_file()]
            if missing:
                raise FileNotFoundError(", ".join(missing))
            bundle = read_bundle(work)
            # what every cold process would recompute, once per version; keyed by the files'
            # stamps, which the rename below keeps (imported here: geo.derived reads the store
            # through geo.tiles -> geo.datasets)
            from geo.derived import DERIVED, derive
            derive(work, self.root / DERIVED, bundle)
            for path in work.iterdir():
                with open(path, "rb") as f:
                    os.fsync(f.fileno())
            with self.lock():
                if expect is not ANY_BASE and self.active_id() != expect:
                    raise BaseChanged(expect, self.active_id())  # type: ignore[arg-type]
                ident = self._next_id()
                full_meta = {**meta, "id": ident, "created": time.strftime("%Y-%m-%d %H:%M:%S"),
                             "counts": bundle.units["level"].value_counts().to_dict()}
                with open(work / META, "w", encoding="utf-8") as f:
                    f.write(json.dumps(full_meta, ensure_ascii=False, indent=1))
                    f.flush()
                    os.fsync(f.fileno())
                _fsync_dir(work)
                target = self.versions_dir / ident
                os.rename(work, target)  # atomic on one file system; the id is unique under the lock
                _fsync_dir(self.versions_dir)
                self.activate(ident)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        version = Version(ident, target, full_meta)
        return version, replace(bundle, folder=str(target))

    def activate(self, ident: str) -> None:
        """Make version `ident` the active one (atomic pointer replace). Restoring an earlier
        version is the same operation; KeyError for an unknown id."""
        if not _ID.match(ident) or not (self.versions_dir / ident / META).is_file():
            raise KeyError(ident)
        with self.lock():
            fd, tmp = tempfile.mkstemp(prefix=".active-", dir=self.root)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(ident + "\n")
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self.root / ACTIVE)
                _fsync_dir(self.root)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

    def deactivate(self) -> bool:
        """Remove the ACTIVE pointer (one atomic unlink, under the store lock), so the portal
        shows the bundled demo again; every version stays stored and can be restored. False
        when nothing was active."""
        with self.lock():
            pointer = self.root / ACTIVE
            try:
                pointer.unlink()
            except FileNotFoundError:
                return False
            _fsync_dir(self.root)
            return True
