"""A load killed at any moment leaves the previous data as it was (real PostGIS, real kill).

A child process loads the supermarkets layer and is SIGKILLed in the middle of its COPY (the
progress bar is told to signal the parent and hang once the first 1,000 rows are in). The
parent then checks that the layer, its quarantine and its run log are exactly as before, and
that a new load runs normally.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from typing import Any

import psycopg
import pytest

from etl import get_pipeline
from etl.loading import no_progress, run_pipeline
from sitefinder.core import db
from sitefinder.core.settings import Settings

LAYER = "supermarkets"


class _Hang:
    """A progress bar that tells the parent the COPY is under way, then never returns."""

    def __init__(self, ready: Any) -> None:
        self.ready = ready

    def update(self, n: int) -> None:
        self.ready.set()
        time.sleep(600)

    def close(self) -> None:  # never reached
        pass


def _load_until_killed(database_url: str, data_dir: str, ready: Any) -> None:
    settings = Settings(database_url=database_url, data_dir=data_dir)
    pipeline = get_pipeline(LAYER)
    with db.connection(settings) as conn:
        run_pipeline(
            conn,
            pipeline,
            pipeline.default_paths(settings.data_dir),
            force=True,
            progress=lambda total, desc: _Hang(ready),
        )


def _state(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    with conn.transaction():
        return {
            "rows": conn.execute(
                "SELECT count(*) AS n, md5(string_agg(id || ST_AsEWKT(geom) || props::text, ','"
                " ORDER BY id)) AS h FROM poi WHERE layer = %s",
                (LAYER,),
            ).fetchone(),
            "runs": conn.execute(
                "SELECT id, status, n_loaded FROM etl_run WHERE layer = %s ORDER BY id", (LAYER,)
            ).fetchall(),
            "quarantine": conn.execute(
                "SELECT count(*) AS n FROM quarantine WHERE layer = %s", (LAYER,)
            ).fetchone(),
            "coverage": conn.execute(
                "SELECT national FROM layer_coverage WHERE layer = %s", (LAYER,)
            ).fetchone(),
        }


@pytest.mark.parametrize("how", ["sigkill", "backend_terminated"])
def test_a_killed_load_leaves_the_previous_data(
    settings: Settings, conn: psycopg.Connection[Any], how: str
) -> None:
    pipeline = get_pipeline(LAYER)
    run_pipeline(conn, pipeline, pipeline.default_paths(settings.data_dir), progress=no_progress)
    before = _state(conn)
    assert before["rows"]["n"] == 4852

    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    child = ctx.Process(
        target=_load_until_killed, args=(settings.database_url, str(settings.data_dir), ready)
    )
    child.start()
    try:
        assert ready.wait(120), "the load never reached its COPY"
        with conn.transaction():
            busy = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
            ).fetchall()
        assert busy, "the child should be inside its load transaction"
        if how == "sigkill":
            assert child.pid is not None
            os.kill(child.pid, signal.SIGKILL)
        else:  # the database side goes away instead (a restart, an administrator)
            with conn.transaction():
                conn.execute("SELECT pg_terminate_backend(%s)", (busy[0]["pid"],))
            os.kill(child.pid or 0, signal.SIGKILL)
        child.join(30)
    finally:
        if child.is_alive():
            child.kill()
            child.join(10)

    # the server notices the dropped connection and rolls its transaction back
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with conn.transaction():
            left = conn.execute(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            ).fetchone()
        if left is not None and left["n"] == 0:
            break
        time.sleep(0.2)
    assert _state(conn) == before
    again = run_pipeline(
        conn,
        pipeline,
        pipeline.default_paths(settings.data_dir),
        force=True,
        progress=no_progress,
    )
    assert again.status == "ok" and again.n_loaded == 4852
    after = _state(conn)
    assert after["rows"] == before["rows"]  # the same input twice gives identical tables
