"""Demands of municipalities, matches against them, and proposed matches with their status.

**Criteria** (a demand's, or a saved search's): a profile, the places needed, a period, an
area (EPSG:28992 multipolygon), must-haves (the maximum straight-line distance to care) and a
minimum score. :func:`find_matches` ranks against them, with the same engine as every site:

* **offers** the viewer may see (``ScopeFilter.offers``, status offered) that intersect the
  area (one SQL statement), scored together as ad-hoc sites (``raw_criteria`` + ``evaluate``,
  one vectorised call per criterion over all offers);
* **candidate sites** of the served snapshot (``SiteTable``): their point on surface inside the
  area (one vectorised point-in-polygon), the profile's evaluation (cached per profile).

A match must lie in the area and not be excluded; too few places, an availability outside the
period, care farther than the must-have, or a score under the minimum rule it out. What the
data does not say (places, period, care distance of a site) does not rule it out but is listed
in ``unknown``; ``why`` lists the facts that make it match, as codes with numbers (the page
words them). Offers rank before sites (they are available), each group by score.

**Combinations**: when no single offer has enough places, :func:`combine` proposes small sets
of offers (2 to 4) that match in everything else and whose places add up (the rule and its
bounds: ``docs/scoring.md``, section 10). They come from the same scoped read, so an offer
outside the viewer's scope is never a member, nor counted.

**Proposals** (``match``): a coordinator covering the demand's province proposes an offer or a
site for a demand (``voorgesteld``), or a combination of offers (one match per member, sharing
a ``combination_id``); the gemeente of the demand, whoever covers its province,
and the owner of the offer move it on (``in_gesprek``, then ``akkoord`` or ``afgewezen``) with a
note. Every change is written by the trigger on ``match`` into ``match_audit``; the actor is
named here (an owner as ``eigenaar``, never by e-mail).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
import psycopg
import shapely
from psycopg import sql

from layers import m2_per_place
from sitefinder.accounts.roles import Viewer
from sitefinder.accounts.scope import ScopeFilter
from sitefinder.core.crs import RD, WGS84, transformer
from sitefinder.core.errors import (
    InvalidParameterError,
    PermissionDeniedError,
    TransitionError,
    UnknownSiteError,
)
from sitefinder.scoring import load_profile, profile_names
from sitefinder.scoring.compute import raw_criteria
from sitefinder.scoring.engine import SiteTable, evaluate, weight_vector
from sitefinder.scoring.spatial import Layers

Conn = psycopg.Connection[Any]
MAX_MATCHES = 50
MAX_COMBINATION_POOL = 12  # the offers a combination is sought among (the best 12)
MAX_COMBINATION_SIZE = 4  # offers in a combination
MAX_COMBINATIONS = 5  # shown
MAX_NOTE = 4000
MATCH_STATUSES = ("voorgesteld", "in_gesprek", "akkoord", "afgewezen")
TRANSITIONS = {
    "voorgesteld": ("in_gesprek", "afgewezen"),
    "in_gesprek": ("akkoord", "afgewezen"),
    "akkoord": (),
    "afgewezen": (),
}
MAX_RADIUS_M = 50_000.0


@dataclass(frozen=True)
class Criteria:
    """What is asked: profile, places, period, area (EPSG:28992), must-haves, minimum score."""

    profile: str
    area: shapely.Geometry
    places: int | None = None
    period_from: date | None = None
    period_to: date | None = None
    max_care_m: float | None = None
    min_score: float | None = None
    kinds: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.profile not in profile_names():
            raise InvalidParameterError(
                f"profile must be one of {', '.join(profile_names())}, got '{self.profile[:40]}'"
            )
        if self.period_from and self.period_to and self.period_to < self.period_from:
            raise InvalidParameterError("period_to must not lie before period_from")

    def public(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "places": self.places,
            "period_from": self.period_from.isoformat() if self.period_from else None,
            "period_to": self.period_to.isoformat() if self.period_to else None,
            "max_care_m": self.max_care_m,
            "min_score": self.min_score,
            "kinds": list(self.kinds),
        }


def criteria_from(data: dict[str, Any], area: shapely.Geometry) -> Criteria:
    """Criteria from their stored JSON (``Criteria.public``) and area."""

    def day(value: Any) -> date | None:
        return date.fromisoformat(value) if value else None

    return Criteria(
        profile=data["profile"],
        area=area,
        places=data.get("places"),
        period_from=day(data.get("period_from")),
        period_to=day(data.get("period_to")),
        max_care_m=data.get("max_care_m"),
        min_score=data.get("min_score"),
        kinds=tuple(data.get("kinds") or ()),
    )


# --- areas ---


def territory(conn: Conn, gemeentecode: str) -> shapely.Geometry:
    """The municipality's outline (EPSG:28992) from the ``gemeenten`` area layer."""
    row = conn.execute(
        "SELECT ST_AsBinary(ST_Multi(geom)) AS wkb FROM area"
        " WHERE layer = 'gemeenten' AND code = %s",
        (gemeentecode,),
    ).fetchone()
    if row is None:
        raise InvalidParameterError(f"no municipality {gemeentecode} is loaded")
    return shapely.from_wkb(bytes(row["wkb"]))


