"""Loading, atomic and idempotent: rows to staging (COPY), checks in SQL, then the swap.

:func:`run_pipeline` runs one pipeline: read -> validate (:mod:`etl.validation`) -> keep the
features that intersect the area, if one is given -> in one transaction: record the run
(:mod:`etl.runs`), COPY the rows (encoded chunk by chunk, :func:`to_rows`: Arrow arrays of every
target column, geometry as hex WKB, EPSG:28992) into a new table shaped like the layer's
partition of its table (:mod:`etl.swap`; ``stage`` to the pipeline), run the pipeline's
``stage_sql`` (checks against other layers, which may move rows to the quarantine with
:func:`quarantine_staged`) and, for a site layer, the check against the municipalities
(:func:`site_location_sql`), the loss guard, build the new table's indexes, replace the
layer's quarantine and coverage polygon (:func:`coverage_sql`, EPSG:28992), mark the run
``ok`` and, last, swap the new table in for the layer's old partition (:func:`etl.swap.attach`:
the only moment readers wait). A run that fails or is killed at any point rolls back and leaves
the previous data, its quarantine and the run log as they were (the failure is recorded apart).

**The loss guard**, the same for every source, refuses a load with a one-line
:class:`DataLossError` that changes nothing (the run is recorded as failed) when it would

1. quarantine every record it read (validation and ``stage_sql`` together; unless the
   pipeline declares ``refuse_all_quarantined = False``), or
2. quarantine more than the pipeline's ``max_quarantine_share`` of them (default
   :data:`etl.declarations.MAX_QUARANTINE_SHARE`, half), or
3. leave the layer with fewer than :data:`MIN_KEEP_SHARE` (half) of the records it holds now,
   when it holds at least :data:`MIN_GUARDED` (not for a load limited to an area, which
   replaces the layer with that area by design);

unless ``accept_loss`` (``sitefinder etl run --accept-loss``). When most records lie outside
the Netherlands, the message says what the coordinates look like instead
(:func:`etl.validation.crs_hint`). Before anything is read, every zip input is checked against
the archive limits (:func:`etl.archives.check_archive`).

A run whose input checksum (the files, the framework and pipeline versions, the pipeline's
options, the checksums of the layers it depends on, the area) equals the last good run's is
``unchanged`` and does nothing, unless ``force``. With an area (:class:`etl.areas.Area`), only
the validated features that intersect it are loaded, and they *replace the whole layer*; the
layer's coverage becomes its usual coverage cut to the area (the area itself for a national
layer).

A layer declared ``partitioned_by`` (``layers.Layer``; zoning: one partition per plan) is the
union of its partitions. Its load replaces only the partitions in its input (the distinct
``partition_key`` values the reader gave, quarantined records included) and keeps every other
partition, in the same one transaction: their rows, their quarantine records (which carry the
key too) and, as the coverage is computed from the layer's rows, their share of the coverage.
Rows without a key (loaded before the layer was partitioned) are replaced by every load.
``replace`` (``--replace``) replaces the whole layer as for any other layer. With an area, a
partition is kept whole when any of its features intersects the area, and left out (not
replaced) when none does.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import math
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import shapely
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter
from tqdm import tqdm

from etl import runs, swap
from etl.archives import ArchiveLimits, check_archive
from etl.areas import Area
from etl.declarations import (
    JSON_COLUMNS,
    PARTITION_KEY,
    TABLE_COLUMNS,
    Inputs,
    Pipeline,
    RunResult,
    SourceInfo,
    Statement,
)
from etl.readers import missing
from etl.validation import Validated, validate
from layers import Layer
from sitefinder.core.crs import RD
from sitefinder.core.errors import DataLossError, SitefinderError, SourceFileError
from sitefinder.core.settings import get_settings

FRAMEWORK_VERSION = "2"  # 2: site layers are checked against the municipalities
# A site whose point lies outside every municipality but at most this far from one (metres,
# EPSG:28992) is on the boundary: in the water by the shore (CBS leaves open water out of the
# gemeenten) or just across a generalised border. It loads, flagged; one farther away is
# outside the Netherlands (or far out in open water) and is quarantined.
SITE_BOUNDARY_MARGIN_M = 100.0
OUTSIDE_GEMEENTE = "outside every Dutch municipality"
MIN_KEEP_SHARE = 0.5  # a load may not leave a layer with less than this share of its records
MIN_GUARDED = 20  # ... when it holds at least this many (small layers vary freely)
STAGE_CHUNK = 50_000  # rows per CSV chunk COPYed into the stage table
ProgressFactory = Callable[[int, str], Any]


def default_progress(total: int, desc: str) -> Any:
    """A progress bar on stderr (hidden when stderr is not a terminal)."""
    return tqdm(total=total, desc=desc, unit=" rec", leave=False, disable=None)


def no_progress(total: int, desc: str) -> Any:
    return tqdm(total=total, desc=desc, disable=True)


def empty_frame(pipeline: Pipeline) -> gpd.GeoDataFrame:
    """A frame with no records and every column ``read`` would give (EPSG:28992)."""
    columns = ["source_ref", *TABLE_COLUMNS[pipeline.layer_decl.table], *pipeline.required]
    names = dict.fromkeys(c for c in columns if c not in ("id", "layer", "geom"))
    return gpd.GeoDataFrame({c: pd.Series([], dtype=object) for c in names}, geometry=[], crs=RD)


# dates and times go to ``default=str`` as they did with json.dumps ("2024-01-31 12:00:00")
_JSON_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_SERIALIZE_NUMPY
    | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
)


def _clean_json(value: Any) -> str:
    """A ``props``/``sources`` value as JSON text (missing values left out of an object).

    orjson: at a million features several times faster than ``json.dumps``; the column is
    jsonb, so only the value counts, not the spacing. NaN nested deeper becomes null. Text is
    JSON already (:func:`etl.readers.json_objects`) and stays as it is."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "{}"
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if not missing(v)}
    return orjson.dumps(value, default=str, option=_JSON_OPTIONS).decode()


