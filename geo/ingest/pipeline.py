"""An import from upload to published version: stage each kind (validated completely, kept in
the caller's session, never in a global cache), then compose a complete dataset with the other
kinds of the base version, cross-check it, and publish it atomically into the Store.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import schema
from geo.errors import DataError
from geo.ingest import boundaries, tables
from geo.ingest.files import Source, Upload
from geo.ingest.report import Report
from geo.ingest.store import BaseChanged, Store, Version
from geo.ingest.validate import check_table, code_column
from geo.read import Bundle, read_table, read_units
from geo.schema import CODE, LEVEL, PARENT

KINDS = ("units", "exit_status", "services", "sites")
TABLE_KINDS = ("exit_status", "services", "sites")


@dataclass(frozen=True)
class Choice:
    """One pickable dataset inside an upload: a source and (GeoPackage) a layer or (XLSX) a sheet."""

    source: int
    part: str | None
    label: str


@dataclass
class Staged:
    """The outcome of staging one upload as one kind; `data` is None unless the report is ok."""

    kind: str
    file: str
    report: Report
    data: pd.DataFrame | None = None
    choices: list[Choice] = field(default_factory=list)
    chosen: Choice | None = None
    crs_candidates: list[str] = field(default_factory=list)
    written: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.data is not None and self.report.ok


def choices(upload: Upload, kind: str) -> list[Choice]:
    """Every dataset of `upload` usable as `kind` (layer picker when there are several)."""
    out = []
    for index, source in enumerate(upload.sources):
        if source.kind == "vector" and kind in ("units", "sites"):
            layers = boundaries.layer_names(source)
            if len(layers) > 1:
                out += [Choice(index, name, f"{source.name} : {name}") for name in layers]
            else:
                out.append(Choice(index, layers[0] if layers else None, source.name))
        elif source.kind == "table" and kind in TABLE_KINDS:
            if source.path.suffix == ".xlsx":
                sheets = tables.xlsx_sheets(source.path)
                out += [Choice(index, name, f"{source.name} : {name}") for name in sheets] \
                    if len(sheets) > 1 else [Choice(index, sheets[0] if sheets else None, source.name)]
            else:
                out.append(Choice(index, None, source.name))
    return out


def known_units(units: gpd.GeoDataFrame | None, base: str | Path | None) -> gpd.GeoDataFrame | None:
    """The boundaries tables will be published with: staged ones, else the base version's."""
    if units is not None:
        return units
    if base is not None and (Path(base) / schema.FILES["units"]).is_file():
        try:
            return read_units(Path(base) / schema.FILES["units"])
        except DataError:
            return None
    return None


def stage(kind: str, upload: Upload, report: Report, *, pick: str | None = None, crs: str | None = None,
          repair: bool = False, units: gpd.GeoDataFrame | None = None) -> Staged:
    """Validate one upload as `kind` completely. `pick` is a Choice label (required when the
    upload holds several layers/sheets), `crs` the user's confirmed CRS for a file without one,
    `repair` the consent to repair invalid polygons, `units` the boundaries to check codes and
    site locations against."""
    staged = Staged(kind, upload.name, report)
    if not report.ok:
        return staged
    staged.choices = choices(upload, kind)
    if not staged.choices:
        report.add(upload.name, "no_dataset_found", detail={"kind": kind})
        return staged
    if pick is None and len(staged.choices) > 1:
        report.add(upload.name, "layer_choose", severity="info",
                   detail={"choices": [c.label for c in staged.choices]})
        return staged
    chosen = staged.choices[0] if pick is None else next((c for c in staged.choices if c.label == pick), None)
    if chosen is None:
        report.add(upload.name, "layer_unknown", value=pick)
        return staged
    staged.chosen = chosen
    source: Source = upload.sources[chosen.source]
    if kind == "units":
        layer = boundaries.read_layer(source, report, layer=chosen.part)
        if layer is not None:
            staged.data = boundaries.check_units(layer, report, crs=crs, repair=repair)
            _note_candidates(staged)
        return staged
    dataset = schema.DATASETS[kind]
    known = set(units[CODE]) if units is not None else None
    if source.kind == "vector":  # sites as points
        layer = boundaries.read_layer(source, report, layer=chosen.part)
        text = boundaries.site_points(layer, report, crs=crs) if layer is not None else None
        _note_candidates(staged)
        if text is None:
            return staged
        raw = tables.clean(tables.Grid(source.name, chosen.part,
                                       [(0, list(text.columns))] + [(int(i), list(r)) for i, r in
                                                                    zip(text.index, text.itertuples(index=False))]),
                           dataset, report)
    else:
        if source.path.suffix == ".xlsx":
            grid = tables.read_xlsx(source.path, file=source.name, sheet=chosen.part, report=report)
        else:
            grid = tables.read_csv(source.path, file=source.name, report=report)
        raw = tables.clean(grid, dataset, report) if grid is not None else None
    if raw is None:
        return staged
    staged.written = raw.written
    typed = check_table(raw, dataset, report, known_codes=known)
    if kind == "sites":
        boundaries.check_site_locations(source.name, typed, units, report, written=raw.written,
                                        sheet=raw.sheet)
    if report.ok:
        staged.data = typed
    return staged


