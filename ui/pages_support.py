"""Streamlit glue shared by the relocation (易地搬迁) and services (基础设施) pages: region and
year widgets on top of ViewState, breadcrumbs, cached site / service tables and layer data,
Chinese wording of compliance reasons and quality rules, download buttons.

Reuses the exit-progress machinery (ViewState keys, geo.view drill/focus/breadcrumb, ui.maps
prepare/layer) instead of copying it. Cached functions take plain values.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import folium
import pandas as pd
import streamlit as st

from geo import services as svc
from geo.schema import CODE, NAME, PARENT
from geo.sites import site_figures, site_quality, sites_as_of
from geo.standards import county_compliance
from geo.table import to_csv_bytes, to_xlsx_bytes
from geo.view import View, region_prefix
from layers.palette import BOUNDARY_FILL
from layers.service_layer import (
    GAP_COLORS,
    HAS_COLOR,
    LACKS_COLOR,
    class_layer,
    gap_classes,
    item_classes,
    lacking_classes,
    lacking_colors,
)
from layers.units_layer import LayerStyle, features_json, units_group
from layers.view_layer import join_rows
from ui import auth, cache, maps
from ui.state import ViewState
from ui.text import t

# --------------------------------------------------------------------------- widgets

def region_sidebar(state: ViewState, units: pd.DataFrame, *, fixed_level: str | None = None) -> View:
    """Region, level and year widgets of a page under its ViewState keys (so deep links load
    into them). Returns the view (status indicator)."""
    year = state.year_widget()   # first: visible without scrolling on a laptop screen
    region, level = state.region_widgets(units, fixed_level=fixed_level)
    return View(level=level, region=region, indicator="status", year=year, selected=state.selected(region))


def first_run_param(state: ViewState, name: str) -> str | None:
    """A page-specific URL parameter, read on the session's first visit and after Back/Forward
    (call before ViewState.start) so deep links and history restore page filters too."""
    if not state.url_changed():
        return None
    return st.query_params.get(name)


def download_buttons(table: pd.DataFrame, name: str, *, key: str, code_columns: Iterable[str] = (),
                     sheet: str = "Sheet1") -> None:
    """CSV (UTF-8 with BOM) and XLSX (codes as text) buttons for `table` (audited; none for
    viewers without the export permission)."""
    if not auth.allowed("export"):
        return
    left, right, _ = st.columns([1, 1, 4])
    left.download_button(t("pages.download_csv"), to_csv_bytes(table), f"{name}.csv", "text/csv",
                         key=f"{key}.csv", on_click=auth.log_export, args=("csv", f"{name}.csv"))
    right.download_button(t("pages.download_xlsx"), to_xlsx_bytes(table, text_columns=code_columns, sheet=sheet),
                          f"{name}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"{key}.xlsx", on_click=auth.log_export, args=("xlsx", f"{name}.xlsx"))


# --------------------------------------------------------------------------- wording

def item_label(item: str) -> str:
    return t(f"svc.item.{item}")


def reason_text(reason: tuple[str, dict]) -> str:
    """One compliance reason in Chinese: ("lacks", {"item": "clinic"}) -> "缺卫生室"."""
    rule, params = reason
    if rule == "incidence_high":
        return t("reason.incidence_high", value=params["value"] * 100)
    if rule in ("lacks", "item_unknown"):
        return t(f"reason.{rule}", item=item_label(params["item"]))
    if rule == "township_fails":
        return t("reason.township_fails", township=params["township"],
                 reasons="、".join(reason_text(r) for r in params["reasons"]))
    return t(f"reason.{rule}")


def reasons_text(reasons: object) -> str:
    if not isinstance(reasons, list):
        return ""
    return "；".join(reason_text(r) for r in reasons)


def flag_value(value: object) -> str:
    if value is None or value is pd.NA or value != value:
        return t("common.unknown")
    return t("common.yes") if bool(value) else t("common.no")


def count(value: object) -> str | None:
    return None if pd.isna(value) else f"{int(value):,}"


def km(metres: object) -> str | None:
    if metres is None or metres is pd.NA or metres != metres:
        return None
    return t("common.km", value=float(metres) / 1000)


def relocation_kpis(kpis, far: int) -> list[tuple[str, str]]:
    """(label, value) rows of the relocation page: its KPI cards and its export's KPI table."""
    return [(t("reloc.kpi_sites"), f"{kpis.sites:,}"),
            (t("reloc.kpi_households"), t("kpi.of", done=kpis.moved_households, total=kpis.planned_households)),
            (t("reloc.kpi_persons"), t("kpi.of", done=kpis.moved_persons, total=kpis.planned_persons)),
            (t("reloc.kpi_occupancy"), pct(kpis.occupancy) or t("kpi.none")),
            (t("reloc.kpi_far"), f"{far:,}")]