def to_rows(frame: gpd.GeoDataFrame, layer: Layer, source: SourceInfo) -> pa.Table:
    """The staging rows as an Arrow table: every target column, geometry as hex WKB.

    The WKB carries no SRID: the stage table's geometry column (``LIKE`` the target table,
    ``geometry(..., 28992)``) gives its SRID to what it receives, and ``frame`` is in EPSG:28992
    (validated). Column by column, no Python call per row except where a ``props``/``sources``
    value is not JSON text yet and for a column of mixed kinds (:func:`_arrow_column`)."""
    columns = TABLE_COLUMNS[layer.table]
    n = len(frame)
    arrays: dict[str, pa.Array] = {}
    for column in columns:
        if column == "id":
            arrays[column] = _ids(layer.name, frame["source_ref"])
        elif column == "layer":
            arrays[column] = _constant(layer.name, n)
        elif column == "source":
            given = frame.get("source")
            arrays[column] = _constant(source.key, n) if given is None else _arrow_column(given)
        elif column == "geom":
            arrays[column] = _hex_wkb(frame.geometry.to_numpy())
        elif column == "kind":
            arrays[column] = _constant(layer.site_kind.code if layer.site_kind else None, n)
        elif column in JSON_COLUMNS:
            arrays[column] = _json_column(frame.get(column, None), n)
        elif column in frame:
            arrays[column] = _arrow_column(frame[column])
        else:
            arrays[column] = pa.nulls(n, pa.string())
    return pa.table(arrays)


def _ids(layer: str, refs: pd.Series) -> pa.Array:
    """``<layer>:<source_ref>``: joined in Arrow when the references are text (as the readers
    give them), else as Python writes each value."""
    try:
        text = pa.array(refs, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        text = pa.array([], pa.null())
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        ids = layer + ":" + refs.astype(str)
        return pa.array(ids.to_numpy(dtype=object), pa.string())
    prefix = pa.scalar(layer + ":", text.type)
    return pc.binary_join_element_wise(prefix, text, pa.scalar("", text.type))


def _hex_wkb(geoms: np.ndarray) -> pa.Array:
    """Hex WKB without SRID, as Arrow text: GEOS writes binary WKB, made hex in one call over
    the whole buffer, twice as fast as GEOS's own hex writer (PostGIS reads either case)."""
    wkb = pa.array(shapely.to_wkb(geoms, hex=False, include_srid=False), pa.large_binary())
    validity, offsets, data = wkb.buffers()
    ends = np.frombuffer(offsets, dtype=np.int64, count=len(wkb) + 1)
    hexed = binascii.hexlify(memoryview(data)[ends[0] : ends[-1]]) if data is not None else b""
    return pa.LargeStringArray.from_buffers(
        len(wkb), pa.py_buffer((ends - ends[0]) * 2), pa.py_buffer(hexed), validity, wkb.null_count
    )


def _constant(value: str | None, n: int) -> pa.Array:
    if value is None:
        return pa.nulls(n, pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int8)), pa.array([value]))


