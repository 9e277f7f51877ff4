"""OGC API - Features (Part 1 Core, Part 2 CRS): the names it uses and its response models.

The models describe the JSON answers of ``routers/ogc.py`` in the OpenAPI document. The landing
page, conformance and collections are validated like every other response; a page of features
is written as JSON text straight from the query (its geometries can be large) and only
*documented* by :class:`OgcFeatureCollection`: the tests read it back through GDAL and the
contract test (schemathesis) checks it against this schema.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from geojson_pydantic.geometries import Geometry
from pydantic import Field

from sitefinder.api.models import ApiModel

CRS84: Final = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"  # WGS84 lon/lat degrees
RD_URI: Final = "http://www.opengis.net/def/crs/EPSG/0/28992"  # Amersfoort / RD New, metres (x, y)
CRS_URIS = (CRS84, RD_URI)  # what every collection can be read and filtered in
STORAGE_CRS = RD_URI  # how the geometry is stored (sitefinder.core.crs.RD)

CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
)

GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.1"


class Link(ApiModel):
    href: str
    rel: str = Field(description="self, alternate, next, prev, items, collection, data, ...")
    type: str | None = Field(default=None, description="media type of the target")
    title: str | None = None


class LandingPage(ApiModel):
    title: str
    description: str
    links: list[Link]


class Conformance(ApiModel):
    conformsTo: list[str] = Field(description="the conformance classes this API implements")


class SpatialExtent(ApiModel):
    bbox: list[list[float]] = Field(description="west, south, east, north in CRS84 degrees")
    crs: Literal["http://www.opengis.net/def/crs/OGC/1.3/CRS84"] = CRS84


class Extent(ApiModel):
    spatial: SpatialExtent


class Collection(ApiModel):
    id: str
    title: str
    description: str
    links: list[Link]
    extent: Extent
    itemType: Literal["feature"] = "feature"
    crs: list[str] = Field(description="the CRSs its features can be read in (crs=)")
    storageCrs: str = Field(description="the CRS its geometry is stored in")


class Collections(ApiModel):
    links: list[Link]
    collections: list[Collection]
    crs: list[str] = Field(description="the CRSs every collection supports")


class OgcFeature(ApiModel):
    """A GeoJSON feature; coordinates in the request's ``crs`` (header ``Content-Crs``)."""

    type: Literal["Feature"]
    id: str
    geometry: Geometry | None
    properties: dict[str, Any] = Field(
        description="the collection's attributes: GET /ogc/collections/{collectionId} says"
        " what they are"
    )
    links: list[Link] | None = None


class OgcFeatureCollection(ApiModel):
    """A page of features, with ``next`` / ``prev`` links to the pages around it."""

    type: Literal["FeatureCollection"]
    features: list[OgcFeature]
    links: list[Link]
    numberMatched: int = Field(description="features that match (bbox), on all pages")
    numberReturned: int = Field(description="features on this page")
    timeStamp: str = Field(description="when the page was made (UTC, RFC 3339)")
