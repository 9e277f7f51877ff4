"""Raw criteria for every site: one vectorised spatial call per criterion, no loop over sites.

Sites and layer features are read from PostGIS as WKB into shapely 2 arrays (EPSG:28992,
metres). Each criterion is one bulk query on a shapely ``STRtree`` (GEOS, in C): nearest
neighbour with distance, neighbours within a radius, or point-in-polygon. The results go back to
PostGIS in one COPY into ``site_raw``. The same functions score an ad-hoc geometry
(``POST /api/score``): it is just an array of one site.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import shapely
from shapely import STRtree

from layers import catalogue

NDArray = np.ndarray[Any, Any]
CARE_RADIUS_M = 1000.0
# Beyond this distance (metres) every value function is 0: the nearest-neighbour search stops
# there first, and only the sites it did not reach are searched without a limit.
NEAREST_CAP_M = 5000.0
COVERED_LAYERS = ("stops", "care", "supermarkets", "zoning", "natura2000")


@dataclass
class LayerIndex:
    """One layer's features in memory: ids, names, categories, geometry and an STRtree."""

    name: str
    ids: NDArray
    names: NDArray
    categories: NDArray
    geoms: NDArray
    dph: NDArray  # departures per hour (stops only; NaN when unknown)
    coverage: shapely.Geometry | None  # None: no data anywhere; national: a box of all NL
    tree: STRtree = field(init=False)

    def __post_init__(self) -> None:
        self.tree = STRtree(self.geoms)

    def subset(self, mask: NDArray) -> LayerIndex:
        return LayerIndex(
            self.name,
            self.ids[mask],
            self.names[mask],
            self.categories[mask],
            self.geoms[mask],
            self.dph[mask],
            self.coverage,
        )

    def __len__(self) -> int:
        return len(self.ids)


NL_BOX = shapely.box(-7000.0, 289000.0, 300000.0, 629000.0)


def load_layer(conn: psycopg.Connection[Any], name: str) -> LayerIndex:
    """Read one layer (table from the catalogue) and its coverage polygon from PostGIS."""
    layer = catalogue()[name]
    table = psycopg.sql.Identifier(layer.table)
    category = psycopg.sql.SQL("category" if layer.table in ("poi", "area") else "kind")
    rows = conn.execute(
        psycopg.sql.SQL(
            "SELECT id, name, {category} AS category,"
            " (props ->> 'departures_per_hour')::float8 AS dph, ST_AsBinary(geom) AS wkb"
            " FROM {table} WHERE layer = %s ORDER BY id"
        ).format(category=category, table=table),
        (name,),
    ).fetchall()
    cov = conn.execute(
        "SELECT national, ST_AsBinary(geom) AS wkb FROM layer_coverage WHERE layer = %s", (name,)
    ).fetchone()
    coverage = None
    if cov is not None:
        coverage = NL_BOX if cov["national"] else shapely.from_wkb(cov["wkb"])
    frame = pd.DataFrame(rows, columns=["id", "name", "category", "dph", "wkb"])
    return LayerIndex(
        name=name,
        ids=frame["id"].to_numpy(dtype=object),
        names=frame["name"].to_numpy(dtype=object),
        categories=frame["category"].to_numpy(dtype=object),
        geoms=shapely.from_wkb(frame["wkb"].to_numpy(dtype=object)),
        dph=frame["dph"].to_numpy(dtype=float),
        coverage=coverage,
    )


def covered(index: LayerIndex | None, sites: NDArray) -> NDArray:
    """Whether each site lies (at least partly) in the layer's coverage."""
    if index is None or index.coverage is None:
        return np.zeros(len(sites), dtype=bool)
    shapely.prepare(index.coverage)
    return np.asarray(shapely.intersects(index.coverage, sites), dtype=bool)


def nearest(index: LayerIndex | None, sites: NDArray) -> tuple[NDArray, NDArray]:
    """Index into the layer of each site's nearest feature and the distance in metres.

    -1 and NaN where the layer is empty. Distances are 0 where the site intersects a feature.
    """
    n = len(sites)
    found = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.nan)
    if index is None or len(index) == 0 or n == 0:
        return found, dist
    for cap in (NEAREST_CAP_M, None):
        todo = np.flatnonzero(found < 0)
        if len(todo) == 0:
            break
        (src, tgt), d = index.tree.query_nearest(
            sites[todo], max_distance=cap, return_distance=True, all_matches=False
        )
        found[todo[src]] = tgt
        dist[todo[src]] = d
    return found, dist


