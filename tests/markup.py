"""Names that are Markdown/HTML payloads, and a tiny dataset that carries them (issue 10 item 8).
10.255.255.1 is a non-routable address: a request to it would hang, never answer."""
from __future__ import annotations

import re
from pathlib import Path

from tests import tiny

HOST = "10.255.255.1"
LINK = f"![x](http://{HOST}/b.png)[核实](http://{HOST}/)"
IMG = "<img src=x onerror=alert(1)>"
BOLD = "**粗体**"
MATH = "$x$"
CODE = "`code`"
PAYLOADS = (LINK, IMG, BOLD, MATH, CODE)
# Markup that would be live if a payload reached Markdown unescaped.
LIVE = re.compile(r"(?<!\\)!\[|(?<!\\)\]\(http|(?<!\\)<img|(?<!\\)\*\*粗体|(?<!\\)\$x(?<!\\)\$|(?<!\\)`code")


def write_folder(folder: Path) -> Path:
    """The tiny dataset with the county, both townships, three villages and the site named by
    payloads (codes unchanged, so tiny's known answers still hold)."""
    units = tiny.units_frame()
    names = {tiny.COUNTY: LINK, tiny.TOWNS[0]: BOLD, tiny.TOWNS[1]: MATH,
             tiny.VILLAGES[0]: LINK, tiny.VILLAGES[1]: CODE, tiny.VILLAGES[2]: MATH}
    units["name"] = [names.get(code, name) for code, name in zip(units["code"], units["name"])]
    sites = tiny.table(tiny.site_rows(), "sites")
    sites.loc[0, "name"] = LINK
    return tiny.write_folder(folder, units=units, sites=sites)
