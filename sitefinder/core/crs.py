"""The coordinate reference systems Sitefinder uses, and the Dutch RD domain, in one place.

Geometry is stored in EPSG:28992 (Amersfoort / RD New, metres). The API and the map speak WGS84
(EPSG:4326, degrees lon/lat); tiles are Web Mercator (EPSG:3857).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyproj import Transformer

RD = "EPSG:28992"
RD_SRID = 28992
WGS84 = "EPSG:4326"
WGS84_SRID = 4326

# The RD New domain (metres, EPSG:28992: min x, min y, max x, max y): anything outside is not in
# the European Netherlands.
RD_BOUNDS = (-7000.0, 289000.0, 300000.0, 629000.0)
# The same domain in WGS84 degrees (west, south, east, north), rounded outwards: what a request's
# bbox is clamped to.
WGS84_BOUNDS = (3.2, 50.7, 7.3, 53.7)


def in_rd_bounds(minx: float, miny: float, maxx: float, maxy: float) -> bool:
    """Whether a box (EPSG:28992 metres) lies inside the RD New domain."""
    x0, y0, x1, y1 = RD_BOUNDS
    return minx >= x0 and miny >= y0 and maxx <= x1 and maxy <= y1


@cache
def transformer(source: str, target: str) -> Transformer:
    """The pyproj transformer from ``source`` to ``target`` (x/y order: lon, lat), built once, on
    first use: pyproj and its transformation tables load only when something reprojects, not
    when the API starts (issue 14)."""
    from pyproj import Transformer

    return Transformer.from_crs(source, target, always_xy=True)
