"""Partial data is normal: boundaries plus a township table, without village rows, services or
sites, make a working portal. Every page opens without an error and names what is missing."""
from __future__ import annotations

import pytest

from cli.ingest import main
from tests.ingest import delivery as dl
from ui.kpi import persons_text

PAGES = [None, "pages/exit_map.py", "pages/relocation.py", "pages/services.py", "pages/about_data.py",
         "pages/data_manage.py"]


@pytest.fixture(scope="module")
def partial(tmp_path_factory):
    """六盘水市: county and township boundaries and the township table only (no sites)."""
    root = tmp_path_factory.mktemp("partial")
    delivery = dl.build(sorted(dl.GK_EPSG)[0], root / "delivery")
    mp = pytest.MonkeyPatch()
    mp.setenv("PORTAL_STORE_DIR", str(root / "store"))
    try:
        assert main(["--new", str(delivery.files["counties"]), str(delivery.files["townships"]),
                     str(delivery.files["table"])]) == 0
    finally:
        mp.undo()
    from geo.ingest.store import Store
    return Store(root / "store").active_folder(), delivery


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_and_names_what_is_missing(open_page, partial, page):
    folder, delivery = partial
    at = open_page(page, data=folder, params={"year": str(dl.YEAR)})
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    if page != "pages/data_manage.py":  # the data page does not read the dataset
        notes = " ".join(i.value for i in at.sidebar.info)
        assert "当前数据集没有：基础设施与公共服务表、集中安置点表" in notes


def test_landing_kpis_are_the_delivered_totals(open_page, partial):
    folder, delivery = partial
    at = open_page(data=folder, params={"year": str(dl.YEAR)})
    values = {m.label: m.value for m in at.metric}
    totals = delivery.totals
    assert values["贫困村出列"] == f"{totals['exited_villages']} / {totals['poor_villages']}"
    assert values["剩余贫困人口"] == persons_text(totals['registered_poor'] - totals['exited_poor'])
