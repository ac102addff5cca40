"""An import from a delivery to a published version. Every file (or sheet / layer) of a delivery
is recognised by its content (`geo.ingest.recognise`), staged (validated completely, kept in the
caller's session, never in a global cache), then composed into one dataset in one of two modes:

- **new**: exactly what is delivered (boundary files together form one hierarchy);
- **update**: the base dataset with the delivered units and rows changed or added, everything
  else kept (an update never empties a table or drops rows of units it does not mention).

The result is cross-checked; a publish that would remove data (fewer units or rows of a kind
in a county than the active version has) needs explicit consent. Published atomically into
the Store; meta.json says which kinds still come from the bundled demo (`demo_kinds`).
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import geopandas as gpd
import pandas as pd

from geo import personal_data, rules, schema, site_rules, unit_rules
from geo.codes import ancestor_code
from geo.errors import DataError
from geo.ingest import boundaries, tables
from geo.ingest.files import Source, Upload
from geo.ingest.report import Report
from geo.ingest.store import META, BaseChanged, Store, Version
from geo.ingest.validate import check_table, code_column
from geo.read import Bundle, read_bundle, read_units
from geo.schema import CODE, LEVEL, NAME, PARENT

# Generic over the datasets declared in geo/schema.py: a new kind there is imported here too.
KINDS = tuple(schema.DATASETS)
TABLE_KINDS = tuple(k for k in KINDS if k != "units")
Mode = Literal["new", "update"]


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
    label: str = ""                     # file (: sheet / layer) as the user knows it
    headers: list[str] = field(default_factory=list)   # table headers as written
    unknown_headers: list[str] = field(default_factory=list)
    year: int | None = None             # the as-of year taken from a title row (to confirm)

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
          repair: bool = False, units: gpd.GeoDataFrame | None = None,
          mapping: dict[str, str] | None = None, year: int | None = None) -> Staged:
    """Validate one upload as `kind` completely. `pick` is a Choice label (required when the
    upload holds several layers/sheets), `crs` the user's confirmed CRS for a file without one,
    `repair` the consent to repair invalid polygons and swapped lon/lat, `units` the boundaries
    to check codes and site locations against, `mapping` the user's header -> column choices,
    `year` the as-of year of a table without a year column (else a title row's year is used)."""
    staged = Staged(kind, upload.name, report, label=pick or upload.name)
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
            staged.written = boundaries.unit_columns(layer.frame)
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
                           dataset, report, mapping=mapping, year=year)
    else:
        if source.path.suffix == ".xlsx":
            grid = tables.read_xlsx(source.path, file=source.name, sheet=chosen.part, report=report)
        else:
            grid = tables.read_csv(source.path, file=source.name, report=report)
        if grid is not None:  # personal data (ID numbers, phones) never enters the portal
            for row, column, rule, value in personal_data.scan(grid.rows):
                report.add(source.name, rule, sheet=grid.sheet, row=row, column=column, value=value)
        raw = tables.clean(grid, dataset, report, mapping=mapping, year=year) if grid is not None else None
        if raw is not None and source.path.suffix == ".xlsx":
            _check_formulas(source, chosen.part, grid, set(raw.frame.index), report)
    if raw is None:
        return staged
    staged.written = raw.written
    staged.headers = raw.headers
    staged.unknown_headers = list(raw.ignored_columns)
    if "year" in dataset.names and raw.written.get("year") == "year" and "year" in raw.frame:
        staged.year = int(raw.frame["year"].iloc[0]) if len(raw.frame) else year
    if raw.frame.empty:
        report.add(raw.file, "table_empty", sheet=raw.sheet)
        return staged
    if kind == "sites":
        raw = _complete_sites(raw, units, report, repair=repair)
    typed = check_table(raw, dataset, report, known_codes=known)
    if kind == "sites":
        typed = site_rules.check_sites(typed, units, report, file=raw.file, sheet=raw.sheet,
                                       written=raw.written, repair=repair).sites
    if report.ok:
        staged.data = typed
    return staged


def _check_formulas(source: Source, sheet: str | None, grid: tables.Grid, data_rows: set[int],
                    report: Report) -> None:
    """A formula of a data row whose cached value is missing would read as empty: an error
    naming the cell (total rows are excluded anyway)."""
    values = {number: cells for number, cells in grid.rows}
    for (row, column), formula in sorted(grid.formula_cells.items()):  # marked by the streaming reader
        if row not in data_rows:
            continue
        cells = values.get(row, [])
        if column > len(cells) or cells[column - 1] == "":
            report.add(source.name, "formula_no_value", sheet=grid.sheet, row=row,
                       column=_column_letter(column), value=formula)


