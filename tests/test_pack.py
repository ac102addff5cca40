"""Briefing pack: cover + one page per child unit, as a multi-page PDF and a zip of PNGs, with
progress; the command line writes the same."""
from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from geo.read import read_bundle
from cli.pack import main
from layers.pack import build_pack, pack_views
from tests import tiny
from ui.text import t

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tiny.write_folder(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def bundle(folder):
    return read_bundle(folder)


def pdf_pages(data: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def test_county_pack_has_cover_and_one_page_per_township(bundle):
    calls = []
    pack = build_pack(bundle, tiny.COUNTY, text=t, demo=False, source="tiny", year=2018, dpi=60,
                      progress=lambda done, total, name: calls.append((done, total, name)))
    assert pack.pages == 3 and pack.names == (t("export.cover"), "静边镇", "三汇镇")
    assert pdf_pages(pack.pdf) == 3
    with zipfile.ZipFile(io.BytesIO(pack.zip)) as archive:
        names = archive.namelist()
        assert names == ["00_封面.png", f"01_{tiny.TOWNS[0]}_静边镇.png", f"02_{tiny.TOWNS[1]}_三汇镇.png"]
        assert Image.open(io.BytesIO(archive.read(names[1]))).size == (701, 496)   # A4 at 60 dpi
    assert calls == [(0, 3, t("export.cover")), (1, 3, "静边镇"), (2, 3, "三汇镇"), (3, 3, "")]
    text = subprocess.run(["pdftotext", "-", "-"], input=pack.pdf, capture_output=True,
                          check=True).stdout.decode()
    assert "渠县脱贫攻坚进度汇报材料（2018年）" in text
    assert "静边镇脱贫攻坚进度图（2018年）" in text and "三汇镇脱贫攻坚进度图（2018年）" in text
    assert "第 3 页，共 3 页" in text


def test_city_pack_pages_are_the_counties(bundle):
    cover, pages = pack_views(bundle, "511700000000", year=2019)
    assert cover.level == "county" and [code for code, _, _ in pages] == [tiny.COUNTY]
    assert pages[0][2].level == "township"


@pytest.mark.parametrize("region", [tiny.TOWNS[0], tiny.VILLAGES[0], "511799000000", "x"])
def test_pack_refuses_other_regions(bundle, region):
    with pytest.raises(ValueError, match="region"):
        pack_views(bundle, region, year=2018)


def test_command_line_writes_pdf_and_zip(folder, tmp_path, capsys):
    out, archive = tmp_path / "pack.pdf", tmp_path / "pack.zip"
    code = main(["--region", "511700000000", "--out", str(out), "--zip", str(archive), "--year", "2019",
                 "--data", str(folder), "--dpi", "50", "--paper", "A3", "--orientation", "portrait"])
    assert code == 0
    assert pdf_pages(out.read_bytes()) == 2
    assert len(zipfile.ZipFile(archive).namelist()) == 2
    assert t("export.pack_done", pages=2) in capsys.readouterr().err


def test_command_line_rejects_a_bad_region_in_chinese(folder, tmp_path, capsys):
    assert main(["--region", tiny.TOWNS[0], "--out", str(tmp_path / "x.pdf"), "--data", str(folder)]) == 2
    roots = t("identity.join").join(("511700000000", "510000000000"))   # the tiny county's prefecture, province
    assert capsys.readouterr().err.strip() == t("export.cli_region", region=tiny.TOWNS[0], roots=roots)
    assert not (tmp_path / "x.pdf").exists()


def test_command_line_runs_as_a_module(folder, tmp_path):
    out = tmp_path / "m.pdf"
    done = subprocess.run([sys.executable, "-m", "cli.pack", "--region", "all", "--out", str(out),
                           "--data", str(folder), "--year", "2018", "--dpi", "40"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert pdf_pages(out.read_bytes()) == 2


def _text_boxes(fig):
    """(text, bbox in figure pixels) of every non-empty text of a page."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    return [(a.get_text(), a.get_window_extent(renderer), a.axes) for a in fig.findobj(Text)
            if a.get_text() and a.get_visible()]


@pytest.mark.parametrize("paper", ["A4", "A3"])
@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
@pytest.mark.parametrize("children", [7, 41, 80])
def test_cover_lists_every_child_within_the_page_and_above_the_footer(bundle, paper, orientation, children):
    """Issue 12: the cover overflowed (11 of 41 townships on A3 portrait, legend over the footer).
    Every child is listed once, continued on further pages; no text leaves the page or enters the
    footer band except the footer's own lines."""
    from dataclasses import replace as dc_replace

    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import box

    from geo.view import View
    from layers.snapshot import prepare_snapshot
    from layers.static_map import FOOTER_MM, MM, cover_figures, label_page, paper_size

    snap = prepare_snapshot(bundle, View(level="township", region=tiny.COUNTY, year=2018), t, demo=True,
                            source="tiny")
    base = snap.shapes.iloc[[0]]
    rows = pd.concat([base] * children, ignore_index=True)
    rows["name"] = [f"第{i:02d}号测试乡镇" for i in range(children)]
    rows["code"] = [f"5117251{i:02d}000" for i in range(children)]
    rows["geometry"] = [box(107 + i * 0.01, 30.8, 107.009 + i * 0.01, 30.81) for i in range(children)]
    shapes = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    styled = dc_replace(snap.styled, index=pd.Series([0] * children, index=shapes.index))
    snap = dc_replace(snap, shapes=shapes, styled=styled)
    pages = cover_figures(snap, title="封面", text=t, paper=paper, orientation=orientation)
    for number, fig in enumerate(pages, start=1):
        label_page(fig, t("export.page", page=number, pages=len(pages)), paper=paper,
                   orientation=orientation, text=t)
    listed = []
    pw, ph = paper_size(paper, orientation)
    s = min(pw, ph) / 210.0
    for fig in pages:
        width, height = fig.get_size_inches() * fig.dpi
        footer_top = FOOTER_MM * s * MM * fig.dpi
        footer_lines = {t("export.source", source="tiny"), t("demo.notice")}
        map_axes = fig.axes[0] if fig is pages[0] else None   # names drawn on the map are not the table
        for text, bbox, axes in _text_boxes(fig):
            assert bbox.x0 >= -1 and bbox.x1 <= width + 1 and bbox.y0 >= -1 and bbox.y1 <= height + 1, text
            in_footer = text in footer_lines or text.startswith("生成时间") or text.startswith("第 ")
            if not in_footer:
                assert bbox.y0 >= footer_top - 1, (text, bbox.y0, footer_top)
            if text.startswith("第") and text.endswith("号测试乡镇") and axes is not map_axes:
                listed.append(text)
        page_labels = [x for x, _, _ in _text_boxes(fig) if "共" in x and x.startswith("第 ")]
        assert len(page_labels) == 1   # "共 N 页" once per page
    assert sorted(listed) == sorted(rows["name"])       # every child, exactly once
    assert (len(pages) > 1) == (children > 24)
