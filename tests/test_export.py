"""Snapshot export: the same view as PNG, PDF and HTML from the tiny dataset (known names and
counts), checked with poppler's tools; labels, titles and bad input."""
from __future__ import annotations

import io
import re
import subprocess
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
import shapely
from PIL import Image

from geo.read import read_bundle
from geo.view import View
from layers.export import export_view, html_bytes
from layers.offline import external_urls
from layers.snapshot import clean_title, default_title, prepare_snapshot
from layers.static_map import (
    FONT_PATH,
    fit_extent,
    missing_glyphs,
    nice_length,
    paper_size,
    place_labels,
    snapshot_figure,
)
from tests import tiny
from ui.text import t

EVIL = "<img src=x onerror=alert(1)>"
MATH = "${document.title=1}$"
FIXED = datetime(2024, 5, 5, 23, 8, tzinfo=timezone.utc)  # printed as Beijing time 05-06 07:08


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return read_bundle(tiny.write_folder(tmp_path_factory.mktemp("tiny")))


def snap(bundle, **view):
    base = dict(level="village", region=tiny.COUNTY, year=2018)
    base.update(view)
    return prepare_snapshot(bundle, View(**base), t, demo=True, source=t("export.source_demo"))


def run(*command: str, data: bytes | None = None) -> str:
    return subprocess.run(command, input=data, capture_output=True, check=True).stdout.decode("utf-8")


def pdf_text(data: bytes) -> str:
    return run("pdftotext", "-layout", "-", "-", data=data)


