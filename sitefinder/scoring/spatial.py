"""Layers and sites in memory, and the bulk spatial queries the criteria are computed with.

Sites and layer features are read from PostGIS as WKB into shapely 2 arrays (EPSG:28992,
metres). Each query is one bulk call on a spatial index, in C, never a loop over sites: a scipy
k-d tree for point sites against point layers (nearest neighbour, neighbours within a radius),
a shapely/GEOS ``STRtree`` for everything else (polygon sites, polygon layers,
point-in-polygon). The same functions serve an ad-hoc geometry (``POST /api/score``): an array
of one site.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property, partial
from itertools import chain
from typing import Any, TypeVar

import numpy as np
import psycopg
import shapely
from psycopg import sql
from shapely import STRtree

from layers import catalogue
from sitefinder.core import db
from sitefinder.core.crs import RD_BOUNDS
from sitefinder.scoring.base import Columns, LayerUse, NDArray

# Beyond this distance (metres) every value function is 0: the nearest-neighbour search stops
# there first, and only the sites it did not reach are searched without a limit.
NEAREST_CAP_M = 5000.0
# Large polygons (Natura 2000 areas, municipalities, constraints) are cut into parts of at most
# this many vertices (ST_Subdivide) when a declaration reads them as ``parts``: distance and
# point-in-polygon tests then touch a few small parts instead of a whole area with 100,000
# vertices.
SUBDIVIDE_VERTICES = 128
NL_BOX = shapely.box(*RD_BOUNDS)
T = TypeVar("T")
Box = tuple[float, float, float, float]  # xmin, ymin, xmax, ymax (metres, EPSG:28992)


@dataclass
class LayerIndex:
    """One layer's features in memory: ids, names, categories, geometry (EPSG:28992), trees.

    ``numbers`` holds the numeric ``props`` the declarations asked for (NaN when a feature has
    none), e.g. ``departures_per_hour`` of stops; ``texts`` the text ``props`` (None when a
    feature has none), e.g. the ``planstatus`` of zoning plans.
    """

    name: str
    ids: NDArray
    names: NDArray
    categories: NDArray
    geoms: NDArray
    numbers: dict[str, NDArray] = field(default_factory=dict)
    texts: dict[str, NDArray] = field(default_factory=dict)
    tree: STRtree = field(init=False)

    def __post_init__(self) -> None:
        import pandas as pd
        from scipy.spatial import cKDTree

        self.tree = STRtree(self.geoms)
        # A layer of points also gets a k-d tree: point-to-point nearest neighbours and
        # radius counts for point sites are then one scipy call, about ten times faster than
        # the geometry tree (polygon sites still use the STRtree for exact distances).
        self.kdtree: cKDTree | None = None
        # per point the first (lowest id) point at the same coordinates: the k-d tree names
        # any one of several points in one place, the answer must not depend on which
        self.first_here: NDArray | None = None
        kinds = shapely.get_type_id(self.geoms)
        if len(self.geoms) and bool((kinds == shapely.GeometryType.POINT).all()):
            xy = shapely.get_coordinates(self.geoms)
            self.kdtree = cKDTree(xy)
            # one place = one complex number x + iy: a hash, not a sort of coordinate pairs
            group = np.asarray(pd.factorize(xy[:, 0] + 1j * xy[:, 1])[0], dtype=np.int64)
            first = np.full(int(group.max()) + 1, len(xy), dtype=np.int64)
            np.minimum.at(first, group, np.arange(len(xy)))
            self.first_here = first[group]

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled (e.g. to a Dask worker) as its data only, the geometry as WKB (one
        vectorised call; a shapely geometry pickles one by one, in Python): the trees are
        built again there."""
        data = (self.name, self.ids, self.names, self.categories, shapely.to_wkb(self.geoms))
        return (_unpickled, (*data, self.numbers, self.texts))

    def clip(self, box: shapely.Geometry) -> LayerIndex:
        """The features whose envelope meets ``box`` (EPSG:28992), in the layer's order (so
        that "the first by id" stays the first), with their own trees."""
        mask = np.zeros(len(self), dtype=bool)
        mask[self.tree.query(box)] = True
        return self.subset(mask)

    def subset(self, mask: NDArray) -> LayerIndex:
        """The features where ``mask`` holds, with their own trees."""
        return LayerIndex(
            self.name,
            self.ids[mask],
            self.names[mask],
            self.categories[mask],
            self.geoms[mask],
            {key: values[mask] for key, values in self.numbers.items()},
            {key: values[mask] for key, values in self.texts.items()},
        )

    @classmethod
    def joined(cls, name: str, parts: Iterable[LayerIndex]) -> LayerIndex:
        """The features of several layers as one (stops of every feed), with their own trees;
        a number or text one part lacks is NaN / None there."""
        parts = list(parts)
        numbers = dict.fromkeys(key for part in parts for key in part.numbers)
        texts = dict.fromkeys(key for part in parts for key in part.texts)

        def column(part: LayerIndex, key: str, numeric: bool) -> NDArray:
            found = (part.numbers if numeric else part.texts).get(key)
            if found is not None:
                return found
            return np.full(len(part), np.nan) if numeric else np.full(len(part), None, object)

        def cat(values: list[NDArray], dtype: Any) -> NDArray:
            return np.concatenate(values) if values else np.zeros(0, dtype=dtype)

        return cls(
            name,
            cat([p.ids for p in parts], object),
            cat([p.names for p in parts], object),
            cat([p.categories for p in parts], object),
            cat([p.geoms for p in parts], object),
            {k: cat([column(p, k, True) for p in parts], float) for k in numbers},
            {k: cat([column(p, k, False) for p in parts], object) for k in texts},
        )

    def __len__(self) -> int:
        return len(self.ids)


