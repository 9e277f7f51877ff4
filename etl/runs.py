"""The run log (table ``etl_run``): what has been loaded, from where, with what counts.

Written by :func:`etl.loading.run_pipeline`: :func:`start_run` inside the load transaction,
:func:`finish_run` at its end, :func:`record_failure` after a failed or interrupted run (in a
transaction of its own, so that the failure is recorded while the load itself rolls back).
:func:`last_checksum` tells whether a layer's input has changed since its last good run.

Read by the API (``/api/layers``, ``/api/health``, a site's sources) and by ``sitefinder etl
status``: :func:`latest_runs` (the newest successful run of each layer, its provenance) and
:func:`loaded_layers` (the same with the rows each layer holds now).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from etl.declarations import SourceInfo


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
            "SELECT layer, count(*) FROM area GROUP BY layer UNION ALL "
            "SELECT layer, count(*) FROM gemeente_region GROUP BY layer"
        ).fetchall()
    }
    return {name: {**run, "count": counts.get(name, 0)} for name, run in runs.items()}


def last_checksum(conn: psycopg.Connection[Any], layer: str) -> str | None:
    """The input checksum of the layer's newest successful run (None: never loaded)."""
    with conn.transaction():
        last = conn.execute(
            "SELECT checksum FROM etl_run WHERE layer = %s AND status = 'ok'"
            " ORDER BY id DESC LIMIT 1",
            (layer,),
        ).fetchone()
    return None if last is None else str(last["checksum"])


# The columns that say what a run read, in the order of _provenance.
PROVENANCE = "layer, source, uri, publisher, licence, data_as_of, checksum"


def _provenance(layer: str, source: SourceInfo, uri: str, digest: str) -> tuple[str, ...]:
    return (layer, source.key, uri, source.publisher, source.licence, source.data_as_of, digest)


def start_run(
    conn: psycopg.Connection[Any],
    layer: str,
    source: SourceInfo,
    uri: str,
    digest: str,
    n_read: int,
    started: datetime,
) -> int:
    """Record a run as ``running`` (inside the caller's transaction); its id."""
    row = conn.execute(
        "INSERT INTO etl_run (" + PROVENANCE + ", status, n_read, started_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, 'running', %s, %s) RETURNING id",
        (*_provenance(layer, source, uri, digest), n_read, started),
    ).fetchone()
    assert row is not None  # INSERT … RETURNING gives one row
    return int(row["id"])


def finish_run(
    conn: psycopg.Connection[Any],
    run_id: int,
    n_loaded: int,
    n_quarantined: int,
    message: str | None,
) -> None:
    """Mark the run ``ok`` with its counts (inside the load transaction)."""
    conn.execute(
        "UPDATE etl_run SET status = 'ok', n_loaded = %s, n_quarantined = %s,"
        " message = %s, finished_at = now() WHERE id = %s",
        (n_loaded, n_quarantined, message, run_id),
    )


def record_failure(
    conn: psycopg.Connection[Any],
    layer: str,
    source: SourceInfo,
    uri: str,
    digest: str,
    started: datetime,
    exc: Exception,
) -> None:
    """Record a failed run after rolling back whatever the caller had open."""
    try:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.rollback()
        with conn.transaction():
            conn.execute(
                "INSERT INTO etl_run (" + PROVENANCE + ", status, message, started_at,"
                " finished_at) VALUES (%s, %s, %s, %s, %s, %s, %s, 'failed', %s, %s, now())",
                (*_provenance(layer, source, uri, digest), str(exc)[:2000], started),
            )
    except psycopg.Error:
        pass  # the database itself is gone; the caller reports the original error
