"""Owners' properties: saved privately, then offered (or withdrawn); and deleting an account.

A property is a geometry in EPSG:28992 (a point or polygons, already checked and repaired by
the API: ``sitefinder.api.adhoc.to_rd``) with what the owner knows: places, floor area, the
period it is available, conditions, consent to be contacted and the contact (personal data).
Its municipality and province are found here, from the ``gemeenten`` and ``provincies`` areas
holding its point on surface, and decide who may see it once it is offered
(``sitefinder.accounts.scope``: the owner always; while offered, the gemeente of its
municipality and whoever covers its province).

Writes check the owner: only the owner changes, offers, withdraws or deletes their property
(an update names ``owner_id`` in its WHERE; another user's property reads as not found).
Every read goes through ``ScopeFilter.offers``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
import shapely
from psycopg import sql

from sitefinder.accounts.roles import Viewer
from sitefinder.accounts.scope import ScopeFilter
from sitefinder.core.errors import InvalidParameterError, PermissionDeniedError, UnknownSiteError

Conn = psycopg.Connection[Any]
STATUSES = ("saved", "offered", "withdrawn")
MAX_TEXT = 2000
MAX_CONTACT = 200

# The municipality and province of a geometry (EPSG:28992): the areas holding its point on
# surface (one statement; the same rule as a site's place in ``flags``).
PLACE_SQL = """
    SELECT (SELECT a.code FROM area a WHERE a.layer = 'gemeenten'
            AND ST_Intersects(a.geom, ST_PointOnSurface(g.geom)) ORDER BY a.code LIMIT 1)
           AS gemeentecode,
           (SELECT a.code FROM area a WHERE a.layer = 'provincies'
            AND ST_Intersects(a.geom, ST_PointOnSurface(g.geom)) ORDER BY a.code LIMIT 1)
           AS provinciecode
    FROM (SELECT ST_GeomFromWKB(%(wkb)s, 28992) AS geom) g
"""


@dataclass(frozen=True)
class PropertyData:
    """What the owner saves (geometry in EPSG:28992)."""

    geometry: shapely.Geometry
    name: str = ""
    places: int | None = None
    floor_area_m2: float | None = None
    available_from: date | None = None
    available_to: date | None = None
    conditions: str = ""
    consent_contact: bool = False
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""

    def __post_init__(self) -> None:
        if self.available_from and self.available_to and self.available_to < self.available_from:
            raise InvalidParameterError("available_to must not lie before available_from")
        if len(self.conditions) > MAX_TEXT:
            raise InvalidParameterError(f"conditions must be at most {MAX_TEXT} characters")
        for value in (self.name, self.contact_name, self.contact_email, self.contact_phone):
            if len(value) > MAX_CONTACT:
                raise InvalidParameterError(f"names and contact at most {MAX_CONTACT} characters")


def place_of(conn: Conn, geometry: shapely.Geometry) -> dict[str, Any]:
    """The municipality and province (codes, or None outside every loaded one)."""
    row = conn.execute(PLACE_SQL, {"wkb": shapely.to_wkb(geometry)}).fetchone()
    return dict(row) if row else {"gemeentecode": None, "provinciecode": None}


def _require_owner(viewer: Viewer) -> int:
    if viewer.user_id is None or not viewer.has("eigenaar"):
        raise PermissionDeniedError("only an eigenaar account may save and offer properties")
    return viewer.user_id


def _values(conn: Conn, data: PropertyData) -> dict[str, Any]:
    place = place_of(conn, data.geometry)
    area = float(shapely.area(data.geometry))
    return {
        "name": data.name.strip(),
        "wkb": shapely.to_wkb(data.geometry),
        "area_m2": round(area, 1) if area else None,
        "places": data.places,
        "floor_area_m2": data.floor_area_m2,
        "available_from": data.available_from,
        "available_to": data.available_to,
        "conditions": data.conditions.strip(),
        "consent_contact": data.consent_contact,
        "contact_name": data.contact_name.strip(),
        "contact_email": data.contact_email.strip(),
        "contact_phone": data.contact_phone.strip(),
        **place,
    }


def save(conn: Conn, viewer: Viewer, data: PropertyData) -> int:
    """A new property of ``viewer`` (an eigenaar), saved privately; its id."""
    owner = _require_owner(viewer)
    values = _values(conn, data)
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO owner_property (owner_id, name, geom, area_m2, places, floor_area_m2,"
            " available_from, available_to, conditions, consent_contact, contact_name,"
            " contact_email, contact_phone, gemeentecode, provinciecode)"
            " VALUES (%(owner)s, %(name)s, ST_GeomFromWKB(%(wkb)s, 28992), %(area_m2)s,"
            " %(places)s, %(floor_area_m2)s, %(available_from)s, %(available_to)s,"
            " %(conditions)s, %(consent_contact)s, %(contact_name)s, %(contact_email)s,"
            " %(contact_phone)s, %(gemeentecode)s, %(provinciecode)s) RETURNING id",
            {**values, "owner": owner},
        ).fetchone()
    assert row is not None
    return int(row["id"])


def update(conn: Conn, viewer: Viewer, property_id: int, data: PropertyData) -> None:
    """Change the owner's own property (any status; an offer stays offered)."""
    owner = _require_owner(viewer)
    values = _values(conn, data)
    with conn.transaction():
        changed = conn.execute(
            "UPDATE owner_property SET name = %(name)s, geom = ST_GeomFromWKB(%(wkb)s, 28992),"
            " area_m2 = %(area_m2)s, places = %(places)s, floor_area_m2 = %(floor_area_m2)s,"
            " available_from = %(available_from)s, available_to = %(available_to)s,"
            " conditions = %(conditions)s, consent_contact = %(consent_contact)s,"
            " contact_name = %(contact_name)s, contact_email = %(contact_email)s,"
            " contact_phone = %(contact_phone)s, gemeentecode = %(gemeentecode)s,"
            " provinciecode = %(provinciecode)s, updated_at = now()"
            " WHERE id = %(id)s AND owner_id = %(owner)s",
            {**values, "id": property_id, "owner": owner},
        ).rowcount
    if not changed:
        raise UnknownSiteError(f"you have no property with id {property_id}")


