"""Text encodings of uploads: CSV (UTF-8 with or without BOM, UTF-16 with BOM, GBK/GB18030) and Shapefile .dbf
(with a correct, wrong or missing .cpg). Decoding is strict: text with replacement characters
is never produced; the chosen encoding is always reported.
"""
from __future__ import annotations

import codecs
import struct
from dataclasses import dataclass
from pathlib import Path

# Tried in this order: UTF-8 is self-validating (GBK text almost never decodes as UTF-8);
# GB18030 is a superset of GBK and GB2312.
CANDIDATES = ("utf-8", "gb18030")
_SINGLE_BYTE = {"latin-1", "iso8859-1", "cp1252", "ascii", "cp437", "iso8859-15"}
# .cpg contents seen in the wild (ArcGIS writes code page numbers)
_CPG_NAMES = {"65001": "utf-8", "utf8": "utf-8", "936": "gbk", "54936": "gb18030",
              "1252": "cp1252", "ansi 1252": "cp1252", "437": "cp437", "oem": "cp437",
              "88591": "latin-1", "iso88591": "latin-1"}


@dataclass(frozen=True)
class Decision:
    """The encoding used, the one declared (if any) and whether the declaration was overruled."""

    encoding: str
    declared: str | None = None
    overruled: bool = False


class EncodingError(ValueError):
    """No candidate decodes the bytes without loss."""


def _normal(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return "\ufffd" not in text


def detect(data: bytes, declared: str | None = None) -> Decision:
    """Choose the encoding of `data`. A declared encoding is used when it decodes cleanly,
    unless it is a single-byte code page that would silently turn Chinese into mojibake."""
    if data.startswith(codecs.BOM_UTF8):
        return Decision("utf-8-sig", declared)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text"
        if _decodes(data, "utf-16"):
            return Decision("utf-16", declared)
        raise EncodingError(declared or "")
    declared_norm = _normal(declared) if declared else None
    if declared_norm and _decodes(data, declared_norm):
        single = declared_norm in {_normal(n) for n in _SINGLE_BYTE}
        if not single or data.isascii():
            return Decision(declared_norm, declared)
    for candidate in CANDIDATES:
        if _decodes(data, candidate):
            return Decision(candidate, declared, overruled=declared is not None)
    raise EncodingError(declared or "")


def cpg_encoding(path: Path) -> str | None:
    """The encoding a .cpg file declares, or None when there is no .cpg."""
    if not path.exists():
        return None
    raw = path.read_bytes().decode("ascii", errors="replace").strip()
    key = raw.lower().replace("-", "").replace("_", "")
    return _CPG_NAMES.get(key, raw)


def dbf_text_bytes(path: Path) -> bytes:
    """The record bytes of a .dbf (header skipped), which carry every attribute's text."""
    data = path.read_bytes()
    if len(data) < 32:
        return b""
    header_length = struct.unpack("<H", data[8:10])[0]
    return data[header_length:].rstrip(b"\x1a")


def detect_dbf(shp: Path) -> Decision:
    """Encoding of the .dbf beside `shp`, checking its .cpg (if any) against the bytes."""
    return detect(dbf_text_bytes(shp.with_suffix(".dbf")), cpg_encoding(shp.with_suffix(".cpg")))


def pyogrio_name(encoding: str) -> str:
    """Name GDAL/iconv understands for a Python codec name."""
    return {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "gb18030": "GB18030", "gbk": "GBK"}.get(encoding, encoding)
