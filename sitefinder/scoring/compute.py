"""Raw criteria for every site: each declaration of the catalogue computed for all sites at once.

Sites and layer features are read from PostGIS into shapely 2 arrays (EPSG:28992, metres); each
declaration's ``compute`` is one vectorised call over all of them (``spatial``), never a loop
over sites. The results go back to PostGIS in one COPY into ``site_raw`` (``store``). The same
``raw_criteria`` scores an ad-hoc geometry (``POST /api/score``): an array of one site.

``sitefinder score`` recomputes only what changed: the declarations are grouped by the layer
they read (``criteria.groups``), and a reload of that layer recomputes its group only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import psycopg
import shapely
from psycopg import sql
from psycopg.types.json import Jsonb

from layers import catalogue as layer_catalogue
from sitefinder.core import db
from sitefinder.scoring import store
from sitefinder.scoring.base import Columns, NDArray, Steps
from sitefinder.scoring.criteria import (
    coverage_column,
    coverage_layers,
    declarations,
    groups,
    layer_uses,
    raw_columns,
)
from sitefinder.scoring.declaration import Declaration
from sitefinder.scoring.spatial import Layers, Sites

if TYPE_CHECKING:  # imported where used: the API starts without them (issue 14)
    import pandas as pd

# A site's number of places, the one definition (the score uses it as ``site_raw.places``, the
# API shows that): the pipeline's estimate (offices floor area / 25 m2, plots area / 50 m2),
# else a park's own capacity (pitches). The first key of the site's props that has a value.
PLACES_KEYS = (("places", "estimate"), ("capacity", "capacity"))  # props key, what it is
# Connections the criteria's reads use at once (``read_all``): the sites and three layers
READ_THREADS = 4


def places_sql(props: str = "props") -> str:
    """SQL for the number of places from a site's ``props`` column (our own identifier)."""
    return "COALESCE(" + ", ".join(f"({props} ->> '{k}')::float8" for k, _ in PLACES_KEYS) + ")"


def places_source_sql(props: str = "props") -> str:
    """SQL for where the number of places comes from: ``estimate`` or ``capacity`` (NULL)."""
    cases = " ".join(
        f"WHEN ({props} ->> '{k}') IS NOT NULL THEN '{what}'" for k, what in PLACES_KEYS
    )
    return f"CASE {cases} END"


def read_sites(
    conn: psycopg.Connection[Any], where: sql.Composable | None = None, params: Any = None
) -> pd.DataFrame:
    """Every site's id, places and geometry (``wkb``: WKB bytes, EPSG:28992), by id, fetched
    in binary (``db.fetch_columns``); with ``where`` (a condition of our own on ``s``, the
    site, and ``r``, its ``site_raw`` row, with ``params``) only those sites."""
    import pandas as pd

    query = sql.SQL(
        "SELECT s.id, {places} AS places, ST_AsBinary(s.geom) AS wkb FROM site s{join}"
        " ORDER BY s.id"
    ).format(
        places=sql.SQL(places_sql("s.props")),
        join=sql.SQL("")
        if where is None
        else sql.SQL(" LEFT JOIN site_raw r ON r.site_id = s.id WHERE {where}").format(where=where),
    )
    ids, places, wkb = db.fetch_columns(conn, query, params, width=3)
    return pd.DataFrame(
        {
            "id": np.array(ids, dtype=object),
            "places": np.array(places, dtype=float),
            "wkb": np.array(wkb, dtype=object),
        }
    )


def load_layers(
    conn: psycopg.Connection[Any], names: Iterable[str] | None = None, threads: int = 1
) -> Layers:
    """The layers the catalogue's declarations read (all, or only ``names``) that are loaded
    (``threads``: read at once on as many connections, ``Layers.load``)."""
    return Layers.load(conn, layer_uses(), names, threads=threads)


def read_site_geoms(conn: psycopg.Connection[Any]) -> tuple[pd.DataFrame, NDArray]:
    """``read_sites`` and the sites' geometry decoded (shapely, EPSG:28992)."""
    frame = read_sites(conn)
    return frame, shapely.from_wkb(frame["wkb"].to_numpy(dtype=object))


def read_all(
    conn: psycopg.Connection[Any], names: Iterable[str] | None = None
) -> tuple[Layers, pd.DataFrame, NDArray]:
    """The layers (``load_layers``) and the sites (``read_site_geoms``), read at once on
    connections of their own (``READ_THREADS``): the server's work of one read (cutting the
    Natura 2000 parts, sorting the sites) overlaps the decoding of another here."""
    layers, (frame, geoms) = db.each_connected(
        conn,
        [partial(load_layers, names=names, threads=READ_THREADS - 1), read_site_geoms],
        threads=2,
    )
    return layers, frame, geoms


def _columns_of(
    chosen: Sequence[Declaration], group: str | None, layers: Layers, sites: Sites
) -> Columns:
    """The raw columns of the ``chosen`` declarations and the coverage columns of ``group``."""
    out: Columns = {}
    for declaration in chosen:
        got = declaration.compute(layers, sites)
        declared = [c.name for c in declaration.columns]
        if sorted(got) != sorted(declared) or any(len(v) != len(sites) for v in got.values()):
            raise ValueError(
                f"criterion '{declaration.name}': compute gave {sorted(got)} for"
                f" {len(sites)} sites, not one value per site for each of {declared}"
            )
        out.update(got)
    for layer in coverage_layers(group) if group is not None else []:
        out[coverage_column(layer)] = layers.covered(layer, sites)
    return out


