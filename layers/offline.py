"""Keep folium maps offline: vendored Leaflet assets served by the portal itself, never a CDN.

The portal runs on intranets without internet. Streamlit serves `static/` (next to the entry
script) at `/app/static/...` when `server.enableStaticServing = true`; the files there are listed
with their source and licence in `static/LICENSES.md`.

- `make_offline(m)` points every asset a map declares (`default_js` / `default_css`) at those
  files and raises `ValueError` for anything external it cannot replace.
- `external_urls(html)` lists what a rendered page would fetch from elsewhere (for tests).
- `inline_assets(html)` turns a rendered page into one self-contained file (for exports).

No branca colormaps: they, and streamlit-folium because of them, pull d3 from CDNs. Legends are
the portal's own HTML (static/portal/portal.js); `make_offline` rejects colormaps.
"""
from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import folium
from branca.colormap import ColorMap
from branca.element import CssLink, Element, JavascriptLink

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STATIC_URL = "/app/static/"

LEAFLET_JS = STATIC_URL + "leaflet/leaflet.js"
LEAFLET_CSS = STATIC_URL + "leaflet/leaflet.css"
JQUERY_JS = STATIC_URL + "jquery/jquery.min.js"
MARKERCLUSTER_JS = STATIC_URL + "leaflet.markercluster/leaflet.markercluster.js"
MARKERCLUSTER_CSS = STATIC_URL + "leaflet.markercluster/MarkerCluster.css"
MARKERCLUSTER_DEFAULT_CSS = STATIC_URL + "leaflet.markercluster/MarkerCluster.Default.css"

JQUERY_CDN = "https://code.jquery.com/jquery-3.7.1.min.js"
_CLUSTER_CDN = "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/"

# CDN URL declared by folium 0.20 -> the vendored copy of the same version. Matching the exact
# URL means a folium upgrade that moves to another version fails loudly instead of going online.
REPLACEMENTS: dict[str, str] = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": LEAFLET_JS,
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": LEAFLET_CSS,
    JQUERY_CDN: JQUERY_JS,
    _CLUSTER_CDN + "leaflet.markercluster.js": MARKERCLUSTER_JS,
    _CLUSTER_CDN + "MarkerCluster.css": MARKERCLUSTER_CSS,
    _CLUSTER_CDN + "MarkerCluster.Default.css": MARKERCLUSTER_DEFAULT_CSS,
}

# Declared by folium.Map for folium.Icon markers and notebook styling. GeoJson, tooltips,
# CircleMarkers and default markers need Leaflet alone, so these are dropped, not vendored.
AWESOME_MARKERS_JS = ("https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/"
                      "leaflet.awesome-markers.js")
DROPPED: frozenset[str] = frozenset({
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js",
    AWESOME_MARKERS_JS,
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css",
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/"
    "leaflet.awesome-markers.css",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/"
    "leaflet.awesome.rotate.min.css",
})

# Libraries a map can be told to load up front (`make_offline(m, include=...)`): streamlit-folium
# loads scripts once per iframe, so layers that arrive later through `feature_group_to_add`
# cannot bring their own.
LIBRARIES: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {
    "jquery": ([("jquery", JQUERY_JS)], []),
    "markercluster": ([("markerclusterjs", MARKERCLUSTER_JS)],
                      [("markerclustercss", MARKERCLUSTER_CSS),
                       ("markerclusterdefaultcss", MARKERCLUSTER_DEFAULT_CSS)]),
}

_EXTERNAL = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
# Instance attributes and options holding a URL the browser would fetch (tiles, overlays, ...).
_URL_ATTRIBUTES = ("tiles", "url", "video_url", "image_url", "embed_link")


def is_external(url: str) -> bool:
    """True for http(s) and protocol-relative URLs (anything not served by the portal)."""
    return bool(_EXTERNAL.match(url))


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def _describe(element: Element) -> str:
    return f"{type(element).__name__} {element.get_name()!r}"


CONFIGURED_SOURCE = "_portal_configured_source"   # set on an element the deployment configured


def _check_element(element: Element) -> None:
    if getattr(element, CONFIGURED_SOURCE, False):
        return   # e.g. the basemap of the `tile_url` setting: the administrator's own server
    if isinstance(element, ColorMap):
        raise ValueError(f"{_describe(element)} is a branca colormap: it and streamlit-folium "
                         f"load d3 from CDNs; draw the legend as plain HTML instead")
    if isinstance(element, folium.Icon):
        raise ValueError(f"{_describe(element)} needs external asset {AWESOME_MARKERS_JS!r} "
                         f"(awesome-markers, not vendored); use CircleMarker or DivIcon")
    values = [(attr, getattr(element, attr, None)) for attr in _URL_ATTRIBUTES]
    options = getattr(element, "options", None)
    if isinstance(options, dict):
        values += [(f"options[{key!r}]", value) for key, value in options.items()
                   if "url" in str(key).lower()]
    for attr, value in values:
        if isinstance(value, str) and is_external(value):
            raise ValueError(f"{_describe(element)} loads external URL {value!r} ({attr}); "
                             f"the portal must work without internet")


