"""Request parsing: small typed dependencies that validate and return typed values (else 4xx)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import HTTPException, Query

from layers import site_kinds

GEMEENTE_RE = re.compile(r"^GM\d{4}$")


@dataclass(frozen=True)
class BBox:
    """A WGS84 (EPSG:4326) bounding box in degrees: west, south, east, north."""

    west: float
    south: float
    east: float
    north: float


def parse_bbox(value: str | None) -> BBox | None:
    if value is None or value == "":
        return None
    parts = value.split(",")
    if len(parts) != 4:
        raise HTTPException(422, "bbox must be four numbers: west,south,east,north (WGS84 degrees)")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise HTTPException(422, "bbox must be four numbers: west,south,east,north") from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise HTTPException(422, "bbox values must be finite numbers")
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise HTTPException(
            422, "bbox must satisfy -180 <= west < east <= 180 and -90 <= south < north <= 90"
        )
    return BBox(west, south, east, north)


def bbox_param(
    bbox: Annotated[
        str | None,
        Query(description="west,south,east,north in WGS84 degrees", examples=["4.8,52.3,5.0,52.4"]),
    ] = None,
) -> BBox | None:
    return parse_bbox(bbox)


def gemeente_param(
    gemeente: Annotated[
        str | None, Query(description="CBS municipality code, e.g. GM0363 (Amsterdam)")
    ] = None,
) -> str | None:
    if gemeente is None or gemeente == "":
        return None
    code = gemeente.upper()
    if not GEMEENTE_RE.match(code):
        raise HTTPException(422, f"gemeente must look like GM0363, got '{gemeente}'")
    return code


def check_kind(value: str) -> str:
    """A site kind code from the layer catalogue (``layers.site_kinds``), else 422."""
    known = site_kinds()
    if value not in known:
        raise HTTPException(422, f"kind must be one of {', '.join(known)}, got '{value[:40]}'")
    return value


def kind_param(
    kind: Annotated[
        str | None,
        Query(description="site kind", json_schema_extra={"enum": list(site_kinds())}),
    ] = None,
) -> str | None:
    return None if kind is None or kind == "" else check_kind(kind)


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def page_param(
    limit: Annotated[int, Query(ge=1, le=2000, description="at most this many features")] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Page:
    return Page(limit=limit, offset=offset)