def raw_criteria(
    layers: Layers, sites: NDArray, places: NDArray, group_names: Iterable[str] | None = None
) -> pd.DataFrame:
    """Raw columns for ``sites`` (shapely geometries, EPSG:28992), one column each.

    Distances are straight-line metres. ``group_names`` limits the computation to some groups
    (default: every declaration, including those that read no layer, like ``places``).
    """
    import pandas as pd

    everything = Sites(sites, places)
    by_group = groups()
    frame: Columns = {}
    for name in by_group if group_names is None else group_names:
        frame.update(_columns_of(by_group[name], name, layers, everything))
    if group_names is None:
        siteonly = [d for d in declarations() if not d.group]
        frame.update(_columns_of(siteonly, None, layers, everything))
    return pd.DataFrame(frame)


# (connection, staging table, computed at, steps) -> sites written: every raw column of every
# site, as ``raw_criteria`` gives them, written into the (committed) staging table
Everything = Callable[[psycopg.Connection[Any], str, datetime, Steps], int]


@dataclass
class ComputeSummary:
    sites: int
    groups: list[str]  # the groups recomputed ([] when nothing changed)
    seconds: dict[str, float]
    missing: dict[str, int]


def _layer_versions(conn: psycopg.Connection[Any]) -> dict[str, int]:
    rows = conn.execute(
        "SELECT layer, max(id) AS run FROM etl_run WHERE status = 'ok' GROUP BY layer"
    ).fetchall()
    return {row["layer"]: int(row["run"]) for row in rows}


def _changed_groups(
    previous: dict[str, int] | None, current: dict[str, int], added: list[str]
) -> list[str] | None:
    """The groups to recompute; None means everything (sites changed, or a new column that
    depends on the sites only).

    ``added``: raw columns just added to ``site_raw`` (a new criterion): their groups are
    computed whatever changed.
    """
    if previous is None:
        return None
    changed = {
        name for name in set(previous) | set(current) if previous.get(name) != current.get(name)
    }
    site_layers = {layer.name for layer in layer_catalogue().values() if layer.kind == "site"}
    if changed & site_layers:
        return None
    new = set(added)
    if any(not d.group and new & {c.name for c in d.columns} for d in declarations()):
        return None
    out = []
    for name, members in groups().items():
        reads = {layer for d in members for layer in d.layer_names}
        columns = {c.name for d in members for c in d.columns} | {
            coverage_column(layer) for layer in coverage_layers(name)
        }
        if reads & changed or columns & new:
            out.append(name)
    return out


def _record(conn: psycopg.Connection[Any], current: dict[str, int]) -> None:
    """The scoring state: a new version, computed now, from these layer runs."""
    conn.execute(
        "INSERT INTO scoring_state (id, version, computed_at, layers)"
        " VALUES (1, 1, now(), %s) ON CONFLICT (id) DO UPDATE"
        " SET version = scoring_state.version + 1, computed_at = now(),"
        " layers = EXCLUDED.layers",
        (Jsonb(current),),
    )


def compute_all(
    conn: psycopg.Connection[Any],
    progress: Callable[[str], None] | None = None,
    *,
    full: bool = False,
    every: Everything | None = None,
) -> ComputeSummary:
    """Bring ``site_raw`` up to date.

    Recomputes only the groups whose layer was reloaded since the last computation (or whose
    columns are new), in one transaction, unless site layers changed (then every site is
    recomputed) or ``full`` is set. Every criterion of every site goes into a new table
    (``store.staging``), written at once on several connections, which then replaces
    ``site_raw`` in one transaction (``store.swap``): readers see the old rows or the new.
    ``every``: how to fill that table instead (``scoring.partitioned.on``: on Dask, each
    worker reading and writing its partition itself).
    """
    timings: dict[str, float] = {}
    step = Steps(timings, progress)

    with conn.transaction():
        added = store.ensure_columns(conn)
        state = conn.execute("SELECT layers FROM scoring_state WHERE id = 1").fetchone()
        current = _layer_versions(conn)
        n_raw = conn.execute("SELECT count(*) AS n FROM site_raw").fetchone()
        n_site = conn.execute("SELECT count(*) AS n FROM site").fetchone()
        previous = state["layers"] if state and not full else None
        if n_raw is None or n_site is None or n_raw["n"] != n_site["n"]:
            previous = None
        chosen = _changed_groups(previous, current, added)
        if chosen == []:
            n = int(n_site["n"]) if n_site else 0
            return ComputeSummary(n, [], timings, store.missing_counts(conn))
        if chosen is not None:
            by_group = groups()
            needed = {layer for name in chosen for d in by_group[name] for layer in d.layer_names}
            layers, frame, sites = read_all(conn, needed)
            step("read")
            raw = raw_criteria(layers, sites, frame["places"].to_numpy(dtype=float), chosen)
            raw.insert(0, "site_id", frame["id"])
            step("criteria")
            columns = [c for c in raw_columns() if c.name in raw.columns]
            store.update(conn, raw, columns, datetime.now(UTC))
            _record(conn, current)
            step("write")
            return ComputeSummary(len(raw), chosen, timings, store.missing_counts(conn))

    now = datetime.now(UTC)
    table = store.staging(conn)
    try:
        if every is None:
            layers, frame, sites = read_all(conn)
            step("read")
            raw = raw_criteria(layers, sites, frame["places"].to_numpy(dtype=float))
            raw.insert(0, "site_id", frame["id"])
            step("criteria")
            store.write_at_once(conn, table, raw, raw_columns(), now)
            n = len(raw)
        else:
            n = every(conn, table, now, step)  # its own steps
        with conn.transaction():
            store.swap(conn, table)
            _record(conn, current)
        step("write" if every is None else "swap")
    finally:
        store.drop(conn, table)
    return ComputeSummary(n, list(groups()), timings, store.missing_counts(conn))
