"""Vector tiles (Mapbox Vector Tile 2.1, Web Mercator EPSG:3857 XYZ tiles): the tile sets, tile
coordinates, which sites a tile holds, their criterion values, and the ETag of a tile.

Tile sets come from the catalogues, never from a list here: ``sites`` (every scored site as a
point, its point on surface, with the criterion VALUES 0-1 of the requested profile, so that a
client recomputes the weighted score of every site when a weight moves, as
``engine.Evaluation.score_all`` does it) and one tile set per layer of ``layers/`` that has
geometry (its features with ``id``, ``name``, ``code``, ``category``).

A site tile is built in memory from the served site table, with no query (``SiteTileIndex``:
Web Mercator coordinates sorted by x, a binary search and a mask find the sites in the tile and
its buffer; ``ProfileTiles`` holds a profile's values quantised to 0.001; ``mvtencode`` writes
the protobuf with numpy; no database connection): faster than ``ST_AsMVT`` over the same
sites (bench/README.md), and the table is what the scores come from, so a tile always carries
the values the list ranks by. A tile with more than ``MAX_TILE_SITES`` sites (zoom <= 9 at a million
sites) is **thinned**: one site per cell of ``THIN_CELL`` tile units (4 x 4 pixels of a
256-pixel tile), the one that scores best under the profile's weights, at its own position,
with its own values and ``count`` = the sites of its cell; a tile that is not thinned has no
``count`` and holds every site. A layer tile is one ``ST_AsMVT`` statement over its table
(``queries.layer_tile``). Tiles carry no flag data (no status, note, tag or audit entry), so
they are the same for every viewer: ``tests/test_tiles.py`` checks that.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from layers import Layer, catalogue
from sitefinder.api.mvtencode import Column, point_tile
from sitefinder.core.crs import WGS84_BOUNDS
from sitefinder.core.errors import UnknownLayerError, UnknownTileError
from sitefinder.scoring import NDArray
from sitefinder.scoring.criteria import catalogue as criteria_catalogue
from sitefinder.scoring.engine import Evaluation, SiteTable, weight_vector
from sitefinder.scoring.profile import Profile

SITES = "sites"  # the tile set of the scored sites (a layer may not take this name)
MAX_ZOOM = 20  # deepest tile served; sites are points, layers are generalised to the pixel
MIN_ZOOM = 0
EXTENT = 4096  # tile coordinate space (MVT default)
BUFFER = 64  # tile units drawn beyond the edge, so symbols at an edge are not cut
TILE_PIXELS = 256  # a tile's width on the map (CSS pixels): 16 tile units a pixel
VALUE_SCALE = 1000  # criterion values rounded to 0.001: equal values share one tile entry
MAX_TILE_SITES = 10_000  # a site tile with more sites is thinned (ProfileTiles.thin)
THIN_CELL = 64  # tile units: a thinned tile shows one site per 64 x 64 (4 x 4 map pixels)
_THIN_SIDE = (EXTENT + 2 * BUFFER) // THIN_CELL + 1  # cells along a side of a tile and its buffer
INLINE_SITES = 3_000  # a tile of at most this many sites is built without a thread (quick)
MAX_PROFILES_KEPT = 16  # profiles (with their weights) whose quantised values are kept
MERCATOR_HALF = 20037508.342789244  # half the Web Mercator world width (metres, EPSG:3857)
RD_PER_MERCATOR = 0.6  # about cos(52°N): a Web Mercator metre in RD metres, for generalising
CACHE_CONTROL = "public, max-age=60"  # short: the ETag makes a revalidation cheap (304)


def layer_sets() -> dict[str, Layer]:
    """The layers of the catalogue that have geometry, by name (each a tile set)."""
    return {name: layer for name, layer in catalogue().items() if layer.kind != "table"}


def tile_set_names() -> list[str]:
    return [SITES, *layer_sets()]


def get_layer_set(name: str) -> Layer:
    found = layer_sets().get(name)
    if found is None:
        known = ", ".join(tile_set_names())
        raise UnknownLayerError(f"Unknown tile set '{name}'. Known tile sets: {known}")
    return found


@dataclass(frozen=True)
class Tile:
    """An XYZ tile (origin top left, as Leaflet, MapLibre and QGIS number them)."""

    z: int
    x: int
    y: int

    @classmethod
    def checked(cls, z: int, x: int, y: int) -> Tile:
        """The tile, or UnknownTileError (404, as OGC API Tiles answers) when x or y lies
        outside zoom z's grid."""
        n = 1 << z
        if not (0 <= x < n and 0 <= y < n):
            raise UnknownTileError(
                f"tile {z}/{x}/{y} does not exist: at zoom {z} x and y run from 0 to {n - 1}"
            )
        return cls(z, x, y)

    @property
    def size(self) -> float:
        """Width of the tile in Web Mercator metres."""
        return 2 * MERCATOR_HALF / (1 << self.z)

    def bounds(self, margin: float = 0.0) -> tuple[float, float, float, float]:
        """xmin, ymin, xmax, ymax (EPSG:3857 metres), grown by ``margin`` x the tile width."""
        size = self.size
        xmin = -MERCATOR_HALF + self.x * size
        ymax = MERCATOR_HALF - self.y * size
        grow = margin * size
        return xmin - grow, ymax - size - grow, xmin + size + grow, ymax + grow

    def search_box(self) -> tuple[float, float, float, float] | None:
        """The tile grown by its buffer and cut to the RD domain (EPSG:3857 metres), or None
        when the tile lies outside it: all stored geometry lies inside, so such a tile is
        empty without a query; and an envelope far outside the domain (zoom 0-4) has no
        meaningful shape in EPSG:28992."""
        xmin, ymin, xmax, ymax = self.bounds(self.margin)
        x0, y0, x1, y1 = DOMAIN_MERCATOR
        box = (max(xmin, x0), max(ymin, y0), min(xmax, x1), min(ymax, y1))
        return box if box[0] < box[2] and box[1] < box[3] else None

    @property
    def margin(self) -> float:
        """The buffer as a share of the tile width (what ``ST_TileEnvelope``'s margin takes)."""
        return BUFFER / EXTENT

    @property
    def tolerance_rd(self) -> float:
        """Half a tile unit in RD metres: what a layer's geometry is simplified by."""
        return self.size / EXTENT * RD_PER_MERCATOR / 2

    @property
    def pixel_rd(self) -> float:
        """A map pixel (1/``TILE_PIXELS`` of the tile) in RD metres: a layer's polygon or
        line smaller than this both ways is left out of the tile (``queries.layer_tile``)."""
        return self.size / TILE_PIXELS * RD_PER_MERCATOR


