"""Info panel of one unit (the clicked or selected one) on every map page: its figures, status
history (plan vs actual exit), the exit standard it meets or fails item by item with reasons,
consistency problems, its relocation sites and open 督战 problems, a button to open its children
and a CSV of the panel. Pages add their own sections (service items, site list, projects and
supervision) as callables; a relocation site has its own panel (`site_panel`).

Every string from data reaches Markdown through md_escape; tables go through st.dataframe (text).
Data come from ui.cache and the page caches, which are already cut to the viewer's region."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from geo import inspection as ins
from geo.codes import code_level, parent_code
from geo.consistency import consistency_flags
from geo.schema import (
    CODE,
    INCIDENCE_THRESHOLD,
    NAME,
    TOWNSHIP_SERVICES,
    VILLAGE_SERVICES,
    YEARS,
)
from geo.standards import VILLAGE_ITEMS
from geo.table import to_csv_bytes
from geo.view import ROOT, View, parent_chain, region_prefix
from ui import auth, cache
from ui import inspection as ui_ins
from ui import pages_support as ps
from ui.escape import md_escape
from ui.maps import flag_text
from ui.text import t

Section = Callable[[str], None]   # draws a page's own part of the panel for a unit code
# village services columns of the 一低五有 items (the standard names collective income by its
# services-file column, the services table by its yes/no column)
_VILLAGE_COLUMNS = {"collective_income": "collective_economy"}


def _prefix(code: str) -> str:
    """Code prefix of `code` and every unit below it (a village is its own code)."""
    return code if code_level(code) == "village" else region_prefix(code)


def _home_prefix(code: str) -> str:
    """Prefix of the township-level area of `code`: a village's township, else the unit itself
    (relocation sites belong to townships)."""
    return region_prefix(parent_code(code)) if code_level(code) == "village" else region_prefix(code)


def _row(frame: pd.DataFrame, code: str) -> pd.Series | None:
    rows = frame.loc[frame[CODE] == code]
    return rows.iloc[0] if len(rows) else None


def _true(value: object) -> bool:
    """True for a true boolean of any kind (Python, NumPy); False for false and missing."""
    return value is not None and not pd.isna(value) and bool(value)


def _status(value: object) -> str:
    return t(f"status.{value if isinstance(value, str) else 'no_data'}")


def _year(value: object) -> str:
    return "—" if pd.isna(value) else str(int(value))


def history(code: str) -> pd.DataFrame:
    """Status, remaining poor and incidence of `code` at the end of every campaign year."""
    out = []
    for year in YEARS:
        row = _row(cache.figures(year), code)
        if row is None:
            continue
        out.append({t("info.year"): str(year),
                    t("field.status"): _status(row["status"]),
                    t("field.remaining_poor"): ps.count(row["remaining_poor"]) or "—",
                    t("field.incidence"): ps.pct(row["incidence"]) or "—"})
    return pd.DataFrame(out)


def figures(code: str, year: int) -> list[tuple[str, str]]:
    """(label, value) rows of the unit's key figures as of `year` end; empty without a row."""
    row = _row(cache.figures(year), code)
    if row is None:
        return []
    out = [(t("field.status"), _status(row["status"])),
           (t("field.planned_exit_year"), _year(row["planned_exit_year"])),
           (t("field.actual_exit_year"), _year(row["actual_exit_year"])),
           (t("field.registered_poor"), ps.count(row["registered_poor"]) or "—"),
           (t("field.exited_poor"), ps.count(row["exited_poor"]) or "—"),
           (t("field.remaining_poor"), ps.count(row["remaining_poor"]) or "—"),
           (t("field.incidence"), ps.pct(row["incidence"]) or "—"),
           (t("field.exit_rate"), ps.pct(row["exit_rate"]) or "—"),
           (t("field.monitored"), ps.count(row["monitored"]) or "—")]
    if code_level(code) != "village":
        out.append((t("panel.villages"), t("panel.villages_value", exited=ps.count(row["exited_villages"]) or "—",
                                             poor=ps.count(row["poor_villages"]) or "—")))
    return out


def standard(code: str, year: int, *, reasons: bool = True) -> str:
    """'一低五有：达标' / '乡三有：未达标（缺卫生院）' / '一低三有：…' of the unit in `year`
    (`reasons=False`: the verdict alone, the panel lists them item by item)."""
    level = code_level(code)
    frame, key = {"village": (ps.villages, "svc.compliance"), "township": (ps.townships, "svc.township_compliance"),
                  "county": (ps.counties, "svc.county_compliance")}[level]
    row = _row(frame(year), code)
    if row is None:
        return ""
    verdict = t("svc.compliant") if _true(row["compliant"]) else t("svc.not_compliant")
    words = ps.reasons_text(row["reasons"]) if reasons else ""
    return t("info.standard", standard=t(key), verdict=verdict) + (f"（{words}）" if words else "")


