"""Meta routes: is the service up, and what the map page needs to start."""

from __future__ import annotations

from fastapi import APIRouter, Request

from sitefinder.api import ogcqueries
from sitefinder.api.deps import AppSettings, Conn
from sitefinder.api.errors import error_responses
from sitefinder.api.models import AppConfig, Basemap, Health

OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"
DATA_ATTRIBUTION = f"Data: CBS, Kadaster (BAG, BRK, BGT), RVO, RIVM, OVapi, {OSM_ATTRIBUTION}"

router = APIRouter(prefix="/api", tags=["meta"])


@router.get("/health", responses=error_responses(500, 503))
def health(c: Conn, request: Request) -> Health:
    """Database reachable, data loaded: counts per layer and data as of. Never queued behind
    other requests; the counts are kept between loads (``snapshots``)."""
    return Health.model_validate(request.app.state.engine.health(c))


@router.get("/config", responses=error_responses(500, 503))
def config(c: Conn, request: Request, settings: AppSettings) -> AppConfig:
    """What the map page needs to start: basemap, profile, data extent (of the sites' points,
    from the served site table: no scan of every geometry), attribution."""
    table = request.app.state.engine.table(c)
    return AppConfig(
        basemap=Basemap(url=settings.basemap_url, attribution=settings.basemap_attribution),
        default_profile=settings.default_profile,
        bounds=ogcqueries.sites_extent(table) if len(table) else None,
        attribution=DATA_ATTRIBUTION,
    )
