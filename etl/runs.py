"""What has been loaded: the newest successful run of each layer (provenance) and its counts.

Read by the API (``/api/layers``, ``/api/health``, a site's sources) and by ``sitefinder etl
status``; written by :func:`etl.framework.run_pipeline`.
"""

from __future__ import annotations

from typing import Any

import psycopg


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
