"""The criteria of every site computed by partition, on a Dask cluster: past one machine.

The sites are split by gemeente (the ``gemeente`` criterion's answer: the municipality that
holds a site's point on surface; sites in none form a partition of their own), whole gemeenten
grouped into about ``partitions`` partitions of similar size, neighbours together (ordered
along the x axis by their sites' mean position, so a partition is a band of the country).
Each partition is computed by the same ``compute.raw_criteria`` as the single-process run, on
the layers *clipped to the partition's neighbourhood*: the box around its sites grown by a
buffer (``BUFFER_M``, at least every declared search radius, ``RawColumn.reach_m``); a layer
of fewer than ``WHOLE_BELOW`` features goes whole (exact at once, its trees built once).

Exact at the borders: a feature that answers a site's question lies within the buffer of it
when the answer is a distance of at most the buffer (nearest stop, care, shop, school), a
search within a radius no larger than the buffer (Natura 2000 within 1,000 m, care within
1,000 m) or the feature under the site (zoning, gemeente, constraints). Sites whose nearest
distance in a clipped layer is farther (a station 12 km away) have that criterion group
computed again on a neighbourhood four times as large, and so on, at last on the whole
layers: every answer is the one the single run gives (``same_frames`` checks it; the bench and
the smoke test assert it).

Dask (``dask.distributed``) runs the partitions: the layers are sent to every worker once
(``Client.scatter(..., broadcast=True)``; a ``LayerIndex`` pickles as data, its geometry as
one WKB array, and builds its trees on the worker), each partition is one task, the frames
come back in partition order and are put in site order. ``client=None`` runs the same
partitions one after another in this process.
docs/scaling.md says how the same run goes to a real cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely

from sitefinder.scoring.base import NDArray, Steps
from sitefinder.scoring.compute import raw_criteria
from sitefinder.scoring.criteria import groups, raw_columns
from sitefinder.scoring.spatial import NEAREST_CAP_M, Layers, Sites, containing

BUFFER_M = NEAREST_CAP_M  # the neighbourhood of a partition (metres, EPSG:28992)
# A layer of fewer features than this goes whole to every partition: its trees (and what the
# criteria prepare of it, the zoning plans' order) are built once per worker and every answer
# from it is exact at once. At national scale every layer does (the bench: clipping the 500,000
# zoning plans per partition cost more than it saved); a larger one (Europe) is clipped to each
# partition's neighbourhood.
WHOLE_BELOW = 1_000_000
GROWTH = 4.0  # each further round widens the neighbourhood of the sites left this much
ROUNDS = 3  # further rounds per criterion group; the last on the whole layers
NONE_GEMEENTE = ""  # the partition of the sites in no gemeente


@dataclass(frozen=True)
class Partition:
    """The sites of some whole gemeenten (positions into the sites), with their codes."""

    gemeenten: tuple[str, ...]
    rows: NDArray


def site_gemeenten(layers: Layers, sites: Sites) -> NDArray:
    """Per site the gemeente code the ``gemeente`` criterion gives it ("" for none)."""
    codes = containing(layers.get("gemeenten", parts=True), sites)[1]
    return np.asarray(pd.Series(codes, dtype=object).fillna(NONE_GEMEENTE), dtype=object)


def partition(sites: Sites, gemeenten: NDArray, count: int) -> list[Partition]:
    """Whole gemeenten grouped into about ``count`` partitions of similar size, in bands."""
    if len(sites) == 0:
        return []
    x = shapely.get_coordinates(sites.surface_points)[:, 0]
    frame = pd.DataFrame({"g": gemeenten, "x": x, "row": np.arange(len(sites))})
    by = frame.groupby("g", sort=True).agg(x=("x", "mean"), n=("row", "size"))
    by = by.sort_values(["x"], kind="stable")
    # each gemeente goes to the band its middle site falls in (by the running share of sites)
    n = by["n"].to_numpy()
    middle = (np.cumsum(n) - n / 2) / len(sites)
    band = np.minimum((middle * count).astype(int), count - 1)
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


def _searched(layers: Layers, whole_below: int) -> dict[str, list[str]]:
    """Per criterion group, its nearest-distance columns (metres, no search radius) of the
    declarations that read a clipped layer holding features (at least ``whole_below``): only
    their answers can lie outside a neighbourhood (a column whose layers are empty is NaN
    everywhere, in every run; a layer that goes whole answers exactly)."""
    held = {
        name
        for (name, _), index in layers.indexes.items()
        if len(index) and len(index) >= whole_below
    }
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


def _neighbourhood(layers: Layers, geoms: NDArray, buffer_m: float, whole_below: int) -> Layers:
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    box = shapely.box(xmin - buffer_m, ymin - buffer_m, xmax + buffer_m, ymax + buffer_m)
    return layers.clip(box, whole_below)


def _overwrite(out: pd.DataFrame, rows: NDArray, frame: pd.DataFrame) -> None:
    """``out``'s columns of ``frame`` at ``rows`` replaced by ``frame``'s values."""
    for name in frame.columns:
        values = out[name].to_numpy().copy()
        if values.dtype != frame[name].dtype:
            values = values.astype(object)
        values[rows] = frame[name].to_numpy()
        out[name] = values


def compute_partition(
    layers: Layers,
    geoms: NDArray,
    places: NDArray,
    buffer_m: float = BUFFER_M,
    whole_below: int = WHOLE_BELOW,
) -> pd.DataFrame:
    """The raw criteria of one partition's sites (shapely, EPSG:28992), exact (see the module
    doc): every criterion on the layers clipped to the sites' box grown by the buffer (those
    of fewer than ``whole_below`` features whole); then, per criterion group with a nearest
    distance in a clipped layer farther than the buffer (or none found), that group again for
    those sites on a neighbourhood ``GROWTH`` times as wide, at last on the whole layers."""
    buffer_m = _buffer(buffer_m)
    out = raw_criteria(_neighbourhood(layers, geoms, buffer_m, whole_below), geoms, places)
    for group, columns in _searched(layers, whole_below).items():
        reach = buffer_m
        todo = np.flatnonzero(_unsure(out, columns, reach))
        for round_ in range(ROUNDS):
            if len(todo) == 0:
                break
            reach *= GROWTH
            last = round_ == ROUNDS - 1
            part = geoms[todo]
            here = layers if last else _neighbourhood(layers, part, reach, whole_below)
            frame = raw_criteria(here, part, places[todo], [group])
            _overwrite(out, todo, frame)
            todo = todo[_unsure(frame, columns, reach)] if not last else todo[:0]
    return out


def _run(
    layers: Layers, sites: tuple[NDArray, NDArray], buffer_m: float, whole_below: int
) -> pd.DataFrame:
    """One task: the partition's sites as WKB and places (what is sent to a worker)."""
    wkb, places = sites
    return compute_partition(layers, shapely.from_wkb(wkb), places, buffer_m, whole_below)


