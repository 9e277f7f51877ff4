"""The collections of the OGC API - Features (``routers/ogc.py``) and the reads behind them.

Two sorts of collection, both derived, none listed by hand:

* ``sites-<profile>``: every scored site, for each profile of ``sitefinder/scoring/profiles``,
  in the profile's ranked order (the conservative ranking of ``GET /api/sites``, over all
  sites: a site's ``rank`` is the same on every page and in every bbox), with score, range,
  completeness, exclusion and the site's key attributes; the geometry is the site's point on
  its surface (what the ranking and ``bbox`` use, as in ``GET /api/sites``). No flag data:
  a flag reaches a user only through ``/api`` and the scope filter.
* ``<layer>``: each layer of the layer catalogue (``layers/``) that has geometry, its features
  with their full geometry, in id order.

SQL is built here only: table names from the catalogue, every value bound. Coordinates leave
in CRS84 (6 decimals, about 0.1 m) or EPSG:28992 (2 decimals, cm); stored geometry is
EPSG:28992. A page of features is written as JSON text by PostgreSQL (``json_build_object``),
joined here without parsing its geometries.
"""

from __future__ import annotations

import json
import threading
import weakref
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from layers import Layer, catalogue
from sitefinder.api.models import BBox
from sitefinder.api.ogcmodels import CRS84, RD_URI
from sitefinder.api.queries import SITE_FROM, score_fields, site_fields
from sitefinder.core.crs import RD, WGS84_BOUNDS, transformer
from sitefinder.scoring import NDArray, Profile, load_profile, profile_names
from sitefinder.scoring.engine import Evaluation, Scores, SiteTable, rank, weight_vector

SITES_PREFIX = "sites-"
PRECISION = {CRS84: 6}  # decimals of a coordinate; EPSG:28992 (metres): 2
RD_PRECISION = 2
# The vertices one page may carry (then it ends early; its next link goes on from there):
# transforming to CRS84 costs about 3 us a vertex here, writing GeoJSON in RD a tenth of it.
VERTEX_BUDGET = {CRS84: 100_000, RD_URI: 400_000}


@dataclass(frozen=True)
class OgcCollection:
    """One collection: the scored sites of a profile, or a layer of the catalogue."""

    id: str
    title: str
    description: str
    profile: str | None = None  # the scored sites of this profile
    layer: Layer | None = None  # or the features of this layer


@lru_cache(maxsize=1)
def collections() -> dict[str, OgcCollection]:
    """Every collection by id: the scored sites per profile, then the layers with geometry."""
    found: dict[str, OgcCollection] = {}
    for name in profile_names():
        profile = load_profile(name)
        found[SITES_PREFIX + name] = OgcCollection(
            id=SITES_PREFIX + name,
            title=f"Locaties, profiel {profile.title_nl} / Sites, profile {profile.title_en}",
            description=(
                f"Alle gescoorde locaties in de volgorde van het profiel {profile.title_nl}"
                " (score, bandbreedte, volledigheid, uitsluiting); punt op de locatie. / Every"
                f" scored site in the ranked order of the profile {profile.title_en} (score,"
                " range, completeness, exclusion); a point on the site."
            ),
            profile=name,
        )
    for layer in catalogue().values():
        if layer.kind == "table":  # rows without geometry, joined by GET /api/gemeenten
            continue
        found[layer.name] = OgcCollection(
            id=layer.name,
            title=f"{layer.title_nl} / {layer.title_en}",
            description=" / ".join(d for d in (layer.description_nl, layer.description_en) if d)
            or layer.title_en,
            layer=layer,
        )
    return found


def collection_ids() -> list[str]:
    return list(collections())


# --- extents ---