def _json_column(values: pd.Series | None, n: int) -> pa.Array:
    """``props``/``sources`` as JSON text: text as it is (from
    :func:`etl.readers.json_objects`), anything else through :func:`_clean_json`."""
    if values is None:
        return _constant("{}", n)
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        return pa.array(values, from_pandas=True)
    return pa.array([_clean_json(v) for v in values], pa.string())


def _arrow_column(values: pd.Series) -> pa.Array:
    """A target column for the CSV writer (missing values: NULL). A column Arrow cannot type
    (mixed kinds of values) becomes text value by value: booleans ``true``/``false``, numbers
    as Python writes them, text as it is."""
    try:
        return pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if missing(v) else _field_text(v) for v in values], pa.string())


def _field_text(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | float | np.integer | np.floating):
        return repr(value.item() if isinstance(value, np.generic) else value)
    return str(value)


def checksum(paths: Iterable[Path], *parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
    for path in paths:
        digest.update(str(path.name).encode())
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def quarantine_staged(
    layer: str,
    where: sql.Composable,
    reason: sql.Composable,
    *,
    using: sql.Composable | None = None,
    with_: sql.Composable | None = None,
) -> sql.Composed:
    """Move staged rows matching ``where`` into the quarantine with ``reason`` (a SQL expression).

    For ``Pipeline.stage_sql``: the statement runs in the load transaction with ``%(run_id)s``.
    ``using`` adds a ``DELETE ... USING`` source and ``with_`` leading CTEs (``name AS (...)``).
    """
    return sql.SQL(
        "WITH {ctes}moved AS (DELETE FROM stage {using} WHERE {where} RETURNING stage.*)"
        " INSERT INTO quarantine (layer, run_id, source_ref, reason, record, partition_key)"
        " SELECT {layer}, %(run_id)s, source_ref, {reason},"
        " to_jsonb(moved) - 'geom'"
        " || jsonb_build_object('geometry', left(ST_AsText(geom, 3), 500)), partition_key"
        " FROM moved"
    ).format(
        ctes=sql.SQL("{}, ").format(with_) if with_ is not None else sql.SQL(""),
        using=sql.SQL("USING {}").format(using) if using is not None else sql.SQL(""),
        where=where,
        layer=sql.Literal(layer),
        reason=reason,
    )


def site_location_sql(layer: Layer) -> list[Statement]:
    """Check staged sites against the municipalities (layer ``gemeenten``, EPSG:28992).

    The point on surface of every site must lie in a gemeente. One outside all of them but at
    most :data:`SITE_BOUNDARY_MARGIN_M` metres from the nearest loads with that gemeente as its
    ``gemeentecode`` (when it has none) and ``props.location_check`` = ``{"code":
    "outside_gemeente", "gemeentecode", "gemeentenaam", "distance_m"}``; one farther away goes
    to the quarantine with the reason ``outside every Dutch municipality (more than 100 m from
    the nearest)``, its record holding the same ``location_check``. Set-based: one statement
    per step. The caller runs it only when gemeenten are loaded.
    """
    place = sql.SQL(
        "CREATE TEMP TABLE stage_place ON COMMIT DROP AS"
        " SELECT st.id, inside.code AS inside, near.code AS near_code, near.name AS near_name,"
        " near.d AS near_m FROM stage st"
        " CROSS JOIN LATERAL (SELECT ST_PointOnSurface(st.geom) AS p) q"
        " LEFT JOIN LATERAL (SELECT g.code FROM area g WHERE g.layer = 'gemeenten'"
        "  AND ST_Intersects(g.geom, q.p) ORDER BY g.code LIMIT 1) inside ON true"
        " LEFT JOIN LATERAL (SELECT g.code, g.name, ST_Distance(g.geom, q.p) AS d FROM area g"
        "  WHERE g.layer = 'gemeenten' AND inside.code IS NULL"
        "  ORDER BY g.geom <-> q.p LIMIT 1) near ON true"
    )
    check = sql.SQL("stage.props -> 'location_check'")
    flag = sql.SQL(
        "UPDATE stage SET props = coalesce(stage.props, '{}'::jsonb)"
        " || jsonb_build_object('location_check', jsonb_build_object('code', 'outside_gemeente',"
        " 'gemeentecode', place.near_code, 'gemeentenaam', place.near_name,"
        " 'distance_m', round(place.near_m)::bigint))"
        " FROM stage_place place WHERE place.id = stage.id AND place.inside IS NULL"
    )
    outside = quarantine_staged(
        layer.name,
        sql.SQL(
            "{check} IS NOT NULL AND NOT coalesce(({check} ->> 'distance_m')::float8 <= {m}, false)"
        ).format(check=check, m=sql.Literal(SITE_BOUNDARY_MARGIN_M)),
        sql.Literal(
            f"{OUTSIDE_GEMEENTE} (more than {SITE_BOUNDARY_MARGIN_M:.0f} m from the nearest)"
        ),
    )
    assign = sql.SQL(
        "UPDATE stage SET gemeentecode = coalesce(gemeentecode, {check} ->> 'gemeentecode')"
        " WHERE {check} IS NOT NULL"
    ).format(check=check)
    return [place, flag, sql.SQL("DROP TABLE stage_place"), outside, assign]


def coverage_sql(layer: Layer, area: bool = False, rows: sql.Identifier | None = None) -> Statement:
    """Replace the layer's coverage polygon (EPSG:28992) from its freshly loaded rows (in
    ``rows``: the layer's table, or the new table that becomes its partition).

    With ``area`` (a load limited to an area; the statement then takes ``%(area)s``, the
    area's WKB in EPSG:28992) the coverage is cut to the area: a national layer covers
    exactly the area, a hull/union layer the part of its hull/union inside it.
    """
    table = rows or sql.Identifier(layer.table)
    clip = "ST_GeomFromWKB(%(area)s, 28992)"
    if area and layer.coverage == "national":
        return sql.SQL(
            "INSERT INTO layer_coverage (layer, national, geom) VALUES ({layer}, false,"
            " ST_Multi(ST_CollectionExtract(ST_MakeValid(" + clip + "), 3)))"
            " ON CONFLICT (layer) DO UPDATE SET national = false, geom = EXCLUDED.geom"
        ).format(layer=sql.Literal(layer.name))
    if layer.coverage == "national":
        return sql.SQL(
            "INSERT INTO layer_coverage (layer, national, geom) VALUES ({layer}, true, NULL) "
            "ON CONFLICT (layer) DO UPDATE SET national = true, geom = NULL"
        ).format(layer=sql.Literal(layer.name))
    if layer.coverage == "hull":
        shape = sql.SQL("ST_Buffer(ST_ConvexHull(ST_Collect(geom)), {buf})")
    elif layer.coverage == "gemeenten":
        return _gemeenten_coverage_sql(layer, table, clip if area else None)
    elif layer.coverage_buffer_m > 0:
        # the union of the grown features: for 20,000 points some 30 times faster than growing
        # their union (one buffer of a huge multipoint)
        shape = sql.SQL("ST_Union(ST_Buffer(geom, {buf}))")
    else:
        shape = sql.SQL("ST_Buffer(ST_Union(geom), {buf})")
    if area:
        shape = sql.SQL("ST_Intersection(" + shape.as_string() + ", " + clip + ")")
    return sql.SQL(
        "INSERT INTO layer_coverage (layer, national, geom) "
        "SELECT {layer}, false, ST_Multi(ST_CollectionExtract(ST_MakeValid("
        + shape.as_string()
        + "), 3)) FROM {table} WHERE layer = {layer} "
        "ON CONFLICT (layer) DO UPDATE SET national = false, geom = EXCLUDED.geom"
    ).format(layer=sql.Literal(layer.name), table=table, buf=sql.Literal(layer.coverage_buffer_m))


def _has_gemeenten(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM area WHERE layer = 'gemeenten') AS x"
    ).fetchone()
    return bool(row and row["x"])