def standard_items(code: str, year: int) -> tuple[list[str], list[str]]:
    """(met, failed) items of the unit's exit standard in `year`, worded: the incidence against
    3 % and each 五有 / 三有 item; failed ones carry their reason ('缺卫生室', '发生率 4.1 %')."""
    level = code_level(code)
    if level == "village":
        row, items = _row(ps.villages(year), code), VILLAGE_ITEMS
    elif level == "township":
        row, items = _row(ps.townships(year), code), TOWNSHIP_SERVICES
    else:
        row, items = _row(ps.counties(year), code), ()
    if row is None:
        return [], []
    failed = [ps.reason_text(r) for r in row["reasons"]] if isinstance(row["reasons"], list) else []
    named = {r[1].get("item") for r in row["reasons"] if isinstance(row["reasons"], list)}
    met = []
    if level in ("village", "county"):
        incidence = row["incidence"]
        if not pd.isna(incidence) and incidence < INCIDENCE_THRESHOLD:
            met.append(t("panel.incidence_met", value=float(incidence) * 100))
    for item in items:
        value = row.get(_VILLAGE_COLUMNS.get(item, item))
        if item not in named and _true(value):
            met.append(ps.item_label(item))
    if level == "county":
        towns = ps.townships(year)
        towns = towns.loc[towns[CODE].str.startswith(code[:6])]
        if len(towns) and bool(towns["compliant"].fillna(False).all()):
            met.append(t("panel.townships_met", count=len(towns)))
    return met, failed


def open_problems(code: str, asof: pd.Timestamp | None = None) -> pd.DataFrame | None:
    """Problems of the unit and the units below it that are open on `asof` (default: the
    ledgers' latest date), most overdue first; None without a problem list."""
    data = cache.bundle()
    asof = asof or ins.data_date(data.problems, data.projects)
    states = ui_ins.problem_states(asof) if asof is not None else None
    if states is None:
        return None
    own = ins.filter_items(states, prefix=_prefix(code))
    return own.loc[own["state"].isin(ins.OPEN_STATES)]


def ledger_day() -> pd.Timestamp | None:
    """The latest date in the 督战 ledgers (the as-of day of open problems off the 督战 page)."""
    data = cache.bundle()
    return ins.data_date(data.problems, data.projects)


def _problems_line(code: str) -> None:
    """One line: open / overdue problems of the unit on the ledger date (pages other than 督战)."""
    day = ledger_day()
    own = open_problems(code, day)
    if own is None or day is None:
        return
    if not len(own):
        st.markdown(t("panel.problems_none", date=f"{day:%Y-%m-%d}"))
        return
    overdue = int((own["state"] == "overdue").sum())
    st.markdown(t("panel.problems_line", date=f"{day:%Y-%m-%d}", count=len(own), overdue=overdue))


def _sites_line(code: str, year: int) -> None:
    sites = ps.sites(year)
    here = sites.loc[sites["township_code"].str.startswith(_home_prefix(code))]
    if len(here):
        names = "、".join(md_escape(n) for n in here["name"].astype(str).head(5))
        more = t("panel.more", count=len(here) - 5) if len(here) > 5 else ""
        st.markdown(t("info.sites", count=len(here), names=names) + more)


def panel_table(code: str, year: int) -> pd.DataFrame:
    """The panel as one two-column table (item, value) for the CSV download."""
    names = dict(zip(cache.bundle().units[CODE].tolist(), cache.bundle().units[NAME].tolist()))
    rows = [(t("field.code"), code), (t("field.name"), names.get(code, code)),
            (t("field.parent"), parent_chain(code, names)), (t("info.year"), str(year)), *figures(code, year)]
    verdict = standard(code, year)
    if verdict:
        rows.append((t("panel.standard"), verdict))
    problem = _consistency(code, year)
    if problem:
        rows.append((t("field.flag"), problem))
    for _, entry in history(code).iterrows():
        rows.append((t("panel.history_row", year=entry[t("info.year")]),
                     "；".join(str(entry[c]) for c in entry.index if c != t("info.year"))))
    return pd.DataFrame(rows, columns=[t("panel.item"), t("panel.value")])


def _consistency(code: str, year: int) -> str:
    frame = cache.figures(year)
    rows = frame.loc[frame[CODE] == code]
    if not len(rows):
        return ""
    return flag_text(consistency_flags(rows, cache.bundle().services).iloc[0])