def layer_extents(conn: psycopg.Connection[Any]) -> dict[str, list[float]]:
    """Where each layer's data lies (CRS84): the envelope of its coverage (``layer_coverage``,
    its box densified to 1 km before it is transformed), within the area of use of RD New,
    where all data lies (``core.crs``). A layer without one (a national
    layer: all of the Netherlands, or one not loaded) has the area of use of RD New."""
    rows = conn.execute(
        "SELECT layer, ST_XMin(b) AS w, ST_YMin(b) AS s, ST_XMax(b) AS e, ST_YMax(b) AS n FROM"
        " (SELECT layer, Box2D(ST_Transform(ST_Segmentize(ST_Envelope(geom), 1000), 4326)) AS b"
        "  FROM layer_coverage WHERE geom IS NOT NULL) x"
    ).fetchall()
    x0, y0, x1, y1 = WGS84_BOUNDS  # a coverage grown by its buffer may reach beyond it
    found = {
        r["layer"]: [
            round(max(float(r["w"]), x0), 6),
            round(max(float(r["s"]), y0), 6),
            round(min(float(r["e"]), x1), 6),
            round(min(float(r["n"]), y1), 6),
        ]
        for r in rows
    }
    return {name: found.get(name, list(WGS84_BOUNDS)) for name in catalogue()}


def sites_extent(table: SiteTable) -> list[float]:
    """The extent of the sites' points (CRS84), from the site table in memory."""
    if len(table.lon) == 0:
        return list(WGS84_BOUNDS)
    return [
        round(float(np.nanmin(table.lon)), 6),
        round(float(np.nanmin(table.lat)), 6),
        round(float(np.nanmax(table.lon)), 6),
        round(float(np.nanmax(table.lat)), 6),
    ]


# --- the features of a layer ---

_LAYER_PROPERTIES = {  # per table: the columns a feature carries (besides id and geometry)
    "site": ("name", "kind", "gemeentecode", "area_m2", "floor_area_m2", "props"),
    "poi": ("name", "category", "props"),
    "area": ("name", "code", "category", "props"),
}


def _geometry(crs: str, column: str = "geom") -> sql.Composable:
    """GeoJSON of ``column`` (stored EPSG:28992) in ``crs``; no ``crs`` member (options 0)."""
    geom = sql.Identifier(column)
    if crs == CRS84:
        return sql.SQL("ST_AsGeoJSON(ST_Transform({g}, 4326), {p}, 0)::json").format(
            g=geom, p=sql.Literal(PRECISION[CRS84])
        )
    return sql.SQL("ST_AsGeoJSON({g}, {p}, 0)::json").format(g=geom, p=sql.Literal(RD_PRECISION))


def _envelope(bbox_crs: str) -> sql.Composable:
    """The request's bbox (bound values) as a polygon in EPSG:28992. A CRS84 box is densified
    before it is transformed, so that its edges follow the meridians and parallels."""
    if bbox_crs == CRS84:
        return sql.SQL(
            "ST_Transform(ST_Segmentize(ST_MakeEnvelope(%(west)s, %(south)s, %(east)s,"
            " %(north)s, 4326), 0.01), 28992)"
        )
    return sql.SQL("ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, 28992)")


def _layer_where(bbox: BBox | None, bbox_crs: str) -> sql.Composable:
    where = sql.SQL("layer = %(layer)s")
    if bbox is None:
        return where
    return sql.SQL("{w} AND ST_Intersects(geom, {env})").format(w=where, env=_envelope(bbox_crs))


def _feature_json(layer: Layer, crs: str) -> sql.Composable:
    columns = _LAYER_PROPERTIES[layer.table]
    properties = sql.SQL(", ").join(
        sql.SQL("{k}, {c}").format(k=sql.Literal(c), c=sql.Identifier(c)) for c in columns
    )
    return sql.SQL(
        "json_build_object('type', 'Feature', 'id', id, 'geometry', {geometry},"
        " 'properties', json_build_object({properties}))::text"
    ).format(geometry=_geometry(crs), properties=properties)


def _bbox_params(bbox: BBox | None) -> dict[str, float]:
    if bbox is None:
        return {}
    return {"west": bbox.west, "south": bbox.south, "east": bbox.east, "north": bbox.north}


@dataclass(frozen=True)
class FeaturePage:
    """Features as JSON texts (one per feature), and how many match on all pages."""

    features: list[str]
    matched: int


