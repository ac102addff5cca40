"""Run one import step in a child process under a time limit and a memory limit.

`run(func, *args, **kwargs)` starts `python -m geo.ingest.sandbox <folder>` (a fresh interpreter:
nothing of the web process is shared), which limits itself (RLIMIT_AS: address space;
RLIMIT_CPU: CPU seconds), reduces GDAL to the allowed drivers, calls `func` (a top-level,
picklable function) and hands back its pickled result. The parent kills the child's whole
process group when the wall-clock limit passes, and removes the child's private folder (its
TMPDIR, so every staging folder lives inside it) whatever happens: success, exception, crash,
kill, or the caller being interrupted. Exceeding a limit raises SandboxError naming the limit.

The child runs as the same user: the limits protect the server's memory and time, they are not a
boundary against code execution (the content checks and the GDAL allow-list are).
"""
from __future__ import annotations

import logging
import os
import pickle
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo import settings

ROOT = Path(__file__).resolve().parents[2]
JOB = "job.pkl"
RESULT = "result.pkl"
LOG = logging.getLogger(__name__)
# Environment of the child: few threads (each reserves address space), no PORTAL_* surprises.
_CHILD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "NUMEXPR_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2", "PYTHONDONTWRITEBYTECODE": "1"}


class SandboxError(Exception):
    """The child exceeded a limit (`reason` 'timeout' or 'memory') or died ('crashed')."""

    def __init__(self, reason: str, *, limit: int | None = None, incident: str = ""):
        super().__init__(f"{reason} (limit {limit}, incident {incident})")
        self.reason = reason
        self.limit = limit
        self.incident = incident

    @property
    def rule(self) -> str:
        """The report rule key for this failure."""
        return {"timeout": "import_timeout", "memory": "import_memory"}.get(self.reason, "import_crashed")

    @property
    def detail(self) -> dict[str, Any]:
        """The facts the Chinese sentence needs (limit, incident id)."""
        return {"limit": self.limit, "incident": self.incident}


@dataclass(frozen=True)
class Outcome:
    """What the child returned, with its peak resident memory (kB, VmHWM) and wall time (s)."""

    value: Any
    peak_rss_kb: int
    seconds: float


