"""Layer routes: the layer catalogue with what is loaded, and a layer's features."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from etl.runs import loaded_layers
from layers import catalogue, get_layer
from sitefinder.api import queries
from sitefinder.api.deps import Conn, bbox_param
from sitefinder.api.errors import error_responses
from sitefinder.api.models import BBox, LayerCatalogue, LayerFeatures
from sitefinder.core.errors import UnknownLayerError

router = APIRouter(prefix="/api", tags=["layers"])


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
    layer = get_layer(name)
    if layer.kind == "table":
        raise UnknownLayerError(
            f"layer '{name}' is a table without geometry; its rows join GET /api/gemeenten"
        )
    return LayerFeatures.model_validate(queries.layer_features(c, layer, bbox=bbox, limit=limit))