def _unpickled(
    name: str,
    ids: NDArray,
    names: NDArray,
    categories: NDArray,
    wkb: NDArray,
    numbers: dict[str, NDArray],
    texts: dict[str, NDArray],
) -> LayerIndex:
    """A ``LayerIndex`` from what ``LayerIndex.__reduce__`` pickled."""
    return LayerIndex(name, ids, names, categories, shapely.from_wkb(wkb), numbers, texts)


def load_layer(
    conn: psycopg.Connection[Any],
    name: str,
    *,
    parts: bool = False,
    numbers: Iterable[str] = (),
    texts: Iterable[str] = (),
    box: Box | None = None,
) -> LayerIndex:
    """Read one layer (its table from the layer catalogue) from PostGIS, EPSG:28992, with the
    numeric and text ``props`` asked for; with ``box`` (xmin, ymin, xmax, ymax, metres) only
    the features whose envelope meets it (``&&``, the table's spatial index), in the same id
    order, every part of each (``parts``: a feature is cut as in a whole read)."""

    layer = catalogue()[name]
    keys = list(numbers)
    words = list(texts)
    category = sql.SQL(
        {"poi": "category", "area": "COALESCE(category, code)"}.get(layer.table, "kind")
    )
    geom: sql.Composable = sql.SQL("geom")
    if parts:
        geom = sql.SQL("ST_Subdivide(geom, {n})").format(n=sql.Literal(SUBDIVIDE_VERTICES))
    extra = sql.SQL("").join(
        [
            *(
                sql.SQL(", (props ->> %s)::float8 AS {}").format(sql.Identifier(f"n{i}"))
                for i in range(len(keys))
            ),
            *(
                sql.SQL(", props ->> %s AS {}").format(sql.Identifier(f"t{i}"))
                for i in range(len(words))
            ),
        ]
    )
    within = sql.SQL("")
    bound: tuple[Any, ...] = ()
    if box is not None:
        within = sql.SQL(" AND geom && ST_MakeEnvelope(%s, %s, %s, %s, 28992)")
        bound = tuple(float(v) for v in box)
    query = sql.SQL(
        "SELECT id, name, {category} AS category, ST_AsBinary({geom}) AS wkb"
        "{extra} FROM {table} WHERE layer = %s{within} ORDER BY id"
    ).format(
        category=category,
        geom=geom,
        extra=extra,
        table=sql.Identifier(layer.table),
        within=within,
    )
    # binary (WKB as bytes, NULL as None): many times faster than rows as text at hundreds of
    # thousands of features
    ids, names, categories, wkb, *props = db.fetch_columns(
        conn, query, (*keys, *words, name, *bound), width=4 + len(keys) + len(words)
    )
    return LayerIndex(
        name=name,
        ids=np.array(ids, dtype=object),
        names=np.array(names, dtype=object),
        categories=np.array(categories, dtype=object),
        geoms=shapely.from_wkb(np.array(wkb, dtype=object)),
        numbers={key: np.array(props[i], dtype=float) for i, key in enumerate(keys)},
        texts={key: np.array(props[len(keys) + i], dtype=object) for i, key in enumerate(words)},
    )


