"""Relocation sites: geodesic distances with known answers, nearest search, quality checks that
list every bad row (never dropping one), filters, KPIs and the script-safe marker layer."""
import json
import re

import numpy as np
import pandas as pd
import pytest

from geo.read import read_bundle
from geo.sites import (
    SiteFilter,
    beyond,
    filter_sites,
    geodesic_m,
    nearest_m,
    site_figures,
    site_kpis,
    site_quality,
    village_points,
)
from layers.base import base_map
from layers.offline import external_urls
from layers.sites_layer import SitesLegend, marker_radius, sites_group, sites_json, size_steps
from tests import tiny, tiny_sites


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return read_bundle(tiny_sites.write_folder(tmp_path_factory.mktemp("sites")))


def test_geodesic_known_pairs():
    # GRS80: one degree of longitude on the equator is a * pi / 180; one degree of latitude from
    # the equator is the meridian arc 110,574.39 m (textbook values).
    assert geodesic_m(0, 0, 1, 0) == pytest.approx(6378137 * np.pi / 180, abs=0.01)
    assert geodesic_m(0, 0, 0, 1) == pytest.approx(110574.39, abs=0.05)
    assert geodesic_m(108, 30, 108, 30) == 0


def test_distance_matches_the_projected_grid(data):
    # Two tiny grid points 2 km apart along GK northing on the central meridian (108 E): the
    # geodesic equals the grid distance divided by the scale factor (1 on the central meridian).
    a, b = tiny_sites.lonlat(0, 0), tiny_sites.lonlat(0, 1)
    assert geodesic_m(*a, *b) == pytest.approx(tiny.SIDE, abs=0.5)


def test_nearest_equals_brute_force():
    rng = np.random.default_rng(7)
    points = np.column_stack([rng.uniform(107, 109, 60), rng.uniform(30, 32, 60)])
    targets = np.column_stack([rng.uniform(107, 109, 500), rng.uniform(30, 32, 500)])
    points[3] = np.nan
    dist, index = nearest_m(points, targets)
    for i, (lon, lat) in enumerate(points):
        if i == 3:
            assert np.isnan(dist[i]) and index[i] == -1
            continue
        brute = geodesic_m(lon, lat, targets[:, 0], targets[:, 1])
        assert index[i] == brute.argmin()
        assert dist[i] == pytest.approx(brute.min())


def test_nearest_without_targets_is_nan():
    dist, index = nearest_m(np.array([[108.0, 30.0]]), np.empty((0, 2)))
    assert np.isnan(dist).all() and (index == -1).all()


def test_quality_lists_every_bad_row_with_field(data):
    quality = site_quality(data.sites, data.units)
    found = {(row.site_id, row.field, row.rule) for row in quality.itertuples()}
    assert found == {
        ("S04", "moved_households", "moved_exceeds_planned"),
        ("S04", "moved_persons", "moved_exceeds_planned"),
        ("S05", "lon/lat", "point_missing"),
        ("S06", "lon/lat", "lon_lat_swapped"),
        ("S07", "planned_persons", "count_negative"),
        ("S08", "lon/lat", "point_outside_township"),
    }
    assert list(quality.columns[:4]) == ["site_id", "name", "field", "rule"]
    # rows as sites.csv numbers them (header = row 1), in file order
    assert list(quality["row"]) == [5, 5, 6, 7, 8, 9]
    assert dict(zip(quality["rule"], quality["severity"]))["lon_lat_swapped"] == "error"


def test_quality_of_a_clean_file_is_empty(data):
    good = data.sites.loc[data.sites["site_id"].isin(["S01", "S02", "S03"])]
    assert site_quality(good, data.units).empty


def test_bad_sites_are_kept_not_drawn(data):
    figures = site_figures(data.sites, data.units, data.services, 2019)
    assert len(figures) == len(data.sites) == 8
    drawable = dict(zip(figures["site_id"], figures["drawable"]))
    assert not drawable["S05"] and not drawable["S06"]
    assert drawable["S08"] and drawable["S07"]  # valid points are drawn, flagged
    problems = dict(zip(figures["site_id"], figures["problems"]))
    assert problems["S04"] == 2 and problems["S01"] == 0


def test_site_figures_distances_and_support(data):
    figures = site_figures(data.sites, data.units, data.services, 2019).set_index("site_id")
    # In 2019 only village 4 (cell (1,1)) has a clinic: S01 at the centre of cell (0,0) is the
    # diagonal to the centre-ish representative point of cell (1,1).
    points = village_points(data.units).set_index("code")
    target = points.loc[tiny.VILLAGES[3]]
    expected = geodesic_m(*tiny_sites.lonlat(0.5, 0.5), target["lon"], target["lat"])
    assert figures.at["S01", "clinic_m"] == pytest.approx(expected)
    assert 2000 < figures.at["S01", "clinic_m"] < 3000
    # every village has a road: the nearest is the site's own village, well under a cell
    assert figures.at["S01", "road_m"] < 1500
    assert figures.at["S01", "occupancy"] == pytest.approx(38 / 40)
    assert figures.at["S02", "support_missing"] == ("jobs", "industry")
    assert figures.at["S03", "support_missing"] == ("school",)
    assert np.isnan(figures.at["S05", "clinic_m"])


