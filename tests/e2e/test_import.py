"""A whole delivery imported through the 数据管理 page in a real browser, offline, into an EMPTY
store: a GBK Shapefile in Gauss-Kruger without .cpg (zipped), a GeoJSON with a legacy crs member,
a report-style XLSX whose year is only in its title, and a GBK site list with its own headers,
uploaded together as a new dataset. Then the landing page and the exit map draw the region where
the source boundaries are, and the KPIs equal the delivered totals (六盘水市 and 张家界市)."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest

from geo.ingest.store import Store
from tests.access_helpers import PASSWORD, make_user, open_login
from tests.ingest import delivery as dl
from ui.kpi import persons_text

_POLYGONS_JS = """() => {
    const out = [];
    for (const layer of Object.values(window.map._layers)) {
        if (!(layer instanceof L.Polygon) || !layer.feature) continue;
        const b = layer.getBounds();
        out.push({code: layer.feature.properties.code,
                  bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]});
    }
    return JSON.stringify(out);
}"""


def _drawn(frame) -> dict[str, list[float]]:
    return {d["code"]: d["bounds"] for d in json.loads(frame.evaluate(_POLYGONS_JS))}


@pytest.mark.parametrize("prefecture", sorted(dl.GK_EPSG))
def test_import_a_delivery_into_an_empty_store(prefecture, start_portal, page, page_log, wait_idle,
                                              expect_rerun, map_frame, count_polygons, tmp_path,
                                              save_screenshot):
    delivery = dl.build(prefecture, tmp_path / "delivery")
    store = Store(tmp_path / "store")
    make_user("admin", "data_admin", path=tmp_path / "access.sqlite")  # next to the store: the default
    portal = start_portal(env={"PORTAL_STORE_DIR": str(store.root), "PORTAL_DATA_DIR": ""})
    page.goto(portal.url + "/")
    wait_idle(page)
    form = open_login(page)  # data management needs a login
    form.get_by_label("用户名").fill("admin")
    form.get_by_label("密码").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="数据管理").click()
    page.locator("[data-testid='stFileUploader']").wait_for()
    wait_idle(page)
    # on the bundled demo, a new dataset is the preselected mode
    assert page.get_by_role("radio", name="新建数据集").is_checked()
    started = time.perf_counter()
    page.locator("[data-testid='stFileUploader'] input[type=file]").set_input_files(
        [str(p) for p in delivery.files.values()])
    for path in delivery.files.values():
        page.locator("[data-testid='stFileUploader']").get_by_text(path.name).wait_for()
    wait_idle(page)
    page.get_by_text("允许自动修复", exact=False).click()
    wait_idle(page)
    with expect_rerun(page):
        page.get_by_role("button", name="校验").click()
    wait_idle(page)
    page.get_by_text("校验通过", exact=False).wait_for()
    page.get_by_text("经度和纬度写反，已交换", exact=False).wait_for()
    page.get_by_text("按标题中的年份作为统计年度", exact=False).wait_for()
    assert page.get_by_label("统计年度（取自标题，请确认）").input_value() == str(dl.YEAR)
    save_screenshot(page, f"import_{prefecture}_checked.png")
    with expect_rerun(page):
        page.get_by_role("button", name="发布为新版本（新建数据集）").click()
    page.get_by_text("已发布版本 v0001-", exact=False).wait_for()
    seconds = time.perf_counter() - started
    wait_idle(page)
    assert store.active().meta["mode"] == "new" and store.active().meta["demo_kinds"] == []

    # the landing page: the new region's counties where the sources put them, delivered totals
    page.goto(portal.url + f"/?year={dl.YEAR}")
    wait_idle(page)
    frame = map_frame(page)
    assert count_polygons(frame, wait_for=len(delivery.counties)) == len(delivery.counties)
    drawn = _drawn(frame)
    expected = delivery.counties.to_crs("EPSG:4326").set_index("code")
    assert sorted(drawn) == sorted(expected.index)
    for code in expected.index:  # display geometry is simplified: a few hundred metres at most
        np.testing.assert_allclose(drawn[code], expected.loc[code].geometry.bounds, atol=0.01)
    metrics = page.locator("[data-testid='stMetricValue']").all_inner_texts()
    totals = delivery.totals
    assert f"{totals['exited_villages']} / {totals['poor_villages']}" in metrics
    assert persons_text(totals['registered_poor'] - totals['exited_poor']) in metrics
    assert "演示数据" not in page.locator("[data-testid='stSidebar']").inner_text()
    save_screenshot(page, f"landing_{prefecture}.png")

    # the exit map at township level: every delivered township
    page.goto(portal.url + f"/exit_map?level=township&year={dl.YEAR}")
    wait_idle(page)
    frame = map_frame(page)
    assert count_polygons(frame, wait_for=len(delivery.townships)) == len(delivery.townships)
    assert page_log.blocked == [] and page_log.external == []
    assert page_log.console_errors == [] and page_log.page_errors == []
    print(f"\n[{delivery.name}] page import {seconds:.1f} s", flush=True)
