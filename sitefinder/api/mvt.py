"""Vector tiles (Mapbox Vector Tile 2.1, Web Mercator EPSG:3857 XYZ tiles): the tile sets, tile
coordinates, which sites a tile holds, their criterion values, and the ETag of a tile.

Tile sets come from the catalogues, never from a list here: ``sites`` (every scored site as a
point, its point on surface, with the criterion VALUES 0-1 of the requested profile, so that a
client recomputes the weighted score of every site when a weight moves, as
``engine.Evaluation.score_all`` does it) and one tile set per layer of ``layers/`` that has
geometry (its features with ``id``, ``name``, ``code``, ``category``).

A site tile is one SQL statement (``queries.site_tile``): the sites whose point lies in the tile
(with its buffer) are found in memory on the served site table (``SiteTileIndex``: Web Mercator
coordinates sorted by x, a binary search and a mask), and their values are bound as arrays that
the statement joins to ``site`` (GiST-filtered against the tile envelope transformed to
EPSG:28992) before ``ST_AsMVTGeom``/``ST_AsMVT``. A layer tile is one statement over its table
(``queries.layer_tile``). Tiles carry no flag data (no status, note, tag or audit entry), so
they are the same for every viewer: ``tests/test_tiles.py`` checks that.
"""

from __future__ import annotations

import hashlib
import math
import struct
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from psycopg.abc import AdaptContext
from psycopg.adapt import Dumper
from psycopg.pq import Format

from layers import Layer, catalogue
from sitefinder.core.crs import WGS84_BOUNDS
from sitefinder.core.errors import UnknownLayerError, UnknownTileError
from sitefinder.scoring import NDArray
from sitefinder.scoring.criteria import catalogue as criteria_catalogue
from sitefinder.scoring.engine import Evaluation, SiteTable

SITES = "sites"  # the tile set of the scored sites (a layer may not take this name)
MAX_ZOOM = 20  # deepest tile served; sites are points, layers are generalised to the pixel
MIN_ZOOM = 0
EXTENT = 4096  # tile coordinate space (MVT default)
BUFFER = 64  # tile units drawn beyond the edge, so symbols at an edge are not cut
VALUE_DECIMALS = 3  # criterion values rounded: equal values share one entry of the tile
MERCATOR_HALF = 20037508.342789244  # half the Web Mercator world width (metres, EPSG:3857)
RD_PER_MERCATOR = 0.6  # about cos(52°N): a Web Mercator metre in RD metres, for generalising
CACHE_CONTROL = "public, max-age=60"  # short: the ETag makes a revalidation cheap (304)
FLOAT4_OID = 700
FLOAT4_ARRAY_OID = 1021


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
        """Half a tile pixel in RD metres: what a layer's geometry is simplified by."""
        return self.size / EXTENT * RD_PER_MERCATOR / 2


def mercator(lon: NDArray, lat: NDArray) -> tuple[NDArray, NDArray]:
    """WGS84 degrees to Web Mercator metres (EPSG:3857; the spherical formula PROJ uses)."""
    x = np.asarray(lon, dtype=float) * (MERCATOR_HALF / 180.0)
    phi = np.radians(np.clip(np.asarray(lat, dtype=float), -85.05112878, 85.05112878))
    y = np.log(np.tan(np.pi / 4 + phi / 2)) * (MERCATOR_HALF / np.pi)
    return x, y


class SiteTileIndex:
    """The served sites' points (EPSG:3857) sorted by x: the sites in a tile in O(log n + k)."""

    def __init__(self, table: SiteTable) -> None:
        self.table = table
        x, y = mercator(table.lon, table.lat)
        valid = np.isfinite(x) & np.isfinite(y)
        rows = np.flatnonzero(valid)
        order = rows[np.argsort(x[rows], kind="stable")]
        self.order = order
        self.x = x[order]
        self.y = y[order]

    def rows(self, tile: Tile) -> NDArray:
        """Indices (sorted) of the sites whose point lies in ``tile`` grown by twice its buffer
        (the statement clips to the buffer itself; twice, so that rounding never drops one)."""
        xmin, ymin, xmax, ymax = tile.bounds(2 * tile.margin)
        lo, hi = np.searchsorted(self.x, [xmin, xmax], side="left")
        ys = self.y[lo:hi]
        inside = self.order[lo:hi][(ys >= ymin) & (ys <= ymax)]
        out: NDArray = np.sort(inside)
        return out


_index_lock = threading.Lock()
_index: SiteTileIndex | None = None


def site_index(table: SiteTable) -> SiteTileIndex:
    """The index of ``table`` (built once per served site table: tens of ms at a million)."""
    global _index
    current = _index
    if current is not None and current.table is table:
        return current
    with _index_lock:
        if _index is None or _index.table is not table:
            _index = SiteTileIndex(table)
        return _index


def scored_criteria(evaluation: Evaluation) -> list[str]:
    """The criteria whose values a site tile carries: those that weigh in a score (catalogue
    order). A constraint (Natura 2000, ...) only excludes: the tile's ``excluded`` says it."""
    declared = criteria_catalogue()
    return [name for name in evaluation.names if not declared[name].constraint]


def site_values(evaluation: Evaluation, rows: NDArray) -> dict[str, NDArray]:
    """Per scored criterion the values 0-1 of the sites ``rows``, float32, rounded to
    ``VALUE_DECIMALS``; NaN where the criterion is missing (the tile leaves it out)."""
    names = scored_criteria(evaluation)
    columns = np.array([evaluation.col[name] for name in names], dtype=np.intp)
    values = np.round(evaluation.values[np.ix_(rows, columns)], VALUE_DECIMALS)
    values = values.astype(np.float32)
    return {name: values[:, k] for k, name in enumerate(names)}


def site_gemeenten(table: SiteTable, rows: NDArray) -> tuple[NDArray, list[str]]:
    """The gemeente of the sites ``rows`` as an index (float32, -1: none) into the codes."""
    codes = np.asarray(table.gemeente.codes[rows], dtype=np.float32)
    return codes, [str(c) for c in table.gemeente.categories]


class Float4ArrayDumper(Dumper):
    """A float32 numpy array as a PostgreSQL ``real[]`` in the binary format: one vectorised
    copy instead of a Python float per value (a tile at zoom 8 holds 10^5 sites x criteria)."""

    format = Format.BINARY
    oid = FLOAT4_ARRAY_OID

    def __init__(self, cls: type, context: AdaptContext | None = None) -> None:
        super().__init__(cls, context)

    def dump(self, obj: Any) -> bytes:
        values = np.ascontiguousarray(obj, dtype=">f4").ravel()
        n = len(values)
        if n == 0:
            return struct.pack(">iiI", 0, 0, FLOAT4_OID)
        cells = np.empty(n, dtype=[("size", ">i4"), ("value", ">f4")])
        cells["size"] = 4
        cells["value"] = values
        return struct.pack(">iiIii", 1, 0, FLOAT4_OID, n, 1) + cells.tobytes()


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
