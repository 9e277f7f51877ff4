"""Site routes: the ranked list, one site explained, and the municipalities that have sites."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse

from sitefinder.api import flagview, queries, siteexport
from sitefinder.api.deps import AppSettings, Conn, SiteQueryParam
from sitefinder.api.errors import error_responses
from sitefinder.api.models import Gemeenten, SiteCollection, SiteDetailFeature
from sitefinder.api.security import Scope
from sitefinder.core.errors import InvalidParameterError, UnknownSiteError
from sitefinder.scoring.engine import SiteTable

router = APIRouter(prefix="/api", tags=["sites"])


@router.get("/gemeenten", responses=error_responses(500, 503))
def gemeenten(c: Conn) -> Gemeenten:
    """Municipalities that have candidate sites, with their site count and extent (WGS84)."""
    return Gemeenten.model_validate({"gemeenten": queries.gemeenten_with_sites(c)})


EXPORTS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A page of the ranked sites (JSON), or with ``f`` an export of the whole"
        " selection as a download",
        "content": {media.split(";")[0]: {} for media in siteexport.MEDIA_TYPES.values()},
    }
}


@router.get(
    "/sites",
    response_model=SiteCollection,
    response_model_exclude_unset=True,
    responses={**EXPORTS, **error_responses(422, 500, 503)},
)
def sites(
    c: Conn,
    request: Request,
    q: SiteQueryParam,
    scope: Scope,
    status: flagview.StatusFilter,
    settings: AppSettings,
    f: Annotated[
        str,
        Query(
            description="json (default): a page of the list; csv, geojson, gpkg (GeoPackage,"
            " EPSG:28992) or xlsx: an export of the whole selection (every page, limit and"
            " offset do not apply; at most SITEFINDER_API_EXPORT_MAX_SITES sites, else 422)"
            " with every criterion's raw value, value and contribution, provenance and the"
            " sources' licences; CSV and GeoJSON are streamed",
            json_schema_extra={"enum": ["json", *siteexport.FORMATS]},
        ),
    ] = "json",
) -> Any:
    """Scored sites as a GeoJSON FeatureCollection (WGS84 points), best first, with the total.

    Each site carries ``stability``: the share of weight perturbations (+-20 %) in which it
    stays in the top ``stability_k`` of the filtered list, and ``flag`` when it has a province
    flag you may see (``status`` filters on it). With ``f`` the whole selection as a file
    (``sitefinder/api/siteexport.py``).
    """
    if f not in ("json", *siteexport.FORMATS):
        raise InvalidParameterError(
            f"f must be one of json, {', '.join(siteexport.FORMATS)}, got '{f[:40]}'"
        )
    table = request.app.state.engine.table(c)
    shown = flagview.visible(c, scope)
    if f != "json":
        return _export(c, table, flagview.restrict(q, shown, status), shown, f, settings)
    collection = queries.list_sites(c, table, flagview.restrict(q, shown, status))
    for feature in collection["features"]:
        flagview.add_flag(feature["properties"], shown)
    # the dict is built in the shape of ``SiteCollection`` (which the OpenAPI document states
    # and tests/test_contract.py and tests/test_api.py hold it to) and serialised by orjson
    # straight to bytes: validating and dumping it with pydantic took a millisecond more of a
    # re-rank of a few (docs/scoring.md section 2)
    body = orjson.dumps(collection, option=orjson.OPT_SERIALIZE_NUMPY)
    return Response(content=body, media_type="application/json")


def _export(
    c: Conn,
    table: SiteTable,
    q: queries.SiteQuery,
    shown: flagview.Visible,
    fmt: str,
    settings: AppSettings,
) -> StreamingResponse | FileResponse:
    export = siteexport.prepare(c, table, q, shown, settings.api_export_max_sites)
    return siteexport.response(export, fmt)


@router.get(
    "/sites/{site_id:path}",
    response_model_exclude_unset=True,
    responses=error_responses(404, 422, 500, 503),
)
def site(
    c: Conn,
    request: Request,
    site_id: Annotated[str, Path(max_length=200, description="e.g. offices:0363010000000001")],
    q: SiteQueryParam,
    scope: Scope,
) -> SiteDetailFeature:
    """One site (full WGS84 geometry) with its explained score breakdown, nearest places,
    sources, and its province flag when you may see it."""
    feature = queries.get_site(c, request.app.state.engine.table(c), site_id, q)
    if feature is None:
        raise UnknownSiteError(f"no site with id '{site_id}'")
    flagview.add_flag(feature["properties"], flagview.visible(c, scope))
    return SiteDetailFeature.model_validate(feature)