def services_kpis(villages: pd.DataFrame, townships: pd.DataFrame) -> list[tuple[str, str]]:
    """(label, value) rows of the services page: its KPI cards and its export's KPI table."""
    reported = villages.loc[villages["reported"]]
    return [(t("svc.kpi_villages_gaps"), t("kpi.of", done=int((reported["gaps"] > 0).sum()), total=len(villages))),
            (t("svc.kpi_total_gaps"), f"{int(reported['gaps'].sum()):,}"),
            (t("svc.kpi_compliant"), t("kpi.of", done=int(villages["compliant"].fillna(False).sum()),
                                       total=len(villages))),
            (t("svc.kpi_townships"), t("kpi.of", done=int(townships["compliant"].fillna(False).sum()),
                                       total=len(townships)))]


def kpi_cards(rows: list[tuple[str, str]], widths: list[float] | None = None) -> None:
    """One st.metric card per (label, value) row."""
    for column, (label, value) in zip(st.columns(widths or len(rows)), rows):
        column.metric(label, value)


def pct(share: object) -> str | None:
    if share is None or share is pd.NA or share != share:
        return None
    return t("common.pct", value=float(share) * 100)


def site_flags(far: pd.Series, problems: pd.Series) -> pd.Series:
    """Highlight text per site ('' when none): beyond the distance limit and/or bad data."""
    words = (t("reloc.far_flag"), t("reloc.problem_flag"))
    return pd.Series(["；".join(w for w, on in zip(words, pair) if on) for pair in zip(far, problems)],
                     index=far.index, dtype=object)


def site_table(shown: pd.DataFrame, far: pd.Series) -> pd.DataFrame:
    """The filtered sites with Chinese headers, ids as text, distances in km."""
    table = pd.DataFrame({
        t("site.site_id"): shown["site_id"].astype(str),
        t("site.name"): shown["name"],
        t("site.county"): shown["county_name"],
        t("site.township"): shown["township_name"],
        t("site.stage"): shown["stage"].map(lambda v: t(f"stage.{v}") if isinstance(v, str) else ""),
        t("site.planned_households"): shown["planned_households"],
        t("site.moved_households"): shown["moved_households"],
        t("site.planned_persons"): shown["planned_persons"],
        t("site.moved_persons"): shown["moved_persons"],
        t("site.occupancy_pct"): (shown["occupancy"].astype("Float64") * 100).round(1),
        t("site.jobs_found"): shown["jobs_found"],
        t("site.industry"): shown["industry"].map(flag_value),
        t("site.school"): shown["school_nearby"].map(flag_value),
        t("site.clinic"): shown["clinic_nearby"].map(flag_value),
        t("site.support_missing"): shown["support_missing"].map(
            lambda items: "、".join(t(f"support.{i}") for i in items)),
        t("site.clinic_km"): (shown["clinic_m"] / 1000).round(2),
        t("site.road_km"): (shown["road_m"] / 1000).round(2),
        t("site.far"): far.map({True: t("common.yes"), False: ""}),
        t("site.lon"): shown["lon"],
        t("site.lat"): shown["lat"],
        t("site.problems"): shown["problems"],
    })
    return table.reset_index(drop=True)


