"""Scoring a geometry that is not in the database (an owner's plot), with the same engine.

The geometry arrives as GeoJSON in WGS84 (EPSG:4326), is transformed to EPSG:28992 and goes
through the same raw-criteria functions and value functions as every stored site. It gets the
same range as a stored site (docs/scoring.md section 3): a drawn point of unknown size is not
a certain score, and the answer says what the owner can fill in (``fill_in``: the number of
places, or the floor area, which gives places at 25 m² each as for offices).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import psycopg
import shapely
from pyproj import Transformer
from shapely.geometry import shape

from etl.bag_offices import M2_PER_PLACE
from sitefinder.api import queries
from sitefinder.api.models import AdHocSite, SiteGeometry
from sitefinder.core.crs import RD, WGS84, in_rd_bounds
from sitefinder.core.errors import InvalidParameterError
from sitefinder.scoring import Profile
from sitefinder.scoring.compute import load_layers, raw_criteria
from sitefinder.scoring.criteria import layer_names
from sitefinder.scoring.engine import evaluate, weight_vector
from sitefinder.scoring.explain import explain, feature_names
from sitefinder.scoring.spatial import Layers

TO_RD = Transformer.from_crs(WGS84, RD, always_xy=True)
MAX_AREA_M2 = 25_000_000.0  # 25 km2: larger is not a site


class LayerCache:
    """The criterion layers in memory, reloaded when an ETL run has changed the data."""

    def __init__(self) -> None:
        self._version: int | None = None
        self._layers: Layers | None = None
        self._lock = threading.Lock()

    def get(self, conn: psycopg.Connection[Any]) -> Layers:
        # only runs of the layers scoring reads count: reloading, say, buildings keeps the cache
        version = queries.scoring_data_version(conn, sorted(layer_names()))
        with self._lock:
            if self._layers is None or self._version != version:
                self._layers = load_layers(conn)
                self._version = version
            return self._layers


def to_rd(geometry: SiteGeometry) -> shapely.Geometry:
    """Check a WGS84 GeoJSON geometry; return it in EPSG:28992 (metres)."""
    try:
        geom = shape(geometry)
    except Exception:  # shapely raises several types for bad GeoJSON; its words are internal
        raise InvalidParameterError("geometry is not valid GeoJSON") from None
    if geom.is_empty:
        raise InvalidParameterError("geometry is empty")
    rd = shapely.transform(geom, lambda xy: np.column_stack(TO_RD.transform(xy[:, 0], xy[:, 1])))
    x0, y0, x1, y1 = rd.bounds
    if not (np.isfinite([x0, y0, x1, y1]).all() and in_rd_bounds(x0, y0, x1, y1)):
        raise InvalidParameterError("geometry lies outside the Netherlands (give WGS84 lon/lat)")
    if not rd.is_valid:
        rd = shapely.make_valid(rd)
    if rd.area > MAX_AREA_M2:
        raise InvalidParameterError(f"geometry is larger than {MAX_AREA_M2 / 1e6:.0f} km²")
    return rd


def score(
    conn: psycopg.Connection[Any],
    cache: LayerCache,
    body: AdHocSite,
    profile: Profile,
    weights: dict[str, float],
) -> dict[str, Any]:
    rd = to_rd(body.geometry)
    places, source = owner_places(body)
    raw = raw_criteria(cache.get(conn), np.array([rd], dtype=object), np.array([places]))
    raw["kind"] = body.kind  # the size criterion's minimum follows the kind, when given
    evaluation = evaluate(raw, profile)
    w = weight_vector(weights)
    row = {str(k): v for k, v in raw.iloc[0].items()}
    explained = explain(profile, w, evaluation, 0, row, feature_names(conn, row))
    missing = [b["criterion"] for b in explained["breakdown"] if b["missing"] and b["weight"]]
    return {
        "type": "Feature",
        "geometry": body.geometry,
        "properties": {
            "name": body.name,
            "kind": body.kind,
            "area_m2": round(float(shapely.area(rd)), 1) or None,
            "floor_area_m2": body.floor_area_m2,
            "places": None if np.isnan(places) else places,
            "places_source": source,
            **queries.score_fields(evaluation.score_all(w), 0),
            "excluded": bool(evaluation.excluded[0]),
            "profile": profile.name,
            "weights": weights,
            "missing": missing,
            "fill_in": ["places", "floor_area_m2"] if SIZE in missing else [],
            **explained,
        },
    }


SIZE = "size"  # the criterion an owner's numbers fill in


def owner_places(body: AdHocSite) -> tuple[float, str | None]:
    """The places the owner gave, else from the floor area they gave (25 m² per place, as for
    offices, ``etl.bag_offices``), else unknown (NaN); and which it was."""
    if body.places is not None:
        return float(body.places), "given"
    if body.floor_area_m2 is not None:
        return float(np.floor(body.floor_area_m2 / M2_PER_PLACE)), "estimate"
    return float("nan"), None
