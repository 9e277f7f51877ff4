"""The one place that builds the API's SQL: one helper per clause, identifiers from the catalogue,
every value bound. Geometry out is WGS84 GeoJSON (EPSG:4326); stored geometry is EPSG:28992.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from etl.runs import latest_runs, loaded_layers
from layers import Layer
from sitefinder.api.models import BBox, Page
from sitefinder.api.mvt import BUFFER, EXTENT, Tile
from sitefinder.scoring import NDArray, Profile
from sitefinder.scoring.compute import places_source_sql
from sitefinder.scoring.engine import (
    SOLID_COMPLETENESS,
    STABILITY_POOL,
    Evaluation,
    Scores,
    SiteTable,
    position,
    rank,
    stability,
    weight_vector,
)
from sitefinder.scoring.explain import exclusion_reasons, explain, feature_names

GEOJSON_4326 = "ST_AsGeoJSON(ST_Transform({geom}, 4326), 6)::jsonb"


def _envelope_rd() -> sql.Composable:
    """The request bbox (WGS84) as a polygon in EPSG:28992, from bound parameters."""
    return sql.SQL(
        "ST_Transform(ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, 4326), 28992)"
    )


def _bbox_params(bbox: BBox | None) -> dict[str, float]:
    if bbox is None:
        return {}
    return {"west": bbox.west, "south": bbox.south, "east": bbox.east, "north": bbox.north}


# places: what the score used (site_raw.places, from ``compute.places_sql``): one number
SITE_COLUMNS = f"""
    s.id, s.name, s.kind, s.layer, COALESCE(r.gemeentecode, s.gemeentecode) AS gemeentecode,
    g.name AS gemeentenaam,
    s.area_m2, s.floor_area_m2, r.places,
    CASE WHEN r.places IS NOT NULL THEN {places_source_sql("s.props")} END AS places_source,
    s.props ->> 'leegstand' AS vacancy, s.props ->> 'leeg_sinds' AS vacant_since,
    s.props -> 'location_check' AS location_check
"""
SITE_FROM = """
    FROM site s
    LEFT JOIN site_raw r ON r.site_id = s.id
    LEFT JOIN area g ON g.layer = 'gemeenten' AND g.code = COALESCE(r.gemeentecode, s.gemeentecode)