def _gemeenten_coverage_sql(layer: Layer, rows: sql.Identifier, clip: str | None) -> Statement:
    """Coverage ``gemeenten``: the loaded gemeenten (layer ``gemeenten``, EPSG:28992) named by
    the layer's rows (``props.gemeentecode``) and by none of its quarantined records."""
    shape = "ST_Union(g.geom)" if clip is None else f"ST_Intersection(ST_Union(g.geom), {clip})"
    return sql.SQL(
        "INSERT INTO layer_coverage (layer, national, geom) "
        "SELECT {layer}, false, ST_Multi(ST_CollectionExtract(ST_MakeValid(" + shape + "), 3))"
        " FROM area g WHERE g.layer = 'gemeenten' AND g.code IN"
        " (SELECT props ->> 'gemeentecode' FROM {table} WHERE layer = {layer})"
        " AND g.code NOT IN (SELECT q.record -> 'props' ->> 'gemeentecode' FROM quarantine q"
        "  WHERE q.layer = {layer} AND q.record -> 'props' ->> 'gemeentecode' IS NOT NULL)"
        " ON CONFLICT (layer) DO UPDATE SET national = false, geom = EXCLUDED.geom"
    ).format(layer=sql.Literal(layer.name), table=rows)


def _copy_stage(
    conn: psycopg.Connection[Any],
    frame: gpd.GeoDataFrame,
    layer: Layer,
    source: SourceInfo,
    target: sql.Identifier,
    bar: Any,
) -> None:
    """COPY the validated records into the load's new table ``target``, ticking ``bar`` per
    chunk of :data:`STAGE_CHUNK` records.

    Each chunk is encoded (:func:`to_rows`) and formatted by Arrow's CSV writer (C++) into one
    buffer, no Python call per row, while a thread of psycopg's sends the chunk before: the
    encoding of one chunk overlaps the server's parsing of the last. Strings are quoted (an
    empty one stays empty), a missing value is written as nothing: NULL. ``FREEZE``: the table
    is new in this transaction, so its rows are written frozen, and the index builds and
    first readers after it need not set their hint bits (a write of every page again).
    """
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in TABLE_COLUMNS[layer.table])
    statement = sql.SQL("COPY {target} ({cols}) FROM STDIN WITH (FORMAT csv, FREEZE)").format(
        target=target, cols=columns
    )
    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
    cursor = conn.cursor()
    with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        for start in range(0, len(frame), STAGE_CHUNK):
            rows = to_rows(frame.iloc[start : start + STAGE_CHUNK], layer, source)
            buffer = pa.BufferOutputStream()
            pa_csv.write_csv(rows, buffer, options)
            copy.write(memoryview(buffer.getvalue()))
            bar.update(rows.num_rows)
    bar.close()


