"""Municipalities' routes: post a demand, see the offers and candidate sites that match it (with
why, and what is unknown); coordinators propose a match; the parties move it on.

Matches are ranked with the engine on the served snapshot (``app.state.engine``: the site
table and the criterion layers), against the demand's profile (``sitefinder.accounts.matching``).
Every read goes through the viewer's scope filter; writes take ``Writer`` and are checked
against role and scope in ``matching``.
"""

from __future__ import annotations

from typing import Annotated, Any

import shapely
from fastapi import APIRouter, BackgroundTasks, Path, Query, Request

from sitefinder.accounts import alerts, matching
from sitefinder.accounts.roles import GEMEENTE_RE, Viewer
from sitefinder.accounts.scope import ScopeFilter
from sitefinder.api import adhoc
from sitefinder.api.alertstep import schedule
from sitefinder.api.deps import RequestWork
from sitefinder.api.errors import error_responses
from sitefinder.api.geojson import PointIn, PolygonIn
from sitefinder.api.guard import Work, body_limit
from sitefinder.api.matchmodels import (
    Demand,
    DemandBody,
    Demands,
    MatchAudit,
    Matches,
    MatchStatusBody,
    Proposal,
    Proposals,
    ProposeBody,
    SearchBody,
)
from sitefinder.api.security import AccountsConn, LoggedIn, Scope, Writer
from sitefinder.core.errors import InvalidParameterError, PermissionDeniedError

router = APIRouter(prefix="/api", tags=["matches"])
Id = Annotated[int, Path(ge=1, le=2**62)]
WRITE_ERRORS = error_responses(401, 403, 404, 409, 413, 422, 500, 503)
DEMAND_BODY_LIMIT = 1 << 20
READ_ERRORS = error_responses(401, 404, 422, 500, 503)


def area_of(
    c: Any,
    request: Request,
    work: Work,
    *,
    kind: str,
    gemeentecode: str | None,
    center: PointIn | None,
    radius_m: float | None,
    polygon: PolygonIn | None,
) -> shapely.Geometry:
    """The area (EPSG:28992 multipolygon): a territory, a circle or a drawn polygon."""
    if kind == "territory":
        code = (gemeentecode or "").upper()
        if not GEMEENTE_RE.match(code):
            raise InvalidParameterError("a territory needs a gemeentecode like GM0363")
        return matching.territory(c, code)
    if kind == "radius":
        if center is None or radius_m is None:
            raise InvalidParameterError("a radius needs center (a GeoJSON Point) and radius_m")
        lon, lat = center.coordinates
        return matching.circle(lon, lat, radius_m)
    if polygon is None:
        raise InvalidParameterError("a drawn area needs polygon (a GeoJSON Polygon)")
    return matching.multi(adhoc.to_rd(polygon, request.app.state.workers, work))


def criteria_of(
    c: AccountsConn,
    request: Request,
    work: RequestWork,
    body: DemandBody | SearchBody,
    *,
    kind: str,
    gemeentecode: str | None,
) -> matching.Criteria:
    """What a demand or a saved search asks: its area (``kind``: territory, radius or polygon;
    EPSG:28992) and its wants (profile, places, period, care within, minimum score, kinds)."""
    area = area_of(
        c,
        request,
        work,
        kind=kind,
        gemeentecode=gemeentecode,
        center=body.center,
        radius_m=body.radius_m,
        polygon=body.polygon,
    )
    return matching.Criteria(
        profile=body.profile,
        area=area,
        places=body.places,
        period_from=body.period_from,
        period_to=body.period_to,
        max_care_m=body.max_care_m,
        min_score=body.min_score,
        kinds=tuple(body.kinds) if isinstance(body, SearchBody) else (),
    )


def _own_gemeente(viewer: Viewer, asked: str | None) -> str:
    mine = sorted(viewer.gemeenten)
    if not mine:
        raise PermissionDeniedError("only a gemeente account may post a demand")
    return (asked or mine[0]).upper()


@router.post("/demands", responses=WRITE_ERRORS, openapi_extra=body_limit(DEMAND_BODY_LIMIT))
def post_demand(
    request: Request, body: DemandBody, session: Writer, c: AccountsConn, work: RequestWork
) -> Demand:
    """Post a demand of your municipality: target group (profile), places, period, area (your
    territory, a radius or a drawn polygon) and must-haves (care within ``max_care_m``)."""
    code = _own_gemeente(session.viewer, body.gemeentecode)
    criteria = criteria_of(c, request, work, body, kind=body.area_kind, gemeentecode=code)
    new = matching.create_demand(
        c,
        session.viewer,
        title=body.title,
        criteria=criteria,
        area_kind=body.area_kind,
        radius_m=body.radius_m,
        gemeentecode=code,
    )
    return Demand.model_validate(_public(matching.demand(c, ScopeFilter.of(session.viewer), new)))


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "area_wkb"}