def _needs_jquery(m: folium.Map, elements: list[Element]) -> bool:
    """folium 0.20 uses jQuery for Popup (`$(html)[0]`), objects kept in front
    (`$(document).ready`) and GeoJson(embed=False) (`$.ajax`); other maps do not get it."""
    return bool(getattr(m, "objects_to_stay_in_front", None)) or any(
        isinstance(e, folium.Popup) or (isinstance(e, folium.GeoJson) and not e.embed)
        for e in elements)


def _declared_links(element: Element, attr: str) -> list[tuple[str, str]]:
    """The links `element` declared before any rewrite, plus any added since the last rewrite
    (add_js_link, or a page appending its own script). Every pass starts from these, so a popup
    added after make_offline still brings jQuery back."""
    state = element.__dict__.setdefault("_offline_links", {})
    current = list(getattr(element, attr, None) or [])
    declared, last_output = state.get(attr, (current, current))
    return declared + [link for link in current if link not in last_output and link not in declared]


def _offline_links(element: Element, links: list[tuple[str, str]], *,
                   jquery: bool) -> list[tuple[str, str]]:
    out = []
    for name, url in links:
        if url in DROPPED or (url == JQUERY_CDN and not jquery):
            continue
        if url in REPLACEMENTS:
            url = REPLACEMENTS[url]
        elif is_external(url):
            raise ValueError(f"{_describe(element)} needs external asset {url!r} ({name}); "
                             f"vendor it under static/ and add it to layers.offline.REPLACEMENTS")
        if (name, url) not in out:
            out.append((name, url))
    return out


def _offline_tree(m: folium.Map) -> None:
    elements = list(_walk(m))
    include = m.__dict__.get("_offline_include", ())
    jquery = "jquery" in include or _needs_jquery(m, elements)
    for element in elements:
        _check_element(element)
        for index, attr in enumerate(("default_js", "default_css")):
            declared = _declared_links(element, attr)
            if not declared:
                continue
            output = _offline_links(element, declared, jquery=jquery)
            if element is m:
                output += [link for name in include for link in LIBRARIES[name][index]
                           if link not in output]
            # Always a new instance list: folium's add_js_link mutates the list in place, which
            # for the class attribute would change every map in the process.
            setattr(element, attr, output)
            element._offline_links[attr] = (declared, list(output))
    # Links a previous render already put in the page header.
    header = m.get_root().header
    for key, child in list(header._children.items()):
        if isinstance(child, (JavascriptLink, CssLink)) and is_external(child.url):
            if child.url not in DROPPED and child.url not in REPLACEMENTS:
                raise ValueError(f"page header links external asset {child.url!r} ({key})")
            del header._children[key]


def make_offline(m: folium.Map, *, include: Iterable[str] = ()) -> folium.Map:
    """Point `m` and all its children at the vendored assets; returns `m`, modified in place.

    Re-applied whenever something is added to `m` and before every render, so children added
    later (a MarkerCluster, st_folium's `feature_group_to_add`) are covered too. `include` names
    LIBRARIES to load even if nothing on the map needs them yet: streamlit-folium loads scripts
    once per iframe, so pass what later feature groups will need (e.g. ["jquery"] for popups).
    Raises ValueError naming the element and URL for any external asset it cannot replace
    (unknown plugins, tile servers, branca colormaps, folium.Icon)."""
    unknown = sorted(set(include) - set(LIBRARIES))
    if unknown:
        raise ValueError(f"unknown libraries {unknown}; known: {sorted(LIBRARIES)}")
    m._offline_include = tuple(dict.fromkeys([*m.__dict__.get("_offline_include", ()), *include]))
    _offline_tree(m)
    if not m.__dict__.get("_offline_hooked", False):
        # Instance attributes shadow the methods: Figure.render, Element.add_to and st_folium
        # all call m.render() / m.add_child().
        render, add_child = m.render, m.add_child

        def offline_render(**kwargs):
            _offline_tree(m)
            return render(**kwargs)

        def offline_add_child(child, name=None, index=None):
            result = add_child(child, name=name, index=index)
            _offline_tree(m)
            return result

        m.render, m.add_child = offline_render, offline_add_child
        m._offline_hooked = True
    return m


