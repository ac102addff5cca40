"""The relocation page's HTML export opens with every non-local request blocked and draws every
drawable site (as a circle marker or inside a cluster), its stage legend, and no hostile name runs."""
from __future__ import annotations

from geo.read import read_bundle
from geo.sites import SiteFilter, beyond, filter_sites, site_figures
from geo.view import View, region_prefix
from layers.export import export_view
from layers.export_layers import neutral_styled, site_points
from layers.sites_layer import (
    SitesLegend,
    marker_radius,
    sites_group,
    sites_json,
    size_steps,
)
from layers.snapshot import prepare_snapshot, with_layers
from tests import tiny, tiny_sites
from ui.text import TEXT, group, t

YEAR = 2019
COUNT_MARKERS = """() => {
  const map = Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k])
    .find(v => v instanceof L.Map);
  let circles = 0, clustered = 0, clusters = 0;
  map.eachLayer(l => {
    if (L.MarkerCluster && l instanceof L.MarkerCluster) { clusters += 1; clustered += l.getChildCount(); }
    else if (l instanceof L.CircleMarker) { circles += 1; }
  });
  return {circles, clustered, clusters};
}"""


def relocation_html(folder) -> tuple[bytes, int]:
    bundle = read_bundle(tiny_sites.write_folder(folder))
    shot = prepare_snapshot(bundle, View(level="township", region=tiny.COUNTY, year=YEAR), t, demo=False,
                            source="tiny")
    every = site_figures(bundle.sites, bundle.units, bundle.services, YEAR)
    shown = filter_sites(every, SiteFilter(region_prefix(tiny.COUNTY)))
    drawn = shown.loc[shown["drawable"]]
    flagged = (beyond(shown, 5000) | (shown["problems"] > 0)).loc[drawn.index]
    largest = float(every["planned_households"].astype("Float64").fillna(0).max())
    legend = SitesLegend(t("legend.stage"), group("stage"), t("legend.size"),
                         size_steps(largest, TEXT["legend.size_item"]), t("legend.site_flag"))
    radius = marker_radius(drawn["planned_households"], largest)
    data = sites_json(drawn, [drawn["name"], drawn["stage"].map(group("stage"))],
                      flagged.map({True: t("reloc.far_flag"), False: ""}), radius)
    sites = sites_group(data, name=t("layer.sites"), fields=[t("site.name"), t("site.stage")], legend=legend)
    shot = with_layers(shot, styled=neutral_styled(shot.shapes, t("layer.boundaries")),
                       points=site_points(drawn, flagged, radius, legend), subject=t("layer.sites"),
                       title_key="export.title_relocation", clear_flags=True, html_layers=[sites],
                       html_units=True)
    return export_view(shot, "html", title=tiny_sites.EVIL[1], text=t), len(drawn)


def test_relocation_export_draws_every_site_offline(tmp_path, page, page_log, save_screenshot):
    html, drawn = relocation_html(tmp_path / "data")
    assert drawn >= 5
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.set_content(html.decode("utf-8"), wait_until="load")
    page.wait_for_function(f"() => ({COUNT_MARKERS})().circles + ({COUNT_MARKERS})().clustered === {drawn}",
                           timeout=15_000)
    counts = page.evaluate(COUNT_MARKERS)
    assert counts["circles"] + counts["clustered"] == drawn
    legends = page.locator(".portal-legend").all_inner_texts()
    assert any(t("legend.stage") in text and t("stage.occupied") in text for text in legends)
    assert page.title() == tiny_sites.EVIL[1]
    assert page.locator("img[src=x]").count() == 0 and dialogs == []
    save_screenshot(page, "export_relocation_html.png")
    assert page_log.blocked == [] and page_log.external == []
    assert page_log.console_errors == [] and page_log.page_errors == []