def _copy_quarantine(
    conn: psycopg.Connection[Any], layer: str, run_id: int, quarantine: pd.DataFrame
) -> None:
    """COPY the records validation refused (source_ref, reason, record) into the quarantine,
    each with its partition (``record['partition_key']``; None in a layer not partitioned)."""
    with conn.cursor().copy(
        "COPY quarantine (layer, run_id, source_ref, reason, record, partition_key) FROM STDIN"
    ) as copy:
        for ref, why, record in quarantine.itertuples(index=False, name=None):
            key = record.get(PARTITION_KEY)
            copy.write_row((layer, run_id, ref, why, json.dumps(record, ensure_ascii=False), key))


def input_partitions(frame: pd.DataFrame) -> list[str]:
    """The partitions a load of a partitioned layer replaces: every key the reader gave."""
    if PARTITION_KEY not in frame.columns:
        return []
    keys = frame[PARTITION_KEY].astype("string").str.strip()
    return sorted(set(keys[keys.notna() & (keys != "")]))


def _listed(counts: dict[str, int], limit: int = 10) -> str:
    shown = ", ".join(f"{key} ({n})" for key, n in list(counts.items())[:limit])
    return shown + (f" and {len(counts) - limit} more" if len(counts) > limit else "")


def _swap(
    conn: psycopg.Connection[Any],
    layer: Layer,
    run_id: int,
    partitions: list[str] | None,
    new: sql.Identifier,
) -> tuple[list[str], sql.Identifier | None]:
    """Replace the layer's rows and quarantine by the staged ones (in ``new``, a table from
    :func:`etl.swap.create`): the notes, and the table that holds the layer's rows now:
    ``new``, indexed, for :func:`etl.swap.attach` to make the layer's partition of its table
    at the end of the load, or None when they went into that partition.

    ``partitions`` None: the whole layer, in ``new``. Else only those partitions (and rows
    without a key) are replaced, every other partition is kept; the notes say what was loaded,
    replaced and kept, per partition. When the layer has a table partition of its own, the
    replaced rows are deleted from it and the staged ones inserted (a load of a few plans
    among many); else the kept rows join the staged ones in ``new``.
    """
    table = sql.Identifier(layer.table)
    columns = TABLE_COLUMNS[layer.table]
    col_list = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    mine = sql.SQL("layer = %(layer)s")
    if partitions is not None:
        mine = sql.SQL(
            "layer = %(layer)s AND (partition_key = ANY(%(parts)s) OR partition_key IS NULL)"
        )
    where = {"layer": layer.name, "parts": partitions or [], "run": run_id}
    notes: list[str] = []
    if partitions is not None:
        count = sql.SQL(
            "SELECT partition_key AS key, count(*) AS n FROM {table} WHERE {mine}"
            " GROUP BY 1 ORDER BY 1"
        )
        before = conn.execute(count.format(table=table, mine=mine), where).fetchall()
        staged = conn.execute(
            sql.SQL(
                "SELECT partition_key AS key, count(*) AS n FROM {new} GROUP BY 1 ORDER BY 1"
            ).format(new=new)
        ).fetchall()
        kept = conn.execute(
            sql.SQL(
                "SELECT count(DISTINCT partition_key) AS parts, count(*) AS n FROM {table}"
                " WHERE layer = %(layer)s AND partition_key <> ALL(%(parts)s)"
            ).format(table=table),
            where,
        ).fetchone()
        what = layer.partitioned_by
        loaded_per = {str(r["key"]): int(r["n"]) for r in staged}
        loaded_per |= {key: 0 for key in partitions if key not in loaded_per}
        notes.append(f"{what}s loaded: {_listed(dict(sorted(loaded_per.items())))}")
        replaced = {str(r["key"]): int(r["n"]) for r in before if r["key"] is not None}
        if replaced:
            notes.append(f"replaced the earlier rows of {_listed(replaced)}")
        legacy = sum(int(r["n"]) for r in before if r["key"] is None)
        if legacy:
            notes.append(f"replaced {legacy} rows loaded before the layer was partitioned")
        if kept is not None and kept["n"]:
            notes.append(f"kept {kept['parts']} other {what}(s) ({kept['n']} rows)")
    conn.execute(
        sql.SQL("DELETE FROM quarantine WHERE {mine} AND run_id <> %(run)s").format(mine=mine),
        where,
    )
    if partitions is not None and swap.own_partition(conn, layer) is not None:
        conn.execute(
            sql.SQL("DELETE FROM {table} WHERE {mine}").format(table=table, mine=mine), where
        )
        conn.execute(
            sql.SQL("INSERT INTO {table} ({cols}) SELECT {cols} FROM {new}").format(
                table=table, cols=col_list, new=new
            )
        )
        conn.execute(sql.SQL("DROP TABLE {new}").format(new=new))
        return notes, None
    if partitions is not None:  # the kept partitions, from the default partition
        conn.execute(
            sql.SQL(
                "INSERT INTO {new} ({cols}) SELECT {cols} FROM {table}"
                " WHERE layer = %(layer)s AND partition_key <> ALL(%(parts)s)"
            ).format(new=new, cols=col_list, table=table),
            where,
        )
    swap.build(conn, layer, new)
    return notes, new


