"""The ``site_raw`` table: one row per site, one column per raw column of the catalogue.

Its columns follow the criterion catalogue (``criteria.raw_columns``): ``ensure_columns`` adds
the columns of a new criterion when ``sitefinder score`` runs, so adding a criterion needs no
migration of its own (migration 0006 made the table ready for that). Readers select the
catalogue's columns; one that is not there yet reads as NULL. Writes and reads are one CSV
``COPY`` each: at a million sites several times faster than a statement per row.
"""

from __future__ import annotations

import io
import itertools
import secrets
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import psycopg
from psycopg import sql

from sitefinder.core import db
from sitefinder.scoring.base import RawColumn
from sitefinder.scoring.criteria import coverage_column, coverage_layers, raw_columns

if TYPE_CHECKING:  # imported where used: the API starts without them (issue 14)
    import pandas as pd

TABLE = "site_raw"
SQL_TYPES = {
    "float": "double precision",
    "int": "integer",
    "bool": "boolean",
    "text": "text",
    "id": "text",
    "ids": "text[]",
    "texts": "text[]",
}
TEXT_TYPES = {"text", "id", "ids", "texts"}
LIST_TYPES = {"ids", "texts"}
COPY_CHUNK = 50_000  # rows per CSV chunk written to PostgreSQL
COPY_STREAMS = 2  # COPYs at once of a full write (``write_at_once``)
# site_raw.gemeentecode is derived; a site whose point lies in no gemeente keeps its source's
GEMEENTE = "gemeentecode"
# The props keys of an office's vacancy (etl.bag_offices): leeg / in gebruik / onbekend, since
VACANCY_KEY = "leegstand"
VACANT_SINCE_KEY = "leeg_sinds"


def table_columns(conn: psycopg.Connection[Any]) -> set[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = %s",
        (TABLE,),
    ).fetchall()
    return {row["column_name"] for row in rows}


def ensure_columns(conn: psycopg.Connection[Any]) -> list[str]:
    """Add the catalogue's raw columns that ``site_raw`` lacks; returns the names added."""
    present = table_columns(conn)
    added = [column for column in raw_columns() if column.name not in present]
    for column in added:
        conn.execute(
            sql.SQL("ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {name} {type}").format(
                table=sql.Identifier(TABLE),
                name=sql.Identifier(column.name),
                type=sql.SQL(SQL_TYPES[column.type]),
            )
        )
    return [column.name for column in added]


def _pg_array(value: Any) -> str | None:
    """A list of ids (or texts) as a PostgreSQL text[] literal (``{"a","b"}``); None for none."""
    if not isinstance(value, list | tuple | np.ndarray) or len(value) == 0:
        return None
    quoted = (str(v).replace("\\", "\\\\").replace('"', '\\"') for v in value)
    return "{" + ",".join(f'"{q}"' for q in quoted) + "}"


def write(
    conn: psycopg.Connection[Any],
    table: str,
    raw: pd.DataFrame,
    columns: Sequence[RawColumn],
    now: datetime,
) -> None:
    """COPY the raw ``columns`` (plus site_id and computed_at) into ``table`` (our own name).

    One CSV buffer written by Arrow per chunk, not a Python call per row. Quoted empty fields
    are NULL (FORCE_NULL). A column without any value (a criterion whose layers are not loaded:
    all None or NaN) is left out of the COPY, so it is NULL all the same: formatting a million
    empty fields costs about as much as a million numbers.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    columns = [c for c in columns if c.type == "bool" or not bool(raw[c.name].isna().all())]
    names = [c.name for c in columns]
    data = {"site_id": raw["site_id"]}  # the columns as they are, no copy of the frame
    for column in columns:
        data[column.name] = raw[column.name]
        if column.type in LIST_TYPES:
            data[column.name] = data[column.name].map(_pg_array)
        elif column.type == "int":
            data[column.name] = data[column.name].astype("Int64")
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in ["site_id", *names, "computed_at"])
    statement = sql.SQL("COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv, FORCE_NULL ({cols}))")
    # Arrow's CSV writer (C++) formats the rows: several times faster than pandas.to_csv at a
    # million sites. Strings are always quoted, missing values (None, NaN) written as nothing:
    # PostgreSQL's CSV reads those as NULL; floats in their shortest exact form.
    arrow = pa.Table.from_pandas(pd.DataFrame(data), preserve_index=False)
    arrow = arrow.append_column("computed_at", pa.repeat(now.isoformat(), len(arrow)))
    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
    with conn.cursor().copy(statement.format(table=sql.Identifier(table), cols=cols)) as copy:
        # in chunks, so that PostgreSQL parses one while Arrow formats the next
        for batch in arrow.to_batches(max_chunksize=COPY_CHUNK):
            buffer = pa.BufferOutputStream()
            pa_csv.write_csv(batch, buffer, options)
            copy.write(buffer.getvalue().to_pybytes())


def staging(conn: psycopg.Connection[Any]) -> str:
    """A new empty table like ``site_raw`` (its columns and defaults, no keys or indexes) for
    one full computation, committed at once when ``conn`` is outside a transaction: other
    connections (``write_at_once``, the workers of a Dask run) COPY into it; ``swap`` makes
    it ``site_raw``. Created by the owner, so the API roles' default privileges apply."""
    name = f"{TABLE}_run_{secrets.token_hex(4)}"
    conn.execute(
        sql.SQL("CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS)").format(
            new=sql.Identifier(name), table=sql.Identifier(TABLE)
        )
    )
    return name


