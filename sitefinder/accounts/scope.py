"""THE scope filter: which flags and audit entries a viewer may see, decided in this module only.

The rule:

* a **flag** is visible to everyone when it is not confidential; a confidential flag (its
  status, note and tags) only to the users of its province and the coordinators of it
  (``Viewer.covers``: a provincie grant for that province, a coordinator of it or of ``NL``);
* an **audit entry** is visible to whoever covers its province, and a non-confidential entry
  also to the gemeente users of the site's municipality; the public, an eigenaar and a
  beheerder (without such a grant) see none. An entry is confidential when the flag was
  confidential before or after the change.

A flag the viewer may not see does not exist for that viewer: the site reads as
``niet_beoordeeld`` in every list, filter, count and export, so no difference between two
answers gives it away; only the visible flags are counted.

How every read path uses it (now: the site list and detail, the flag lists and exports, the
province view and the audit trail; later: tiles, search, suggestions, OGC API, exports)::

    scope = ScopeFilter.of(viewer)
    conn.execute(
        sql.SQL("SELECT s.id, f.status FROM site s LEFT JOIN {flags} f ON f.site_id = s.id"
                " WHERE s.layer = %(layer)s").format(flags=scope.flags),
        scope.bind({"layer": "holidayparks"}),
    )

``scope.flags`` and ``scope.audit`` are subqueries over the visible rows only; the viewer's
scope is bound as the parameters ``scope_country``, ``scope_provinces`` and
``scope_gemeenten`` (``scope.bind`` adds them). SQL kept in files (a tile query) embeds
``FLAGS_SQL`` / ``AUDIT_SQL`` and binds ``scope.params``. No other module reads the tables
``site_flag`` or ``flag_audit`` by name (``flags.py`` writes them, after checking the writer's
scope); ``tests/test_flag_scope.py`` fails when one does.

Matchmaking (owners' offers with their personal data, demands, matches and their audit,
saved searches, notifications) follows the same pattern: ``scope.offers``, ``scope.demands``,
``scope.matches``, ``scope.match_audit``, ``scope.searches``, ``scope.notifications`` (the
rules are at their SQL below); ``tests/test_match_scope.py`` fails when another module reads
those tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import sql

from sitefinder.accounts.roles import Viewer

PARAMS = ("scope_country", "scope_provinces", "scope_gemeenten", "scope_user")

# The viewer covers the province: a provincie grant for it, or a coordinator of it or of NL.
_COVERS = "(%(scope_country)s OR {t}.provinciecode = ANY(%(scope_provinces)s))"

FLAGS_SQL = (
    "(SELECT f.site_id, f.provinciecode, f.gemeentecode, f.status, f.note, f.tags,"
    " f.confidential, f.updated_at FROM site_flag f"
    " WHERE NOT f.confidential OR " + _COVERS.format(t="f") + ")"
)
AUDIT_SQL = (
    "(SELECT a.id, a.at, a.site_id, a.provinciecode, a.gemeentecode, a.actor, a.via,"
    " a.from_status, a.to_status, a.from_confidential, a.to_confidential, a.from_tags,"
    " a.to_tags, a.from_note, a.note, a.confidential FROM flag_audit a"
    " WHERE " + _COVERS.format(t="a") + " OR (NOT a.confidential"
    " AND a.gemeentecode = ANY(%(scope_gemeenten)s)))"
)


# --- matchmaking (issue 11): owners' offers, demands, matches, their audit, own items ---
#
# * an **offer** (``owner_property``) is seen by its owner (saved, offered or withdrawn) and,
#   while offered, by the gemeente users of its municipality and whoever covers its province;
#   nobody else: the public, another owner, a gemeente or province elsewhere and a beheerder
#   never see it (the row does not exist for them). Its contact columns (personal data) are
#   blank unless the viewer is the owner or the owner consented to be contacted;
# * a **demand**, a **match** and a **match audit entry** are seen by the gemeente users of the
#   demand's municipality, whoever covers its province, and (matches and their audit, and the
#   demand a match names) the owner of the offer the match proposes;
# * **saved searches** and **notifications** only by the user they belong to.
_SEES_PLACE = "(" + _COVERS + " OR {t}.gemeentecode = ANY(%(scope_gemeenten)s))"
_OWN_PROPERTIES = "(SELECT o.id FROM owner_property o WHERE o.owner_id = %(scope_user)s)"
_PERSONAL = ("contact_name", "contact_email", "contact_phone")
OFFERS_SQL = (
    "(SELECT p.id, p.owner_id, p.name, p.geom, p.area_m2, p.places, p.floor_area_m2,"
    " p.available_from, p.available_to, p.conditions, p.consent_contact, p.status,"
    " p.gemeentecode, p.provinciecode, p.created_at, p.updated_at, p.offered_at,"
    " p.owner_id = %(scope_user)s AS own, "
    + ", ".join(
        f"CASE WHEN p.owner_id = %(scope_user)s OR p.consent_contact THEN p.{c} ELSE '' END AS {c}"
        for c in _PERSONAL
    )
    + " FROM owner_property p WHERE p.owner_id = %(scope_user)s"
    " OR (p.status = 'offered' AND " + _SEES_PLACE.format(t="p") + "))"
)
MATCHES_SQL = (
    "(SELECT m.* FROM match m WHERE "
    + _SEES_PLACE.format(t="m")
    + " OR m.property_id IN "
    + _OWN_PROPERTIES
    + ")"
)
MATCH_AUDIT_SQL = (
    "(SELECT a.* FROM match_audit a WHERE "
    + _SEES_PLACE.format(t="a")
    + " OR a.property_id IN "
    + _OWN_PROPERTIES
    + ")"
)
DEMANDS_SQL = (
    "(SELECT d.* FROM demand d WHERE "
    + _SEES_PLACE.format(t="d")
    + " OR d.id IN (SELECT x.demand_id FROM match x WHERE x.property_id IN "
    + _OWN_PROPERTIES
    + "))"
)
SEARCHES_SQL = "(SELECT s.* FROM saved_search s WHERE s.user_id = %(scope_user)s)"
NOTIFICATIONS_SQL = "(SELECT n.* FROM notification n WHERE n.user_id = %(scope_user)s)"


@dataclass(frozen=True)
class ScopeFilter:
    """The flags and audit entries one viewer may see, as subqueries with bound parameters."""

    viewer: Viewer

    @classmethod
    def of(cls, viewer: Viewer) -> ScopeFilter:
        return cls(viewer)

    flags = sql.SQL(FLAGS_SQL)
    audit = sql.SQL(AUDIT_SQL)
    offers = sql.SQL(OFFERS_SQL)
    demands = sql.SQL(DEMANDS_SQL)
    matches = sql.SQL(MATCHES_SQL)
    match_audit = sql.SQL(MATCH_AUDIT_SQL)
    searches = sql.SQL(SEARCHES_SQL)
    notifications = sql.SQL(NOTIFICATIONS_SQL)

    @property
    def params(self) -> dict[str, Any]:
        return {
            "scope_country": self.viewer.covers_country,
            "scope_provinces": sorted(self.viewer.provinces),
            "scope_gemeenten": sorted(self.viewer.gemeenten),
            "scope_user": self.viewer.user_id,
        }

    def bind(self, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """``params`` with the viewer's scope added (a clash with the scope's names is a bug)."""
        params = dict(params or {})
        clash = set(params) & set(PARAMS)
        assert not clash, f"parameter names reserved for the scope filter: {clash}"
        return {**params, **self.params}

    def sees_place(self, provinciecode: str | None, gemeentecode: str | None) -> bool:
        """Whether the viewer sees the offers, demands and matches of this place."""
        return self.viewer.covers(provinciecode) or (
            gemeentecode is not None and gemeentecode in self.viewer.gemeenten
        )

    def sees_flag(self, provinciecode: str | None, confidential: bool) -> bool:
        """The same rule in Python, for a row the caller already holds (a write's answer)."""
        return not confidential or self.viewer.covers(provinciecode)