@dataclass
class Layers:
    """The layers the criteria read, in memory, loaded once per data version.

    ``coverage`` holds each loaded layer's coverage polygon (EPSG:28992; the box of the
    Netherlands for a national layer); a layer never loaded has no entry and no index.
    """

    indexes: dict[tuple[str, bool], LayerIndex]
    coverage: dict[str, shapely.Geometry]
    _memo: dict[Any, Any] = field(default_factory=dict)

    @classmethod
    def load(
        cls,
        conn: psycopg.Connection[Any],
        uses: Iterable[LayerUse],
        names: Iterable[str] | None = None,
        *,
        box: Box | None = None,
        clipped: Iterable[str] = (),
        threads: int = 1,
    ) -> Layers:
        """Load the layers of ``uses`` (only those in ``names``, when given) that are loaded.

        A layer read both whole and as parts is loaded twice; the numeric and text props of
        every use of a layer are read together. The layers named in ``clipped`` are read only
        where their features meet ``box`` (``load_layer``). ``threads`` > 1: the layers are
        read at once on as many connections of their own (``db.each_connected``), so that
        PostgreSQL's work (cutting the parts, reading the rows) runs beside the decoding here.
        """
        loaded = {
            row["layer"]: row
            for row in conn.execute(
                "SELECT layer, national, ST_AsBinary(geom) AS wkb FROM layer_coverage"
            )
        }
        wanted = None if names is None else set(names)
        numbers: dict[tuple[str, bool], list[str]] = {}
        texts: dict[tuple[str, bool], list[str]] = {}
        for use in uses:
            if use.layer in loaded and (wanted is None or use.layer in wanted):
                keys = numbers.setdefault((use.layer, use.parts), [])
                keys += [k for k in use.numbers if k not in keys]
                words = texts.setdefault((use.layer, use.parts), [])
                words += [k for k in use.texts if k not in words]
        clip = set(clipped)
        reads = [
            partial(
                load_layer,
                name=name,
                parts=parts,
                numbers=keys,
                texts=texts[name, parts],
                box=box if name in clip else None,
            )
            for (name, parts), keys in numbers.items()
        ]
        indexes = dict(zip(numbers, db.each_connected(conn, reads, threads), strict=True))
        coverage = {
            name: NL_BOX if loaded[name]["national"] else shapely.from_wkb(loaded[name]["wkb"])
            for name, _ in numbers
        }
        return cls(indexes=indexes, coverage=coverage)

    def clip(self, box: shapely.Geometry, whole_below: int = 0) -> Layers:
        """The layers with only the features whose envelope meets ``box`` (coverage whole);
        a layer of fewer than ``whole_below`` features stays whole (the same index, its trees
        built once). Nothing to clip: these same layers (what ``memo`` prepared kept)."""
        if all(len(index) < whole_below for index in self.indexes.values()):
            return self
        return Layers(
            indexes={
                key: index if len(index) < whole_below else index.clip(box)
                for key, index in self.indexes.items()
            },
            coverage=self.coverage,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled without what ``memo`` prepared (built again where it is needed)."""
        return (Layers, (self.indexes, self.coverage))

    def get(self, name: str, *, parts: bool = False) -> LayerIndex | None:
        """The layer's features (as ``parts`` when read so), None when it is not loaded."""
        return self.indexes.get((name, parts))

    def memo(self, key: Any, build: Callable[[], T]) -> T:
        """``build()`` once per loaded data (e.g. a subset of a layer with its own trees)."""
        if key not in self._memo:
            self._memo[key] = build()
        value: T = self._memo[key]
        return value

    def covered(self, name: str, sites: Sites) -> NDArray:
        """Whether each site lies (at least partly) in the layer's coverage."""
        area = self.coverage.get(name)
        if area is None:
            return np.zeros(len(sites), dtype=bool)
        shapely.prepare(area)
        return np.asarray(shapely.intersects(area, sites.geoms), dtype=bool)


class Sites:
    """The sites being scored: geometry (EPSG:28992) and estimated places, as arrays.

    What several criteria need of the sites (which are points, their coordinates, a point on
    each surface) is worked out once.
    """

    def __init__(self, geoms: NDArray, places: NDArray) -> None:
        self.geoms = np.asarray(geoms, dtype=object)
        self.places = np.asarray(places, dtype=float)

    def __len__(self) -> int:
        return len(self.geoms)

    @cached_property
    def point_rows(self) -> NDArray:
        """Positions of the sites that are single points."""
        return np.flatnonzero(shapely.get_type_id(self.geoms) == shapely.GeometryType.POINT)

    @cached_property
    def point_xy(self) -> NDArray:
        """x, y (metres) of the point sites, in the order of ``point_rows``."""
        xy: NDArray = shapely.get_coordinates(self.geoms[self.point_rows])
        return xy

    @cached_property
    def other_rows(self) -> NDArray:
        """Positions of the sites that are not single points (polygons)."""
        return np.setdiff1d(np.arange(len(self)), self.point_rows, assume_unique=True)

    @cached_property
    def bounds(self) -> NDArray:
        """xmin, ymin, xmax, ymax of each site (metres), n x 4."""
        found: NDArray = shapely.bounds(self.geoms)
        return found

    @cached_property
    def tree(self) -> STRtree:
        """A tree of the sites themselves (for a query with a few large features)."""
        return STRtree(self.geoms)

    @cached_property
    def surface_points(self) -> NDArray:
        """A point on each site's surface (the site itself for a point)."""
        points: NDArray = self.geoms.copy()
        points[self.other_rows] = shapely.point_on_surface(self.geoms[self.other_rows])
        return points


def _first_of_pairs(
    src: NDArray, tgt: NDArray, d: NDArray, rows: NDArray, found: NDArray, dist: NDArray
) -> None:
    """Per query (``src``, a position into ``rows``) the nearest candidate ``tgt`` (distance
    ``d``) and of several at that distance the first (lowest index = lowest id), written into
    ``found`` and ``dist`` at ``rows[src]``."""
    if len(src) == 0:
        return
    order = np.lexsort((tgt, d, src))
    src, tgt, d = src[order], tgt[order], d[order]
    first = np.unique(src, return_index=True)[1]
    found[rows[src[first]]] = tgt[first]
    dist[rows[src[first]]] = d[first]


def _nearest_points_to_shapes(
    index: LayerIndex, geoms: NDArray, cap: float | None
) -> tuple[NDArray, NDArray, NDArray]:
    """Candidate pairs (site position, point of the layer, metres) for sites that are not
    points against a layer of points: every point that can be the nearest, never fewer.

    A shape lies within ``half`` (half its bounding box's diagonal) of its box's centre ``c``.
    The point nearest ``c`` (a k-d tree call) is at most ``d_c + half`` from the shape, and a
    point nearer the shape than that lies within ``d_c + 2 half`` of ``c``: the k-d tree gives
    those (one call), GEOS the exact distance of each pair, the distance ``query_nearest``
    computes. About ten times faster than ``query_nearest`` at a quarter of a million plots.
    ``cap``: only points within that many metres of the shape.
    """
    assert index.kdtree is not None
    bounds = shapely.bounds(geoms)
    ok = np.flatnonzero(np.isfinite(bounds).all(axis=1))  # an empty geometry has no nearest
    bounds = bounds[ok]
    centre = (bounds[:, :2] + bounds[:, 2:]) / 2
    half = np.hypot(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1]) / 2
    d_c = index.kdtree.query(centre, k=1, workers=-1)[0]
    reach = d_c + 2 * half
    if cap is not None:
        keep = d_c - half <= cap  # farther: every point lies beyond the cap
        ok, centre, reach = ok[keep], centre[keep], np.minimum(reach[keep], cap + half[keep])
    # a hair wider than the reach: rounding must never drop the nearest point
    found = index.kdtree.query_ball_point(centre, reach * (1.0 + 1e-9) + 1e-6, workers=-1)
    counts = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
    tgt = np.fromiter(chain.from_iterable(found), dtype=np.int64, count=int(counts.sum()))
    src = np.repeat(ok, counts)
    d = shapely.distance(geoms[src], index.geoms[tgt])
    if cap is not None:
        near = d <= cap
        src, tgt, d = src[near], tgt[near], d[near]
    return src, tgt, d


