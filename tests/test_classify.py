import pandas as pd
import pytest

from geo.classify import NO_DATA, POLICY_BINS, classify


@pytest.mark.parametrize("method", ["quantiles", "natural_breaks", "policy"])
def test_all_equal_values_make_one_class(method):
    c = classify(pd.Series([0.02, 0.02, 0.02]), method, indicator="incidence")
    assert len(set(c.index)) == 1 and max(c.counts) == 3
    if method != "policy":
        assert c.counts == (3,)
    else:  # policy classes stay fixed: 0, 0-1 %, 1-3 %, 3-10 %, >= 10 %
        assert c.counts == (0, 0, 3, 0, 0)


@pytest.mark.parametrize("method", ["quantiles", "natural_breaks", "policy"])
def test_all_missing(method):
    c = classify(pd.Series([pd.NA, None, float("nan")], dtype="object"), method, indicator="incidence")
    assert c.counts == () and c.no_data == 3 and set(c.index) == {NO_DATA}


@pytest.mark.parametrize("method", ["quantiles", "natural_breaks", "policy"])
def test_single_unit(method):
    c = classify(pd.Series([5.0]), method, indicator="remaining_poor")
    assert sum(c.counts) == 1
    if method != "policy":
        assert list(c.index) == [len(c.counts) - 1]
    assert c.counts == ((1,) if method != "policy" else (0, 1, 0, 0, 0))
    if method == "policy":
        assert list(c.index) == [1]


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
    s = pd.Series([0.0, 0.005, 0.02, 0.029, 0.03, 0.031, 0.2])
    c = classify(s, "policy", indicator="incidence")
    assert list(c.index) == [0, 1, 2, 2, 3, 3, 4]   # 3.00 % is not below the 3 % line
    assert c.upper[:4] == (0.0, 0.01, 0.03, 0.10) and c.counts == (1, 1, 2, 2, 1)


@pytest.mark.parametrize("indicator", sorted(POLICY_BINS))
@pytest.mark.parametrize("values", [[0.014, 0.02], [429.0, 12.0], [1.0, 1.0], [0.0], [5000.0, 0.6]])
def test_policy_classes_are_fixed_never_inverted_and_counted(indicator, values):
    """Issue 12: '1.40 % – 0.00 %（0）' (lower above upper, wrong count) must not happen."""
    c = classify(pd.Series(values), "policy", indicator=indicator)
    assert len(c.upper) == len(POLICY_BINS[indicator]) + 1
    assert all(low <= high for low, high in zip(c.lower, c.upper))
    assert list(c.upper[:-1]) == list(POLICY_BINS[indicator]) and c.lower[1:] == c.upper[:-1]
    assert sum(c.counts) == len(values)
    for value, k in zip(values, c.index):
        assert c.lower[k] <= value <= c.upper[k]


def test_each_indicator_has_its_own_policy_thresholds():
    assert len({POLICY_BINS[i] for i in POLICY_BINS}) == len(POLICY_BINS)
    monitored = classify(pd.Series([0, 3, 30, 429]), "policy", indicator="monitored")
    assert list(monitored.index) == [0, 1, 3, 4]
    rate = classify(pd.Series([1.0, 0.5, 0.85]), "policy", indicator="exit_rate")
    assert list(rate.index) == [4, 0, 2]


def test_policy_labels_follow_the_thresholds():
    from layers.styling import style_metric
    styled = style_metric(pd.DataFrame({"incidence": [0.0, 0.014, 0.2]}), "incidence", "policy", title="x")
    assert styled.labels == ("0 %", "0 % – 1 %", "1 % – 3 %", "3 % – 10 %", "≥ 10 %")
    assert styled.counts == (1, 0, 1, 0, 1)
    styled = style_metric(pd.DataFrame({"remaining_poor": [248.0]}), "remaining_poor", "policy", title="x")
    assert styled.labels == ("0", "0 – 100", "100 – 500", "500 – 2,000", "≥ 2,000")
    assert styled.counts == (0, 0, 1, 0, 0)


def test_fewer_distinct_values_than_k():
    c = classify(pd.Series([1.0, 1.0, 2.0, 2.0]), "natural_breaks", k=5)
    assert len(c.counts) == 2


def test_unknown_method():
    with pytest.raises(ValueError, match="unknown classing method"):
        classify(pd.Series([1.0]), "equal_interval")
