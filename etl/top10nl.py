"""TOP10NL reader helpers, and the GML 3.2 surface assembly shared with ``etl/brk_plots.py``.

Two parts:

* **GML surfaces** (:class:`Surfaces`): rings of ``gml:Polygon`` / ``gml:PolygonPatch`` (inside
  a ``gml:MultiSurface``, ``gml:Surface`` or on their own) with ``gml:exterior`` /
  ``gml:interior`` ``gml:LinearRing/gml:posList`` are collected per feature while an XML file
  is streamed with ``lxml.iterparse``, and turned into one MultiPolygon per feature in one
  vectorised pass (``shapely.linearrings`` / ``polygons`` / ``multipolygons`` over a single
  coordinate array). ``srsDimension`` 2 or 3 (height dropped). The ``srsName`` (``28992``,
  ``EPSG:28992``, ``urn:ogc:def:crs:EPSG::28992`` …) is read per geometry; a file must use one
  CRS. GDAL's GML driver is not used for these files because it takes one geometry per feature
  (for DKK parcels the ``plaatscoordinaten`` label point, not the ``begrenzingPerceel``).
* **TOP10NL FunctioneelGebied** (:func:`read_functioneel_gebied`): the BRT TOP10NL 1.2 GML
  (namespace ``http://register.geostandaarden.nl/gmlapplicatieschema/top10nl/1.2.0``, BRT
  ``…/brt-algemeen/1.2.0``, GML 3.2), one ``top10nl:FunctioneelGebied`` per
  ``top10nl:FeatureMember``, as PDOK delivers it (a bare ``.gml``, or a zip whose member name
  contains ``functioneelgebied``). Read: ``identificatie/brt:NEN3610ID/brt:lokaalID``,
  ``typeFunctioneelGebied``, ``naamNL``, ``naamFries``, ``objectBeginTijd``,
  ``objectEindTijd`` and the geometry in ``geometrie/brt:BRTVlakMultivlakOfPunt``
  (``brt:vlakGeometrie`` gml:Polygon, ``brt:multivlakGeometrie`` gml:MultiSurface or
  ``brt:puntGeometrie`` gml:Point). Coordinates EPSG:28992 (RD New, metres).

Only holiday accommodation is kept (:data:`HOLIDAY_TYPES`: ``bungalowpark``,
``kampeerterrein``, ``recreatiepark``, ``vakantiepark``, and ``camping`` /
``camping, kampeerterrein`` as older TOP10NL versions spell it); other functional areas
(sportterrein, begraafplaats …) and ended objects (an ``objectEindTijd``) are not errors and
are only counted. Broken XML, a corrupt zip or a file without any FunctioneelGebied raise
:class:`SourceFileError` with a one-line message.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import numpy as np
import pandas as pd
import shapely
from lxml import etree

from sitefinder.core.errors import SourceFileError

RD_EPSG = 28992
TOP10NL_NS = "http://register.geostandaarden.nl/gmlapplicatieschema/top10nl/1.2.0"
HOLIDAY_TYPES = frozenset(
    {
        "bungalowpark",
        "kampeerterrein",
        "recreatiepark",
        "vakantiepark",
        "camping",
        "camping, kampeerterrein",
    }
)
SURFACE_TAGS = ("Polygon", "PolygonPatch")


def local_name(element: etree._Element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def text_of(element: etree._Element, path: str) -> str | None:
    """The stripped text at ``path`` (ElementPath, ``{*}`` wildcards allowed); None if blank."""
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def srs_epsg(srs_name: str | None) -> int | None:
    """The EPSG code in an ``srsName`` (``28992``, ``EPSG:28992``, ``urn:…:EPSG::28992``)."""
    if not srs_name:
        return None
    match = re.search(r"(\d+)\s*$", srs_name)
    return int(match.group(1)) if match else None


def pos_list(element: etree._Element, dim_default: int = 2) -> np.ndarray | None:
    """An ``(n, 2)`` array from a ``gml:posList`` (or ``gml:pos``); None when unreadable."""
    dim = int(element.get("srsDimension") or dim_default)
    try:
        values = np.array((element.text or "").split(), dtype=float)
    except ValueError:
        return None
    if dim not in (2, 3) or len(values) == 0 or len(values) % dim:
        return None
    return values.reshape(-1, dim)[:, :2]


@dataclass
class Surfaces:
    """Polygon rings of many features, assembled into one MultiPolygon per feature.

    Call :meth:`add` with a feature's geometry property element and its feature index while
    parsing, then :meth:`geometries` once. A feature whose geometry is missing or has an
    unreadable ring (bad numbers, fewer than 4 points) gets ``None``.
    """

    coords: list[np.ndarray] = field(default_factory=list)  # (n, 2) per ring
    ring_feature: list[int] = field(default_factory=list)
    ring_polygon: list[int] = field(default_factory=list)
    n_polygons: int = 0
    srs: set[int] = field(default_factory=set)

    def add(self, geometry: etree._Element | None, feature: int) -> bool:
        if geometry is None:
            return False
        polygons: list[list[np.ndarray]] = []
        for surface in (e for e in geometry.iter() if local_name(e) in SURFACE_TAGS):
            rings = [
                *surface.iterfind("{*}exterior/{*}LinearRing/{*}posList"),
                *surface.iterfind("{*}interior/{*}LinearRing/{*}posList"),
            ]
            read = [pos_list(r) for r in rings]
            if not read or any(c is None or len(c) < 4 for c in read):
                return False
            polygons.append([c for c in read if c is not None])
        if not polygons:
            return False
        for element in geometry.iter():
            code = srs_epsg(element.get("srsName"))
            if code is not None:
                self.srs.add(code)
        for rings_of_polygon in polygons:
            for coords in rings_of_polygon:
                self.coords.append(coords)
                self.ring_feature.append(feature)
                self.ring_polygon.append(self.n_polygons)
            self.n_polygons += 1
        return True

    def geometries(self, n_features: int) -> np.ndarray:
        """One MultiPolygon per feature (None where it had none), vectorised."""
        out = np.full(n_features, None, dtype=object)
        if not self.coords:
            return out
        sizes = np.array([len(c) for c in self.coords])
        coords = np.concatenate(self.coords)
        rings = np.asarray(
            shapely.linearrings(coords, indices=np.repeat(np.arange(len(sizes)), sizes)),
            dtype=object,
        )
        ring_polygon = np.asarray(self.ring_polygon)
        polygons = np.asarray(shapely.polygons(rings, indices=ring_polygon), dtype=object)
        first_ring = np.unique(ring_polygon, return_index=True)[1]
        polygon_feature = np.asarray(self.ring_feature)[first_ring]
        owners, dense = np.unique(polygon_feature, return_inverse=True)
        out[owners] = shapely.multipolygons(polygons, indices=dense)
        return out

    def crs(self, what: str) -> str:
        """The one CRS of all geometries (EPSG:28992 when none is named)."""
        if len(self.srs) > 1:
            codes = ", ".join(f"EPSG:{c}" for c in sorted(self.srs))
            raise SourceFileError(f"{what} mixes coordinate systems ({codes})")
        return f"EPSG:{next(iter(self.srs), RD_EPSG)}"


def open_members(path: Path, pattern: str, what: str) -> Iterator[tuple[str, IO[bytes]]]:
    """Binary handles of ``path`` itself (not a zip) or of its members matching ``pattern``.

    ``pattern`` is a case-insensitive regular expression on the member's file name. Raises
    :class:`SourceFileError` for a corrupt zip or one without such a member.
    """
    if not zipfile.is_zipfile(path):
        if path.suffix.lower() == ".zip":
            raise SourceFileError(f"{what}: {path} is not a zip file (truncated or corrupt?)")
        with path.open("rb") as handle:
            yield path.name, handle
        return
    try:
        with zipfile.ZipFile(path) as archive:
            names = [
                n
                for n in archive.namelist()
                if re.search(pattern, PurePosixPath(n).name, flags=re.IGNORECASE)
            ]
            if not names:
                raise SourceFileError(f"{what}: {path.name} holds no member matching {pattern}")
            for name in names:
                with archive.open(name) as handle:
                    yield f"{path.name}:{name}", handle
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise SourceFileError(f"{what}: cannot read {path}: corrupt zip ({exc})") from exc


def iter_features(handle: IO[bytes], local: str) -> Iterator[etree._Element]:
    """Stream the elements named ``local`` (any namespace), freeing each after use."""
    for _, element in etree.iterparse(handle, events=("end",), tag=f"{{*}}{local}", huge_tree=True):
        yield element
        element.clear()
        while element.getprevious() is not None:
            parent = element.getparent()
            if parent is None:
                break
            del parent[0]


def read_error(what: str, name: str, exc: Exception) -> SourceFileError:
    """A one-line :class:`SourceFileError` for broken XML or a corrupt zip member."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, etree.XMLSyntaxError):
        return SourceFileError(f"{what}: {name} is not valid XML (truncated?): {first}")
    return SourceFileError(f"{what}: cannot read {name}: corrupt zip ({first})")


