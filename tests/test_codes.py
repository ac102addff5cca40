import pytest

from geo.codes import CodeError, ancestor_code, code_level, is_community, normalize_code, parent_code


@pytest.mark.parametrize("raw, expected", [
    ("511725100201", "511725100201"),
    (" 511725100201 ", "511725100201"),
    ("５１１７２５１００２０１", "511725100201"),   # full-width digits
    ("511725100201.0", "511725100201"),             # spreadsheet suffix
    (511725100201, "511725100201"),                 # exact integer
    (511725100201.0, "511725100201"),
    ("5117 2510 0201", "511725100201"),
])
def test_normalize_accepts_repairable_values(raw, expected):
    assert normalize_code(raw) == expected


@pytest.mark.parametrize("raw, rule", [
    ("4.51103E+11", "code_scientific"),
    ("5.11725E+11", "code_scientific"),
    ("51172510020", "code_length"),
    ("5117251002011", "code_length"),
    ("51172510020X", "code_not_digits"),
    ("", "code_empty"),
    (None, "code_empty"),
    (float("nan"), "code_empty"),
    (5117251002.5, "code_float"),
    (True, "code_not_digits"),
])
def test_normalize_rejects(raw, rule):
    with pytest.raises(CodeError) as info:
        normalize_code(raw)
    assert info.value.rule == rule


@pytest.mark.parametrize("code, level, parent", [
    ("511725000000", "county", "511700000000"),
    ("511725100000", "township", "511725000000"),
    ("511725100201", "village", "511725100000"),
    ("511725001001", "village", "511725001000"),
])
def test_level_and_parent(code, level, parent):
    assert code_level(code) == level
    assert parent_code(code) == parent


def test_city_level_and_unsupported():
    assert code_level("511700000000") == "city"
    for bad in ("510000000000", "511725000201", "510025000000"):
        with pytest.raises(CodeError):
            code_level(bad)


def test_ancestor_and_community():
    assert ancestor_code("511725100201", "county") == "511725000000"
    assert ancestor_code("511725100201", "township") == "511725100000"
    assert is_community("511725001001") and not is_community("511725100201")
