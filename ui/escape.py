"""Strings from data (unit, site and file names, versions, values) shown as text, never as markup.

Streamlit renders Markdown (GitHub-flavoured, plus LaTeX between `$`, `:emoji:` shortcodes and
`:color[...]` directives) in st.markdown, st.info/warning/error/success, captions, titles,
progress texts and widget labels. `md_escape`:
- backslash-escapes every ASCII punctuation character (CommonMark shows an escaped one
  literally), so `![x](...)`, `**b**`, `` `c` ``, `$x$`, `<img>` are shown as those characters;
- puts an invisible WORD JOINER (U+2060) after every `:`, before every `@` and between `www` and
  `.`: GFM's literal autolinks (`http://…`, `www.…`, `a@b.c`) and emoji shortcodes are found in
  the text *after* escapes are resolved (seen in Chromium with Streamlit 1.67: an escaped
  `http\\:\\/\\/host` still became a link), so the pattern itself has to be broken;
- folds line breaks into spaces (one line, no new block).
Raw HTML is never rendered by these elements (no unsafe_allow_html); HTML sinks (folium tooltips,
the HTML export) escape with `html.escape` where they are built.
"""
from __future__ import annotations

import re
import string

JOINER = "\u2060"  # WORD JOINER: zero width, not a word character, no line break opportunity
_SPECIAL = re.compile("([" + re.escape(string.punctuation) + "])")
_BREAKS = re.compile(r"[\r\n\t\v\f\u2028\u2029]+")
_AUTOLINK = re.compile(r"(?<=:)|(?=@)|(?i:(?<=www)(?=\.))")


def md_escape(value: object) -> str:
    """`value` as Markdown that renders as its text on one line (no link, image, emphasis, code,
    math, emoji or autolink); invisible word joiners break autolink and shortcode patterns."""
    text = "" if value is None else str(value)
    text = _AUTOLINK.sub(JOINER, _BREAKS.sub(" ", text))
    return _SPECIAL.sub(r"\\\1", text)