"""


@dataclass(frozen=True)
class SiteQuery:
    """What the user asked for: filters, page, profile or own weights, stability top k."""

    profile: Profile
    weights: dict[str, float]
    kind: str | None = None
    gemeente: str | None = None
    min_score: float = 0.0
    bbox: BBox | None = None
    include_excluded: bool = False
    page: Page = field(default_factory=lambda: Page(limit=100, offset=0))
    stability_k: int = 10
    # a selection by id (e.g. the sites of a flag status): only these / none of these
    only_ids: frozenset[str] | None = None
    without_ids: frozenset[str] = frozenset()
    rank_by: str = "conservative"  # or "score" (engine.RANK_BY)
    min_completeness: float = 0.0
    vacancy: tuple[str, ...] = ()  # offices: leeg, in gebruik, onbekend (any of them)


def _candidates(table: SiteTable, evaluation: Evaluation, scores: Scores, q: SiteQuery) -> NDArray:
    """Indices of the sites that pass the filters (vectorised masks over all sites)."""
    return np.flatnonzero(_candidate_mask(table, evaluation, scores, q))


def _candidate_mask(
    table: SiteTable, evaluation: Evaluation, scores: Scores, q: SiteQuery
) -> NDArray:
    """True at the sites that pass the filters (vectorised masks over all sites)."""
    mask = ~evaluation.excluded if not q.include_excluded else np.ones(len(table), dtype=bool)
    if q.kind:
        mask &= table.matching(table.kind, q.kind)
    if q.gemeente:
        mask &= table.matching(table.gemeente, q.gemeente)
    if q.vacancy:
        mask &= table.matching(table.vacancy, q.vacancy)
    if q.bbox is not None:
        b = q.bbox
        mask &= (table.lon >= b.west) & (table.lon <= b.east)
        mask &= (table.lat >= b.south) & (table.lat <= b.north)
    if q.min_score > 0:
        mask &= np.nan_to_num(scores.point, nan=-1.0) >= q.min_score
    if q.min_completeness > 0:
        mask &= scores.completeness >= np.float32(q.min_completeness) - np.float32(1e-6)
    if q.only_ids is not None:
        mask &= _id_mask(table, q.only_ids)
    if q.without_ids:
        mask &= ~_id_mask(table, q.without_ids)
    return mask


def _id_mask(table: SiteTable, ids: frozenset[str]) -> NDArray:
    """True at the sites of ``ids`` (ids not in the table are left out)."""
    mask = np.zeros(len(table), dtype=bool)
    found = (table.position(i) for i in ids)
    mask[[i for i in found if i is not None]] = True
    return mask


def score_fields(scores: Scores, i: int) -> dict[str, Any]:
    """Point score, range, completeness and solidity of site ``i`` (API fields; docs/scoring.md
    section 3)."""

    def plain(value: Any) -> float | None:
        return None if np.isnan(value) else round(float(value), 4)

    complete = float(scores.completeness[i])
    return {
        "score": None if np.isnan(scores.point[i]) else float(scores.point[i]),
        "score_low": plain(scores.low[i]),
        "score_high": plain(scores.high[i]),
        "completeness": round(complete, 3),
        "solid": complete >= SOLID_COMPLETENESS - 1e-6,
    }


VACANCY = ("leeg", "in gebruik", "onbekend")  # an office's vacancy (etl.bag_offices)


def site_fields(row: dict[str, Any]) -> dict[str, Any]:
    """What a person should check about a site (``checks``: today the ETL's location check,
    a site just outside every municipality, ``etl.loading``) and its vacancy, one of
    ``VACANCY`` (a value a source wrote otherwise counts as unknown), from its columns."""
    check = row.pop("location_check", None)
    vacancy = row.get("vacancy")
    return {
        "checks": [check] if isinstance(check, dict) else [],
        "vacancy": vacancy if vacancy in VACANCY or vacancy is None else "onbekend",
    }


def _six_decimals(value: float) -> float | int:
    """``value`` as ``ST_AsGeoJSON(..., 6)`` writes it: rounded to 6 decimals (correctly, as
    PostGIS prints), an integral one as an integer."""
    rounded = round(value, 6)
    return int(rounded) if rounded.is_integer() else rounded


def point_geojson(lon: float, lat: float) -> dict[str, Any] | None:
    """A site's point on surface as the site table holds it (WGS84 degrees, EPSG:4326,
    transformed by PostGIS when the table was read) in GeoJSON, exactly as
    ``GEOJSON_4326`` of ``ST_PointOnSurface(s.geom)`` gives it; None without one. The list
    takes it from the table: a page then needs no PostGIS function, and a fresh connection's
    first transform (PostGIS and PROJ loaded into its server process: tens of milliseconds
    of the first answer of a fresh API process) is not on its way."""
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    return {"type": "Point", "coordinates": [_six_decimals(lon), _six_decimals(lat)]}


def list_sites(conn: psycopg.Connection[Any], table: SiteTable, q: SiteQuery) -> dict[str, Any]:
    """The ranked page of sites (ranking and points in memory, details of the page from
    PostGIS)."""
    evaluation = table.evaluation(q.profile)
    weights = weight_vector(q.weights)
    scores = evaluation.score_all(weights)
    mask = _candidate_mask(table, evaluation, scores, q)
    candidates = np.flatnonzero(mask)
    # one partial sort serves the page and the stability pool
    depth = max(STABILITY_POOL, 5 * q.stability_k, q.page.offset + q.page.limit)
    ranked = rank(scores, candidates, min(len(candidates), depth), q.rank_by, mask=mask)
    page = ranked[q.page.offset : q.page.offset + q.page.limit]
    stable = stability(
        evaluation,
        weights,
        candidates,
        page,
        q.stability_k,
        ranked=ranked,
        scores=scores,
        mask=mask,
    )
    page_ids = table.site_ids(page)
    rows = conn.execute(
        "SELECT " + SITE_COLUMNS + SITE_FROM + " WHERE s.id = ANY(%s)", (page_ids,)
    ).fetchall()
    by_id = {row["id"]: row for row in rows}
    features = []
    for place, (i, share, site_id) in enumerate(
        zip(page, stable, page_ids, strict=True), start=q.page.offset + 1
    ):
        if site_id not in by_id:
            continue  # deleted by a load since the snapshot was taken (its reload follows)
        row = dict(by_id[site_id])
        fields = score_fields(scores, i)
        missing = [
            name
            for name, j in evaluation.col.items()
            if not evaluation.present[i, j] and weights[j] > 0
        ]
        row.update(
            **fields,
            rank=None if fields["score"] is None else place,
            excluded=bool(evaluation.excluded[i]),
            reasons=exclusion_reasons(evaluation, i),
            missing=missing,
            stability={"k": q.stability_k, "in_top_k": round(float(share), 3)},
            **site_fields(row),
        )
        geometry = point_geojson(float(table.lon[i]), float(table.lat[i]))
        features.append(
            {"type": "Feature", "id": row["id"], "geometry": geometry, "properties": row}
        )
    return {
        "type": "FeatureCollection",
        "total": len(candidates),
        "limit": q.page.limit,
        "offset": q.page.offset,
        "profile": q.profile.name,
        "weights": q.weights,
        "rank_by": q.rank_by,
        "min_completeness": q.min_completeness,
        "solid_completeness": SOLID_COMPLETENESS,
        "features": features,
    }


def get_site(
    conn: psycopg.Connection[Any], table: SiteTable, site_id: str, q: SiteQuery
) -> dict[str, Any] | None:
    """One site: properties, full geometry, explained breakdown, sources."""
    i = table.position(site_id)
    if i is None:
        return None
    row = conn.execute(
        "SELECT "
        + SITE_COLUMNS
        + ", s.props, s.sources, s.source, s.source_ref, "
        + GEOJSON_4326.format(geom="s.geom")
        + " AS geometry "
        + SITE_FROM
        + " WHERE s.id = %s",
        (site_id,),
    ).fetchone()
    if row is None:
        return None
    evaluation = table.evaluation(q.profile)
    weights = weight_vector(q.weights)
    scores = evaluation.score_all(weights)
    raw = table.raw_row(conn, i)
    explained = explain(q.profile, weights, evaluation, i, raw, feature_names(conn, raw))
    # the rank among all sites (no filters), in the ranking the request asks for
    candidates = _candidates(table, evaluation, scores, SiteQuery(q.profile, q.weights))
    row["sources"] = _sources(conn, row)
    row.update(
        **score_fields(scores, i),
        rank=position(scores, candidates, i, q.rank_by),
        rank_by=q.rank_by,
        excluded=bool(evaluation.excluded[i]),
        profile=q.profile.name,
        weights=q.weights,
        missing=[b["criterion"] for b in explained["breakdown"] if b["missing"] and b["weight"]],
        **site_fields(row),
        **explained,
    )
    geometry = row.pop("geometry")
    return {"type": "Feature", "id": site_id, "geometry": geometry, "properties": row}


def _sources(conn: psycopg.Connection[Any], row: dict[str, Any]) -> list[dict[str, Any]]:
    """The site's source records, with publisher, licence and 'as of' of the layer's last run."""
    run = latest_runs(conn).get(row["layer"], {})
    refs = row.get("sources") or [{"source": row["source"], "source_ref": row["source_ref"]}]
    return [
        {
            "layer": row["layer"],
            "publisher": run.get("publisher"),
            "licence": run.get("licence"),
            "data_as_of": run.get("data_as_of"),
            "retrieved_at": run.get("retrieved_at"),
            **ref,
        }
        for ref in refs
    ]


def scoring_data_version(conn: psycopg.Connection[Any], layers: list[str]) -> int:
    """The last successful ETL run of any of ``layers`` (0: none): changes when their data does."""
    row = conn.execute(
        "SELECT coalesce(max(id), 0) AS v FROM etl_run WHERE status = 'ok' AND layer = ANY(%s)",
        (layers,),
    ).fetchone()
    return int(row["v"]) if row else 0


def layer_versions(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Per layer its last successful ETL run (``scoring_data_version`` of each layer alone)."""
    rows = conn.execute(
        "SELECT layer, max(id) AS v FROM etl_run WHERE status = 'ok' GROUP BY layer"
    ).fetchall()
    return {str(row["layer"]): int(row["v"]) for row in rows}