def circle(lon: float, lat: float, radius_m: float) -> shapely.Geometry:
    """A circle of ``radius_m`` metres around a WGS84 point, in EPSG:28992."""
    if not 0 < radius_m <= MAX_RADIUS_M:
        raise InvalidParameterError(f"radius_m must lie between 0 and {MAX_RADIUS_M:g}")
    x, y = transformer(WGS84, RD).transform(lon, lat)
    return shapely.MultiPolygon([shapely.Point(x, y).buffer(radius_m, quad_segs=16)])


def multi(geom: shapely.Geometry) -> shapely.Geometry:
    if isinstance(geom, shapely.Polygon):
        return shapely.MultiPolygon([geom])
    if isinstance(geom, shapely.MultiPolygon):
        return geom
    raise InvalidParameterError("an area must be a polygon")


# --- demands ---


def _gemeente_of(viewer: Viewer, gemeentecode: str | None) -> str:
    mine = sorted(viewer.gemeenten)
    if not mine:
        raise PermissionDeniedError("only a gemeente account may post a demand")
    code = (gemeentecode or mine[0]).upper()
    if code not in mine:
        raise PermissionDeniedError(f"you may post demands for {', '.join(mine)} only")
    return code


def create_demand(
    conn: Conn,
    viewer: Viewer,
    *,
    title: str,
    criteria: Criteria,
    area_kind: str,
    radius_m: float | None,
    gemeentecode: str | None,
) -> int:
    """A demand of the viewer's municipality; its id."""
    code = _gemeente_of(viewer, gemeentecode)
    if criteria.places is None or criteria.places < 1 or criteria.period_from is None:
        raise InvalidParameterError("a demand needs the number of places and a start date")
    row = conn.execute(
        "INSERT INTO demand (created_by, gemeentecode, provinciecode, title, profile, places,"
        " period_from, period_to, area_kind, radius_m, area, max_care_m, min_score)"
        " VALUES (%(by)s, %(code)s,"
        " (SELECT p.code FROM area p JOIN area g ON g.layer = 'gemeenten' AND g.code = %(code)s"
        "  WHERE p.layer = 'provincies' AND ST_Intersects(p.geom, ST_PointOnSurface(g.geom))"
        "  ORDER BY p.code LIMIT 1),"
        " %(title)s, %(profile)s, %(places)s, %(from)s, %(to)s, %(kind)s, %(radius)s,"
        " ST_Multi(ST_GeomFromWKB(%(area)s, 28992)), %(care)s, %(min)s) RETURNING id",
        {
            "by": viewer.user_id,
            "code": code,
            "title": title.strip()[:200],
            "profile": criteria.profile,
            "places": criteria.places,
            "from": criteria.period_from,
            "to": criteria.period_to,
            "kind": area_kind,
            "radius": radius_m,
            "area": shapely.to_wkb(criteria.area),
            "care": criteria.max_care_m,
            "min": criteria.min_score,
        },
    ).fetchone()
    assert row is not None
    return int(row["id"])


