"""Vector-tile routes under the portal (Starlette, mounted by `streamlit_app.py` through st.App).

    GET /tiles/{version}/{level}/{z}/{x}/{y}.pbf?s=<scope token>   Mapbox vector tile
    GET /tiles/{version}/{level}/index.json?s=<scope token>       codes and names in feature order

`version` names a dataset version, so a URL's content never changes: responses are
`Cache-Control: private, max-age=86400, immutable` with an ETag (If-None-Match -> 304). Routes
cannot see the Streamlit session, so the viewer's region scope comes in a signed token
(`geo.scope_token`); units outside it are never sent. Every failure is a short plain-text 4xx/5xx,
never a traceback: bad z/x/y 400, bad or expired token 403, unknown layer or stale version 404,
store of record unavailable 503. Work runs in a thread so the event loop (and the app's
websockets) never waits for encoding.
"""
from __future__ import annotations

import gzip
import hashlib
import logging
import secrets
import threading
from collections import OrderedDict
from functools import lru_cache

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from geo import settings
from geo.scope_token import verify_scope
from geo.tiles import FileTiles, TileError, parse_tile

LOG = logging.getLogger(__name__)
CACHE_CONTROL = "private, max-age=86400, immutable"
MVT_TYPE = "application/vnd.mapbox-vector-tile"
GZIP_CACHE_BYTES = 64 * 1024 * 1024   # compressed bodies kept per process


class _Gzipped:
    """Compressed bodies by ETag, least recently used dropped beyond `limit` bytes: a URL's
    content never changes, so a tile served again is not compressed again."""

    def __init__(self, limit: int):
        self.limit, self.size = limit, 0
        self.bodies: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, etag: str, body: bytes) -> bytes:
        """The gzip of `body` (the response of `etag`), compressed once."""
        with self.lock:
            found = self.bodies.get(etag)
            if found is not None:
                self.bodies.move_to_end(etag)
                return found
        packed = gzip.compress(body, compresslevel=5)
        with self.lock:
            if etag not in self.bodies:
                self.bodies[etag] = packed
                self.size += len(packed)
            while self.size > self.limit and self.bodies:
                self.size -= len(self.bodies.popitem(last=False)[1])
        return packed


GZIPPED = _Gzipped(GZIP_CACHE_BYTES)


@lru_cache(maxsize=1)
def _process_secret() -> str:
    return secrets.token_urlsafe(32)


def tile_secret() -> str:
    """The secret signing scope tokens: setting `tile_secret`, else one random per process."""
    return settings.get("tile_secret") or _process_secret()


def source():
    """The tile source of the configured backend (files or PostGIS)."""
    if settings.get("backend") == "postgis":
        from geo.pg import pg_tiles
        return pg_tiles()
    return _file_tiles()


@lru_cache(maxsize=1)
def _file_tiles() -> FileTiles:
    return FileTiles()


def _scope(request: Request) -> str:
    scope = verify_scope(request.query_params.get("s"), tile_secret())
    if scope is None:
        raise TileError("missing, invalid or expired scope token", 403)
    return scope


def _answer(request: Request, body: bytes, media_type: str, etag: str) -> Response:
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", "") and len(body) > 512:
        body = GZIPPED.get(etag, body)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=media_type, headers=headers)


def _etag(*parts: object) -> str:
    return '"' + hashlib.sha256(repr(parts).encode()).hexdigest()[:20] + '"'


async def _guarded(request: Request, work) -> Response:
    try:
        return await work()
    except TileError as error:
        return PlainTextResponse(str(error), status_code=error.status)
    except Exception as error:  # the store of record (database) failing, or a bug: never a traceback
        if _is_unavailable(error):
            return PlainTextResponse("store of record unavailable", status_code=503)
        LOG.exception("tile request %s failed", request.url.path)
        return PlainTextResponse("tile failed", status_code=500)


def _is_unavailable(error: Exception) -> bool:
    names = {cls.__name__ for cls in type(error).__mro__}
    return bool(names & {"StoreUnavailable", "OperationalError", "PoolTimeout", "InterfaceError"})


async def tile(request: Request) -> Response:
    """One vector tile."""
    async def work() -> Response:
        p = request.path_params
        level, z, x, y = parse_tile(p["level"], p["z"], p["x"], p["y"])
        scope = _scope(request)
        etag = _etag(p["version"], level, z, x, y, scope)
        if request.headers.get("if-none-match") == etag:
            return _answer(request, b"", MVT_TYPE, etag)
        body = await run_in_threadpool(source().tile, p["version"], level, z, x, y, scope)
        return _answer(request, body, MVT_TYPE, etag)
    return await _guarded(request, work)


async def index(request: Request) -> Response:
    """Codes and names of a level in feature-index order."""
    async def work() -> Response:
        p = request.path_params
        level, *_ = parse_tile(p["level"], "0", "0", "0")
        scope = _scope(request)
        etag = _etag(p["version"], level, "index", scope)
        if request.headers.get("if-none-match") == etag:
            return _answer(request, b"", "application/json", etag)
        body = await run_in_threadpool(source().index, p["version"], level, scope)
        return _answer(request, body, "application/json", etag)
    return await _guarded(request, work)


def routes() -> list[Route]:
    """The tile routes, for st.App(routes=...)."""
    return [
        Route("/tiles/{version}/{level}/index.json", index, methods=["GET"]),
        Route("/tiles/{version}/{level}/{z}/{x}/{y}.pbf", tile, methods=["GET"]),
    ]
