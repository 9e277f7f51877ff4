"""Scoring routes: the target-group profiles and criteria, and scoring a geometry ad hoc."""

from __future__ import annotations

from fastapi import APIRouter, Request

from sitefinder.api import adhoc
from sitefinder.api.deps import AppSettings, Conn, ProfileParam, WeightsParam
from sitefinder.api.errors import error_responses
from sitefinder.api.models import AdHocFeature, AdHocSite, Profiles
from sitefinder.scoring import criteria, load_profile, profile_names

router = APIRouter(prefix="/api", tags=["scoring"])


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


@router.post("/score", response_model_exclude_unset=True, responses=error_responses(422, 500, 503))
def score_geometry(
    c: Conn, request: Request, body: AdHocSite, profile: ProfileParam, weights: WeightsParam
) -> AdHocFeature:
    """Score a GeoJSON geometry (WGS84) that is not in the database, with the same engine."""
    feature = adhoc.score(c, request.app.state.layer_cache, body, profile, weights)
    return AdHocFeature.model_validate(feature)
