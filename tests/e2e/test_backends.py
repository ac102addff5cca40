"""Browser tests on the PostGIS backend (the demo published into the test cluster): the landing
page, the 退出进度 drill-down county → township → villages and the vector-tile village view run
the same browser tests as on files (imported and called with a portal on PostGIS); an import
through 数据管理 publishes into PostGIS; with the database down every page shows the Chinese
notice and the page comes back by itself once the database returns."""
from __future__ import annotations

import time

from geo import pg
from tests.access_helpers import PASSWORD, make_user, open_login
from tests.e2e import test_exit_map, test_landing, test_vector_tiles
from tests.ingest import delivery as dl
from ui.text import t

units = test_exit_map.units          # module fixtures of the reused tests
villages = test_vector_tiles.villages


def test_landing_on_postgis(start_portal, pg_env, page, page_log, wait_idle, map_frame, count_polygons,
                            save_screenshot):
    portal = start_portal(env=pg_env)
    test_landing.test_landing_draws_seven_counties_offline(portal, page, page_log, wait_idle, map_frame,
                                                           count_polygons, save_screenshot)


def test_drill_down_on_postgis(start_portal, pg_env, page, page_log, wait_idle, map_frame, count_polygons,
                               save_screenshot, units):
    portal = start_portal(env=pg_env)
    test_exit_map.test_click_county_then_township_then_back(portal, page, page_log, wait_idle, map_frame,
                                                            count_polygons, save_screenshot, units)


def test_vector_tile_village_view_on_postgis(start_portal, pg_env, page, page_log, wait_idle, expect_rerun,
                                             map_frame, save_screenshot, villages):
    def start(env=None, **kwargs):
        return start_portal(env={**pg_env, **(env or {})}, **kwargs)
    test_vector_tiles.test_village_view_from_tiles(start, page, page_log, wait_idle, expect_rerun, map_frame,
                                                   save_screenshot, villages)
    assert any("/tiles/" in u and u.split("?")[0].endswith(".pbf") for u in page_log.requests)


def test_import_through_the_page_publishes_into_postgis(start_portal, pg_env, page, page_log, wait_idle,
                                                        expect_rerun, map_frame, count_polygons, tmp_path,
                                                        save_screenshot):
    delivery = dl.build(min(dl.GK_EPSG), tmp_path / "delivery")
    make_user("admin", "data_admin", path=tmp_path / "access.sqlite")
    before = pg.store().active()
    portal = start_portal(env={**pg_env, "PORTAL_STORE_DIR": str(tmp_path / "store"), "PORTAL_DATA_DIR": ""})
    page.goto(portal.url + "/")
    wait_idle(page)
    form = open_login(page)
    form.get_by_label("用户名").fill("admin")
    form.get_by_label("密码").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="数据管理").click()
    page.locator("[data-testid='stFileUploader']").wait_for()
    wait_idle(page)
    with expect_rerun(page):   # the published demo is not the bundled folder: "update" is preselected
        page.locator("[data-testid='stRadioGroup'] label").filter(has_text="新建数据集").click()
    page.locator("[data-testid='stFileUploader'] input[type=file]").set_input_files(
        [str(p) for p in delivery.files.values()])
    for path in delivery.files.values():
        page.locator("[data-testid='stFileUploader']").get_by_text(path.name).wait_for()
    wait_idle(page)
    page.get_by_text("允许自动修复", exact=False).click()
    wait_idle(page)
    with expect_rerun(page):
        page.get_by_role("button", name="校验").click()
    page.get_by_text("校验通过", exact=False).wait_for()
    with expect_rerun(page):
        page.get_by_role("button", name="发布为新版本（新建数据集）").click()
    # the published demo is a version like any other: replacing it removes rows, which needs consent
    page.get_by_text("渠县的退出情况表将减少", exact=False).wait_for()
    assert pg.store().active() == before
    with expect_rerun(page):
        page.get_by_text("确认删除：允许发布后数据减少", exact=False).click()
    with expect_rerun(page):
        page.get_by_role("button", name="发布为新版本（新建数据集）").click()
    page.get_by_text("已发布版本 v", exact=False).wait_for()
    wait_idle(page)
    after = pg.store().active()
    assert after != before and pg.store().meta(after)["mode"] == "new"
    save_screenshot(page, "pgserve_import_published.png")
    page.goto(portal.url + f"/?year={dl.YEAR}")
    wait_idle(page)
    frame = map_frame(page)
    assert count_polygons(frame, wait_for=len(delivery.counties)) == len(delivery.counties)
    assert "演示数据" not in page.locator("[data-testid='stSidebar']").inner_text()
    assert page_log.blocked == [] and page_log.console_errors == [] and page_log.page_errors == []


def test_database_down_says_so_and_recovers(start_portal, pg_env, pg_cluster, page, page_log, wait_idle,
                                            map_frame, count_polygons, save_screenshot):
    portal = start_portal(env=pg_env)
    page.goto(portal.url + "/exit_map")
    wait_idle(page)
    assert count_polygons(map_frame(page), wait_for=7) == 7
    pg_cluster.stop()
    try:
        for path in ("/", "/exit_map", "/relocation"):
            page.goto(portal.url + path)
            wait_idle(page)
            page.get_by_text(t("scale.store_down")).wait_for()
            assert "Traceback" not in page.inner_text("body")
        save_screenshot(page, "pgserve_store_down.png")
    finally:
        pg_cluster.start()
    deadline = time.monotonic() + 90
    while True:   # the pool reconnects by itself; the notice's retry button reruns the page
        page.get_by_role("button", name=t("scale.store_retry")).click()
        wait_idle(page)
        if page.locator("iframe[title*='streamlit_folium']").count():
            break
        assert time.monotonic() < deadline, "the page did not recover within 90 s"
    page.goto(portal.url + "/exit_map")
    wait_idle(page)
    assert count_polygons(map_frame(page), wait_for=7) == 7
    assert page_log.page_errors == []
