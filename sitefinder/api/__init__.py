"""The HTTP API (FastAPI; OpenAPI at /docs) and the static map page.

``create_app`` only assembles: the lifespan (connection pool, scoring engine and layer cache on
``app.state``), the routers of ``sitefinder.api.routers``, the error handlers and the page.
All geometry leaves the API as WGS84 GeoJSON (EPSG:4326, 6 decimals, about 0.1 m); it is stored
in EPSG:28992. SQL is built in ``queries`` only: identifiers from the layer catalogue, every
value bound.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from sitefinder import __version__
from sitefinder.api import adhoc, security
from sitefinder.api.errors import DEFAULT_STATUS_CODES, add_exception_handlers
from sitefinder.api.routers import auth, flags, layers, meta, score, sites, users
from sitefinder.core import db
from sitefinder.core.settings import Settings, get_settings
from sitefinder.scoring.engine import Engine


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """One connection pool per app (``app.state.pool``), closed on shutdown."""
    app.state.pool = db.make_pool(app.state.settings)
    app.state.accounts_pool = security.make_accounts_pool(app.state.settings, app.state.pool)
    app.state.engine = Engine()
    app.state.layer_cache = adhoc.LayerCache()
    try:
        yield
    finally:
        if app.state.accounts_pool is not app.state.pool:
            app.state.accounts_pool.close()
        app.state.pool.close()


def _mount_page(app: FastAPI, web_dir: Path) -> None:
    """The map page and its Leaflet (from npm, web/node_modules), after the API routes."""
    leaflet = web_dir / "node_modules" / "leaflet" / "dist"
    if leaflet.is_dir():
        app.mount("/vendor/leaflet", StaticFiles(directory=leaflet), name="leaflet")
    if web_dir.is_dir():
        app.mount("/", StaticFiles(directory=web_dir, html=True), name="web")


def create_app(settings: Settings | None = None) -> FastAPI:
    app = FastAPI(
        title="Woonplek Sitefinder",
        version=__version__,
        description="Ranked sites where aandachtsgroepen can live, scored on Dutch open data.",
        lifespan=lifespan,
    )
    app.state.settings = settings or get_settings()
    for area in (meta, sites, score, layers, auth, users, flags):
        app.include_router(area.router)
    add_exception_handlers(app, DEFAULT_STATUS_CODES)
    _mount_page(app, app.state.settings.web_dir)
    return app
