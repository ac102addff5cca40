"""Upload handling: sub-folders, upper-case extensions, __MACOSX, missing sidecars, zip-slip,
zip bombs, size limit, content that does not match its extension."""
from __future__ import annotations

import tomllib
import zipfile
from pathlib import Path

from geo import settings
from geo.ingest import files
from geo.ingest.report import Report
from tests.ingest import fixtures as fx

ROOT = Path(__file__).resolve().parents[2]


def _shapefile(tmp_path) -> dict[str, bytes]:
    return fx.write_shapefile(fx.units_in_zone_prefix(), tmp_path / "shp", "乡镇")


def test_zip_with_subfolders_uppercase_and_macosx(tmp_path):
    members = {f"交付/2019/{n.rsplit('.', 1)[0]}.{n.rsplit('.', 1)[1].upper()}": b
               for n, b in _shapefile(tmp_path).items()}
    members["__MACOSX/交付/2019/._乡镇.SHP"] = b"\x00\x05\x16\x07"
    report = Report()
    upload = files.receive(fx.zip_bytes(members), name="边界.zip", report=report,
                           staging_root=tmp_path / "s")
    assert report.problems == []
    assert [s.name for s in upload.sources] == ["交付/2019/乡镇.SHP"]
    source = upload.sources[0]
    assert source.path.parent == upload.folder and source.path.name == "src_1.shp"
    assert source.sidecars == (".shp", ".shx", ".dbf", ".prj")


def test_missing_shx_and_dbf_are_named(tmp_path):
    members = {n: b for n, b in _shapefile(tmp_path).items() if not n.endswith((".shx", ".dbf"))}
    report = Report()
    upload = files.receive(fx.zip_bytes(members), name="边界.zip", report=report,
                           staging_root=tmp_path / "s")
    assert upload.sources == []
    problem = report.first("shapefile_missing_part")
    assert (problem.file, problem.value, problem.detail) == ("边界.zip", "乡镇.shp", {"missing": ".shx、.dbf"})


def test_lone_shp_upload_names_missing_parts(tmp_path):
    report = Report()
    files.receive(_shapefile(tmp_path)["乡镇.shp"], name="乡镇.shp", report=report, staging_root=tmp_path)
    assert report.first("shapefile_missing_part").detail == {"missing": ".shx、.dbf"}


def test_zip_slip_member_rejected_and_nothing_extracted(tmp_path):
    data = fx.zip_bytes({"ok.csv": b"code\n", "../../etc/evil.csv": b"x", "/abs.csv": b"y",
                         "C:\\win.csv": b"z"})
    report = Report()
    upload = files.receive(data, name="x.zip", report=report, staging_root=tmp_path / "s")
    assert [p.value for p in report.problems if p.rule == "zip_unsafe_member"] == \
        ["../../etc/evil.csv", "/abs.csv", "C:\\win.csv"]
    assert upload.sources == [] and list(upload.folder.iterdir()) == []
    assert not (tmp_path / "etc").exists()


def test_zip_symlink_member_rejected(tmp_path):
    import io
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("link.csv")
        info.external_attr = (0o120777 << 16)
        archive.writestr(info, "/etc/passwd")
    report = Report()
    files.receive(buffer.getvalue(), name="x.zip", report=report, staging_root=tmp_path)
    assert report.first("zip_unsafe_member").value == "link.csv"


def test_zip_bomb_ratio(tmp_path):
    data = fx.zip_bytes({"bomb.csv": b"0" * (5 * 1024 * 1024)})
    report = Report()
    files.receive(data, name="bomb.zip", report=report, staging_root=tmp_path)
    assert report.rules() == ["zip_ratio"]
    assert report.problems[0].detail == {"limit": files.MAX_RATIO}


def test_zip_too_many_members(tmp_path):
    data = fx.zip_bytes({f"f{i}.csv": b"a" for i in range(files.MAX_MEMBERS + 1)},
                        compression=zipfile.ZIP_STORED)
    report = Report()
    files.receive(data, name="many.zip", report=report, staging_root=tmp_path)
    assert report.rules() == ["zip_too_many_members"]
    assert report.problems[0].value == files.MAX_MEMBERS + 1


def test_zip_total_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_UNCOMPRESSED", 1000)
    data = fx.zip_bytes({"a.csv": bytes(range(256)) * 8}, compression=zipfile.ZIP_STORED)
    report = Report()
    files.receive(data, name="big.zip", report=report, staging_root=tmp_path)
    assert report.rules() == ["zip_too_large"]


def test_upload_size_limit_matches_streamlit_setting(tmp_path, monkeypatch):
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == settings.get("max_upload_mb")
    monkeypatch.setenv("PORTAL_MAX_UPLOAD_MB", "1")   # the setting is the import's limit
    report = Report()
    files.receive(b"x" * (1024 * 1024 + 1), name="a.csv", report=report, staging_root=tmp_path)
    assert report.rules() == ["file_too_large"]
    assert report.problems[0].detail == {"limit_mb": 1}
    report = Report()
    files.receive(b"code,name\n" * 2, name="b.csv", report=report, staging_root=tmp_path)
    assert "file_too_large" not in report.rules()


def test_vrt_disguised_as_geojson_never_reaches_gdal(tmp_path):
    vrt = b'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/etc/passwd</SrcDataSource>' \
          b'</OGRVRTLayer></OGRVRTDataSource>'
    report = Report()
    upload = files.receive(vrt, name="units.geojson", report=report, staging_root=tmp_path)
    assert report.rules() == ["content_mismatch"] and upload.sources == []


def test_unsupported_type(tmp_path):
    report = Report()
    files.receive(b"<x/>", name="units.vrt", report=report, staging_root=tmp_path)
    assert report.rules() == ["file_type_unsupported"]


def test_xlsx_is_checked_as_a_zip(tmp_path):
    data = fx.zip_bytes({"[Content_Types].xml": b"<x/>", "xl/worksheets/sheet1.xml": b" " * (5 * 1024 * 1024)})
    report = Report()
    upload = files.receive(data, name="表.xlsx", report=report, staging_root=tmp_path)
    assert report.rules() == ["zip_ratio"] and upload.sources == []
