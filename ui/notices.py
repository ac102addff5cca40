"""Notices that explain an empty-looking view instead of leaving a silent 无数据 wall."""
from __future__ import annotations

from typing import Any

from geo.poor_county import counties_without_flag
from geo.view import View, region_prefix
from ui import cache
from ui.text import t


def poor_flag_text(view: View) -> str | None:
    """The notice for a county status view whose counties lack the poor-county flag, else None."""
    if view.level != "county" or view.indicator != "status":
        return None
    figures = cache.figures(view.year)
    prefix = region_prefix(view.region)
    missing = counties_without_flag(figures, prefix)
    if not missing:
        return None
    total = int(((figures["level"] == "county") & figures["code"].str.startswith(prefix)).sum())
    key = "notice.poor_flag_none" if len(missing) == total else "notice.poor_flag_some"
    return t(key, count=len(missing), total=total, year=view.year)


def poor_flag_notice(view: View, container: Any) -> None:
    """Say plainly why counties show 无数据 for status, and how to deliver the flag."""
    text = poor_flag_text(view)
    if text:
        container.info(text)
