"""Aggregation and exit standards on the tiny dataset, whose answers are worked out by hand."""
import pandas as pd
import pytest

from geo.aggregate import category_counts, region_kpis, unit_figures
from geo.read import read_bundle
from geo.standards import county_compliance, township_compliance, village_compliance
from tests import tiny


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return read_bundle(tiny.write_folder(tmp_path_factory.mktemp("tiny")))


def by_code(frame):
    return frame.set_index("code")


def test_counts_sum_upwards_and_incidence_is_recomputed(data):
    f = by_code(unit_figures(data.units, data.exit_status, 2018))
    # village remaining: 2, 0, 100, 5 -> township 1: 2 + 0, township 2: 100 + 5
    assert f.at[tiny.TOWNS[0], "remaining_poor"] == 2
    assert f.at[tiny.TOWNS[1], "remaining_poor"] == 105
    assert f.at[tiny.COUNTY, "remaining_poor"] == 107
    assert f.at[tiny.COUNTY, "rural_population"] == 3000
    # recomputed from counts, NOT the mean of the villages' rates (0.002, 0, 0.1, 0.01)
    assert f.at[tiny.COUNTY, "incidence"] == pytest.approx(107 / 3000)
    assert f.at[tiny.TOWNS[1], "incidence"] == pytest.approx(105 / 1500)


def test_statuses(data):
    f = by_code(unit_figures(data.units, data.exit_status, 2018))
    assert f.at[tiny.VILLAGES[0], "status"] == "exited"
    assert f.at[tiny.VILLAGES[1], "status"] == "non_poor"
    assert f.at[tiny.VILLAGES[2], "status"] == "not_exited"  # planned 2019, as of 2018
    assert f.at[tiny.COUNTY, "status"] == "not_exited"
    assert f.at[tiny.TOWNS[0], "status"] == "exited"       # its only poor village exited
    assert f.at[tiny.TOWNS[1], "status"] == "not_exited"
    g = by_code(unit_figures(data.units, data.exit_status, 2019))
    assert g.at[tiny.COUNTY, "status"] == "exited"
    assert g.at[tiny.VILLAGES[2], "status"] == "exited"
    assert g.at[tiny.VILLAGES[2], "newly_exited"] and not g.at[tiny.VILLAGES[0], "newly_exited"]


def test_planned_status_this_year(data):
    rows = data.exit_status.copy()
    rows.loc[(rows["code"] == tiny.COUNTY) & (rows["year"] == 2019), "actual_exit_year"] = pd.NA
    rows.loc[(rows["code"] == tiny.VILLAGES[2]) & (rows["year"] == 2019), "actual_exit_year"] = pd.NA
    f = by_code(unit_figures(data.units, rows, 2019))
    assert f.at[tiny.COUNTY, "status"] == "planned"
    assert f.at[tiny.VILLAGES[2], "status"] == "planned"
    assert f.at[tiny.TOWNS[1], "status"] == "planned"


def test_unit_without_statistics_stays_as_no_data(data):
    rows = data.exit_status.loc[data.exit_status["code"] != tiny.VILLAGES[3]]
    f = by_code(unit_figures(data.units, rows, 2018))
    assert f.at[tiny.VILLAGES[3], "status"] == "no_data"
    assert len(f) == len(data.units)
    # an incomplete sum would understate the township: no figure unless one is delivered
    assert pd.isna(f.at[tiny.TOWNS[1], "remaining_poor"]) and pd.isna(f.at[tiny.COUNTY, "remaining_poor"])
    assert f.at[tiny.TOWNS[0], "remaining_poor"] == 2  # its villages are complete


def test_township_figures_as_delivered(data):
    """A township table (no village rows): 贫困村数 / 已出列贫困村数 and counts as delivered,
    counties summed from their complete townships."""
    rows = pd.DataFrame({"code": list(tiny.TOWNS), "year": [2019, 2019], "registered_poor": [100, 50],
                         "exited_poor": [90, 20], "poor_villages": [3, 2], "exited_villages": [1, 2]})
    rows = rows.astype({c: "Int64" for c in rows.columns if c != "code"})
    for column in data.exit_status.columns:
        if column not in rows:
            rows[column] = pd.Series(pd.NA, index=rows.index, dtype=data.exit_status[column].dtype)
    f = by_code(unit_figures(data.units, rows[data.exit_status.columns], 2019))
    assert f.at[tiny.TOWNS[0], "poor_villages"] == 3 and f.at[tiny.TOWNS[1], "exited_villages"] == 2
    assert f.at[tiny.COUNTY, "poor_villages"] == 5 and f.at[tiny.COUNTY, "exited_villages"] == 3
    assert f.at[tiny.COUNTY, "remaining_poor"] == 40
    k = region_kpis(f)
    assert (k.poor_villages, k.exited_villages, k.registered_poor) == (5, 3, 150)


