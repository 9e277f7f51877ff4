"""The area a load is limited to: ``--gemeente``, ``--provincie`` or ``--bbox``.

An :class:`Area` has a polygon in EPSG:28992 (RD New, metres), used by the framework to keep
only the features that intersect it (a feature is kept whole, never clipped), and a bounding
box in WGS84 (longitude/latitude, degrees) or RD for the ``bbox`` of online requests.

* ``--gemeente GM0363`` (also ``0363``, ``363`` or the name, ``Amsterdam``) and
  ``--provincie PV27`` (also ``27`` or ``Noord-Holland``; PV20 Groningen … PV31 Limburg) look
  the boundary up in the loaded ``gemeenten`` / ``provincies`` layer (table ``area``, column
  ``code``). When that layer is not loaded, or the code is not in it, the error says so.
* ``--bbox minx,miny,maxx,maxy`` is in RD New metres, or in degrees (``minlon,minlat,maxlon,
  maxlat``, WGS84) when all four numbers are plausible Dutch longitudes and latitudes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import psycopg
import shapely
from shapely.geometry.base import BaseGeometry

from sitefinder.core.crs import RD, WGS84, in_rd_bounds
from sitefinder.core.errors import InvalidParameterError

# A generous lon/lat box around the European Netherlands (degrees).
NL_DEGREES = (2.0, 50.0, 8.0, 54.5)
PROVINCIE_CODES = tuple(f"PV{n}" for n in range(20, 32))

AreaKind = Literal["gemeente", "provincie", "bbox"]
BOUNDARY_LAYER: dict[str, str] = {"gemeente": "gemeenten", "provincie": "provincies"}


@dataclass(frozen=True)
class AreaSpec:
    """What the user asked for, before it is looked up: a kind and the text given."""

    kind: AreaKind
    value: str

    @classmethod
    def from_options(
        cls, *, gemeente: str | None = None, provincie: str | None = None, bbox: str | None = None
    ) -> AreaSpec | None:
        given = [
            (kind, value)
            for kind, value in (("gemeente", gemeente), ("provincie", provincie), ("bbox", bbox))
            if value is not None
        ]
        if len(given) > 1:
            raise InvalidParameterError(
                "give one area: --gemeente, --provincie or --bbox, not "
                + " and ".join(f"--{k}" for k, _ in given)
            )
        if not given:
            return None
        kind, value = given[0]
        return cls(kind=kind, value=value.strip())  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"--{self.kind} {self.value}"


@dataclass(frozen=True)
class Area:
    """A resolved area: ``geom`` is a (Multi)Polygon in EPSG:28992 (metres)."""

    kind: AreaKind
    code: str  # GM0363 / PV27 / the bbox as given
    name: str
    geom: BaseGeometry = field(repr=False, compare=False)

    @property
    def label(self) -> str:
        """For messages and the run record, e.g. ``gemeente GM0363 (Amsterdam)``."""
        if self.kind == "bbox":
            return f"bbox {self.name}"
        return f"{self.kind} {self.code} ({self.name})"

    @property
    def key(self) -> str:
        """Identifies the area and its exact boundary (part of a run's input checksum)."""
        digest = hashlib.sha256(shapely.to_wkb(self.geom, hex=False)).hexdigest()[:16]
        return f"area:{self.kind}:{self.code}:{digest}"

    @property
    def wkb(self) -> bytes:
        return bytes(shapely.to_wkb(self.geom))

    @property
    def bbox_rd(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) in RD New metres."""
        x0, y0, x1, y1 = self.geom.bounds
        return (float(x0), float(y0), float(x1), float(y1))

    @property
    def bbox_wgs84(self) -> tuple[float, float, float, float]:
        """(minlon, minlat, maxlon, maxlat) in degrees, enclosing the whole area."""
        # The outline itself (the RD grid is turned against the meridians, so the RD box would
        # add up to ~100 m), densified first: a straight RD edge is slightly curved in lon/lat.
        import geopandas as gpd  # here: the API imports this module but never reprojects

        dense = shapely.segmentize(self.geom, 250.0)
        x0, y0, x1, y1 = gpd.GeoSeries([dense], crs=RD).to_crs(WGS84).total_bounds
        return (float(x0), float(y0), float(x1), float(y1))

    def contains_mask(self, geoms: np.ndarray) -> np.ndarray:
        """Vectorised: True for every geometry (EPSG:28992) that intersects the area."""
        shapely.prepare(self.geom)
        return np.asarray(shapely.intersects(self.geom, geoms), dtype=bool)


def parse_bbox(text: str) -> Area:
    """``minx,miny,maxx,maxy`` in RD New metres or WGS84 degrees -> an Area (RD polygon)."""
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    try:
        x0, y0, x1, y1 = (float(p) for p in parts)
    except ValueError:
        raise InvalidParameterError(
            f"--bbox wants four numbers minx,miny,maxx,maxy, not '{text}'"
        ) from None
    if not (x0 < x1 and y0 < y1):
        raise InvalidParameterError(f"--bbox {text}: minx must be < maxx and miny < maxy")
    lon0, lat0, lon1, lat1 = NL_DEGREES
    if lon0 <= x0 and x1 <= lon1 and lat0 <= y0 and y1 <= lat1:
        import geopandas as gpd  # as in Area.bbox_wgs84

        dense = shapely.segmentize(shapely.box(x0, y0, x1, y1), 0.002)
        geom = gpd.GeoSeries([dense], crs=WGS84).to_crs(RD).iloc[0]
        unit = "WGS84"
    elif in_rd_bounds(x0, y0, x1, y1):
        geom = shapely.box(x0, y0, x1, y1)
        unit = "RD"
    else:
        raise InvalidParameterError(
            f"--bbox {text} is not in the Netherlands: give it in RD New metres (EPSG:28992) "
            "or in degrees as minlon,minlat,maxlon,maxlat (WGS84)"
        )
    code = ",".join(f"{v:g}" for v in (x0, y0, x1, y1))
    return Area(kind="bbox", code=code, name=f"{code} ({unit})", geom=geom)


def _normalise_code(kind: AreaKind, value: str) -> str | None:
    """``GM0363``/``0363``/``363`` -> ``GM0363``; ``PV27``/``27`` -> ``PV27``; else None."""
    if kind == "gemeente":
        found = re.fullmatch(r"(?i:gm)?\s*(\d{1,4})", value)
        return f"GM{int(found.group(1)):04d}" if found else None
    found = re.fullmatch(r"(?i:pv)?\s*(\d{2})", value)
    if not found:
        return None
    code = f"PV{found.group(1)}"
    if code not in PROVINCIE_CODES:
        raise InvalidParameterError(
            f"--provincie {value}: provincie codes run from PV20 (Groningen) to PV31 (Limburg)"
        )
    return code


def resolve_area(conn: psycopg.Connection[Any], spec: AreaSpec) -> Area:
    """Look ``spec`` up (in the loaded boundary layers for a gemeente or provincie)."""
    if spec.kind == "bbox":
        return parse_bbox(spec.value)
    layer = BOUNDARY_LAYER[spec.kind]
    code = _normalise_code(spec.kind, spec.value)
    with conn.transaction():
        loaded = conn.execute(
            "SELECT count(*) AS n FROM area WHERE layer = %s", (layer,)
        ).fetchone()
        n_loaded = int(loaded["n"]) if loaded else 0
        rows = conn.execute(
            "SELECT code, name, ST_AsBinary(ST_Multi(geom)) AS wkb FROM area"
            " WHERE layer = %s AND (code = %s OR lower(name) = lower(%s)) ORDER BY code",
            (layer, code, spec.value),
        ).fetchall()
    if n_loaded == 0:
        raise InvalidParameterError(
            f"--{spec.kind} needs the boundary layer '{layer}', which is not loaded:"
            f" run `sitefinder etl run {layer}` first"
        )
    if not rows:
        example = "GM0363 (Amsterdam)" if spec.kind == "gemeente" else "PV27 (Noord-Holland)"
        raise InvalidParameterError(
            f"--{spec.kind} {spec.value}: no such {spec.kind} in the loaded '{layer}' layer"
            f" ({n_loaded} loaded; give a code such as {example} or the name)"
        )
    if len(rows) > 1:
        codes = ", ".join(f"{r['code']} {r['name']}" for r in rows)
        raise InvalidParameterError(f"--{spec.kind} {spec.value} is ambiguous: {codes}")
    row = rows[0]
    geom = shapely.from_wkb(bytes(row["wkb"]))
    return Area(kind=spec.kind, code=str(row["code"]), name=str(row["name"]), geom=geom)
