"""Exports of the relocation and services views (layers.snapshot.with_layers): the site points
with their stage legend and counts, the flag outline, the neutral boundaries, the gap-count
classes with counts, and the HTML file carrying the page's own layers offline."""
from __future__ import annotations

import io
import subprocess

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from geo.aggregate import unit_figures
from geo.read import read_bundle
from geo.schema import SITE_STAGES
from geo.services import in_region, village_services
from geo.sites import SiteFilter, beyond, filter_sites, site_figures
from geo.view import View, region_prefix
from layers.export import export_view
from layers.export_layers import gap_styled, neutral_styled, site_points
from layers.offline import external_urls
from layers.service_layer import GAP_COLORS, MAX_GAP_CLASS, gap_classes
from layers.sites_layer import (
    STAGE_COLORS,
    SitesLegend,
    marker_radius,
    sites_group,
    sites_json,
    size_steps,
)
from layers.snapshot import default_title, prepare_snapshot, with_layers
from tests import tiny, tiny_sites
from ui.text import TEXT, group, t

YEAR = 2019


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return read_bundle(tiny_sites.write_folder(tmp_path_factory.mktemp("tiny_sites")))


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode("utf-8")


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def base(bundle, level="township"):
    view = View(level=level, region=tiny.COUNTY, year=YEAR)
    return prepare_snapshot(bundle, view, t, demo=False, source="tiny")


def sites(bundle):
    every = site_figures(bundle.sites, bundle.units, bundle.services, YEAR)
    shown = filter_sites(every, SiteFilter(region_prefix(tiny.COUNTY)))
    drawn = shown.loc[shown["drawable"]]
    flagged = beyond(shown, 5000) | (shown["problems"] > 0)
    largest = float(every["planned_households"].astype("Float64").fillna(0).max())
    legend = SitesLegend(t("legend.stage"), group("stage"), t("legend.size"),
                         size_steps(largest, TEXT["legend.size_item"]), t("legend.site_flag"))
    radius = marker_radius(drawn["planned_households"], largest)
    return drawn, flagged, radius, legend


def relocation(bundle, *, with_points=True, html_layers=()):
    shot = base(bundle)
    drawn, flagged, radius, legend = sites(bundle)
    points = site_points(drawn, flagged, radius, legend) if with_points else None
    return with_layers(shot, styled=neutral_styled(shot.shapes, t("layer.boundaries")), points=points,
                       subject=t("layer.sites"), title_key="export.title_relocation", clear_flags=True,
                       html_layers=html_layers, html_units=not html_layers)


def test_site_points_use_the_screen_colours_and_count_stages(bundle):
    drawn, flagged, radius, legend = sites(bundle)
    points = site_points(drawn, flagged, radius, legend)
    assert points.colors == tuple(STAGE_COLORS[s] for s in SITE_STAGES)
    expected = tuple(int((drawn["stage"] == s).sum()) for s in SITE_STAGES)
    assert points.counts == expected and sum(expected) == len(drawn) > 3
    assert points.flags == int(flagged.loc[drawn.index].sum()) > 0


def test_relocation_pdf_has_the_stage_legend_with_counts_and_its_title(bundle):
    shot = relocation(bundle)
    title = default_title(shot, t)
    assert title == "渠县易地扶贫搬迁安置点分布图（2019年）"
    text = pdf_text(export_view(shot, "pdf", title=title, text=t))
    assert title in text and t("legend.stage") in text and t("legend.size") in text
    for stage, count in zip(SITE_STAGES, shot.points.counts):
        assert t("legend.count", label=t(f"stage.{stage}"), count=count) in text, stage
    assert t("legend.count", label=t("legend.site_flag"), count=shot.points.flags) in text
    assert t("legend.count", label=t("layer.boundaries"), count=len(shot.shapes)) in text
    assert t("export.flag_legend") not in text            # exit-data flags are not on this page
    assert t("layer.sites") in text                        # the subtitle names what is shown


