"""Province flags on sites: setting them (one site, or in bulk) and reading them.

Writes check the writer's scope first: a flag belongs to the province the site lies in (its
point on surface inside a ``provincies`` area, EPSG:28992) and only a viewer who covers that
province may set it (``Viewer.covers``). The audit trail is written by the database trigger
on ``site_flag``; this module names the actor of each change (``SET LOCAL`` in the change's
transaction) and never writes ``flag_audit`` itself. Every read goes through
``scope.ScopeFilter``.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from sitefinder.accounts import workflow
from sitefinder.accounts.roles import Viewer
from sitefinder.accounts.scope import ScopeFilter
from sitefinder.core.errors import (
    InvalidParameterError,
    PermissionDeniedError,
    TransitionError,
    UnknownAreaError,
    UnknownSiteError,
)

Conn = psycopg.Connection[Any]
MAX_BULK = 5000
MAX_NOTE = 4000
MAX_TAGS = 20
MAX_TAG = 40
OUTSIDE_SCOPE = "outside the provinces you may flag"

# The province and municipality of each site (``s``): the provincies area holding its point on
# surface (EPSG:28992), and the municipality the scoring found (else the source's).
PLACE_COLUMNS = """
    COALESCE(r.gemeentecode, s.gemeentecode) AS gemeentecode, pv.code AS provinciecode
"""
PLACE_JOINS = """
    LEFT JOIN site_raw r ON r.site_id = s.id
    LEFT JOIN LATERAL (
        SELECT a.code FROM area a WHERE a.layer = 'provincies'
        AND ST_Intersects(a.geom, ST_PointOnSurface(s.geom)) ORDER BY a.code LIMIT 1
    ) pv ON true
"""


@dataclass(frozen=True)
class FlagChange:
    """What a writer sets. In bulk, None keeps a site's own note, tags or confidential switch."""

    status: str
    note: str | None = None
    tags: tuple[str, ...] | None = None
    confidential: bool | None = None

    def __post_init__(self) -> None:
        workflow.check_status(self.status)
        if self.note is not None and len(self.note) > MAX_NOTE:
            raise InvalidParameterError(f"note must be at most {MAX_NOTE} characters")
        if self.tags is not None:
            if len(self.tags) > MAX_TAGS:
                raise InvalidParameterError(f"at most {MAX_TAGS} tags")
            if any(not t or len(t) > MAX_TAG for t in self.tags):
                raise InvalidParameterError(f"a tag must have 1 to {MAX_TAG} characters")


def clean_tags(tags: list[str] | None) -> tuple[str, ...] | None:
    """Tags trimmed, lower case, each once, in the order given."""
    if tags is None:
        return None
    seen: dict[str, None] = {}
    for tag in tags:
        value = " ".join(tag.split()).lower()
        if value:
            seen[value] = None
    return tuple(seen)


def _places(conn: Conn, where: sql.Composable, params: dict[str, Any]) -> list[dict[str, Any]]:
    query = sql.SQL("SELECT s.id, s.kind, {cols} FROM site s {joins} WHERE {where}").format(
        cols=sql.SQL(PLACE_COLUMNS), joins=sql.SQL(PLACE_JOINS), where=where
    )
    return [dict(r) for r in conn.execute(query, params).fetchall()]


def _act_as(conn: Conn, viewer: Viewer, via: str) -> None:
    """Name the actor of this transaction's flag changes for the audit trigger."""
    assert viewer.user_id is not None and viewer.email
    conn.execute(
        "SELECT set_config('sitefinder.actor', %s, true),"
        " set_config('sitefinder.actor_id', %s, true), set_config('sitefinder.via', %s, true)",
        (viewer.email, str(viewer.user_id), via),
    )


_UPSERT = sql.SQL(
    """
    INSERT INTO site_flag AS f (site_id, provinciecode, gemeentecode, status, note, tags,
                                confidential, updated_at, updated_by)
    SELECT u.site_id, u.provinciecode, u.gemeentecode, %(status)s, COALESCE(%(note)s, ''),
           COALESCE(%(tags)s::text[], '{}'), COALESCE(%(confidential)s, false), now(),
           %(actor_id)s
    FROM unnest(%(ids)s::text[], %(provs)s::text[], %(gems)s::text[])
         AS u(site_id, provinciecode, gemeentecode)
    ON CONFLICT (site_id) DO UPDATE SET
        provinciecode = EXCLUDED.provinciecode, gemeentecode = EXCLUDED.gemeentecode,
        status = EXCLUDED.status, note = COALESCE(%(note)s, f.note),
        tags = COALESCE(%(tags)s::text[], f.tags),
        confidential = COALESCE(%(confidential)s, f.confidential),
        updated_at = now(), updated_by = EXCLUDED.updated_by
    """
)


