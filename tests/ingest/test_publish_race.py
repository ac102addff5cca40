"""Publishing is serialised: a lock plus compare-and-swap on the active version. A publish that
lost the race is refused with a Chinese message (never silently dropped), version ids never
collide, and two publishes started together (two processes) end with both changes active or
one clear refusal."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from geo.ingest import pipeline, sandbox
from geo.ingest.report import Report
from geo.ingest.store import BaseChanged, Store
from geo.read import read_bundle
from tests import tiny
from ui.import_text import problem_text

ROOT = Path(__file__).resolve().parents[2]


def _exit_csv(registered: int) -> bytes:
    rows = tiny.exit_rows()
    for row in rows:
        if row["code"] == tiny.VILLAGES[0]:
            row["registered_poor"] = registered
    return tiny.table(rows, "exit_status").to_csv(index=False).encode("utf-8")


def _services_csv(income: int) -> bytes:
    rows = tiny.services_rows()
    for row in rows:
        if row["code"] == tiny.VILLAGES[0]:
            row["collective_income"] = income
    return tiny.table(rows, "services").to_csv(index=False).encode("utf-8")


def _changes(folder: Path) -> tuple[bool, bool]:
    bundle = read_bundle(folder)
    exits = bundle.exit_status.set_index("code").loc[tiny.VILLAGES[0], "registered_poor"]
    services = bundle.services.set_index("code").loc[tiny.VILLAGES[0], "collective_income"]
    return bool((exits == 123).all()), bool((services == 77777).all())


def test_store_refuses_a_stale_base(tmp_path):
    store = Store(tmp_path / "store")
    first, _ = store.publish(tiny.write_folder, {})
    second, _ = store.publish(tiny.write_folder, {}, expect=first.id)
    with pytest.raises(BaseChanged) as caught:
        store.publish(tiny.write_folder, {}, expect=first.id)
    assert (caught.value.expected, caught.value.active) == (first.id, second.id)
    assert store.active_id() == second.id and len(store.versions()) == 2
    assert list((tmp_path / "store" / "tmp").iterdir()) == []


def test_lost_race_is_refused_with_a_message(tmp_path, monkeypatch, tiny_units):
    store = Store(tmp_path / "store")
    base, _ = store.publish(tiny.write_folder, {})
    staged = sandbox.stage_upload("exit_status", "退出.csv", _exit_csv(123), units=tiny_units)
    assert staged.ok, staged.report.problems
    real = Store.publish
    winner = {}

    def other_publishes_first(self, write, meta, **options):
        winner["version"], _ = real(self, tiny.write_folder, {"note": "the other session"})
        return real(self, write, meta, **options)

    monkeypatch.setattr(Store, "publish", other_publishes_first)
    report = Report()
    assert pipeline.publish(store, {"exit_status": staged}, base=store.active_folder(), report=report) is None
    problem = report.first("publish_base_changed")
    assert problem.detail == {"base": base.id, "active": winner["version"].id}
    assert "已被他人更新" in problem_text(problem) and winner["version"].id in problem_text(problem)
    assert store.active_id() == winner["version"].id
    monkeypatch.setattr(Store, "publish", real)
    # publishing again re-composes from the new base and passes
    report = Report()
    assert pipeline.publish(store, {"exit_status": staged}, base=store.active_folder(), report=report)
    assert _changes(store.active_folder()) == (True, False)


def test_version_ids_never_collide_in_the_same_second(tmp_path):
    store = Store(tmp_path / "store")
    errors, versions = [], []

    def publish() -> None:
        try:
            versions.append(Store(tmp_path / "store").publish(tiny.write_folder, {})[0].id)
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=publish) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(set(versions)) == 4
    assert sorted(int(v[1:5]) for v in versions) == [1, 2, 3, 4]
    assert store.active_id() in versions


def test_two_processes_publish_together(tmp_path):
    store = Store(tmp_path / "store")
    base, _ = store.publish(tiny.write_folder, {})
    (tmp_path / "exit.csv").write_bytes(_exit_csv(123))
    (tmp_path / "services.csv").write_bytes(_services_csv(77777))
    env = {**os.environ, "PORTAL_STORE_DIR": str(tmp_path / "store")}
    env.pop("PORTAL_DATA_DIR", None)
    commands = [["--kind", "exit_status", "--file", str(tmp_path / "exit.csv")],
                ["--kind", "services", "--file", str(tmp_path / "services.csv")]]
    processes = [subprocess.Popen([sys.executable, "-m", "cli.ingest", *args], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for args in commands]
    results = [(p.wait(timeout=300), *p.communicate()) for p in processes]
    codes = [code for code, _, _ in results]
    exits_changed, services_changed = _changes(store.active_folder())
    if codes == [0, 0]:
        assert exits_changed and services_changed, results
        assert len(store.versions()) == 3
    else:
        assert sorted(codes) == [0, 1], results
        loser = codes.index(1)
        assert "已被他人更新" in results[loser][2], results[loser][2]
        assert (exits_changed, services_changed) == ((False, True) if loser == 0 else (True, False))
        assert len(store.versions()) == 2
    assert "Traceback" not in "".join(err for _, _, err in results)
