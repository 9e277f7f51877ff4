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


def places_sql(props: str = "props") -> str:
    """SQL for the number of places from a site's ``props`` column (our own identifier)."""
    return "COALESCE(" + ", ".join(f"({props} ->> '{k}')::float8" for k, _ in PLACES_KEYS) + ")"


def places_source_sql(props: str = "props") -> str:
    """SQL for where the number of places comes from: ``estimate`` or ``capacity`` (NULL)."""
    cases = " ".join(
        f"WHEN ({props} ->> '{k}') IS NOT NULL THEN '{what}'" for k, what in PLACES_KEYS
    )
    return f"CASE {cases} END"


def read_sites(conn: psycopg.Connection[Any]) -> pd.DataFrame:
    """Every site's id, places and geometry (``wkb``: WKB bytes, EPSG:28992), by id, fetched
    in binary (``db.fetch_columns``)."""
    import pandas as pd

    query = sql.SQL(
        f"SELECT id, {places_sql()} AS places, ST_AsBinary(geom) AS wkb FROM site ORDER BY id"
    )
    ids, places, wkb = db.fetch_columns(conn, query, width=3)
    return pd.DataFrame(
        {
            "id": np.array(ids, dtype=object),
            "places": np.array(places, dtype=float),
            "wkb": np.array(wkb, dtype=object),
        }
    )


def load_layers(conn: psycopg.Connection[Any], names: Iterable[str] | None = None) -> Layers:
    """The layers the catalogue's declarations read (all, or only ``names``) that are loaded."""
    return Layers.load(conn, layer_uses(), names)


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


# (layers, sites, places) -> every raw column of every site, as ``raw_criteria`` gives them
AllCriteria = Callable[[Layers, NDArray, NDArray], "pd.DataFrame"]


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


def compute_all(
    conn: psycopg.Connection[Any],
    progress: Callable[[str], None] | None = None,
    *,
    full: bool = False,
    every: AllCriteria | None = None,
) -> ComputeSummary:
    """Bring ``site_raw`` up to date, in one transaction.

    Recomputes only the groups whose layer was reloaded since the last computation (or whose
    columns are new), unless site layers changed (then every site is recomputed) or ``full``
    is set. ``every``: how to compute every criterion of every site when all are recomputed
    (default ``raw_criteria``; ``scoring.partitioned`` gives one that runs on Dask).
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
        needed = None
        if chosen is not None:
            by_group = groups()
            needed = {layer for name in chosen for d in by_group[name] for layer in d.layer_names}
        layers = load_layers(conn, needed)
        frame = read_sites(conn)
        sites = shapely.from_wkb(frame["wkb"].to_numpy(dtype=object))
        step("read")
        places = frame["places"].to_numpy(dtype=float)
        if every is not None and chosen is None:
            raw = every(layers, sites, places)  # e.g. partitioned on a Dask cluster
        else:
            raw = raw_criteria(layers, sites, places, chosen)
        raw.insert(0, "site_id", frame["id"])
        step("criteria")
        now = datetime.now(UTC)
        if chosen is None:
            store.replace(conn, "site_raw", raw, raw_columns(), now)
        else:
            store.update(conn, raw, [c for c in raw_columns() if c.name in raw.columns], now)
        conn.execute(
            "INSERT INTO scoring_state (id, version, computed_at, layers)"
            " VALUES (1, 1, now(), %s) ON CONFLICT (id) DO UPDATE"
            " SET version = scoring_state.version + 1, computed_at = now(),"
            " layers = EXCLUDED.layers",
            (Jsonb(current),),
        )
        step("write")
    return ComputeSummary(
        sites=len(raw),
        groups=list(groups()) if chosen is None else chosen,
        seconds=timings,
        missing=store.missing_counts(conn),
    )