def _nearest_shapes_within(
    index: LayerIndex, sites: Sites, cap: float
) -> tuple[NDArray, NDArray, NDArray]:
    """Candidate pairs (site position, feature of the layer, metres) of every feature within
    ``cap`` metres of a site that can be its nearest, for a layer of shapes (Natura 2000 parts).

    The features' boxes grown by ``cap`` are looked up in a tree of the sites (one call, a few
    thousand queries instead of a million); a pair's box-to-box distance is a lower bound of
    its distance. GEOS measures, per site, first the pair with the nearest box, then only the
    pairs whose box is no farther than that distance: the same answer as ``query_nearest``
    (which measures every pair it cannot rule out), several times faster at a million sites.
    """
    lb = shapely.bounds(index.geoms)
    grown = shapely.box(lb[:, 0] - cap, lb[:, 1] - cap, lb[:, 2] + cap, lb[:, 3] + cap)
    tgt, src = sites.tree.query(grown)
    sb = sites.bounds
    dx = np.maximum(np.maximum(lb[tgt, 0] - sb[src, 2], sb[src, 0] - lb[tgt, 2]), 0.0)
    dy = np.maximum(np.maximum(lb[tgt, 1] - sb[src, 3], sb[src, 1] - lb[tgt, 3]), 0.0)
    low = np.hypot(dx, dy)
    keep = low <= cap
    src, tgt, low = src[keep], tgt[keep], low[keep]
    order = np.lexsort((tgt, low, src))
    src, tgt, low = src[order], tgt[order], low[order]
    first = np.zeros(len(src), dtype=bool)
    first[np.unique(src, return_index=True)[1]] = True
    d = np.full(len(src), np.inf)
    d[first] = shapely.distance(sites.geoms[src[first]], index.geoms[tgt[first]])
    bound = np.full(len(sites), np.inf)
    bound[src[first]] = d[first]
    rest = ~first & (low <= bound[src])
    d[rest] = shapely.distance(sites.geoms[src[rest]], index.geoms[tgt[rest]])
    near = d <= cap
    return src[near], tgt[near], d[near]


