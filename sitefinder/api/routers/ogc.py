"""OGC API - Features under ``/ogc``: Part 1 Core (GeoJSON, HTML) and Part 2 CRS.

What GIS software (QGIS, GDAL's OAPIF driver, ArcGIS Pro) reads: the landing page, the
conformance classes, the collections (``ogcqueries.collections``: the scored sites per
profile, and each layer of the catalogue that has geometry) and their features, with
``bbox`` / ``bbox-crs``, ``limit`` / ``offset`` and ``next`` / ``prev`` links, ``crs``
(CRS84, the default, or EPSG:28992) and ``f=json|html``. A page of features says its CRS in
the ``Content-Crs`` header.

Bounded like the rest of the API: ``limit`` at most ``SITEFINDER_API_MAX_LIMIT``, ``offset``
at most 10,000,000, ``bbox`` clamped to the area of use of RD New; every bad value is a 422
with a message (``deps``), an unknown collection or feature a 404.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from sitefinder.api import ogchtml, ogcqueries
from sitefinder.api.deps import AppSettings, Conn
from sitefinder.api.errors import DESCRIPTIONS, error_responses
from sitefinder.api.models import ApiModel, BBox
from sitefinder.api.ogcmodels import (
    CONFORMANCE,
    CRS84,
    CRS_URIS,
    GEOJSON,
    HTML,
    JSON,
    OPENAPI,
    RD_URI,
    STORAGE_CRS,
    Collection,
    Collections,
    Conformance,
    LandingPage,
    OgcFeature,
    OgcFeatureCollection,
)
from sitefinder.core.crs import RD_BOUNDS, WGS84_BOUNDS
from sitefinder.core.errors import InvalidParameterError, UnknownLayerError, UnknownSiteError
from sitefinder.scoring import load_profile

router = APIRouter(prefix="/ogc", tags=["ogc api features"])

M = TypeVar("M", bound=ApiModel)
MAX_OFFSET = 10_000_000
DEFAULT_LIMIT = 100


class GeoJSONResponse(JSONResponse):
    media_type = GEOJSON


# --- parameters ---


def output_format(
    request: Request,
    f: Annotated[
        Literal["json", "html"],
        Query(
            description="json (GeoJSON for features) or html; without it: html for a browser"
            " (Accept: text/html without JSON), else json"
        ),
    ] = "json",
) -> str:
    """The encoding asked for: ``f``, else what the Accept header prefers (a browser: HTML)."""
    if "f" in request.query_params:
        return f
    accept = request.headers.get("accept", "")
    return "html" if "text/html" in accept and "json" not in accept else "json"


Format = Annotated[str, Depends(output_format)]
Crs = Literal[
    "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
    "http://www.opengis.net/def/crs/EPSG/0/28992",
]
NUMBER = r"-?[0-9]{1,7}(?:\.[0-9]{1,12})?"  # plain decimals: degrees or metres, always finite
BBOX_PATTERN = rf"^(?:{NUMBER},{NUMBER},{NUMBER},{NUMBER})?$"
DOMAIN = {CRS84: WGS84_BOUNDS, RD_URI: RD_BOUNDS}  # where a bbox is clamped to, per bbox-crs


@dataclass(frozen=True)
class BoxFilter:
    """The request's bbox in its ``crs``, clamped to the domain; ``empty``: selects nothing."""

    bbox: BBox | None
    crs: str
    empty: bool = False


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def parse_bbox(value: str | None, crs: str) -> BoxFilter:
    """``minx,miny,maxx,maxy`` in ``crs`` (CRS84: lon/lat degrees; EPSG:28992: metres),
    clamped to the area of use of RD New, where all data lies. minx > maxx or miny > maxy
    selects nothing."""
    if value is None or value == "":
        return BoxFilter(None, crs)
    if not re.fullmatch(BBOX_PATTERN, value):
        raise InvalidParameterError(
            "bbox must be four numbers minx,miny,maxx,maxy in bbox-crs (CRS84: degrees, e.g."
            " 4.8,52.3,5.0,52.4; EPSG:28992: metres), plain decimals"
        )
    west, south, east, north = (float(p) for p in value.split(","))
    if west > east or south > north:
        return BoxFilter(None, crs, empty=True)
    x0, y0, x1, y1 = DOMAIN[crs]
    box = BBox(
        _clamp(west, x0, x1), _clamp(south, y0, y1), _clamp(east, x0, x1), _clamp(north, y0, y1)
    )
    return BoxFilter(box, crs)


