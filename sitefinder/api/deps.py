"""Request parsing: small typed dependencies that validate and return typed values.

A bad value raises ``InvalidParameterError`` (422 with a one-line message, see errors.py); the
bounds FastAPI checks itself (``Query(ge=...)``) give the same body.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Annotated, Any

import psycopg
from fastapi import Depends, Query, Request

from layers import site_kinds
from sitefinder.api import queries
from sitefinder.api.guard import Work, work_of
from sitefinder.api.models import BBox, Page
from sitefinder.api.queries import SiteQuery
from sitefinder.core import db
from sitefinder.core.crs import WGS84_BOUNDS
from sitefinder.core.errors import InvalidParameterError
from sitefinder.core.settings import Settings
from sitefinder.scoring import Profile, criteria, load_profile, parse_weights, profile_names
from sitefinder.scoring.engine import RANK_BY

# an office's vacancy as the query names it (no spaces) -> as the site holds it
VACANCY = {value.replace(" ", "_"): value for value in queries.VACANCY}


async def app_settings(request: Request) -> Settings:
    """The settings the app was created with (``app.state.settings``; async: no hand-off to
    a thread for what is read from memory)."""
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(app_settings)]


def connection(request: Request) -> Iterator[psycopg.Connection[Any]]:
    """A pooled connection for one request (``app.state.gate``: our errors when none comes, see
    ``db.Gate``); its statement is cancelled on the server if the client goes away."""
    gate: db.Gate = request.app.state.gate
    with gate.connection() as conn, work_of(request.scope).guarding(conn.cancel_safe):
        yield conn


def request_work(request: Request) -> Work:
    """The request's cancellable work (``guard.Work``)."""
    return work_of(request.scope)


RequestWork = Annotated[Work, Depends(request_work)]


Conn = Annotated[psycopg.Connection[Any], Depends(connection)]


# What the contract says (the patterns are in the OpenAPI schema) is exactly what is accepted.
NUMBER = r"-?[0-9]{1,3}(?:\.[0-9]{1,12})?"  # plain decimal degrees: always finite
BBOX_PATTERN = rf"^(?:{NUMBER},{NUMBER},{NUMBER},{NUMBER})?$"
GEMEENTE_PATTERN = r"^(?:[Gg][Mm][0-9]{4})?$"
# where nothing lies: the south-west corner of the area of use, outside the RD New domain
NOWHERE = BBox(WGS84_BOUNDS[0], WGS84_BOUNDS[1], WGS84_BOUNDS[0], WGS84_BOUNDS[1])


def list_pattern(values: Iterable[str]) -> str:
    """A comma-separated list of ``values`` (no spaces) or empty, as a regular expression."""
    one = "(?:" + "|".join(re.escape(v) for v in values) + ")"
    return rf"^(?:{one}(?:,{one})*)?$"


def parse_list(name: str, value: str | None, values: Sequence[str]) -> tuple[str, ...]:
    """``value`` as the list :func:`list_pattern` describes (duplicates dropped), or 422."""
    if not value:
        return ()
    if not re.fullmatch(list_pattern(values), value):
        raise InvalidParameterError(
            f"{name} must be one or more of {', '.join(values)}, comma-separated without"
            f" spaces, got '{value[:40]}'"
        )
    return tuple(dict.fromkeys(value.split(",")))


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def parse_bbox(value: str | None) -> BBox | None:
    """``west,south,east,north`` (WGS84 degrees) clamped to the area of use of RD New
    (``crs.WGS84_BOUNDS``), where all data lies: a larger box (the whole world) selects what
    lies in the Netherlands, correctly. A box with west > east or south > north is empty."""
    if value is None or value == "":
        return None
    if not re.fullmatch(BBOX_PATTERN, value):
        raise InvalidParameterError(
            "bbox must be four numbers west,south,east,north in WGS84 degrees, e.g."
            " 4.8,52.3,5.0,52.4 (plain decimals)"
        )
    west, south, east, north = (float(p) for p in value.split(","))
    if west > east or south > north:
        return NOWHERE
    x0, y0, x1, y1 = WGS84_BOUNDS
    return BBox(
        _clamp(west, x0, x1), _clamp(south, y0, y1), _clamp(east, x0, x1), _clamp(north, y0, y1)
    )


