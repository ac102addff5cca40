"""A real PostgreSQL + PostGIS for the scale tests: the cluster tests/run.sh started
(TEST_PG_DSN / TEST_PG_DIR), else one started here with tests/pg_cluster.sh and stopped after."""
from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "pg_cluster.sh"
PG_CTL = "/usr/lib/postgresql/15/bin/pg_ctl"


@dataclass
class Cluster:
    dsn: str
    folder: str

    def _ctl(self, *args: str) -> None:
        command = [PG_CTL, "-D", f"{self.folder}/data", *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def stop(self) -> None:
        """Stop the server (a database outage)."""
        self._ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        """Start it again with the same options (port, socket folder)."""
        self._ctl("-w", "-l", f"{self.folder}/log", "restart")  # restart reuses postmaster.opts


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    dsn, folder = os.environ.get("TEST_PG_DSN"), os.environ.get("TEST_PG_DIR")
    owned = not dsn
    if owned:
        out = subprocess.run(["bash", str(SCRIPT), "start"], check=True, capture_output=True, text=True,
                             timeout=300).stdout
        values = dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines()
                      if line.startswith("export "))
        dsn, folder = values["TEST_PG_DSN"].strip("'"), values["TEST_PG_DIR"].strip("'")
    yield Cluster(dsn, folder)
    if owned:
        subprocess.run(["bash", str(SCRIPT), "stop", folder], check=False, timeout=120)


@pytest.fixture
def pg_dsn(pg_cluster, monkeypatch) -> str:
    """An empty portal schema on the test cluster; the portal's settings point at it."""
    with psycopg.connect(pg_cluster.dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS portal CASCADE")
    monkeypatch.setenv("PORTAL_PG_DSN", pg_cluster.dsn)
    from geo import pg
    pg.store().ensure_schema()
    pg.pg_tiles()._current = (0.0, None)
    return pg_cluster.dsn


from tests.apptest.conftest import open_page  # noqa: E402,F401  (the AppTest helper, shared)