@router.get("/demands", responses=error_responses(401, 500, 503))
def list_demands(session: LoggedIn, c: AccountsConn, scope: Scope) -> Demands:
    """The demands you may see: of your municipality, or of the provinces you cover."""
    return Demands.model_validate({"demands": matching.list_demands(c, scope)})


@router.get("/demands/{demand_id}", responses=READ_ERRORS)
def get_demand(demand_id: Id, session: LoggedIn, c: AccountsConn, scope: Scope) -> Demand:
    return Demand.model_validate(_public(matching.demand(c, scope, demand_id)))


@router.get("/demands/{demand_id}/matches", responses=READ_ERRORS)
def demand_matches(
    request: Request, demand_id: Id, session: LoggedIn, c: AccountsConn, scope: Scope
) -> Matches:
    """The offers you may see and the candidate sites that match the demand, best first, each
    with why it matches and what is unknown."""
    row = matching.demand(c, scope, demand_id)
    engine = request.app.state.engine
    found = matching.find_matches(
        c, scope, engine.table(c), engine.layers(c), matching.demand_criteria(row)
    )
    return Matches.model_validate({"demand": _public(row), **found})


@router.get("/matches", responses=error_responses(401, 422, 500, 503))
def list_matches(
    session: LoggedIn,
    c: AccountsConn,
    scope: Scope,
    demand_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Proposals:
    """The proposed matches you may see (yours as an owner, your municipality's, or those of
    the provinces you cover), with the statuses you may move each to."""
    return Proposals.model_validate(
        {"matches": matching.list_matches(c, scope, demand_id=demand_id)}
    )


@router.post("/matches", responses=WRITE_ERRORS)
def propose(request: Request, body: ProposeBody, session: Writer, c: AccountsConn) -> Proposal:
    """Propose an offer (``property_id``), a candidate site (``site_id``) or a combination of
    2 to 4 offers whose places add up (``property_ids``: one match per offer, sharing a
    ``combination_id``; the answer is the first, ``GET /api/matches`` lists them all) for a
    demand (a coordinator of the demand's province); both sides are told."""
    if body.property_ids is not None:
        if body.property_id is not None or body.site_id is not None:
            raise InvalidParameterError("give property_ids alone, or property_id or site_id")
        made = matching.propose_combination(
            c, session.viewer, body.demand_id, property_ids=body.property_ids, note=body.note
        )
    else:
        made = [
            matching.propose(
                c,
                session.viewer,
                body.demand_id,
                property_id=body.property_id,
                site_id=body.site_id,
                note=body.note,
            )
        ]
    scope = ScopeFilter.of(session.viewer)
    proposed = [matching.list_matches(c, scope, match_id=new)[0] for new in made]
    together = " (samen met andere aanbiedingen / together with other offers)" if made[1:] else ""
    for new, found in zip(made, proposed, strict=True):
        alerts.notify(
            c,
            matching.parties(c, new),
            kind="proposal",
            match_id=new,
            title=f"Voorstel: {found['name'] or ''} voor {found['demand_title'] or 'een vraag'}",
            body="Een coördinator stelt een match voor. / A coordinator proposes a match."
            f"{together} {body.note}",
        )
    return Proposal.model_validate(proposed[0])


@router.post("/matches/{match_id}/status", responses=WRITE_ERRORS)
def match_status(
    request: Request,
    match_id: Id,
    body: MatchStatusBody,
    session: Writer,
    c: AccountsConn,
    background: BackgroundTasks,
) -> Proposal:
    """Move a match on (voorgesteld -> in_gesprek -> akkoord / afgewezen) with a note: the
    owner of the offer, the gemeente of the demand, or whoever covers its province."""
    found = matching.set_match_status(c, session.viewer, match_id, body.status, body.note)
    others = [u for u in matching.parties(c, match_id) if u != session.viewer.user_id]
    alerts.notify(
        c,
        others,
        kind="match_status",
        match_id=match_id,
        title=f"Match {found['name'] or match_id}: {body.status}",
        body=body.note,
    )
    schedule(request, background)
    return Proposal.model_validate(found)


@router.get("/matches/{match_id}/audit", responses=READ_ERRORS)
def match_audit(match_id: Id, session: LoggedIn, c: AccountsConn, scope: Scope) -> MatchAudit:
    """The audit trail of a match you may see (oldest first)."""
    return MatchAudit.model_validate({"entries": matching.audit_entries(c, scope, match_id)})