def bbox_param(
    bbox: Annotated[
        str | None,
        Query(
            description="west,south,east,north in WGS84 degrees (plain decimals), clamped to"
            f" the area of use {','.join(f'{v:g}' for v in WGS84_BOUNDS)}; west > east or"
            " south > north selects nothing",
            examples=["4.8,52.3,5.0,52.4"],
            max_length=80,
            json_schema_extra={"pattern": BBOX_PATTERN},
        ),
    ] = None,
) -> BBox | None:
    return parse_bbox(bbox)


def gemeente_param(
    gemeente: Annotated[
        str | None,
        Query(
            description="CBS municipality code, e.g. GM0363 (Amsterdam); any case",
            max_length=40,
            json_schema_extra={"pattern": GEMEENTE_PATTERN},
        ),
    ] = None,
) -> str | None:
    if gemeente is None or gemeente == "":
        return None
    if not re.fullmatch(GEMEENTE_PATTERN, gemeente):
        raise InvalidParameterError(f"gemeente must look like GM0363, got '{gemeente[:40]}'")
    return gemeente.upper()


def check_kind(value: str) -> str:
    """A site kind code from the layer catalogue (``layers.site_kinds``)."""
    known = site_kinds()
    if value not in known:
        raise InvalidParameterError(f"kind must be one of {', '.join(known)}, got '{value[:40]}'")
    return value


def kind_param(
    kind: Annotated[
        str | None,
        Query(
            description="site kind; empty: every kind",
            json_schema_extra={"enum": ["", *site_kinds()]},
        ),
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


async def profile_param(
    settings: AppSettings,
    profile: Annotated[
        str | None,
        Query(
            description="scoring profile (GET /api/profiles); default: the configured one",
            max_length=60,
            json_schema_extra={"enum": ["", *profile_names()]},  # empty: the configured one
        ),
    ] = None,
) -> Profile:
    return load_profile(profile or settings.default_profile)  # cached: no file read here


ProfileParam = Annotated[Profile, Depends(profile_param)]


@functools.lru_cache(maxsize=8)
def _weights_pattern(names: tuple[str, ...]) -> str:
    name = "(?:" + "|".join(re.escape(n) for n in names) + ")"
    number = r"(?:100(?:\.0+)?|[0-9]{1,2}(?:\.[0-9]+)?)"
    zero = r"0{1,2}(?:\.0+)?"
    positive = (
        r"(?:100(?:\.0+)?|[0-9]?[1-9](?:\.[0-9]+)?|[1-9]0(?:\.[0-9]+)?"
        r"|0{1,2}\.0*[1-9][0-9]*)"
    )
    return rf"^(?:(?:{name}:{zero},)*{name}:{positive}(?:,{name}:{number})*)?$"  # or empty


def weights_pattern() -> str:
    """``name:weight`` pairs: criteria of the catalogue, plain decimals 0-100, one above 0.

    (zero weights first, then the first positive one, then any: every list with a positive
    weight has that shape, so one regular expression says it.)
    """
    return _weights_pattern(tuple(criteria.catalogue()))


def weights_param(
    profile: ProfileParam,
    weights: Annotated[
        str | None,
        Query(
            description="own weights, e.g. transit:0.5,care_distance:0.3 (criteria of GET"
            " /api/profiles; plain decimals 0-100, at least one above 0; criteria not named"
            " weigh 0); thresholds come from the profile",
            max_length=500,
            json_schema_extra={"pattern": weights_pattern()},  # contract.py: the current one
        ),
    ] = None,
) -> dict[str, float]:
    """The user's own weights, else the profile's."""
    if not weights:
        return profile.weights
    parsed = parse_weights(weights)  # its messages say what is wrong, in words
    if not re.fullmatch(weights_pattern(), weights):
        raise InvalidParameterError(
            "weights must look like transit:0.5,care_distance:0.3 (plain decimals 0-100,"
            " no spaces, at least one above 0)"
        )
    return parsed


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
            json_schema_extra={"pattern": list_pattern(VACANCY)},
        ),
    ] = None,
) -> tuple[str, ...]:
    return tuple(VACANCY[part] for part in parse_list("vacancy", vacancy, list(VACANCY)))


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
