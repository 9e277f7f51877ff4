"""Fair-share routes: the regions of a kind, a region's fair share per gemeente against its
capacity (JSON or CSV), and a coordinator's entry of a region's need (docs/fairshare.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from sitefinder.accounts import workflow
from sitefinder.api import fairshare, flagview
from sitefinder.api.deps import Conn, ProfileParam, WeightsParam
from sitefinder.api.errors import error_responses
from sitefinder.api.guard import body_limit
from sitefinder.api.security import AccountsConn, Scope, Writer
from sitefinder.core.errors import (
    InvalidParameterError,
    PermissionDeniedError,
    UnknownRegionError,
)
from sitefinder.scoring import profile_names

router = APIRouter(prefix="/api/fairshare", tags=["fair share"])

Kind = Annotated[
    Literal["centrumgemeente", "ggd", "wmo", "provincie"],
    Query(
        description="centrumgemeente (maatschappelijke opvang, beschermd wonen), ggd, wmo"
        " or provincie"
    ),
]
_STATUS = "(?:" + "|".join(s.code for s in workflow.STATUSES) + ")"
STATUSES_PATTERN = f"^(?:{_STATUS}(?:,{_STATUS})*)?$"
PROFILES: list[Any] = list(profile_names())  # the enum of a need's profile
NEED_BODY_LIMIT = 1024  # bytes: a need entry is four short fields
CSV_DOC = {"text/csv": {"schema": {"type": "string"}}}


class Region(BaseModel):
    code: str
    name: str
    members: int


class Regions(BaseModel):
    kind: str
    regions: list[Region]


class FairShareRow(BaseModel):
    gemeentecode: str
    gemeente: str
    key_value: float
    share: float
    fair_share: float | None
    fair_share_rounded: int | None
    capacity_sites: float
    n_sites: int
    capacity_flagged: float
    n_flagged: int
    capacity_offers: float | None
    capacity: float
    balance: float | None


class FairShareView(BaseModel):
    kind: str
    region: str
    name: str
    profile: str
    key: str
    key_property: str | None
    min_score: float
    statuses: list[str]
    need: int | None
    need_source: str | None
    need_updated_at: Any = None
    stored_need: int | None
    offers_available: bool
    gemeenten: list[FairShareRow]
    totals: dict[str, float]


class NeedEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["centrumgemeente", "ggd", "wmo", "provincie"]
    region: str = Field(min_length=1, max_length=100)
    profile: str = Field(min_length=1, max_length=60, json_schema_extra={"enum": PROFILES})
    need: int = Field(ge=0, le=fairshare.MAX_NEED)


class NeedStored(BaseModel):
    kind: str
    region: str
    profile: str
    need: int


@router.get("/regions", responses=error_responses(422, 500, 503))
def regions(c: Conn, kind: Kind = "centrumgemeente") -> Regions:
    """The regions of a kind, with their number of gemeenten (of the loaded gemeenten layer)."""
    return Regions.model_validate({"kind": kind, "regions": fairshare.regions(c, kind)})


def _statuses(value: str | None) -> tuple[str, ...]:
    if not value:
        return fairshare.CAPACITY_STATUSES
    return tuple(workflow.check_status(s.strip()) for s in value.split(",") if s.strip())


@router.get(
    "",
    response_model=FairShareView,
    responses={200: {"content": CSV_DOC}, **error_responses(404, 422, 500, 503)},
)
def view(
    c: Conn,
    accounts: AccountsConn,
    request: Request,
    scope: Scope,
    profile: ProfileParam,
    weights: WeightsParam,
    region: Annotated[
        str,
        Query(min_length=1, max_length=100, description="region code (GET /api/fairshare/regions)"),
    ],
    kind: Kind = "centrumgemeente",
    key: Annotated[
        Literal["population", "households", "equal"], Query(description="the share key")
    ] = "population",
    min_score: Annotated[
        float, Query(ge=0.0, le=1.0, description="sites count from this score")
    ] = 0.5,
    need: Annotated[
        int | None,
        Query(
            ge=0,
            le=fairshare.MAX_NEED,
            description="the region's need, typed in: replaces the stored one",
        ),
    ] = None,
    statuses: Annotated[
        str | None,
        Query(
            max_length=200,
            description="flag statuses whose parks count as capacity, comma-separated"
            " (GET /api/flags/statuses); default: all but niet_beoordeeld and ongeschikt",
            json_schema_extra={"pattern": STATUSES_PATTERN},
        ),
    ] = None,
    f: Annotated[Literal["json", "csv"], Query(description="json or csv")] = "json",
) -> Any:
    """Per gemeente of the region: its fair share of the region's need for the profile's
    target group (by the key) against its capacity: places of the sites scoring at least
    ``min_score``, of the parks with a visible province flag and of the offers you may see."""
    q = fairshare.FairShareQuery(
        kind=kind,
        region=region,
        profile=profile,
        weights=weights,
        min_score=min_score,
        key=key,
        need=need,
        statuses=_statuses(statuses),
    )
    table = request.app.state.engine.table(c)
    shown = flagview.visible(c, scope)
    result = fairshare.fair_share(c, table, q, shown, accounts=accounts, scope=scope)
    if f == "csv":
        safe = "".join(ch if ch.isalnum() else "-" for ch in region)[:40]
        return fairshare.csv_response(result, f"fair-share-{kind}-{safe}.csv")
    return FairShareView.model_validate(result)


@router.put(
    "/need",
    responses=error_responses(401, 403, 404, 413, 422, 500, 503),
    openapi_extra=body_limit(NEED_BODY_LIMIT),
)
def put_need(c: Conn, writes: AccountsConn, session: Writer, body: NeedEntry) -> NeedStored:
    """A coordinator sets a region's need for a target group (profile). A coordinator of NL
    may set any region's; a coordinator of a province those whose gemeenten all lie in it."""
    viewer = session.viewer
    if not viewer.has("coordinator"):
        raise PermissionDeniedError("only a coordinator may enter a region's need")
    if body.profile not in profile_names():
        raise InvalidParameterError(f"profile must be one of {', '.join(profile_names())}")
    provinces = fairshare.member_provinces(c, body.kind, body.region)
    if not provinces:
        raise UnknownRegionError(f"no gemeente lies in the {body.kind} region '{body.region[:60]}'")
    if not viewer.covers_country and not provinces <= viewer.provinces:
        raise PermissionDeniedError("this region reaches outside the provinces you coordinate")
    with writes.transaction():
        fairshare.set_need(
            writes, body.kind, body.region, body.profile, body.need, "coordinator", viewer.user_id
        )
    return NeedStored(kind=body.kind, region=body.region, profile=body.profile, need=body.need)
