"""End-to-end import in the browser, offline: a GBK Shapefile in CGCS2000 Gauss-Kruger (zone
prefix, no .cpg) and a report-style XLSX (title row, merged header, unit row, 合计 row) are
checked, published as a new version, and the maps then draw the new units in the right place."""
from __future__ import annotations

import json

import numpy as np

from geo.ingest.store import Store
from tests import tiny
from tests.access_helpers import PASSWORD, make_user
from tests.ingest import fixtures as fx

EAST = 20_000.0  # the imported grid lies 20 km east of the base (tiny) grid

_POLYGONS_JS = """() => {
    const out = [];
    for (const layer of Object.values(window.map._layers)) {
        if (!(layer instanceof L.Polygon) || !layer.feature) continue;
        const b = layer.getBounds();
        out.push({props: layer.feature.properties,
                  bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]});
    }
    return JSON.stringify(out);
}"""


def test_import_publish_and_map(start_portal, page, page_log, wait_idle, map_frame, tmp_path,
                                save_screenshot):
    store = Store(tmp_path / "store")
    store.publish(tiny.write_folder, {"imported": {"seed": "tiny"}})
    make_user("admin", "data_admin", path=tmp_path / "access.sqlite")  # next to the store: the default
    portal = start_portal(env={"PORTAL_STORE_DIR": str(tmp_path / "store"), "PORTAL_DATA_DIR": ""})
    frame = fx.units_in_zone_prefix(east=EAST, names=fx.NEW_NAMES)
    shp = tmp_path / "upload" / "达州边界.zip"
    shp.parent.mkdir()
    shp.write_bytes(fx.zip_bytes({f"边界/{k}": v for k, v in
                                  fx.write_shapefile(frame, tmp_path / "shp", "边界").items()}))
    xlsx = tmp_path / "upload" / "退出情况.xlsx"
    xlsx.write_bytes(fx.report_workbook(fx.exit_rows_2019()))

    page.goto(portal.url + "/")
    wait_idle(page)
    form = page.locator("[data-testid='stSidebar'] [data-testid='stForm']")  # data management needs a login
    form.get_by_label("用户名").fill("admin")
    form.get_by_label("密码").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="数据管理").click()
    page.locator("[data-testid='stFileUploader']").wait_for()
    wait_idle(page)
    page.locator("[data-testid='stFileUploader'] input[type=file]").set_input_files(str(shp))
    page.locator("[data-testid='stFileUploader']").get_by_text("达州边界.zip").wait_for()
    wait_idle(page)
    page.get_by_role("button", name="校验").click()
    wait_idle(page)
    page.get_by_text("校验通过：0 个警告。").wait_for()
    page.get_by_text("退出情况表").click()
    wait_idle(page)
    # the uploader of the new kind replaces the old one: upload into it only once it is there
    page.get_by_text("支持 CSV", exact=False).wait_for()
    page.wait_for_timeout(500)
    page.locator("[data-testid='stFileUploader'] input[type=file]").set_input_files(str(xlsx))
    page.locator("[data-testid='stFileUploader']").get_by_text("退出情况.xlsx").wait_for()
    wait_idle(page)
    page.get_by_role("button", name="校验").click()
    wait_idle(page)
    page.get_by_text("合计/小计行，已排除", exact=False).wait_for()
    save_screenshot(page, "import_checked.png")
    page.get_by_role("button", name="发布为新版本").click()
    page.get_by_text("已发布版本 v0002-", exact=False).wait_for()
    wait_idle(page)
    active = store.active_id()
    assert active.startswith("v0002-")
    page.get_by_text(f"已发布版本 {active}，地图已使用新数据。").wait_for()
    save_screenshot(page, "import_published.png")

    page.goto(portal.url + "/exit_map?level=village&year=2019")
    wait_idle(page)
    frame_map = map_frame(page)
    frame_map.wait_for_function("() => Object.keys(window.map._layers).length > 2")
    drawn = json.loads(frame_map.evaluate(_POLYGONS_JS))
    expected = fx.units_in_zone_prefix(east=EAST, names=fx.NEW_NAMES).to_crs("EPSG:4326")
    expected = expected.set_index("XZQDM")
    by_code = {d["props"].get("code"): d for d in drawn}
    villages = [c for c in tiny.VILLAGES]
    assert sorted(by_code) == sorted(villages)
    for code in villages:
        np.testing.assert_allclose(by_code[code]["bounds"], expected.loc[code].geometry.bounds, atol=2e-4)
        assert by_code[code]["props"]["v"][0] == expected.loc[code, "XZQMC"]  # first tooltip field: 名称
    save_screenshot(page, "import_map.png")
    assert page_log.blocked == [] and page_log.external == []
    assert page_log.console_errors == [] and page_log.page_errors == []
