"""The criteria of every site computed by partition, on a Dask cluster: past one machine.

The sites are split by gemeente (the one their last computation gave them, ``site_raw``'s
``gemeentecode``; else the one their source names; else, never scored and none named, a band
of 10 km along the x axis: ``PART_KEY``), whole gemeenten grouped into about ``partitions``
partitions of similar numbers of sites, neighbours together (ordered along the x axis by
their sites' mean position, so a partition is a band of the country). Each partition is
computed by the same ``compute.raw_criteria`` as the single-process run, on the layers *clipped
to the partition's neighbourhood*: the box around its sites grown by a buffer (``BUFFER_M``,
at least every declared search radius, ``RawColumn.reach_m``); a layer of fewer than
``WHOLE_BELOW`` features, unless it is read as parts, goes whole (exact at once).

Exact at the borders: a feature that answers a site's question lies within the buffer of it
when the answer is a distance of at most the buffer (nearest stop, care, shop, school), a
search within a radius no larger than the buffer (Natura 2000 within 1,000 m, care within
1,000 m) or the feature under the site (zoning, gemeente, constraints). Sites whose nearest
distance in a clipped layer is farther (a station 12 km away) have that criterion group
computed again on a neighbourhood four times as large, and so on, at last on the whole
layers: every answer is the one the single run gives (``same_frames`` checks it; the bench and
the smoke test assert it).

Dask (``dask.distributed``) runs the partitions, one task each, and nothing big crosses the
scheduler: a task gets the partition's gemeente codes, reads its sites and the layer features
of its neighbourhood from PostGIS itself (bound box queries on the spatial index, binary,
``spatial.load_layer``) and COPYs its rows into the run's staging table (``store.staging``);
``compute.compute_all`` then swaps that table in (``store.swap``). ``raw_criteria_partitioned``
runs the same partitions on layers in memory, one after another (the tests of exactness).
docs/scaling.md says how the same run goes to a real cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql

from layers import catalogue as layer_catalogue
from sitefinder.core import db
from sitefinder.scoring import store
from sitefinder.scoring.base import NDArray, Steps
from sitefinder.scoring.compute import Everything, raw_criteria, read_sites
from sitefinder.scoring.criteria import groups, layer_names, layer_uses, raw_columns
from sitefinder.scoring.spatial import NEAREST_CAP_M, Box, Layers, Sites, containing

BUFFER_M = NEAREST_CAP_M  # the neighbourhood of a partition (metres, EPSG:28992)
# A layer of fewer features than this goes whole to every partition (a point layer of tens of
# thousands of stops: reading it whole costs less than the further rounds a clip can need);
# a larger one (the 500,000 zoning plans of the bench) is read for each partition's
# neighbourhood only, and so is a layer read as parts (cutting them is PostgreSQL's work,
# best done once: each partition cuts only the features near it).
WHOLE_BELOW = 100_000
GROWTH = 4.0  # each further round widens the neighbourhood of the sites left this much
ROUNDS = 3  # further rounds per criterion group; the last on the whole layers
NONE_GEMEENTE = ""  # the partition of the sites in no gemeente
BAND_M = 10_000  # sites of no known gemeente are grouped in bands this wide (metres, x)
# A site's partition key (``s``: the site; ``r``: its site_raw row, from the last
# computation): its gemeente as last computed, else as its source names it, else its band
PART_KEY = sql.SQL(
    "COALESCE(r.gemeentecode, s.gemeentecode, 'x' || floor(ST_XMin(s.geom) / {band})::bigint, '')"
).format(band=sql.Literal(BAND_M))


@dataclass(frozen=True)
class Partition:
    """The sites of some whole gemeenten (positions into the sites), with their codes."""

    gemeenten: tuple[str, ...]
    rows: NDArray


def site_gemeenten(layers: Layers, sites: Sites) -> NDArray:
    """Per site the gemeente code the ``gemeente`` criterion gives it ("" for none)."""
    codes = containing(layers.get("gemeenten", parts=True), sites)[1]
    return np.asarray(pd.Series(codes, dtype=object).fillna(NONE_GEMEENTE), dtype=object)


def bands(x: NDArray, n: NDArray, count: int) -> NDArray:
    """The band (0 to ``count`` - 1) of each group of sites (mean position ``x``, ``n``
    sites): in order of ``x``, each band about the same number of sites; a group goes to the
    band its middle site falls in."""
    order = np.argsort(np.asarray(x, dtype=float), kind="stable")
    sizes = np.asarray(n, dtype=float)[order]
    middle = (np.cumsum(sizes) - sizes / 2) / max(sizes.sum(), 1.0)
    out = np.empty(len(order), dtype=np.int64)
    out[order] = np.minimum((middle * count).astype(np.int64), count - 1)
    return out


def partition(sites: Sites, gemeenten: NDArray, count: int) -> list[Partition]:
    """Whole gemeenten grouped into about ``count`` partitions of similar size, in bands."""
    if len(sites) == 0:
        return []
    x = shapely.get_coordinates(sites.surface_points)[:, 0]
    frame = pd.DataFrame({"g": gemeenten, "x": x, "row": np.arange(len(sites))})
    by = frame.groupby("g", sort=True).agg(x=("x", "mean"), n=("row", "size"))
    band = bands(by["x"].to_numpy(), by["n"].to_numpy(), count)
    rows = frame.groupby("g", sort=True)["row"].agg(list)
    out = []
    for b in np.unique(band):
        codes = tuple(str(c) for c in by.index[band == b])
        members = np.sort(np.concatenate([np.asarray(rows[c], dtype=np.int64) for c in codes]))
        out.append(Partition(codes, members))
    return out


def _buffer(buffer_m: float) -> float:
    """The buffer, at least every declared search radius (``RawColumn.reach_m``)."""
    reaches = [c.reach_m for c in raw_columns() if c.reach_m is not None]
    return max([buffer_m, *reaches])


def _box(geoms: NDArray, buffer_m: float) -> Box:
    """The box around ``geoms`` grown by ``buffer_m`` metres."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    return (xmin - buffer_m, ymin - buffer_m, xmax + buffer_m, ymax + buffer_m)


