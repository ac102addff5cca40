import pandas as pd
import pytest

from geo.classify import NO_DATA, classify


@pytest.mark.parametrize("method", ["quantiles", "natural_breaks", "policy"])
def test_all_equal_values_make_one_class(method):
    c = classify(pd.Series([0.02, 0.02, 0.02]), method, indicator="incidence")
    assert len(set(c.index)) == 1 and max(c.counts) == 3
    if method != "policy":  # policy classes stay fixed up to the maximum (0 %, <1 %, <3 %)
        assert c.counts == (3,)
    else:
        assert c.counts == (0, 0, 3)


@pytest.mark.parametrize("method", ["quantiles", "natural_breaks", "policy"])
def test_all_missing(method):
    c = classify(pd.Series([pd.NA, None, float("nan")], dtype="object"), method, indicator="incidence")
    assert c.counts == () and c.no_data == 3 and set(c.index) == {NO_DATA}


@pytest.mark.parametrize("method", ["quantiles", "natural_breaks", "policy"])
def test_single_unit(method):
    c = classify(pd.Series([5.0]), method, indicator="remaining_poor")
    assert sum(c.counts) == 1 and list(c.index) == [len(c.counts) - 1]
    assert c.counts == ((1,) if method != "policy" else (0, 1))


def test_missing_values_get_no_data_class_and_keep_index():
    s = pd.Series([0.1, pd.NA, 0.3, 0.5, 0.7, 0.9], index=list("abcdef"), dtype="Float64")
    c = classify(s, "quantiles", k=5)
    assert c.index["b"] == NO_DATA and c.no_data == 1
    assert sum(c.counts) == 5 and list(c.index.index) == list("abcdef")
    assert c.index["a"] == 0 and c.index["f"] == len(c.counts) - 1


def test_natural_breaks_separate_clusters():
    s = pd.Series([1, 1.1, 1.2, 10, 10.5, 11, 50, 51], dtype=float)
    c = classify(s, "natural_breaks", k=3)
    assert c.counts == (3, 3, 2)


def test_policy_thresholds_for_incidence():
    s = pd.Series([0.0, 0.005, 0.02, 0.029, 0.031, 0.2])
    c = classify(s, "policy", indicator="incidence")
    assert list(c.index) == [0, 1, 2, 2, 3, 4]
    assert c.upper[:4] == (0.0, 0.01, 0.03, 0.10)


def test_policy_drops_classes_above_the_maximum():
    c = classify(pd.Series([0.0, 0.004]), "policy", indicator="incidence")
    assert c.upper == (0.0, 0.004) and c.counts == (1, 1)


def test_fewer_distinct_values_than_k():
    c = classify(pd.Series([1.0, 1.0, 2.0, 2.0]), "natural_breaks", k=5)
    assert len(c.counts) == 2


def test_unknown_method():
    with pytest.raises(ValueError, match="unknown classing method"):
        classify(pd.Series([1.0]), "equal_interval")
