"""A delivery without a poor-county flag (六盘水, tests/ingest/delivery.py): the landing page and
退出进度 at county level say in Chinese why status is 无数据 and how to deliver the flag; the demo
(which has the flag) shows no such notice."""
from __future__ import annotations

import shutil

import pytest

from geo.ingest.store import Store
from tests.ingest import delivery as dl


@pytest.fixture(scope="module")
def liupanshui(tmp_path_factory):
    """The 六盘水 delivery imported by the command line; its published folder."""
    from cli.ingest import main
    root = tmp_path_factory.mktemp("poor_flag")
    delivery = dl.build("520200000000", root / "delivery")
    patch = pytest.MonkeyPatch()
    patch.setenv("PORTAL_STORE_DIR", str(root / "store"))
    try:
        assert main(["--new", "--repair", *map(str, delivery.files.values())]) == 0
        folder = root / "dataset"
        shutil.copytree(Store(root / "store").active_folder(), folder)
    finally:
        patch.undo()
    return folder


def _notices(at) -> list[str]:
    return [box.value for box in at.info if "是否贫困县" in box.value]


@pytest.mark.parametrize("page", [None, "pages/exit_map.py"])
def test_county_status_without_flag_is_explained(liupanshui, open_page, page):
    at = open_page(page, data=liupanshui)
    assert not at.exception
    notices = _notices(at)
    assert len(notices) == 1
    assert "缺少“是否贫困县”列" in notices[0] and "数据管理" in notices[0] and "“无数据”" in notices[0]


def test_demo_has_the_flag_and_no_notice(open_page):
    at = open_page("pages/exit_map.py")
    assert not at.exception and _notices(at) == []