def _reasons(quarantine: pd.DataFrame, extra: int) -> str:
    counts = quarantine["reason"].value_counts() if len(quarantine) else pd.Series(dtype=int)
    parts = [f"{int(n)}x {why}" for why, n in counts.head(3).items()]
    if extra:
        parts.append(f"{extra}x by the layer's own checks")
    return "; ".join(parts)


def check_loss(
    pipeline: Pipeline,
    *,
    n_read: int,
    n_loaded: int,
    quarantine: pd.DataFrame,
    n_staged_quarantine: int,
    n_before: int,
    hint: str,
    area: Area | None,
) -> None:
    """The loss guard (see the module docstring): raise :class:`DataLossError`, one line."""
    layer = pipeline.layer
    n_quarantined = len(quarantine) + n_staged_quarantine
    why = ""
    if n_read > 0 and n_quarantined >= n_read and pipeline.refuse_all_quarantined:
        why = f"all {n_read} records read would be quarantined"
    elif n_read > 0 and n_quarantined > pipeline.max_quarantine_share * n_read:
        why = (
            f"{n_quarantined} of {n_read} records would be quarantined (more than"
            f" {pipeline.max_quarantine_share:.0%})"
        )
    elif area is None and n_before >= MIN_GUARDED and n_loaded < MIN_KEEP_SHARE * n_before:
        why = f"the layer would shrink from {n_before} to {n_loaded} records"
    if not why:
        return
    reasons = _reasons(quarantine, n_staged_quarantine)
    raise DataLossError(
        f"{layer}: {why}"
        + (f" ({reasons})" if reasons and n_quarantined else "")
        + (f": {hint}" if hint else "")
        + "; nothing was changed (--accept-loss loads it anyway)"
    )