def health(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    layers = loaded_layers(conn)
    scored = conn.execute("SELECT count(*) AS n FROM site_raw").fetchone()
    return {
        "status": "ok" if layers else "empty",
        "database": True,
        "layers": {
            name: {
                "count": info["count"],
                "data_as_of": info["data_as_of"],
                "retrieved_at": info["retrieved_at"],
                "quarantined": info["n_quarantined"],
            }
            for name, info in layers.items()
        },
        "scored_sites": scored["n"] if scored else 0,
    }


def gemeenten_with_sites(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    """The gemeenten with sites, their count and WGS84 extent, and their regions (layer
    ``regions``, joined on the CBS code; null when it has no row)."""
    rows = conn.execute(
        "SELECT g.code, g.name, n.n_sites,"
        " ST_XMin(b.box) AS w, ST_YMin(b.box) AS s, ST_XMax(b.box) AS e, ST_YMax(b.box) AS n,"
        " x.centrumgemeente, x.centrumgemeente_code, x.ggd_region, x.wmo_region,"
        " x.code IS NOT NULL AS has_regions"
        " FROM (SELECT COALESCE(r.gemeentecode, s.gemeentecode) AS gemeentecode,"
        "       count(*) AS n_sites FROM site s LEFT JOIN site_raw r ON r.site_id = s.id"
        "       GROUP BY 1) n"
        " JOIN area g ON g.layer = 'gemeenten' AND g.code = n.gemeentecode"
        " LEFT JOIN gemeente_region x ON x.layer = 'regions' AND x.code = g.code"
        " CROSS JOIN LATERAL (SELECT Box2D(ST_Transform(g.geom, 4326)) AS box) b"
        " ORDER BY g.name"
    ).fetchall()
    return [
        {
            "code": r["code"],
            "name": r["name"],
            "n_sites": r["n_sites"],
            "bbox": [round(r[k], 5) for k in ("w", "s", "e", "n")],
            "regions": {
                "centrumgemeente": (
                    {"code": r["centrumgemeente_code"], "name": r["centrumgemeente"]}
                    if r["centrumgemeente"]
                    else None
                ),
                "ggd": r["ggd_region"],
                "wmo": r["wmo_region"],
            }
            if r["has_regions"]
            else None,
        }
        for r in rows
    ]


# a layer's feature properties besides id and name, per table: one declaration for its features
# (GeoJSON) and its vector tiles
_FEATURE_EXTRA = {
    "site": "NULL::text AS code, kind AS category",
    "poi": "NULL::text AS code, category",
    "area": "code, category",
}


def _served_geometry(layer: Layer) -> sql.Composable:
    """A layer's geometry as served (EPSG:28992), simplified by its ``simplify_m``."""
    if layer.simplify_m > 0:
        # Douglas-Peucker keeping collapsed parts: 40 times faster than the topology-preserving
        # variant on the Natura 2000 areas (28 ms against 1.2 s), and a map needs no validity
        return sql.SQL("ST_Simplify(geom, {tol}, true)").format(tol=sql.Literal(layer.simplify_m))
    return sql.SQL("geom")


def _feature(r: dict[str, Any]) -> dict[str, Any]:
    """A row of ``id, name, code, category, g`` (GeoJSON) as a layer's feature."""
    return {
        "type": "Feature",
        "id": r["id"],
        "geometry": r["g"],
        "properties": {k: r[k] for k in ("id", "name", "code", "category")},
    }


def layer_features(
    conn: psycopg.Connection[Any], layer: Layer, *, bbox: BBox | None, limit: int
) -> dict[str, Any]:
    table = sql.Identifier(layer.table)
    geom = _served_geometry(layer)
    extra = sql.SQL(_FEATURE_EXTRA[layer.table])
    where: sql.SQL | sql.Composed = sql.SQL("layer = %(layer)s")
    if bbox is not None:
        where = sql.SQL("{w} AND ST_Intersects(geom, {env})").format(w=where, env=_envelope_rd())
    params: dict[str, Any] = {"layer": layer.name, "limit": limit, **_bbox_params(bbox)}
    rows = conn.execute(
        sql.SQL(
            "SELECT id, name, {extra}, ST_AsGeoJSON(ST_Transform({geom}, 4326), 6)::jsonb AS g"
            " FROM {table} WHERE {where} ORDER BY id LIMIT %(limit)s"
        ).format(extra=extra, geom=geom, table=table, where=where),
        params,
    ).fetchall()
    total = conn.execute(
        sql.SQL("SELECT count(*) AS n FROM {table} WHERE {where}").format(table=table, where=where),
        params,
    ).fetchone()
    n = total["n"] if total else 0
    return {
        "type": "FeatureCollection",
        "layer": layer.name,
        "total": n,
        "truncated": n > len(rows),
        "features": [_feature(r) for r in rows],
    }


def layer_features_at(
    conn: psycopg.Connection[Any],
    layer: Layer,
    *,
    lon: float,
    lat: float,
    radius_m: float,
    limit: int,
) -> dict[str, Any]:
    """The features of ``layer`` at a WGS84 point: those within ``radius_m`` metres of it
    (EPSG:28992; 0: the features that contain or touch it), the nearest first, then the
    smallest (a building before the parcel around it), then by id; at most ``limit``, with
    ``total`` counting all of them. One statement: the point is transformed to RD once and
    ``ST_DWithin`` uses the table's GiST index; the geometry is served as ``layer_features``
    serves it, in WGS84."""
    query = sql.SQL(
        "WITH p AS (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), 28992)"
        "   AS pt)"
        " SELECT id, name, {extra}, ST_AsGeoJSON(ST_Transform({geom}, 4326), 6)::jsonb AS g,"
        "   count(*) OVER () AS total"
        " FROM {table}, p WHERE layer = %(layer)s AND ST_DWithin(geom, p.pt, %(radius)s)"
        " ORDER BY ST_Distance(geom, p.pt), ST_Area(geom), id LIMIT %(limit)s"
    ).format(
        extra=sql.SQL(_FEATURE_EXTRA[layer.table]),
        geom=_served_geometry(layer),
        table=sql.Identifier(layer.table),
    )
    params = {"lon": lon, "lat": lat, "radius": radius_m, "layer": layer.name, "limit": limit}
    rows = conn.execute(query, params).fetchall()
    total = rows[0]["total"] if rows else 0
    return {
        "type": "FeatureCollection",
        "layer": layer.name,
        "total": total,
        "truncated": total > len(rows),
        "lon": lon,
        "lat": lat,
        "radius_m": radius_m,
        "features": [_feature(r) for r in rows],
    }


# --- exports of a whole selection (sitefinder.api.siteexport) ---


@dataclass(frozen=True)
class Selection:
    """Every site a query selects, ranked as ``list_sites`` ranks them (all pages, in order):
    ``order`` holds their indices in ``table``, with the evaluation and scores they were
    ranked by."""

    table: SiteTable
    query: SiteQuery
    evaluation: Evaluation
    weights: NDArray  # catalogue order
    scores: Scores
    order: NDArray


def select_all(table: SiteTable, q: SiteQuery) -> Selection:
    """The whole selection of ``q`` (its page ignored), ranked: the ids of every page of
    ``list_sites`` with the same query, in the same order."""
    evaluation = table.evaluation(q.profile)
    weights = weight_vector(q.weights)
    scores = evaluation.score_all(weights)
    candidates = _candidates(table, evaluation, scores, q)
    order = rank(scores, candidates, len(candidates), q.rank_by)
    return Selection(table, q, evaluation, weights, scores, order)


def count_selected(table: SiteTable, q: SiteQuery) -> int:
    """How many sites ``q`` selects (no ranking)."""
    evaluation = table.evaluation(q.profile)
    scores = evaluation.score_all(weight_vector(q.weights))
    return len(_candidates(table, evaluation, scores, q))


# geometry of an export row: the stored geometry (EPSG:28992) as WKB, or WGS84 GeoJSON text
EXPORT_GEOMETRY = {
    "rd_wkb": "ST_AsBinary(s.geom)",
    "geojson": "ST_AsGeoJSON(ST_Transform(s.geom, 4326), 6)",
    "none": "NULL::text",
}


def export_rows(
    conn: psycopg.Connection[Any], ids: list[str], geometry: str
) -> dict[str, dict[str, Any]]:
    """Columns, provenance (source, source_ref) and geometry of the sites ``ids`` (one
    statement), by id; ``geometry`` names one of ``EXPORT_GEOMETRY``. ``lon``/``lat``: a point
    on the site's surface in WGS84 degrees."""
    rows = conn.execute(
        "SELECT "
        + SITE_COLUMNS
        + ", s.source, s.source_ref, ST_X(p.pt) AS lon, ST_Y(p.pt) AS lat, "
        + EXPORT_GEOMETRY[geometry]
        + " AS geometry "
        + SITE_FROM
        + " CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(s.geom), 4326) AS pt) p"
        + " WHERE s.id = ANY(%s)",
        (ids,),
    ).fetchall()
    return {row["id"]: row for row in rows}


def export_sources(conn: psycopg.Connection[Any], layers: list[str]) -> list[dict[str, Any]]:
    """The provenance of ``layers`` from their last good ETL run: source, publisher, licence,
    data as of and retrieved at (layers never loaded are left out), in the order given."""
    runs = latest_runs(conn)
    return [{"layer": layer, **runs[layer]} for layer in dict.fromkeys(layers) if layer in runs]


# --- vector tiles (sitefinder.api.mvt): one statement per tile ---
# The tile envelope is Web Mercator (EPSG:3857, ST_TileEnvelope); the stored geometry is
# EPSG:28992, so the envelope (grown by the buffer) is transformed to RD once and compared with
# ``&&`` (the table's GiST index), never each geometry transformed for the comparison; only the
# geometries in the tile are transformed to 3857 for ST_AsMVTGeom.
_ENVELOPE = "ST_TileEnvelope(%(z)s, %(x)s, %(y)s)"
# the tile with its buffer, cut to the RD domain (Tile.search_box), edges segmentized so that
# they bend as they do in RD
_ENVELOPE_RD = (
    "ST_Transform(ST_Segmentize(ST_MakeEnvelope(%(xmin)s, %(ymin)s, %(xmax)s, %(ymax)s, 3857),"
    " %(segment)s), 28992)"
)
_MVT_GEOM = "ST_AsMVTGeom({geom}, " + _ENVELOPE + ", %(extent)s, %(buffer)s, true)"


def _tile_params(tile: Tile) -> dict[str, Any] | None:
    """The statement's parameters; None for a tile outside the RD domain (it is empty)."""
    box = tile.search_box()
    if box is None:
        return None
    xmin, ymin, xmax, ymax = box
    return {
        "z": tile.z,
        "x": tile.x,
        "y": tile.y,
        "xmin": xmin,
        "ymin": ymin,
        "xmax": xmax,
        "ymax": ymax,
        "segment": tile.size / 8,
        "extent": EXTENT,
        "buffer": BUFFER,
    }


_TILE_EXTRA = {
    "site": "NULL::text AS code, kind AS category",
    "poi": "NULL::text AS code, category",
    "area": "code, category",
}


# generalised as tippecanoe does: a polygon or line whose box is smaller than a map pixel both
# ways (Tile.pixel_rd, RD metres) is left out: at zoom 8 a pixel is about 370 m, so most
# plan areas and buildings of a national layer, which it would draw as specks, are not even
# read (their box is in the row's header); points are always kept
_VISIBLE = (
    "(ST_Dimension(geom) = 0 OR ST_XMax(geom) - ST_XMin(geom) >= %(pixel)s"
    " OR ST_YMax(geom) - ST_YMin(geom) >= %(pixel)s)"
)


def layer_tile(conn: psycopg.Connection[Any], layer: Layer, tile: Tile) -> bytes:
    """The MVT of ``layer`` in ``tile``: one MVT layer named after it, its features with
    ``id``, ``name``, ``code``, ``category``; geometry simplified by half a tile unit (RD
    metres) before it is transformed; a polygon or line smaller than a map pixel both ways
    left out (``_VISIBLE``). One statement."""
    query = sql.SQL(
        "WITH t AS (SELECT {geom} AS geom, id, name, {extra} FROM {table}"
        "   WHERE layer = %(layer)s AND geom && {envelope} AND {visible})"
        " SELECT ST_AsMVT(t, %(layer)s, %(extent)s, 'geom') AS tile FROM t"
    ).format(
        geom=sql.SQL(
            _MVT_GEOM.format(geom="ST_Transform(ST_Simplify(geom, %(tolerance)s, true), 3857)")
        ),
        extra=sql.SQL(_FEATURE_EXTRA[layer.table]),
        table=sql.Identifier(layer.table),
        envelope=sql.SQL(_ENVELOPE_RD),
        visible=sql.SQL(_VISIBLE),
    )
    where = _tile_params(tile)
    if where is None:
        return b""
    params = {**where, "layer": layer.name, "tolerance": tile.tolerance_rd, "pixel": tile.pixel_rd}
    row = conn.execute(query, params).fetchone()
    return bytes(row["tile"]) if row and row["tile"] is not None else b""


def layer_extent(conn: psycopg.Connection[Any], layer: Layer) -> list[float] | None:
    """A layer's extent in WGS84 (west, south, east, north), None when it has no features."""
    row = conn.execute(
        sql.SQL(
            "SELECT ST_XMin(b) AS w, ST_YMin(b) AS s, ST_XMax(b) AS e, ST_YMax(b) AS n FROM"
            " (SELECT ST_Transform(ST_SetSRID(ST_Extent(geom)::geometry, 28992), 4326) AS b"
            "  FROM {table} WHERE layer = %(layer)s) x"
        ).format(table=sql.Identifier(layer.table)),
        {"layer": layer.name},
    ).fetchone()
    if row is None or row["w"] is None:
        return None
    return [round(row[k], 5) for k in ("w", "s", "e", "n")]