def _write(conn: Conn, viewer: Viewer, places: list[dict[str, Any]], change: FlagChange) -> None:
    conn.execute(
        _UPSERT,
        {
            "status": change.status,
            "note": change.note,
            "tags": list(change.tags) if change.tags is not None else None,
            "confidential": change.confidential,
            "actor_id": viewer.user_id,
            "ids": [p["id"] for p in places],
            "provs": [p["provinciecode"] for p in places],
            "gems": [p["gemeentecode"] for p in places],
        },
    )


def _current(conn: Conn, ids: list[str]) -> dict[str, str]:
    """The current status of these sites' flags, locked for this transaction (a write path)."""
    rows = conn.execute(
        "SELECT site_id, status FROM site_flag WHERE site_id = ANY(%s) FOR UPDATE", (ids,)
    ).fetchall()
    return {r["site_id"]: r["status"] for r in rows}


def set_flag(conn: Conn, viewer: Viewer, site_id: str, change: FlagChange) -> dict[str, Any]:
    """Set one site's flag (any status change must follow the workflow); the new flag."""
    with conn.transaction():
        places = _places(conn, sql.SQL("s.id = %(id)s"), {"id": site_id})
        if not places:
            raise UnknownSiteError(f"no site with id '{site_id[:200]}'")
        if not viewer.covers(places[0]["provinciecode"]):
            raise PermissionDeniedError(f"this site lies {OUTSIDE_SCOPE}")
        current = _current(conn, [site_id]).get(site_id, workflow.DEFAULT)
        workflow.check_transition(current, change.status)
        _act_as(conn, viewer, "site")
        _write(conn, viewer, places, change)
    found = flag(conn, ScopeFilter.of(viewer), site_id)
    assert found is not None
    return found


def bulk_flag(
    conn: Conn,
    viewer: Viewer,
    change: FlagChange,
    *,
    site_ids: list[str] | None = None,
    area: dict[str, Any] | None = None,
    kind: str | None = None,
) -> dict[str, Any]:
    """Flag a selection at once: listed sites (all must be in scope) or the sites of ``kind``
    in a drawn area (GeoJSON WGS84; those outside the writer's provinces are left out).

    Sites whose status cannot make the change are skipped and reported; the rest change in one
    transaction, each with its own audit entry (``via`` bulk).
    """
    if (site_ids is None) == (area is None):
        raise InvalidParameterError("give either site_ids or area")
    with conn.transaction():
        outside = 0
        if site_ids is not None:
            ids = list(dict.fromkeys(site_ids))
            places = _places(conn, sql.SQL("s.id = ANY(%(ids)s)"), {"ids": ids})
            unknown = len(ids) - len(places)
            if unknown:
                raise UnknownSiteError(f"{unknown} of the selected sites do not exist")
            outside = sum(not viewer.covers(p["provinciecode"]) for p in places)
            if outside:
                raise PermissionDeniedError(f"{outside} of the selected sites lie {OUTSIDE_SCOPE}")
        else:
            where = sql.SQL(
                "ST_Intersects(s.geom, ST_Transform(ST_MakeValid(ST_SetSRID("
                "ST_GeomFromGeoJSON(%(area)s), 4326)), 28992))"
                " AND (%(kind)s::text IS NULL OR s.kind = %(kind)s)"
            )
            found = _places(conn, where, {"area": json.dumps(area), "kind": kind})
            places = [p for p in found if viewer.covers(p["provinciecode"])]
            outside = len(found) - len(places)
        if len(places) > MAX_BULK:
            raise InvalidParameterError(f"at most {MAX_BULK} sites at once, got {len(places)}")
        current = _current(conn, [p["id"] for p in places])
        skipped, changing = [], []
        for p in places:
            status = current.get(p["id"], workflow.DEFAULT)
            try:
                workflow.check_transition(status, change.status)
                changing.append(p)
            except TransitionError as exc:
                skipped.append({"site_id": p["id"], "status": status, "reason": str(exc)})
        if changing:
            _act_as(conn, viewer, "bulk")
            _write(conn, viewer, changing, change)
    return {
        "selected": len(places),
        "changed": len(changing),
        "skipped": skipped,
        "outside_scope": outside,
    }


# --- reads: every one through the scope filter ---


def flag(conn: Conn, scope: ScopeFilter, site_id: str) -> dict[str, Any] | None:
    """The site's flag as this viewer may see it, or None (then: niet_beoordeeld)."""
    row = conn.execute(
        sql.SQL("SELECT * FROM {flags} f WHERE f.site_id = %(id)s").format(flags=scope.flags),
        scope.bind({"id": site_id}),
    ).fetchone()
    return dict(row) if row else None


def visible_flags(conn: Conn, scope: ScopeFilter) -> dict[str, dict[str, Any]]:
    """site id -> {status, confidential, tags} of every flag the viewer may see."""
    rows = conn.execute(
        sql.SQL("SELECT f.site_id, f.status, f.confidential, f.tags FROM {flags} f").format(
            flags=scope.flags
        ),
        scope.bind(),
    ).fetchall()
    return {
        r["site_id"]: {"status": r["status"], "confidential": r["confidential"], "tags": r["tags"]}
        for r in rows
    }