READ_ERRORS = (etree.XMLSyntaxError, zipfile.BadZipFile, zlib.error, EOFError)


@dataclass
class FunctioneelGebieden:
    """TOP10NL holiday areas: attributes, geometries (EPSG as in :attr:`crs`) and counts."""

    records: pd.DataFrame
    geometry: np.ndarray  # MultiPolygon or Point per record; None where unreadable
    crs: str
    filtered: dict[str, int]


def read_functioneel_gebied(path: Path) -> FunctioneelGebieden:
    """The holiday-type FunctioneelGebieden of one TOP10NL 1.2 GML file (or zip)."""
    what = "holidayparks"
    records: list[dict[str, Any]] = []
    surfaces = Surfaces()
    points: dict[int, tuple[float, float]] = {}
    filtered = {"other type": 0, "ended": 0}
    seen = 0
    for name, handle in open_members(path, r"functioneel.?gebied.*\.(gml|xml)$", what):
        try:
            for feature in iter_features(handle, "FunctioneelGebied"):
                seen += 1
                kind = (text_of(feature, "{*}typeFunctioneelGebied") or "").lower()
                if kind not in HOLIDAY_TYPES:
                    filtered["other type"] += 1
                    continue
                if text_of(feature, "{*}objectEindTijd") is not None:
                    filtered["ended"] += 1
                    continue
                index = len(records)
                holder = feature.find("{*}geometrie/{*}BRTVlakMultivlakOfPunt")
                if holder is None:
                    holder = feature.find("{*}geometrie")
                point = None if holder is None else holder.find("{*}puntGeometrie//{*}pos")
                if point is not None:
                    xy = pos_list(point)
                    if xy is not None and len(xy) == 1:
                        points[index] = (float(xy[0, 0]), float(xy[0, 1]))
                    for element in holder.iter() if holder is not None else ():
                        code = srs_epsg(element.get("srsName"))
                        if code is not None:
                            surfaces.srs.add(code)
                else:
                    surfaces.add(holder, index)
                records.append(
                    {
                        "lokaal_id": text_of(feature, "{*}identificatie//{*}lokaalID")
                        or text_of(feature, "{*}identificatie"),
                        "type": kind,
                        "naam": text_of(feature, "{*}naamNL"),
                        "naam_fries": text_of(feature, "{*}naamFries"),
                        "object_begin": text_of(feature, "{*}objectBeginTijd"),
                        "file": name,
                    }
                )
        except READ_ERRORS as exc:
            raise read_error(what, name, exc) from exc
    if seen == 0:
        raise SourceFileError(f"{what}: {path.name} holds no TOP10NL FunctioneelGebied")
    geometry = surfaces.geometries(len(records))
    if points:
        at = np.fromiter(points, dtype=int)
        geometry[at] = shapely.points(np.array(list(points.values()), dtype=float))
    frame = pd.DataFrame.from_records(
        records, columns=["lokaal_id", "type", "naam", "naam_fries", "object_begin", "file"]
    )
    crs = surfaces.crs(f"{what}: {path.name}")
    return FunctioneelGebieden(records=frame, geometry=geometry, crs=crs, filtered=filtered)