def mercator(lon: NDArray, lat: NDArray) -> tuple[NDArray, NDArray]:
    """WGS84 degrees to Web Mercator metres (EPSG:3857; the spherical formula PROJ uses)."""
    x = np.asarray(lon, dtype=float) * (MERCATOR_HALF / 180.0)
    phi = np.radians(np.clip(np.asarray(lat, dtype=float), -85.05112878, 85.05112878))
    y = np.log(np.tan(np.pi / 4 + phi / 2)) * (MERCATOR_HALF / np.pi)
    return x, y


class SiteTileIndex:
    """The served sites' points (EPSG:3857) sorted by x, with their ids (UTF-8), kinds and
    gemeenten in that order: the sites in a tile in O(log n + k), and per profile their values
    quantised (``ProfileTiles``), built once per served site table and profile."""

    def __init__(self, table: SiteTable) -> None:
        self.table = table
        x, y = mercator(table.lon, table.lat)
        valid = np.isfinite(x) & np.isfinite(y)
        rows = np.flatnonzero(valid)
        order = rows[np.argsort(x[rows], kind="stable")]
        self.order = order
        self.x = x[order]
        self.y = y[order]
        ids = np.asarray(table.ids)
        self.ids = (ids if ids.dtype.kind == "S" else np.char.encode(ids.astype(str), "utf-8"))[
            order
        ]
        self.kind = np.asarray(table.kind.codes)[order]
        self.kinds = [str(c) for c in table.kind.categories]
        self.gemeente = np.asarray(table.gemeente.codes)[order]
        self.gemeenten = [str(c) for c in table.gemeente.categories]
        self._profiles: dict[tuple[Any, ...], ProfileTiles] = {}
        self._lock = threading.Lock()

    def span(self, tile: Tile) -> NDArray:
        """The positions (in x order) of the sites in ``tile`` grown by twice its buffer
        (clipped to the buffer after rounding to tile units, so that none is dropped)."""
        xmin, ymin, xmax, ymax = tile.bounds(2 * tile.margin)
        lo, hi = (int(i) for i in np.searchsorted(self.x, [xmin, xmax], side="left"))
        ys = self.y[lo:hi]
        out: NDArray = lo + np.flatnonzero((ys >= ymin) & (ys <= ymax))
        return out

    def profile(self, profile: Profile) -> ProfileTiles:
        """The profile's quantised values (computed on its first tile, then kept)."""
        key = profile_key(profile)
        found = self._profiles.get(key)
        if found is None:
            with self._lock:
                found = self._profiles.get(key)
                if found is None:
                    found = ProfileTiles(self, self.table.evaluation(profile), profile)
                    if len(self._profiles) >= MAX_PROFILES_KEPT:
                        self._profiles.pop(next(iter(self._profiles)))
                    self._profiles[key] = found
        return found

    def quick(self, tile: Tile, profile: Profile) -> bool:
        """Whether ``tile`` is built in about a millisecond: the profile's values are there
        and at most ``INLINE_SITES`` sites lie in the tile and its buffer (counted only
        when the tile's column, found by binary search, holds few enough to count at once):
        such a tile may be built in the event loop, without a hand-off to a thread
        (``routers.tiles``)."""
        if profile_key(profile) not in self._profiles:
            return False
        xmin, _, xmax, _ = tile.bounds(2 * tile.margin)
        lo, hi = np.searchsorted(self.x, [xmin, xmax], side="left")
        return int(hi - lo) <= 20 * INLINE_SITES and len(self.span(tile)) <= INLINE_SITES

    def pixels(self, tile: Tile, at: NDArray) -> tuple[NDArray, NDArray]:
        """Tile coordinates (tile units, y down) of the sites at positions ``at``."""
        size = tile.size
        xmin, _, _, ymax = tile.bounds()
        px = np.rint((self.x[at] - xmin) * (EXTENT / size)).astype(np.int64)
        py = np.rint((ymax - self.y[at]) * (EXTENT / size)).astype(np.int64)
        return px, py

    def tile(self, tile: Tile, profile: Profile, max_sites: int = MAX_TILE_SITES) -> bytes:
        """The MVT of the sites in ``tile`` and its buffer, built in memory (module doc);
        thinned when it holds more than ``max_sites``."""
        at = self.span(tile)
        px, py = self.pixels(tile, at)
        keep = (px >= -BUFFER) & (px <= EXTENT + BUFFER) & (py >= -BUFFER) & (py <= EXTENT + BUFFER)
        at, px, py = at[keep], px[keep], py[keep]
        values = self.profile(profile)
        counts = None
        if len(at) > max_sites:
            at, counts = values.thin(at, px, py)
            px, py = self.pixels(tile, at)
        columns = [
            Column("site_id", np.arange(len(at)), 0),
            _coded("kind", self.kind[at], 1),
            _coded("gemeentecode", self.gemeente[at], 2),
            Column("excluded", values.excluded[at].astype(np.int64), 3),
        ]
        groups: list[Sequence[str] | NDArray] = [
            self.ids[at],
            [self.kinds[i] for i in np.unique(self.kind[at][self.kind[at] >= 0])],
            [self.gemeenten[i] for i in np.unique(self.gemeente[at][self.gemeente[at] >= 0])],
            np.array([False, True]),
        ]
        if counts is not None:
            distinct, inverse = np.unique(counts, return_inverse=True)
            columns.append(Column("count", inverse, len(groups)))
            groups.append(distinct.astype(np.uint64))
        quantised = values.codes[at]
        distinct = np.unique(quantised[quantised >= 0])
        where = np.searchsorted(distinct, quantised)
        for k, name in enumerate(values.names):
            codes = np.where(quantised[:, k] >= 0, where[:, k], -1)
            columns.append(Column(name, codes, len(groups)))
        groups.append(distinct / VALUE_SCALE)
        return point_tile(SITES, EXTENT, px, py, columns, groups)