def list_flags(
    conn: Conn,
    scope: ScopeFilter,
    *,
    provincie: str | None = None,
    statuses: list[str] | None = None,
    kind: str | None = None,
    limit: int = 5000,
) -> list[dict[str, Any]]:
    """The flagged sites the viewer may see, newest change first, with name, kind, gemeente."""
    rows = conn.execute(
        sql.SQL(
            "SELECT f.site_id, s.name, s.kind, f.provinciecode, f.gemeentecode,"
            " g.name AS gemeentenaam, f.status, f.note, f.tags, f.confidential, f.updated_at"
            " FROM {flags} f JOIN site s ON s.id = f.site_id"
            " LEFT JOIN area g ON g.layer = 'gemeenten' AND g.code = f.gemeentecode"
            " WHERE (%(provincie)s::text IS NULL OR f.provinciecode = %(provincie)s)"
            " AND (%(statuses)s::text[] IS NULL OR f.status = ANY(%(statuses)s))"
            " AND (%(kind)s::text IS NULL OR s.kind = %(kind)s)"
            " ORDER BY f.updated_at DESC, f.site_id LIMIT %(limit)s"
        ).format(flags=scope.flags),
        scope.bind({"provincie": provincie, "statuses": statuses, "kind": kind, "limit": limit}),
    ).fetchall()
    return [dict(r) for r in rows]


def province_view(
    conn: Conn, scope: ScopeFilter, provinciecode: str, kind: str | None
) -> dict[str, Any]:
    """A province's sites (of ``kind``) with the status the viewer may see, and the counts per
    status: a flag the viewer may not see counts as niet_beoordeeld."""
    name = conn.execute(
        "SELECT name FROM area WHERE layer = 'provincies' AND code = %s", (provinciecode,)
    ).fetchone()
    if name is None:
        raise UnknownAreaError(f"no province with code {provinciecode} is loaded")
    rows = conn.execute(
        sql.SQL(
            "SELECT s.id AS site_id, s.name, s.kind, {cols}, g.name AS gemeentenaam,"
            " COALESCE(f.status, %(default)s) AS status, f.tags, f.confidential, f.updated_at"
            " FROM area p JOIN site s ON ST_Intersects(p.geom, ST_PointOnSurface(s.geom))"
            " {joins} LEFT JOIN {flags} f ON f.site_id = s.id"
            " LEFT JOIN area g ON g.layer = 'gemeenten'"
            "  AND g.code = COALESCE(r.gemeentecode, s.gemeentecode)"
            " WHERE p.layer = 'provincies' AND p.code = %(code)s AND pv.code = %(code)s"
            " AND (%(kind)s::text IS NULL OR s.kind = %(kind)s)"
            " ORDER BY s.name, s.id"
        ).format(cols=sql.SQL(PLACE_COLUMNS), joins=sql.SQL(PLACE_JOINS), flags=scope.flags),
        scope.bind({"code": provinciecode, "kind": kind, "default": workflow.DEFAULT}),
    ).fetchall()
    counts = Counter(r["status"] for r in rows)
    order = {s.code: i for i, s in enumerate(workflow.STATUSES)}
    sites = sorted((dict(r) for r in rows), key=lambda r: order[r["status"]])
    return {
        "provinciecode": provinciecode,
        "name": name["name"],
        "kind": kind,
        "total": len(rows),
        "counts": {s.code: counts.get(s.code, 0) for s in workflow.STATUSES},
        "sites": sites,
    }


def audit_entries(
    conn: Conn,
    scope: ScopeFilter,
    *,
    site_id: str | None = None,
    provincie: str | None = None,
    limit: int = 10000,
) -> list[dict[str, Any]]:
    """The audit entries the viewer may see, oldest first (of a site, a province, or all)."""
    rows = conn.execute(
        sql.SQL(
            "SELECT a.*, s.name FROM {audit} a LEFT JOIN site s ON s.id = a.site_id"
            " WHERE (%(site)s::text IS NULL OR a.site_id = %(site)s)"
            " AND (%(provincie)s::text IS NULL OR a.provinciecode = %(provincie)s)"
            " ORDER BY a.id LIMIT %(limit)s"
        ).format(audit=scope.audit),
        scope.bind({"site": site_id, "provincie": provincie, "limit": limit}),
    ).fetchall()
    return [dict(r) for r in rows]


def site_place(conn: Conn, site_id: str) -> dict[str, Any] | None:
    """The site's province and municipality (public facts: where it lies)."""
    places = _places(conn, sql.SQL("s.id = %(id)s"), {"id": site_id})
    return places[0] if places else None
