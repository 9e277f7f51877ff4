"""A load swaps a new table partition in for the layer's old one (etl/swap.py; real PostGIS).

The feature tables are partitioned by layer (migration 0013). A whole-layer load builds the
layer's new partition beside the table and attaches it at the end: afterwards the layer has
exactly one partition, named after the run, with every index of the table attached; rows of the
layer that were in the default partition (written by hand) are replaced, other layers' rows
there stay; a load the loss guard refuses leaves the old partition as it was. A load of some
plans of zoning keeps the other plans, whether they were in the default partition or in the
layer's own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from etl import get_pipeline
from etl.loading import no_progress, run_pipeline
from sitefinder.core.errors import DataLossError
from sitefinder.core.settings import Settings


def _partitions(conn: psycopg.Connection[Any], table: str) -> dict[str, str]:
    """partition name -> its bound, of ``table``."""
    rows = conn.execute(
        "SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound"
        " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = %s::regclass ORDER BY 1",
        (table,),
    ).fetchall()
    return {r["name"]: r["bound"] for r in rows}


def _hand_row(conn: psycopg.Connection[Any], layer: str, ref: str, **extra: str) -> None:
    """One row of ``layer`` written straight into its table (EPSG:28992), as tests do."""
    table, geom = "poi", "ST_SetSRID(ST_MakePoint(120000, 480000), 28992)"
    if layer == "zoning":
        table, geom = "area", f"ST_Multi(ST_Buffer({geom}, 50))"
    columns = ", ".join(["id", "layer", "name", "source", "source_ref", "geom", *extra])
    more = "".join(", %s" for _ in extra)
    conn.execute(
        f"INSERT INTO {table} ({columns}) SELECT %s, %s, %s, 'hand', %s, {geom}{more}",
        (f"{layer}:{ref}", layer, ref, ref, *extra.values()),
    )


def test_a_load_swaps_in_the_layers_own_partition(
    settings: Settings, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    _hand_row(conn, "supermarkets", "hand1", category="supermarket")
    _hand_row(conn, "care", "hand2", category="hospital")
    assert set(_partitions(conn, "poi")) == {"poi_default"}
    pipeline = get_pipeline("supermarkets")
    paths = pipeline.default_paths(settings.data_dir)
    first = run_pipeline(conn, pipeline, paths, progress=no_progress)
    assert first.status == "ok" and first.n_loaded == 4852
    run_id = conn.execute(
        "SELECT max(id) AS id FROM etl_run WHERE layer = 'supermarkets' AND status = 'ok'"
    ).fetchone()["id"]  # type: ignore[index]
    own = f"poi__supermarkets__r{run_id}"
    assert _partitions(conn, "poi") == {
        own: "FOR VALUES IN ('supermarkets')",
        "poi_default": "DEFAULT",
    }
    counts = conn.execute(
        "SELECT tableoid::regclass::text AS part, layer, count(*) AS n FROM poi GROUP BY 1, 2"
        " ORDER BY 1"
    ).fetchall()
    assert [tuple(r.values()) for r in counts] == [
        (own, "supermarkets", 4852),  # the hand-written supermarket replaced
        ("poi_default", "care", 1),  # another layer's row stays where it was
    ]
    # every index of poi has its counterpart on the partition, attached (none built twice)
    indexes = conn.execute(
        "SELECT count(*) AS n, count(i.inhparent) AS attached FROM pg_index x"
        " LEFT JOIN pg_inherits i ON i.inhrelid = x.indexrelid"
        " WHERE x.indrelid = %s::regclass",
        (own,),
    ).fetchone()
    parent = conn.execute(
        "SELECT count(*) AS n FROM pg_index WHERE indrelid = 'poi'::regclass"
    ).fetchone()
    assert indexes == {"n": parent["n"], "attached": parent["n"]}  # type: ignore[index]

    again = run_pipeline(conn, pipeline, paths, force=True, progress=no_progress)
    assert again.status == "ok" and again.n_loaded == 4852
    parts = _partitions(conn, "poi")
    assert len(parts) == 2 and own not in parts  # the old partition is gone, a new one in

    # a load the loss guard refuses leaves the partition and its rows as they were
    before = _partitions(conn, "poi")
    small = _small_file(tmp_path)
    with pytest.raises(DataLossError, match="shrink"):
        run_pipeline(conn, pipeline, [small], progress=no_progress)
    assert _partitions(conn, "poi") == before
    left = conn.execute("SELECT count(*) AS n FROM poi WHERE layer = 'supermarkets'").fetchone()
    assert left == {"n": 4852}


def _small_file(folder: Path) -> Path:
    """Three supermarkets (GeoJSON, WGS84 degrees) in Amsterdam."""
    features = [
        {
            "type": "Feature",
            "properties": {"osm_type": "node", "osm_id": i, "name": f"Winkel {i}"},
            "geometry": {"type": "Point", "coordinates": [4.9 + i / 1000, 52.37]},
        }
        for i in range(1, 4)
    ]
    path = folder / "three.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_a_load_of_some_plans_keeps_the_others(
    settings: Settings, conn: psycopg.Connection[Any]
) -> None:
    _hand_row(conn, "zoning", "other", partition_key="NL.IMRO.hand", category="wonen")
    pipeline = get_pipeline("zoning")
    paths = pipeline.default_paths(settings.data_dir)
    first = run_pipeline(conn, pipeline, paths, progress=no_progress)
    assert first.status == "ok" and first.n_loaded == 163
    where = "SELECT tableoid::regclass::text AS part, count(*) AS n FROM area"
    by_part = conn.execute(
        where + " WHERE layer = 'zoning' GROUP BY 1"
    ).fetchall()  # the plan from the default partition joined the new one
    assert len(by_part) == 1 and by_part[0]["n"] == 164
    assert by_part[0]["part"].startswith("area__zoning__r")
    again = run_pipeline(conn, pipeline, paths, force=True, progress=no_progress)
    assert again.status == "ok" and again.n_loaded == 163
    # the layer has its own partition now: the plans read are replaced inside it
    assert conn.execute(where + " WHERE layer = 'zoning' GROUP BY 1").fetchall() == by_part
    kept = conn.execute(
        "SELECT count(*) AS n FROM area WHERE layer = 'zoning' AND partition_key = 'NL.IMRO.hand'"
    ).fetchone()
    assert kept == {"n": 1}
