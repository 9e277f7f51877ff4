"""Scoring a geometry that is not in the database (an owner's plot), with the same engine.

The geometry arrives as GeoJSON in WGS84 (EPSG:4326), is transformed to EPSG:28992 and goes
through the same raw-criteria functions and value functions as every stored site.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import psycopg
import shapely
from pyproj import Transformer
from shapely.geometry import shape

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
    places = np.array([np.nan if body.places is None else body.places])
    raw = raw_criteria(cache.get(conn), np.array([rd], dtype=object), places)
    evaluation = evaluate(raw, profile)
    w = weight_vector(weights)
    value = float(evaluation.scores(w)[0])
    row = {str(k): v for k, v in raw.iloc[0].items()}
    explained = explain(profile, w, evaluation, 0, row, feature_names(conn, row))
    return {
        "type": "Feature",
        "geometry": body.geometry,
        "properties": {
            "name": body.name,
            "kind": body.kind,
            "area_m2": round(float(shapely.area(rd)), 1) or None,
            "places": body.places,
            "score": None if np.isnan(value) else value,
            "excluded": bool(evaluation.excluded[0]),
            "profile": profile.name,
            "weights": weights,
            "missing": [
                b["criterion"] for b in explained["breakdown"] if b["missing"] and b["weight"]
            ],
            **explained,
        },
    }
