"""Strings from data (unit, site and file names, versions, values) shown as text, never as markup.

Streamlit renders Markdown (GitHub-flavoured, plus LaTeX between `$`, `:emoji:` shortcodes and
`:color[...]` directives) in st.markdown, st.info/warning/error/success, captions, titles and
widget labels. `md_escape` backslash-escapes every ASCII punctuation character (CommonMark lets
any of them be escaped and shows it literally) and folds line breaks into spaces, so a name like
`![x](http://host/b.png)` is shown as those characters: no image is fetched, no link is made.
Raw HTML is never rendered by these elements (no unsafe_allow_html); HTML sinks (folium tooltips,
the HTML export) escape with `html.escape` where they are built.
"""
from __future__ import annotations

import re
import string

_SPECIAL = re.compile("([" + re.escape(string.punctuation) + "])")
_BREAKS = re.compile(r"[\r\n\t\v\f\u2028\u2029]+")


def md_escape(value: object) -> str:
    """`value` as Markdown that renders as exactly its text (on one line)."""
    text = "" if value is None else str(value)
    return _SPECIAL.sub(r"\\\1", _BREAKS.sub(" ", text))
