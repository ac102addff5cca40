"""Page chrome shared by the map pages: compact CSS for laptop screens (1366x768), Chinese text
for the few English strings Streamlit draws itself, and the title row with a print/export
button at the top right."""
from __future__ import annotations

import streamlit as st

from geo import settings
from ui.maps import basemap_notice
from ui.text import t

# Streamlit's own English in the uploader ("Drag and drop file here" / "Limit 200MB per file" /
# "Browse files") is hidden and replaced by CSS content: the widget takes no text of ours. The
# multiselect's "Select all" is turned off per widget (select_all=False) and the selectbox's
# "Choose an option" replaced by a placeholder per widget.
_CSS = """
<style>
/* less empty space above the title and between blocks: legend and controls fit a 768 px screen */
.stMainBlockContainer, .block-container { padding-top: 2.2rem !important; padding-bottom: 1rem !important; }
[data-testid="stSidebarContent"] [data-testid="stSidebarUserContent"] { padding-top: 0.6rem !important; }
[data-testid="stSidebarHeader"] { height: 2rem !important; min-height: 2rem !important; padding-top: 0.4rem !important; }
h1 { padding-top: 0 !important; padding-bottom: 0.2rem !important; font-size: 1.9rem !important; }
[data-testid="stSidebar"] [data-testid="stVerticalBlock"] { gap: 0.45rem; }
[data-testid="stSidebar"] hr { margin: 0.3rem 0 !important; }
[data-testid="stFileUploaderDropzoneInstructions"] > div > span { visibility: hidden; position: relative; }
[data-testid="stFileUploaderDropzoneInstructions"] > div > span::after {
  content: "__DROP__"; visibility: visible; position: absolute; left: 0; top: 0; white-space: nowrap; }
[data-testid="stFileUploaderDropzoneInstructions"] > div > small { visibility: hidden; position: relative; }
[data-testid="stFileUploaderDropzoneInstructions"] > div > small::after {
  content: "__LIMIT__"; visibility: visible; position: absolute; left: 0; top: 0; white-space: nowrap; }
[data-testid="stFileUploaderDropzone"] button { color: transparent !important; position: relative; }
[data-testid="stFileUploaderDropzone"] button::after {
  content: "__BROWSE__"; color: rgb(49, 51, 63); position: absolute; left: 0; right: 0; text-align: center; }
</style>
"""


def style_page() -> None:
    """Inject the portal's page CSS (call once per run, from setup_page)."""
    css = (_CSS.replace("__DROP__", t("layout.drop")).replace("__LIMIT__", t("layout.limit", limit=settings.get("max_upload_mb")))
           .replace("__BROWSE__", t("layout.browse")))
    st.html(css)


def page_header(title: str):
    """The page title with a visible print/export button at the top right; returns the
    button's popover, into which the page later draws its export panel."""
    left, right = st.columns([5, 1.25], vertical_alignment="center")
    left.title(title)
    basemap_notice()
    return right.popover(t("layout.export_button"), icon=":material/print:", width="stretch")


def url_notice(problems: list[str]) -> None:
    """The bad-link notice, naming the invalid URL parameters in Chinese (in a container that is
    always drawn, so the map below keeps its place when the notice goes)."""
    box = st.container()
    if problems:
        names = "、".join(t(f"param.{p}") if f"param.{p}" in _PARAMS else p for p in sorted(set(problems)))
        box.warning(t("exit.url_notice", params=names))


_PARAMS = {f"param.{name}" for name in ("level", "region", "indicator", "classing", "year", "mode", "poor",
                                        "status", "selected", "stage", "occ", "support", "km", "exit",
                                        "layers", "sort", "date", "source", "category", "state", "unit",
                                        "layer", "monitor", "site", "from")}


def column_widths(table, *, medium=(), large=()) -> dict:
    """st.dataframe column_config giving text columns room (names, reasons were truncated)."""
    config = {}
    for names, width in ((medium, "medium"), (large, "large")):
        for name in names:
            if name in table.columns:
                config[name] = st.column_config.TextColumn(width=width)
    return config