def count_within(index: LayerIndex | None, sites: NDArray, radius_m: float) -> NDArray:
    """Number of layer features within ``radius_m`` metres of each site."""
    if index is None or len(index) == 0:
        return np.zeros(len(sites), dtype=np.int64)
    src, _ = index.tree.query(sites, predicate="dwithin", distance=radius_m)
    return np.bincount(src, minlength=len(sites))


def first_containing(index: LayerIndex | None, points: NDArray) -> NDArray:
    """Index of the first (by id) layer polygon containing each point; -1 where none does."""
    out = np.full(len(points), -1, dtype=np.int64)
    if index is None or len(index) == 0:
        return out
    src, tgt = index.tree.query(points, predicate="intersects")
    if len(src):
        order = np.lexsort((tgt, src))  # per site, the lowest feature index = lowest id
        src, tgt = src[order], tgt[order]
        first = np.unique(src, return_index=True)[1]
        out[src[first]] = tgt[first]
    return out


def _pick(values: NDArray, idx: NDArray) -> NDArray:
    out = np.full(len(idx), None, dtype=object)
    ok = idx >= 0
    out[ok] = values[idx[ok]]
    return out


def _pick_float(values: NDArray, idx: NDArray) -> NDArray:
    out = np.full(len(idx), np.nan)
    ok = idx >= 0
    out[ok] = values[idx[ok]]
    return out


@dataclass
class Layers:
    """The criterion layers in memory, loaded once per data version."""

    by_name: dict[str, LayerIndex | None]
    local: LayerIndex | None
    rail: LayerIndex | None
    constraints: list[LayerIndex]

    @classmethod
    def load(cls, conn: psycopg.Connection[Any]) -> Layers:
        loaded = {
            row["layer"] for row in conn.execute("SELECT layer FROM layer_coverage").fetchall()
        }
        by_name = {
            name: (load_layer(conn, name) if name in loaded else None) for name in COVERED_LAYERS
        }
        stops = by_name["stops"]
        local = rail = None
        if stops is not None:
            is_rail = stops.categories == "rail"
            local, rail = stops.subset(~is_rail), stops.subset(is_rail)
        constraints = [
            load_layer(conn, layer.name)
            for layer in catalogue().values()
            if layer.kind == "constraint" and layer.name != "natura2000" and layer.name in loaded
        ]
        return cls(by_name=by_name, local=local, rail=rail, constraints=constraints)


def raw_criteria(layers: Layers, sites: NDArray, places: NDArray) -> pd.DataFrame:
    """Every raw criterion for ``sites`` (shapely geometries, EPSG:28992), one column each.

    Distances are straight-line metres; ``care_n`` counts care within ``CARE_RADIUS_M``.
    """
    get = layers.by_name.get
    frame: dict[str, Any] = {}
    for prefix, index in (("stop_local", layers.local), ("stop_rail", layers.rail)):
        idx, dist = nearest(index, sites)
        frame[f"{prefix}_id"] = _pick(index.ids, idx) if index else np.full(len(sites), None)
        frame[f"{prefix}_m"] = dist
        frame[f"{prefix}_dph"] = (
            _pick_float(index.dph, idx) if index else np.full(len(sites), np.nan)
        )
    for prefix, name in (("care", "care"), ("supermarket", "supermarkets")):
        index = get(name)
        idx, dist = nearest(index, sites)
        frame[f"{prefix}_id"] = _pick(index.ids, idx) if index else np.full(len(sites), None)
        frame[f"{prefix}_m"] = dist
    frame["care_n"] = count_within(get("care"), sites, CARE_RADIUS_M)
    zoning = get("zoning")
    idx = first_containing(zoning, shapely.point_on_surface(sites))
    frame["zoning_id"] = _pick(zoning.ids, idx) if zoning else np.full(len(sites), None)
    frame["zoning_class"] = _pick(zoning.categories, idx) if zoning else np.full(len(sites), None)
    n2k = get("natura2000")
    idx, dist = nearest(n2k, sites)
    frame["natura2000_id"] = _pick(n2k.ids, idx) if n2k else np.full(len(sites), None)
    frame["natura2000_m"] = dist
    hit_src, hit_ids = [], []
    for index in layers.constraints:
        src, tgt = index.tree.query(sites, predicate="intersects")
        hit_src.append(src)
        hit_ids.append(index.ids[tgt])
    constraint_ids = np.full(len(sites), None, dtype=object)
    if hit_src and sum(len(h) for h in hit_src):
        grouped = pd.Series(np.concatenate(hit_ids)).groupby(np.concatenate(hit_src)).agg(list)
        constraint_ids[grouped.index.to_numpy()] = grouped.to_numpy()
    frame["constraint_ids"] = constraint_ids
    frame["places"] = places
    for name in COVERED_LAYERS:
        frame[f"cov_{name}"] = covered(get(name), sites)
    return pd.DataFrame(frame)


