"""Vector tile routes: Mapbox Vector Tiles of the scored sites and of every layer with
geometry, and a TileJSON document per tile set (``sitefinder.api.mvt`` says what they hold).

``/api/tiles/sites/{z}/{x}/{y}.mvt?profile=`` carries per site the criterion values of the
profile, so that a map recolours every site when a weight moves without new tiles;
``/api/tiles/{layer}/{z}/{x}/{y}.mvt`` a layer's features. Every tile has an ETag (the tile,
the data and scoring version, the profile) and ``Cache-Control``; ``If-None-Match`` with the
current tag answers 304 without building the tile. Tiles hold no flag data: they are the same
for every viewer.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Annotated, Any

import anyio
import psycopg
from fastapi import APIRouter, Header, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from layers import Layer
from sitefinder import __version__
from sitefinder.api import mvt, ogcqueries, queries
from sitefinder.api.deps import Conn, ProfileParam, connection
from sitefinder.api.errors import error_responses
from sitefinder.api.guard import work_of
from sitefinder.api.models import TileJSON, VectorLayer
from sitefinder.api.routers.meta import DATA_ATTRIBUTION
from sitefinder.core import db
from sitefinder.scoring.engine import SiteTable

router = APIRouter(prefix="/api/tiles", tags=["tiles"])

MVT = "application/vnd.mapbox-vector-tile"
TILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "a Mapbox Vector Tile (2.1), protobuf; empty when nothing is in the tile",
        "content": {MVT: {"schema": {"type": "string", "format": "binary"}}},
        "headers": {
            "ETag": {"description": "the tile's version", "schema": {"type": "string"}},
            "Cache-Control": {"description": "how long to keep it", "schema": {"type": "string"}},
        },
    },
    304: {"description": "not modified: the If-None-Match tag is the current one"},
    **error_responses(404, 422, 500, 503),
}
LAYER_NAME = "^(?:" + "|".join(mvt.layer_sets()) + ")$"
Z = Annotated[int, Path(ge=mvt.MIN_ZOOM, le=mvt.MAX_ZOOM, description="zoom")]
XY = Annotated[int, Path(ge=0, le=(1 << mvt.MAX_ZOOM) - 1, description="below 2^z")]
LayerName = Annotated[
    str,
    Path(
        max_length=60,
        pattern=LAYER_NAME,
        description="a layer of GET /api/layers that has geometry",
    ),
]
IfNoneMatch = Annotated[str | None, Header(max_length=1000, include_in_schema=False)]
SITE_FIELDS = {
    "site_id": "String",
    "kind": "String",
    "gemeentecode": "String",
    "excluded": "Boolean",
    "count": "Number",
}
LAYER_FIELDS = {"id": "String", "name": "String", "code": "String", "category": "String"}
SITE_TILE_BUILDS = 2  # big site tiles built at once (the cores: more only share the GIL)


def _mvt(body: bytes, tag: str) -> Response:
    headers = {"ETag": tag, "Cache-Control": mvt.CACHE_CONTROL}
    return Response(body, media_type=MVT, headers=headers)


def _not_modified(tag: str) -> Response:
    return Response(status_code=304, headers={"ETag": tag, "Cache-Control": mvt.CACHE_CONTROL})


def _site_key(request: Request, table: SiteTable) -> Any:
    return request.app.state.engine.key or table.version


def _served_table(request: Request) -> SiteTable:
    """The served site table; a database connection only when none is loaded yet (a site
    tile is built in memory: once the table is there, it needs no connection)."""
    engine = request.app.state.engine
    table: SiteTable | None = engine.loaded_table
    if table is None:
        with contextmanager(connection)(request) as conn:
            table = engine.table(conn)
    return table


@router.get(
    "/sites/{z}/{x}/{y}.mvt",
    response_class=Response,
    responses=TILE_RESPONSES,
    summary="A vector tile of the scored sites",
)
async def site_tile(
    request: Request,
    z: Z,
    x: XY,
    y: XY,
    profile: ProfileParam,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Every scored site in the tile as a point (its point on surface), layer ``sites``, with
    ``site_id``, ``kind``, ``gemeentecode``, ``excluded`` (under the profile) and per
    criterion that weighs in a score its value 0-1 (rounded to 0.001; absent where the data
    are missing; constraints only exclude). The score is the weighted mean of the values
    present (TileJSON ``criteria`` and ``weights``). A tile of more than 10,000 sites (low
    zooms) is thinned: one site per 4 x 4 pixels, the best under the profile's weights, with
    ``count``, the sites it stands for."""
    tile = mvt.Tile.checked(z, x, y)
    table = request.app.state.engine.loaded_table
    if table is None:
        table = await run_in_threadpool(_served_table, request)
    tag = mvt.etag(mvt.SITES, _site_key(request, table), mvt.profile_key(profile), z, x, y)
    if mvt.matches(if_none_match, tag):
        return _not_modified(tag)
    # a small tile (zoom 12 and deeper) is built here, in about a millisecond: handing it to
    # a thread and back costs as much; a big one, or the first of a profile, in a thread
    index = mvt.built_index(table)
    if index is not None and index.quick(tile, profile):
        return _mvt(index.tile(tile, profile), tag)
    body = await anyio.to_thread.run_sync(
        lambda: mvt.site_index(table).tile(tile, profile), limiter=_builders(request)
    )
    return _mvt(body, tag)


