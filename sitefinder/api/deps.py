"""Request parsing: small typed dependencies that validate and return typed values.

A bad value raises ``InvalidParameterError`` (422 with a one-line message, see errors.py); the
bounds FastAPI checks itself (``Query(ge=...)``) give the same body.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Annotated, Any

import psycopg
from fastapi import Depends, Query, Request
from psycopg_pool import ConnectionPool

from layers import site_kinds
from sitefinder.api import queries
from sitefinder.api.models import BBox, Page
from sitefinder.api.queries import SiteQuery
from sitefinder.core.errors import InvalidParameterError
from sitefinder.core.settings import Settings
from sitefinder.scoring import Profile, load_profile, parse_weights, profile_names
from sitefinder.scoring.engine import RANK_BY

GEMEENTE_RE = re.compile(r"^GM\d{4}$")
# an office's vacancy as the query names it (no spaces) -> as the site holds it
VACANCY = {value.replace(" ", "_"): value for value in queries.VACANCY}


def app_settings(request: Request) -> Settings:
    """The settings the app was created with (``app.state.settings``)."""
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(app_settings)]


def connection(request: Request) -> Iterator[psycopg.Connection[Any]]:
    """A pooled connection for one request (the pool lives on ``app.state``)."""
    pool: ConnectionPool = request.app.state.pool
    with pool.connection(timeout=10) as conn:
        yield conn


Conn = Annotated[psycopg.Connection[Any], Depends(connection)]


def parse_bbox(value: str | None) -> BBox | None:
    if value is None or value == "":
        return None
    parts = value.split(",")
    if len(parts) != 4:
        raise InvalidParameterError(
            "bbox must be four numbers: west,south,east,north (WGS84 degrees)"
        )
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise InvalidParameterError("bbox must be four numbers: west,south,east,north") from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise InvalidParameterError("bbox values must be finite numbers")
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InvalidParameterError(
            "bbox must satisfy -180 <= west < east <= 180 and -90 <= south < north <= 90"
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
        str | None,
        Query(description="CBS municipality code, e.g. GM0363 (Amsterdam)", max_length=40),
    ] = None,
) -> str | None:
    if gemeente is None or gemeente == "":
        return None
    code = gemeente.upper()
    if not GEMEENTE_RE.match(code):
        raise InvalidParameterError(f"gemeente must look like GM0363, got '{gemeente}'")
    return code


def check_kind(value: str) -> str:
    """A site kind code from the layer catalogue (``layers.site_kinds``)."""
    known = site_kinds()
    if value not in known:
        raise InvalidParameterError(f"kind must be one of {', '.join(known)}, got '{value[:40]}'")
    return value


def kind_param(
    kind: Annotated[
        str | None,
        Query(description="site kind", json_schema_extra={"enum": list(site_kinds())}),
    ] = None,
) -> str | None:
    return None if kind is None or kind == "" else check_kind(kind)


def page_param(
    settings: AppSettings,
    limit: Annotated[
        int,
        Query(ge=1, description="at most this many features; SITEFINDER_API_MAX_LIMIT bounds it"),
    ] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Page:
    """A page of a ranked list; ``limit`` is bounded by ``SITEFINDER_API_MAX_LIMIT``."""
    if limit > settings.api_max_limit:
        raise InvalidParameterError(f"limit must be at most {settings.api_max_limit}")
    return Page(limit=limit, offset=offset)


def profile_param(
    settings: AppSettings,
    profile: Annotated[
        str | None,
        Query(
            description="scoring profile (GET /api/profiles); default: the configured one",
            max_length=60,
            json_schema_extra={"enum": profile_names()},
        ),
    ] = None,
) -> Profile:
    return load_profile(profile or settings.default_profile)


ProfileParam = Annotated[Profile, Depends(profile_param)]


def weights_param(
    profile: ProfileParam,
    weights: Annotated[
        str | None,
        Query(
            description="own weights, e.g. transit:0.5,care_distance:0.3 (criteria not "
            "named weigh 0); thresholds come from the profile",
            max_length=500,
        ),
    ] = None,
) -> dict[str, float]:
    """The user's own weights, else the profile's."""
    return parse_weights(weights) if weights else profile.weights


WeightsParam = Annotated[dict[str, float], Depends(weights_param)]


def rank_by_param(
    rank_by: Annotated[
        str,
        Query(
            description="conservative (default): solid scores first, each by its lowest"
            " possible score; score: by the point score (docs/scoring.md section 3)",
            max_length=40,
            json_schema_extra={"enum": list(RANK_BY)},
        ),
    ] = "conservative",
) -> str:
    if rank_by not in RANK_BY:
        raise InvalidParameterError(
            f"rank_by must be one of {', '.join(RANK_BY)}, got '{rank_by[:40]}'"
        )
    return rank_by


def vacancy_param(
    vacancy: Annotated[
        str | None,
        Query(
            description="offices only: leeg, in_gebruik or onbekend (comma-separated: any of"
            " them); other kinds of site have no vacancy and drop out",
            max_length=60,
            examples=["leeg"],
        ),
    ] = None,
) -> tuple[str, ...]:
    if not vacancy:
        return ()
    given = [part.strip().lower() for part in vacancy.split(",") if part.strip()]
    unknown = [part for part in given if part not in VACANCY]
    if unknown:
        raise InvalidParameterError(
            f"vacancy must be one or more of {', '.join(VACANCY)}, got '{unknown[0][:40]}'"
        )
    return tuple(dict.fromkeys(VACANCY[part] for part in given))


def site_query(
    profile: ProfileParam,
    weights: WeightsParam,
    bbox: Annotated[BBox | None, Depends(bbox_param)],
    gemeente: Annotated[str | None, Depends(gemeente_param)],
    page: Annotated[Page, Depends(page_param)],
    kind: Annotated[str | None, Depends(kind_param)] = None,
    min_score: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0,
    include_excluded: bool = False,
    stability_k: Annotated[int, Query(ge=1, le=500, description="top k for stability")] = 10,
    rank_by: Annotated[str, Depends(rank_by_param)] = "conservative",
    min_completeness: Annotated[
        float, Query(ge=0.0, le=1.0, description="only sites with this share of the weight known")
    ] = 0.0,
    vacancy: Annotated[tuple[str, ...], Depends(vacancy_param)] = (),
) -> SiteQuery:
    """The site filters, page, profile or own weights and ranking of a request."""
    return SiteQuery(
        profile=profile,
        weights=weights,
        kind=kind,
        gemeente=gemeente,
        min_score=min_score,
        bbox=bbox,
        include_excluded=include_excluded,
        page=page,
        stability_k=stability_k,
        rank_by=rank_by,
        min_completeness=min_completeness,
        vacancy=vacancy,
    )


SiteQueryParam = Annotated[SiteQuery, Depends(site_query)]
