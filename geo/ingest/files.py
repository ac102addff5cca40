"""Safe handling of uploaded files: size limit, zip limits (members, total size, ratio), zip-slip,
`__MACOSX`, upper-case extensions, missing Shapefile sidecars, and server-generated paths only.

Nothing a user typed or named ever becomes a path: every file handed to GDAL is written by this
module under a fresh staging folder with a generated name (`src_<n>.<ext>`); the name as the
user wrote it is kept only for messages.
"""
from __future__ import annotations

import io
import os
import shutil
import stat
import struct
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from geo import settings
from geo.ingest.report import Report

MAX_MEMBERS = 200                      # zip members (directories included)
MAX_UNCOMPRESSED = 500 * 1024 * 1024   # total uncompressed bytes of a zip
MAX_RATIO = 100                        # uncompressed / compressed, per member and overall
_CHUNK = 1 << 16


def max_upload_bytes() -> int:
    """The largest accepted file, from the `max_upload_mb` setting (= server.maxUploadSize)."""
    return settings.get("max_upload_mb") * 1024 * 1024

VECTOR_EXTENSIONS = {".shp": "ESRI Shapefile", ".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON"}
TABLE_EXTENSIONS = {".csv", ".xlsx"}
SHAPEFILE_REQUIRED = (".shx", ".dbf")
SHAPEFILE_OPTIONAL = (".prj", ".cpg")
_IGNORED_PARTS = {"__MACOSX", ".DS_Store", "Thumbs.db"}

@dataclass(frozen=True)
class Source:
    """One readable dataset inside an upload. `path` is server-generated; `name` is as written."""

    name: str           # e.g. "边界/乡镇.SHP" (for messages)
    path: Path          # e.g. <staging>/src_1.shp
    kind: str           # "vector" or "table"
    driver: str = ""    # OGR driver for vector sources
    sidecars: tuple[str, ...] = ()  # lower-case extensions present next to a .shp


@dataclass
class Upload:
    """What an upload unpacked to: its sources and the staging folder that holds them."""

    name: str
    folder: Path
    sources: list[Source] = field(default_factory=list)

    def cleanup(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def new_staging(root: str | os.PathLike | None = None) -> Path:
    """A fresh private folder for one upload (0700), under `root` or the system temp dir."""
    if root is not None:
        Path(root).mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="upload-", dir=root))


def _member_name(info: zipfile.ZipInfo) -> str:
    """Member name as the user wrote it: the UTF-8 flag first; then bytes that are valid UTF-8
    (Linux/macOS `zip` writes UTF-8 without the flag); then GB18030 (Chinese Windows)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _unsafe(name: str) -> bool:
    """Absolute paths, drive letters, `..` and backslash tricks (zip-slip)."""
    posix = name.replace("\\", "/")
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":"):
        return True
    return any(part == ".." for part in PurePosixPath(posix).parts)


def _ignored(name: str) -> bool:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return any(p in _IGNORED_PARTS or p.startswith("._") for p in parts)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def check_zip_limits(archive: zipfile.ZipFile, *, name: str, report: Report) -> bool:
    """Members, total size, compression ratio (overall and per member), unsafe names, encrypted
    members: True when the archive may be opened. Also applied to .xlsx uploads (a zip)."""
    infos = archive.infolist()
    encrypted = [_member_name(i) for i in infos if i.flag_bits & 0x1]
    if encrypted:
        report.add(name, "zip_encrypted", value=encrypted[0])
        return False
    if len(infos) > MAX_MEMBERS:
        report.add(name, "zip_too_many_members", value=len(infos), detail={"limit": MAX_MEMBERS})
        return False
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    if total > MAX_UNCOMPRESSED:
        report.add(name, "zip_too_large", value=total, detail={"limit_mb": MAX_UNCOMPRESSED // (1024 * 1024)})
        return False
    if packed and total / packed > MAX_RATIO:
        report.add(name, "zip_ratio", value=round(total / packed), detail={"limit": MAX_RATIO})
        return False
    ok = True
    for info in infos:
        member = _member_name(info)
        if _unsafe(member) or _is_symlink(info):
            report.add(name, "zip_unsafe_member", value=member)
            ok = False
        elif info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
            report.add(name, "zip_ratio", value=member, detail={"limit": MAX_RATIO})
            ok = False
    return ok


def unpack_zip(data: bytes, *, name: str, folder: Path, report: Report) -> dict[str, Path]:
    """Check a zip against the limits and extract its regular members into `folder` under
    generated names. Returns {member name as written: extracted path}; problems go to `report`
    (any limit breach: nothing is extracted)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError):  # truncated or forged central directory
        report.add(name, "zip_corrupt")
        return {}
    with archive:
        if not check_zip_limits(archive, name=name, report=report):
            return {}
        try:
            return _extract(archive, name=name, folder=folder, report=report)
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, RuntimeError):
            # bad CRC, truncated member, unknown compression method: a corrupt archive
            report.add(name, "zip_corrupt")
            return {}