def layer_items(
    conn: psycopg.Connection[Any],
    layer: Layer,
    *,
    bbox: BBox | None,
    bbox_crs: str,
    crs: str,
    limit: int,
    offset: int,
) -> FeaturePage:
    """A page of the layer's features (in id order) that intersect ``bbox``: at most
    ``limit``, and no more than fit in the page's vertex budget (``VERTEX_BUDGET``: at least
    one feature). The caller's next page starts after the last feature returned."""
    table = sql.Identifier(layer.table)
    where = _layer_where(bbox, bbox_crs)
    params: dict[str, Any] = {
        "layer": layer.name,
        "limit": limit,
        "offset": offset,
        "budget": VERTEX_BUDGET[crs],
        **_bbox_params(bbox),
    }
    # the page's ids first, then the vertices before each one; the JSON only of those kept
    rows = conn.execute(
        sql.SQL(
            "SELECT {feature} AS f FROM ("
            "  SELECT p.*, sum(ST_NPoints(geom)) OVER (ORDER BY id) - ST_NPoints(geom) AS before"
            "  FROM (SELECT * FROM {table} WHERE {where}"
            "        ORDER BY id LIMIT %(limit)s OFFSET %(offset)s) p"
            ") q WHERE before < %(budget)s ORDER BY id"
        ).format(feature=_feature_json(layer, crs), table=table, where=where),
        params,
    ).fetchall()
    total = conn.execute(
        sql.SQL("SELECT count(*) AS n FROM {table} WHERE {where}").format(table=table, where=where),
        params,
    ).fetchone()
    return FeaturePage([r["f"] for r in rows], int(total["n"]) if total else 0)


def layer_item(
    conn: psycopg.Connection[Any], layer: Layer, feature_id: str, *, crs: str
) -> str | None:
    """One feature of the layer as JSON text (None: no such feature)."""
    row = conn.execute(
        sql.SQL("SELECT {feature} AS f FROM {table} WHERE layer = %s AND id = %s").format(
            feature=_feature_json(layer, crs), table=sql.Identifier(layer.table)
        ),
        (layer.name, feature_id),
    ).fetchone()
    return None if row is None else str(row["f"])


# --- the scored sites of a profile ---


@dataclass(frozen=True)
class Ranked:
    """Every site of one site table in a profile's ranked order (best first; excluded sites
    and sites without a score last, by id) and each site's 1-based rank (0: none)."""

    order: NDArray
    rank: NDArray
    evaluation: Evaluation
    scores: Scores


_ranked: dict[str, tuple[weakref.ref[SiteTable], Ranked]] = {}
_ranked_lock = threading.Lock()


def ranked(table: SiteTable, profile: Profile) -> Ranked:
    """The profile's ranking of every site: one sort per site table and profile, kept until
    the table is replaced (a re-rank over a million sites takes a good part of a second)."""
    with _ranked_lock:
        known = _ranked.get(profile.name)
        if known is not None and known[0]() is table:
            return known[1]
    evaluation = table.evaluation(profile)
    scores = evaluation.score_all(weight_vector(profile.weights))
    everyone = np.arange(len(table.ids), dtype=np.int32)  # a million sites: 4 MB an array
    order = rank(scores, everyone, len(everyone))
    places = np.zeros(len(everyone), dtype=np.int32)
    scored = order[~np.isnan(scores.point[order])]
    places[scored] = np.arange(1, len(scored) + 1)
    result = Ranked(order=order, rank=places, evaluation=evaluation, scores=scores)
    with _ranked_lock:
        _ranked[profile.name] = (weakref.ref(table), result)
    return result


def _in_bbox(table: SiteTable, bbox: BBox, bbox_crs: str) -> NDArray:
    """Boolean mask of the sites whose point lies in ``bbox`` (in ``bbox_crs``): a box in
    EPSG:28992 is tested on the points transformed to RD, only those in its CRS84 envelope."""
    if bbox_crs == CRS84:
        lon_lat: NDArray = (
            (table.lon >= bbox.west)
            & (table.lon <= bbox.east)
            & (table.lat >= bbox.south)
            & (table.lat <= bbox.north)
        )
        return lon_lat
    west, south, east, north = transformer("OGC:CRS84", RD).transform_bounds(
        bbox.west, bbox.south, bbox.east, bbox.north, densify_pts=21, direction="INVERSE"
    )
    near = np.flatnonzero(
        (table.lon >= west) & (table.lon <= east) & (table.lat >= south) & (table.lat <= north)
    )
    x, y = transformer("OGC:CRS84", RD).transform(table.lon[near], table.lat[near])
    inside = (x >= bbox.west) & (x <= bbox.east) & (y >= bbox.south) & (y <= bbox.north)
    mask = np.zeros(len(table.ids), dtype=bool)
    mask[near[inside]] = True
    return mask


