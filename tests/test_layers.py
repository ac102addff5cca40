"""Layer builders render to HTML; assert on the fragments (as folium's own tests do)."""
import json
import re

import folium
import pytest

from geo.aggregate import unit_figures
from geo.read import read_bundle
from geo.simplify import display_units
from geo.view import View, units_in_view
from layers.base import base_map
from layers.offline import external_urls
from layers.styling import format_value, style_metric, style_status
from layers.units_layer import LegendSpec, script_safe_json
from layers.view_layer import join_rows, view_layer
from tests import tiny

EVIL = ("<img src=x onerror=alert(1)>", "${document.title=1}", "</script><script>alert(2)</script>")
STATUS_LABELS = {"not_exited": "未退出", "planned": "当年计划退出", "exited": "已退出", "non_poor": "非贫困",
                 "no_data": "无数据"}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    units = tiny.units_frame()
    units.loc[4, "name"] = EVIL[2]
    units.loc[5, "name"] = EVIL[1]  # index 6 already carries EVIL[0]
    return read_bundle(tiny.write_folder(tmp_path_factory.mktemp("tiny"), units=units))


def render(data, view):
    rows = units_in_view(unit_figures(data.units, data.exit_status, view.year), view)
    shapes = join_rows(display_units(data.units, view.level), rows)
    styled = style_status(shapes, status_labels=STATUS_LABELS, title="退出状态")
    fields = {"名称": shapes["name"], "状态": shapes["status"].map(STATUS_LABELS)}
    group = view_layer(shapes, styled, name="退出状态", fields=fields, flags=None, flag_text="矛盾",
                       count_format="{label}（{count}）", no_data_label="无数据")
    m = base_map(shapes.total_bounds)
    group.add_to(m)
    return m.get_root().render(), styled


def test_names_cannot_break_out_of_the_script(data):
    html, _ = render(data, View(level="village", year=2018))
    assert EVIL[0] not in html and EVIL[2] not in html  # '<' '>' '&' are \\u-escaped in the JSON
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html
    assert '"${document.title=1}"' in html  # inert: a JSON string, never a template literal
    assert "innerHTML" not in html


def test_payload_sends_only_needed_properties(data):
    html, _ = render(data, View(level="village", year=2018))
    match = re.search(r"portalUnits\((\{\"type\":\"FeatureCollection\".*?\]\}), (\{.*?\})\)\.addTo", html)
    collection = json.loads(match.group(1))
    props = collection["features"][0]["properties"]
    assert set(props) <= {"code", "k", "v", "f", "lp"}   # lp: name anchor
    assert len(collection["features"]) == 4
    options = json.loads(match.group(2))
    assert options["legend"]["items"][0]["label"] == "未退出（1）"
    assert [i["label"] for i in options["legend"]["items"]] == ["未退出（1）", "当年计划退出（0）", "已退出（1）",
                                                              "非贫困（2）"]


def test_map_is_offline_and_tile_free(data):
    html, _ = render(data, View(level="county", year=2018))
    assert external_urls(html) == []
    assert "tileLayer" not in html
    assert "/app/static/portal/portal.js" in html and "/app/static/leaflet/leaflet.js" in html


def test_status_counts_and_metric_labels(data):
    rows = unit_figures(data.units, data.exit_status, 2018)
    villages = rows.loc[rows["level"] == "village"]
    styled = style_status(villages, status_labels=STATUS_LABELS, title="t")
    assert styled.counts == (1, 0, 1, 2) and styled.no_data == 0
    metric = style_metric(villages, "incidence", "policy", title="发生率")
    assert metric.labels[0] == "0 %" and len(metric.counts) == 5 and sum(metric.counts) == 4  # fixed classes
    assert format_value(0.0367, "incidence") == "3.67 %" and format_value(199800, "remaining_poor") == "199,800"


def test_bad_colour_is_rejected():
    with pytest.raises(ValueError, match="colour"):
        LegendSpec("t", (("red;background:url(x)", "a"),)).to_json()


def test_script_safe_json_round_trips():
    value = {"n": "</script>&<!--", "s": "\u2028"}
    assert json.loads(script_safe_json(value)) == value
    assert "<" not in script_safe_json(value)


def test_base_map_constant_script():
    """Same bounds -> same map script apart from folium's random ids (no iframe rebuilds)."""
    strip = lambda h: re.sub(r"[0-9a-f]{32}", "", h)  # noqa: E731
    a = strip(base_map((106.6, 30.3, 108.6, 32.4)).get_root().render())
    b = strip(base_map((106.6, 30.3, 108.6, 32.4)).get_root().render())
    assert a == b
    assert isinstance(base_map((0, 0, 1, 1)), folium.Map)


def test_new_mode_keeps_other_units_as_uncounted_context(data):
    """Issue 12: in 当年新退出 mode the other units stay on the map in a neutral context class."""
    from layers.palette import CONTEXT_COLOR, STATUS_COLORS
    from layers.snapshot import prepare_snapshot
    from geo.view import View

    snap = prepare_snapshot(data, View(level="village", mode="new", year=2019), lambda k, **p: k,
                            demo=True, source="")
    context = snap.shapes["context"].astype(bool)
    assert context.any() and (~context).sum() == snap.shown >= 1
    assert snap.styled.colors[-1] == CONTEXT_COLOR and snap.styled.labels[-1] == "legend.context"
    assert snap.styled.counts[-1] == int(context.sum())
    assert set(snap.styled.index[context]) == {len(snap.styled.colors) - 1}
    assert STATUS_COLORS["non_poor"] not in ("#d9d9d9", "#dddddd", STATUS_COLORS["no_data"])


def test_optional_basemap_from_the_tile_url_setting():
    """Issue 12: a basemap only when `tile_url` is set, with its attribution; GCJ-02 named."""
    from layers.base import base_map, shifted_source, with_basemap

    plain = base_map((107.0, 30.5, 108.5, 32.0)).get_root().render()
    assert "tileLayer" not in plain
    url = "http://tiles.intranet.example/vec_c/{z}/{x}/{y}.png"
    html = with_basemap(base_map((107.0, 30.5, 108.5, 32.0)), url, "天地图 政务版").get_root().render()
    import json
    assert "tiles.intranet.example" in html
    assert "天地图 政务版" in html or json.dumps("天地图 政务版")[1:-1] in html
    assert shifted_source("https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}")
    assert not shifted_source(url)
