"""数据管理 page in AppTest: a whole delivery uploaded at once, each file's kind recognised and
correctable, unknown columns mapped and saved as a profile, the first 20 problems on screen and
all downloadable, values from files shown as plain text, publish in two modes, restore."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.ingest.report import SCREEN_LIMIT
from geo.ingest.store import Store
from tests import tiny
from access.users import UserError
from tests.access_helpers import login, make_user
from tests.ingest import fixtures as fx

ROOT = Path(__file__).resolve().parents[2]
EVIL = "<img src=x onerror=alert(1)>"


@pytest.fixture
def store(tmp_path, monkeypatch) -> Store:
    monkeypatch.delenv("PORTAL_DATA_DIR", raising=False)
    monkeypatch.setenv("PORTAL_STORE_DIR", str(tmp_path / "store"))
    store = Store(tmp_path / "store")
    store.publish(tiny.write_folder, {"imported": {"seed": "tiny"}})
    return store


def _page() -> AppTest:
    try:
        make_user("admin", "admin")  # data management is never anonymous
    except UserError:  # a second page of the same test
        pass
    at = login(AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120).run(), "admin")
    at.switch_page("pages/data_manage.py").run()
    assert not at.exception, at.exception
    return at


def _lines(at: AppTest) -> list[str]:
    return [el.value for el in at.text if el.value[:1] in ("✖", "⚠", "ℹ")]


def _upload(at: AppTest, files: list[tuple[str, bytes, str]]) -> None:
    at.file_uploader(key="data.upload").set_value(files).run()
    assert not at.exception, at.exception


def test_many_problems_first_20_on_screen_all_downloadable(store):
    rows = tiny.services_rows()
    frame = tiny.table(rows, "services")
    frame["road"] = frame["road"].astype(object)
    frame.loc[:, "road"] = "也许"           # 12 bad cells
    frame.loc[:, "water"] = EVIL            # 12 more: 24 errors in all
    at = _page()
    _upload(at, [("服务.csv", fx.csv_bytes(frame, "gbk"), "text/csv")])
    at.button(key="data.check").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="data.kind.0").value == "services"   # recognised by its headers
    assert at.error[0].value == "校验未通过：24 个错误，0 个警告。数据未发布。"
    lines = _lines(at)
    assert len(lines) == SCREEN_LIMIT
    assert lines[0] == ("✖ 文件 服务.csv，第 2 行，列 road，值“也许”：应为 1/0 或 是/否。请按规则修改文件后重新上传。")
    # names and values from files are plain text, never markdown or HTML
    evil_line = next(line for line in lines if EVIL in line)
    assert "第 2 行，列 water" in evil_line
    assert not any(EVIL in m.value for m in at.markdown)
    assert "共 25 条，屏幕显示前 20 条" in " ".join(c.value for c in at.caption)  # + encoding note
    assert at.download_button(key="data.report.download") is not None
    assert not [b for b in at.button if b.key == "data.publish"]


def test_import_publish_and_restore(store, tmp_path):
    first = store.active_id()
    members = fx.write_shapefile(fx.units_in_zone_prefix(), tmp_path / "shp", "边界")
    at = _page()
    _upload(at, [("边界.zip", fx.zip_bytes(members), "application/zip"),
                 ("退出.xlsx", fx.report_workbook(fx.exit_rows_2019()), "application/octet-stream")])
    at.button(key="data.check").click().run()
    assert not at.exception, at.exception
    assert [at.selectbox(key=f"data.kind.{i}").value for i in range(2)] == ["units", "exit_status"]
    assert at.success[0].value == "校验通过：1 个警告。"
    assert "⚠ 文件 退出.xlsx，工作表/图层 退出情况，第 9 行，值“合计”：合计/小计行，已排除。无需处理；合计由系统自动计算。" in _lines(at)
    assert store.active_id() == first            # nothing published before the click
    at.button(key="data.publish").click().run()
    assert not at.exception, at.exception
    second = store.active_id()
    assert second != first and second.startswith("v0002-")
    assert any(s.value == f"已发布版本 {second}，地图已使用新数据。" for s in at.success)
    at.button(key=f"data.restore.{first}").click().run()
    assert store.active_id() == first


def test_missing_prj_asks_for_the_crs(store, tmp_path):
    members = fx.write_shapefile(fx.units_in_zone_prefix(), tmp_path / "shp", "边界", prj=False)
    at = _page()
    _upload(at, [("边界.zip", fx.zip_bytes(members), "application/zip")])
    at.button(key="data.check").click().run()
    assert at.selectbox(key="data.crs").options == ["EPSG:4524"]
    at.button(key="data.check").click().run()
    assert at.success[0].value == "校验通过：0 个警告。"


def test_unknown_headers_are_mapped_and_the_profile_offered_again(store, tmp_path):
    """A site list with the bureau's own headers: map them on the page, save the mapping as a
    profile; the next file of the same shape gets it pre-filled."""
    sites = pd.DataFrame({"点位": ["静边安置点"], "乡镇编码": [tiny.TOWNS[0]], "X坐标": [108.05], "Y坐标": [30.75],
                          "计划户": [50]})
    data = fx.csv_bytes(sites, "utf-8")
    at = _page()
    _upload(at, [("安置点.csv", data, "text/csv")])
    at.button(key="data.check").click().run()
    assert at.selectbox(key="data.kind.0").value == ""           # not recognised: the user chooses
    at.selectbox(key="data.kind.0").set_value("sites").run()
    for number, field in enumerate(["name", "township_code", "lon", "lat", "planned_households"]):
        at.selectbox(key=f"data.map.0.{number}").set_value(field).run()
    at.text_input(key="data.profile.0").set_value("县安置点表").run()
    at.button(key="data.profile_save.0").click().run()
    at.button(key="data.check").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("校验通过"), [e.value for e in at.error] + _lines(at)
    assert (Path(store.root) / "profiles" / "县安置点表.json").is_file()
    again = _page()
    _upload(again, [("安置点2.csv", data, "text/csv")])
    again.button(key="data.check").click().run()
    assert again.selectbox(key="data.map.0.2").value == "lon"
    assert any("县安置点表" in t.value for t in again.text)


def test_new_dataset_with_year_confirmed_and_removal_consent(store, tmp_path):
    """A new dataset replacing the active one: the year taken from the title is shown for
    confirmation (and corrected here), the removal is listed and needs the consent box."""
    from tests.ingest import delivery as dl
    delivery = dl.build(sorted(dl.GK_EPSG)[0], tmp_path / "delivery")
    first = store.active_id()
    at = _page()
    at.radio(key="data.mode").set_value("new").run()
    _upload(at, [(p.name, p.read_bytes(), "application/octet-stream")
                 for key, p in delivery.files.items() if key != "sites"])
    at.button(key="data.check").click().run()
    year = next(n for n in at.number_input if n.key.startswith("data.year."))
    assert year.value == dl.YEAR
    year.set_value(2018).run()
    at.button(key="data.check").click().run()
    assert at.success[0].value.startswith("校验通过")
    at.button(key="data.publish").click().run()
    assert not at.exception, at.exception
    assert store.active_id() == first                     # refused: data would be removed
    removed = [line for line in _lines(at) if "将减少" in line]
    assert removed and any("→ 0" in line for line in removed), _lines(at)
    at.checkbox(key="data.allow_removal").check().run()
    at.button(key="data.publish").click().run()
    assert store.active_id() != first
    from geo.read import read_bundle
    assert set(read_bundle(store.active_folder()).exit_status["year"]) == {2018}