class Neighbourhoods(Protocol):
    """Where a partition's layers come from: ``clipped`` names the layers (holding features)
    read only near the sites, the others go whole."""

    @property
    def clipped(self) -> frozenset[str]: ...

    def around(self, geoms: NDArray, reach_m: float, names: Sequence[str] | None) -> Layers:
        """The layers (all, or ``names``) near ``geoms``: within ``reach_m`` of their box."""
        ...

    def whole(self, names: Sequence[str]) -> Layers:
        """The layers ``names`` whole."""
        ...


@dataclass
class InMemory:
    """Neighbourhoods cut from layers in memory (``Layers.clip``): a layer of at least
    ``whole_below`` features is clipped."""

    layers: Layers
    whole_below: int = WHOLE_BELOW

    @property
    def clipped(self) -> frozenset[str]:
        return frozenset(
            name
            for (name, _), index in self.layers.indexes.items()
            if len(index) and len(index) >= self.whole_below
        )

    def around(self, geoms: NDArray, reach_m: float, names: Sequence[str] | None) -> Layers:
        return self.layers.clip(shapely.box(*_box(geoms, reach_m)), self.whole_below)

    def whole(self, names: Sequence[str]) -> Layers:
        return self.layers


@dataclass
class Stored:
    """Neighbourhoods read from PostGIS on ``conn``: the ``clipped`` layers with a box query
    on their spatial index each time, the others whole, once."""

    conn: psycopg.Connection[Any]
    clipped: frozenset[str]
    _fixed: Layers | None = field(default=None, init=False)

    def _whole_ones(self) -> Layers:
        if self._fixed is None:
            names = [name for name in layer_names() if name not in self.clipped]
            self._fixed = Layers.load(self.conn, layer_uses(), names)
        return self._fixed

    def _with(self, near: Layers, names: Sequence[str] | None) -> Layers:
        fixed = self._whole_ones()
        keep = {key: index for key, index in fixed.indexes.items() if not names or key[0] in names}
        return Layers(
            indexes={**keep, **near.indexes}, coverage={**fixed.coverage, **near.coverage}
        )

    def around(self, geoms: NDArray, reach_m: float, names: Sequence[str] | None) -> Layers:
        wanted = [n for n in (names or layer_names()) if n in self.clipped]
        box = _box(geoms, reach_m)
        near = Layers.load(self.conn, layer_uses(), wanted, box=box, clipped=self.clipped)
        return self._with(near, names)

    def whole(self, names: Sequence[str]) -> Layers:
        wanted = [n for n in names if n in self.clipped]
        return self._with(Layers.load(self.conn, layer_uses(), wanted), names)


def _searched(clipped: Iterable[str]) -> dict[str, list[str]]:
    """Per criterion group, its nearest-distance columns (metres, no search radius) of the
    declarations that read a ``clipped`` layer (one holding features): only their answers can
    lie outside a neighbourhood (a column whose layers are empty is NaN everywhere, in every
    run; a layer that goes whole answers exactly)."""
    held = set(clipped)
    out: dict[str, list[str]] = {}
    for group, members in groups().items():
        columns = [
            column.name
            for declaration in members
            if held & set(declaration.layer_names)
            for column in declaration.columns
            if column.unit == "m" and column.reach_m is None
        ]
        if columns:
            out[group] = columns
    return out