def test_filters_and_kpis(data):
    figures = site_figures(data.sites, data.units, data.services, 2019)
    building = filter_sites(figures, SiteFilter(stages=("building",)))
    assert list(building["site_id"]) == ["S02"]
    low = filter_sites(figures, SiteFilter(occupancy_below=0.8))
    assert set(low["site_id"]) == {"S02", "S03", "S05", "S06", "S07", "S08"}
    town1 = filter_sites(figures, SiteFilter(region_prefix=tiny.TOWNS[1][:9]))
    assert set(town1["site_id"]) == {"S02", "S03", "S06"}
    lacking = filter_sites(figures, SiteFilter(lacking_support=True))
    assert set(lacking["site_id"]) == {"S02", "S03"}
    with pytest.raises(ValueError, match="unknown stages"):
        filter_sites(figures, SiteFilter(stages=("done",)))
    kpis = site_kpis(figures.loc[figures["site_id"].isin(["S01", "S07"])])
    assert (kpis.sites, kpis.planned_persons, kpis.moved_households) == (2, 130, 43)  # -5 left out
    assert kpis.occupancy == pytest.approx(43 / 50)


def test_beyond_highlights_far_sites(data):
    figures = site_figures(data.sites, data.units, data.services, 2019)
    far = dict(zip(figures["site_id"], beyond(figures, 1000)))
    assert far["S01"] and not far["S05"]  # S01's clinic is > 2 km away; S05 is not drawn
    assert not beyond(figures, 10_000).any()


def test_marker_radius_scales_by_area():
    radius = marker_radius(pd.Series([0, 25, 100, None, -3], dtype="Float64"))
    assert list(radius) == [4.0, 10.0, 16.0, 4.0, 4.0]


def test_marker_layer_is_script_safe_and_offline(data):
    figures = site_figures(data.sites, data.units, data.services, 2019)
    drawn = figures.loc[figures["drawable"]]
    fields = [drawn["name"], drawn["township_name"]]
    flags = pd.Series("", index=drawn.index, dtype=object)
    text = sites_json(drawn, fields, flags, marker_radius(drawn["planned_households"]))
    legend = SitesLegend("阶段", {"not_started": "未开工", "building": "在建", "completed": "竣工",
                                 "occupied": "已入住"}, "大小", size_steps(100, "{value:,} 户"), "红边")
    m = base_map(data.units.total_bounds)
    sites_group(text, name="安置点", fields=["名称", "乡镇"], legend=legend).add_to(m)
    html = m.get_root().render()
    assert tiny_sites.EVIL[0] not in html and "\\u003cimg src=x onerror=alert(1)\\u003e" in html
    assert '"${document.title=1}"' in html
    assert "innerHTML" not in html
    assert external_urls(html) == []
    assert "/app/static/leaflet.markercluster/leaflet.markercluster.js" in html
    assert "/app/static/portal/sites.js" in html
    markers = json.loads(re.search(r"portalSites\((\[.*?\]), \{", html).group(1))
    assert [m["id"] for m in markers] == list(drawn["site_id"])
    assert set(markers[0]) <= {"id", "lat", "lon", "r", "k", "f", "v"}


def test_sites_as_of_a_year_follow_start_and_completion_years():
    """Issue 12: the relocation page's year changes stages and movers (data/README.md: sites
    carry start_year and completion_year)."""
    import pandas as pd

    from geo.sites import sites_as_of

    sites = pd.DataFrame({
        "site_id": ["a", "b", "c", "d"],
        "stage": pd.Series(["occupied", "completed", "building", "not_started"], dtype="string"),
        "start_year": pd.Series([2016, 2017, 2018, None], dtype="Int64"),
        "completion_year": pd.Series([2017, 2019, None, None], dtype="Int64"),
        "moved_households": pd.Series([10, 0, 0, 0], dtype="Int64"),
        "moved_persons": pd.Series([40, 0, 0, 0], dtype="Int64"),
        "jobs_found": pd.Series([5, None, None, None], dtype="Int64"),
    })
    assert list(sites_as_of(sites, 2015)["stage"]) == ["not_started"] * 4
    y2016 = sites_as_of(sites, 2016)
    assert list(y2016["stage"]) == ["building", "not_started", "not_started", "not_started"]
    assert y2016["moved_households"].sum() == 0 and y2016["jobs_found"].isna().all()
    y2017 = sites_as_of(sites, 2017)
    assert list(y2017["stage"]) == ["occupied", "building", "not_started", "not_started"]
    assert y2017["moved_persons"].sum() == 40 and y2017["jobs_found"].iloc[0] == 5
    assert list(sites_as_of(sites, 2020)["stage"]) == list(sites["stage"])
    assert list(sites["stage"]) == ["occupied", "completed", "building", "not_started"]  # input unchanged
    unknown = sites.assign(start_year=pd.Series([None] * 4, dtype="Int64"),
                           completion_year=pd.Series([None] * 4, dtype="Int64"))
    assert list(sites_as_of(unknown, 2014)["stage"]) == list(sites["stage"])   # empty years hide nothing
