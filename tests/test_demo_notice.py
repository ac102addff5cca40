"""The demo notice follows what is shown: the bundled demo, a version that still holds demo kinds
(meta.json `demo_kinds`), or nothing; Store.deactivate goes back to the demo."""
from __future__ import annotations

import subprocess

import pytest
from matplotlib.text import Text

from geo import schema
from geo.datasets import DEMO_FOLDER, active_folder, demo_kinds
from geo.ingest.store import ACTIVE, Store
from geo.read import read_bundle
from geo.view import View
from layers.export import export_view
from layers.pack import build_pack
from layers.snapshot import demo_notice, prepare_snapshot
from layers.static_map import snapshot_figure
from tests import tiny
from ui.text import t

PARTIAL = ("services", "sites")


def partial_notice() -> str:
    return demo_notice(PARTIAL, t)


def publish(store: Store, kinds: list | None) -> str:
    meta = {"imported": {"seed": "tiny"}}
    if kinds is not None:
        meta["demo_kinds"] = kinds
    version, _ = store.publish(tiny.write_folder, meta)
    return version.id


def test_demo_kinds_of_folders(tmp_path):
    store = Store(tmp_path / "store")
    assert demo_kinds(DEMO_FOLDER) == tuple(schema.FILES)
    partial = store.versions_dir / publish(store, ["sites", "services", "bogus"])
    assert demo_kinds(partial) == PARTIAL                       # schema order, unknown kinds dropped
    assert demo_kinds(store.versions_dir / publish(store, [])) == ()
    assert demo_kinds(store.versions_dir / publish(store, None)) == ()
    (partial / "meta.json").write_text("{broken", encoding="utf-8")
    assert demo_kinds(partial) == ()
    assert demo_kinds(tiny.write_folder(tmp_path / "plain")) == ()


def test_notice_wording():
    assert demo_notice(("units", "exit_status", "services", "sites"), t) == t("demo.notice")
    assert demo_notice((), t) == t("demo.notice")             # demo=True without kinds: all
    assert partial_notice() == t("demo.partial", kinds="基础设施与公共服务表、集中安置点表")


def test_deactivate_goes_back_to_the_demo(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_DATA_DIR", raising=False)
    monkeypatch.setenv("PORTAL_STORE_DIR", str(tmp_path / "store"))
    store = Store(tmp_path / "store")
    ident = publish(store, None)
    assert active_folder() == (store.versions_dir / ident).resolve()
    assert store.deactivate() is True
    assert not (store.root / ACTIVE).exists() and store.active_id() is None
    assert active_folder() == DEMO_FOLDER.resolve()
    assert [v.id for v in store.versions()] == [ident]          # nothing deleted
    assert store.deactivate() is False
    store.activate(ident)                                        # and it can be restored
    assert store.active_id() == ident


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return read_bundle(tiny.write_folder(tmp_path_factory.mktemp("tiny")))


@pytest.mark.parametrize("kinds, expected", [(PARTIAL, "partial"), ((), "none")])
def test_every_export_carries_the_notice_of_what_is_shown(bundle, kinds, expected):
    view = View(level="village", region=tiny.COUNTY, year=2018)
    shot = prepare_snapshot(bundle, view, t, demo=bool(kinds), demo_kinds=kinds, source="x")
    html = export_view(shot, "html", title="t", text=t).decode()
    pdf = " ".join(pdf_text(export_view(shot, "pdf", title="t", text=t)).split())
    pack = build_pack(bundle, tiny.COUNTY, text=t, demo=bool(kinds), demo_kinds=kinds, source="x",
                      year=2018, dpi=40)
    pack_text = " ".join(pdf_text(pack.pdf).split())
    figure = " ".join(a.get_text() for a in snapshot_figure(shot, title="t", text=t).findobj(Text))
    for text in (html, pdf, pack_text, figure):              # figure: what the PNG is drawn from
        if expected == "partial":
            assert "演示数据" in text and "集中安置点表" in text
        else:
            assert "演示数据" not in text and "合成" not in text
