"""A layer's own partition of its feature table: built beside the table, then swapped in.

The feature tables (``site``, ``poi``, ``area``, ``gemeente_region``) are partitioned by
layer (migration 0013): a layer's rows are in its own table partition, or, for a layer that has
none yet (rows written by hand, the bench's synthetic layers), in the table's default
partition. A load (:mod:`etl.loading`) COPYs its rows into a fresh table shaped like a
partition (:func:`create`; the load's ``stage``), whose CHECK constraint is the partition bound,
so attaching it scans none of its rows; :func:`build` gives it every index of the table, each
built once over all rows (a sort, instead of an insertion per row into the table's indexes, as
``ogr2ogr`` builds the index of its own new table); :func:`attach` then drops the layer's old
partition, takes the layer's rows out of the default partition and attaches the new one.

Only that last step keeps readers out: it locks the table (ACCESS EXCLUSIVE on the parent, so
readers of every layer of the table wait) until the load's transaction commits, so the load
does it last, after its checks, coverage and run record, and asks for the lock in short tries
(:data:`LOCK_TRY_MS`, with pauses), so that a long reader (an export, a scoring run) never makes
every other request queue behind the waiting load. Statements run in READ COMMITTED, as all of
ours do, so a statement sees either the old partition or the new one, whole.

Not to be confused with the partitions of a layer declared ``partitioned_by`` (zoning: one per
plan, the ``partition_key`` column): those are rows, inside the layer's table partition.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
from psycopg import sql

from layers import Layer
from sitefinder.core import db

# A load's sorts for its index builds (the primary key's btree, the GIST's sorted build of
# points); PostgreSQL's default of 64 MB spills a million ids to disk.
MAINTENANCE_WORK_MEM = "256MB"
LOCK_TRY_MS = 500  # one try for the table's lock; readers queue behind it meanwhile
LOCK_PAUSE_S = 1.0  # between tries: what was queued runs
LOCK_TRIES = 60  # then the load waits for the lock as long as it takes


def create(conn: psycopg.Connection[Any], layer: Layer, run_id: int) -> sql.Identifier:
    """A new empty table shaped like ``layer``'s partition of its table, named after the run
    (``<table>__<layer>__r<run id>``), with the bound as a CHECK constraint; no indexes yet."""
    new = sql.Identifier(f"{layer.table}__{layer.name}__r{run_id}")
    conn.execute(
        sql.SQL(
            "CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS, CHECK (layer = {layer}))"
        ).format(new=new, table=sql.Identifier(layer.table), layer=sql.Literal(layer.name))
    )
    return new


def add_partition(conn: psycopg.Connection[Any], table: str, layer: str) -> None:
    """An empty partition of ``table`` for ``layer`` when it has none, for rows written
    straight into the table (the bench's synthetic layers), as a load would give them."""
    conn.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {name} PARTITION OF {table} FOR VALUES IN ({layer})"
        ).format(
            name=sql.Identifier(f"{table}__{layer}"),
            table=sql.Identifier(table),
            layer=sql.Literal(layer),
        )
    )


def own_partition(conn: psycopg.Connection[Any], layer: Layer) -> sql.Identifier | None:
    """``layer``'s own partition of its table; None when it has none (then its rows, if any,
    are in the default partition)."""
    row = conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = %s::regclass"
        " AND pg_get_expr(c.relpartbound, c.oid) = format('FOR VALUES IN (%%L)', %s::text)",
        (layer.table, layer.name),
    ).fetchone()
    return None if row is None else sql.Identifier(row["relname"])


def build(conn: psycopg.Connection[Any], layer: Layer, new: sql.Identifier) -> None:
    """Give ``new`` every index and key of ``layer``'s table, as the table's catalogue defines
    them (so the schema stays with its migrations), for ``ATTACH`` to take instead of building
    its own; then its statistics, so that the first queries on the new partition plan well."""
    statements = db.index_statements(conn, layer.table, new, keep_names=False)
    conn.execute("SELECT set_config('maintenance_work_mem', %s, true)", (MAINTENANCE_WORK_MEM,))
    for statement in statements:
        conn.execute(statement)
    conn.execute(sql.SQL("ANALYZE {new}").format(new=new))


def attach(conn: psycopg.Connection[Any], layer: Layer, new: sql.Identifier) -> None:
    """Make ``new`` (built by :func:`build`) ``layer``'s partition of its table: drop the old
    one, delete the layer's rows from the default partition, attach. Holds the table's lock
    until the caller's transaction ends: the last step of a load."""
    table = sql.Identifier(layer.table)
    old = own_partition(conn, layer)
    _lock(conn, table)
    if old is not None:
        conn.execute(sql.SQL("DROP TABLE {old}").format(old=old))
    default = conn.execute(
        "SELECT partdefid::regclass::text AS name FROM pg_partitioned_table"
        " WHERE partrelid = %s::regclass AND partdefid <> 0",
        (layer.table,),
    ).fetchone()
    if default is not None:
        conn.execute(
            sql.SQL("DELETE FROM {default} WHERE layer = %s").format(
                default=sql.Identifier(default["name"])
            ),
            (layer.name,),
        )
    conn.execute(
        sql.SQL("ALTER TABLE {table} ATTACH PARTITION {new} FOR VALUES IN ({layer})").format(
            table=table, new=new, layer=sql.Literal(layer.name)
        )
    )


def _lock(conn: psycopg.Connection[Any], table: sql.Identifier) -> None:
    """Lock ``table`` (not its partitions: readers come through it) against everything, in
    tries of :data:`LOCK_TRY_MS` with :data:`LOCK_PAUSE_S` between them, then without limit."""
    statement = sql.SQL("LOCK TABLE ONLY {table} IN ACCESS EXCLUSIVE MODE").format(table=table)
    row = conn.execute("SELECT current_setting('lock_timeout') AS setting").fetchone()
    setting = row["setting"] if row else "0"
    for attempt in range(LOCK_TRIES + 1):
        try:
            with conn.transaction():  # a savepoint: a try that times out is undone alone
                if attempt < LOCK_TRIES:
                    conn.execute(
                        "SELECT set_config('lock_timeout', %s, true)", (f"{LOCK_TRY_MS}ms",)
                    )
                conn.execute(statement)
                conn.execute("SELECT set_config('lock_timeout', %s, true)", (setting,))
            return
        except psycopg.errors.LockNotAvailable:
            time.sleep(LOCK_PAUSE_S)
