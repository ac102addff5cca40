"""Top-level jobs for the sandbox tests (the child imports them by module path)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def add(a: int, b: int) -> int:
    """A job that returns quickly."""
    return a + b


def spin() -> None:
    """A job that never ends (the time limit must stop it)."""
    while True:
        pass


def allocate(mb: int) -> int:
    """A job that asks for `mb` MB at once (the memory limit must stop it)."""
    block = bytearray(mb * 1024 * 1024)
    return len(block)


def leave_temp_then_spin() -> None:
    """A job that writes into its temp folder, reports where, then never ends."""
    folder = Path(tempfile.mkdtemp(prefix="upload-"))
    (folder / "x.bin").write_bytes(b"x" * 1000)
    Path(os.environ["SANDBOX_PROBE"]).write_text(str(folder), encoding="utf-8")
    while True:
        pass


def fail() -> None:
    """A job that raises with a server path in its message."""
    raise RuntimeError("/srv/secret/path exploded")


def peak_of_import() -> int:
    """Peak RSS (kB) of a child that imported the staging modules."""
    import resource

    from geo.ingest import pipeline  # noqa: F401
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