def run(func: Callable[..., Any], *args: Any, timeout_s: int | None = None, memory_mb: int | None = None,
        **kwargs: Any) -> Outcome:
    """Call `func(*args, **kwargs)` in a limited child process and return its result.
    Limits default to the settings import_timeout_s and import_memory_mb. Raises SandboxError;
    an exception inside `func` is logged with an incident id and raised as 'crashed'."""
    timeout_s = int(timeout_s if timeout_s is not None else settings.get("import_timeout_s"))
    memory_mb = int(memory_mb if memory_mb is not None else settings.get("import_memory_mb"))
    folder = Path(tempfile.mkdtemp(prefix="import-"))
    process: subprocess.Popen | None = None
    timer: threading.Timer | None = None
    timed_out = threading.Event()
    try:
        (folder / "tmp").mkdir()
        (folder / JOB).write_bytes(pickle.dumps((func, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL))
        env = {**os.environ, **_CHILD_ENV, "TMPDIR": str(folder / "tmp"),
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        started = time.monotonic()
        with open(folder / "stderr.txt", "wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "geo.ingest.sandbox", str(folder), str(memory_mb), str(timeout_s)],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
                start_new_session=True)

        def expire() -> None:
            """Wall-clock limit reached: kill the child's process group."""
            timed_out.set()
            _kill(process)

        timer = threading.Timer(timeout_s, expire)
        timer.daemon = True
        timer.start()
        _, status, _usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        timer.cancel()
        seconds = time.monotonic() - started
        result = _read_result(folder)
        if timed_out.is_set() or process.returncode == -signal.SIGXCPU:
            raise SandboxError("timeout", limit=timeout_s)
        if result is None:
            incident = _incident(folder, f"child exited with {process.returncode}, no result")
            raise SandboxError("crashed", incident=incident)
        if result["ok"]:
            return Outcome(result["value"], result["peak_kb"], seconds)
        if result["reason"] == "memory":
            raise SandboxError("memory", limit=memory_mb)
        incident = _incident(folder, result.get("traceback", ""))
        raise SandboxError("crashed", incident=incident)
    finally:
        if timer is not None:
            timer.cancel()
        if process is not None and process.returncode is None:   # the caller was interrupted
            _kill(process)
            try:
                os.waitpid(process.pid, 0)
            except ChildProcessError:
                pass
            process.returncode = -signal.SIGKILL
        shutil.rmtree(folder, ignore_errors=True)


def _kill(process: subprocess.Popen | None) -> None:
    """SIGKILL the child's whole process group (it started a session of its own)."""
    if process is None:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _read_result(folder: Path) -> dict | None:
    """The child's result envelope, or None when it wrote none (killed or crashed)."""
    try:
        return pickle.loads((folder / RESULT).read_bytes())
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, MemoryError):
        return None


def _incident(folder: Path, text: str) -> str:
    """Log what went wrong in the child (server side only) under a short id the user sees."""
    incident = uuid.uuid4().hex[:8]
    try:
        stderr = (folder / "stderr.txt").read_text(encoding="utf-8", errors="replace")[-4000:]
    except OSError:
        stderr = ""
    LOG.error("import sandbox incident %s: %s\n%s", incident, text, stderr)
    return incident


def report_failure(error: SandboxError, report: Any, file: str) -> None:
    """Add the failure as a located problem (rule import_timeout / import_memory / import_crashed)."""
    report.add(file, error.rule, detail=error.detail)


# ------------------------------------------------------------------------- staging jobs
# Top-level (picklable) jobs the pages and the command line run in the sandbox.

def stage_upload(kind: str, name: str, data: bytes, **options: Any) -> Any:
    """Job: receive uploaded bytes and stage them as `kind` (pipeline.stage options)."""
    from geo.ingest import files, pipeline
    from geo.ingest.report import Report
    report = Report()
    upload = files.receive(data, name=name, report=report)
    try:
        return pipeline.stage(kind, upload, report, **options)
    finally:
        upload.cleanup()


def stage_path(kind: str, path: str, **options: Any) -> Any:
    """Job: receive a local file (a .shp with its sidecars) and stage it as `kind`."""
    from geo.ingest import files, pipeline
    from geo.ingest.report import Report
    report = Report()
    upload = files.receive_path(path, report=report)
    try:
        return pipeline.stage(kind, upload, report, **options)
    finally:
        upload.cleanup()


def staged(job: Callable[..., Any], kind: str, source: str, *args: Any, **options: Any) -> Any:
    """Run a staging job (`job(kind, source, *args, **options)`) in the sandbox. A limit breach
    or crash comes back as a pipeline.Staged whose report names the file and the limit."""
    from geo.ingest import pipeline
    from geo.ingest.report import Report
    try:
        return run(job, kind, source, *args, **options).value
    except SandboxError as error:
        report = Report()
        file = Path(source).name if job is stage_path else source
        report_failure(error, report, file)
        return pipeline.Staged(kind, file, report)


def stage_delivery_job(items: list[tuple[str, bytes | str]], *, year_all: int | None = None,
                       **options: Any) -> tuple[Any, Any]:
    """Job: receive a whole delivery, uploaded bytes `(name, data)` or local files `(name, path)`,
    and stage it (pipeline.stage_delivery options). `year_all` sets the as-of year of every table.
    Returns (Delivery, Report)."""
    from geo.ingest import files, pipeline
    from geo.ingest.report import Report
    report = Report()
    uploads = [files.receive(data, name=name, report=report) if isinstance(data, bytes)
               else files.receive_path(data, report=report) for name, data in items]
    try:
        if year_all is not None:
            options["years"] = {label: year_all for upload in uploads
                                for label in (upload.name, *(source.name for source in upload.sources))}
        return pipeline.stage_delivery(uploads, report, **options), report
    finally:
        for upload in uploads:
            upload.cleanup()


def staged_delivery(items: list[tuple[str, bytes | str]], **options: Any) -> tuple[Any, Any]:
    """Run `stage_delivery_job` in the sandbox: (Delivery, Report). A limit breach or crash comes
    back as an empty Delivery whose report names the files and the limit."""
    from geo.ingest import pipeline
    from geo.ingest.report import Report
    try:
        return run(stage_delivery_job, items, **options).value
    except SandboxError as error:
        report = Report()
        report_failure(error, report, "、".join(name for name, _ in items))
        return pipeline.Delivery([]), report


# ----------------------------------------------------------------------------- in the child

def _limit(memory_mb: int, timeout_s: int) -> None:
    """Limit this (child) process: address space, CPU seconds, no core dumps."""
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (timeout_s + 1, timeout_s + 2))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _peak_kb() -> int:
    """Peak resident memory of this process image (VmHWM: unlike ru_maxrss, it does not carry
    the parent's size over from fork)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child(folder: Path, memory_mb: int, timeout_s: int) -> int:
    """Entry of the child: limit itself, run the job, write the result atomically."""
    _limit(memory_mb, timeout_s)
    out: dict[str, Any]
    try:
        from geo.ingest import gdalsafe
        gdalsafe.restrict_drivers()
        func, args, kwargs = pickle.loads((folder / JOB).read_bytes())
        value = func(*args, **kwargs)
        out = {"ok": True, "value": value, "peak_kb": _peak_kb()}
        data = pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        data = pickle.dumps({"ok": False, "reason": "memory"})
    except Exception:  # any failure of the job becomes an incident the parent logs
        data = pickle.dumps({"ok": False, "reason": "error", "traceback": traceback.format_exc()[-4000:]})
    tmp = folder / (RESULT + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, folder / RESULT)
    return 0


if __name__ == "__main__":
    sys.exit(_child(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))
