"""Display simplification of the demo: payload budget and a clean coverage."""
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from geo.aggregate import unit_figures
from geo.identity import gk_zone_crs
from geo.read import read_bundle
from geo.simplify import FINE_TOLERANCE, display_units, vertex_count
from layers.base import base_map
from layers.styling import style_status
from layers.view_layer import join_rows, view_layer

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"
BUDGET = 2_500_000  # bytes of map HTML for every village of the demo


@pytest.fixture(scope="module")
def data():
    return read_bundle(DEMO)


def overlap_and_holes(gdf: gpd.GeoDataFrame) -> tuple[float, float]:
    metric = gdf.to_crs(gk_zone_crs(108.0)).geometry.values
    tree = shapely.STRtree(metric)
    a, b = tree.query(metric, predicate="intersects")
    keep = a < b
    overlap = shapely.area(shapely.intersection(metric[a[keep]], metric[b[keep]]))
    union = shapely.union_all(metric)
    holes = [shapely.Polygon(r).area for p in shapely.get_parts(union) for r in p.interiors]
    return float(overlap.max(initial=0)), holes


@pytest.mark.parametrize("tolerance", [None, FINE_TOLERANCE])
def test_village_simplification_keeps_a_clean_coverage(data, tolerance):
    original = data.units.loc[data.units["level"] == "village"]
    simplified = display_units(data.units, "village", tolerance)
    assert shapely.coverage_is_valid(simplified.geometry.values)
    max_overlap, holes = overlap_and_holes(simplified)
    _, original_holes = overlap_and_holes(original)
    assert max_overlap <= 1.0                                   # m², between any two neighbours
    assert len(holes) == len(original_holes)                    # no new gaps opened
    assert vertex_count(simplified) < vertex_count(original)


def test_village_map_of_the_whole_demo_fits_the_budget(data):
    rows = unit_figures(data.units, data.exit_status, 2020)
    rows = rows.loc[rows["level"] == "village"]
    shapes = join_rows(display_units(data.units, "village"), rows)
    labels = {k: k for k in ("not_exited", "planned", "exited", "non_poor", "no_data")}
    styled = style_status(shapes, status_labels=labels, title="退出状态")
    fields = {"名称": shapes["name"], "区划代码": shapes["code"], "状态": shapes["status"],
              "剩余": shapes["remaining_poor"], "发生率": shapes["incidence"].round(4)}
    group = view_layer(shapes, styled, name="x", fields=fields, flags=None, flag_text="",
                       count_format="{label}（{count}）", no_data_label="无数据")
    m = base_map(shapes.total_bounds)
    group.add_to(m)
    html = m.get_root().render().encode()
    assert len(shapes) == 3001
    assert len(html) <= BUDGET, len(html)
