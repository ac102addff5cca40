"""12-digit statistical division codes (统计用区划代码): normalise, validate, level, parent.

Layout `PP CC DD TTT VVV`: province, city, county, township, village. Zero-padded tails mark
the level. Codes are always `str`; a float-looking value means Excel already lost digits.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Literal

Level = Literal["city", "county", "township", "village"]
LEVELS: tuple[Level, ...] = ("county", "township", "village")
CODE_LENGTH = 12

_SCIENTIFIC = re.compile(r"^[0-9.]+[eE][+-]?[0-9]+$")
_DIGITS = re.compile(r"^[0-9]{12}$")


class CodeError(ValueError):
    """A value that is not a usable 12-digit code; `rule` is a key of ui.text's error table."""

    def __init__(self, rule: str, value: object):
        super().__init__(f"{rule}: {value!r}")
        self.rule = rule
        self.value = value


def normalize_code(value: object) -> str:
    """Return the canonical 12-digit string for `value` or raise CodeError.

    Accepted repairs: full-width digits and spaces (NFKC), surrounding whitespace, a trailing
    `.0` from spreadsheets, and exact integers. Rejected: scientific notation (digits are lost),
    wrong length, non-digits, empty values.
    """
    if value is None or (isinstance(value, float) and value != value):
        raise CodeError("code_empty", value)
    if isinstance(value, bool):
        raise CodeError("code_not_digits", value)
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if not value.is_integer() or abs(value) >= 1e15:
            raise CodeError("code_float", value)
        text = str(int(value))
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().replace(" ", "")
    if text == "":
        raise CodeError("code_empty", value)
    if _SCIENTIFIC.match(text):
        raise CodeError("code_scientific", value)
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if not text.isdigit() or not text.isascii():
        raise CodeError("code_not_digits", value)
    if len(text) != CODE_LENGTH:
        raise CodeError("code_length", value)
    return text


def is_valid_code(value: object) -> bool:
    """True when `value` is already a canonical 12-digit code string."""
    return isinstance(value, str) and bool(_DIGITS.match(value))


def code_level(code: str) -> Level:
    """Level of a canonical code; raises CodeError for province codes or broken hierarchies."""
    if not is_valid_code(code):
        raise CodeError("code_not_digits", code)
    if code[2:] == "0" * 10 or code[2:4] == "00":
        raise CodeError("code_level_unsupported", code)
    if code[4:] == "0" * 8:
        return "city"
    if code[4:6] == "00":
        raise CodeError("code_level_unsupported", code)
    if code[6:] == "0" * 6:
        return "county"
    if code[9:] == "000":
        if code[6:9] == "000":
            raise CodeError("code_level_unsupported", code)
        return "township"
    if code[6:9] == "000":
        raise CodeError("code_level_unsupported", code)
    return "village"


def parent_code(code: str) -> str:
    """Code of the unit directly above `code` (village -> township -> county -> city)."""
    level = code_level(code)
    if level == "village":
        return code[:9] + "000"
    if level == "township":
        return code[:6] + "000000"
    if level == "county":
        return code[:4] + "00000000"
    raise CodeError("code_level_unsupported", code)


def ancestor_code(code: str, level: Level) -> str:
    """The ancestor of `code` at `level` (itself when already at that level)."""
    keep = {"city": 4, "county": 6, "township": 9, "village": 12}[level]
    return code[:keep] + "0" * (CODE_LENGTH - keep)


def is_community(code: str) -> bool:
    """Village-level units 001-199 are urban communities (社区), 200+ are villages (村)."""
    return code_level(code) == "village" and int(code[9:]) < 200
