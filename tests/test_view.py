"""View state: URL round trips, bad query strings, drill-down, breadcrumbs, search."""
from pathlib import Path

import pandas as pd
import pytest

from geo.aggregate import unit_figures
from geo.consistency import consistency_flags
from geo.read import read_bundle
from geo.view import (
    DEFAULT,
    ROOT,
    View,
    breadcrumb,
    drill,
    focus,
    parse_view,
    search_units,
    show_region,
    units_in_view,
    view_params,
)
from tests import tiny


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return read_bundle(tiny.write_folder(tmp_path_factory.mktemp("tiny")))


def test_round_trip(data):
    view = View(level="village", region=tiny.TOWNS[1], indicator="incidence", classing="policy",
                year=2018, mode="new", poor_only=True, statuses=("exited", "planned"),
                selected=tiny.VILLAGES[2])
    parsed, problems = parse_view(view_params(view), data.units)
    assert parsed == view and problems == []


def test_empty_query_is_default(data):
    assert parse_view({}, data.units) == (DEFAULT, [])


@pytest.mark.parametrize("params, bad", [
    ({"region": "999999999999"}, "region"),                       # unknown code
    ({"region": tiny.VILLAGES[0]}, "region"),                     # a village cannot be a region
    ({"region": "<script>alert(1)</script>"}, "region"),
    ({"level": "province"}, "level"),
    ({"region": tiny.TOWNS[0], "level": "county"}, "level"),      # wrong level for the region
    ({"year": "2031"}, "year"),
    ({"year": "20x8"}, "year"),
    ({"indicator": "${document.title=1}"}, "indicator"),
    ({"classing": "equal"}, "classing"),
    ({"status": "exited,<img>"}, "status"),
    ({"selected": tiny.VILLAGES[0]}, "selected"),                 # not at the shown level
])
def test_bad_params_fall_back_and_are_named(data, params, bad):
    view, problems = parse_view(params, data.units)
    assert problems == [bad]
    region = params["region"] if bad != "region" and "region" in params else ROOT
    expected = show_region(DEFAULT, region)  # every other parameter keeps its default
    assert view == expected


def test_drill_down_and_back_up(data):
    v1 = drill(DEFAULT, tiny.COUNTY)
    assert (v1.region, v1.level) == (tiny.COUNTY, "township")
    v2 = drill(v1, tiny.TOWNS[0])
    assert (v2.region, v2.level) == (tiny.TOWNS[0], "village")
    v3 = drill(v2, tiny.VILLAGES[0])
    assert (v3.region, v3.level, v3.selected) == (tiny.TOWNS[0], "village", tiny.VILLAGES[0])
    assert [c for c, _ in breadcrumb(v2, data.units)] == [ROOT, tiny.COUNTY, tiny.TOWNS[0]]
    assert [n for _, n in breadcrumb(v2, data.units)][1:] == ["渠县", "静边镇"]
    assert show_region(v3, ROOT) == View(level="county", region=ROOT)


def test_units_in_view_filters(data):
    figures = unit_figures(data.units, data.exit_status, 2018)
    view = View(level="village", region=tiny.COUNTY, year=2018)
    assert len(units_in_view(figures, view)) == 4
    assert len(units_in_view(figures, View(level="village", region=tiny.TOWNS[0]))) == 2
    poor = units_in_view(figures, View(level="village", region=tiny.COUNTY, poor_only=True))
    assert sorted(poor["code"]) == [tiny.VILLAGES[0], tiny.VILLAGES[2]]
    exited = units_in_view(figures, View(level="village", statuses=("exited",)))
    assert list(exited["code"]) == [tiny.VILLAGES[0]]
    new = units_in_view(unit_figures(data.units, data.exit_status, 2019), View(level="village", mode="new"))
    assert list(new["code"]) == [tiny.VILLAGES[2]]
    towns_new = units_in_view(unit_figures(data.units, data.exit_status, 2019), View(level="township", mode="new"))
    assert list(towns_new["code"]) == [tiny.TOWNS[1]]


