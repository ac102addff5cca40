"""KPI change against the previous year: arrows, 万 for large counts, colour by direction."""
from ui.kpi import count_text, delta, persons_text


def test_large_counts_in_wan():
    assert count_text(8000) == "8,000" and count_text(199_800) == "19.98 万"
    assert persons_text(8000) == "8,000 人" and persons_text(470_000) == "47.00 万人"


def test_delta_arrows_and_colours():
    assert delta(5, 1, good="up", year=2018) == ("▲ 4（较 2017 年）", "normal")
    assert delta(8000, 126_400, good="down", year=2019) == ("▼ 11.84 万（较 2018 年）", "normal")
    assert delta(120, 100, good="down", year=2019)[1] == "inverse"          # more poor is bad
    assert delta(0.0015, 0.0101, good="down", percent=True, year=2019)[0] == "▼ 0.86 个百分点（较 2018 年）"
    assert delta(3, 3, good="up", year=2016) == ("与 2015 年持平", "off")
    assert delta(3, None, good="up", year=2014) == (None, "off")