def nearest(
    index: LayerIndex | None, sites: Sites, *, cap_only: float | None = None
) -> tuple[NDArray, NDArray]:
    """Index into the layer of each site's nearest feature and the distance in metres; of
    several at the same distance (points in one place, a site touching two) the first by id.

    -1 and NaN where the layer is empty (or, with ``cap_only``, nothing lies within that many
    metres). Distances are 0 where the site intersects a feature.
    """
    n = len(sites)
    found = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.nan)
    if index is None or len(index) == 0 or n == 0:
        return found, dist
    todo = np.arange(n)
    if index.kdtree is not None:
        points = sites.point_rows
        limit = cap_only if cap_only is not None else np.inf
        d, i = index.kdtree.query(sites.point_xy, k=1, distance_upper_bound=limit, workers=-1)
        hit = np.isfinite(d)
        assert index.first_here is not None
        found[points[hit]] = index.first_here[i[hit]]
        dist[points[hit]] = d[hit]
        others = sites.other_rows
        if len(others):
            src, tgt, d = _nearest_points_to_shapes(index, sites.geoms[others], cap_only)
            _first_of_pairs(src, tgt, d, others, found, dist)
        return found, dist
    if cap_only is not None:
        src, tgt, d = _nearest_shapes_within(index, sites, cap_only)
        _first_of_pairs(src, tgt, d, todo, found, dist)
        return found, dist
    for cap in (NEAREST_CAP_M, None):
        todo = todo[found[todo] < 0]
        if len(todo) == 0:
            break
        # every feature at the nearest distance, then the first of them (lowest id): the same
        # answer whatever else the tree holds (a partition's neighbourhood or the whole layer)
        (src, tgt), d = index.tree.query_nearest(
            sites.geoms[todo], max_distance=cap, return_distance=True, all_matches=True
        )
        _first_of_pairs(src, tgt, d, todo, found, dist)
    return found, dist