RAW_COLUMNS = [
    "stop_local_id",
    "stop_local_m",
    "stop_local_dph",
    "stop_rail_id",
    "stop_rail_m",
    "stop_rail_dph",
    "care_id",
    "care_m",
    "care_n",
    "supermarket_id",
    "supermarket_m",
    "zoning_id",
    "zoning_class",
    "natura2000_id",
    "natura2000_m",
    "constraint_ids",
    "places",
    "cov_stops",
    "cov_care",
    "cov_supermarkets",
    "cov_zoning",
    "cov_natura2000",
]


def _none_if_nan(value: Any) -> Any:
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclass
class ComputeSummary:
    sites: int
    seconds: dict[str, float]
    missing: dict[str, int]


def compute_all(
    conn: psycopg.Connection[Any], progress: Callable[[str], None] | None = None
) -> ComputeSummary:
    """Recompute ``site_raw`` for every site (and the site's gemeente), in one transaction."""
    import time

    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    def step(name: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        timings[name] = round(now - t0, 3)
        t0 = now
        if progress:
            progress(name)

    with conn.transaction():
        conn.execute(
            "UPDATE site s SET gemeentecode = g.code FROM area g"
            " WHERE g.layer = 'gemeenten' AND ST_Intersects(g.geom, ST_PointOnSurface(s.geom))"
            " AND s.gemeentecode IS DISTINCT FROM g.code"
        )
        step("gemeente")
        layers = Layers.load(conn)
        rows = conn.execute(
            # places: estimated by the pipeline (offices, plots), or a park's pitch capacity
            "SELECT id, COALESCE((props ->> 'places')::float8, (props ->> 'capacity')::float8)"
            " AS places, ST_AsBinary(geom) AS wkb"
            " FROM site ORDER BY id"
        ).fetchall()
        frame = pd.DataFrame(rows, columns=["id", "places", "wkb"])
        sites = shapely.from_wkb(frame["wkb"].to_numpy(dtype=object))
        step("read")
        raw = raw_criteria(layers, sites, frame["places"].to_numpy(dtype=float))
        raw.insert(0, "site_id", frame["id"])
        step("criteria")
        conn.execute("DELETE FROM site_raw")
        now = datetime.now(UTC)
        cols = ", ".join(["site_id", *RAW_COLUMNS, "computed_at"])
        with conn.cursor().copy(f"COPY site_raw ({cols}) FROM STDIN") as copy:
            for row in raw[["site_id", *RAW_COLUMNS]].itertuples(index=False, name=None):
                copy.write_row([_none_if_nan(v) for v in row] + [now])
        conn.execute(
            "INSERT INTO scoring_state (id, version, computed_at, care_radius_m)"
            " VALUES (1, 1, now(), %s) ON CONFLICT (id) DO UPDATE"
            " SET version = scoring_state.version + 1, computed_at = now(),"
            " care_radius_m = EXCLUDED.care_radius_m",
            (CARE_RADIUS_M,),
        )
        step("write")
    missing = {name: int((~raw[f"cov_{name}"]).sum()) for name in COVERED_LAYERS}
    return ComputeSummary(sites=len(raw), seconds=timings, missing=missing)