def _site_rows(
    conn: psycopg.Connection[Any], ids: list[str], crs: str
) -> dict[str, dict[str, Any]]:
    """The key attributes and the point of the sites ``ids``, by id."""
    point = sql.SQL("ST_PointOnSurface(s.geom)")
    if crs == CRS84:
        geometry = sql.SQL("ST_AsGeoJSON(ST_Transform({p}, 4326), {n}, 0)").format(
            p=point, n=sql.Literal(PRECISION[CRS84])
        )
    else:
        geometry = sql.SQL("ST_AsGeoJSON({p}, {n}, 0)").format(p=point, n=sql.Literal(RD_PRECISION))
    rows = conn.execute(
        sql.SQL(
            "SELECT s.id, s.name, s.kind, s.layer,"
            " COALESCE(r.gemeentecode, s.gemeentecode) AS gemeentecode,"
            " g.name AS gemeentenaam, s.area_m2, s.floor_area_m2, r.places,"
            " s.props ->> 'leegstand' AS vacancy, s.props -> 'location_check' AS location_check,"
            " {geometry} AS geometry"
        ).format(geometry=geometry)
        + sql.SQL(SITE_FROM)
        + sql.SQL(" WHERE s.id = ANY(%s)"),
        (ids,),
    ).fetchall()
    return {row["id"]: dict(row) for row in rows}


def _site_feature(row: dict[str, Any], ranking: Ranked, i: int, profile: str) -> str:
    geometry = row.pop("geometry")
    checks = site_fields(row)
    fields = score_fields(ranking.scores, i)
    if fields["score"] is not None:
        fields["score"] = round(fields["score"], 4)
    properties = {
        **{k: row[k] for k in ("name", "kind", "layer", "gemeentecode", "gemeentenaam")},
        "rank": int(ranking.rank[i]) or None,
        **fields,
        "excluded": bool(ranking.evaluation.excluded[i]),
        "reasons": ",".join(ranking.evaluation.reasons(i)) or None,  # excluding criteria
        "places": row["places"],
        "area_m2": row["area_m2"],
        "floor_area_m2": row["floor_area_m2"],
        "vacancy": checks["vacancy"],
        "checks": ",".join(str(c.get("code", c)) for c in checks["checks"]) or None,
        "profile": profile,
    }
    head = json.dumps({"type": "Feature", "id": row["id"]}, ensure_ascii=False)[:-1]
    return f'{head}, "geometry": {geometry}, "properties": {json.dumps(properties)}}}'


def site_items(
    conn: psycopg.Connection[Any],
    table: SiteTable,
    profile: Profile,
    *,
    bbox: BBox | None,
    bbox_crs: str,
    crs: str,
    limit: int,
    offset: int,
) -> FeaturePage:
    """A page of the profile's ranked sites whose point lies in ``bbox``."""
    ranking = ranked(table, profile)
    order = ranking.order
    if bbox is not None:
        order = order[_in_bbox(table, bbox, bbox_crs)[order]]
    page = order[offset : offset + limit]
    ids = table.site_ids(page)
    rows = _site_rows(conn, ids, crs)
    features = [
        _site_feature(rows[site], ranking, int(i), profile.name)
        for i, site in zip(page, ids, strict=True)
        if site in rows  # not deleted by a load since the snapshot
    ]
    return FeaturePage(features, len(order))


def site_item(
    conn: psycopg.Connection[Any], table: SiteTable, profile: Profile, site_id: str, *, crs: str
) -> str | None:
    """One scored site as JSON text (None: no such site in the site table)."""
    i = table.position(site_id)
    if i is None:
        return None
    rows = _site_rows(conn, [site_id], crs)
    if site_id not in rows:
        return None
    return _site_feature(rows[site_id], ranked(table, profile), i, profile.name)
