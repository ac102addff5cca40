"""The tile routes over HTTP (Starlette test client on the routes the app mounts): statuses,
cache headers, region scope, never a traceback."""
from __future__ import annotations

import gzip
import json

import mapbox_vector_tile
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from geo.scope_token import sign_scope
from geo.tiles import FileTiles
from serve.tile_routes import CACHE_CONTROL, routes
from tests.scale.test_tiles import tile_of

SECRET = "test-secret"
DAZHOU = (107.5, 31.2)  # inside the demo


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setenv("PORTAL_TILE_SECRET", SECRET)
    monkeypatch.delenv("PORTAL_DATA_DIR", raising=False)
    return TestClient(Starlette(routes=routes()), raise_server_exceptions=False)


@pytest.fixture
def version() -> str:
    return FileTiles().current()[0]


def url(version: str, z: int = 9, level: str = "village", scope: str = "") -> str:
    x, y = tile_of(*DAZHOU, z)
    return f"/tiles/{version}/{level}/{z}/{x}/{y}.pbf?s={sign_scope(SECRET, scope)}"


def test_a_tile_with_cache_headers_and_revalidation(client, version):
    response = client.get(url(version), headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert response.headers["cache-control"] == CACHE_CONTROL
    features = mapbox_vector_tile.decode(response.content)["village"]["features"]
    assert len(features) > 50
    etag = response.headers["etag"]
    again = client.get(url(version), headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_tiles_are_gzipped_when_the_browser_accepts_it(client, version):
    plain = client.get(url(version), headers={"Accept-Encoding": "identity"}).content
    response = client.get(url(version), headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("content-encoding") == "gzip"
    assert response.content == plain  # the client decodes it
    assert len(gzip.compress(plain)) < len(plain)


def test_a_tile_served_again_is_not_compressed_again(client, version, monkeypatch):
    from serve import tile_routes

    calls = []
    real = gzip.compress
    monkeypatch.setattr(tile_routes, "GZIPPED", tile_routes._Gzipped(10 * 1024 * 1024))
    monkeypatch.setattr(tile_routes.gzip, "compress", lambda body, **kw: calls.append(1) or real(body, **kw))
    bodies = [client.get(url(version), headers={"Accept-Encoding": "gzip"}).content for _ in range(3)]
    assert len(calls) == 1 and bodies[0] == bodies[1] == bodies[2]
    client.get(url(version, z=10), headers={"Accept-Encoding": "gzip"})
    assert len(calls) == 2   # another tile is compressed once too


def test_the_compressed_cache_stays_within_its_byte_budget():
    from serve.tile_routes import _Gzipped

    cache = _Gzipped(limit=3000)
    for n in range(50):
        cache.get(f"e{n}", bytes(range(256)) * 20)   # ~ 400 B compressed each
    assert 0 < cache.size <= 3000 and "e49" in cache.bodies and "e0" not in cache.bodies


def test_scope_limits_features_and_index(client, version):
    county = "511722"
    features = mapbox_vector_tile.decode(client.get(url(version, scope=county)).content)
    index = client.get(f"/tiles/{version}/village/index.json?s={sign_scope(SECRET, county)}").json()
    codes = [index["codes"][f["properties"]["i"]] for f in features.get("village", {}).get("features", [])]
    assert all(code.startswith(county) for code in codes)
    assert all(code.startswith(county) for code in index["codes"] if code)
    assert any(index["codes"]) and not all(index["codes"])


@pytest.mark.parametrize("path, status", [
    ("/tiles/{v}/village/9/999999/1.pbf", 400), ("/tiles/{v}/village/x/1/1.pbf", 400),
    ("/tiles/{v}/village/99/1/1.pbf", 400), ("/tiles/{v}/rivers/9/1/1.pbf", 404),
    ("/tiles/stale0000000/village/9/1/1.pbf", 404), ("/tiles/{v}/rivers/index.json", 404),
])
def test_bad_requests_get_4xx_without_traceback(client, version, path, status):
    response = client.get(path.format(v=version) + "?s=" + sign_scope(SECRET, ""))
    assert response.status_code == status
    assert "Traceback" not in response.text and len(response.text) < 200


@pytest.mark.parametrize("token", [None, "", "garbage", sign_scope("another-secret", ""),
                                   sign_scope(SECRET, "", ttl_s=-10)])
def test_missing_forged_or_expired_scope_is_forbidden(client, version, token):
    x, y = tile_of(*DAZHOU, 9)
    query = "" if token is None else f"?s={token}"
    assert client.get(f"/tiles/{version}/village/9/{x}/{y}.pbf{query}").status_code == 403
    assert client.get(f"/tiles/{version}/village/index.json{query}").status_code == 403


def test_index_lists_codes_and_names_in_feature_order(client, version):
    response = client.get(f"/tiles/{version}/county/index.json?s={sign_scope(SECRET, '')}")
    assert response.status_code == 200 and response.headers["cache-control"] == CACHE_CONTROL
    index = json.loads(response.content)
    assert index["codes"] == sorted(index["codes"]) and len(index["codes"]) == 7
    assert "渠县" in index["names"]