DEMAND_COLUMNS = (
    "d.id, d.gemeentecode, d.provinciecode, g.name AS gemeentenaam, d.title, d.profile,"
    " d.places, d.period_from, d.period_to, d.area_kind, d.radius_m, d.max_care_m,"
    " d.min_score, d.status, d.created_at,"
    " ST_AsGeoJSON(ST_Transform(d.area, 4326), 6)::json AS area"
)


def list_demands(conn: Conn, scope: ScopeFilter) -> list[dict[str, Any]]:
    rows = conn.execute(
        sql.SQL(
            "SELECT " + DEMAND_COLUMNS + " FROM {demands} d"
            " LEFT JOIN area g ON g.layer = 'gemeenten' AND g.code = d.gemeentecode"
            " ORDER BY d.id DESC LIMIT 500"
        ).format(demands=scope.demands),
        scope.bind(),
    ).fetchall()
    return [dict(r) for r in rows]


def demand(conn: Conn, scope: ScopeFilter, demand_id: int) -> dict[str, Any]:
    """The demand as the viewer may see it (with its area as WKB for matching), else 404."""
    row = conn.execute(
        sql.SQL(
            "SELECT " + DEMAND_COLUMNS + ", ST_AsBinary(d.area) AS area_wkb FROM {demands} d"
            " LEFT JOIN area g ON g.layer = 'gemeenten' AND g.code = d.gemeentecode"
            " WHERE d.id = %(id)s"
        ).format(demands=scope.demands),
        scope.bind({"id": demand_id}),
    ).fetchone()
    if row is None:
        raise UnknownSiteError(f"no demand with id {demand_id}")
    return dict(row)


def demand_criteria(row: dict[str, Any]) -> Criteria:
    return Criteria(
        profile=row["profile"],
        area=shapely.from_wkb(bytes(row["area_wkb"])),
        places=row["places"],
        period_from=row["period_from"],
        period_to=row["period_to"],
        max_care_m=row["max_care_m"],
        min_score=row["min_score"],
    )


# --- finding matches ---


def _places(places: Any, floor_area: Any) -> float:
    if places is not None:
        return float(places)
    if floor_area is not None:
        return float(np.floor(float(floor_area) / m2_per_place("offices")))  # as for offices
    return float("nan")


def _judge(
    criteria: Criteria,
    places: float,
    care_m: float,
    score: float,
    available: tuple[date | None, date | None] | None,
) -> tuple[bool, list[dict[str, Any]], list[str]]:
    """Whether one candidate matches, why (facts), and what is unknown."""
    why: list[dict[str, Any]] = [{"code": "in_area"}]
    unknown: list[str] = []
    if criteria.places:
        if np.isnan(places):
            unknown.append("places")
        elif places < criteria.places:
            return False, [], []
        else:
            why.append({"code": "places", "places": int(places), "needed": criteria.places})
    if criteria.period_from is not None:
        start, end = available if available is not None else (None, None)
        if start is None:
            unknown.append("period")
        else:
            ends_in_time = criteria.period_to is None or end is None or end >= criteria.period_to
            if start > criteria.period_from or not ends_in_time:
                return False, [], []
            why.append(
                {
                    "code": "period",
                    "from": start.isoformat(),
                    "to": end.isoformat() if end else None,
                }
            )
    if criteria.max_care_m is not None:
        if np.isnan(care_m):
            unknown.append("care")
        elif care_m > criteria.max_care_m:
            return False, [], []
        else:
            why.append({"code": "care", "m": round(float(care_m)), "max": criteria.max_care_m})
    if np.isnan(score):
        unknown.append("score")
    elif criteria.min_score is not None and score < criteria.min_score:
        return False, [], []
    else:
        why.append({"code": "score", "score": round(float(score), 3)})
    return True, why, unknown