def info_panel(code: str, year: int, *, key: str, sections: Sequence[Section] = (),
               problems: bool = True, sites: bool = True, open_label: str | None = None,
               open_button: bool = True) -> bool:
    """Draw the unit's panel (then each page `section`); True when the user asked to open its
    children (`open_button=False`: the map already shows them). `problems=False` leaves out the
    open-problems line (the 督战 page's section lists them), `sites=False` the one-line list of
    relocation sites (the 易地搬迁 page's section tables them)."""
    names = dict(zip(cache.bundle().units[CODE].tolist(), cache.bundle().units[NAME].tolist()))
    st.markdown(f"##### {t('info.title', name=md_escape(names.get(code, code)))}")
    st.caption(md_escape(parent_chain(code, names)) + f" · {code}")
    rows = [(label, value) for label, value in figures(code, year) if value != "—" or label == t("field.status")]
    if rows:   # figures the data have (no plan year for a non-poor unit, no monitoring before 2019)
        st.markdown("  \n".join(f"{label}：**{value}**" for label, value in rows))
        problem = _consistency(code, year)
        if problem:
            st.warning(md_escape(problem))
    verdict = standard(code, year, reasons=False)
    if verdict:   # the reasons follow item by item (they name townships, data: escaped)
        st.markdown(verdict)
        met, failed = standard_items(code, year)
        if met:
            st.markdown(t("panel.met", items="、".join(md_escape(m) for m in met)))
        if failed:
            st.markdown(t("panel.failed", items="；".join(md_escape(f) for f in failed)))
    if sites:
        _sites_line(code, year)
    if problems:
        _problems_line(code)
    for section in sections:
        section(code)
    with st.expander(t("panel.history")):
        st.dataframe(history(code), hide_index=True, width="stretch", key=f"{key}.history")
    if auth.allowed("export"):
        name = t("panel.file_name", name=names.get(code, code), code=code, year=year)
        st.download_button(t("panel.download"), to_csv_bytes(panel_table(code, year)), f"{name}.csv", "text/csv",
                           key=f"{key}.csv", on_click=auth.log_export, args=("csv", f"{name}.csv"), width="stretch")
    if open_button and code_level(code) in ("county", "township"):
        return st.button(open_label or t("info.open"), key=f"{key}.open", width="stretch")
    return False


def view_panel(view: View, *, key: str, sections: Sequence[Section] = (), problems: bool = True,
               sites: bool = True, hint: str = "panel.hint") -> str | None:
    """The side panel of a map page: the selected unit's, else the view's region's (without an
    open button: the map shows its children), else a hint. Returns the code the user asked to
    open, else None."""
    unit = view.selected or (view.region if view.region != ROOT else None)
    if unit is None:
        st.caption(t(hint))
        return None
    opened = info_panel(unit, view.year, key=key, sections=sections, problems=problems, sites=sites,
                        open_button=unit != view.region)
    return unit if opened else None


def site_panel(site_id: str, year: int, *, key: str, open_button: bool = True) -> str | None:
    """Draw the panel of relocation site `site_id` as of `year`: movers, stage, occupancy,
    follow-up support, distances and the data-quality problems of its row. Returns the site's
    township code when the user asked to open it (`open_button=False`: it is shown), else None."""
    sites = ps.sites(year)
    rows = sites.loc[sites["site_id"].astype(str) == site_id]
    if not len(rows):
        return None
    row = rows.iloc[0]
    st.markdown(f"##### {t('panel.site_title', name=md_escape(row['name']))}")
    place = " ".join(md_escape(v) for v in (row["county_name"], row["township_name"]) if isinstance(v, str))
    st.caption(f"{place} · {md_escape(site_id)}")
    stage = t(f"stage.{row['stage']}") if isinstance(row["stage"], str) else t("stage.none")
    lines = [(t("site.stage"), stage),
             (t("site.households"), f"{ps.count(row['moved_households']) or '—'} / {ps.count(row['planned_households']) or '—'}"),
             (t("site.persons"), f"{ps.count(row['moved_persons']) or '—'} / {ps.count(row['planned_persons']) or '—'}"),
             (t("site.occupancy"), ps.pct(row["occupancy"]) or "—"),
             (t("site.jobs_found"), ps.count(row["jobs_found"]) or "—"),
             (t("site.industry"), ps.flag_value(row["industry"])),
             (t("site.school"), ps.flag_value(row["school_nearby"])),
             (t("site.clinic"), ps.flag_value(row["clinic_nearby"])),
             (t("site.clinic_dist"), ps.km(row["clinic_m"]) or "—"),
             (t("site.road_dist"), ps.km(row["road_m"]) or "—")]
    st.markdown("  \n".join(f"{label}：**{value}**" for label, value in lines))
    missing = row["support_missing"]
    if isinstance(missing, (list, tuple)) and missing:
        st.warning(t("panel.support_missing", items="、".join(t(f"support.{i}") for i in missing)))
    issues = ps.quality_table(ps.quality(), {site_id})
    if len(issues):
        st.markdown(t("panel.site_problems", count=len(issues)))
        st.dataframe(issues.drop(columns=[t("quality.site_id"), t("quality.name")]), hide_index=True,
                     width="stretch", key=f"{key}.quality")
    else:
        st.caption(t("panel.site_no_problems"))
    township = row["township_code"]
    if open_button and isinstance(township, str) and st.button(t("panel.site_open"), key=f"{key}.open", width="stretch"):
        return township
    return None


