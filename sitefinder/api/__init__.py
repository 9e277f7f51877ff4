"""The HTTP API (FastAPI; OpenAPI at /openapi.json, docs at /docs) and the static map page.

``create_app`` only assembles: the lifespan (connection pool behind its gate, the in-memory
snapshots of sites and layers, the geometry worker's fork server, all on ``app.state``), the
routers of ``sitefinder.api.routers``, the error handlers, the page (``page``), the contract
(``contract``) and, in front of everything, the middleware that bounds every request's work
(``guard``). All geometry leaves the API as WGS84 GeoJSON (EPSG:4326, 6 decimals, about
0.1 m); it is stored in EPSG:28992. SQL is built in ``queries`` only: identifiers from the
layer catalogue, every value bound.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from sitefinder import __version__
from sitefinder.api import contract, security
from sitefinder.api.alertstep import AlertStep
from sitefinder.api.areas import Area, Areas
from sitefinder.api.errors import DEFAULT_STATUS_CODES, add_exception_handlers
from sitefinder.api.guard import Admission, Guard
from sitefinder.api.page import mount_page, security_headers
from sitefinder.api.reports import mount_stylesheet
from sitefinder.api.snapshots import Snapshots
from sitefinder.core import db, isolate
from sitefinder.core.settings import Settings, get_settings
from sitefinder.scoring import snapshot

GEOMETRY_WORKERS = 2  # processes that repair invalid request geometries (core.isolate)
WORKERS_DELAY_S = 3.0  # ... started this long after the app (or at the first repair)


# The router modules of sitefinder.api.routers, in the order their routes match (site_reports
# before sites: /sites/{site_id:path}/report must match first). Each with a pattern of its paths
# is built when first asked for (sitefinder.api.areas): only the sites are needed for the first
# answer of a fresh process.
AREAS = (
    # tiles first: a route is found by trying them in order, and a map asks for dozens of
    # tiles per view (no other route's path starts with /api/tiles/)
    Area("tiles", r"/api/tiles/"),
    Area("meta", r"/api/(?:health|config)"),
    Area("site_reports", r"/api/(?:sites/.+/report|shortlist/)"),
    Area("sites"),
    Area("score", r"/api/(?:profiles|score)"),
    Area("layers", r"/api/layers"),
    Area("auth", r"/api/auth/"),
    Area("users", r"/api/users"),
    Area("flags", r"/api/(?:flags|audit)"),
    Area("regions", r"/api/fairshare"),
    Area("ogc", r"/ogc"),
    Area("offers", r"/api/(?:properties|account|geocode|geometry/)"),
    Area("matches", r"/api/(?:demands|matches)"),
    Area("alerts", r"/api/(?:searches|notifications|feeds/)"),
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """One pool per app (``app.state.pool``, behind ``app.state.gate``), the pool of the
    role that writes accounts and flags (``app.state.accounts_pool``), the layer tiles' pool
    (``app.state.tile_gate``), the snapshots
    (``app.state.engine``, loaded before the first request) and the geometry workers
    (``app.state.workers``); closed on shutdown."""
    settings: Settings = app.state.settings
    app.state.pool = db.make_pool(settings)
    app.state.gate = gate = db.Gate(app.state.pool, settings)
    app.state.accounts_pool = security.make_accounts_pool(settings)
    app.state.tile_gate = db.tile_gate(settings)  # no connection before the first layer tile
    app.state.engine = Snapshots(snapshot.database_dir(settings), settings.default_profile)
    app.state.workers = isolate.Workers(GEOMETRY_WORKERS, delay_s=WORKERS_DELAY_S)
    await anyio.to_thread.run_sync(app.state.engine.start, gate.connection)
    try:
        yield
    finally:
        app.state.engine.stop()
        app.state.workers.close()
        app.state.accounts_pool.close(timeout=2)
        app.state.tile_gate.pool.close(timeout=2)
        app.state.pool.close(timeout=2)


def create_app(settings: Settings | None = None) -> FastAPI:
    app = FastAPI(
        title="Woonplek Sitefinder",
        version=__version__,
        description="Ranked sites where aandachtsgroepen can live, scored on Dutch open data.",
        lifespan=lifespan,
        docs_url=None,  # served by page.mount_page, with Swagger UI from npm
        redoc_url=None,  # likewise, with ReDoc's standalone bundle from npm
    )
    app.state.settings = settings = settings or get_settings()
    app.state.alert_step = AlertStep(app.state)  # alerts after a change, off its request
    app.state.areas = areas = Areas(app, AREAS)
    add_exception_handlers(app, DEFAULT_STATUS_CODES)
    mount_page(app, settings.web_dir)
    mount_stylesheet(app)  # the site report's print CSS (sitefinder/api/reports)
    contract.install(app, settings, areas)
    app.add_middleware(
        Guard,
        areas=areas,
        admission=Admission(
            settings.api_concurrency, settings.api_queue, settings.api_queue_timeout_s
        ),
        headers=security_headers(settings),
    )
    return app
