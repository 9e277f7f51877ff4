"""Layer routes: the layer catalogue with what is loaded, a layer's features, and the features
of a layer at a point (what an owner clicks on the map to take a parcel or building as their
site)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from etl.runs import loaded_layers
from layers import Layer, catalogue, get_layer
from sitefinder.api import queries
from sitefinder.api.deps import Conn, bbox_param
from sitefinder.api.errors import error_responses
from sitefinder.api.models import BBox, LayerCatalogue, LayerFeatures, LayerFeaturesAt
from sitefinder.core.crs import WGS84_BOUNDS
from sitefinder.core.errors import UnknownLayerError

router = APIRouter(prefix="/api", tags=["layers"])
MAX_AT_RADIUS_M = 100.0  # metres around a clicked point (EPSG:28992)
MAX_AT_FEATURES = 10


@router.get("/layers", responses=error_responses(500, 503))
def layer_catalogue(c: Conn) -> LayerCatalogue:
    """The layer catalogue, with what is loaded of each layer (count, source, as of)."""
    loaded = loaded_layers(c)
    return LayerCatalogue.model_validate(
        {
            "layers": [
                {**layer.public(), "loaded": loaded.get(layer.name)}
                for layer in catalogue().values()
            ]
        }
    )


@router.get("/layers/{name}", responses=error_responses(404, 422, 500, 503))
def layer_features(
    c: Conn,
    name: str,
    bbox: Annotated[BBox | None, Depends(bbox_param)],
    limit: Annotated[int, Query(ge=1, le=20000)] = 5000,
) -> LayerFeatures:
    """A layer's features as GeoJSON (WGS84), optionally within a bbox."""
    return LayerFeatures.model_validate(
        queries.layer_features(c, _with_geometry(name), bbox=bbox, limit=limit)
    )


@router.get("/layers/{name}/at", responses=error_responses(404, 422, 500, 503))
def layer_features_at(
    c: Conn,
    name: str,
    lon: Annotated[
        float,
        Query(
            ge=WGS84_BOUNDS[0],
            le=WGS84_BOUNDS[2],
            description="WGS84 longitude (degrees) within the Netherlands' area of use",
            examples=[5.7512],
        ),
    ],
    lat: Annotated[
        float,
        Query(ge=WGS84_BOUNDS[1], le=WGS84_BOUNDS[3], description="WGS84 latitude (degrees)"),
    ],
    radius_m: Annotated[
        float,
        Query(
            ge=0,
            le=MAX_AT_RADIUS_M,
            description="metres around the point; 0: the features that contain or touch it",
        ),
    ] = 0.0,
    limit: Annotated[int, Query(ge=1, le=MAX_AT_FEATURES)] = 1,
) -> LayerFeaturesAt:
    """The features of a layer at a point (WGS84 GeoJSON), the nearest first, then the
    smallest: e.g. the parcel (``plots``) or building (``bag_panden``, ``bgt_panden``) under a
    click on the map. Nothing there: an empty collection."""
    found = queries.layer_features_at(
        c, _with_geometry(name), lon=lon, lat=lat, radius_m=radius_m, limit=limit
    )
    return LayerFeaturesAt.model_validate(found)


def _with_geometry(name: str) -> Layer:
    """The catalogue's layer ``name``; unknown, or a table without geometry: 404."""
    layer = get_layer(name)
    if layer.kind == "table":
        raise UnknownLayerError(
            f"layer '{name}' is a table without geometry; its rows join GET /api/gemeenten"
        )
    return layer
