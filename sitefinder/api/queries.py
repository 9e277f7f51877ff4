"""The one place that builds the API's SQL: one helper per clause, identifiers from the catalogue,
every value bound. Geometry out is WGS84 GeoJSON (EPSG:4326); stored geometry is EPSG:28992.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from etl.runs import latest_runs, loaded_layers
from layers import Layer
from sitefinder.api.models import BBox, Page
from sitefinder.scoring import NDArray, Profile
from sitefinder.scoring.engine import (
    STABILITY_POOL,
    Evaluation,
    SiteTable,
    stability,
    top_indices,
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


SITE_COLUMNS = """
    s.id, s.name, s.kind, s.layer, COALESCE(r.gemeentecode, s.gemeentecode) AS gemeentecode,
    g.name AS gemeentenaam,
    s.area_m2, s.floor_area_m2, (s.props ->> 'places')::float8 AS places
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


def _candidates(table: SiteTable, evaluation: Evaluation, scores: NDArray, q: SiteQuery) -> NDArray:
    """Indices of the sites that pass the filters (vectorised masks over all sites)."""
    mask = np.ones(len(table.ids), dtype=bool)
    if q.kind:
        mask &= table.matching(table.kind, q.kind)
    if q.gemeente:
        mask &= table.matching(table.gemeente, q.gemeente)
    if q.bbox is not None:
        b = q.bbox
        mask &= (table.lon >= b.west) & (table.lon <= b.east)
        mask &= (table.lat >= b.south) & (table.lat <= b.north)
    if not q.include_excluded:
        mask &= ~evaluation.excluded
    if q.min_score > 0:
        mask &= np.nan_to_num(scores, nan=-1.0) >= q.min_score
    return np.flatnonzero(mask)


def list_sites(conn: psycopg.Connection[Any], table: SiteTable, q: SiteQuery) -> dict[str, Any]:
    """The ranked page of sites (ranking in memory, details of the page from PostGIS)."""
    evaluation = table.evaluation(q.profile)
    weights = weight_vector(q.weights)
    scores, complete = evaluation.scores_and_completeness(weights)
    candidates = _candidates(table, evaluation, scores, q)
    # one partial sort serves the page and the stability pool
    depth = max(STABILITY_POOL, 5 * q.stability_k, q.page.offset + q.page.limit)
    ranked = top_indices(scores, candidates, min(len(candidates), depth))
    page = ranked[q.page.offset : q.page.offset + q.page.limit]
    stable = stability(evaluation, weights, ranked, page, q.stability_k, base=scores, ranked=True)
    rows = conn.execute(
        "SELECT "
        + SITE_COLUMNS
        + ", "
        + GEOJSON_4326.format(geom="ST_PointOnSurface(s.geom)")
        + " AS geometry "
        + SITE_FROM
        + " WHERE s.id = ANY(%s)",
        ([str(table.ids[i]) for i in page],),
    ).fetchall()
    by_id = {row["id"]: row for row in rows}
    features = []
    for rank, (i, share) in enumerate(zip(page, stable, strict=True), start=q.page.offset + 1):
        row = dict(by_id[str(table.ids[i])])
        score = scores[i]
        missing = [
            name
            for name, j in evaluation.col.items()
            if not evaluation.present[i, j] and weights[j] > 0
        ]
        row.update(
            score=None if np.isnan(score) else float(score),
            rank=None if np.isnan(score) else rank,
            excluded=bool(evaluation.excluded[i]),
            reasons=exclusion_reasons(evaluation, i),
            missing=missing,
            stability={"k": q.stability_k, "in_top_k": round(float(share), 3)},
            completeness=round(float(complete[i]), 3),
        )
        geometry = row.pop("geometry")
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
        "features": features,
    }


def get_site(
    conn: psycopg.Connection[Any], table: SiteTable, site_id: str, q: SiteQuery
) -> dict[str, Any] | None:
    """One site: properties, full geometry, explained breakdown, sources."""
    i = table.index.get(site_id)
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
    scores, complete = evaluation.scores_and_completeness(weights)
    raw = {str(k): v for k, v in table.raw.iloc[i].items()}
    explained = explain(q.profile, weights, evaluation, i, raw, feature_names(conn, raw))
    score = scores[i]
    candidates = _candidates(table, evaluation, scores, SiteQuery(q.profile, q.weights))
    better = np.nan_to_num(scores[candidates], nan=-1.0) > score
    row["sources"] = _sources(conn, row)
    row.update(
        score=None if np.isnan(score) else float(score),
        rank=None if np.isnan(score) else int(better.sum()) + 1,
        excluded=bool(evaluation.excluded[i]),
        profile=q.profile.name,
        weights=q.weights,
        missing=[b["criterion"] for b in explained["breakdown"] if b["missing"] and b["weight"]],
        completeness=round(float(complete[i]), 3),
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


def sites_extent(conn: psycopg.Connection[Any]) -> list[float] | None:
    row = conn.execute(
        "SELECT ST_XMin(b) AS w, ST_YMin(b) AS s, ST_XMax(b) AS e, ST_YMax(b) AS n"
        " FROM (SELECT ST_Extent(ST_Transform(geom, 4326)) AS b FROM site) x"
    ).fetchone()
    if row is None or row["w"] is None:
        return None
    return [round(row["w"], 5), round(row["s"], 5), round(row["e"], 5), round(row["n"], 5)]


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


def layer_features(
    conn: psycopg.Connection[Any], layer: Layer, *, bbox: BBox | None, limit: int
) -> dict[str, Any]:
    table = sql.Identifier(layer.table)
    geom: sql.SQL | sql.Composed = sql.SQL("geom")
    if layer.simplify_m > 0:
        geom = sql.SQL("ST_SimplifyPreserveTopology(geom, {tol})").format(
            tol=sql.Literal(layer.simplify_m)
        )
    extra = {
        "site": sql.SQL("NULL::text AS code, kind AS category"),
        "poi": sql.SQL("NULL::text AS code, category"),
        "area": sql.SQL("code, category"),
    }[layer.table]
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
        "features": [
            {
                "type": "Feature",
                "id": r["id"],
                "geometry": r["g"],
                "properties": {k: r[k] for k in ("id", "name", "code", "category")},
            }
            for r in rows
        ],
    }
