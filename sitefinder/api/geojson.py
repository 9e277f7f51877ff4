"""Request geometry: strict GeoJSON (RFC 7946) in WGS84, bounded before any geometry work.

A request geometry is a GeoJSON geometry object, ``{"type": ..., "coordinates": ...}``, of one
of the kinds a site can be: ``Point``, ``Polygon`` or ``MultiPolygon`` (never a ``Feature``;
no other members). Positions are ``[lon, lat]``: two JSON numbers (never strings) in WGS84
degrees inside the area of use of RD New (``crs.WGS84_BOUNDS``), where all data lies. A ring
has at least 4 positions; one whose last position is not its first is closed.

Every bound a client can meet is in the OpenAPI schema (``minimum``/``maximum``, ``minItems``,
``maxItems``), so a body that fits the schema is one these models accept; the one bound a
schema cannot state, :data:`MAX_VERTICES` for all rings together, is in the description.
With :data:`MAX_VERTICES` positions at most, checking validity and scoring a valid geometry
take milliseconds (``bench/pathological.py``); repairing an invalid one can take far longer
and runs in a worker process with a time budget (``sitefinder.core.isolate``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sitefinder.core.crs import WGS84_BOUNDS

MAX_VERTICES = 20_000  # positions of all rings together
MAX_RING_VERTICES = 5_000
MAX_RINGS = 20  # per polygon: the exterior ring and its holes
MAX_PARTS = 50  # polygons of a MultiPolygon

WEST, SOUTH, EAST, NORTH = WGS84_BOUNDS

Lon = Annotated[
    float, Field(strict=True, allow_inf_nan=False, ge=WEST, le=EAST, description="degrees")
]
Lat = Annotated[
    float, Field(strict=True, allow_inf_nan=False, ge=SOUTH, le=NORTH, description="degrees")
]
Position = tuple[Lon, Lat]
Ring = Annotated[
    list[Position],
    Field(
        min_length=4,
        max_length=MAX_RING_VERTICES,
        description="a linear ring: 4 positions or more; an open ring is closed",
    ),
]
PolygonCoordinates = Annotated[
    list[Ring],
    Field(min_length=1, max_length=MAX_RINGS, description="the exterior ring, then holes"),
]


class _Geometry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def n_vertices(self) -> int:
        raise NotImplementedError


class PointIn(_Geometry):
    type: Literal["Point"]
    coordinates: Position

    def n_vertices(self) -> int:
        return 1


def _count(polygons: list[list[list[Any]]]) -> int:
    return sum(len(ring) for polygon in polygons for ring in polygon)


def _check_total(count: int) -> None:
    if count > MAX_VERTICES:
        raise ValueError(
            f"the geometry has {count} positions; at most {MAX_VERTICES} (all rings together)"
        )


class PolygonIn(_Geometry):
    type: Literal["Polygon"]
    coordinates: PolygonCoordinates

    def n_vertices(self) -> int:
        return _count([self.coordinates])

    @model_validator(mode="after")
    def _bounded(self) -> PolygonIn:
        _check_total(self.n_vertices())
        return self


class MultiPolygonIn(_Geometry):
    type: Literal["MultiPolygon"]
    coordinates: Annotated[
        list[PolygonCoordinates],
        Field(min_length=1, max_length=MAX_PARTS, description="the polygons"),
    ]

    def n_vertices(self) -> int:
        return _count(self.coordinates)

    @model_validator(mode="after")
    def _bounded(self) -> MultiPolygonIn:
        _check_total(self.n_vertices())
        return self


GeometryIn = Annotated[
    PointIn | PolygonIn | MultiPolygonIn,
    Field(
        discriminator="type",
        description=(
            "GeoJSON Point, Polygon or MultiPolygon, [lon, lat] in WGS84 degrees within"
            f" {WEST:g}..{EAST:g}, {SOUTH:g}..{NORTH:g}; at most {MAX_VERTICES} positions in"
            f" all, {MAX_RING_VERTICES} per ring, {MAX_RINGS} rings per polygon, {MAX_PARTS}"
            " polygons"
        ),
    ),
]


def geometry_message(errors: Sequence[Mapping[str, Any]]) -> str:
    """One line for what pydantic found wrong with a request geometry."""
    kinds = {str(e.get("type", "")) for e in errors}
    where = {part for e in errors for part in e.get("loc", ())}
    if kinds & {"greater_than_equal", "less_than_equal"}:
        return (
            "geometry lies outside the Netherlands: give WGS84 [lon, lat] within"
            f" {WEST:g}..{EAST:g}, {SOUTH:g}..{NORTH:g}"
        )
    if kinds & {"float_type", "finite_number"}:
        return "geometry coordinates must be finite JSON numbers (not strings)"
    if any("Tuple" in str(e.get("msg", "")) for e in errors):
        return "geometry positions are [lon, lat]: two JSON numbers"
    if "too_long" in kinds:
        return (
            f"geometry has too many parts: at most {MAX_PARTS} polygons, {MAX_RINGS} rings per"
            f" polygon and {MAX_RING_VERTICES} positions per ring"
        )
    if "too_short" in kinds and "coordinates" in where:
        return "geometry rings need at least 4 positions"
    for e in errors:
        if e.get("type") == "value_error":
            return str(e.get("msg", "")).removeprefix("Value error, ")
    return (
        "geometry must be a GeoJSON Point, Polygon or MultiPolygon (a geometry object, not a"
        " Feature) with WGS84 lon/lat coordinates"
    )