def _column_letter(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _float_or_none(text: object) -> float | None:
    try:
        value = float(rules.number_text(str(text)))
    except ValueError:
        return None
    return value if value == value else None


def _complete_sites(raw: tables.RawTable, units: gpd.GeoDataFrame | None, report: Report, *,
                    repair: bool) -> tables.RawTable:
    """Sites need only a name, a location and planned households: the township comes from the
    point when its code is missing (swapped lon/lat tried with consent), missing ids are
    generated (township code + S + 2 digits). Returns a new RawTable."""
    frame = raw.frame.copy()
    written = dict(raw.written)
    for column in ("township_code", "site_id", "lon", "lat"):
        if column not in frame:
            frame[column] = ""
    lon = frame["lon"].map(_float_or_none)
    lat = frame["lat"].map(_float_or_none)
    empty_code = frame["township_code"].map(lambda v: str(v).strip() == "")
    if empty_code.any():
        found = site_rules.township_of_points(lon.where(empty_code), lat.where(empty_code), units)
        if repair:
            swapped = site_rules.township_of_points(lat.where(empty_code & found.isna()),
                                                    lon.where(empty_code & found.isna()), units)
            found = found.fillna(swapped)
        for row in frame.index[empty_code & found.notna()]:
            frame.at[row, "township_code"] = str(found[row])
            report.add(raw.file, "township_from_point", severity="info", sheet=raw.sheet, row=int(row),
                       column=written.get("township_code", written.get("lon", "lon")), value=str(found[row]))
    missing_id = frame["site_id"].map(lambda v: str(v).strip() == "")
    if missing_id.any():
        taken = set(frame["site_id"].astype(str))
        counters: dict[str, int] = {}
        for row in frame.index[missing_id]:
            town = str(frame.at[row, "township_code"]).strip()
            if not town:
                continue
            while True:
                counters[town] = counters.get(town, 0) + 1
                ident = f"{town}S{counters[town]:02d}"
                if ident not in taken:
                    break
            taken.add(ident)
            frame.at[row, "site_id"] = ident
        report.add(raw.file, "site_id_generated", severity="info", sheet=raw.sheet,
                   value=int(missing_id.sum()))
    return tables.RawTable(raw.file, raw.sheet, frame, written, raw.header_row, raw.ignored_columns,
                           raw.encoding, raw.headers)


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
    if kind == "date":
        return "" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")
    if kind == "float":
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value)


def table_csv(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """A typed table as the text the dataset folder stores (codes as text, 1/0, no `.0`)."""
    dataset = schema.DATASETS[kind]
    return pd.DataFrame({c.name: [_cell(v, c.type) for v in frame[c.name].tolist()]
                         for c in dataset.columns}, dtype=object)


def combine_units(items: list[Staged], report: Report) -> gpd.GeoDataFrame | None:
    """Several boundary files form one hierarchy: their units together (EPSG:4490); a code
    delivered by two files is an error naming both."""
    frames, origin = [], {}
    for item in items:
        frame = item.data.to_crs(schema.STORAGE_CRS)
        for row, code in enumerate(frame[CODE], start=1):
            if code in origin:
                report.add(item.label, "key_duplicate_files", row=row, column=CODE, value=code,
                           detail={"other": origin[code]})
            else:
                origin[code] = item.label
        frames.append(frame)
    if not frames:
        return None
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=schema.STORAGE_CRS)


def merge_units(new: gpd.GeoDataFrame, base: gpd.GeoDataFrame | None, report: Report, file: str) -> gpd.GeoDataFrame:
    """Update: delivered units replace the base's units of the same code, new codes are added,
    every other base unit is kept (reported as a note)."""
    new = new.to_crs(schema.STORAGE_CRS)
    if base is None:
        return new
    kept = base.loc[~base[CODE].isin(set(new[CODE]))].to_crs(schema.STORAGE_CRS)
    if len(kept):
        report.add(file, "units_kept", severity="info", value=len(kept),
                   detail={"levels": sorted(set(kept[LEVEL]))})
    return gpd.GeoDataFrame(pd.concat([new, kept], ignore_index=True), crs=schema.STORAGE_CRS)


