"""The one place that builds the API's SQL: one helper per clause, identifiers from the catalogue,
every value bound. Geometry out is WGS84 GeoJSON (EPSG:4326); stored geometry is EPSG:28992.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from layers import Layer
from sitefinder.api.deps import BBox, Page
from sitefinder.explain import explanation

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


def _site_filters(
    *,
    kind: str | None,
    gemeente: str | None,
    min_score: float,
    bbox: BBox | None,
    include_excluded: bool,
) -> sql.Composable:
    clauses: list[sql.Composable] = [sql.SQL("TRUE")]
    if kind:
        clauses.append(sql.SQL("s.kind = %(kind)s"))
    if gemeente:
        clauses.append(sql.SQL("s.gemeentecode = %(gemeente)s"))
    if min_score > 0:
        clauses.append(sql.SQL("sc.score >= %(min_score)s"))
    if not include_excluded:
        clauses.append(sql.SQL("NOT sc.excluded"))
    if bbox is not None:
        clauses.append(sql.SQL("ST_Intersects(s.geom, {env})").format(env=_envelope_rd()))
    return sql.SQL(" AND ").join(clauses)


SITE_PROPERTIES = """
    s.id, s.name, s.kind, s.layer, s.gemeentecode, g.name AS gemeentenaam,
    sc.score, sc.excluded, sc.reasons, s.area_m2, s.floor_area_m2,
    (s.props ->> 'places')::float8 AS places,
    COALESCE((SELECT jsonb_agg(b ->> 'criterion' ORDER BY b ->> 'criterion')
              FROM jsonb_array_elements(sc.breakdown) b
              WHERE (b ->> 'missing')::boolean AND (b ->> 'weight')::float8 > 0),
             '[]'::jsonb) AS missing
"""
SITE_FROM = """
    FROM site s
    JOIN site_score sc ON sc.site_id = s.id AND sc.profile = %(profile)s
    LEFT JOIN area g ON g.layer = 'gemeenten' AND g.code = s.gemeentecode
"""
ORDER = "ORDER BY sc.score DESC NULLS LAST, s.id"


def list_sites(
    conn: psycopg.Connection[Any],
    *,
    profile: str,
    kind: str | None,
    gemeente: str | None,
    min_score: float,
    bbox: BBox | None,
    include_excluded: bool,
    page: Page,
) -> dict[str, Any]:
    where = _site_filters(
        kind=kind,
        gemeente=gemeente,
        min_score=min_score,
        bbox=bbox,
        include_excluded=include_excluded,
    )
    params: dict[str, Any] = {
        "profile": profile,
        "kind": kind,
        "gemeente": gemeente,
        "min_score": min_score,
        "limit": page.limit,
        "offset": page.offset,
        **_bbox_params(bbox),
    }
    query = sql.SQL(
        "SELECT "
        + SITE_PROPERTIES
        + ", row_number() OVER ("
        + ORDER
        + ") AS rank, "
        + GEOJSON_4326.format(geom="ST_PointOnSurface(s.geom)")
        + " AS geometry "
        + SITE_FROM
        + " WHERE {where} "
        + ORDER
        + " LIMIT %(limit)s OFFSET %(offset)s"
    ).format(where=where)
    rows = conn.execute(query, params).fetchall()
    total_row = conn.execute(
        sql.SQL("SELECT count(*) AS n " + SITE_FROM + " WHERE {where}").format(where=where),
        params,
    ).fetchone()
    return {
        "type": "FeatureCollection",
        "total": total_row["n"] if total_row else 0,
        "limit": page.limit,
        "offset": page.offset,
        "profile": profile,
        "features": [_site_feature(row) for row in rows],
    }


def _site_feature(row: dict[str, Any]) -> dict[str, Any]:
    geometry = row.pop("geometry")
    row["reasons"] = [
        explanation(r["criterion"], 0, r["detail"], False) for r in row.get("reasons") or []
    ]
    return {"type": "Feature", "id": row["id"], "geometry": geometry, "properties": row}


def get_site(conn: psycopg.Connection[Any], site_id: str, profile: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT " + SITE_PROPERTIES + ", s.props, s.sources, sc.breakdown, s.source,"
        " s.source_ref, " + GEOJSON_4326.format(geom="s.geom") + " AS geometry,"
        " (SELECT count(*) + 1 FROM site_score o WHERE o.profile = sc.profile"
        "   AND NOT o.excluded AND o.score > sc.score) AS rank"
        + SITE_FROM
        + " WHERE s.id = %(id)s",
        {"profile": profile, "id": site_id},
    ).fetchone()
    if row is None:
        return None
    row["sources"] = _sources(conn, row)
    return _site_feature(row)


def _sources(conn: psycopg.Connection[Any], row: dict[str, Any]) -> list[dict[str, Any]]:
    """The site's source records, with publisher, licence and 'as of' of the layer's last run."""
    run = latest_runs(conn).get(row["layer"], {})
    refs = row.get("sources") or [{"source": row["source"], "source_ref": row["source_ref"]}]
    out = []
    for ref in refs:
        out.append(
            {
                "layer": row["layer"],
                "publisher": run.get("publisher"),
                "licence": run.get("licence"),
                "data_as_of": run.get("data_as_of"),
                "retrieved_at": run.get("retrieved_at"),
                **ref,
            }
        )
    return out


def latest_runs(conn: psycopg.Connection[Any]) -> dict[str, dict[str, Any]]:
    rows = conn.execute(
        "SELECT DISTINCT ON (layer) layer, source, publisher, licence, data_as_of, n_loaded,"
        ' n_quarantined, to_char(finished_at, \'YYYY-MM-DD"T"HH24:MI:SS"Z"\') AS retrieved_at'
        " FROM etl_run WHERE status = 'ok' ORDER BY layer, id DESC"
    ).fetchall()
    return {row.pop("layer"): row for row in rows}


def loaded_layers(conn: psycopg.Connection[Any]) -> dict[str, dict[str, Any]]:
    runs = latest_runs(conn)
    counts = {
        row["layer"]: row["n"]
        for row in conn.execute(
            "SELECT layer, count(*) AS n FROM site GROUP BY layer UNION ALL "
            "SELECT layer, count(*) FROM poi GROUP BY layer UNION ALL "
            "SELECT layer, count(*) FROM area GROUP BY layer"
        ).fetchall()
    }
    return {name: {**run, "count": counts.get(name, 0)} for name, run in runs.items()}


def health(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    layers = loaded_layers(conn)
    scored = conn.execute("SELECT count(*) AS n FROM site_score").fetchone()
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
    rows = conn.execute(
        "SELECT g.code, g.name, n.n_sites,"
        " ST_XMin(b.box) AS w, ST_YMin(b.box) AS s, ST_XMax(b.box) AS e, ST_YMax(b.box) AS n"
        " FROM (SELECT gemeentecode, count(*) AS n_sites FROM site"
        "       WHERE gemeentecode IS NOT NULL GROUP BY gemeentecode) n"
        " JOIN area g ON g.layer = 'gemeenten' AND g.code = n.gemeentecode"
        " CROSS JOIN LATERAL (SELECT Box2D(ST_Transform(g.geom, 4326)) AS box) b"
        " ORDER BY g.name"
    ).fetchall()
    return [
        {
            "code": r["code"],
            "name": r["name"],
            "n_sites": r["n_sites"],
            "bbox": [round(r[k], 5) for k in ("w", "s", "e", "n")],
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