def ink(png: bytes) -> float:
    """Share of pixels that are not white."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    return float((pixels < 250).mean())


def test_bundled_font_is_a_small_truetype_subset_with_its_licence():
    assert FONT_PATH.stat().st_size < 3_000_000
    assert (FONT_PATH.parent / "OFL.txt").read_text().startswith("Copyright")
    assert missing_glyphs(["渠县脱贫攻坚进度图（2018年）", t("demo.notice"), "静边镇三汇镇新民村团结村"]) == []


def test_same_view_in_three_formats(bundle, tmp_path):
    shot = snap(bundle)
    title = default_title(shot, t)
    assert title == "渠县脱贫攻坚进度图（2018年）"
    png = export_view(shot, "png", title=title, text=t, generated=FIXED)
    pdf = export_view(shot, "pdf", title=title, text=t, generated=FIXED)
    page = export_view(shot, "html", title=title, text=t, generated=FIXED).decode("utf-8")

    image = Image.open(io.BytesIO(png))
    assert image.size == (2338, 1653)                     # A4 landscape at 200 dpi (floor)
    assert ink(png) > 0.05
    fonts = run("pdffonts", str(_write(tmp_path, pdf)))
    assert "PortalSansSC-Regular" in fonts and re.search(r"CID TrueType\s+Identity-H\s+yes", fonts)
    text = pdf_text(pdf)
    for expected in (title, "渠县", "新民村", "团结村", "演示数据", "2024-05-06 07:08",
                     "主要指标", "公里", "北"):
        assert expected in text, expected
    run("pdftoppm", "-r", "40", "-png", str(tmp_path / "view.pdf"), str(tmp_path / "page"))
    assert ink((tmp_path / "page-1.png").read_bytes()) > 0.05
    assert external_urls(page) == []
    assert "portalUnits(" in page and "leaflet" in page.lower() and "/app/static/" not in page
    assert f"<title>{title}</title>" in page


def _write(folder: Path, pdf: bytes) -> Path:
    path = folder / "view.pdf"
    path.write_bytes(pdf)
    return path


def test_legend_counts_and_village_names_are_printed(bundle):
    shot = snap(bundle)
    assert shot.styled.counts == (1, 0, 1, 2)             # 2018: village 3 open, 1 exited, 2 non-poor
    text = pdf_text(export_view(shot, "pdf", title="T", text=t))
    assert "未退出（1）" in text and "已退出（1）" in text and "非贫困（2）" in text
    assert EVIL in text                                    # a name with markup prints literally


def test_hostile_title_is_literal_in_pdf_and_escaped_in_html(bundle):
    shot = snap(bundle)
    title, cut = clean_title(f"  {EVIL}\n{MATH}\x00 ", "default")
    assert not cut and title == f"{EVIL} {MATH}"
    assert title in pdf_text(export_view(shot, "pdf", title=title, text=t))
    page = html_bytes(shot, title=title, text=t).decode("utf-8")
    assert EVIL not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img" not in page


def test_long_title_is_cut_and_empty_title_falls_back():
    title, cut = clean_title("长" * 500, "默认")
    assert cut and len(title) == 60 and title.endswith("…")
    assert clean_title(" \n\t", "默认") == ("默认", False)


def test_empty_selection_exports_outline_with_notice(bundle):
    shot = snap(bundle, statuses=("planned",))
    assert len(shot.shapes) == 0 and shot.notices == (t("export.empty"),)
    png = export_view(shot, "png", title="T", text=t)
    assert ink(png) > 0.01
    assert t("export.empty")[:10] in pdf_text(export_view(shot, "pdf", title="T", text=t))
    assert "portalUnits(" in export_view(shot, "html", title="T", text=t).decode("utf-8")


def test_region_without_data_says_so(bundle):
    shot = snap(bundle, year=2016)                        # the tiny data has 2018 and 2019 only
    assert shot.notices == (t("export.no_data", year=2016),)
    assert "没有统计数据" in pdf_text(export_view(shot, "pdf", title="T", text=t))


def test_paper_and_orientation(bundle):
    shot = snap(bundle)
    assert paper_size("A3", "portrait") == (297.0, 420.0)
    png = export_view(shot, "png", title="T", text=t, paper="A3", orientation="portrait", dpi=100)
    assert Image.open(io.BytesIO(png)).size == (1169, 1653)
    with pytest.raises(ValueError, match="paper"):
        paper_size("Letter", "landscape")
    with pytest.raises(ValueError, match="format"):
        export_view(shot, "svg", title="T", text=t)


def test_place_labels_skips_overlaps_and_respects_the_cap():
    squares = [shapely.box(i * 10, 0, i * 10 + 10, 10) for i in range(5)]
    wide = place_labels(["甲乙"] * 5, squares, metres_per_pt=1.0, size_pt=3.0)
    assert wide.placed == (0, 1, 2, 3, 4) and wide.skipped == 0
    overlapping = place_labels(["甲"] * 3, [shapely.box(0, 0, 10, 10)] * 3, metres_per_pt=1.0,
                               size_pt=3.0)
    assert len(overlapping.placed) == 1 and overlapping.skipped == 2
    too_big = place_labels(["很长的名字很长的名字"], squares[:1], metres_per_pt=1.0, size_pt=5.0)
    assert too_big.placed == () and too_big.skipped == 1
    capped = place_labels(["甲"] * 5, squares, metres_per_pt=1.0, size_pt=3.0, cap=2)
    assert len(capped.placed) == 2 and capped.skipped == 3
    # bigger units first
    mixed = place_labels(["小", "大"], [shapely.box(0, 0, 8, 8), shapely.box(0, 0, 100, 100)],
                         metres_per_pt=1.0, size_pt=3.0)
    assert mixed.placed[0] == 1


def test_thousands_of_units_get_capped_labels_and_a_notice(bundle):
    shot = snap(bundle)
    many = 2500
    grid = [shapely.box(500_000 + (i % 50) * 200, 3_400_000 + (i // 50) * 200,
                        500_000 + (i % 50) * 200 + 200, 3_400_000 + (i // 50) * 200 + 200) for i in range(many)]
    import geopandas as gpd
    import pandas as pd
    rows = pd.DataFrame({"code": [f"{i:012d}" for i in range(many)], "name": ["甲"] * many,
                         "status": ["exited"] * many, "flag": pd.Series([pd.NA] * many, dtype="string"),
                         "remaining_poor": [0] * many, "incidence": [0.0] * many})
    shapes = gpd.GeoDataFrame(rows, geometry=grid, crs="EPSG:4545").to_crs("EPSG:4326")
    styled = replace(shot.styled, index=pd.Series([2] * many), counts=(0, 0, many, 0), no_data=0)
    big = replace(shot, shapes=shapes, styled=styled)
    fig = snapshot_figure(big, title="T", text=t, cap=50)
    labels = [x for x in fig.axes[0].texts if x.get_text() == "甲" and x.get_color() != "white"]
    assert len(labels) == 50                              # halos are white copies, not counted
    texts = [x.get_text() for ax in fig.axes for x in ax.texts] + [x.get_text() for x in fig.texts]
    assert any(s.startswith("• " + t("export.labels_skipped", count=many - 50)[:6]) for s in texts)


def test_scale_helpers():
    assert nice_length(7300) == 5000 and nice_length(23_000) == 20_000 and nice_length(1000) == 1000
    xmin, xmax, ymin, ymax = fit_extent((0, 0, 100, 10), 200, 100)
    assert pytest.approx((xmax - xmin) / (ymax - ymin)) == 2.0
