"""AppTest: identity and title follow the data and settings; the demo notice follows what is
shown (and the way back to the demo); unexpected errors are a Chinese message with an id; names
from data are text on every page."""
from __future__ import annotations

import logging
import re

import pytest

from access.users import UserError
from geo.ingest.store import Store
from layers.snapshot import demo_notice
from tests import markup, tiny
from tests.access_helpers import login, make_user
from ui import errors
from ui.escape import md_escape
from ui.text import t

PAGES = (None, "pages/exit_map.py", "pages/relocation.py", "pages/services.py", "pages/data_manage.py",
         "pages/about_data.py")
MESSAGE = re.compile(re.escape(t("error.unexpected", id="IDX")).replace("IDX", "([0-9a-f]{10})"))


def bodies(at) -> list[str]:
    """Every Markdown-rendered text of the page: elements and widget labels."""
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error",
                 "success", "toast"):
        out += [str(e.value) for e in getattr(at, kind)]
    for kind in ("button", "checkbox", "toggle", "radio", "selectbox", "multiselect", "text_input",
                 "select_slider", "expander"):
        out += [str(getattr(e, "label", "")) for e in getattr(at, kind)]
    return out


@pytest.fixture
def store(tmp_path, monkeypatch) -> Store:
    monkeypatch.delenv("PORTAL_DATA_DIR", raising=False)
    monkeypatch.setenv("PORTAL_STORE_DIR", str(tmp_path / "store"))
    return Store(tmp_path / "store")


def test_demo_title_and_name(open_page):
    at = open_page()
    assert at.title[0].value == t("overview.title_year", city="达州市", year=at.sidebar.select_slider(key="year").value)
    assert at.sidebar.markdown[0].value == "### " + md_escape("脱贫攻坚进度地图")


def test_portal_title_comes_from_the_setting(open_page, monkeypatch):
    monkeypatch.setenv("PORTAL_TITLE", "某市*乡村振兴*地图")
    at = open_page("pages/exit_map.py")
    assert at.sidebar.markdown[0].value == "### 某市\\*乡村振兴\\*地图"


def _admin_data_page(open_page):
    """The data page as a logged-in system administrator (it never opens anonymously)."""
    try:
        make_user("admin", "admin")
    except UserError:  # made by an earlier call of this test
        pass
    return login(open_page(), "admin").switch_page("pages/data_manage.py").run()


def test_partial_demo_notice_on_every_page_then_back_to_the_demo(open_page, store):
    store.publish(tiny.write_folder, {"imported": {}, "demo_kinds": ["services", "sites"]})
    partial = demo_notice(("services", "sites"), t)
    for page in PAGES:
        at = open_page(page) if page != "pages/data_manage.py" else _admin_data_page(open_page)
        assert not at.exception, (page, at.exception)
        assert [w.value for w in at.sidebar.warning] == [partial], page
    at = _admin_data_page(open_page)
    at.button(key="demo.back").click().run()
    assert not at.exception and store.active_id() is None
    assert at.success[0].value == t("demo.back_done")
    assert [w.value for w in at.sidebar.warning] == [t("demo.notice")]
    assert not any(b.key == "demo.back" for b in at.button)     # nothing left to leave


def test_no_demo_notice_for_a_dataset_without_demo_parts(open_page, store):
    store.publish(tiny.write_folder, {"imported": {}})
    for page in PAGES:
        at = open_page(page) if page != "pages/data_manage.py" else _admin_data_page(open_page)
        assert not at.exception and not at.sidebar.warning, page
    assert any(b.key == "demo.back" for b in _admin_data_page(open_page).button)


class Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def server_log():
    handler = Records()
    errors.LOG.addHandler(handler)
    yield handler.records
    errors.LOG.removeHandler(handler)


def assert_message_not_traceback(at, server_log) -> str:
    assert not at.exception, at.exception
    found = [m for e in at.error if (m := MESSAGE.fullmatch(e.value))]
    assert len(found) == 1, [e.value for e in at.error]
    ident = found[0].group(1)
    for body in bodies(at):
        assert "Traceback" not in body and "/work" not in body and ".py" not in body, body
    logged = [r for r in server_log if f"id={ident}" in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None   # the traceback, with the id
    return ident


def test_a_dataset_that_breaks_the_reader_gives_a_message_with_an_id(open_page, tmp_path, server_log):
    """A count of 10^30 overflows the reader (geo/read.py): an unexpected error, not a DataError."""
    rows = tiny.exit_rows()
    rows[1]["registered_poor"] = "1" + "0" * 30
    folder = tiny.write_folder(tmp_path / "huge", exit_status=tiny.table(rows, "exit_status"))
    idents = {assert_message_not_traceback(open_page(page, data=folder), server_log)
              for page in (None, "pages/exit_map.py", "pages/services.py")}
    assert len(idents) == 3                                        # one id per failure


def test_a_failure_inside_a_page_gives_a_message_with_an_id(open_page, monkeypatch, server_log):
    from geo import aggregate

    def broken(*args, **kwargs):
        raise RuntimeError("/srv/portal/secret/path.py exploded")

    monkeypatch.setattr(aggregate, "region_kpis", broken)
    at = open_page()
    ident = assert_message_not_traceback(at, server_log)
    assert "secret" not in " ".join(bodies(at))
    assert "secret" in "".join(str(r.exc_info[1]) for r in server_log if f"id={ident}" in r.getMessage())


@pytest.fixture(scope="module")
def evil(tmp_path_factory):
    return markup.write_folder(tmp_path_factory.mktemp("evil"))


@pytest.mark.parametrize("page, params, shown", [
    (None, {}, [markup.LINK]),                                            # title: the county's name
    ("pages/exit_map.py", {"level": "village", "region": tiny.TOWNS[0]},
     [markup.LINK, markup.BOLD]),                                         # breadcrumb, pack caption
    ("pages/exit_map.py", {"level": "township", "region": tiny.COUNTY}, [markup.LINK]),
    ("pages/services.py", {"region": tiny.TOWNS[1], "selected": tiny.VILLAGES[2]},
     [markup.MATH]),                                                      # subheader, selection
    ("pages/relocation.py", {"region": tiny.COUNTY}, []),
    ("pages/data_manage.py", {}, []),
    ("pages/about_data.py", {}, []),
])
def test_names_are_text_on_every_page(open_page, evil, page, params, shown):
    at = open_page(page, data=evil, params=params)
    assert not at.exception, at.exception
    texts = bodies(at)
    live = [b for b in texts if markup.LIVE.search(b)]
    assert not live, live
    for name in shown:
        assert any(md_escape(name) in b for b in texts), (name, texts)


def test_a_failed_export_names_an_id_not_the_server_path(open_page, monkeypatch, server_log):
    from ui import export

    def missing_font(*args, **kwargs):
        raise FileNotFoundError(2, "No such file", "/srv/portal/assets/fonts/secret.ttf")

    monkeypatch.setattr(export, "export_view", missing_font)
    at = open_page()
    at.button(key="export.make").click().run()
    assert not at.exception
    pattern = re.escape(t("export.error", id="IDX")).replace("IDX", "([0-9a-f]{10})")
    found = [m for e in at.error if (m := re.fullmatch(pattern, e.value))]
    assert len(found) == 1 and "secret" not in " ".join(bodies(at))
    assert any(f"id={found[0].group(1)}" in r.getMessage() and r.exc_info for r in server_log)