def bbox_filter(
    bbox: Annotated[
        str | None,
        Query(
            description="minx,miny,maxx,maxy in bbox-crs (plain decimals), clamped to the area"
            " of use of RD New; minx > maxx or miny > maxy selects nothing",
            examples=["4.8,52.3,5.0,52.4"],
            max_length=120,
            json_schema_extra={"pattern": BBOX_PATTERN},
        ),
    ] = None,
    bbox_crs: Annotated[
        Crs, Query(alias="bbox-crs", description="the CRS of bbox (default CRS84)")
    ] = CRS84,
) -> BoxFilter:
    return parse_bbox(bbox, bbox_crs)


@dataclass(frozen=True)
class ItemsPage:
    limit: int
    offset: int


def items_page(
    settings: AppSettings,
    limit: Annotated[
        int,
        Query(ge=1, description="at most this many features; SITEFINDER_API_MAX_LIMIT bounds it"),
    ] = DEFAULT_LIMIT,
    offset: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description="features to skip (the next link sets it)")
    ] = 0,
) -> ItemsPage:
    if limit > settings.api_max_limit:
        raise InvalidParameterError(f"limit must be at most {settings.api_max_limit}")
    return ItemsPage(limit, offset)


CollectionId = Annotated[
    str,
    Path(
        description="a collection (GET /ogc/collections)",
        max_length=80,
        json_schema_extra={"enum": ogcqueries.collection_ids()},
    ),
]
FeatureId = Annotated[
    str, Path(max_length=200, description="a feature's id, e.g. offices:0363010000000001")
]
CrsParam = Annotated[Crs, Query(description="the CRS of the coordinates returned (default CRS84)")]


def _collection(collection_id: str) -> ogcqueries.OgcCollection:
    found = ogcqueries.collections().get(collection_id)
    if found is None:
        raise UnknownLayerError(
            f"no collection '{collection_id[:80]}'; GET /ogc/collections lists them"
        )
    return found


# --- links ---


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + router.prefix


def _link(href: str, rel: str, media: str, title: str | None = None) -> dict[str, Any]:
    link = {"href": href, "rel": rel, "type": media}
    if title:
        link["title"] = title
    return link