def _unsure(frame: pd.DataFrame, columns: list[str], buffer_m: float) -> NDArray:
    """Rows whose answer may lie outside a neighbourhood of ``buffer_m``: a nearest distance
    (of ``columns``) farther than it, or none found."""
    unsure = np.zeros(len(frame), dtype=bool)
    for name in columns:
        if name in frame:
            values = frame[name].to_numpy(dtype=float, na_value=np.nan)
            unsure |= ~(values <= buffer_m)  # NaN: nothing in the neighbourhood
    return unsure


def _overwrite(out: pd.DataFrame, rows: NDArray, frame: pd.DataFrame) -> None:
    """``out``'s columns of ``frame`` at ``rows`` replaced by ``frame``'s values."""
    for name in frame.columns:
        values = out[name].to_numpy().copy()
        if values.dtype != frame[name].dtype:
            values = values.astype(object)
        values[rows] = frame[name].to_numpy()
        out[name] = values


def compute_partition(
    source: Neighbourhoods, geoms: NDArray, places: NDArray, buffer_m: float = BUFFER_M
) -> pd.DataFrame:
    """The raw criteria of one partition's sites (shapely, EPSG:28992), exact (see the module
    doc): every criterion on the layers of the sites' box grown by the buffer (``source``:
    the clipped layers cut to it, the others whole); then, per criterion group with a nearest
    distance in a clipped layer farther than the buffer (or none found), that group again for
    those sites on a neighbourhood ``GROWTH`` times as wide, at last on the whole layers."""
    buffer_m = _buffer(buffer_m)
    out = raw_criteria(source.around(geoms, buffer_m, None), geoms, places)
    for group, columns in _searched(source.clipped).items():
        reads = list(dict.fromkeys(n for d in groups()[group] for n in d.layer_names))
        reach = buffer_m
        todo = np.flatnonzero(_unsure(out, columns, reach))
        for round_ in range(ROUNDS):
            if len(todo) == 0:
                break
            reach *= GROWTH
            last = round_ == ROUNDS - 1
            part = geoms[todo]
            here = source.whole(reads) if last else source.around(part, reach, reads)
            frame = raw_criteria(here, part, places[todo], [group])
            _overwrite(out, todo, frame)
            todo = todo[_unsure(frame, columns, reach)] if not last else todo[:0]
    return out


def raw_criteria_partitioned(
    layers: Layers,
    sites: NDArray,
    places: NDArray,
    *,
    partitions: int = 16,
    buffer_m: float = BUFFER_M,
    whole_below: int = WHOLE_BELOW,
) -> pd.DataFrame:
    """``compute.raw_criteria`` of every site (all groups), by partition of whole gemeenten,
    on ``layers`` in memory, one partition after another: the same frame, in site order."""
    everything = Sites(sites, places)
    parts = partition(everything, site_gemeenten(layers, everything), partitions)
    if not parts:
        return raw_criteria(layers, sites, places)
    source = InMemory(layers, whole_below)
    frames = [compute_partition(source, sites[p.rows], places[p.rows], buffer_m) for p in parts]
    order = np.concatenate([p.rows for p in parts])
    joined = pd.concat(frames, ignore_index=True)
    joined.index = order
    return joined.sort_index().reset_index(drop=True)


def clipped_layers(conn: psycopg.Connection[Any], whole_below: int = WHOLE_BELOW) -> frozenset[str]:
    """The layers the criteria read that a partition reads near its sites only: those holding
    features, at least ``whole_below`` of them or read as parts."""
    parts = {use.layer for use in layer_uses() if use.parts}
    out = set()
    for name in layer_names():
        table = sql.Identifier(layer_catalogue()[name].table)
        row = conn.execute(
            sql.SQL("SELECT count(*) AS n FROM {table} WHERE layer = %s").format(table=table),
            (name,),
        ).fetchone()
        n = int(row["n"]) if row else 0
        if n and (n >= whole_below or name in parts):
            out.add(name)
    return frozenset(out)


def _task(
    info: str,
    table: str,
    keys: list[str],
    clipped: frozenset[str],
    now: datetime,
    buffer_m: float,
) -> int:
    """One partition on a worker: its sites (those of ``keys``, ``PART_KEY``) and their
    neighbourhoods read from the database at ``info``, their rows COPied into ``table``;
    returns the number of sites."""
    with db.connect_to(info) as conn:
        frame = read_sites(conn, sql.SQL("{key} = ANY(%s)").format(key=PART_KEY), (keys,))
        geoms = shapely.from_wkb(frame["wkb"].to_numpy(dtype=object))
        places = frame["places"].to_numpy(dtype=float)
        raw = compute_partition(Stored(conn, clipped), geoms, places, buffer_m)
        raw.insert(0, "site_id", frame["id"])
        store.write(conn, table, raw, raw_columns(), now)
        return len(raw)


