"""Owners' routes: find a property (address search, reading an uploaded file), save it
privately, edit it, offer or withdraw it, delete it; and delete one's own account.

Every read of properties goes through the viewer's scope filter (``Scope``: an owner sees
their own, a gemeente, provincie or coordinator the offers of its place); writes take
``Writer`` (login + CSRF) and check the owner in ``sitefinder.accounts.offers``. A new offer or
a change of its status runs the saved searches' alerts after the answer
(``sitefinder.api.alertstep``).
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, BackgroundTasks, Path, Query, Request, Response

from sitefinder.accounts import offers
from sitefinder.accounts.offers import PropertyData
from sitefinder.accounts.scope import ScopeFilter
from sitefinder.api import adhoc, findplace, security
from sitefinder.api.accountmodels import Done
from sitefinder.api.alertstep import schedule
from sitefinder.api.deps import AppSettings, RequestWork
from sitefinder.api.errors import error_responses
from sitefinder.api.guard import body_limit
from sitefinder.api.matchmodels import (
    Addresses,
    Properties,
    Property,
    PropertyBody,
    ReadGeometry,
)
from sitefinder.api.security import AccountsConn, LoggedIn, Scope, Writer
from sitefinder.core.errors import UnknownSiteError

router = APIRouter(prefix="/api", tags=["offers"])
PropertyId = Annotated[int, Path(ge=1, le=2**62)]
WRITE_ERRORS = error_responses(401, 403, 404, 409, 413, 422, 500, 503)
PROPERTY_BODY_LIMIT = 1 << 20  # bytes: a geometry at its limits, as for POST /api/score
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
    **body_limit(findplace.UPLOAD_LIMIT),
}


def _data(request: Request, work: Any, body: PropertyBody) -> PropertyData:
    rd = adhoc.to_rd(body.geometry, request.app.state.workers, work)
    return PropertyData(
        geometry=rd,
        name=body.name,
        places=body.places,
        floor_area_m2=body.floor_area_m2,
        available_from=body.available_from,
        available_to=body.available_to,
        conditions=body.conditions,
        consent_contact=body.consent_contact,
        contact_name=body.contact_name,
        contact_email=body.contact_email,
        contact_phone=body.contact_phone,
    )


@router.get("/properties", responses=error_responses(401, 500, 503))
def list_properties(
    session: LoggedIn,
    c: AccountsConn,
    scope: Scope,
    own: Annotated[bool, Query(description="only your own")] = False,
) -> Properties:
    """The properties you may see: your own (saved, offered, withdrawn) and the offers of the
    places you cover (gemeente, provincie, coordinator). Contact only with consent."""
    return Properties.model_validate({"properties": offers.list_visible(c, scope, own=own)})


@router.get("/properties/{property_id}", responses=error_responses(401, 404, 422, 500, 503))
def get_property(
    property_id: PropertyId, session: LoggedIn, c: AccountsConn, scope: Scope
) -> Property:
    found = offers.get(c, scope, property_id)
    if found is None:
        raise UnknownSiteError(f"no property with id {property_id}")
    return Property.model_validate(found)


@router.post("/properties", responses=WRITE_ERRORS, openapi_extra=body_limit(PROPERTY_BODY_LIMIT))
def save_property(
    request: Request, body: PropertyBody, session: Writer, c: AccountsConn, work: RequestWork
) -> Property:
    """Save a property privately (an eigenaar only); offer it with POST .../offer."""
    new = offers.save(c, session.viewer, _data(request, work, body))
    found = offers.get(c, ScopeFilter.of(session.viewer), new)
    assert found is not None
    return Property.model_validate(found)


@router.put(
    "/properties/{property_id}",
    responses=WRITE_ERRORS,
    openapi_extra=body_limit(PROPERTY_BODY_LIMIT),
)
def update_property(
    request: Request,
    property_id: PropertyId,
    body: PropertyBody,
    session: Writer,
    c: AccountsConn,
    work: RequestWork,
    background: BackgroundTasks,
) -> Property:
    """Change your own property (an offer stays offered)."""
    offers.update(c, session.viewer, property_id, _data(request, work, body))
    found = offers.get(c, ScopeFilter.of(session.viewer), property_id)
    assert found is not None
    if found["status"] == "offered":
        schedule(request, background)
    return Property.model_validate(found)


@router.post("/properties/{property_id}/offer", responses=WRITE_ERRORS)
def offer_property(
    request: Request,
    property_id: PropertyId,
    session: Writer,
    c: AccountsConn,
    background: BackgroundTasks,
) -> Property:
    """Offer your property: the gemeente, provincie and coordinators of its place see it."""
    found = offers.set_status(c, session.viewer, property_id, "offered")
    schedule(request, background)
    return Property.model_validate(found)


@router.post("/properties/{property_id}/withdraw", responses=WRITE_ERRORS)
def withdraw_property(
    request: Request, property_id: PropertyId, session: Writer, c: AccountsConn
) -> Property:
    """Withdraw your offer: from now on only you see it."""
    return Property.model_validate(offers.set_status(c, session.viewer, property_id, "withdrawn"))


@router.delete("/properties/{property_id}", responses=WRITE_ERRORS)
def delete_property(property_id: PropertyId, session: Writer, c: AccountsConn) -> Done:
    offers.delete(c, session.viewer, property_id)
    return Done(ok=True)


@router.delete("/account", responses=error_responses(401, 403, 500, 503))
def delete_account(
    response: Response, session: Writer, c: AccountsConn, settings: AppSettings
) -> Done:
    """Delete your own account and your personal data (properties with their contact, saved
    searches, notifications, sessions); the session ends."""
    offers.delete_account(c, session.viewer)
    security.clear_session_cookie(response, settings)
    return Done(ok=True)


@router.get("/geocode", responses=error_responses(422, 500, 502, 503))
def geocode(
    settings: AppSettings,
    q: Annotated[str, Query(min_length=3, max_length=120, description="1011AB 105")],
) -> Addresses:
    """Find an address: a postcode and house number, or a street and number, on the BAG
    (offline; PDOK Locatieserver when the geocoder is pdok and the BAG files lack it)."""
    return Addresses.model_validate({"addresses": findplace.search_addresses(settings, q)})


@router.post(
    "/geometry/read",
    responses=error_responses(413, 422, 500, 503),
    openapi_extra=UPLOAD_BODY,
)
async def read_geometry(
    request: Request,
    filename: Annotated[str, Query(min_length=1, max_length=200, description="plot.kml")],
) -> ReadGeometry:
    """Read the plot in an uploaded file (the body: GeoJSON, GeoPackage, KML or a zipped
    Shapefile, at most 5 MiB; any CRS): its polygons (or first point) in WGS84. Stores
    nothing."""
    body = await request.body()
    found = await anyio.to_thread.run_sync(findplace.read_upload, filename, body)
    return ReadGeometry.model_validate(found)