def _score_fields(point: float, low: float, high: float, complete: float) -> dict[str, Any]:
    def plain(v: float) -> float | None:
        return None if np.isnan(v) else round(float(v), 4)

    return {
        "score": plain(point),
        "score_low": plain(low),
        "score_high": plain(high),
        "completeness": round(float(complete), 3),
    }


def match_offers(
    conn: Conn, scope: ScopeFilter, layers: Layers, criteria: Criteria
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The offers the viewer may see that match, best first (see the module docstring); and
    those that would but for having too few places: the members of combinations."""
    rows = conn.execute(
        sql.SQL(
            "SELECT p.id, p.name, p.places, p.floor_area_m2, p.available_from, p.available_to,"
            " p.conditions, p.consent_contact, p.contact_name, p.contact_email,"
            " p.contact_phone, p.gemeentecode, p.provinciecode, p.own,"
            " ST_AsBinary(p.geom) AS wkb,"
            " ST_AsGeoJSON(ST_Transform(p.geom, 4326), 6)::json AS geometry"
            " FROM {offers} p WHERE p.status = 'offered'"
            " AND ST_Intersects(p.geom, ST_GeomFromWKB(%(area)s, 28992)) ORDER BY p.id"
        ).format(offers=scope.offers),
        scope.bind({"area": shapely.to_wkb(criteria.area)}),
    ).fetchall()
    if not rows:
        return [], []
    geoms = np.array([shapely.from_wkb(bytes(r["wkb"])) for r in rows], dtype=object)
    places = np.array([_places(r["places"], r["floor_area_m2"]) for r in rows])
    raw = raw_criteria(layers, geoms, places)
    raw["kind"] = None
    profile = load_profile(criteria.profile)
    evaluation = evaluate(raw, profile)
    scores = evaluation.score_all(weight_vector(profile.weights))
    care = raw["care_m"].to_numpy(dtype=float) if "care_m" in raw else np.full(len(rows), np.nan)
    # too few places rules an offer out alone, not as a member of a combination
    but_places = replace(criteria, places=None)
    out: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for i, r in enumerate(rows):  # the few offers found: their facts, not a spatial query
        if evaluation.excluded[i]:
            continue
        judged = (places[i], care[i], float(scores.point[i]))
        period = (r["available_from"], r["available_to"])
        ok, why, unknown = _judge(criteria, *judged, period)
        part = not ok and bool(criteria.places) and 1 <= places[i] < (criteria.places or 0)
        if part:
            ok, why, unknown = _judge(but_places, *judged, period)
        if not ok:
            continue
        item = {k: v for k, v in r.items() if k != "wkb"}
        (parts if part else out).append(
            {
                "source": "offer",
                "id": f"offer:{r['id']}",
                "property_id": r["id"],
                "site_id": None,
                "name": r["name"],
                "places": None if np.isnan(places[i]) else int(places[i]),
                "offer": item,
                **_score_fields(
                    scores.point[i], scores.low[i], scores.high[i], scores.completeness[i]
                ),
                "why": why,
                "unknown": unknown,
            }
        )
    out.sort(key=lambda m: -(m["score"] if m["score"] is not None else -1.0))
    return out, parts


def _conservative(candidate: dict[str, Any]) -> float:
    low = candidate["score_low"]
    return 0.0 if low is None else float(low)


def combine(
    criteria: Criteria, singles: list[dict[str, Any]], parts: list[dict[str, Any]]
) -> dict[str, Any]:
    """Combinations of offers whose places add up to the need, when no single offer has it.

    The rule (``docs/scoring.md``, section 10): only when no offer that matches alone has
    enough places; members are the offers that match in everything but their number of places
    (known, at least 1, fewer than needed), the ``MAX_COMBINATION_POOL`` best by their
    conservative score (the low end of its range; unknown counts 0). Among their subsets of 2
    to ``MAX_COMBINATION_SIZE`` offers whose places add up: the fewest offers, then the highest
    combined conservative score (the members' low ends weighted by their places), then the
    fewest places to spare; at most ``MAX_COMBINATIONS``. The search is exact over the pool:
    at most C(12, 2) + C(12, 3) + C(12, 4) = 781 subsets, one vectorised sum per size.
    ``search`` says how many offers could be members and how many were considered."""
    search = {"candidates": len(parts), "considered": 0, "truncated": False}
    need = criteria.places
    if not need or any(m["places"] is not None for m in singles) or len(parts) < 2:
        return {"combinations": [], "combination_search": search}
    pool = sorted(parts, key=lambda m: (-_conservative(m), m["property_id"]))
    pool = pool[:MAX_COMBINATION_POOL]
    search.update(considered=len(pool), truncated=len(parts) > len(pool))
    places = np.array([m["places"] for m in pool], dtype=float)
    low = np.array([_conservative(m) for m in pool])
    for size in range(2, min(MAX_COMBINATION_SIZE, len(pool)) + 1):
        subsets = np.array(list(itertools.combinations(range(len(pool)), size)), dtype=np.intp)
        total = places[subsets].sum(axis=1)
        fits = np.flatnonzero(total >= need)
        if not len(fits):
            continue
        combined = (places[subsets[fits]] * low[subsets[fits]]).sum(axis=1) / total[fits]
        best = fits[np.lexsort((total[fits], -combined))][:MAX_COMBINATIONS]
        found = [_combination(criteria, [pool[j] for j in subsets[k]]) for k in best]
        return {"combinations": found, "combination_search": search}
    return {"combinations": [], "combination_search": search}


def _combination(criteria: Criteria, members: list[dict[str, Any]]) -> dict[str, Any]:
    """One combination: its places and score (weighted by places), why, what is unknown."""
    members = sorted(members, key=lambda m: m["property_id"])
    places = np.array([m["places"] for m in members], dtype=float)

    def weighted(key: str) -> float:
        values = np.array([np.nan if m[key] is None else m[key] for m in members], dtype=float)
        return float((values * places).sum() / places.sum())

    return {
        "id": "combination:" + "+".join(str(m["property_id"]) for m in members),
        "property_ids": [m["property_id"] for m in members],
        "places": int(places.sum()),
        **_score_fields(
            weighted("score"),
            weighted("score_low"),
            weighted("score_high"),
            weighted("completeness"),
        ),
        "why": [
            {
                "code": "places_sum",
                "places": int(places.sum()),
                "needed": criteria.places,
                "offers": len(members),
            }
        ],
        "unknown": sorted({u for m in members for u in m["unknown"]}),
        "members": members,
    }


def match_sites(
    conn: Conn, table: SiteTable, criteria: Criteria, limit: int = MAX_MATCHES
) -> list[dict[str, Any]]:
    """The candidate sites that match, best first, at most ``limit``."""
    n = len(table.ids)
    if not n:
        return []
    x, y = transformer(WGS84, RD).transform(table.lon, table.lat)
    inside = shapely.contains_xy(criteria.area, np.asarray(x), np.asarray(y))
    if criteria.kinds:
        inside &= table.matching(table.kind, list(criteria.kinds))
    profile = load_profile(criteria.profile)
    evaluation = table.evaluation(profile)
    scores = evaluation.score_all(weight_vector(profile.weights))
    # the raw columns of the sites in the area only (a served snapshot reads them in one COPY)
    area = np.flatnonzero(inside)
    raw = table.raw_frame(conn, area)
    places, care = np.full(n, np.nan), np.full(n, np.nan)
    if "places" in raw:
        places[area] = raw["places"].to_numpy(dtype=float)
    if "care_m" in raw:
        care[area] = raw["care_m"].to_numpy(dtype=float)
    keep = inside & ~evaluation.excluded
    if criteria.places:
        keep &= np.isnan(places) | (places >= criteria.places)
    if criteria.max_care_m is not None:
        keep &= np.isnan(care) | (care <= criteria.max_care_m)
    point = scores.point
    if criteria.min_score is not None:
        keep &= np.isnan(point) | (point >= criteria.min_score)
    candidates = np.flatnonzero(keep)
    order = candidates[np.argsort(-np.nan_to_num(point[candidates], nan=-1.0), kind="stable")]
    top = order[:limit]
    names = _site_names(conn, table.site_ids(top))
    out = []
    for i in top:  # the few shown: their facts in words
        ok, why, unknown = _judge(criteria, places[i], care[i], float(point[i]), None)
        if not ok:
            continue
        site_id = table.site_id(int(i))
        out.append(
            {
                "source": "site",
                "id": f"site:{site_id}",
                "property_id": None,
                "site_id": site_id,
                "name": names.get(site_id, {}).get("name") or site_id,
                "kind": str(table.kind[i]),
                "places": None if np.isnan(places[i]) else int(places[i]),
                "lon": round(float(table.lon[i]), 6),
                "lat": round(float(table.lat[i]), 6),
                **_score_fields(point[i], scores.low[i], scores.high[i], scores.completeness[i]),
                "why": why,
                "unknown": unknown,
            }
        )
    return out


def _site_names(conn: Conn, ids: list[str]) -> dict[str, dict[str, Any]]:
    rows = conn.execute("SELECT id, name FROM site WHERE id = ANY(%s)", (ids,)).fetchall()
    return {r["id"]: dict(r) for r in rows}


def find_matches(
    conn: Conn, scope: ScopeFilter, table: SiteTable, layers: Layers, criteria: Criteria
) -> dict[str, Any]:
    """Offers and candidate sites matching ``criteria``, as the viewer may see them, and the
    combinations of offers that add up when no single offer has enough places."""
    offers, parts = match_offers(conn, scope, layers, criteria)
    sites = match_sites(conn, table, criteria)
    return {
        "criteria": criteria.public(),
        "offers": offers,
        "sites": sites,
        **combine(criteria, offers, parts),
    }


# --- proposals and their status ---


def _act_as(conn: Conn, viewer: Viewer, owner: bool) -> None:
    """Name the actor of this transaction's match changes for the audit trigger: an owner by
    role and id only (their e-mail is personal data), others by e-mail."""
    assert viewer.user_id is not None and viewer.email
    conn.execute(
        "SELECT set_config('sitefinder.actor', %s, true),"
        " set_config('sitefinder.actor_id', %s, true)",
        ("eigenaar" if owner else viewer.email, str(viewer.user_id)),
    )


def _proposable(conn: Conn, viewer: Viewer, demand_id: int, note: str) -> dict[str, Any]:
    """The demand a coordinator may propose for (else 403), as they see it."""
    if not viewer.has("coordinator"):
        raise PermissionDeniedError("only a coordinator may propose a match")
    if len(note) > MAX_NOTE:
        raise InvalidParameterError(f"note must be at most {MAX_NOTE} characters")
    try:
        wanted = demand(conn, ScopeFilter.of(viewer), demand_id)
    except UnknownSiteError:  # the same answer whether it exists elsewhere or not at all
        raise PermissionDeniedError(f"no demand {demand_id} in the region you coordinate") from None
    if not viewer.covers(wanted["provinciecode"]):
        raise PermissionDeniedError("this demand lies outside the region you coordinate")
    return wanted


def _offered(conn: Conn, viewer: Viewer, property_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The offers of ``property_ids`` the viewer may see that are offered, else 404."""
    scope = ScopeFilter.of(viewer)
    rows = conn.execute(
        sql.SQL(
            "SELECT p.id, p.places, p.floor_area_m2 FROM {offers} p"
            " WHERE p.id = ANY(%(ids)s) AND p.status = 'offered'"
        ).format(offers=scope.offers),
        scope.bind({"ids": property_ids}),
    ).fetchall()
    found = {int(r["id"]): dict(r) for r in rows}
    missing = [i for i in property_ids if i not in found]
    if missing:
        raise UnknownSiteError(f"no offer with id {missing[0]}")
    return found


def _insert_match(
    conn: Conn,
    viewer: Viewer,
    wanted: dict[str, Any],
    *,
    property_id: int | None,
    site_id: str | None,
    note: str,
    combination_id: int | None = None,
) -> int:
    row = conn.execute(
        "INSERT INTO match (demand_id, property_id, site_id, gemeentecode, provinciecode,"
        " note, proposed_by, combination_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT DO NOTHING RETURNING id",
        (
            wanted["id"],
            property_id,
            site_id,
            wanted["gemeentecode"],
            wanted["provinciecode"],
            note.strip(),
            viewer.user_id,
            combination_id,
        ),
    ).fetchone()
    if row is None:
        what = f"offer {property_id}" if property_id is not None else "this site"
        raise TransitionError(f"{what} has been proposed for this demand already")
    return int(row["id"])


def propose(
    conn: Conn,
    viewer: Viewer,
    demand_id: int,
    *,
    property_id: int | None,
    site_id: str | None,
    note: str,
) -> int:
    """A coordinator proposes an offer or a site for a demand; the new match's id."""
    if (property_id is None) == (site_id is None):
        raise InvalidParameterError("give either property_id or site_id")
    wanted = _proposable(conn, viewer, demand_id, note)
    if property_id is not None:
        _offered(conn, viewer, [property_id])
    elif conn.execute("SELECT 1 FROM site WHERE id = %s", (site_id,)).fetchone() is None:
        raise UnknownSiteError(f"no site with id '{(site_id or '')[:200]}'")
    with conn.transaction():
        _act_as(conn, viewer, owner=False)
        return _insert_match(
            conn, viewer, wanted, property_id=property_id, site_id=site_id, note=note
        )


def propose_combination(
    conn: Conn, viewer: Viewer, demand_id: int, *, property_ids: list[int], note: str
) -> list[int]:
    """A coordinator proposes offers together for a demand whose places they add up to: one
    match per offer (each moves on with its own owner, in the audit trail), all with the same
    ``combination_id`` (the first one's id), in one transaction; the new matches' ids."""
    members = sorted(set(property_ids))
    if not 2 <= len(members) <= MAX_COMBINATION_SIZE or len(members) != len(property_ids):
        raise InvalidParameterError(
            f"a combination holds 2 to {MAX_COMBINATION_SIZE} different offers"
        )
    wanted = _proposable(conn, viewer, demand_id, note)
    found = _offered(conn, viewer, members)
    total = sum(_places(found[i]["places"], found[i]["floor_area_m2"]) for i in members)
    if not total >= wanted["places"]:  # an unknown number of places adds up to nothing
        raise InvalidParameterError(
            f"these offers have {total:g} places together; the demand needs {wanted['places']}"
        )
    ids: list[int] = []
    with conn.transaction():
        _act_as(conn, viewer, owner=False)
        for member in members:
            ids.append(
                _insert_match(
                    conn,
                    viewer,
                    wanted,
                    property_id=member,
                    site_id=None,
                    note=note,
                    combination_id=ids[0] if ids else None,
                )
            )
        conn.execute("UPDATE match SET combination_id = %s WHERE id = %s", (ids[0], ids[0]))
    return ids


MATCH_COLUMNS = (
    "m.id, m.demand_id, m.property_id, m.site_id, m.gemeentecode, m.provinciecode, m.status,"
    " m.combination_id,"
    " m.note, m.created_at, m.updated_at, d.title AS demand_title, d.places AS demand_places,"
    " d.period_from, d.period_to, d.profile, g.name AS gemeentenaam,"
    " COALESCE(p.name, s.name) AS name, p.own AS own, p.status AS offer_status,"
    " p.contact_name, p.contact_email, p.contact_phone, p.places AS offer_places"
)


def list_matches(
    conn: Conn, scope: ScopeFilter, *, demand_id: int | None = None, match_id: int | None = None
) -> list[dict[str, Any]]:
    """The proposed matches the viewer may see (of one demand, or one match), newest first,
    with what may be done next by the viewer."""
    rows = conn.execute(
        sql.SQL(
            "SELECT " + MATCH_COLUMNS + " FROM {matches} m"
            " LEFT JOIN {demands} d ON d.id = m.demand_id"
            " LEFT JOIN {offers} p ON p.id = m.property_id"
            " LEFT JOIN site s ON s.id = m.site_id"
            " LEFT JOIN area g ON g.layer = 'gemeenten' AND g.code = m.gemeentecode"
            " WHERE (%(demand)s::bigint IS NULL OR m.demand_id = %(demand)s)"
            " AND (%(match)s::bigint IS NULL OR m.id = %(match)s)"
            " ORDER BY m.updated_at DESC, m.id DESC LIMIT 1000"
        ).format(matches=scope.matches, demands=scope.demands, offers=scope.offers),
        scope.bind({"demand": demand_id, "match": match_id}),
    ).fetchall()
    out = []
    for r in rows:
        item = dict(r)
        item["own"] = bool(item["own"])
        may = item["own"] or scope.sees_place(item["provinciecode"], item["gemeentecode"])
        item["next"] = list(TRANSITIONS[item["status"]]) if may else []
        out.append(item)
    return out


def audit_entries(conn: Conn, scope: ScopeFilter, match_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        sql.SQL(
            "SELECT a.id, a.at, a.match_id, a.actor, a.from_status, a.to_status, a.note"
            " FROM {audit} a WHERE a.match_id = %(id)s ORDER BY a.id"
        ).format(audit=scope.match_audit),
        scope.bind({"id": match_id}),
    ).fetchall()
    return [dict(r) for r in rows]


def set_match_status(
    conn: Conn, viewer: Viewer, match_id: int, status: str, note: str
) -> dict[str, Any]:
    """Move a match on (``TRANSITIONS``) with a note: the gemeente of the demand, whoever
    covers its province, or the owner of the offer may."""
    if status not in MATCH_STATUSES:
        raise InvalidParameterError(f"status must be one of {', '.join(MATCH_STATUSES)}")
    if len(note) > MAX_NOTE:
        raise InvalidParameterError(f"note must be at most {MAX_NOTE} characters")
    scope = ScopeFilter.of(viewer)
    found = list_matches(conn, scope, match_id=match_id)
    if not found:  # one answer whether it exists or not: nothing is told outside its scope
        raise PermissionDeniedError(f"no match {match_id} that you are a party to")
    current = found[0]
    if not current["own"] and not scope.sees_place(
        current["provinciecode"], current["gemeentecode"]
    ):
        raise PermissionDeniedError("you are not a party to this match")
    if status not in TRANSITIONS[current["status"]]:
        raise TransitionError(
            f"a match that is {current['status']} can become"
            f" {' or '.join(TRANSITIONS[current['status']])}, not {status}"
        )
    with conn.transaction():
        locked = conn.execute(
            "SELECT status FROM match WHERE id = %s FOR UPDATE", (match_id,)
        ).fetchone()
        if locked is None or locked["status"] != current["status"]:
            raise TransitionError("the match changed meanwhile; reload it")
        _act_as(conn, viewer, owner=current["own"])
        conn.execute(
            "UPDATE match SET status = %s, note = %s, updated_at = now() WHERE id = %s",
            (status, note.strip(), match_id),
        )
    return list_matches(conn, scope, match_id=match_id)[0]


def parties(conn: Conn, match_id: int) -> list[int]:
    """The users to tell about a change of a match: the owner of its offer and the gemeente
    users of its municipality (ids only; the caller writes their notifications)."""
    rows = conn.execute(
        "SELECT o.owner_id AS id FROM match m JOIN owner_property o ON o.id = m.property_id"
        " WHERE m.id = %(id)s"
        " UNION SELECT r.user_id FROM match m JOIN user_role r ON r.role = 'gemeente'"
        " AND r.scope = m.gemeentecode WHERE m.id = %(id)s",
        {"id": match_id},
    ).fetchall()
    return sorted(int(r["id"]) for r in rows)