def _coded(name: str, codes: NDArray, group: int) -> Column:
    """A categorical attribute: ``codes`` into the categories (-1: none), renumbered to the
    categories present (``np.unique`` order, as the tile's value group lists them)."""
    present = codes >= 0
    distinct = np.unique(codes[present])
    return Column(name, np.where(present, np.searchsorted(distinct, codes), -1), group)


class ProfileTiles:
    """One profile's evaluation of the served sites, in the index's x order: per scored
    criterion the value 0-1 quantised to ``1 / VALUE_SCALE`` (int16; -1 where missing), the
    exclusion, and the score under the profile's weights (which site a thinned cell shows)."""

    def __init__(self, index: SiteTileIndex, evaluation: Evaluation, profile: Profile) -> None:
        self.names = scored_criteria(evaluation)
        columns = np.array([evaluation.col[name] for name in self.names], dtype=np.intp)
        # rows first (whole rows are copied at once), then the columns; values are 0-1 or NaN
        values = evaluation.values.take(index.order, axis=0)[:, columns]
        codes = np.rint(values * np.float32(VALUE_SCALE))
        codes[np.isnan(values)] = -1
        self.codes = codes.astype(np.int16)
        self.excluded = evaluation.excluded[index.order]
        point = evaluation.score_all(weight_vector(profile.weights)).point[index.order]
        # the best site of a cell: the highest score; then those without one, excluded last
        self.rank = np.where(np.isnan(point), np.where(self.excluded, -2.0, -1.0), point)

    def thin(self, at: NDArray, px: NDArray, py: NDArray) -> tuple[NDArray, NDArray]:
        """One site per cell of ``THIN_CELL`` tile units (``px``, ``py``: the tile
        coordinates of the sites at ``at``): the best (``rank``; of equals the first in x
        order) of each cell, cells in x then y order, and how many sites each cell holds.
        A maximum per cell, then the first site that reaches it: no sort of the tile's sites."""
        cell = ((px + BUFFER) // THIN_CELL) * _THIN_SIDE + (py + BUFFER) // THIN_CELL
        rank = self.rank[at]
        best = np.full(_THIN_SIDE * _THIN_SIDE, -np.inf)
        np.maximum.at(best, cell, rank)
        hits = np.flatnonzero(rank == best[cell])
        _, first = np.unique(cell[hits], return_index=True)
        chosen = hits[first]  # ascending cells, as np.unique gives them
        return at[chosen], np.bincount(cell, minlength=len(best))[cell[chosen]]


_index_lock = threading.Lock()
_index: SiteTileIndex | None = None


def site_index(table: SiteTable) -> SiteTileIndex:
    """The index of ``table`` (built once per served site table: about a second at a
    million sites, on the first site tile)."""
    global _index
    current = _index
    if current is not None and current.table is table:
        return current
    with _index_lock:
        if _index is None or _index.table is not table:
            _index = SiteTileIndex(table)
        return _index


def built_index(table: SiteTable) -> SiteTileIndex | None:
    """The index of ``table`` if it is built (``site_index`` builds it), else None."""
    current = _index
    return current if current is not None and current.table is table else None


def scored_criteria(evaluation: Evaluation) -> list[str]:
    """The criteria whose values a site tile carries: those that weigh in a score (catalogue
    order). A constraint (Natura 2000, ...) only excludes: the tile's ``excluded`` says it."""
    declared = criteria_catalogue()
    return [name for name in evaluation.names if not declared[name].constraint]


_profile_keys: dict[int, tuple[Profile, tuple[Any, ...]]] = {}


def profile_key(profile: Profile) -> tuple[Any, ...]:
    """What of a profile decides its site tiles (name and every criterion's parameters);
    kept per profile object (``load_profile`` hands out one per name: a tile request does not
    spell out every parameter again)."""
    held = _profile_keys.get(id(profile))
    if held is not None and held[0] is profile:
        return held[1]
    spelt = repr(sorted(profile.criteria.items())).encode()
    key = (profile.name, hashlib.sha256(spelt).hexdigest()[:32])  # short: hashed per tile
    if len(_profile_keys) >= 4 * MAX_PROFILES_KEPT:
        _profile_keys.clear()
    _profile_keys[id(profile)] = (profile, key)
    return key


def etag(*parts: Any) -> str:
    """A strong ETag of what decides a tile's bytes (tile set, tile, data and scoring version,
    profile parameters)."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f'"{digest}"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``tag`` (or is ``*``)."""
    if not if_none_match:
        return False
    given = {part.strip().removeprefix("W/") for part in if_none_match.split(",")}
    return tag in given or "*" in given


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ tile at zoom ``z`` that holds the WGS84 point (lon, lat)."""
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    phi = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(phi)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


NL_BOUNDS = list(WGS84_BOUNDS)  # a tile set's bounds when its data has no extent yet
_west_south = mercator(np.array([WGS84_BOUNDS[0]]), np.array([WGS84_BOUNDS[1]]))
_east_north = mercator(np.array([WGS84_BOUNDS[2]]), np.array([WGS84_BOUNDS[3]]))
# the RD domain (core.crs, rounded outwards) in EPSG:3857 metres: xmin, ymin, xmax, ymax
DOMAIN_MERCATOR = (
    float(_west_south[0][0]),
    float(_west_south[1][0]),
    float(_east_north[0][0]),
    float(_east_north[1][0]),
)
