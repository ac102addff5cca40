"""Session state and URL query parameters of map pages.

The URL is read once per session (a deep link reproduces the view), widgets drive the view
after that, and every run writes the view back to the URL. Changes that come from outside the
widgets (map clicks, breadcrumbs, search) are queued as a pending view and applied at the top
of the next run, before any widget exists (Streamlit forbids changing a widget's state after
it is drawn).
"""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.aggregate import STATUSES
from geo.change import default_base_year
from geo.classify import METHODS, POLICY_BINS
from geo.schema import CODE, LEVEL, NAME, PARENT, YEARS
from geo.view import (
    CHANGE_DEFAULT_INDICATOR,
    INDICATORS,
    MODES,
    ROOT,
    TWO_YEAR_MODES,
    View,
    breadcrumb,
    levels_below,
    parse_view,
    region_prefix,
    show_region,
    view_params,
)
from layers.snapshot import identity_name
from layers.styling import threshold_text
from ui import cache, maps
from ui.escape import md_escape
from ui.text import group, t

_KEYS = ("county", "township", "level", "indicator", "classing", "mode", "poor", "status", "selected", "from")


SHARED_YEAR, SHARED_REGION = "shared.year", "shared.region"   # plain keys: survive page switches
CURRENT_PAGE = "shared.page"


def entering(page: str) -> bool:
    """True on the first run of `page` after the user came from another page (or a new session)."""
    return st.session_state.get(CURRENT_PAGE) != page


def _with_shared(view: View, params: dict[str, str]) -> View:
    """`view` with the year and region the user last chose on any page, unless `params` (a URL)
    names them. A new region shows its children (the level one below)."""
    s = st.session_state
    if "year" not in params and s.get(SHARED_YEAR) in YEARS:
        view = replace(view, year=int(s[SHARED_YEAR]))
    region = s.get(SHARED_REGION)
    if "region" not in params and region is not None and region != view.region:
        view = show_region(view, region)
    return view


def shared_year(default_year: int) -> int:
    """The as-of year widget of a page without a ViewState (总览): the URL's year on the first
    visit and after Back/Forward, else the year shared by the other pages."""
    s = st.session_state
    raw = st.query_params.get("year")
    written = s.get("overview.url")
    if raw is not None and raw.isdigit() and int(raw) in YEARS and (
            not s.get("overview.ready") or (written is not None and raw != written and not entering("overview"))):
        s["year"] = int(raw)
    elif entering("overview") or "year" not in s:
        s["year"] = s.get(SHARED_YEAR, default_year)
    s["overview.ready"] = True
    s[CURRENT_PAGE] = "overview"
    year = ViewState.year_widget()
    s["overview.url"] = str(year)
    if st.query_params.get("year") != str(year):
        st.query_params["year"] = str(year)
    return year


def classing_label(method: str, indicator: str) -> str:
    """The classing option's text; the policy option names the indicator's own thresholds."""
    if method == "policy" and indicator in POLICY_BINS:
        bins = "、".join(threshold_text(b, indicator) for b in POLICY_BINS[indicator])
        return t("classing.policy_bins", bins=bins)
    return t(f"classing.{method}")