def archive_limits() -> ArchiveLimits:
    """The archive limits of the process's settings (``SITEFINDER_ETL_MAX_...``)."""
    settings = get_settings()
    return ArchiveLimits(settings.etl_max_unzipped_mb << 20, settings.etl_max_zip_ratio)


def _read(pipeline: Pipeline, paths: Sequence[Path]) -> gpd.GeoDataFrame:
    """``pipeline.read(paths)``; an input its reader did not expect (a CSV without the columns
    it reads, another format than it declares) ends in one line, not a traceback."""
    try:
        return pipeline.read(paths)
    except SitefinderError:
        raise
    except (KeyError, AttributeError, TypeError, ValueError, IndexError, LookupError) as exc:
        names = ", ".join(path.name for path in paths)
        detail = _first_line(exc)
        raise SourceFileError(
            f"{pipeline.layer}: cannot read {names} as input of this layer"
            f" ({type(exc).__name__}: {detail}); is it the file the layer expects?"
        ) from exc


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:200]


def run_pipeline(
    conn: psycopg.Connection[Any],
    pipeline: Pipeline,
    paths: Sequence[Path],
    *,
    force: bool = False,
    progress: ProgressFactory = default_progress,
    area: Area | None = None,
    replace: bool = False,
    accept_loss: bool = False,
    limits: ArchiveLimits | None = None,
) -> RunResult:
    """Run one pipeline into the database over ``conn``; atomic, idempotent, recorded.

    ``paths`` may be :class:`Inputs` (from :func:`etl.inputs.resolve_inputs`), whose ``uri`` and
    ``source`` then go into the run record. With ``area``, only the validated features that
    intersect it are loaded, and they replace the layer's whole content. A layer declared
    ``partitioned_by`` replaces only the partitions in the input (the features of a partition
    that intersects the area, with ``area``), unless ``replace``. The loss guard refuses a load
    that would lose most of what it replaces (the layer, or its partitions in the input) unless
    ``accept_loss``; zips are checked against ``limits`` (default: :func:`archive_limits`).
    """
    layer = pipeline.layer_decl
    started = datetime.now(UTC)
    info = pipeline.source
    uri = ", ".join(str(p) for p in paths)
    if isinstance(paths, Inputs):
        uri, info = paths.uri, paths.source or info
    for path in paths:
        if not path.exists():
            raise SourceFileError(f"{layer.name}: input file not found: {path}")
        if path.is_file() and path.stat().st_size == 0:
            raise SourceFileError(f"{layer.name}: input file is empty: {path}")
    # A layer built from other loaded layers (plots from buildings) reloads when they change.
    upstream = [runs.last_checksum(conn, name) or "" for name in pipeline.upstream()]
    in_area = (area.key,) if area is not None else ()
    partitioned = bool(layer.partitioned_by) and not replace
    whole = ("replace",) if layer.partitioned_by and replace else ()
    digest = checksum(
        paths,
        FRAMEWORK_VERSION,
        pipeline.version,
        layer.name,
        pipeline.fingerprint(),
        *upstream,
        *in_area,
        *whole,
    )
    if not force and runs.last_checksum(conn, layer.name) == digest:
        return RunResult(
            layer=layer.name,
            status="unchanged",
            message="input unchanged",
            area=area.label if area is not None else "",
        )

    n_outside = 0
    returned = paths.n_features if isinstance(paths, Inputs) else None
    try:
        if returned == 0 and area is None:
            raise SourceFileError(
                f"{layer.name}: the service returned no features at all; the layer is left as it"
                " was"
            )
        for path in paths:
            if path.is_file():
                check_archive(path, layer.name, limits or archive_limits())
        # An area where the service has nothing: the layer becomes empty, as asked.
        frame = empty_frame(pipeline) if returned == 0 else _read(pipeline, paths)
        checked = validate(frame, pipeline)
        partitions = input_partitions(frame) if partitioned else None
        if area is not None:
            inside = area.contains_mask(checked.good.geometry.to_numpy())
            if partitions is not None:  # a partition intersecting the area is kept whole
                keys = checked.good[PARTITION_KEY]
                outside = set(keys[~inside]) - set(keys[inside])
                inside = ~keys.isin(outside).to_numpy()
                partitions = [key for key in partitions if key not in outside]
            n_outside = int((~inside).sum())
            checked = Validated(
                good=checked.good.loc[inside], quarantine=checked.quarantine, hint=checked.hint
            )
    except Exception as exc:
        runs.record_failure(conn, layer.name, info, uri, digest, started, exc)
        raise
    table = sql.Identifier(layer.table)
    if partitions is not None and frame.empty:
        partitions = []  # nothing read (a service with nothing in the area): nothing replaced
    try:
        with conn.transaction():
            run_id = runs.start_run(conn, layer.name, info, uri, digest, len(frame), started)
            # one load of the table at a time (readers and writers of rows go on)
            conn.execute(
                sql.SQL("LOCK TABLE ONLY {table} IN SHARE UPDATE EXCLUSIVE MODE").format(
                    table=table
                )
            )
            new = swap.create(conn, layer, run_id)
            # ``stage`` for the pipeline's statements: the new table, under the name they use
            conn.execute(sql.SQL("CREATE TEMP VIEW stage AS SELECT * FROM {new}").format(new=new))
            bar = progress(len(checked.good), f"{layer.name}: laden")
            _copy_stage(conn, checked.good, layer, info, new, bar)
            for statement in pipeline.stage_sql():
                conn.execute(statement, {"run_id": run_id})
            if layer.kind == "site" and _has_gemeenten(conn):
                for statement in site_location_sql(layer):
                    conn.execute(statement, {"run_id": run_id})
            n_quarantined_stage = conn.execute(
                "SELECT count(*) AS n FROM quarantine WHERE run_id = %s", (run_id,)
            ).fetchone()["n"]  # type: ignore[index]
            staged = conn.execute(sql.SQL("SELECT count(*) AS n FROM {new}").format(new=new))
            loaded = int(staged.fetchone()["n"])  # type: ignore[index]
            if not accept_loss:
                # what the load replaces: the whole layer, or only the partitions in its input
                replaced = sql.SQL("layer = %(layer)s")
                if partitions is not None:
                    replaced = sql.SQL(
                        "layer = %(layer)s"
                        " AND (partition_key = ANY(%(parts)s) OR partition_key IS NULL)"
                    )
                before = conn.execute(
                    sql.SQL("SELECT count(*) AS n FROM {table} WHERE {replaced}").format(
                        table=table, replaced=replaced
                    ),
                    {"layer": layer.name, "parts": partitions or []},
                ).fetchone()
                assert before is not None
                check_loss(
                    pipeline,
                    n_read=len(frame),
                    n_loaded=loaded,
                    quarantine=checked.quarantine,
                    n_staged_quarantine=int(n_quarantined_stage),
                    n_before=int(before["n"]),
                    hint=checked.hint,
                    area=area,
                )
            conn.execute("DROP VIEW stage")
            swapped, attach = _swap(conn, layer, run_id, partitions, new)
            _copy_quarantine(conn, layer.name, run_id, checked.quarantine)
            rows_now = table if attach is None else attach  # the layer's rows after the load
            if area is None or partitions is not None:  # partitions: the union of all kept
                conn.execute(coverage_sql(layer, rows=rows_now))
            else:
                conn.execute(coverage_sql(layer, area=True, rows=rows_now), {"area": area.wkb})
            n_quarantined = len(checked.quarantine) + int(n_quarantined_stage)
            notes = list(pipeline.notes) + swapped
            if layer.partitioned_by and replace:
                notes.append(f"--replace: every {layer.partitioned_by} replaced by the ones read")
            if area is not None:
                holds = "the layer holds only this area"
                if partitions is not None:
                    holds = f"{layer.partitioned_by}s outside it are kept as they were"
                notes.append(
                    f"limited to {area.label}: {loaded} loaded, {n_outside} outside it left out;"
                    f" {holds}"
                )
            note = "; ".join(notes) or None
            runs.finish_run(conn, run_id, loaded, n_quarantined, note)
            if attach is not None:  # last: from here the table is locked until the commit
                swap.attach(conn, layer, attach)
    except Exception as exc:
        runs.record_failure(conn, layer.name, info, uri, digest, started, exc)
        raise
    with conn.transaction():  # leave the connection idle, not in an open transaction
        reasons = conn.execute(
            "SELECT reason, count(*) AS n FROM quarantine WHERE layer = %s GROUP BY reason",
            (layer.name,),
        ).fetchall()
    return RunResult(
        layer=layer.name,
        status="ok",
        n_read=len(frame),
        n_loaded=loaded,
        n_quarantined=n_quarantined,
        reasons={r["reason"]: r["n"] for r in reasons},
        seconds=(datetime.now(UTC) - started).total_seconds(),
        n_outside_area=n_outside,
        area=area.label if area is not None else "",
        message=note or "",
    )