def merge_rows(kind: str, new: pd.DataFrame, base: pd.DataFrame | None,
               columns: set[str] | None = None) -> tuple[pd.DataFrame, int]:
    """Update: a delivered row changes the base row of the same key in the columns the delivery
    has (`columns`; all when None), other columns and other rows are kept, new keys are added.
    Sites without a delivered id take the id of the base site with the same township and name.
    Returns the table and the number of base rows kept unchanged."""
    dataset = schema.DATASETS[kind]
    if base is None or base.empty:
        return new, 0
    if kind == "sites":
        known = {(t, n): i for t, n, i in zip(base["township_code"], base[NAME], base["site_id"])}
        new = new.copy()
        new["site_id"] = [known.get((t, n), i) for t, n, i in zip(new["township_code"], new[NAME], new["site_id"])]
    keys = list(dataset.key)
    changed = [c for c in dataset.names if c not in keys and (columns is None or c in columns)]
    merged = base.set_index(keys).copy()
    delivered = new.set_index(keys)
    common = delivered.index.isin(merged.index)
    positions = merged.index.get_indexer(delivered.index[common])
    for column in changed:  # positional: keys are unique on both sides (checked at staging)
        merged.iloc[positions, merged.columns.get_loc(column)] = delivered.loc[common, column].to_numpy()
    added = delivered.loc[~common]
    out = pd.concat([merged, added.astype(merged.dtypes.to_dict())]).reset_index()[dataset.names]
    return out, int(len(merged) - int(common.sum()))


def unit_places(items: list[Staged]) -> dict[str, tuple[str, str | None, int, str]]:
    """code -> (file, None, feature number, parent column as written) of every delivered unit
    (a file without a parent column: its code column, the parent comes from the code)."""
    places = {}
    for item in items:
        column = item.written.get(PARENT, item.written.get(CODE, CODE))
        for row, code in enumerate(item.data[CODE], start=1):
            places.setdefault(code, (item.label, None, row, column))
    return places


def cross_check(units: gpd.GeoDataFrame, frames: dict[str, tuple[str, pd.DataFrame, dict]], report: Report,
                places: dict[str, tuple[str, str | None, int | None, str]] | None = None) -> None:
    """Every parent exists (the units rule of geo.unit_rules, across all boundary files); every
    table code exists in `units` (all rows reported). `frames`: kind[:label] -> (file name, typed
    frame indexed by Excel row, written headers); `places`: code -> where the user delivered it
    (`unit_places`; units kept from the base are named by the dataset's boundary file)."""
    present = set(units[CODE])
    places = places or {}
    codes = units[CODE].tolist()
    unit_rules.parent_rule(units.reset_index(drop=True), report,
                           lambda i: places.get(codes[i], (schema.FILES["units"], None, None, CODE)))
    for kind, (file, frame, written) in frames.items():
        column = code_column(schema.DATASETS[kind.split(":")[0]])
        codes = frame[column]
        unknown = (codes.notna() & ~codes.isin(present)).to_numpy()
        for row, code in zip(frame.index[unknown], codes[unknown]):
            report.add(file, "code_unknown", row=int(row), column=written.get(column, column), value=code)


def _county_counts(units: gpd.GeoDataFrame, tables_: dict[str, pd.DataFrame]) -> dict[tuple[str, str], int]:
    """(kind, county code) -> number of units / rows: what a publish may not silently lose."""
    out: dict[tuple[str, str], int] = {}
    for kind, codes in [("units", units[CODE])] + [(k, f[code_column(schema.DATASETS[k])]) for k, f in tables_.items()]:
        for code in codes.dropna().astype(str):
            key = (kind, ancestor_code(code, "county"))
            out[key] = out.get(key, 0) + 1
    return out


def removals(before: Bundle, units: gpd.GeoDataFrame, tables_: dict[str, pd.DataFrame]) -> list[dict]:
    """Every (kind, county) that would have fewer units or rows after the publish, with counts."""
    old = _county_counts(before.units, {k: getattr(before, k) for k in TABLE_KINDS if getattr(before, k, None) is not None})
    new = _county_counts(units, tables_)
    names = dict(zip(before.units[CODE], before.units[NAME]))
    return [{"kind": kind, "county": county, "county_name": names.get(county, county), "before": count,
             "after": new.get((kind, county), 0)}
            for (kind, county), count in sorted(old.items()) if new.get((kind, county), 0) < count]