def raw_criteria_partitioned(
    layers: Layers,
    sites: NDArray,
    places: NDArray,
    *,
    client: Any = None,
    partitions: int = 16,
    buffer_m: float = BUFFER_M,
    whole_below: int = WHOLE_BELOW,
    seconds: dict[str, float] | None = None,
) -> pd.DataFrame:
    """``compute.raw_criteria`` of every site (all groups), by partition of whole gemeenten,
    on the Dask ``client`` (a ``distributed.Client``) or, without one, in this process; the
    same frame, in site order. ``seconds``, when given, receives the seconds of each step
    (``partition``, ``scatter`` of the layers and sites, ``tasks``, ``join``)."""
    step = Steps(seconds if seconds is not None else {})

    everything = Sites(sites, places)
    parts = partition(everything, site_gemeenten(layers, everything), partitions)
    step("partition")
    if client is None:
        frames = [
            compute_partition(layers, sites[p.rows], places[p.rows], buffer_m, whole_below)
            for p in parts
        ]
    else:
        # hash=False: Dask would otherwise name the data by hashing it, which took longer
        # (64 s for the national layers) than computing every criterion
        shared = client.scatter(layers, broadcast=True, hash=False)
        inputs = client.scatter(
            [(shapely.to_wkb(sites[p.rows]), places[p.rows]) for p in parts], hash=False
        )
        futures = [
            client.submit(
                _run,
                shared,
                data,
                buffer_m,
                whole_below,
                key=f"criteria-{i}-{p.gemeenten[0] or 'none'}",
                pure=False,
            )
            for i, (p, data) in enumerate(zip(parts, inputs, strict=True))
        ]
        step("scatter")
        frames = client.gather(futures)
    step("tasks")
    if not frames:
        return raw_criteria(layers, sites, places)
    order = np.concatenate([p.rows for p in parts])
    joined = pd.concat(frames, ignore_index=True)
    joined.index = order
    out = joined.sort_index().reset_index(drop=True)
    step("join")
    return out


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


def on(client: Any, partitions: int | None = None) -> Callable[[Layers, NDArray, NDArray], Any]:
    """``compute.compute_all``'s ``every``: every criterion partitioned on ``client`` (four
    partitions per worker thread unless ``partitions``)."""

    def every(layers: Layers, sites: NDArray, places: NDArray) -> pd.DataFrame:
        count = partitions or max(4 * sum(client.nthreads().values()), 1)
        return raw_criteria_partitioned(layers, sites, places, client=client, partitions=count)

    return every
