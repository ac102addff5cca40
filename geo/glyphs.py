"""Display rule for place-name characters no bundled or common font can draw.

Some official place names use rare CJK Extension G characters (e.g. U+3075F in 渠县's
`𰝟渡镇`, commonly printed 鲜渡镇). Neither the bundled export font (assets/fonts, a GB2312
subset of Noto Sans CJK) nor the fonts of a typical office PC have a glyph for them, so they
show as a box in the browser, in tables and in PDFs. Rule: each such character is displayed as
its common substitute from `SUBSTITUTES` (the form used in press and government web pages).
The data files keep the original character; codes, never names, join the data; search accepts
either form. Add a row here when a dataset brings another such character (exports list any
character still missing from the font in a notice).
"""
from __future__ import annotations

import pandas as pd

SUBSTITUTES: dict[str, str] = {
    "\U0003075F": "鲜",   # 𰝟渡镇 (a township of the demo) -> 鲜渡镇
}
_TABLE = str.maketrans(SUBSTITUTES)


def display_text(text: str) -> str:
    """`text` with every rare character replaced by its substitute."""
    return text.translate(_TABLE)


def display_names(names: pd.Series) -> pd.Series:
    """A copy of `names` (strings, NA kept) with the substitutes applied."""
    return names.map(lambda n: display_text(n) if isinstance(n, str) else n).astype(names.dtype)