_QUALITY_FIELDS = {"lon": "site.lon", "lat": "site.lat", "stage": "site.stage",
                   "planned_households": "site.planned_households", "moved_households": "site.moved_households",
                   "planned_persons": "site.planned_persons", "moved_persons": "site.moved_persons",
                   "jobs_found": "site.jobs_found"}


def quality_table(problems: pd.DataFrame, site_ids: set[str]) -> pd.DataFrame:
    """The data-quality list of the given sites, worded in Chinese (field names keep the file's
    column name in brackets so the user finds the cell)."""
    rows = problems.loc[problems["site_id"].isin(site_ids)]

    def field(name: str) -> str:
        if name == "lon/lat":
            return f"{t('site.lon')}/{t('site.lat')}（lon/lat）"
        return f"{t(_QUALITY_FIELDS[name])}（{name}）" if name in _QUALITY_FIELDS else name

    return pd.DataFrame({
        t("quality.site_id"): rows["site_id"].astype(str),
        t("quality.name"): rows["name"],
        t("quality.field"): rows["field"].map(field),
        t("quality.rule"): rows["rule"].map(lambda r: t(f"squality.{r}")),
        t("quality.value"): rows["value"].fillna(""),
    }).reset_index(drop=True)


# --------------------------------------------------------------------------- cached data

@st.cache_resource(show_spinner=False, max_entries=16)
def _site_figures(folder: str, stamp: tuple, year: int) -> pd.DataFrame:
    data = cache.bundle()
    out = site_figures(sites_as_of(data.sites, year), data.units, data.services, year)
    # data-quality problems belong to the file, whatever the year shown
    problems = site_quality(data.sites, data.units)["site_id"].value_counts()
    out["problems"] = out["site_id"].map(problems).fillna(0).astype(int)
    return out


def sites(year: int) -> pd.DataFrame:
    """site_figures of the dataset as of the end of `year` (stages, movers and KPIs by the years
    of start and completion; distances use that year's services), read-only."""
    return _site_figures(*cache.key(), year)


@st.cache_resource(show_spinner=False, max_entries=4)
def _site_quality(folder: str, stamp: tuple) -> pd.DataFrame:
    data = cache.bundle()
    return site_quality(data.sites, data.units)


def quality() -> pd.DataFrame:
    """Every data-quality problem of the sites file."""
    return _site_quality(*cache.key())


@st.cache_resource(show_spinner=False, max_entries=16)
def _villages(folder: str, stamp: tuple, year: int) -> pd.DataFrame:
    data = cache.bundle()
    return svc.village_services(data.units, data.services, cache.figures(year), year)


def villages(year: int) -> pd.DataFrame:
    """village_services of `year` (items, gaps, 一低五有 with reasons, remaining poor)."""
    return _villages(*cache.key(), year)


@st.cache_resource(show_spinner=False, max_entries=16)
def _townships(folder: str, stamp: tuple, year: int) -> pd.DataFrame:
    data = cache.bundle()
    return svc.township_services(data.units, data.services, cache.figures(year), year)


def townships(year: int) -> pd.DataFrame:
    return _townships(*cache.key(), year)


@st.cache_resource(show_spinner=False, max_entries=16)
def _counties(folder: str, stamp: tuple, year: int) -> pd.DataFrame:
    data = cache.bundle()
    figures = cache.figures(year)
    out = county_compliance(figures, data.services, year)
    return out.merge(figures[[CODE, NAME, "incidence"]], on=CODE, how="left", validate="one_to_one")


def counties(year: int) -> pd.DataFrame:
    """一低三有 per county with reasons."""
    return _counties(*cache.key(), year)


@st.cache_resource(show_spinner=False, max_entries=32)
def _trend(folder: str, stamp: tuple, prefix: str) -> pd.DataFrame:
    data = cache.bundle()
    return svc.gap_trend(data.units, data.services, prefix)


def trend(region: str) -> pd.DataFrame:
    return _trend(*cache.key(), region_prefix(region))