def compute_on(
    client: Any,
    conn: psycopg.Connection[Any],
    table: str,
    now: datetime,
    *,
    partitions: int,
    step: Steps | None = None,
    buffer_m: float = BUFFER_M,
    whole_below: int = WHOLE_BELOW,
) -> int:
    """Every raw criterion of every site, by partition of whole gemeenten (``PART_KEY``), one
    Dask task each on ``client`` (a ``distributed.Client``), written by the tasks into
    ``table`` (a committed ``store.staging`` table); returns the number of sites written.
    ``step``: told ``partition`` and ``tasks`` when they are done."""
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        raise RuntimeError("the Dask run needs a connection outside a transaction")
    rows = conn.execute(
        sql.SQL(
            "SELECT {key} AS key, count(*) AS n, avg((ST_XMin(s.geom) + ST_XMax(s.geom)) / 2)"
            " AS x FROM site s LEFT JOIN site_raw r ON r.site_id = s.id GROUP BY 1 ORDER BY 1"
        ).format(key=PART_KEY)
    ).fetchall()
    keys = np.array([row["key"] for row in rows], dtype=object)
    n = np.array([int(row["n"]) for row in rows], dtype=np.int64)
    band = bands(np.array([float(row["x"] or 0.0) for row in rows]), n, max(partitions, 1))
    clipped = clipped_layers(conn, whole_below)
    if step:
        step("partition")
    info = db.conninfo(conn)
    futures = [
        client.submit(
            _task,
            info,
            table,
            [str(k) for k in keys[band == b]],
            clipped,
            now,
            buffer_m,
            key=f"criteria-{i}-{keys[band == b][0] or 'none'}",
            pure=False,
        )
        for i, b in enumerate(np.unique(band))
    ]
    written = int(sum(client.gather(futures)))
    if step:
        step("tasks")
    if written != int(n.sum()):
        raise RuntimeError(f"the partitions wrote {written} sites of {int(n.sum())}")
    return written


def same_frames(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    """The columns in which ``a`` and ``b`` differ (NaN equals NaN, lists compared whole);
    [] when they are identical."""
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return ["<shape or columns>"]
    differ = []
    for name in a.columns:
        x, y = a[name].to_numpy(), b[name].to_numpy()
        if x.dtype.kind in "fiub" and y.dtype.kind in "fiub":
            same = np.array_equal(x.astype(float), y.astype(float), equal_nan=True)
        else:
            same = all(_same(p, q) for p, q in zip(x, y, strict=True))
        if not same:
            differ.append(str(name))
    return differ


def _same(p: Any, q: Any) -> bool:
    if isinstance(p, float) and isinstance(q, float) and np.isnan(p) and np.isnan(q):
        return True
    if isinstance(p, Sequence | np.ndarray) and not isinstance(p, str):
        return isinstance(q, Sequence | np.ndarray) and list(p) == list(q)
    return bool(p == q)


def local_client(workers: int = 2) -> Any:
    """A ``distributed.Client`` on a local cluster of ``workers`` processes (one thread each)."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: two clusters at once do not collide
        silence_logs=logging.CRITICAL,  # a busy worker misses heartbeats: not our failure
    )
    return Client(cluster)  # type: ignore[no-untyped-call]


def connect(address: str, workers: int = 2) -> Any:
    """A ``distributed.Client``: on a local cluster (``address`` "local", ``workers``
    processes) or on the scheduler at ``address`` (``tcp://host:8786``)."""
    if address == "local":
        return local_client(workers)
    from distributed import Client

    return Client(address)  # type: ignore[no-untyped-call]


def disconnect(client: Any) -> None:
    """Close ``client`` and, for a local cluster it started, the cluster."""
    cluster = getattr(client, "cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()


def on(client: Any, partitions: int | None = None) -> Everything:
    """``compute.compute_all``'s ``every``: every criterion partitioned on ``client`` (one
    partition per worker thread unless ``partitions``: each task reads its own whole small
    layers and the parts near it, so fewer tasks repeat less), each task reading and writing
    its partition itself."""

    def every(conn: psycopg.Connection[Any], table: str, now: datetime, step: Steps) -> int:
        count = partitions or max(sum(client.nthreads().values()), 1)
        return compute_on(client, conn, table, now, partitions=count, step=step)

    return every