def base_demo_kinds(base: Path | None, bundle: Bundle | None) -> set[str]:
    """Kinds of the base dataset that are (still) the bundled demo's."""
    if base is None or bundle is None:
        return set()
    from geo import datasets  # the store module is imported by geo.datasets
    if datasets.is_demo(base):
        return {k for k in KINDS if k not in bundle.missing}
    try:
        meta = json.loads((base / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return set(meta.get("demo_kinds", []))


def _as_items(staged: dict[str, Staged] | list[Staged]) -> list[Staged]:
    return list(staged.values()) if isinstance(staged, dict) else list(staged)


def publish(store: Store, staged: dict[str, Staged] | list[Staged], *, base: str | Path | None,
            report: Report, mode: Mode = "update", allow_removal: bool = False,
            note: str = "") -> tuple[Version, Bundle] | None:
    """Compose the staged items (several per kind allowed) in `mode` with the base dataset,
    cross-check, and publish as a new version (None, with problems in `report`, when anything
    is wrong or data would be removed without `allow_removal`: nothing published)."""
    ready = [s for s in _as_items(staged) if s.ok]
    if not ready:
        report.add("", "nothing_staged")
        return None
    expected = store.active_id()  # compare-and-swap: the version this publish composes from
    base = Path(base) if base is not None else None
    before: Bundle | None = None
    if base is not None and (base / schema.FILES["units"]).is_file():
        try:
            before = read_bundle(base)
        except DataError as error:
            if mode == "update":
                report.add(error.source, error.rule, row=error.row, column=error.column, value=error.value)
                return None
    delivered_units = [s for s in ready if s.kind == "units"]
    units = combine_units(delivered_units, report)
    places = unit_places(delivered_units)
    demo = base_demo_kinds(base, before)
    kept_kinds: set[str] = set()
    if mode == "update" and before is not None:
        base_units = before.units.to_crs(schema.STORAGE_CRS)
        if units is None:
            units = base_units
            kept_kinds.add("units")
        else:
            delivered_count = len(units)
            units = merge_units(units, base_units, report, delivered_units[0].label)
            if len(units) > delivered_count:
                kept_kinds.add("units")
    if units is None:
        report.add("", "units_required", detail={"mode": mode})
        return None
    frames: dict[str, tuple[str, pd.DataFrame, dict]] = {}
    tables_: dict[str, pd.DataFrame] = {}
    untouched: set[str] = set()   # kinds copied from the base as they are
    for kind in TABLE_KINDS:
        items = [s for s in ready if s.kind == kind]
        new = None
        seen: dict[tuple, str] = {}   # key -> the file that delivered it first
        keys = list(schema.DATASETS[kind].key)
        for item in items:
            frame = item.data
            for row, key in zip(frame.index, map(tuple, frame[keys].astype(str).to_numpy().tolist())):
                if key in seen and seen[key] != item.label:
                    report.add(item.label, "key_duplicate_files", row=int(row), value=" / ".join(key),
                               detail={"other": seen[key]})
                seen.setdefault(key, item.label)
            new = frame if new is None else pd.concat([new, frame])
            frames[f"{kind}:{item.label}"] = (item.label, frame, item.written)
        base_rows = getattr(before, kind, None) if (mode == "update" and before is not None) else None
        if new is None and (base_rows is None or base_rows.empty):
            continue
        if new is None:
            tables_[kind] = base_rows
            kept_kinds.add(kind)
            untouched.add(kind)
            continue
        columns = {c for item in items for c in item.written}
        merged, kept = merge_rows(kind, new.reset_index(drop=True), base_rows, columns)
        if kept:
            kept_kinds.add(kind)
        tables_[kind] = merged
    cross_check(units, {k: v for k, v in frames.items()}, report, places)
    if not report.ok:
        return None
    if before is not None and base is not None and not _is_demo(base):
        lost = removals(before, units, tables_)
        for item in lost:
            report.add("", "data_removed", severity="warning" if allow_removal else "error",
                       value=f"{item['before']} → {item['after']}",
                       hint=None if allow_removal else "data_removed_consent",
                       detail={"kind": item["kind"], "county": item["county_name"], "code": item["county"]})
        if not report.ok:
            return None

    def write(folder: Path) -> None:
        units.to_file(folder / schema.FILES["units"], layer=schema.UNITS_LAYER, engine="pyogrio")
        for kind, frame in tables_.items():
            if kind in untouched:
                shutil.copyfile(base / schema.FILES[kind], folder / schema.FILES[kind])
            else:
                table_csv(frame, kind).to_csv(folder / schema.FILES[kind], index=False, encoding="utf-8")

    meta = {"imported": {s.label: s.kind for s in ready}, "mode": mode,
            "demo_kinds": sorted(demo & kept_kinds) if mode == "update" else [],
            "base": str(base) if base else "", "note": note,
            "rows": {k: int(len(f)) for k, f in tables_.items()},
            "years": {s.label: s.year for s in ready if s.year is not None}}
    try:
        return store.publish(write, meta, expect=expected)
    except BaseChanged as lost:  # another publish won the race: refuse, never drop it silently
        report.add("", "publish_base_changed", detail={"base": lost.expected or "-", "active": lost.active or "-"})
        return None
    except DataError as error:
        report.add(error.source, error.rule, row=error.row, column=error.column, value=error.value,
                   detail=error.detail)
        return None


def _is_demo(base: Path) -> bool:
    from geo import datasets
    return datasets.is_demo(base)


# ------------------------------------------------------------------------ a whole delivery

@dataclass
class Delivery:
    """A staged delivery: every part with its kind (guessed or chosen) and staging outcome."""

    parts: list  # list[recognise.Part]
    staged: list[Staged] = field(default_factory=list)

    def kinds(self) -> dict[str, str | None]:
        return {p.label: p.kind for p in self.parts}


def stage_delivery(uploads: list[Upload], report: Report, *, mode: Mode, base: str | Path | None,
                   kinds: dict[str, str] | None = None, crs: str | None = None, repair: bool = False,
                   mapping: dict[str, str] | None = None, years: dict[str, int] | None = None) -> Delivery:
    """Recognise and stage every part of a delivery: boundaries first (all boundary files form
    one hierarchy), then tables checked against those boundaries (update: plus the base's).
    `kinds` corrects guesses (label or file name -> kind, "" to skip a part); `years` confirms or sets the
    as-of year of a table (label -> year)."""
    from dataclasses import replace

    from geo.ingest.recognise import recognise
    kinds = kinds or {}

    def chosen(part) -> str | None:
        kind = kinds.get(part.label, kinds.get(uploads[part.upload].name, part.kind))
        return kind or None

    parts = [replace(p, kind=chosen(p)) for p in recognise(uploads, mapping=mapping)]
    skipped = {p.label for p in parts if p.kind is None and kinds.get(p.label, kinds.get(uploads[p.upload].name)) == ""}
    delivery = Delivery(parts)
    recognised_uploads = {p.upload for p in parts if p.kind is not None}
    for part in parts:
        if part.kind is None and part.label not in skipped:
            if part.pick is not None and part.upload in recognised_uploads:
                # another sheet / layer of the same file is data (e.g. a template's description sheet)
                report.add(part.label, "part_ignored", severity="info")
                continue
            report.add(part.label, "kind_unknown", hint="kind_choose",
                       detail={"headers": "、".join(h for h in part.headers if h)[:120]})
    unit_items = []
    for part in (p for p in parts if p.kind == "units"):
        item = stage("units", uploads[part.upload], report, pick=part.pick, crs=crs, repair=repair)
        item.label = part.label
        unit_items.append(item)
    delivery.staged += unit_items
    delivered = combine_units([s for s in unit_items if s.ok], Report()) if unit_items else None
    known = delivered
    if mode == "update":
        base_units = known_units(None, base)
        if base_units is not None:
            base_units = base_units.to_crs(schema.STORAGE_CRS)
            known = base_units if delivered is None else gpd.GeoDataFrame(
                pd.concat([delivered, base_units.loc[~base_units[CODE].isin(set(delivered[CODE]))]],
                          ignore_index=True), crs=schema.STORAGE_CRS)
    for part in (p for p in parts if p.kind in TABLE_KINDS):
        item = stage(part.kind, uploads[part.upload], report, pick=part.pick, crs=crs, repair=repair,
                     units=known, mapping=mapping,
                     year=(years or {}).get(part.label, (years or {}).get(uploads[part.upload].name)))
        item.label = part.label
        delivery.staged.append(item)
    if mode == "new" and not unit_items:
        report.add("", "units_required", detail={"mode": mode})
    return delivery
