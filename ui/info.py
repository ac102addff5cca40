"""Info panel of one unit (the clicked or selected one): its figures, status history (plan vs
actual exit), the exit standard it meets or fails with reasons, consistency problems, and the
relocation sites of its township; a button opens its children."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.codes import code_level, parent_code
from geo.consistency import consistency_flags
from geo.schema import CODE, NAME, YEARS
from geo.view import parent_chain
from ui import cache
from ui import pages_support as ps
from ui.maps import flag_text
from ui.escape import md_escape
from ui.text import t


def _row(frame: pd.DataFrame, code: str) -> pd.Series | None:
    rows = frame.loc[frame[CODE] == code]
    return rows.iloc[0] if len(rows) else None


def history(code: str) -> pd.DataFrame:
    """Status, remaining poor and incidence of `code` at the end of every campaign year."""
    out = []
    for year in YEARS:
        row = _row(cache.figures(year), code)
        if row is None:
            continue
        out.append({t("info.year"): str(year),
                    t("field.status"): t(f"status.{row['status'] if isinstance(row['status'], str) else 'no_data'}"),
                    t("field.remaining_poor"): ps.count(row["remaining_poor"]) or "—",
                    t("field.incidence"): ps.pct(row["incidence"]) or "—"})
    return pd.DataFrame(out)


def standard(code: str, year: int) -> str:
    """'一低五有：达标' / '乡三有：未达标（缺卫生院）' / '一低三有：…' of the unit in `year`."""
    level = code_level(code)
    frame, key = {"village": (ps.villages, "svc.compliance"), "township": (ps.townships, "svc.township_compliance"),
                  "county": (ps.counties, "svc.county_compliance")}[level]
    row = _row(frame(year), code)
    if row is None:
        return ""
    verdict = t("svc.compliant") if row["compliant"] is True else t("svc.not_compliant")
    reasons = ps.reasons_text(row["reasons"])
    return t("info.standard", standard=t(key), verdict=verdict) + (f"（{reasons}）" if reasons else "")


def info_panel(code: str, year: int, *, key: str) -> bool:
    """Draw the unit's panel; True when the user asked to open its children."""
    data = cache.bundle()
    names = dict(zip(data.units[CODE].tolist(), data.units[NAME].tolist()))
    row = _row(cache.figures(year), code)
    st.markdown(f"##### {t('info.title', name=md_escape(names.get(code, code)))}")
    st.caption(md_escape(parent_chain(code, names)) + f" · {code}")
    if row is not None:
        plan = "—" if pd.isna(row["planned_exit_year"]) else str(int(row["planned_exit_year"]))
        actual = "—" if pd.isna(row["actual_exit_year"]) else str(int(row["actual_exit_year"]))
        st.markdown(t("info.exit", plan=plan, actual=actual))
        figures = cache.figures(year)
        problem = flag_text(consistency_flags(figures.loc[figures[CODE] == code], data.services).iloc[0])
        if problem:
            st.warning(md_escape(problem))
    verdict = standard(code, year)
    if verdict:
        st.markdown(verdict)
    st.dataframe(history(code), hide_index=True, width="stretch", key=f"{key}.history")
    township = code if code_level(code) == "township" else (
        parent_code(code) if code_level(code) == "village" else None)
    sites = ps.sites(year)
    if township is not None:
        here = sites.loc[sites["township_code"] == township]
    else:
        here = sites.loc[sites["township_code"].str.startswith(code[:6])]
    if len(here):
        st.markdown(t("info.sites", count=len(here), names="、".join(md_escape(n) for n in here["name"].astype(str).head(5))))
    if code_level(code) in ("county", "township"):
        return st.button(t("info.open"), key=f"{key}.open", width="stretch")
    return False