def _village_fields(rows: pd.DataFrame, names: Mapping[str, str], items: tuple[str, ...]) -> dict[str, pd.Series]:
    fields = {t("field.name"): rows[NAME], t("site.township"): rows[PARENT].map(names)}
    for item in items:
        fields[item_label(item)] = rows[item].map(flag_value)
    fields[t("svc.gaps")] = rows["gaps"].map(lambda v: None if pd.isna(v) else str(int(v)))
    fields[t("svc.missing")] = rows["missing"].map(lambda m: "、".join(item_label(i) for i in m) or None)
    fields[t("svc.compliance")] = rows["compliant"].map(
        lambda c: t("svc.compliant") if c is True else t("svc.not_compliant"))
    fields[t("svc.reasons")] = rows["reasons"].map(lambda r: reasons_text(r) or None)
    fields[t("field.remaining_poor")] = rows["remaining_poor"].map(lambda v: None if pd.isna(v) else f"{int(v):,}")
    return fields


@st.cache_resource(show_spinner=False, max_entries=64)
def _village_layer(folder: str, stamp: tuple, year: int, region: str,
                   items: tuple[str, ...]) -> tuple[pd.Series, str, tuple[str, ...], tuple[float, ...] | None]:
    rows = svc.in_region(villages(year), region_prefix(region))
    shapes = join_rows(cache.display("village"), rows)
    names = dict(zip(cache.bundle().units[CODE], cache.bundle().units[NAME]))
    if not items:
        classes = gap_classes(shapes["gaps"])
    elif len(items) == 1:
        classes = item_classes(shapes[items[0]])
    else:
        classes = lacking_classes(shapes, items)
    fields = _village_fields(shapes, names, items)
    data = features_json(shapes, classes, list(fields.values()))
    bounds = tuple(float(b) for b in shapes.total_bounds) if len(shapes) else None
    return classes, data, tuple(fields.keys()), bounds


def village_layer(year: int, region: str, items: tuple[str, ...] = ()):
    """(classes, features JSON, tooltip labels, bounds) of the villages in `region`: the gap
    count (no items), has/lacks of one service, or how many of several chosen services each
    village lacks (one layer, so chosen services never hide each other). Cached per dataset,
    year, region and items."""
    return _village_layer(*cache.key(), year, region, tuple(items))


# --------------------------------------------------------------------------- layers

def service_group(view: View, chosen: list[str], gap_labels: list[str], count_format: str) -> folium.FeatureGroup:
    """The services page's one polygon layer: the gap count (nothing chosen), has/lacks of one
    service, or how many of the chosen services each village lacks (never stacked layers that
    hide each other)."""
    classes, data, labels, _ = village_layer(view.year, view.region, tuple(chosen))
    if not chosen:
        colors, names, title, missing = GAP_COLORS, gap_labels, t("svc.gap_layer"), t("status.no_data")
    elif len(chosen) == 1:
        colors, names = (HAS_COLOR, LACKS_COLOR), [t("svc.has"), t("svc.lacks")]
        title, missing = item_label(chosen[0]), t("common.unknown")
    else:
        colors = lacking_colors(len(chosen))
        names = [t("svc.lacking_none")] + [t("svc.lacking_n", count=n) for n in range(1, len(chosen) + 1)]
        title = t("svc.lacking_layer", items="、".join(item_label(i) for i in chosen))
        missing = t("common.unknown")
    return class_layer(data, classes, colors, names, name=title, fields=labels, count_format=count_format,
                       no_data_label=missing, selected=view.selected)


def boundary_layer(prepared: maps.Prepared, selected: str | None = None) -> folium.FeatureGroup:
    """The view's boundaries, neutral fill (clickable for drill-down), from the cached exit data."""
    colors = (BOUNDARY_FILL,) * max(1, len(prepared.styled.colors))
    # plain boundaries: no consistency outlines (their legend belongs to the exit-status layer)
    style = LayerStyle(colors=colors, no_data_color=BOUNDARY_FILL, fill_opacity=0.45, weight=1.0,
                       flag_color="#4d4d4d", flag_weight=1.0)
    return units_group(prepared.data, name=t("layer.boundaries"), style=style, fields=prepared.fields,
                       selected=selected)


def layer_control() -> folium.LayerControl:
    return folium.LayerControl(position="topright", collapsed=False)