def count_within(index: LayerIndex | None, sites: Sites, radius_m: float) -> NDArray:
    """Number of layer features within ``radius_m`` metres of each site."""
    counts = np.zeros(len(sites), dtype=np.int64)
    if index is None or len(index) == 0:
        return counts
    rest = np.arange(len(sites))
    if index.kdtree is not None:
        counts[sites.point_rows] = index.kdtree.query_ball_point(
            sites.point_xy, radius_m, return_length=True, workers=-1
        )
        rest = sites.other_rows
    if len(rest):
        src, _ = index.tree.query(sites.geoms[rest], predicate="dwithin", distance=radius_m)
        counts[rest] = np.bincount(src, minlength=len(rest))
    return counts


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


def pick(values: NDArray, idx: NDArray) -> NDArray:
    """``values[idx]`` as objects, None where ``idx`` is -1."""
    out = np.full(len(idx), None, dtype=object)
    ok = idx >= 0
    out[ok] = values[idx[ok]]
    return out


def pick_float(values: NDArray, idx: NDArray) -> NDArray:
    """``values[idx]`` as floats, NaN where ``idx`` is -1."""
    out = np.full(len(idx), np.nan)
    ok = idx >= 0
    out[ok] = values[idx[ok]]
    return out


def nearest_columns(
    prefix: str,
    index: LayerIndex | None,
    sites: Sites,
    *,
    cap_only: float | None = None,
    numbers: dict[str, str] | None = None,
    texts: dict[str, str] | None = None,
) -> Columns:
    """``<prefix>_id`` and ``<prefix>_m`` (straight-line metres) of each site's nearest feature.

    ``numbers`` maps a column suffix to a numeric prop of the feature (``{"dph":
    "departures_per_hour"}`` gives ``<prefix>_dph``), ``texts`` to a text prop; None/NaN where
    there is no feature.
    """
    idx, dist = nearest(index, sites, cap_only=cap_only)
    out: Columns = {f"{prefix}_id": np.full(len(sites), None, dtype=object), f"{prefix}_m": dist}
    if index is not None:
        out[f"{prefix}_id"] = pick(index.ids, idx)
    for suffix, key in (numbers or {}).items():
        values = index.numbers.get(key) if index is not None else None
        out[f"{prefix}_{suffix}"] = (
            np.full(len(sites), np.nan) if values is None else pick_float(values, idx)
        )
    for suffix, key in (texts or {}).items():
        words = index.texts.get(key) if index is not None else None
        out[f"{prefix}_{suffix}"] = (
            np.full(len(sites), None, dtype=object) if words is None else pick(words, idx)
        )
    return out


def containing(index: LayerIndex | None, sites: Sites) -> tuple[NDArray, NDArray]:
    """Id and category of the polygon holding each site's point on surface (None: none)."""
    if index is None:
        none = np.full(len(sites), None, dtype=object)
        return none, none.copy()
    idx = first_containing(index, sites.surface_points)
    return pick(index.ids, idx), pick(index.categories, idx)