def _builders(request: Request) -> anyio.CapacityLimiter:
    """The threads that build big site tiles, ``SITE_TILE_BUILDS`` at once: a view's dozen
    tiles built all at once share the GIL and all arrive at the end; a few at a time, the
    first arrives after a few tiles' time (the first paint) and the last as late as before."""
    state = request.app.state
    limiter: anyio.CapacityLimiter | None = getattr(state, "site_tile_builders", None)
    if limiter is None:
        limiter = state.site_tile_builders = anyio.CapacityLimiter(SITE_TILE_BUILDS)
    return limiter


@router.get(
    "/{layer}/{z}/{x}/{y}.mvt",
    response_class=Response,
    responses=TILE_RESPONSES,
    summary="A vector tile of a layer",
)
def layer_tile(
    request: Request,
    layer: LayerName,
    z: Z,
    x: XY,
    y: XY,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The layer's features in the tile (one MVT layer named after it) with ``id``, ``name``,
    ``code`` and ``category``; geometry generalised to half a pixel, and a polygon or line
    smaller than a pixel (1/256 of the tile) both ways left out (zoom in for it)."""
    tile = mvt.Tile.checked(z, x, y)
    found = mvt.get_layer_set(layer)
    engine = request.app.state.engine
    work = work_of(request.scope)

    def answer(conn: psycopg.Connection[Any]) -> Response:
        # one hand-off to a thread, one round trip: no dependency (each is a hand-off of its
        # own), the tiles' unchecked pool (db.tile_gate), the version from memory
        version = engine.layer_version(conn, found.name)
        tag = mvt.etag(found.name, version, z, x, y)
        if mvt.matches(if_none_match, tag):
            return _not_modified(tag)
        with work.guarding(conn.cancel_safe):
            return _mvt(queries.layer_tile(conn, found, tile), tag)

    gate: db.Gate = request.app.state.tile_gate
    return gate.read(answer)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _center(bounds: list[float]) -> list[float]:
    return [round((bounds[0] + bounds[2]) / 2, 5), round((bounds[1] + bounds[3]) / 2, 5), 10]


def _tilejson(
    request: Request,
    name: str,
    description: str,
    path: str,
    bounds: list[float],
    layer: str,
    fields: dict[str, str],
    **extra: Any,
) -> TileJSON:
    """A tile set's TileJSON: one vector layer ``name`` at ``path`` (``{z}/{x}/{y}.mvt``
    and a query), over ``bounds`` (WGS84), described by ``description`` (the set) and
    ``layer`` (its vector layer); ``extra``: the sites' profile, criteria and weights."""
    return TileJSON(
        name=name,
        description=description,
        version=__version__,
        attribution=DATA_ATTRIBUTION,
        tiles=[f"{_base(request)}{path}"],
        minzoom=mvt.MIN_ZOOM,
        maxzoom=mvt.MAX_ZOOM,
        bounds=bounds,
        center=_center(bounds),
        vector_layers=[
            VectorLayer(
                id=name,
                description=layer,
                minzoom=mvt.MIN_ZOOM,
                maxzoom=mvt.MAX_ZOOM,
                fields=fields,
            )
        ],
        **extra,
    )


@router.get("/sites.json", responses=error_responses(422, 500, 503), summary="TileJSON: sites")
def sites_tilejson(c: Conn, request: Request, profile: ProfileParam) -> TileJSON:
    """The site tiles as TileJSON: URL template (with the profile), bounds, the attributes,
    the criteria and the profile's weights (a client scores with its own weights)."""
    table = request.app.state.engine.table(c)
    bounds = ogcqueries.sites_extent(table)
    names = mvt.scored_criteria(table.evaluation(profile))
    return _tilejson(
        request,
        mvt.SITES,
        "Scored candidate sites with their criterion values (0-1) per profile",
        f"/api/tiles/sites/{{z}}/{{x}}/{{y}}.mvt?profile={profile.name}",
        bounds,
        "one point per site; in a tile of more than 10,000 sites one per 4 x 4 pixels, the"
        " best under the profile's weights, count = sites it stands for",
        {**SITE_FIELDS, **dict.fromkeys(names, "Number")},
        profile=profile.name,
        criteria=names,
        weights={name: float(profile.weights.get(name, 0.0)) for name in names},
    )


def _layer_tilejson(request: Request, layer: Layer, bounds: list[float] | None) -> TileJSON:
    return _tilejson(
        request,
        layer.name,
        layer.title_en,
        f"/api/tiles/{layer.name}/{{z}}/{{x}}/{{y}}.mvt",
        bounds or mvt.NL_BOUNDS,
        f"{layer.title_en}; generalised per zoom: simplified by half a tile unit, and a polygon"
        " or line smaller than a pixel (1/256 of the tile) both ways left out (as tippecanoe"
        " does; zoom in for it)",
        LAYER_FIELDS,
    )


@router.get("/{layer}.json", responses=error_responses(422, 500, 503), summary="TileJSON: a layer")
def layer_tilejson(c: Conn, request: Request, layer: LayerName) -> TileJSON:
    """A layer's tiles as TileJSON: URL template, the extent of its features (WGS84; the
    Netherlands when it has none), the attributes."""
    found = mvt.get_layer_set(layer)
    return _layer_tilejson(request, found, queries.layer_extent(c, found))
