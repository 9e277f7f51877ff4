"""Scoring routes: the target-group profiles and criteria, and scoring a geometry ad hoc."""

from __future__ import annotations

from fastapi import APIRouter, Request

from sitefinder.api import adhoc
from sitefinder.api.deps import AppSettings, Conn, ProfileParam, RequestWork, WeightsParam
from sitefinder.api.errors import error_responses
from sitefinder.api.guard import body_limit
from sitefinder.api.models import AdHocFeature, AdHocSite, Profiles
from sitefinder.scoring import criteria, load_profile, profile_names

router = APIRouter(prefix="/api", tags=["scoring"])
SCORE_BODY_LIMIT = 1 << 20  # bytes: a geometry at its limits, pretty-printed, fits


@router.get("/profiles", response_model_exclude_unset=True, responses=error_responses(500))
def profiles(settings: AppSettings) -> Profiles:
    """The target-group profiles with their weights, and the criteria (titles, units)."""
    return Profiles.model_validate(
        {
            "default": settings.default_profile,
            "profiles": [load_profile(name).public() for name in profile_names()],
            "criteria": [c.public() for c in criteria.catalogue().values()],
        }
    )


@router.post(
    "/score",
    response_model_exclude_unset=True,
    responses=error_responses(413, 422, 500, 503),
    openapi_extra=body_limit(SCORE_BODY_LIMIT),
)
def score_geometry(
    c: Conn,
    request: Request,
    work: RequestWork,
    body: AdHocSite,
    profile: ProfileParam,
    weights: WeightsParam,
) -> AdHocFeature:
    """Score a GeoJSON geometry (WGS84) that is not in the database, with the same engine.

    The body is at most 1 MiB; the geometry is bounded (see its schema); an invalid one is
    repaired within a time budget, else refused (422). The answer carries the geometry as
    read: repaired, WGS84, 6 decimals.
    """
    layers = request.app.state.engine.layers(c)
    feature = adhoc.score(c, layers, body, profile, weights, request.app.state.workers, work)
    return AdHocFeature.model_validate(feature)