class ViewState:
    """Widget keys of one map page, namespaced by `page` so pages keep their own views."""

    def __init__(self, page: str):
        self.page = page

    def key(self, name: str) -> str:
        return f"{self.page}.{name}"

    def _write(self, view: View) -> None:
        s = st.session_state
        if view.region == ROOT:
            county, township = ROOT, ""
        elif len(view.region) == 12 and view.region[6:] == "000000":
            county, township = view.region, ""
        else:
            county, township = view.region[:6] + "000000", view.region
        s[self.key("county")], s[self.key("township")] = county, township
        s[self.key("level")] = view.level
        s[self.key("indicator")], s[self.key("classing")] = view.indicator, view.classing
        s[self.key("mode")], s[self.key("poor")] = view.mode, view.poor_only
        s[self.key("status")] = list(view.statuses)
        s[self.key("selected")] = view.selected
        s[self.key("from")] = view.compare_year
        s["year"] = view.year

    def url_changed(self) -> bool:
        """True when the URL is not the one this page last wrote: the session's first run, or the
        browser's Back/Forward (Streamlit reruns the page with that history entry's URL)."""
        s = st.session_state
        if not s.get(self.key("ready")):
            return True
        written = s.get(self.key("url"))
        current = st.query_params.to_dict()
        return written is not None and bool(current) and current != written and not entering(self.page)

    def start(self, units: pd.DataFrame, *, default_year: int | None = None) -> list[str]:
        """Put the page's view into its widgets before they are drawn; returns the names of URL
        parameters that were invalid (for a notice). In order of precedence: a pending view
        (click, breadcrumb, search, a link from another page); the URL on the session's first
        visit and after Back/Forward; when the user comes from another page, this page's last
        view with the year and region the user chose there (the shared view)."""
        s = st.session_state
        problems: list[str] = []
        pending = s.pop(self.key("pending"), None)
        if self.url_changed():
            params = st.query_params.to_dict()
            view, problems = parse_view(params, units, default_year=default_year, delivered=maps.delivered())
            if not s.get(self.key("ready")):
                view = _with_shared(view, params)
            self._write(view)
            s[self.key("ready")] = True
        elif entering(self.page):
            saved = s.get(self.key("saved")) or View(year=default_year or YEARS[-1])
            self._write(_with_shared(saved, {}))
        if pending is not None:
            self._write(pending)
        s[CURRENT_PAGE] = self.page
        return problems

    def open(self, view: View, page: str) -> None:
        """Switch to `page` (whose ViewState is this one) showing `view`, also when the page was
        visited before in this session (its URL is then no longer read)."""
        st.session_state[self.key("pending")] = view
        st.switch_page(page, query_params=view_params(view))

    def go(self, view: View) -> None:
        """Show `view` on the next run (map click, breadcrumb, search)."""
        st.session_state[self.key("pending")] = view
        st.rerun()

    def region_widgets(self, units: pd.DataFrame, *, fixed_level: str | None = None) -> tuple[str, str]:
        """County > township cascade and level radio in the sidebar; returns (region, level).
        `fixed_level` hides the radio (pages that always show one level)."""
        s = st.session_state
        counties = units.loc[units[LEVEL] == "county"]
        names = dict(zip(units[CODE].tolist(), units[NAME].tolist()))
        sb = st.sidebar
        sb.subheader(t("exit.region"))

        def region_changed() -> None:
            s[self.key("township")] = ""
            s[self.key("level")] = "township" if s[self.key("county")] != ROOT else "county"
            s[self.key("selected")] = None

        def township_changed() -> None:
            s[self.key("level")] = "village" if s[self.key("township")] else "township"
            s[self.key("selected")] = None

        if s.get(self.key("county")) not in [ROOT, *counties[CODE]]:
            s[self.key("county")] = ROOT
        whole = t("exit.all_counties", region=identity_name(cache.identity(), t))
        county = sb.selectbox(t("exit.county"), [ROOT, *counties[CODE]], key=self.key("county"),
                              placeholder=t("filter.choose"),
                              format_func=lambda c: whole if c == ROOT else names[c],
                              on_change=region_changed)
        township = ""
        if county != ROOT:
            towns = units.loc[(units[LEVEL] == "township") & (units[PARENT] == county), CODE].tolist()
            if s.get(self.key("township")) not in ["", *towns]:
                s[self.key("township")] = ""
            township = sb.selectbox(t("exit.township"), ["", *towns], key=self.key("township"), placeholder=t("filter.choose"),
                                    format_func=lambda c: t("exit.all_townships") if c == "" else names[c],
                                    on_change=township_changed)
        region = township or county
        if fixed_level is not None:
            s[self.key("level")] = fixed_level
            return region, fixed_level
        options = list(levels_below(region))
        if s.get(self.key("level")) not in options:
            s[self.key("level")] = options[0]
        level = sb.radio(t("exit.level"), options, key=self.key("level"), horizontal=True,
                         format_func=lambda v: t(f"level.{v}"))
        return region, level

    @staticmethod
    def year_widget() -> int:
        """The as-of year slider; the chosen year is shared with every other page."""
        if st.session_state.get("year") not in YEARS:
            st.session_state["year"] = st.session_state.get(SHARED_YEAR, YEARS[-1])
        year = int(st.sidebar.select_slider(t("sidebar.year"), options=list(YEARS), key="year",
                                            help=t("sidebar.year_help")))
        st.session_state[SHARED_YEAR] = year
        return year

    def remember(self, view: View) -> None:
        """Keep `view` as this page's last view and share its region with the other pages."""
        st.session_state[self.key("saved")] = replace(view, selected=None)
        st.session_state[SHARED_REGION] = view.region

    def selected(self, region: str) -> str | None:
        """The selected unit, if it lies inside `region`."""
        selected = st.session_state.get(self.key("selected"))
        return selected if selected and selected.startswith(region_prefix(region)) else None

    def breadcrumb(self, view: View, units: pd.DataFrame, *, fixed_level: str | None = None) -> None:
        """City > county > township buttons above the map; a click shows that region."""
        chain = breadcrumb(view, units)
        columns = st.columns(len(chain) + 4, gap="small")
        for column, (code, name) in zip(columns, chain):
            label = md_escape(identity_name(cache.identity(), t) if code == ROOT else name)
            if column.button(label, key=f"{self.page}.crumb.{code}", disabled=code == view.region,
                             width="stretch"):
                target = show_region(view, code)
                self.go(replace(target, level=fixed_level) if fixed_level else target)

    def sidebar(self, units: pd.DataFrame) -> View:
        """The exit-progress filters in the sidebar; returns the current view."""
        # year and indicator first: visible without scrolling on a laptop screen
        year = self.year_widget()
        sb = st.sidebar
        base = self.base_year_widget(year)
        s = st.session_state
        indicators = INDICATORS
        if s.get(self.key("mode")) == "change":   # a change needs a number: no categorical status
            indicators = tuple(i for i in INDICATORS if i != "status")
            if s.get(self.key("indicator")) not in indicators:
                s[self.key("indicator")] = CHANGE_DEFAULT_INDICATOR
        indicator = sb.selectbox(t("exit.indicator"), indicators, key=self.key("indicator"), placeholder=t("filter.choose"),
                                 format_func=lambda v: t(f"indicator.{v}"))
        region, level = self.region_widgets(units)
        sb.divider()
        classing = sb.selectbox(t("exit.classing"), METHODS, key=self.key("classing"), placeholder=t("filter.choose"),
                                format_func=lambda v: classing_label(v, indicator),
                                disabled=indicator == "status" or s.get(self.key("mode")) == "change")
        mode = sb.radio(t("exit.mode"), MODES, key=self.key("mode"), horizontal=True,
                        format_func=lambda v: t(f"mode.{v}"))
        poor = sb.toggle(t("exit.poor_only"), key=self.key("poor"))
        statuses = sb.multiselect(t("exit.status_filter"), list(STATUSES), key=self.key("status"),
                                  placeholder=t("filter.all"), select_all=False,
                                  format_func=lambda v: group("status")[v])
        return View(level=level, region=region, indicator=indicator, classing=classing, year=year,
                    mode=mode, poor_only=bool(poor), statuses=tuple(statuses), selected=self.selected(region),
                    compare_year=base if mode in TWO_YEAR_MODES else None)

    def base_year_widget(self, year: int) -> int | None:
        """The earlier year of the change and pair modes (shown only in those modes, under the
        as-of year): a delivered year before `year`, by default the latest one. None when there
        is none (the page says so)."""
        s = st.session_state
        if s.get(self.key("mode")) not in TWO_YEAR_MODES:
            return None
        earlier = [y for y in maps.delivered() if y < year]
        if s.get(self.key("from")) not in earlier:
            s[self.key("from")] = default_base_year(year, earlier)
        if not earlier:
            return None
        return int(st.sidebar.selectbox(t("change.from"), earlier, key=self.key("from"),
                                        help=t("change.from_help")))

    def map(self, groups, *, layer_control=None, name: str = "map") -> str | None:
        """Draw the page's map (the constant base map plus the view's layers, so a new view swaps
        layers instead of rebuilding the iframe) and return the code of a unit clicked since the
        last run, once. Only clicks are reported back: pan and zoom never rerun the app. `name`
        tells apart several maps of one page (side by side)."""
        event = st_folium(maps.new_base_map(), key=self.key(name), feature_group_to_add=groups,
                          layer_control=layer_control, height=maps.MAP_HEIGHT, use_container_width=True,
                          returned_objects=["last_active_drawing", "last_object_clicked"]) or {}
        clicked = (event.get("last_active_drawing") or {}).get("properties", {}).get("code")
        if not clicked:
            return None
        click_id = (clicked, str(event.get("last_object_clicked")))
        last = self.key("last_click" if name == "map" else f"last_click.{name}")
        if st.session_state.get(last) == click_id:
            return None
        st.session_state[last] = click_id
        return clicked

    def publish(self, view: View, extra: dict[str, str] | None = None, *, drop: tuple[str, ...] = ()) -> None:
        """Write the view (and the page's own filters `extra`, empty ones left out; `drop`
        names view parameters the page does not use) into the URL so the address bar is always a
        deep link. Each new view is a new browser-history entry: Back restores the previous one."""
        params = {**view_params(view), **{k: v for k, v in (extra or {}).items() if v not in (None, "")}}
        for name in drop:
            params.pop(name, None)
        self.remember(view)
        st.session_state[self.key("url")] = params
        if st.query_params.to_dict() != params:
            st.query_params.from_dict(params)

