"""Scoring a geometry that is not in the database (an owner's plot), with the same engine.

The geometry arrives as strict GeoJSON in WGS84 (EPSG:4326), already bounded by its model
(``sitefinder.api.geojson``: coordinates inside the Netherlands, at most ``MAX_VERTICES``
positions), is transformed to EPSG:28992 (metres) and goes through the same raw-criteria
functions and value functions as every stored site. Every step is bounded:

* a valid geometry (checking validity is O(n log n)) is scored in milliseconds;
* an invalid one is repaired in a worker process with a time and memory budget
  (``sitefinder.core.isolate``), killed when it exceeds it or the client goes away (422);
* a repaired geometry that grew far beyond the input, one without area, or one larger than
  :data:`MAX_AREA_M2` is refused (422) before any criterion is computed.

It gets the same range as a stored site (docs/scoring.md section 3): a drawn point of unknown
size is not a certain score, and the answer says what the owner can fill in (``fill_in``: the
number of places, or the floor area, which gives places at 25 m² each as for offices). The
answer carries the geometry as the API read it (repaired, WGS84, 6 decimals), never the
request's own text.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import psycopg
import shapely

from layers import m2_per_place
from sitefinder.api import queries
from sitefinder.api.geojson import MAX_VERTICES, MultiPolygonIn, PointIn, PolygonIn
from sitefinder.api.guard import Work
from sitefinder.api.models import AdHocSite
from sitefinder.core import isolate
from sitefinder.core.crs import RD, WGS84, transformer
from sitefinder.core.errors import InvalidParameterError
from sitefinder.scoring import Profile
from sitefinder.scoring.compute import raw_criteria
from sitefinder.scoring.engine import evaluate, weight_vector
from sitefinder.scoring.explain import explain, feature_names
from sitefinder.scoring.spatial import Layers

if TYPE_CHECKING:
    from pyproj import Transformer

MAX_AREA_M2 = 25_000_000.0  # 25 km2: larger is not a site
MAX_REPAIRED_VERTICES = 2 * MAX_VERTICES  # a repair may split rings, not explode them
MAX_REPAIRED_PARTS = 1_000
DECIMALS = 6  # of WGS84 degrees out: about 0.1 m


def _ring(positions: list[tuple[float, float]]) -> np.ndarray:
    xy = np.asarray(positions, dtype=float)
    if not np.array_equal(xy[0], xy[-1]):  # RFC 7946 rings are closed; close an open one
        xy = np.vstack([xy, xy[:1]])
    return xy


def _polygon(rings: list[list[tuple[float, float]]]) -> shapely.Polygon:
    return shapely.Polygon(_ring(rings[0]), [_ring(r) for r in rings[1:]])


def to_shape(geometry: PointIn | PolygonIn | MultiPolygonIn) -> shapely.Geometry:
    """The validated request geometry as a shapely geometry (WGS84 lon/lat)."""
    if isinstance(geometry, PointIn):
        return shapely.Point(geometry.coordinates)
    if isinstance(geometry, PolygonIn):
        return _polygon(geometry.coordinates)
    return shapely.MultiPolygon([_polygon(p) for p in geometry.coordinates])


def _transform(geom: shapely.Geometry, transformer: Transformer) -> shapely.Geometry:
    return shapely.transform(
        geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    )


def to_rd(
    geometry: PointIn | PolygonIn | MultiPolygonIn, workers: isolate.Workers, work: Work
) -> shapely.Geometry:
    """The request geometry in EPSG:28992 (metres): valid, with area (polygons), bounded.
    An invalid one is repaired by ``workers``, stopped if ``work`` is cancelled."""
    rd = _transform(to_shape(geometry), transformer(WGS84, RD))
    if isinstance(geometry, PointIn):
        return rd
    if not shapely.is_valid(rd):
        try:
            repaired = workers.run(isolate.repair_wkb, shapely.to_wkb(rd), guard=work.guarding)
        except isolate.BudgetExceeded:
            raise InvalidParameterError(
                "geometry is not valid (its outline crosses itself, or its parts overlap) and"
                f" too complex to repair within {isolate.BUDGET_S:g} s; send a valid polygon"
            ) from None
        rd = shapely.from_wkb(repaired)
        if (
            shapely.get_num_coordinates(rd) > MAX_REPAIRED_VERTICES
            or shapely.get_num_geometries(rd) > MAX_REPAIRED_PARTS
        ):
            raise InvalidParameterError(
                "geometry is not valid and its repair is too complex (its outline crosses"
                " itself many times); send a valid polygon"
            )
        parts = shapely.get_parts(rd)
        polygons = parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON]
        rd = shapely.multipolygons(polygons) if len(polygons) else shapely.MultiPolygon()
    area = float(shapely.area(rd))
    if shapely.is_empty(rd) or area == 0:
        raise InvalidParameterError("geometry has no area (a polygon whose rings collapse)")
    if area > MAX_AREA_M2:
        raise InvalidParameterError(f"geometry is larger than {MAX_AREA_M2 / 1e6:.0f} km²")
    return rd


def to_geojson(rd: shapely.Geometry) -> dict[str, Any]:
    """``rd`` (EPSG:28992) as a GeoJSON geometry in WGS84, rounded to :data:`DECIMALS`."""
    wgs = _transform(rd, transformer(RD, WGS84))
    rounded = shapely.transform(wgs, lambda xy: np.round(xy, DECIMALS))
    mapping: dict[str, Any] = json.loads(shapely.to_geojson(rounded))
    return mapping


def score(
    conn: psycopg.Connection[Any],
    layers: Layers,
    body: AdHocSite,
    profile: Profile,
    weights: dict[str, float],
    workers: isolate.Workers,
    work: Work,
) -> dict[str, Any]:
    rd = to_rd(body.geometry, workers, work)
    places, source = owner_places(body)
    raw = raw_criteria(layers, np.array([rd], dtype=object), np.array([places]))
    raw["kind"] = body.kind  # the size criterion's minimum follows the kind, when given
    evaluation = evaluate(raw, profile)
    w = weight_vector(weights)
    row = {str(k): v for k, v in raw.iloc[0].items()}
    explained = explain(profile, w, evaluation, 0, row, feature_names(conn, row))
    missing = [b["criterion"] for b in explained["breakdown"] if b["missing"] and b["weight"]]
    return {
        "type": "Feature",
        "geometry": to_geojson(rd),
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
    """The places the owner gave, else from the floor area they gave (the offices' m² per place,
    ``layers.offices``), else unknown (NaN); and which it was."""
    if body.places is not None:
        return float(body.places), "given"
    if body.floor_area_m2 is not None:
        return float(np.floor(body.floor_area_m2 / m2_per_place("offices"))), "estimate"
    return float("nan"), None
