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
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pyogrio

from geo.ingest.report import Report

MAX_UPLOAD_MB = 200                    # published limit; equals server.maxUploadSize
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
MAX_MEMBERS = 200                      # zip members (directories included)
MAX_UNCOMPRESSED = 500 * 1024 * 1024   # total uncompressed bytes of a zip
MAX_RATIO = 100                        # uncompressed / compressed, per member and overall
_CHUNK = 1 << 16

VECTOR_EXTENSIONS = {".shp": "ESRI Shapefile", ".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON"}
TABLE_EXTENSIONS = {".csv", ".xlsx"}
SHAPEFILE_REQUIRED = (".shx", ".dbf")
SHAPEFILE_OPTIONAL = (".prj", ".cpg")
_IGNORED_PARTS = {"__MACOSX", ".DS_Store", "Thumbs.db"}

# GDAL may never reach the network or other files while reading an upload (set once, process-wide;
# the portal itself never reads remote data).
pyogrio.set_gdal_config_options({
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".invalid-no-network",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "CPL_VSIL_CURL_USE_HEAD": "NO",
    "OGR_GEOJSON_MAX_OBJ_SIZE": "500MB",
})


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
    """Member name as the user wrote it: zips from Chinese Windows store GBK without the UTF-8 flag."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
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
    """Members, total size, compression ratio (overall and per member), unsafe names: True when
    the archive may be opened. Also applied to .xlsx uploads (an XLSX is a zip)."""
    infos = archive.infolist()
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
    except zipfile.BadZipFile:
        report.add(name, "zip_corrupt")
        return {}
    with archive:
        if not check_zip_limits(archive, name=name, report=report):
            return {}
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
            with archive.open(info) as src, open(target, "wb") as dst:
                while chunk := src.read(_CHUNK):
                    written += len(chunk)
                    if written > MAX_UNCOMPRESSED:
                        report.add(name, "zip_too_large", value=written,
                                   detail={"limit_mb": MAX_UNCOMPRESSED // (1024 * 1024)})
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
                sources.append(Source(written, base.with_suffix(".shp"), "vector",
                                      VECTOR_EXTENSIONS[".shp"], tuple(present)))
            elif suffix in VECTOR_EXTENSIONS or suffix in TABLE_EXTENSIONS:
                counter += 1
                target = folder / f"src_{counter}{suffix}"
                shutil.move(path, target)
                if not _magic_ok(target, suffix):
                    report.add(name, "file_corrupt", value=written)
                    continue
                if suffix in TABLE_EXTENSIONS:
                    sources.append(Source(written, target, "table"))
                else:
                    sources.append(Source(written, target, "vector", VECTOR_EXTENSIONS[suffix]))
            else:
                report.add(name, "file_type_ignored", severity="warning", value=written)
    return sources


def _magic_ok(path: Path, suffix: str) -> bool:
    """The content matches the extension, so GDAL never gets e.g. a VRT renamed to .geojson."""
    with open(path, "rb") as f:
        head = f.read(64)
    if suffix == ".gpkg":
        return head.startswith(b"SQLite format 3\x00")
    if suffix in (".geojson", ".json"):
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        return text.startswith(b"{")
    if suffix == ".xlsx":
        return head.startswith(b"PK\x03\x04")
    if suffix == ".shp":
        return head[:4] == b"\x00\x00\x27\x0a"
    return True


def receive(data: bytes, *, name: str, report: Report, staging_root: str | os.PathLike | None = None) -> Upload:
    """Stage one uploaded file (bytes + the name as written) into a fresh folder. Zips are
    checked and unpacked; everything else is written under a generated name."""
    folder = new_staging(staging_root)
    upload = Upload(name=name, folder=folder)
    if len(data) > MAX_UPLOAD_BYTES:
        report.add(name, "file_too_large", value=len(data), detail={"limit_mb": MAX_UPLOAD_MB})
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
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    if not check_zip_limits(archive, name=name, report=report):
                        return upload
            except zipfile.BadZipFile:
                report.add(name, "file_corrupt")
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
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        report.add(path.name, "file_too_large", value=path.stat().st_size, detail={"limit_mb": MAX_UPLOAD_MB})
        return Upload(name=path.name, folder=new_staging(staging_root))
    if path.suffix.lower() != ".shp":
        return receive(path.read_bytes(), name=path.name, report=report, staging_root=staging_root)
    folder = new_staging(staging_root)
    files = {}
    for sibling in path.parent.iterdir():
        if sibling.stem == path.stem and sibling.is_file():
            target = folder / f"f_{len(files)}{sibling.suffix.lower()}"
            shutil.copyfile(sibling, target)
            files[sibling.name] = target
    upload = Upload(name=path.name, folder=folder)
    upload.sources = collect_sources(files, name=path.name, folder=folder, report=report)
    return upload