def test_relocation_png_draws_the_points_in_stage_colours(bundle):
    with_points = pixels(export_view(relocation(bundle), "png", title="T", text=t, dpi=100))
    without = pixels(export_view(relocation(bundle, with_points=False), "png", title="T", text=t, dpi=100))
    assert with_points.shape == without.shape
    changed = np.any(with_points != without, axis=2)
    assert changed.mean() > 0.002
    # the map area gains pixels of the 'occupied' and 'building' colours
    for stage in ("occupied", "building"):
        rgb = np.array([int(STAGE_COLORS[stage][i:i + 2], 16) for i in (1, 3, 5)])
        assert near(with_points, rgb) > near(without, rgb) + 20, stage


def near(image: np.ndarray, rgb: np.ndarray) -> int:
    """Pixels of the map area (left 70 % of the page) close to `rgb`."""
    return int((np.abs(image[:, : int(image.shape[1] * 0.7)] - rgb).sum(axis=2) < 40).sum())


def services_snapshot(bundle):
    shot = base(bundle, level="village")
    figures = unit_figures(bundle.units, bundle.exit_status, YEAR)
    villages = in_region(village_services(bundle.units, bundle.services, figures, YEAR), region_prefix(tiny.COUNTY))
    labels = [t("svc.gap_class", count=n) for n in range(MAX_GAP_CLASS)] + [
        t("svc.gap_class_max", count=MAX_GAP_CLASS)]
    styled = gap_styled(shot.shapes, villages[["code", "gaps"]], labels, t("svc.gap_layer"))
    return with_layers(shot, styled=styled, subject=t("svc.gap_layer"), title_key="export.title_services",
                       clear_flags=True), villages, labels


def test_services_export_shows_the_gap_classes_with_counts(bundle):
    shot, villages, labels = services_snapshot(bundle)
    screen = gap_classes(villages.set_index("code").loc[shot.shapes["code"], "gaps"])
    assert shot.styled.colors == GAP_COLORS
    assert shot.styled.counts == tuple(int((screen == i).sum()) for i in range(len(GAP_COLORS)))
    assert sum(shot.styled.counts) + shot.styled.no_data == len(shot.shapes) == 4
    title = default_title(shot, t)
    assert title == "渠县基础设施短板图（2019年）"
    text = pdf_text(export_view(shot, "pdf", title=title, text=t))
    for label, count in zip(labels, shot.styled.counts):
        if count:
            assert t("legend.count", label=label, count=count) in text, label
    assert t("status.exited") not in text                  # not the exit-status colouring


def test_styled_must_align_with_the_shapes(bundle):
    shot = base(bundle)
    with pytest.raises(ValueError):
        with_layers(shot, styled=neutral_styled(shot.shapes.iloc[:1], "x"))


def test_relocation_html_carries_the_sites_layer_offline_and_escaped(bundle):
    drawn, flagged, radius, legend = sites(bundle)
    fields = [drawn["name"], drawn["stage"]]
    data = sites_json(drawn, fields, flagged.loc[drawn.index].map({True: "far", False: ""}), radius)
    groups = [sites_group(data, name=t("layer.sites"), fields=["name", "stage"], legend=legend)]
    page = export_view(relocation(bundle, html_layers=groups), "html", title="T", text=t).decode("utf-8")
    assert external_urls(page) == [] and "/app/static/" not in page
    assert "portalSites(" in page and "MarkerClusterGroup" in page
    assert tiny_sites.EVIL[0] not in page                  # names are JSON-escaped, drawn as text
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in page


def test_neutral_styled_is_one_class():
    shapes = pd.DataFrame({"code": ["a", "b"]}, index=[5, 7])
    styled = neutral_styled(shapes, "边界")
    assert styled.counts == (2,) and list(styled.index.index) == [5, 7] and styled.no_data == 0