def set_status(conn: Conn, viewer: Viewer, property_id: int, status: str) -> dict[str, Any]:
    """Offer (``offered``) or withdraw (``withdrawn``) the owner's own property. An offer needs
    the places (or the floor area) and the date it is available from."""
    owner = _require_owner(viewer)
    if status not in ("offered", "withdrawn"):
        raise InvalidParameterError("status must be offered or withdrawn")
    with conn.transaction():
        row = conn.execute(
            "SELECT places, floor_area_m2, available_from, status FROM owner_property"
            " WHERE id = %s AND owner_id = %s FOR UPDATE",
            (property_id, owner),
        ).fetchone()
        if row is None:
            raise UnknownSiteError(f"you have no property with id {property_id}")
        if status == "offered":
            if row["places"] is None and row["floor_area_m2"] is None:
                raise InvalidParameterError("an offer needs the number of places or floor area")
            if row["available_from"] is None:
                raise InvalidParameterError("an offer needs the date it is available from")
        conn.execute(
            "UPDATE owner_property SET status = %s, updated_at = now(),"
            " offered_at = CASE WHEN %s = 'offered' THEN now() ELSE offered_at END"
            " WHERE id = %s AND owner_id = %s",
            (status, status, property_id, owner),
        )
    found = get(conn, ScopeFilter.of(viewer), property_id)
    assert found is not None
    return found


def delete(conn: Conn, viewer: Viewer, property_id: int) -> None:
    """Delete the owner's own property (its proposed matches go with it)."""
    owner = _require_owner(viewer)
    gone = conn.execute(
        "DELETE FROM owner_property WHERE id = %s AND owner_id = %s", (property_id, owner)
    ).rowcount
    if not gone:
        raise UnknownSiteError(f"you have no property with id {property_id}")


# --- reads: through the scope filter ---

COLUMNS = (
    "p.id, p.name, p.status, p.own, p.area_m2, p.places, p.floor_area_m2, p.available_from,"
    " p.available_to, p.conditions, p.consent_contact, p.contact_name, p.contact_email,"
    " p.contact_phone, p.gemeentecode, p.provinciecode, g.name AS gemeentenaam,"
    " p.created_at, p.updated_at, p.offered_at,"
    " ST_AsGeoJSON(ST_Transform(p.geom, 4326), 6)::json AS geometry"
)


# The viewer's offers (``{offers}``: ScopeFilter.offers) with their gemeente's name.
SELECT_OFFERS = (
    "SELECT " + COLUMNS + " FROM {offers} p"
    " LEFT JOIN area g ON g.layer = 'gemeenten' AND g.code = p.gemeentecode"
)


def list_visible(conn: Conn, scope: ScopeFilter, *, own: bool = False) -> list[dict[str, Any]]:
    """The properties the viewer may see (``own``: only their own), newest first."""
    rows = conn.execute(
        sql.SQL(
            SELECT_OFFERS + " WHERE (NOT %(own)s OR p.own)"
            " ORDER BY p.updated_at DESC, p.id DESC LIMIT 1000"
        ).format(offers=scope.offers),
        scope.bind({"own": own}),
    ).fetchall()
    return [dict(r) for r in rows]


def get(conn: Conn, scope: ScopeFilter, property_id: int) -> dict[str, Any] | None:
    row = conn.execute(
        sql.SQL(SELECT_OFFERS + " WHERE p.id = %(id)s").format(offers=scope.offers),
        scope.bind({"id": property_id}),
    ).fetchone()
    return dict(row) if row else None


def delete_account(conn: Conn, viewer: Viewer) -> None:
    """Delete the viewer's own account and their personal data: the account (with its roles,
    sessions, properties and their contact, proposed matches of those properties, saved
    searches and notifications: foreign keys ``ON DELETE CASCADE``) and the login attempts
    that name its e-mail. Audit entries keep only the actor's id, and for an owner the role
    ``eigenaar`` (never the e-mail), so nothing personal is left."""
    if viewer.user_id is None or viewer.email is None:
        raise PermissionDeniedError("log in to delete your account")
    with conn.transaction():
        conn.execute("DELETE FROM login_attempt WHERE account = %s", (viewer.email,))
        conn.execute("DELETE FROM app_user WHERE id = %s", (viewer.user_id,))