def test_search_shows_parent_chain_for_duplicates(data):
    hits = search_units(data.units, "新民")
    assert hits == [(tiny.VILLAGES[0], "渠县 > 静边镇 > 新民村"), (tiny.VILLAGES[2], "渠县 > 三汇镇 > 新民村")]
    assert search_units(data.units, "511725101")[0] == (tiny.TOWNS[1], "渠县 > 三汇镇")
    assert search_units(data.units, "  ") == []
    view = focus(DEFAULT, tiny.VILLAGES[2])
    assert (view.region, view.level, view.selected) == (tiny.TOWNS[1], "village", tiny.VILLAGES[2])


def test_consistency_flags(data):
    rows = data.exit_status.copy()
    # the county claims exit in 2019 while village 3 stays not exited -> flag the county
    rows.loc[(rows["code"] == tiny.VILLAGES[2]) & (rows["year"] == 2019), "actual_exit_year"] = None
    f = unit_figures(data.units, rows, 2019).set_index("code")
    flags = consistency_flags(f)
    assert flags[tiny.COUNTY] == "county_open_villages"
    # village 1 exited in 2018 with incidence 0.2 % -> fine; push its remaining poor above 3 %
    rows2 = data.exit_status.copy()
    rows2.loc[(rows2["code"] == tiny.VILLAGES[0]) & (rows2["year"] == 2018), "exited_poor"] = 60
    g = unit_figures(data.units, rows2, 2018).set_index("code")
    assert consistency_flags(g)[tiny.VILLAGES[0]] == "village_high_incidence"
    assert consistency_flags(g).notna().sum() == 1


def test_consistency_flags_lacking_item_and_late_exit(data):
    """Issue 12: a village 出列 without a 五有 item in its exit year, and an exit later than
    planned, are flagged, with the missing items named."""
    from geo.consistency import flag_keys
    village = tiny.VILLAGES[0]
    services = data.services.copy()
    exit_year = int(data.exit_status.loc[(data.exit_status["code"] == village)
                                         & data.exit_status["actual_exit_year"].notna(), "actual_exit_year"].min())
    at_exit = (services["code"] == village) & (services["year"] == exit_year)
    assert at_exit.any()
    services.loc[at_exit, "clinic"] = False
    services.loc[at_exit, "road"] = False
    f = unit_figures(data.units, data.exit_status, exit_year).set_index("code")
    flags = consistency_flags(f, services)
    assert flag_keys(flags[village]) == [("village_lacks_item", ("clinic", "road"))]
    assert consistency_flags(f, data.services).get(village) is pd.NA
    rows = data.exit_status.copy()
    rows.loc[rows["code"] == village, "planned_exit_year"] = exit_year - 1
    late = consistency_flags(unit_figures(data.units, rows, exit_year).set_index("code"), data.services)
    assert flag_keys(late[village]) == [("exit_late", ())]


def test_page_params_parse_and_name_bad_values():
    from geo.view import parse_page_params
    spec = {"stage": ("list", ("building", "occupied")), "sort": ("choice", ("gaps", "poor")),
            "exit": ("flag",), "occ": ("int", 1, 100), "km": ("float", 0.5, 50.0)}
    good, problems = parse_page_params({"stage": "building,occupied", "sort": "poor", "exit": "1",
                                        "occ": "80", "km": "120", "other": "x"}, spec)
    assert good == {"stage": ["building", "occupied"], "sort": "poor", "exit": True, "occ": 80, "km": 50.0}
    assert problems == []
    bad, problems = parse_page_params({"stage": "building,<img>", "sort": "x", "exit": "yes", "occ": "0",
                                       "km": "nan"}, spec)
    assert bad == {} and problems == ["stage", "sort", "exit", "occ", "km"]
    assert parse_page_params({}, spec) == ({}, [])


def test_rare_glyph_is_displayed_by_its_substitute_and_found_by_either_form():
    """Issue 12: 𰝟渡镇 (CJK Ext. G, U+3075F) was a box in tables and PDFs."""
    from geo.glyphs import SUBSTITUTES
    from geo.read import read_bundle
    from layers.static_map import missing_glyphs

    units = read_bundle(Path(__file__).resolve().parent.parent / "data" / "demo").units
    name = units.set_index("code").at["511725113000", "name"]
    assert name == "鲜渡镇" and not missing_glyphs([name])
    assert all(not missing_glyphs([v]) for v in SUBSTITUTES.values())
    assert search_units(units, "\U0003075F渡")[0][0] == "511725113000"
    assert search_units(units, "鲜渡")[0][0] == "511725113000"
