"""Recognise what each file of a delivery is, by its content: boundaries of which level(s) from
the codes, sites from point geometries or from coordinate / township-code headers, and which
table kind from its headers (scored against every dataset declared in geo/schema.py, so a new
kind there is recognised too). The user can correct every guess.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from geo import schema
from geo.codes import CodeError, code_level, normalize_code
from geo.ingest import boundaries, tables
from geo.ingest.files import Upload
from geo.ingest.report import Report
from geo.schema import CODE

GENERIC = {schema.CODE, schema.NAME, schema.YEAR}  # headers every table kind shares


@dataclass(frozen=True)
class Part:
    """One dataset of a delivery (a file, or one sheet / layer of it) and what it looks like."""

    upload: int                    # index of the upload in the delivery
    pick: str | None               # the Choice label to stage it with (several sheets / layers)
    label: str                     # "file" or "file : sheet"
    kind: str | None               # the guess (None: not recognised, the user must choose)
    levels: tuple[str, ...] = ()   # unit levels found in the codes (boundaries)
    headers: tuple[str, ...] = ()  # table headers as written
    matched: tuple[str, ...] = ()  # schema columns the headers matched


def _levels(frame) -> tuple[str, ...]:
    column = boundaries._find_column(frame, CODE)
    if column is None:
        return ()
    found = Counter()
    for value in frame[column].tolist():
        try:
            found[code_level(normalize_code(value))] += 1
        except CodeError:
            continue
    return tuple(level for level in ("county", "township", "village") if found[level])


def table_kind(grid: tables.Grid, mapping: dict[str, str] | None = None) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    """(kind, headers as written, columns matched) of a table grid by its headers: the kind with
    the most specific columns recognised; sites need coordinates or a township code."""
    scores = []
    best_headers: tuple[str, ...] = ()
    for kind, dataset in schema.DATASETS.items():
        if kind == "units":
            continue
        matched, headers = tables.header_match(grid, dataset, mapping)
        specific = matched - GENERIC
        if kind == "sites" and not ({"lon", "lat"} <= matched or "township_code" in matched):
            specific = set()
        if len(matched) < 2:  # one matching word is no table (e.g. a description sheet)
            specific = set()
        scores.append((len(specific), kind, tuple(headers), tuple(sorted(matched))))
        if len(headers) > len(best_headers):
            best_headers = tuple(headers)
    scores.sort(key=lambda s: -s[0])
    if not scores or scores[0][0] == 0 or (len(scores) > 1 and scores[1][0] == scores[0][0]):
        return None, best_headers, ()
    return scores[0][1], scores[0][2], scores[0][3]


def recognise(uploads: list[Upload], *, mapping: dict[str, str] | None = None) -> list[Part]:
    """Every dataset of every upload with its guessed kind (problems of reading are reported
    again when the part is staged, so a throwaway report is used here)."""
    from geo.ingest.pipeline import choices  # pipeline imports this module's users
    parts: list[Part] = []
    for index, upload in enumerate(uploads):
        for kind_hint in ("units", "exit_status"):
            options = choices(upload, kind_hint)
            for choice in options:
                source = upload.sources[choice.source]
                if (source.kind == "vector") != (kind_hint == "units"):
                    continue
                pick = choice.label if len(options) > 1 else None
                label = choice.label if source.name == upload.name else f"{upload.name} : {choice.label}"
                choice = replace(choice, label=label)  # the label names the zip a member came from
                scratch = Report()
                if source.kind == "vector":
                    layer = boundaries.read_layer(source, scratch, layer=choice.part)
                    if layer is None:
                        parts.append(Part(index, pick, choice.label, None))
                        continue
                    geoms = layer.frame.geometry.values
                    types = {g.geom_type for g in geoms if g is not None}
                    if types and types <= {"Point", "MultiPoint"}:
                        parts.append(Part(index, pick, choice.label, "sites",
                                          headers=tuple(str(c) for c in layer.frame.columns if c != "geometry")))
                    else:
                        levels = _levels(layer.frame)
                        parts.append(Part(index, pick, choice.label, "units" if len(np.asarray(geoms)) else None,
                                          levels=levels))
                    continue
                if source.path.suffix == ".xlsx":
                    grid = tables.read_xlsx(source.path, file=source.name, sheet=choice.part, report=scratch)
                else:
                    grid = tables.read_csv(source.path, file=source.name, report=scratch)
                if grid is None:
                    parts.append(Part(index, pick, choice.label, None))
                    continue
                kind, headers, matched = table_kind(grid, mapping)
                parts.append(Part(index, pick, choice.label, kind, headers=headers, matched=matched))
    return parts
