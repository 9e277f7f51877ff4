"""Flag routes: the workflow, a site's flag panel (flag, what the viewer may do, park facts),
setting a flag and flagging in bulk, the flagged list and a province's view, the audit trail,
and their CSV exports. Every read goes through the viewer's scope filter (``Scope``)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from sitefinder.accounts import flags, workflow
from sitefinder.accounts.flags import FlagChange
from sitefinder.accounts.parkfacts import park_facts
from sitefinder.accounts.roles import PROVINCIE_RE
from sitefinder.accounts.scope import ScopeFilter
from sitefinder.api.accountmodels import (
    AuditTrail,
    BulkBody,
    BulkResult,
    FlagBody,
    FlaggedSites,
    ProvinceView,
    SiteFlag,
    Statuses,
)
from sitefinder.api.deps import Conn, check_kind, kind_param
from sitefinder.api.errors import error_responses
from sitefinder.api.exports import csv_response
from sitefinder.api.flagview import StatusFilter
from sitefinder.api.guard import body_limit
from sitefinder.api.security import AccountsConn, Flagger, LoggedIn, Scope
from sitefinder.core.errors import InvalidParameterError, UnknownSiteError

router = APIRouter(prefix="/api", tags=["flags"])
SitePath = Annotated[str, Path(max_length=200, description="e.g. holidayparks:osm:way/123")]
READ_ERRORS = error_responses(422, 500, 503)
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "CSV (UTF-8 with BOM, comma)"}
}
WRITE_ERRORS = error_responses(401, 403, 404, 409, 422, 500, 503)
FLAG_COLUMNS = (
    "site_id",
    "name",
    "kind",
    "provinciecode",
    "gemeentecode",
    "gemeentenaam",
    "status",
    "confidential",
    "tags",
    "note",
    "updated_at",
)
AUDIT_COLUMNS = (
    "id",
    "at",
    "site_id",
    "name",
    "provinciecode",
    "gemeentecode",
    "actor",
    "via",
    "from_status",
    "to_status",
    "from_confidential",
    "to_confidential",
    "from_tags",
    "to_tags",
    "from_note",
    "note",
)


PROVINCIE_PATTERN = r"^(?:[Pp][Vv][0-9]{2})?$"  # or empty: every province


def provincie_param(
    provincie: Annotated[
        str | None,
        Query(
            description="provinciecode, e.g. PV25; any case",
            max_length=10,
            json_schema_extra={"pattern": PROVINCIE_PATTERN},
        ),
    ] = None,
) -> str | None:
    if not provincie:
        return None
    code = provincie.upper()
    if not PROVINCIE_RE.match(code):
        raise InvalidParameterError(f"provincie must look like PV25, got '{provincie}'")
    return code


Provincie = Annotated[str | None, Depends(provincie_param)]
Kind = Annotated[str | None, Depends(kind_param)]


@router.get("/flags/statuses", responses=error_responses(500))
def statuses() -> Statuses:
    """The workflow: every status (titles, colour) and the statuses it may become."""
    return Statuses.model_validate(
        {"default": workflow.DEFAULT, "statuses": [s.public() for s in workflow.STATUSES]}
    )


def _site_flag(c: Any, scope: ScopeFilter, site_id: str) -> SiteFlag:
    place = flags.site_place(c, site_id)
    facts = park_facts(c, site_id)
    if place is None or facts is None:
        raise UnknownSiteError(f"no site with id '{site_id}'")
    found = flags.flag(c, scope, site_id)
    status = found["status"] if found else workflow.DEFAULT
    can_edit = scope.viewer.covers(place["provinciecode"])
    return SiteFlag.model_validate(
        {
            "site_id": site_id,
            "provinciecode": place["provinciecode"],
            "gemeentecode": place["gemeentecode"],
            "status": status,
            "flag": found,
            "can_edit": can_edit,
            "next": [status, *workflow.TRANSITIONS[status]] if can_edit else [],
            "facts": facts,
        }
    )


@router.get("/flags/sites/{site_id:path}", responses=error_responses(404, 422, 500, 503))
def site_flag(site_id: SitePath, c: Conn, scope: Scope) -> SiteFlag:
    """A site's flag as you may see it, whether you may change it (and to what), and the
    facts that matter for conversion (area, pitches, zoning, Natura 2000; unknowns as null)."""
    return _site_flag(c, scope, site_id)


@router.put("/flags/sites/{site_id:path}", responses=WRITE_ERRORS)
def set_site_flag(site_id: SitePath, body: FlagBody, session: Flagger, c: AccountsConn) -> SiteFlag:
    """Set a site's status (following the workflow), note, tags and confidential switch.

    Only a provincie user of the site's province or a coordinator of it may; the change is
    written to the audit trail."""
    change = FlagChange(
        status=workflow.check_status(body.status),
        note=body.note.strip(),
        tags=flags.clean_tags(body.tags),
        confidential=body.confidential,
    )
    flags.set_flag(c, session.viewer, site_id, change)
    return _site_flag(c, ScopeFilter.of(session.viewer), site_id)


# 5,000 ids of at most 200 characters, or an area at the limits of POST /api/score, and a note
BULK_BODY_LIMIT = 2 << 20  # bytes


@router.post("/flags/bulk", responses=WRITE_ERRORS, openapi_extra=body_limit(BULK_BODY_LIMIT))
def bulk(body: BulkBody, session: Flagger, c: AccountsConn) -> BulkResult:
    """Flag a selection at once: ``site_ids`` (e.g. the filtered list; all must lie in your
    provinces) or an ``area`` (WGS84 polygon; its sites in your provinces, of ``kind``)."""
    change = FlagChange(
        status=workflow.check_status(body.status),
        note=body.note.strip() if body.note is not None else None,
        tags=flags.clean_tags(body.tags),
        confidential=body.confidential,
    )
    area = body.area.model_dump(exclude_none=True) if body.area is not None else None
    kind = check_kind(body.kind) if body.kind else None
    result = flags.bulk_flag(
        c, session.viewer, change, site_ids=body.site_ids, area=area, kind=kind
    )
    return BulkResult.model_validate(result)


@router.get("/flags", responses=READ_ERRORS)
def flagged(
    c: Conn, scope: Scope, provincie: Provincie, status: StatusFilter, kind: Kind
) -> FlaggedSites:
    """The flagged sites you may see (newest change first), by province, status and kind."""
    rows = flags.list_flags(c, scope, provincie=provincie, statuses=status, kind=kind)
    return FlaggedSites.model_validate({"total": len(rows), "sites": rows})


@router.get("/flags.csv", response_class=Response, responses={**CSV, **READ_ERRORS})
def flagged_csv(
    c: Conn, scope: Scope, provincie: Provincie, status: StatusFilter, kind: Kind
) -> Response:
    """The flagged list as CSV (the same selection and visibility as GET /api/flags)."""
    rows = flags.list_flags(c, scope, provincie=provincie, statuses=status, kind=kind)
    return csv_response(rows, FLAG_COLUMNS, f"markeringen-{provincie or 'alle'}.csv")


@router.get("/flags/provincies/{code}", responses=error_responses(404, 422, 500, 503))
def province(
    code: Annotated[
        str,
        Path(
            max_length=10,
            description="provinciecode, e.g. PV25; any case",
            json_schema_extra={"pattern": PROVINCIE_PATTERN},
        ),
    ],
    c: Conn,
    scope: Scope,
    kind: Kind,
) -> ProvinceView:
    """A province's sites (of ``kind``) by status with the counts per status; a flag you may
    not see counts as niet_beoordeeld."""
    checked = provincie_param(code)
    if checked is None:
        raise InvalidParameterError("provincie must look like PV25")
    return ProvinceView.model_validate(flags.province_view(c, scope, checked, kind))


def _audit(c: Any, scope: ScopeFilter, site_id: str | None, provincie: str | None) -> list[Any]:
    if site_id is not None and len(site_id) > 200:
        raise InvalidParameterError("site_id must be at most 200 characters")
    return flags.audit_entries(c, scope, site_id=site_id, provincie=provincie)


@router.get("/audit", responses=error_responses(401, 422, 500, 503))
def audit(
    session: LoggedIn,
    c: Conn,
    scope: Scope,
    provincie: Provincie,
    site_id: Annotated[str | None, Query(max_length=200)] = None,
) -> AuditTrail:
    """The audit trail you may see (oldest first): of one site, of a province, or all."""
    return AuditTrail.model_validate({"entries": _audit(c, scope, site_id, provincie)})


@router.get(
    "/audit.csv",
    response_class=Response,
    responses={**CSV, **error_responses(401, 422, 500, 503)},
)
def audit_csv(
    session: LoggedIn,
    c: Conn,
    scope: Scope,
    provincie: Provincie,
    site_id: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The audit trail as CSV (the same selection and visibility as GET /api/audit)."""
    rows = _audit(c, scope, site_id, provincie)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", site_id or provincie or "alle")[:80]
    return csv_response(rows, AUDIT_COLUMNS, f"audit-{name}.csv")
