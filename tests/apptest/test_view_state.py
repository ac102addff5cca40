"""Issue 12: the view survives navigation. Year and region are carried across pages, a page
re-entered shows its last view, Back/Forward (a rerun with an earlier URL) restores that view,
and the default year is the latest one that still has work to show."""
from __future__ import annotations

QU = "511725000000"          # 渠县
EXIT, RELOC, SERVICES = "pages/exit_map.py", "pages/relocation.py", "pages/services.py"
OVERVIEW = "streamlit_app.py"


def params(at) -> dict:
    return {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def year(at) -> int:
    return at.sidebar.select_slider(key="year").value


def go(at, page: str):
    """What a click on a sidebar page link does: another page, no query parameters."""
    for key in list(at.query_params):
        del at.query_params[key]
    return at.switch_page(page).run()


def test_year_and_region_survive_overview_and_back(open_page):
    at = open_page(EXIT, params={"level": "township", "region": QU, "year": "2017"})
    assert not at.exception and year(at) == 2017
    go(at, OVERVIEW)
    assert not at.exception
    assert year(at) == 2017 and "截至 2017 年底" in at.title[0].value
    go(at, EXIT)
    assert not at.exception
    assert year(at) == 2017
    assert at.sidebar.selectbox(key="exit.county").value == QU
    assert params(at)["region"] == QU and params(at)["level"] == "township"
    assert len(next(df.value for df in at.dataframe if '区划代码' in df.value.columns)) == 41


def test_overview_year_carries_to_every_page(open_page):
    at = open_page()
    at.sidebar.select_slider(key="year").set_value(2016).run()
    for page in (EXIT, RELOC, SERVICES, OVERVIEW):
        go(at, page)
        assert not at.exception, page
        assert year(at) == 2016, page


def test_region_carries_between_map_pages(open_page):
    at = open_page(EXIT)
    at.sidebar.selectbox(key="exit.county").set_value(QU).run()
    at.sidebar.select_slider(key="year").set_value(2018).run()
    go(at, RELOC)
    assert at.sidebar.selectbox(key="relocation.county").value == QU and year(at) == 2018
    assert params(at)["region"] == QU
    go(at, SERVICES)
    assert at.sidebar.selectbox(key="services.county").value == QU and year(at) == 2018
    at.sidebar.select_slider(key="year").set_value(2019).run()
    go(at, EXIT)
    assert at.sidebar.selectbox(key="exit.county").value == QU and year(at) == 2019


def test_back_restores_the_view_before_a_drill_down(open_page):
    at = open_page(EXIT)
    before = params(at)
    assert before["region"] == "all"
    at.sidebar.selectbox(key="exit.county").set_value(QU).run()
    assert params(at)["region"] == QU
    # the browser's Back: Streamlit reruns the page with the previous history entry's URL
    for key in list(at.query_params):
        del at.query_params[key]
    for key, value in before.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox(key="exit.county").value == "all"
    assert params(at)["region"] == "all" and len(next(df.value for df in at.dataframe if '区划代码' in df.value.columns)) == 7


def test_default_year_is_the_latest_with_work(open_page):
    at = open_page(EXIT)
    assert year(at) == 2019 and params(at)["year"] == "2019"