def _extract(archive: zipfile.ZipFile, *, name: str, folder: Path, report: Report) -> dict[str, Path]:
    """Extract the regular members of a checked archive under generated names."""
    infos = archive.infolist()
    out: dict[str, Path] = {}
    written = 0
    for number, info in enumerate(infos, start=1):
        member = _member_name(info)
        if info.is_dir() or _ignored(member):
            continue
        suffix = PurePosixPath(member.replace("\\", "/")).suffix.lower()
        target = folder / f"m{number}{suffix}"
        # Sizes in the header can lie: count the bytes actually inflated.
        inflated = 0
        with archive.open(info) as src, open(target, "wb") as dst:
            while chunk := src.read(_CHUNK):
                written += len(chunk)
                inflated += len(chunk)
                if written > MAX_UNCOMPRESSED:
                    report.add(name, "zip_too_large", value=written,
                               detail={"limit_mb": MAX_UNCOMPRESSED // (1024 * 1024)})
                    return {}
                if inflated > MAX_RATIO * info.compress_size + _CHUNK:
                    report.add(name, "zip_ratio", value=member, detail={"limit": MAX_RATIO})
                    return {}
                dst.write(chunk)
        out[member] = target
    return out


def _stem_key(name: str) -> tuple[str, str]:
    path = PurePosixPath(name.replace("\\", "/"))
    return str(path.parent / path.stem).lower(), path.suffix.lower()


def collect_sources(files: dict[str, Path], *, name: str, folder: Path, report: Report) -> list[Source]:
    """Group files (name as written -> server path) into readable sources with generated names;
    a Shapefile missing its .shx or .dbf is reported naming what is missing."""
    groups: dict[str, dict[str, tuple[str, Path]]] = {}
    for written, path in files.items():
        stem, suffix = _stem_key(written)
        groups.setdefault(stem, {})[suffix] = (written, path)
    sources: list[Source] = []
    counter = 0
    for stem, members in sorted(groups.items()):
        for suffix, (written, path) in sorted(members.items()):
            if suffix in (".shx", ".dbf", ".prj", ".cpg", ".sbn", ".sbx", ".xml", ".qix", ".qmd"):
                if ".shp" not in members and suffix in (".shx", ".dbf"):
                    report.add(name, "shapefile_missing_part", value=written, detail={"missing": ".shp"})
                continue
            if suffix == ".shp":
                missing = [ext for ext in SHAPEFILE_REQUIRED if ext not in members]
                if missing:
                    report.add(name, "shapefile_missing_part", value=written,
                               detail={"missing": "、".join(missing)})
                    continue
                counter += 1
                base = folder / f"src_{counter}"
                present = []
                for ext in (".shp", *SHAPEFILE_REQUIRED, *SHAPEFILE_OPTIONAL):
                    if ext in members:
                        shutil.move(members[ext][1], base.with_suffix(ext))
                        present.append(ext)
                source = Source(written, base.with_suffix(".shp"), "vector", VECTOR_EXTENSIONS[".shp"],
                                tuple(present))
                bad = source_problem(source)
                if bad:
                    member = members[bad[0]][0]
                    report.add(name, bad[1], value=member, detail=bad[2])
                    continue
                sources.append(source)
            elif suffix in VECTOR_EXTENSIONS or suffix in TABLE_EXTENSIONS:
                counter += 1
                target = folder / f"src_{counter}{suffix}"
                shutil.move(path, target)
                if suffix in TABLE_EXTENSIONS:
                    source = Source(written, target, "table")
                else:
                    source = Source(written, target, "vector", VECTOR_EXTENSIONS[suffix])
                bad = source_problem(source)
                if bad:
                    report.add(name, bad[1], value=written, detail=bad[2])
                    continue
                sources.append(source)
            else:
                report.add(name, "file_type_ignored", severity="warning", value=written)
    return sources


# ------------------------------------------------------------------ content checks (magic numbers)
# Every file handed to GDAL or a spreadsheet reader is checked here against what its extension
# declares, so e.g. an OGR VRT (XML naming other files) renamed to .shp never reaches a driver.
_SHP_TYPES = {0, 1, 3, 5, 8, 11, 13, 15, 18, 21, 23, 25, 28, 31}
_DBF_VERSIONS = {0x02, 0x03, 0x04, 0x05, 0x30, 0x31, 0x32, 0x43, 0x63, 0x83, 0x8B, 0x8E, 0xCB, 0xF5, 0xFB}
_GPKG_IDS = {b"GPKG", b"GP10", b"GP11"}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"   # encrypted OOXML or a legacy .xls
_BINARY_MAGIC = (b"PK\x03\x04", _OLE, b"SQLite format 3\x00", b"%PDF", b"\x89PNG")
MAX_SIDECAR_BYTES = 64 * 1024      # .prj / .cpg are a line of text
_XML_PROLOG_BYTES = 64 * 1024
EXPECTED = {".shp": "Shapefile (.shp)", ".shx": "Shapefile (.shx)", ".dbf": "dBASE (.dbf)",
            ".prj": "Shapefile (.prj)", ".cpg": "Shapefile (.cpg)", ".gpkg": "GeoPackage",
            ".geojson": "GeoJSON", ".json": "GeoJSON", ".xlsx": "Excel (.xlsx)", ".csv": "CSV"}

Bad = tuple[str, str, dict]   # (extension of the offending member, rule, detail)


def _head(path: Path, size: int) -> bytes:
    """The first `size` bytes of a file."""
    with open(path, "rb") as f:
        return f.read(size)


def _mismatch(suffix: str) -> tuple[str, dict]:
    """The problem "content does not match the extension `suffix`"."""
    return "content_mismatch", {"expected": EXPECTED[suffix]}


def _shape_header_ok(path: Path) -> bool:
    """ESRI Shapefile main/index header: file code 9994 (big-endian), version 1000, a shape type."""
    head = _head(path, 100)
    if len(head) < 100:
        return False
    code, = struct.unpack(">i", head[:4])
    version, shape_type = struct.unpack("<ii", head[28:36])
    return code == 9994 and version == 1000 and shape_type in _SHP_TYPES


def _dbf_header_ok(path: Path) -> bool:
    """dBASE header: a known version byte, header and record lengths that fit the file."""
    head = _head(path, 32)
    if len(head) < 32 or head[0] not in _DBF_VERSIONS:
        return False
    records, header_length, record_length = struct.unpack("<IHH", head[4:12])
    size = path.stat().st_size
    if header_length < 33 or header_length > size or record_length < 1:
        return False
    return header_length + records * record_length <= size + 1   # +1: optional 0x1A end marker


def _sidecar_ok(path: Path) -> bool:
    """.prj / .cpg: a short line of text, never markup or binary."""
    if path.stat().st_size > MAX_SIDECAR_BYTES:
        return False
    data = path.read_bytes()
    text = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    return b"\x00" not in data and not text.startswith(b"<")


def _xlsx_problem(path: Path) -> tuple[str, dict] | None:
    """An OOXML workbook: a zip holding [Content_Types].xml and xl/workbook.xml, no DTDs."""
    head = _head(path, 8)
    if head.startswith(_OLE):
        return "xlsx_encrypted_or_xls", {}
    if not head.startswith(b"PK\x03\x04"):
        return _mismatch(".xlsx")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if any(i.flag_bits & 0x1 for i in archive.infolist()):
                return "zip_encrypted", {}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                return "xlsx_not_workbook", {}
            for info in archive.infolist():
                if info.filename.endswith((".xml", ".rels")) and _declares_dtd(archive, info):
                    return "xml_unsafe", {"member": info.filename}
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, RuntimeError):
        return "file_corrupt", {}
    return None


def _declares_dtd(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """True when an XML part declares a DTD or entities (XML bombs need one; OOXML never has one)."""
    with archive.open(info) as src:
        prolog = src.read(_XML_PROLOG_BYTES)
    if prolog.startswith((b"\xff\xfe", b"\xfe\xff")):     # UTF-16 XML: decode before looking
        prolog = prolog.decode("utf-16", errors="ignore").encode("utf-8")
    return b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper()


def _csv_ok(path: Path) -> bool:
    """Text: no binary container, no NUL bytes (unless UTF-16 with its BOM)."""
    head = _head(path, 4096)
    if head.startswith(_BINARY_MAGIC):
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    return b"\x00" not in head


def content_problem(path: Path, suffix: str) -> tuple[str, dict] | None:
    """(rule, detail) when the bytes at `path` are not what `suffix` declares, else None."""
    if not path.is_file():
        return "file_missing", {}
    if suffix in (".shp", ".shx"):
        return None if _shape_header_ok(path) else _mismatch(suffix)
    if suffix == ".dbf":
        return None if _dbf_header_ok(path) else _mismatch(suffix)
    if suffix in (".prj", ".cpg"):
        return None if _sidecar_ok(path) else _mismatch(suffix)
    if suffix == ".gpkg":
        head = _head(path, 100)
        ok = head.startswith(b"SQLite format 3\x00") and head[68:72] in _GPKG_IDS
        return None if ok else _mismatch(suffix)
    if suffix in (".geojson", ".json"):
        text = _head(path, 4096).lstrip(b"\xef\xbb\xbf \t\r\n")
        return None if text.startswith(b"{") else _mismatch(suffix)
    if suffix == ".xlsx":
        return _xlsx_problem(path)
    if suffix == ".csv":
        return None if _csv_ok(path) else ("file_not_text", {})
    return "file_type_unsupported", {}


def source_problem(source: Source) -> Bad | None:
    """The first member of `source` (a Shapefile: every part present) whose content does not
    match its extension, as (extension, rule, detail); None when all match."""
    suffixes = source.sidecars if source.driver == "ESRI Shapefile" else (source.path.suffix.lower(),)
    for suffix in suffixes:
        found = content_problem(source.path.with_suffix(suffix), suffix)
        if found:
            return suffix, found[0], found[1]
    return None


def receive(data: bytes, *, name: str, report: Report, staging_root: str | os.PathLike | None = None) -> Upload:
    """Stage one uploaded file (bytes + the name as written) into a fresh folder. Zips are
    checked and unpacked; everything else is written under a generated name."""
    folder = new_staging(staging_root)
    upload = Upload(name=name, folder=folder)
    try:
        return _receive(data, upload, report)
    except BaseException:
        upload.cleanup()      # never leave a staging folder behind, whatever failed
        raise


def _receive(data: bytes, upload: Upload, report: Report) -> Upload:
    """Body of `receive` (the caller removes the folder when this raises)."""
    name, folder = upload.name, upload.folder
    if len(data) > max_upload_bytes():
        report.add(name, "file_too_large", value=len(data), detail={"limit_mb": settings.get("max_upload_mb")})
        return upload
    suffix = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    if suffix == ".zip":
        files = unpack_zip(data, name=name, folder=folder, report=report)
        if not files and report.ok:
            report.add(name, "zip_empty")
    elif suffix in VECTOR_EXTENSIONS or suffix in TABLE_EXTENSIONS:
        if suffix == ".shp":
            report.add(name, "shapefile_missing_part", value=name, detail={"missing": ".shx、.dbf"})
            return upload
        if suffix == ".xlsx":
            if data.startswith(_OLE):
                report.add(name, "xlsx_encrypted_or_xls")
                return upload
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    if not check_zip_limits(archive, name=name, report=report):
                        return upload
            except (zipfile.BadZipFile, ValueError, EOFError):
                report.add(name, "content_mismatch", detail={"expected": EXPECTED[".xlsx"]})
                return upload
        target = folder / f"upload{suffix}"
        target.write_bytes(data)
        files = {name: target}
    else:
        report.add(name, "file_type_unsupported", value=suffix or name)
        return upload
    upload.sources = collect_sources(files, name=name, folder=folder, report=report) if files else []
    return upload


def receive_path(path: str | os.PathLike, *, report: Report,
                 staging_root: str | os.PathLike | None = None) -> Upload:
    """The command-line counterpart of `receive`: a local file the operator named. A .shp is
    taken with its sidecars from the same folder."""
    path = Path(path)
    if not path.is_file():
        report.add(path.name, "file_missing")
        return Upload(name=path.name, folder=new_staging(staging_root))
    if path.stat().st_size > max_upload_bytes():
        report.add(path.name, "file_too_large", value=path.stat().st_size,
                   detail={"limit_mb": settings.get("max_upload_mb")})
        return Upload(name=path.name, folder=new_staging(staging_root))
    if path.suffix.lower() != ".shp":
        return receive(path.read_bytes(), name=path.name, report=report, staging_root=staging_root)
    folder = new_staging(staging_root)
    upload = Upload(name=path.name, folder=folder)
    try:
        files = {}
        for sibling in path.parent.iterdir():
            if sibling.stem == path.stem and sibling.is_file() and not sibling.is_symlink():
                target = folder / f"f_{len(files)}{sibling.suffix.lower()}"
                shutil.copyfile(sibling, target)
                files[sibling.name] = target
        upload.sources = collect_sources(files, name=path.name, folder=folder, report=report)
    except BaseException:
        upload.cleanup()
        raise
    return upload
