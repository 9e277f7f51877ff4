"""The HTTP API (FastAPI; OpenAPI at /docs) and the static map page.

All geometry leaves the API as WGS84 GeoJSON (EPSG:4326, 6 decimals, about 0.1 m); it is stored
in EPSG:28992. SQL identifiers come from the layer catalogue only; every value is bound.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import psycopg
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from psycopg_pool import ConnectionPool

from etl.runs import loaded_layers
from layers import catalogue, get_layer
from sitefinder import __version__
from sitefinder.api import adhoc, queries
from sitefinder.api.adhoc import AdHocSite
from sitefinder.api.deps import BBox, Page, bbox_param, gemeente_param, kind_param, page_param
from sitefinder.api.queries import SiteQuery
from sitefinder.core import db
from sitefinder.core.errors import DatabaseUnavailableError, SitefinderError, UnknownLayerError
from sitefinder.core.settings import Settings, get_settings
from sitefinder.scoring import criteria, load_profile, parse_weights, profile_names
from sitefinder.scoring.engine import Engine

OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"
DATA_ATTRIBUTION = f"Data: CBS, Kadaster (BAG, BRK, BGT), RVO, RIVM, OVapi, {OSM_ATTRIBUTION}"


def _connection(request: Request) -> Iterator[psycopg.Connection[Any]]:
    """A pooled connection for one request (the pool lives on ``app.state``)."""
    pool: ConnectionPool = request.app.state.pool
    with pool.connection(timeout=10) as connection:
        yield connection


Conn = Annotated[psycopg.Connection[Any], Depends(_connection)]


def site_query(
    request: Request,
    bbox: Annotated[BBox | None, Depends(bbox_param)],
    gemeente: Annotated[str | None, Depends(gemeente_param)],
    page: Annotated[Page, Depends(page_param)],
    kind: Annotated[str | None, Depends(kind_param)] = None,
    min_score: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0,
    include_excluded: bool = False,
    profile: Annotated[str | None, Query(description="scoring profile (GET /api/profiles)")] = None,
    weights: Annotated[
        str | None,
        Query(
            description="own weights, e.g. transit:0.5,care_distance:0.3 (criteria not "
            "named weigh 0); thresholds come from the profile",
            max_length=500,
        ),
    ] = None,
    stability_k: Annotated[int, Query(ge=1, le=500, description="top k for stability")] = 10,
) -> SiteQuery:
    """The site filters, page, profile or own weights of a request."""
    chosen = load_profile(profile or request.app.state.settings.default_profile)
    return SiteQuery(
        profile=chosen,
        weights=parse_weights(weights) if weights else chosen.weights,
        kind=kind,
        gemeente=gemeente,
        min_score=min_score,
        bbox=bbox,
        include_excluded=include_excluded,
        page=page,
        stability_k=stability_k,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = db.make_pool(settings)
        app.state.engine = Engine()
        app.state.layer_cache = adhoc.LayerCache()
        try:
            yield
        finally:
            app.state.pool.close()

    app = FastAPI(
        title="Woonplek Sitefinder",
        version=__version__,
        description="Ranked sites where aandachtsgroepen can live, scored on Dutch open data.",
        lifespan=lifespan,
    )
    app.state.settings = settings

    @app.exception_handler(psycopg.OperationalError)
    async def _db_down(_: Request, exc: psycopg.OperationalError) -> JSONResponse:
        return JSONResponse({"detail": f"database unavailable: {exc}".strip()}, status_code=503)

    @app.exception_handler(DatabaseUnavailableError)
    async def _db_missing(_: Request, exc: DatabaseUnavailableError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(UnknownLayerError)
    async def _unknown_layer(_: Request, exc: UnknownLayerError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": "internal error; see the server log"}, status_code=500)

    @app.exception_handler(SitefinderError)
    async def _bad_input(_: Request, exc: SitefinderError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.get("/api/health", tags=["meta"])
    def health(c: Conn) -> dict[str, Any]:
        """Database reachable, data loaded: counts per layer and data as of."""
        return queries.health(c)

    @app.get("/api/config", tags=["meta"])
    def config(c: Conn) -> dict[str, Any]:
        """What the map page needs to start: basemap, profile, data extent, attribution."""
        return {
            "basemap": {"url": settings.basemap_url, "attribution": settings.basemap_attribution},
            "default_profile": settings.default_profile,
            "bounds": queries.sites_extent(c),
            "attribution": DATA_ATTRIBUTION,
        }

    @app.get("/api/gemeenten", tags=["sites"])
    def gemeenten(c: Conn) -> dict[str, Any]:
        """Municipalities that have candidate sites, with their site count and extent."""
        return {"gemeenten": queries.gemeenten_with_sites(c)}

    @app.get("/api/sites", tags=["sites"])
    def sites(
        c: Conn, request: Request, q: Annotated[SiteQuery, Depends(site_query)]
    ) -> dict[str, Any]:
        """Scored sites as a GeoJSON FeatureCollection, best first, with the total count.

        Each site carries ``stability``: the share of weight perturbations (+-20 %) in which it
        stays in the top ``stability_k`` of the filtered list.
        """
        return queries.list_sites(c, request.app.state.engine.table(c), q)

    @app.get("/api/sites/{site_id:path}", tags=["sites"])
    def site(
        c: Conn,
        request: Request,
        site_id: str,
        q: Annotated[SiteQuery, Depends(site_query)],
    ) -> dict[str, Any]:
        """One site with its explained score breakdown, nearest stop, care and shop, sources."""
        if len(site_id) > 200:
            raise HTTPException(422, "site id too long")
        feature = queries.get_site(c, request.app.state.engine.table(c), site_id, q)
        if feature is None:
            raise HTTPException(404, f"no site with id '{site_id}'")
        return feature

    @app.get("/api/profiles", tags=["scoring"])
    def profiles() -> dict[str, Any]:
        """The target-group profiles with their weights, and the criteria."""
        return {
            "default": settings.default_profile,
            "profiles": [load_profile(name).public() for name in profile_names()],
            "criteria": [c.public() for c in criteria.catalogue().values()],
        }

    @app.post("/api/score", tags=["scoring"])
    def score_geometry(
        c: Conn,
        request: Request,
        body: AdHocSite,
        profile: Annotated[str | None, Query(description="scoring profile")] = None,
        weights: Annotated[str | None, Query(max_length=500)] = None,
    ) -> dict[str, Any]:
        """Score a GeoJSON geometry (WGS84) that is not in the database, with the same engine."""
        chosen = load_profile(profile or settings.default_profile)
        w = parse_weights(weights) if weights else chosen.weights
        return adhoc.score(c, request.app.state.layer_cache, body, chosen, w)

    @app.get("/api/layers", tags=["layers"])
    def layers(c: Conn) -> dict[str, Any]:
        """The layer catalogue, with what is loaded of each layer (count, source, as of)."""
        loaded = loaded_layers(c)
        return {
            "layers": [
                {**layer.public(), "loaded": loaded.get(layer.name)}
                for layer in catalogue().values()
            ]
        }

    @app.get("/api/layers/{name}", tags=["layers"])
    def layer_features(
        c: Conn,
        name: str,
        bbox: Annotated[BBox | None, Depends(bbox_param)],
        limit: Annotated[int, Query(ge=1, le=20000)] = 5000,
    ) -> dict[str, Any]:
        """A layer's features as GeoJSON (WGS84), optionally within a bbox."""
        return queries.layer_features(c, get_layer(name), bbox=bbox, limit=limit)

    leaflet = settings.web_dir / "node_modules" / "leaflet" / "dist"
    if leaflet.is_dir():
        app.mount("/vendor/leaflet", StaticFiles(directory=leaflet), name="leaflet")
    if settings.web_dir.is_dir():
        app.mount("/", StaticFiles(directory=settings.web_dir, html=True), name="web")
    return app