_ATTRIBUTE_URL = re.compile(
    r"""<link\b[^>]*?\bhref\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]+)"""
    r"""|\bsrc\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]+)"""
    r"""|@import\s+(?:url\(\s*)?["']?\s*((?:https?:)?//[^"'\s)]+)"""
    r"""|\burl\(\s*["']?\s*((?:https?:)?//[^"'\s)]+)""",
    re.IGNORECASE,
)


def external_urls(html: str) -> list[str]:
    """Every http(s) or protocol-relative URL `html` would fetch, in order, without duplicates.

    Looks at src attributes, <link href>, CSS @import and url() anywhere in the text (inline
    scripts included). Navigation links (<a href>) and XML namespaces are not fetched and not
    listed."""
    found = (next(group for group in match.groups() if group)
             for match in _ATTRIBUTE_URL.finditer(html))
    return list(dict.fromkeys(found))


def _static_file(url: str) -> Path:
    relative = url[len(STATIC_URL):].split("?", 1)[0].split("#", 1)[0]
    path = (STATIC_DIR / relative).resolve()
    if STATIC_DIR.resolve() not in path.parents or not path.is_file():
        raise ValueError(f"{url!r} is not a file under {STATIC_DIR}")
    return path


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


_CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')]+)\1\s*\)""")


def _inline_css(path: Path) -> str:
    """CSS text with relative url(...) references turned into data: URIs."""

    def replace(match: re.Match) -> str:
        ref = match.group(2).strip()
        if ref.startswith(("data:", "#")) or is_external(ref):
            return match.group(0)
        target = (path.parent / ref.split("?", 1)[0].split("#", 1)[0]).resolve()
        if STATIC_DIR.resolve() not in target.parents or not target.is_file():
            raise ValueError(f"{path.name} references {ref!r}, "
                             f"which is not a file under {STATIC_DIR}")
        return f'url("{_data_uri(target)}")'

    return _CSS_URL.sub(replace, path.read_text(encoding="utf-8"))


def _script(code: str) -> str:
    # A literal "</script" inside the code would end the element early.
    return "<script>" + re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE) + "</script>"


def _default_icon_fix() -> str:
    """Leaflet finds its marker images through leaflet.css's url(); inlined as data: URIs that
    detection fails, so give L.Icon.Default the images directly."""
    images = STATIC_DIR / "leaflet" / "images"
    return _script(
        "L.Icon.Default.imagePath='';L.Icon.Default.mergeOptions({"
        f"iconUrl:'{_data_uri(images / 'marker-icon.png')}',"
        f"iconRetinaUrl:'{_data_uri(images / 'marker-icon-2x.png')}',"
        f"shadowUrl:'{_data_uri(images / 'marker-shadow.png')}'}});"
    )


_SCRIPT_TAG = re.compile(
    r"""<script\b[^>]*?\bsrc\s*=\s*["']?(/app/static/[^"'\s>]+)["']?[^>]*>\s*</script\s*>""",
    re.IGNORECASE)
_LINK_TAG = re.compile(
    r"""<link\b[^>]*?\bhref\s*=\s*["']?(/app/static/[^"'\s>]+\.css)["']?[^>]*?/?>""",
    re.IGNORECASE)
_OTHER_REF = re.compile(r"""(\b(?:src|href)\s*=\s*["']?)(/app/static/[^"'\s>]+)""", re.IGNORECASE)


def inline_assets(html: str) -> str:
    """A self-contained copy of `html`: every /app/static/ script, stylesheet and file reference
    is inlined from STATIC_DIR (images as data: URIs). Raises ValueError if a reference is not a
    vendored file or if any /app/static/ reference is left that it could not inline."""

    def script(match: re.Match) -> str:
        url = match.group(1)
        code = _script(_static_file(url).read_text(encoding="utf-8"))
        return code + _default_icon_fix() if url == LEAFLET_JS else code

    def link(match: re.Match) -> str:
        return "<style>" + _inline_css(_static_file(match.group(1))) + "</style>"

    out = _SCRIPT_TAG.sub(script, html)
    out = _LINK_TAG.sub(link, out)
    out = _OTHER_REF.sub(lambda mt: mt.group(1) + _data_uri(_static_file(mt.group(2))), out)
    if STATIC_URL in out:
        at = out.index(STATIC_URL)
        raise ValueError(f"could not inline the reference near {out[max(0, at - 60):at + 80]!r}")
    return out