def _with(request: Request, **changes: str | int) -> str:
    """The request's URL with the query parameters ``changes`` set (others kept)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    query += [(k, str(v)) for k, v in changes.items()]
    return str(request.url.replace(query=urllib.parse.urlencode(query)))


def _self_links(request: Request, f: str, json_media: str = JSON) -> list[dict[str, Any]]:
    """``self`` and ``alternate`` (the other encoding) of the request."""
    encodings = {"json": json_media, "html": HTML}
    return [
        _link(_with(request, f=name), "self" if name == f else "alternate", media)
        for name, media in encodings.items()
    ]


def _answer(document: M, f: str, render: Callable[[dict[str, Any]], str]) -> M | Response:
    """The model as JSON, or the HTML page ``render`` makes of it."""
    if f == "html":
        return HTMLResponse(render(document.model_dump(exclude_none=True)))
    return document


def _html() -> dict[int | str, dict[str, Any]]:
    """The HTML twin of a JSON answer (f=html), for the OpenAPI document."""
    return {200: {"content": {HTML: {"schema": {"type": "string"}}}}}


def _json_errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``error_responses`` for a route whose answer is GeoJSON: its errors stay JSON."""
    body = {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
    return {code: {"description": DESCRIPTIONS[code], "content": {JSON: body}} for code in codes}


CONTENT_CRS = {
    "Content-Crs": {
        "description": "the CRS of the coordinates, e.g. <http://www.opengis.net/def/crs/OGC/"
        "1.3/CRS84>",
        "schema": {"type": "string"},
    }
}


# --- routes ---


@router.get("", response_model=LandingPage, responses={**_html(), **error_responses(422, 500, 503)})
def landing(request: Request, f: Format) -> LandingPage | Response:
    """The landing page: links to the API definition, the conformance classes and the data."""
    base = _base(request)
    root = str(request.base_url).rstrip("/")
    page = LandingPage.model_validate(
        {
            "title": "Woonplek Sitefinder: OGC API - Features",
            "description": "Scored sites where aandachtsgroepen can live, and the layers they"
            " are scored on (Dutch open data), as OGC API - Features (Part 1 Core, Part 2 CRS:"
            " CRS84 and EPSG:28992).",
            "links": [
                *_self_links(request, f),
                _link(f"{root}/openapi.json", "service-desc", OPENAPI, "the API definition"),
                _link(f"{root}/docs", "service-doc", HTML, "the API documentation"),
                _link(f"{base}/conformance", "conformance", JSON, "conformance classes"),
                _link(f"{base}/conformance?f=html", "conformance", HTML, "conformance (HTML)"),
                _link(f"{base}/collections", "data", JSON, "collections"),
                _link(f"{base}/collections?f=html", "data", HTML, "collections (HTML)"),
            ],
        }
    )
    return _answer(page, f, ogchtml.landing)


@router.get(
    "/conformance",
    response_model=Conformance,
    response_model_exclude_none=True,
    responses={**_html(), **error_responses(422, 500, 503)},
)
def conformance(f: Format) -> Conformance | Response:
    """The conformance classes this API implements."""
    document = Conformance(conformsTo=list(CONFORMANCE))
    return _answer(document, f, ogchtml.conformance)


def _describe(
    request: Request,
    c: Conn,
    collection: ogcqueries.OgcCollection,
    own: list[dict[str, Any]] | None = None,
    extents: dict[str, list[float]] | None = None,
) -> dict[str, Any]:
    """The collection's description; ``own``: its self and alternate links, when it is the
    document asked for (else links to its own JSON and HTML); ``extents``: of every layer."""
    href = f"{_base(request)}/collections/{collection.id}"
    if collection.layer is not None:
        extent = (extents or ogcqueries.layer_extents(c))[collection.layer.name]
    else:
        extent = ogcqueries.sites_extent(request.app.state.engine.table(c))
    return {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "links": [
            *(own or [_link(href, "self", JSON), _link(f"{href}?f=html", "alternate", HTML)]),
            _link(f"{href}/items", "items", GEOJSON, "features"),
            _link(f"{href}/items?f=html", "items", HTML, "features (HTML)"),
        ],
        "extent": {"spatial": {"bbox": [extent], "crs": CRS84}},
        "itemType": "feature",
        "crs": list(CRS_URIS),
        "storageCrs": STORAGE_CRS,
    }


@router.get(
    "/collections",
    response_model=Collections,
    response_model_exclude_none=True,
    responses={**_html(), **error_responses(422, 500, 503)},
)
def collections(request: Request, c: Conn, f: Format) -> Collections | Response:
    """Every collection: the scored sites per profile, and each layer with geometry."""
    extents = ogcqueries.layer_extents(c)
    document = Collections.model_validate(
        {
            "links": _self_links(request, f),
            "collections": [
                _describe(request, c, found, extents=extents)
                for found in ogcqueries.collections().values()
            ],
            "crs": list(CRS_URIS),
        }
    )
    return _answer(document, f, ogchtml.collections)


@router.get(
    "/collections/{collectionId}",
    response_model=Collection,
    response_model_exclude_none=True,
    responses={**_html(), **error_responses(404, 422, 500, 503)},
)
def collection(
    request: Request, c: Conn, collectionId: CollectionId, f: Format
) -> Collection | Response:
    """One collection: what it holds, its extent and the CRSs it can be read in."""
    found = _collection(collectionId)
    document = Collection.model_validate(_describe(request, c, found, _self_links(request, f)))
    return _answer(document, f, ogchtml.collection)


def _item_href(request: Request, collection_id: str, feature_id: str) -> str:
    quoted = urllib.parse.quote(feature_id, safe="")
    return f"{_base(request)}/collections/{collection_id}/items/{quoted}"


def _content_crs(crs: str) -> dict[str, str]:
    return {"Content-Crs": f"<{crs}>"}


@router.get(
    "/collections/{collectionId}/items",
    response_class=GeoJSONResponse,
    response_model=None,
    responses={
        200: {
            "model": OgcFeatureCollection,
            "description": "a page of features (GeoJSON), or its HTML page (f=html)",
            "content": {HTML: {"schema": {"type": "string"}}},
            "headers": CONTENT_CRS,
        },
        **_json_errors(404, 422, 500, 503),
    },
)
def items(
    request: Request,
    c: Conn,
    collectionId: CollectionId,
    box: Annotated[BoxFilter, Depends(bbox_filter)],
    page: Annotated[ItemsPage, Depends(items_page)],
    f: Format,
    crs: CrsParam = CRS84,
) -> Response:
    """The collection's features (scored sites: in ranked order; layers: by id), a page at a
    time: ``next`` and ``prev`` links carry the ``offset`` of the pages around it."""
    found = _collection(collectionId)
    if box.empty:
        result = ogcqueries.FeaturePage([], 0)
    elif found.layer is not None:
        result = ogcqueries.layer_items(
            c, found.layer, bbox=box.bbox, bbox_crs=box.crs, crs=crs, **vars(page)
        )
    else:
        assert found.profile is not None
        result = ogcqueries.site_items(
            c,
            request.app.state.engine.table(c),
            load_profile(found.profile),
            bbox=box.bbox,
            bbox_crs=box.crs,
            crs=crs,
            **vars(page),
        )
    links = _self_links(request, f, GEOJSON)
    media = HTML if f == "html" else GEOJSON
    if page.offset > 0:
        previous = max(page.offset - page.limit, 0)
        links += [_link(_with(request, offset=previous), "prev", media, "previous page")]
    if page.offset + len(result.features) < result.matched and result.features:
        following = page.offset + len(result.features)  # a page may end early (its budget)
        links += [_link(_with(request, offset=following), "next", media, "next page")]
    href = f"{_base(request)}/collections/{found.id}"
    links += [_link(href, "collection", JSON, found.title)]
    stamp = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    tail = {
        "links": links,
        "numberMatched": result.matched,
        "numberReturned": len(result.features),
        "timeStamp": stamp,
    }
    headers = _content_crs(crs)
    if f == "html":
        features = [json.loads(text) for text in result.features]
        hrefs = {x["id"]: _item_href(request, found.id, x["id"]) + "?f=html" for x in features}
        document = {"features": features, **tail}
        return HTMLResponse(ogchtml.items(found.id, document, crs, hrefs), headers=headers)
    body = (
        '{"type": "FeatureCollection", "features": ['
        + ", ".join(result.features)
        + "], "
        + json.dumps(tail)[1:]
    )
    return Response(body, media_type=GEOJSON, headers=headers)


@router.get(
    "/collections/{collectionId}/items/{featureId:path}",
    response_class=GeoJSONResponse,
    response_model=None,
    responses={
        200: {
            "model": OgcFeature,
            "description": "one feature (GeoJSON), or its HTML page (f=html)",
            "content": {HTML: {"schema": {"type": "string"}}},
            "headers": CONTENT_CRS,
        },
        **_json_errors(404, 422, 500, 503),
    },
)
def item(
    request: Request,
    c: Conn,
    collectionId: CollectionId,
    featureId: FeatureId,
    f: Format,
    crs: CrsParam = CRS84,
) -> Response:
    """One feature of the collection, with links to itself and its collection."""
    found = _collection(collectionId)
    if found.layer is not None:
        text = ogcqueries.layer_item(c, found.layer, featureId, crs=crs)
    else:
        assert found.profile is not None
        table = request.app.state.engine.table(c)
        text = ogcqueries.site_item(c, table, load_profile(found.profile), featureId, crs=crs)
    if text is None:
        raise UnknownSiteError(f"no feature '{featureId[:200]}' in collection '{found.id}'")
    links = [
        *_self_links(request, f, GEOJSON),
        _link(f"{_base(request)}/collections/{found.id}", "collection", JSON, found.title),
    ]
    headers = _content_crs(crs)
    if f == "html":
        feature = {**json.loads(text), "links": links}
        return HTMLResponse(ogchtml.item(feature), headers=headers)
    body = text[:-1] + ', "links": ' + json.dumps(links) + "}"
    return Response(body, media_type=GEOJSON, headers=headers)