def _note_candidates(staged: Staged) -> None:
    for problem in staged.report.problems:
        if problem.rule == "crs_missing":
            staged.crs_candidates = list(problem.detail.get("candidates", []))


# ------------------------------------------------------------------------ composing a version

def _cell(value: object, kind: str) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if kind == "bool":
        return "1" if bool(value) else "0"
    if kind in ("int", "year"):
        return str(int(value))
    if kind == "float":
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value)


def table_csv(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """A typed table as the text the dataset folder stores (codes as text, 1/0, no `.0`)."""
    dataset = schema.DATASETS[kind]
    return pd.DataFrame({c.name: [_cell(v, c.type) for v in frame[c.name].tolist()]
                         for c in dataset.columns}, dtype=object)


def merge_units(new: gpd.GeoDataFrame, base: gpd.GeoDataFrame | None, report: Report, file: str) -> gpd.GeoDataFrame:
    """New units replace the base's units of the levels they contain; other levels are kept
    (so county, township and village files can be imported one after another)."""
    new = new.to_crs(schema.STORAGE_CRS)
    if base is None:
        return new
    levels = set(new[LEVEL])
    kept = base.loc[~base[LEVEL].isin(levels)].to_crs(schema.STORAGE_CRS)
    if len(kept):
        report.add(file, "units_kept", severity="info", value=len(kept),
                   detail={"levels": sorted(set(kept[LEVEL]))})
    return gpd.GeoDataFrame(pd.concat([new, kept], ignore_index=True), crs=schema.STORAGE_CRS)


def cross_check(units: gpd.GeoDataFrame, frames: dict[str, tuple[str, pd.DataFrame, dict]], report: Report) -> None:
    """Every parent exists; every table code exists in `units` (all rows reported).
    `frames`: kind -> (file name, typed frame indexed by Excel row, written headers)."""
    present = set(units[CODE])
    orphan = (units[LEVEL] != "county").to_numpy() & ~units[PARENT].isin(present).to_numpy()
    for index in orphan.nonzero()[0]:
        report.add(schema.FILES["units"], "parent_unknown", row=int(index) + 1, column=PARENT,
                   value=units[PARENT].iloc[index], detail={"code": units[CODE].iloc[index]})
    for kind, (file, frame, written) in frames.items():
        column = code_column(schema.DATASETS[kind])
        codes = frame[column]
        unknown = (codes.notna() & ~codes.isin(present)).to_numpy()
        for row, code in zip(frame.index[unknown], codes[unknown]):
            report.add(file, "code_unknown", row=int(row), column=written.get(column, column), value=code)


def publish(store: Store, staged: dict[str, Staged], *, base: str | Path | None, report: Report,
            note: str = "") -> tuple[Version, Bundle] | None:
    """Compose staged kinds with the base folder's other kinds, cross-check, and publish as a
    new version (None, with problems in `report`, when anything is wrong: nothing published)."""
    ready = {k: s for k, s in staged.items() if s.ok}
    if not ready:
        report.add("", "nothing_staged")
        return None
    expected = store.active_id()  # compare-and-swap: the version this publish composes from
    base = Path(base) if base is not None else None
    base_units = known_units(None, base)
    if "units" in ready:
        units = merge_units(ready["units"].data, base_units, report, ready["units"].file)
    elif base_units is not None:
        units = base_units.to_crs(schema.STORAGE_CRS)
    else:
        report.add(schema.FILES["units"], "base_missing")
        return None
    frames: dict[str, tuple[str, pd.DataFrame, dict]] = {}
    for kind in TABLE_KINDS:
        if kind in ready:
            frames[kind] = (ready[kind].file, ready[kind].data, ready[kind].written)
            continue
        path = base / schema.FILES[kind] if base is not None else None
        if path is None or not path.is_file():
            report.add(schema.FILES[kind], "base_missing")
            return None
        try:
            frame = read_table(path, schema.DATASETS[kind])
        except DataError as error:
            report.add(error.source, error.rule, row=error.row, column=error.column, value=error.value)
            return None
        frame.index = frame.index + 2  # Excel rows of a plain CSV
        frames[kind] = (schema.FILES[kind], frame, {})
    cross_check(units, frames, report)
    if not report.ok:
        return None

    def write(folder: Path) -> None:
        units.to_file(folder / schema.FILES["units"], layer=schema.UNITS_LAYER, engine="pyogrio")
        for kind in TABLE_KINDS:
            target = folder / schema.FILES[kind]
            if kind in ready:
                table_csv(ready[kind].data, kind).to_csv(target, index=False, encoding="utf-8")
            else:
                shutil.copyfile(base / schema.FILES[kind], target)

    meta = {"imported": {k: s.file for k, s in ready.items()}, "base": str(base) if base else "",
            "note": note}
    try:
        return store.publish(write, meta, expect=expected)
    except BaseChanged as lost:  # another publish won the race: refuse, never drop it silently
        report.add("", "publish_base_changed", detail={"base": lost.expected or "-", "active": lost.active or "-"})
        return None
    except DataError as error:
        report.add(error.source, error.rule, row=error.row, column=error.column, value=error.value,
                   detail=error.detail)
        return None