def drop(conn: psycopg.Connection[Any], table: str) -> None:
    """Drop a ``staging`` table (our own name) if it is still there (a run that failed)."""
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {t}").format(t=sql.Identifier(table)))


def write_at_once(
    conn: psycopg.Connection[Any],
    table: str,
    raw: pd.DataFrame,
    columns: Sequence[RawColumn],
    now: datetime,
    streams: int = COPY_STREAMS,
) -> None:
    """``write`` ``raw`` into ``table`` (a committed ``staging`` table) as ``streams`` COPYs
    at once, each a share of the rows on a connection of its own: PostgreSQL parses the CSV
    of one while Arrow formats another's (issue 14: parsing is most of the write)."""
    bounds = np.linspace(0, len(raw), streams + 1).astype(int)
    jobs = [
        partial(write, table=table, raw=raw.iloc[a:b], columns=columns, now=now)
        for a, b in itertools.pairwise(bounds)
        if b > a
    ]
    db.each_connected(conn, jobs, threads=streams)


def swap(conn: psycopg.Connection[Any], table: str) -> None:
    """``site_raw`` replaced by ``table`` (a filled ``staging`` table), in the caller's
    transaction: the old table dropped, the new one renamed, then site_raw's primary key and
    indexes built on it from their definitions in PostgreSQL's catalogue (so the schema
    stays with its migrations): a sort per index instead of a million index insertions during
    the COPY. Readers wait for the commit and then read the new table."""
    target = sql.Identifier(TABLE)
    statements = db.index_statements(conn, TABLE, target, keep_names=True)
    conn.execute(sql.SQL("DROP TABLE {table}").format(table=target))
    conn.execute(
        sql.SQL("ALTER TABLE {new} RENAME TO {table}").format(
            new=sql.Identifier(table), table=target
        )
    )
    for statement in statements:
        conn.execute(statement)


def update(
    conn: psycopg.Connection[Any], raw: pd.DataFrame, columns: Sequence[RawColumn], now: datetime
) -> None:
    """Overwrite only ``columns`` of the sites in ``raw`` (a temporary table, one UPDATE)."""
    names = [sql.Identifier(c.name) for c in columns]
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE raw_update ON COMMIT DROP AS"
            " SELECT site_id, {cols}, computed_at FROM {table} WITH NO DATA"
        ).format(cols=sql.SQL(", ").join(names), table=sql.Identifier(TABLE))
    )
    write(conn, "raw_update", raw, columns, now)
    assignments = sql.SQL(", ").join(
        sql.SQL("{c} = u.{c}").format(c=c) for c in [*names, sql.Identifier("computed_at")]
    )
    conn.execute(
        sql.SQL(
            "UPDATE {table} r SET {assignments} FROM raw_update u WHERE r.site_id = u.site_id"
        ).format(table=sql.Identifier(TABLE), assignments=assignments)
    )
    conn.execute("DROP TABLE raw_update")


