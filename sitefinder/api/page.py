"""The map page and the API docs, served with only the files they need, and their headers.

Served: ``/`` (``web/index.html``), ``/style.css`` and ``/accounts.css``, the page's modules
under ``/src/``, and the front-end libraries from npm (``web/node_modules``) under
``/vendor/``: Leaflet's ``dist`` folder, the bundled Leaflet.VectorGrid file (vector tiles),
Leaflet-Geoman's script and stylesheet (drawing and editing the own site), the two files of
Swagger UI that ``/docs`` loads and ReDoc's one bundle for ``/redoc``.
Nothing else of ``web/`` (no ``package.json``, ``package-lock.json``, ``node_modules``,
README) is reachable.

:func:`security_headers` are sent with every response (``sitefinder.api.guard``): a Content
Security Policy that lets the page load scripts, styles and data from its own origin only,
tiles from the basemap's host, and its inline import map by its hash; no framing
(``frame-ancestors 'none'``), ``nosniff``, no referrer. ``/docs`` sends its own policy, with the
hash of Swagger UI's inline start-up script.
"""

from __future__ import annotations

import base64
import hashlib
import re
import urllib.parse
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from sitefinder.core.settings import Settings

INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL)
SWAGGER = "swagger-ui-dist"
SWAGGER_FILES = ("swagger-ui-bundle.js", "swagger-ui.css")
STYLESHEETS = ("style.css", "accounts.css")  # the page's own, both linked from index.html
REDOC = Path("redoc") / "bundles" / "redoc.standalone.js"  # one file, every dependency in it
# Leaflet.VectorGrid: the one file the map loads (web/src/vectorgrid.js), the plugin with its
# protobuf decoder bundled
VECTORGRID = ("leaflet.vectorgrid", "Leaflet.VectorGrid.bundled.min.js")
# Leaflet-Geoman (free): drawing and editing the own site (web/src/draw.js); its bundle holds its
# dependencies, its stylesheet only data: images
GEOMAN = Path("@geoman-io") / "leaflet-geoman-free" / "dist"
GEOMAN_FILES = ("leaflet-geoman.min.js", "leaflet-geoman.css")


def _hashes(html: bytes) -> list[str]:
    """CSP source expressions for the inline scripts of ``html`` ('sha256-...')."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
        for body in INLINE_SCRIPT.findall(html)
    ]


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(
    scripts: list[str], images: list[str], *, inline_styles: bool = False, workers: bool = False
) -> str:
    style = "'self' 'unsafe-inline'" if inline_styles else "'self'"
    return "; ".join(
        [
            "default-src 'self'",
            *(["worker-src 'self' blob:"] if workers else []),
            "script-src " + " ".join(["'self'", *scripts]),
            f"style-src {style}",
            "img-src " + " ".join(["'self'", "data:", *images]),
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def security_headers(settings: Settings) -> dict[str, str]:
    """The headers of every response; the CSP fits the page in ``settings.web_dir``."""
    index = settings.web_dir / "index.html"
    scripts = _hashes(index.read_bytes()) if index.is_file() else []
    basemap = _origin(settings.basemap_url)
    return {
        "Content-Security-Policy": content_security_policy(scripts, [basemap] if basemap else []),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


def mount_page(app: FastAPI, web_dir: Path) -> None:
    """The page's files and the vendor libraries (after the API routes), and ``/docs``."""
    modules = web_dir / "node_modules"
    leaflet = modules / "leaflet" / "dist"
    if leaflet.is_dir():
        app.mount("/vendor/leaflet", StaticFiles(directory=leaflet), name="leaflet")
    vectorgrid = modules / VECTORGRID[0] / "dist" / VECTORGRID[1]
    if vectorgrid.is_file():
        _file(app, f"/vendor/{VECTORGRID[0]}/{VECTORGRID[1]}", vectorgrid)
    for name in GEOMAN_FILES:
        if (modules / GEOMAN / name).is_file():
            _file(app, f"/vendor/leaflet-geoman/{name}", modules / GEOMAN / name)
    swagger = modules / SWAGGER
    if (swagger / SWAGGER_FILES[0]).is_file():
        _docs(app, swagger)
    if (modules / REDOC).is_file():
        _redoc(app, modules / REDOC)
    if (web_dir / "src").is_dir():
        app.mount("/src", StaticFiles(directory=web_dir / "src"), name="page-modules")
    for name in ("index.html", *STYLESHEETS):
        if (web_dir / name).is_file():
            _file(app, "/" if name == "index.html" else f"/{name}", web_dir / name)
            if name == "index.html":
                _file(app, "/index.html", web_dir / name)


def _file(app: FastAPI, path: str, file: Path) -> None:
    async def serve() -> FileResponse:
        return FileResponse(file)

    app.add_api_route(path, serve, methods=["GET", "HEAD"], include_in_schema=False)


def _docs(app: FastAPI, swagger: Path) -> None:
    for name in SWAGGER_FILES:
        _file(app, f"/vendor/swagger-ui/{name}", swagger / name)
    page = get_swagger_ui_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{app.title} - API",
        swagger_js_url=f"/vendor/swagger-ui/{SWAGGER_FILES[0]}",
        swagger_css_url=f"/vendor/swagger-ui/{SWAGGER_FILES[1]}",
        swagger_favicon_url="data:,",
    )
    html = bytes(page.body)
    policy = content_security_policy(_hashes(html), [], inline_styles=True)

    async def docs() -> Response:
        return HTMLResponse(html, headers={"Content-Security-Policy": policy})

    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False)


def _redoc(app: FastAPI, bundle: Path) -> None:
    """``/redoc``: ReDoc's standalone bundle from npm, no web fonts. ReDoc writes its styles
    into the page (styled-components) and searches in a worker made from a blob: its own
    policy allows both, for this page only."""
    _file(app, "/vendor/redoc/redoc.standalone.js", bundle)
    page = get_redoc_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{app.title} - API (ReDoc)",
        redoc_js_url="/vendor/redoc/redoc.standalone.js",
        redoc_favicon_url="data:,",
        with_google_fonts=False,
    )
    html = bytes(page.body)
    policy = content_security_policy(_hashes(html), [], inline_styles=True, workers=True)

    async def redoc() -> Response:
        return HTMLResponse(html, headers={"Content-Security-Policy": policy})

    app.add_api_route("/redoc", redoc, methods=["GET"], include_in_schema=False)