def test_kpis_and_counts(data):
    f = unit_figures(data.units, data.exit_status, 2018)
    k = region_kpis(f)
    assert (k.poor_counties, k.exited_counties, k.poor_villages, k.exited_villages) == (1, 0, 2, 1)
    assert k.remaining_poor == 107 and k.incidence == pytest.approx(107 / 3000)
    assert region_kpis(f, tiny.COUNTY) == k
    assert category_counts(f.loc[f["level"] == "village"]) == {
        "not_exited": 1, "planned": 0, "exited": 1, "non_poor": 2, "no_data": 0}


def test_village_standard_with_reasons(data):
    f = unit_figures(data.units, data.exit_status, 2018)
    v = by_code(village_compliance(f, data.services, 2018))
    assert v.at[tiny.VILLAGES[0], "compliant"]
    assert v.at[tiny.VILLAGES[2], "reasons"] == [("incidence_high", {"value": pytest.approx(0.1)}),
                                                  ("lacks", {"item": "clinic"})]
    assert v.at[tiny.VILLAGES[3], "reasons"] == [("lacks", {"item": "collective_income"})]


def test_township_and_county_standard(data):
    f = unit_figures(data.units, data.exit_status, 2018)
    t = by_code(township_compliance(f, data.services, 2018))
    assert t.at[tiny.TOWNS[0], "compliant"]
    assert t.at[tiny.TOWNS[1], "reasons"] == [("lacks", {"item": "central_school"})]
    c = by_code(county_compliance(f, data.services, 2018))
    reasons = c.at[tiny.COUNTY, "reasons"]
    assert reasons[0] == ("incidence_high", {"value": pytest.approx(107 / 3000)})
    assert reasons[1][0] == "township_fails" and reasons[1][1]["township"] == "三汇镇"
    f19 = unit_figures(data.units, data.exit_status, 2019)
    assert by_code(county_compliance(f19, data.services, 2019)).at[tiny.COUNTY, "compliant"]


def test_progress_ranking_with_rank_change():
    """Issue 12: counties ranked by progress with the change of rank since the previous year."""
    import pandas as pd

    from geo.ranking import progress_ranking

    def frame(rates):
        return pd.DataFrame({"code": ["A", "B", "C"], "name": ["a", "b", "c"], "level": ["county"] * 3,
                             "exit_rate": rates, "remaining_poor": [10, 20, 30]})

    now = progress_ranking(frame([0.9, 0.5, 0.95]), frame([0.2, 0.6, 0.1]), level="county")
    assert list(now["code"]) == ["C", "A", "B"] and list(now["rank"]) == [1, 2, 3]
    assert list(now["rank_change"]) == [2, 0, -2]
    assert progress_ranking(frame([0.1, 0.1, None]), None, level="county")["rank_change"].isna().all()


def test_progress_ranking_without_a_previous_rank_at_that_level():
    """A previous year without units of the level, or no unit of the level in a viewer's scope
    (string codes in Arrow dtype), ranks with an empty change instead of failing."""
    import pandas as pd

    from geo.ranking import progress_ranking

    codes = pd.array(["A", "B"], dtype="string[pyarrow]")
    now = pd.DataFrame({"code": codes, "name": ["a", "b"], "level": ["township"] * 2,
                        "exit_rate": [0.5, 0.9], "remaining_poor": [3, 1]})
    ranked = progress_ranking(now, now.iloc[0:0], level="township")
    assert list(ranked["code"]) == ["B", "A"] and ranked["rank_change"].isna().all()
    assert str(ranked["rank_change"].dtype) == "Int64"
    nothing = progress_ranking(now, now, level="township", prefix="C")   # no unit of the level in scope
    assert nothing.empty and str(nothing["rank_change"].dtype) == "Int64"