def read(
    conn: psycopg.Connection[Any],
    *,
    site_id: str | None = None,
    site_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Every site with its raw columns, by site id, read with one COPY (fast at a million);
    only the site ``site_id`` (or the sites ``site_ids``) when given (a served snapshot reads
    a breakdown's row, or an export's chunk, so).

    Besides the catalogue's columns: ``site_id``, ``kind``, the gemeente (derived, else the
    source's), ``lon``/``lat`` of the point on surface (WGS84, EPSG:4326) and, for the sites
    whose source knows it (offices), ``vacancy`` (``leeg``, ``in gebruik``, ``onbekend``) with
    ``vacant_since`` (ISO date). Text columns are objects (None for NULL), booleans bool.
    """
    import pandas as pd

    present = table_columns(conn)
    columns = [c for c in raw_columns() if c.name != GEMEENTE]
    selected = sql.SQL(", ").join(
        sql.SQL("r.{}").format(sql.Identifier(c.name))
        if c.name in present
        else sql.SQL("NULL::{type} AS {name}").format(
            type=sql.SQL(SQL_TYPES[c.type]), name=sql.Identifier(c.name)
        )
        for c in columns
    )
    gemeente = (
        sql.SQL("COALESCE(r.{g}, s.{g})").format(g=sql.Identifier(GEMEENTE))
        if GEMEENTE in present
        else sql.SQL("s.{g}").format(g=sql.Identifier(GEMEENTE))
    )
    query = sql.SQL(
        "COPY (SELECT s.id AS site_id, s.kind, {gemeente} AS gemeentecode,"
        " ST_X(p) AS lon, ST_Y(p) AS lat, s.props ->> {vacancy} AS vacancy,"
        " s.props ->> {since} AS vacant_since, {selected}"
        " FROM site s JOIN {table} r ON r.site_id = s.id"
        " CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(s.geom), 4326) AS p) q"
        " {where} ORDER BY s.id) TO STDOUT WITH (FORMAT csv, HEADER)"
    ).format(
        where=sql.SQL(
            "WHERE s.id = %s"
            if site_id is not None
            else "WHERE s.id = ANY(%s)"
            if site_ids is not None
            else ""
        ),
        gemeente=gemeente,
        selected=selected,
        table=sql.Identifier(TABLE),
        vacancy=sql.Literal(VACANCY_KEY),
        since=sql.Literal(VACANT_SINCE_KEY),
    )
    buffer = io.BytesIO()
    bound = (site_id,) if site_id is not None else (list(site_ids),) if site_ids else None
    if site_ids is not None and not site_ids:
        bound = ([],)
    with conn.cursor().copy(query, bound) as copy:
        for chunk in copy:
            buffer.write(chunk)
    buffer.seek(0)
    text = {"site_id", "kind", GEMEENTE, "vacancy", "vacant_since"} | {
        c.name for c in columns if c.type in TEXT_TYPES
    }
    flags = [c.name for c in columns if c.type == "bool"]
    # floats as floats even when every value read is whole (one row: the same types as all)
    floats = {c.name for c in columns if c.type == "float"} | {"lon", "lat"}
    frame = pd.read_csv(
        buffer,
        dtype={**dict.fromkeys(text, "object"), **dict.fromkeys(floats, "float64")},
        keep_default_na=False,
        na_values=[""],
        true_values=["t"],
        false_values=["f"],
    )
    frame = frame.astype(dict.fromkeys(text, object)).where(frame.notna(), None)
    # a coverage column still NULL everywhere (not computed yet) reads as not covered
    for name in flags:
        if frame[name].dtype != bool:
            frame[name] = frame[name].map(lambda v: v is True or v == "t").astype(bool)
    return frame


def missing_counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Sites outside each coverage layer's coverage (``sitefinder score`` reports them)."""
    layers = [layer for layer in coverage_layers() if coverage_column(layer) in table_columns(conn)]
    if not layers:
        return {}
    counts = sql.SQL(", ").join(
        sql.SQL("count(*) FILTER (WHERE NOT {c}) AS {n}").format(
            c=sql.Identifier(coverage_column(layer)), n=sql.Identifier(layer)
        )
        for layer in layers
    )
    row = conn.execute(
        sql.SQL("SELECT {counts} FROM {table}").format(counts=counts, table=sql.Identifier(TABLE))
    ).fetchone()
    return {layer: int(row[layer]) if row else 0 for layer in layers}
