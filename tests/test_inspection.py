"""Inspection rules (geo.inspection) on hand-made ledgers with known answers: overdue and traffic
lights at boundary dates, roll-up per level, burn-down, projects late to start or finish."""
from __future__ import annotations

import pandas as pd
import pytest

from geo import inspection as ins
from geo.schema import CODE
from tests import tiny

D = pd.Timestamp


def _problems(rows: list[tuple]) -> pd.DataFrame:
    """(id, code, found, deadline, status, closed) -> a typed problem table."""
    frame = pd.DataFrame(rows, columns=["problem_id", CODE, "found_date", "deadline", "status", "closed_date"])
    for column in ("found_date", "deadline", "closed_date"):
        frame[column] = pd.to_datetime(frame[column])
    frame["source"] = "supervision"
    frame["category"] = "water"
    frame["responsible_unit"] = "水务局"
    return frame


V1, V2, V3, V4 = tiny.VILLAGES
T1, T2 = tiny.TOWNS
LEDGER = _problems([
    ("P1", V1, "2020-03-01", "2020-05-31", "in_progress", None),          # due on 05-31, still open
    ("P2", V1, "2020-03-01", "2020-06-01", "open", None),                 # due the day after
    ("P3", V2, "2020-03-01", "2020-05-31", "closed", "2020-06-10"),       # closed after the deadline
    ("P4", V3, "2020-03-01", "2020-05-31", "closed", "2020-05-20"),       # closed in time
    ("P5", T2, "2020-04-01", "2020-06-30", "open", None),                 # township's own problem
    ("P6", tiny.COUNTY, "2020-04-01", "2020-06-30", "open", None),        # county's own problem
    ("P7", V4, "2020-06-15", "2020-06-30", "open", None),                 # found later
])


def _state(asof: str, due_days: int = 0) -> dict[str, str]:
    states = ins.problem_states(LEDGER, D(asof), due_days=due_days)
    return dict(zip(states["problem_id"], states["state"]))


def test_due_today_is_not_overdue_and_becomes_overdue_the_next_day():
    assert _state("2020-05-31")["P1"] == "due_soon"
    assert _state("2020-06-01")["P1"] == "overdue"


def test_due_tomorrow_is_yellow_within_the_window_and_open_without_one():
    assert _state("2020-05-31", due_days=1)["P2"] == "due_soon"
    assert _state("2020-05-31", due_days=0)["P2"] == "open"
    assert _state("2020-05-24", due_days=7)["P2"] == "open"      # 8 days left
    assert _state("2020-05-25", due_days=7)["P2"] == "due_soon"  # 7 days left


def test_closed_after_the_deadline_is_overdue_until_closed_then_closed_late():
    assert _state("2020-06-09")["P3"] == "overdue"
    states = ins.problem_states(LEDGER, D("2020-06-10"), due_days=7).set_index("problem_id")
    assert states.at["P3", "state"] == "closed" and bool(states.at["P3", "closed_late"])
    assert states.at["P4", "state"] == "closed" and not bool(states.at["P4", "closed_late"])
    assert states.at["P3", "days_left"] == -10


def test_not_yet_found_items_are_left_out():
    assert _state("2020-06-10")["P7"] == ins.NOT_FOUND
    totals = ins.totals(ins.problem_states(LEDGER, D("2020-06-10"), due_days=7))
    assert totals["found"] == 6
    assert totals == {"overdue": 2, "due_soon": 0, "open": 2, "closed": 2, "found": 6, "closed_late": 1}


def test_roll_up_per_level_and_traffic_light():
    states = ins.problem_states(LEDGER, D("2020-06-01"), due_days=7)
    shown = states.loc[states["state"] != ins.NOT_FOUND]
    villages = ins.per_unit(shown, "village", ins.PROBLEM_STATES).set_index(CODE)
    assert villages.loc[V1, ["overdue", "due_soon", "total"]].tolist() == [1, 1, 2]  # P1 late, P2 due today
    assert villages.at[V1, "light"] == 0                      # red
    assert villages.at[V2, "light"] == 0                      # P3 overdue on 06-01
    assert villages.at[V3, "light"] == 3                      # green: all closed
    assert V4 not in villages.index                           # nothing found yet
    townships = ins.per_unit(shown, "township", ins.PROBLEM_STATES).set_index(CODE)
    assert townships.at[T1, "total"] == 3 and townships.at[T1, "overdue"] == 2
    assert townships.at[T2, "total"] == 2 and townships.at[T2, "light"] == 2  # P4 closed, P5 open (due 06-30)
    county = ins.per_unit(shown, "county", ins.PROBLEM_STATES).set_index(CODE)
    assert county.at[tiny.COUNTY, "total"] == 6
    # the county's own problem cannot be drawn on a township or village
    assert ins.above_level(shown, "township")["problem_id"].tolist() == ["P6"]
    assert set(ins.above_level(shown, "village")["problem_id"]) == {"P5", "P6"}
    classes = ins.light_classes(pd.Series([V1, V3, V4]), villages.reset_index())
    assert classes.tolist() == [0, 3, ins.NO_ITEMS]