def site_clicked(map_key: str) -> str | None:
    """The id of a relocation-site marker clicked since the last run, once (from the map
    component's value in the session; polygon clicks are ViewState.map's)."""
    event = st.session_state.get(map_key) or {}
    drawing = event.get("last_active_drawing") or {}
    site = (drawing.get("properties") or {}).get("site_id")
    if not site:
        return None
    click_id = (str(site), str(event.get("last_object_clicked")))
    if st.session_state.get(f"{map_key}.last_site") == click_id:
        return None
    st.session_state[f"{map_key}.last_site"] = click_id
    return str(site)


# --------------------------------------------------------------------------- page sections

def services_section(year: int) -> Section:
    """基础设施: every service item of a village (has / lacks / not reported) and its gap count."""
    def draw(code: str) -> None:
        if code_level(code) != "village":
            return
        row = _row(ps.villages(year), code)
        if row is None or not row["reported"]:
            st.caption(t("panel.services_none"))
            return
        items = [*VILLAGE_SERVICES, "collective_economy"]
        st.markdown(t("panel.services", items=" · ".join(
            f"{ps.item_label(i)} {ps.flag_value(row[i])}" for i in items)))
        if row["missing"]:
            st.markdown(t("panel.services_lacking", items="、".join(ps.item_label(i) for i in row["missing"])))
    return draw


def sites_section(year: int) -> Section:
    """易地搬迁: the sites of the unit (name, stage, movers, occupancy) as a small table."""
    def draw(code: str) -> None:
        sites = ps.sites(year)
        here = sites.loc[sites["township_code"].str.startswith(_home_prefix(code))]
        if not len(here):
            return
        st.markdown(t("panel.sites_title", count=len(here)))
        st.dataframe(pd.DataFrame({
            t("site.name"): here["name"].astype(str),
            t("site.stage"): here["stage"].map(lambda v: t(f"stage.{v}") if isinstance(v, str) else ""),
            t("site.households"): here["moved_households"].map(ps.count).fillna("—") + " / "
            + here["planned_households"].map(ps.count).fillna("—"),
            t("site.occupancy"): here["occupancy"].map(ps.pct),
        }), hide_index=True, width="stretch", key=f"info.sites.{code}")
    return draw


def inspection_section(asof: pd.Timestamp) -> Section:
    """督战: the unit's open problems on `asof` (most overdue first), its projects late to start
    or finish, and listed supervision of the unit or of units below it."""
    def draw(code: str) -> None:
        names = dict(zip(cache.bundle().units[CODE].tolist(), cache.bundle().units[NAME].tolist()))
        day = f"{asof:%Y-%m-%d}"
        own = open_problems(code, asof)
        if own is not None:
            if len(own):
                overdue = int((own["state"] == "overdue").sum())
                st.markdown(t("panel.problems_title", count=len(own), date=day) + " · "
                            + t("insp.item_state.overdue") + f" {overdue}")
                table = ui_ins.problem_table(own, names)
                st.dataframe(table[[t("insp.col.unit"), t("insp.col.description"), t("insp.col.deadline"),
                                    t("insp.col.state")]], hide_index=True, width="stretch",
                             key=f"info.problems.{code}", height=min(250, 38 + 35 * len(table)))
            else:
                st.markdown(t("panel.problems_none", date=day))
        projects = ui_ins.project_states(asof)
        if projects is not None:
            mine = ins.filter_items(projects, prefix=_prefix(code))
            if len(mine):
                st.markdown(t("panel.projects_title", count=len(mine),
                              start=int((mine["state"] == "start_late").sum()),
                              finish=int((mine["state"] == "finish_late").sum())))
        supervised = ins.supervised(cache.bundle().supervision, asof.year)
        level_of = dict(zip(supervised[CODE], supervised["supervision_level"]))
        if code in level_of:
            st.warning(t("panel.supervised", level=t(f"insp.level.{level_of[code]}"), year=asof.year))
        below = [c for c in level_of if c != code and c.startswith(_prefix(code))]
        if below:
            st.markdown(t("panel.supervised_below", count=len(below)))
    return draw