def test_ranked_units_most_overdue_first():
    states = ins.problem_states(LEDGER, D("2020-06-01"), due_days=7)
    counts = ins.per_unit(states.loc[states["state"] != ins.NOT_FOUND], "village", ins.PROBLEM_STATES)
    ranked = ins.ranked_units(counts)
    assert ranked[CODE].tolist() == [V1, V2]
    assert ranked["rank"].tolist() == [1, 2]


def test_burn_down_counts_found_closed_open_overdue_per_day():
    trend = ins.burn_down(LEDGER, D("2020-05-30"), D("2020-06-10")).set_index("date")
    assert trend.loc[D("2020-05-30")].tolist() == [6, 1, 5, 0]   # P4 closed on 05-20
    assert trend.loc[D("2020-06-01")].tolist() == [6, 1, 5, 2]   # P1 and P3 overdue
    assert trend.loc[D("2020-06-02")].tolist() == [6, 1, 5, 3]   # P2 too
    assert trend.loc[D("2020-06-10")].tolist() == [6, 2, 4, 2]   # P3 closed late
    assert (trend["found"] - trend["closed"] == trend["open"]).all()
    assert ins.deadlines(LEDGER) == [D("2020-05-31"), D("2020-06-30")]


def test_filters_combine_and_empty_means_all():
    states = ins.problem_states(LEDGER, D("2020-06-10"), due_days=7)
    assert len(ins.filter_items(states)) == 7 - 1              # P7 not found yet
    assert ins.filter_items(states, states=["overdue"])["problem_id"].tolist() == ["P1", "P2"]
    assert ins.filter_items(states, prefix=T2[:9])["problem_id"].tolist() == ["P4", "P5"]
    assert ins.filter_items(states, units=["教育局"]).empty


def _projects(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["project_id", CODE, "planned_start", "planned_finish",
                                        "actual_start", "actual_finish"])
    for column in ("planned_start", "planned_finish", "actual_start", "actual_finish"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def test_projects_red_when_start_missed_yellow_when_finish_missed():
    projects = _projects([
        ("J1", V1, "2020-03-25", "2020-06-30", None, None),
        ("J2", V1, "2020-03-25", "2020-06-30", "2020-03-20", None),
        ("J3", V2, "2020-03-25", "2020-06-30", "2020-03-20", "2020-06-30"),
    ])

    def states(asof: str, late_days: int = 0) -> list[str]:
        return ins.project_states(projects, D(asof), late_days=late_days)["state"].tolist()

    assert states("2020-03-25") == ["on_track", "on_track", "on_track"]      # start due today
    assert states("2020-03-26") == ["start_late", "on_track", "on_track"]
    assert states("2020-06-30") == ["start_late", "on_track", "finished"]    # finish due today
    assert states("2020-07-01") == ["start_late", "finish_late", "finished"]
    assert states("2020-07-01", late_days=5) == ["start_late", "on_track", "finished"]


def test_parse_asof_and_data_date():
    assert ins.parse_asof("2020-05-31") == D("2020-05-31")
    assert ins.parse_asof("2020-02-30") is None
    assert ins.parse_asof("yesterday") is None
    assert ins.parse_asof(None) is None
    assert ins.data_date(LEDGER, None) == D("2020-06-15")
    assert ins.data_date(None, None) is None


@pytest.mark.parametrize("code,level,expected", [
    (V1, "township", T1), (V1, "county", tiny.COUNTY), (T2, "village", None), (T2, "township", T2)])
def test_unit_at(code, level, expected):
    assert ins.unit_at(code, level) == expected
