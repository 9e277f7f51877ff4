"""GML: one geometry reader for every GML source, and streaming of features out of a file or zip.

Sources read with it: BGT panden (IMGeo 2.1 CityGML, :mod:`etl.bgt_panden`), TOP10NL
FunctioneelGebied (:mod:`etl.top10nl`), BRK DKK v4/v5 parcels (:mod:`etl.brk_plots`) and IMRO
bestemmingsplannen (:mod:`etl.imro_zoning`). Every one of them is GML 3.1 or 3.2 in EPSG:28992
(RD New, metres); the reader takes the CRS from each geometry's ``srsName`` (``28992``,
``EPSG:28992``, ``urn:ogc:def:crs:EPSG::28992`` …) and refuses a file that mixes CRSs.

**Geometry.** :class:`Geometries` is given a feature's geometry property (or the geometry
element itself) while the file is streamed, and turns all features into shapely geometries in one
vectorised pass at the end (``shapely.linearrings`` / ``polygons`` / ``multipolygons`` over one
coordinate array), one geometry per feature:

* surfaces -> one MultiPolygon: ``Polygon`` (``exterior``/``interior``, or GML 2
  ``outerBoundaryIs``/``innerBoundaryIs``), ``PolygonPatch`` (and ``Rectangle``/``Triangle``),
  ``Surface`` (``patches``), ``MultiSurface`` (``surfaceMember``/``surfaceMembers``),
  ``CompositeSurface`` (its members side by side; validation's ``make_valid`` joins them), GML 2
  ``MultiPolygon`` (``polygonMember``);
* rings: ``LinearRing``, and ``Ring`` of one or more ``curveMember`` curves joined end to end;
* curves -> one MultiLineString: ``LineString``, ``Curve`` with ``segments`` of
  ``LineStringSegment``, ``Arc``, ``ArcString`` and ``Circle``, ``OrientableCurve`` (``-``
  reverses it), ``CompositeCurve``, ``MultiCurve``, GML 2 ``MultiLineString``;
* points: ``Point`` -> Point, ``MultiPoint`` -> MultiPoint;
* coordinates: ``posList`` (``srsDimension`` on it or on an enclosing geometry, else from
  ``count``, else 2), a series of ``pos``, or GML 2 ``coordinates`` (``cs``, ``ts``,
  ``decimal``); ``srsDimension`` 2 or 3, a height is dropped.

Arcs (``Arc``, ``ArcString``, ``Circle``; three control points per arc, the circle through
them) are stroked into straight segments so that no segment's chord lies farther than
``chord_tolerance_m`` (default :data:`CHORD_TOLERANCE_M`, 0.01 m) from the true arc: an arc of
radius r gets steps of at most 2·acos(1 - t/r) radians. Every control point is kept exactly (the
arc is stroked from start to middle point and from middle to end), so a vertex shared with a
neighbouring plan object stays shared. An ``Arc`` written with 2n+1 points is read as the
ArcString it is.

**What is repaired here, and what is not.** Nothing of an area is lost that can be read: a ring
is closed when its last point is not its first (a triangle of three points is a triangle), the
curves of a ``Ring`` or ``CompositeCurve`` are joined end to end also when a writer gave one
backwards or out of order, and a degenerate ring (fewer than 3 distinct points, which encloses
nothing) is dropped from its polygon, counted in :attr:`Geometries.dropped_rings`, instead of
costing the whole feature; a polygon whose exterior is degenerate is dropped from its surface.
Invalid but readable geometry (self-intersections, touching or overlapping parts, holes
outside the shell) is kept as written: validation repairs it with ``make_valid``, as
``ST_MakeValid`` would. A feature whose geometry cannot be read (numbers that are not numbers,
no ring left, an element not listed above) gets ``None`` and is quarantined by the framework
(``no geometry``).

**Which reader per source, measured** (2026-12-01). ``bench/gml_readers.py`` (2 cores,
median of 7 rounds in which the readers take turns; whole reading including attributes, as the
pipeline does it; ``×N``: the sample's features repeated N times) against GDAL 3.12's GML
driver as it opens a file by itself, and told the feature class, geometry element and fields
by a GFS template (``GFS_TEMPLATE``, no schema pre-scan: GDAL's fastest way):

* **BGT pand** (Otterlo zip, 1,681 of 2,273 kept): gml.py 173 ms; GDAL alone 169 ms but the
  *label points* of numbered panden; GDAL+GFS 141 ms, the same polygons (0 m Hausdorff). ×10:
  gml.py 1,684 ms, GDAL+GFS 1,204 ms. But GDAL+GFS reads a truncated file without an error
  (0 records: the load would empty the layer); the lxml pass that would have to precede it
  takes 71 / 412 ms, so a safe GDAL reading costs 212 / 1,617 ms: slower on the sample, 4 %
  faster at ×10, for two parsers over every file. **gml.py.**
* **BRK DKK v4 + v5** (19 parcels): gml.py 5.8 ms; GDAL alone 9.6 ms, the
  ``plaatscoordinaten`` points; GDAL+GFS 5.7 ms (+0.9 ms check), the same polygons. ×500
  (9,500): gml.py 1,044 ms, GDAL+GFS 700 ms, with the check 967 ms (7 % faster), again two
  parsers, one template per DKK version (v4 ``identificatie/lokaalID``, v5
  ``identificatie``) and the same silent truncation. **gml.py.**
* **TOP10NL FunctioneelGebied** (written sample): gml.py 1.0 ms, GDAL 3.4 ms with the same
  polygons; GDAL gives one geometry column per feature class, and TOP10NL puts a feature's
  geometry in one of three properties (vlak, multivlak, punt). **gml.py.**
* **IMRO** (the 8 plans of ``/work/shared/data/nl/zoning``): gml.py reads every plan, GDAL
  cannot open the paraplu plan NL.IMRO.0297.BGBBP20140020-OW01 (no Enkelbestemming layer).
  On the 7 others the same ids and props, every area valid, 0 lost; the geometry differs only
  where GDAL strokes arcs in steps of 4 degrees: up to 0.067 m Hausdorff (gml.py is within
  0.01 m of the true arc, every written vertex kept). 180 ms in all for gml.py, 209 ms GDAL,
  200 ms GDAL+GFS; ×10 of the largest plan 142 / 206 / 185 ms. **gml.py.**
"""

from __future__ import annotations

import itertools
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import IO

import numpy as np
import shapely
from lxml import etree

from sitefinder.core.errors import SourceFileError

RD_EPSG = 28992
GML_PREFIX = "{http://www.opengis.net/gml"  # GML 3.1 (…/gml) and 3.2 (…/gml/3.2)
CHORD_TOLERANCE_M = 0.01
MIN_RING_POINTS = 4

SURFACES = frozenset({"Polygon", "Surface", "MultiSurface", "CompositeSurface", "MultiPolygon"})
PATCHES = frozenset({"Polygon", "PolygonPatch", "Rectangle", "Triangle"})
CURVES = frozenset(
    {"LineString", "Curve", "OrientableCurve", "CompositeCurve", "MultiCurve", "MultiLineString"}
)
SINGLE_CURVES = frozenset({"LineString", "Curve", "OrientableCurve", "CompositeCurve"})
POINTS = frozenset({"Point", "MultiPoint"})
GEOMETRIES = SURFACES | CURVES | POINTS
GML_NAMESPACES = ("http://www.opengis.net/gml", "http://www.opengis.net/gml/3.2")
PATCH_TAGS = tuple(f"{{{ns}}}{name}" for ns in GML_NAMESPACES for name in sorted(PATCHES))
EXTERIOR = frozenset({"exterior", "outerBoundaryIs"})
INTERIOR = frozenset({"interior", "innerBoundaryIs"})


class Unreadable(Exception):
    """A geometry this reader cannot make sense of; the feature gets no geometry."""


# --------------------------------------------------------------------------------------------
# elements


def local_name(element: etree._Element) -> str:
    """The element's name without its namespace (``'' `` for comments and processing
    instructions)."""
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def text_of(element: etree._Element, path: str) -> str | None:
    """The stripped text at ``path`` (ElementPath, ``{*}`` wildcards allowed); None if blank."""
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def child_texts(element: etree._Element) -> dict[str, str]:
    """The stripped, non-blank text of each direct child by its local name (the first of a
    name): one pass for all the simple fields of a feature."""
    out: dict[str, str] = {}
    for child in element:
        tag, text = child.tag, child.text
        if text is not None and isinstance(tag, str):
            text = text.strip()
            if text:
                out.setdefault(tag[tag.rfind("}") + 1 :], text)
    return out


def gml_id(element: etree._Element) -> str | None:
    """The element's ``gml:id`` (GML 3.1 or 3.2)."""
    for key, value in element.attrib.items():
        name = str(key)
        if name.startswith(GML_PREFIX) and name.endswith("}id"):
            return str(value).strip() or None
    return None


@lru_cache(maxsize=64)
def srs_epsg(srs_name: str | None) -> int | None:
    """The EPSG code in an ``srsName`` (``28992``, ``EPSG:28992``, ``urn:…:EPSG::28992``)."""
    if not srs_name:
        return None
    match = re.search(r"(\d+)\s*$", srs_name)
    return int(match.group(1)) if match else None


_NAMES: dict[object, str | None] = {}


def _gml_name(tag: object) -> str | None:
    """The local name of a GML element's tag (cached: a schema has few); None for another
    element, a comment or a processing instruction."""
    try:
        return _NAMES[tag]
    except KeyError:
        name = (
            tag.rsplit("}", 1)[-1] if isinstance(tag, str) and tag.startswith(GML_PREFIX) else None
        )
        _NAMES[tag] = name
        return name


def _gml_children(element: etree._Element) -> list[tuple[str, etree._Element]]:
    """The GML children of ``element`` with their local names, in order."""
    return [(name, child) for child in element if (name := _gml_name(child.tag))]


def _first_gml_child(element: etree._Element) -> tuple[str, etree._Element]:
    for child in element:
        name = _gml_name(child.tag)
        if name:
            return name, child
    raise Unreadable(f"gml:{_gml_name(element.tag)} holds no geometry")


def _dimension(element: etree._Element, inherited: int | None) -> int | None:
    value = element.get("srsDimension")
    if value is None:
        return inherited
    try:
        return int(value)
    except ValueError:
        raise Unreadable(f"srsDimension {value!r}") from None


# --------------------------------------------------------------------------------------------
# coordinates (x, y in the geometry's CRS; a height is dropped)


def _numbers(text: str | None) -> np.ndarray:
    try:
        return np.array((text or "").split(), dtype=float)
    except ValueError:
        raise Unreadable("coordinates that are not numbers") from None


def _pos_list(element: etree._Element, dim: int | None) -> np.ndarray:
    values = _numbers(element.text)
    dim = _dimension(element, dim)
    count = element.get("count")
    if dim is None:
        dim = len(values) // int(count) if count and count.isdigit() and int(count) else 2
    if dim not in (2, 3) or len(values) == 0 or len(values) % dim:
        raise Unreadable(f"a posList of {len(values)} numbers in {dim} dimensions")
    return values.reshape(-1, dim)[:, :2]


def _pos(element: etree._Element) -> np.ndarray:
    values = _numbers(element.text)
    if len(values) not in (2, 3):
        raise Unreadable(f"a pos of {len(values)} numbers")
    return values[:2]


def _coordinates(element: etree._Element) -> np.ndarray:
    """GML 2 ``<gml:coordinates cs="," ts=" " decimal=".">x,y x,y</gml:coordinates>``."""
    cs, ts, decimal = element.get("cs", ","), element.get("ts", " "), element.get("decimal", ".")
    text = (element.text or "").strip()
    tuples = text.split() if ts.isspace() else [t.strip() for t in text.split(ts) if t.strip()]
    parts = [t.split(cs) for t in tuples]
    if not parts or len({len(p) for p in parts}) != 1 or len(parts[0]) not in (2, 3):
        raise Unreadable("unreadable gml:coordinates")
    flat = " ".join(v.replace(decimal, ".") if decimal != "." else v for p in parts for v in p)
    return _numbers(flat).reshape(len(parts), -1)[:, :2]


def control_points(owner: etree._Element, dim: int | None) -> np.ndarray:
    """The (n, 2) coordinates directly inside ``owner`` (a LinearRing, LineString, segment or
    Point): its ``posList``, its ``pos`` children (or ``pointProperty/Point/pos``), or its
    ``coordinates``."""
    dim = _dimension(owner, dim)
    single: list[np.ndarray] = []
    for name, child in _gml_children(owner):
        if name == "posList":
            return _pos_list(child, dim)
        if name == "coordinates":
            return _coordinates(child)
        if name == "pos":
            single.append(_pos(child))
        elif name in ("pointProperty", "pointRep"):
            pos = child.find("{*}Point/{*}pos")
            if pos is None:
                raise Unreadable("a pointProperty without a Point (a reference?)")
            single.append(_pos(pos))
    if not single:
        raise Unreadable(f"gml:{_gml_name(owner.tag)} has no coordinates")
    return np.vstack(single)


# --------------------------------------------------------------------------------------------
# arcs, stroked to a chord tolerance (metres)


def _stroke(
    centre: np.ndarray,
    radius: np.ndarray,
    start: np.ndarray,
    sweep: np.ndarray,
    starts: np.ndarray,
    end: np.ndarray,
    tolerance_m: float,
) -> np.ndarray:
    """Points along circle pieces: piece i runs from ``starts[i]`` (exact) at angle ``start[i]``
    over ``sweep[i]`` radians around ``centre[i]``; then the exact ``end``. A piece with an
    infinite radius (collinear control points) is a straight step. Vectorised over the pieces."""
    finite = np.isfinite(radius) & (radius > 0)
    safe_r = np.where(finite, radius, 1.0)
    ratio = np.clip(1.0 - tolerance_m / safe_r, -1.0, 1.0)
    step = np.minimum(2.0 * np.arccos(ratio), np.pi / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.where(finite & (step > 0), np.ceil(np.abs(sweep) / step), 1.0)
    n = np.maximum(n, 1).astype(np.int64)
    piece = np.repeat(np.arange(len(n)), n)
    k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    angle = start[piece] + sweep[piece] * (k / n[piece])
    points = centre[piece] + safe_r[piece, None] * np.column_stack((np.cos(angle), np.sin(angle)))
    first = k == 0
    points[first] = starts  # the control points themselves, not recomputed ones
    return np.vstack((points, end[None, :]))


def _circles(p0: np.ndarray, p1: np.ndarray, p2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centres and radii of the circles through three points (per row); radius inf when the
    points are collinear. Computed relative to ``p0`` for precision at RD magnitudes."""
    b, c = p1 - p0, p2 - p0
    d = 2.0 * (b[:, 0] * c[:, 1] - b[:, 1] * c[:, 0])
    bb, cc = (b**2).sum(axis=1), (c**2).sum(axis=1)
    scale = np.maximum(bb, cc)
    straight = np.abs(d) <= 1e-12 * np.where(scale > 0, scale, 1.0)
    safe_d = np.where(straight, 1.0, d)
    ux = (c[:, 1] * bb - b[:, 1] * cc) / safe_d
    uy = (b[:, 0] * cc - c[:, 0] * bb) / safe_d
    centre = p0 + np.column_stack((ux, uy))
    radius = np.where(straight, np.inf, np.hypot(ux, uy))
    return centre, radius


def _sweep(a_from: np.ndarray, a_to: np.ndarray, ccw: np.ndarray) -> np.ndarray:
    """The angle from ``a_from`` to ``a_to`` turning counter-clockwise (>0) or clockwise (<0)."""
    turn = np.pi * 2
    sweep: np.ndarray = np.where(ccw, np.mod(a_to - a_from, turn), -np.mod(a_from - a_to, turn))
    return sweep


def stroke_arcs(points: np.ndarray, tolerance_m: float = CHORD_TOLERANCE_M) -> np.ndarray:
    """An ``ArcString``'s (2n+1, 2) control points (n arcs, each start, middle, end; an
    ``Arc`` is n=1) as a line of straight segments within ``tolerance_m`` metres of the arcs."""
    if len(points) < 3 or len(points) % 2 == 0:
        raise Unreadable(f"an arc string of {len(points)} points")
    p0, p1, p2 = points[0:-1:2], points[1::2], points[2::2]
    centre, radius = _circles(p0, p1, p2)
    ccw = ((p1 - p0)[:, 0] * (p2 - p1)[:, 1] - (p1 - p0)[:, 1] * (p2 - p1)[:, 0]) > 0
    a0, a1, a2 = (np.arctan2(p[:, 1] - centre[:, 1], p[:, 0] - centre[:, 0]) for p in (p0, p1, p2))
    # two pieces per arc: start -> middle, middle -> end
    centres = np.repeat(centre, 2, axis=0)
    radii = np.repeat(radius, 2)
    starts_angle = np.column_stack((a0, a1)).ravel()
    sweeps = np.column_stack((_sweep(a0, a1, ccw), _sweep(a1, a2, ccw))).ravel()
    return _stroke(centres, radii, starts_angle, sweeps, points[:-1], points[-1], tolerance_m)


def stroke_circle(points: np.ndarray, tolerance_m: float = CHORD_TOLERANCE_M) -> np.ndarray:
    """A ``Circle`` (the circle through its three control points, run in their order from the
    first back to the first) as a closed line within ``tolerance_m`` metres of the circle."""
    if len(points) != 3:
        raise Unreadable(f"a circle of {len(points)} points")
    p = points[None, :, :]
    centre, radius = _circles(p[:, 0], p[:, 1], p[:, 2])
    if not np.isfinite(radius[0]):
        raise Unreadable("a circle through three collinear points")
    (ax, ay), (bx, by) = points[1] - points[0], points[2] - points[1]
    ccw = bool(ax * by - ay * bx > 0)
    angles = np.arctan2(points[:, 1] - centre[0, 1], points[:, 0] - centre[0, 0])
    to = np.roll(angles, -1)
    sweeps = _sweep(angles, to, np.full(3, ccw))
    return _stroke(
        np.repeat(centre, 3, axis=0),
        np.repeat(radius, 3),
        angles,
        sweeps,
        points,
        points[0],
        tolerance_m,
    )


# --------------------------------------------------------------------------------------------
# curves, rings, polygons


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(a[0] == b[0] and a[1] == b[1])


def _chain(pieces: list[np.ndarray]) -> list[np.ndarray] | None:
    """The pieces reordered and turned so that each starts where the one before ends, starting
    from the first as written (turned if only that fits); None when they do not form a chain."""
    for first in (pieces[0], pieces[0][::-1]):
        chain, rest = [first], list(pieces[1:])
        while rest:
            end = chain[-1][-1]
            found = next((i for i, p in enumerate(rest) if _same(p[0], end)), None)
            if found is not None:
                chain.append(rest.pop(found))
                continue
            found = next((i for i, p in enumerate(rest) if _same(p[-1], end)), None)
            if found is None:
                break
            chain.append(rest.pop(found)[::-1])
        if not rest:
            return chain
    return None


def _join(pieces: list[np.ndarray]) -> np.ndarray:
    """Pieces of one line end to end, each joint point once.

    As written when every piece starts where the one before ends (the fast path); else the
    pieces are chained (a member given backwards or out of order), and where no chain exists
    they are joined as written (a gap becomes a straight segment).
    """
    if not pieces:
        raise Unreadable("a curve without segments")
    if len(pieces) == 1:
        return pieces[0]
    if not all(_same(b[0], a[-1]) for a, b in itertools.pairwise(pieces)):
        pieces = _chain(pieces) or pieces
    out = [pieces[0]]
    for piece in pieces[1:]:
        out.append(piece[1:] if _same(piece[0], out[-1][-1]) else piece)
    return np.vstack(out)


def _segment(name: str, segment: etree._Element, dim: int | None, tolerance_m: float) -> np.ndarray:
    points = control_points(segment, dim)
    if name == "LineStringSegment":
        return points
    if name in ("Arc", "ArcString"):
        if len(points) < 3 or len(points) % 2 == 0:  # an Arc of 2n+1 points is an ArcString
            raise Unreadable(f"gml:{name} of {len(points)} points")
        return stroke_arcs(points, tolerance_m)
    if name == "Circle":
        return stroke_circle(points, tolerance_m)
    raise Unreadable(f"gml:{name} is not supported")


def _curve(name: str, curve: etree._Element, dim: int | None, tolerance_m: float) -> np.ndarray:
    """One line from a LineString, LinearRing, Curve, OrientableCurve or CompositeCurve
    (``name``, the element's local name)."""
    dim = _dimension(curve, dim)
    if name in ("LineString", "LinearRing"):
        return control_points(curve, dim)
    if name == "Curve":
        segments = curve.find("{*}segments")
        if segments is None:
            raise Unreadable("a gml:Curve without segments")
        return _join([_segment(n, e, dim, tolerance_m) for n, e in _gml_children(segments)])
    if name == "OrientableCurve":
        base = curve.find("{*}baseCurve")
        if base is None:
            raise Unreadable("a gml:OrientableCurve without baseCurve")
        line = _curve(*_first_gml_child(base), dim, tolerance_m)
        return line[::-1] if curve.get("orientation", "+").strip() == "-" else line
    if name == "CompositeCurve":
        return _join(_members(curve, dim, tolerance_m))
    raise Unreadable(f"gml:{name} is not a curve")


def _members(owner: etree._Element, dim: int | None, tolerance_m: float) -> list[np.ndarray]:
    """The lines of ``owner``'s ``curveMember`` children (a Ring, a CompositeCurve), in order."""
    return [
        _curve(*_first_gml_child(member), dim, tolerance_m)
        for name, member in _gml_children(owner)
        if name == "curveMember"
    ]


def _ring(boundary: etree._Element, dim: int | None, tolerance_m: float) -> np.ndarray | None:
    """The closed (n >= 4, 2) coordinates of an exterior/interior's LinearRing or Ring, closed
    when the writer did not repeat the first point; None for a degenerate ring (fewer than 3
    distinct points: it encloses nothing)."""
    name, ring = _first_gml_child(boundary)
    dim = _dimension(ring, dim)
    if name == "LinearRing":
        coords = control_points(ring, dim)
    elif name == "Ring":
        coords = _join(_members(ring, dim, tolerance_m))
    else:
        raise Unreadable(f"gml:{name} is not a ring")
    if len(coords) and not _same(coords[0], coords[-1]):
        coords = np.vstack((coords, coords[:1]))
    if len(coords) < MIN_RING_POINTS or len(np.unique(coords, axis=0)) < MIN_RING_POINTS - 1:
        return None
    return coords


def _polygon(
    patch: etree._Element, dim: int | None, tolerance_m: float
) -> tuple[list[np.ndarray], int]:
    """The rings of a Polygon or patch, the exterior first, then the interiors, and the number
    of degenerate rings dropped ([] when the exterior is degenerate: nothing is enclosed)."""
    exterior: list[np.ndarray | None] = []
    interiors: list[np.ndarray | None] = []
    for name, boundary in _gml_children(patch):
        if name in EXTERIOR:
            exterior.append(_ring(boundary, dim, tolerance_m))
        elif name in INTERIOR:
            interiors.append(_ring(boundary, dim, tolerance_m))
    if len(exterior) != 1:
        raise Unreadable(f"a gml:{_gml_name(patch.tag)} with {len(exterior)} exteriors")
    kept = [ring for ring in interiors if ring is not None]
    dropped = len(interiors) - len(kept)
    if exterior[0] is None:
        return [], dropped + 1
    return [exterior[0], *kept], dropped


def _surfaces(
    top: etree._Element, dim: int | None, tolerance_m: float, out: list[list[np.ndarray]]
) -> int:
    """Every polygon under ``top``, through any nesting of surfaces, members and patches
    (found in one C-level pass, ``iter``); ``srsDimension`` from ``top``, the patch or the
    coordinates themselves. Returns the number of degenerate rings dropped."""
    dim = _dimension(top, dim)
    dropped = 0
    for patch in top.iter(*PATCH_TAGS):
        rings, n = _polygon(patch, _dimension(patch, dim), tolerance_m)
        dropped += n
        if rings:
            out.append(rings)
    return dropped


def _lines(
    name: str,
    element: etree._Element,
    dim: int | None,
    tolerance_m: float,
    out: list[np.ndarray],
) -> None:
    dim = _dimension(element, dim)
    if name in SINGLE_CURVES:
        line = _curve(name, element, dim, tolerance_m)
        if len(line) < 2:
            raise Unreadable("a line of one point")
        out.append(line)
        return
    for child_name, child in _gml_children(element):
        _lines(child_name, child, dim, tolerance_m, out)


def _points(name: str, element: etree._Element, dim: int | None, out: list[np.ndarray]) -> None:
    dim = _dimension(element, dim)
    if name == "Point":
        points = control_points(element, dim)
        if len(points) != 1:
            raise Unreadable(f"a point of {len(points)} positions")
        out.append(points)
        return
    for child_name, child in _gml_children(element):
        _points(child_name, child, dim, out)


def geometry_element(element: etree._Element) -> etree._Element | None:
    """``element`` itself when it is a GML geometry, else the first one inside it."""
    for candidate in element.iter():
        if _gml_name(candidate.tag) in GEOMETRIES:
            return candidate
    return None


# --------------------------------------------------------------------------------------------


@dataclass
class Geometries:
    """The geometries of many features, collected while parsing and built in one pass.

    Call :meth:`add` once per feature with its geometry property (or geometry) element and
    its index, then :meth:`build` once. Coordinates are kept as read (the CRS of
    :meth:`crs`); arcs are stroked to ``chord_tolerance_m`` metres.
    """

    chord_tolerance_m: float = CHORD_TOLERANCE_M
    rings: list[np.ndarray] = field(default_factory=list)  # (n, 2) per ring
    ring_polygon: list[int] = field(default_factory=list)  # polygon number of each ring
    polygon_feature: list[int] = field(default_factory=list)  # feature of each polygon
    lines: list[np.ndarray] = field(default_factory=list)
    line_feature: list[int] = field(default_factory=list)
    points: list[np.ndarray] = field(default_factory=list)  # (1, 2) per point
    point_feature: list[int] = field(default_factory=list)
    multipoint: set[int] = field(default_factory=set)  # features that are a MultiPoint
    srs: set[int] = field(default_factory=set)
    dropped_rings: int = 0  # degenerate rings left out of their polygons (see the module doc)

    def __post_init__(self) -> None:
        if not self.chord_tolerance_m > 0:
            raise ValueError("chord_tolerance_m must be > 0 (metres)")

    def add(self, element: etree._Element | None, feature: int) -> bool:
        """Read the geometry in ``element`` for ``feature``; False when there is none or it
        cannot be read (the feature then gets ``None``)."""
        top = geometry_element(element) if element is not None else None
        if top is None:
            return False
        kind = _gml_name(top.tag) or ""
        tolerance = self.chord_tolerance_m
        try:
            dropped = 0
            if kind in SURFACES:
                polygons: list[list[np.ndarray]] = []
                dropped = _surfaces(top, None, tolerance, polygons)
                if not polygons:
                    raise Unreadable(f"a gml:{kind} without polygons")
            elif kind in CURVES:
                lines: list[np.ndarray] = []
                _lines(kind, top, None, tolerance, lines)
                if not lines:
                    raise Unreadable(f"a gml:{kind} without curves")
            else:
                points: list[np.ndarray] = []
                _points(kind, top, None, points)
                if not points:
                    raise Unreadable(f"a gml:{kind} without points")
        except Unreadable:
            return False
        self.dropped_rings += dropped
        code = srs_epsg(top.get("srsName"))
        if code is None:
            code = next((srs_epsg(e.get("srsName")) for e in top.iter() if e.get("srsName")), None)
        if code is not None:
            self.srs.add(code)
        if kind in SURFACES:
            for rings in polygons:
                number = len(self.polygon_feature)
                self.rings.extend(rings)
                self.ring_polygon.extend([number] * len(rings))
                self.polygon_feature.append(feature)
        elif kind in CURVES:
            self.lines.extend(lines)
            self.line_feature.extend([feature] * len(lines))
        else:
            self.points.extend(points)
            self.point_feature.extend([feature] * len(points))
            if kind == "MultiPoint":
                self.multipoint.add(feature)
        return True

    def build(self, n_features: int) -> np.ndarray:
        """One geometry per feature (object array; None where it had none), vectorised:
        MultiPolygon for surfaces, MultiLineString for curves, Point or MultiPoint."""
        out = np.full(n_features, None, dtype=object)
        if self.rings:
            sizes = np.array([len(r) for r in self.rings])
            rings = shapely.linearrings(
                np.concatenate(self.rings), indices=np.repeat(np.arange(len(sizes)), sizes)
            )
            polygons = shapely.polygons(np.asarray(rings, dtype=object), indices=self.ring_polygon)
            owners, dense = np.unique(self.polygon_feature, return_inverse=True)
            out[owners] = shapely.multipolygons(np.asarray(polygons, dtype=object), indices=dense)
        if self.lines:
            sizes = np.array([len(line) for line in self.lines])
            lines = shapely.linestrings(
                np.concatenate(self.lines), indices=np.repeat(np.arange(len(sizes)), sizes)
            )
            owners, dense = np.unique(self.line_feature, return_inverse=True)
            out[owners] = shapely.multilinestrings(np.asarray(lines, dtype=object), indices=dense)
        if self.points:
            points = np.asarray(shapely.points(np.concatenate(self.points)), dtype=object)
            feature = np.asarray(self.point_feature)
            multi = np.isin(feature, list(self.multipoint))
            out[feature[~multi]] = points[~multi]
            if multi.any():
                owners, dense = np.unique(feature[multi], return_inverse=True)
                out[owners] = shapely.multipoints(points[multi], indices=dense)
        return out

    def crs(self, what: str) -> str:
        """The one CRS of all geometries (EPSG:28992 when none is named)."""
        if len(self.srs) > 1:
            codes = ", ".join(f"EPSG:{c}" for c in sorted(self.srs))
            raise SourceFileError(f"{what} mixes coordinate systems ({codes})")
        return f"EPSG:{next(iter(self.srs), RD_EPSG)}"


# --------------------------------------------------------------------------------------------
# files: a bare GML or the members of a zip, streamed


def open_members(
    path: Path, pattern: str, what: str, *, label: str | None = None
) -> Iterator[tuple[str, IO[bytes]]]:
    """Binary handles of ``path`` itself (not a zip) or of its members matching ``pattern``.

    ``pattern`` is a case-insensitive regular expression on the member's file name; ``label``
    names such a member in the error of a zip without one. Raises :class:`SourceFileError`
    for a corrupt zip or one without such a member.
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
                wanted = label or f"member matching {pattern}"
                raise SourceFileError(f"{what}: {path.name} holds no {wanted}")
            for name in names:
                with archive.open(name) as handle:
                    yield f"{path.name}:{name}", handle
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise SourceFileError(f"{what}: cannot read {path}: corrupt zip ({exc})") from exc


def iter_features(handle: IO[bytes], *local: str) -> Iterator[etree._Element]:
    """Stream the elements named ``local`` (one or more names, any namespace), in file order,
    freeing each after use, so that a file of any size is read in constant memory."""
    tags = [f"{{*}}{name}" for name in local]
    # entities are not expanded (no "billion laughs", no external files); huge_tree lifts
    # libxml2's limits on text sizes and depth, not this
    events = etree.iterparse(
        handle, events=("end",), tag=tags, huge_tree=True, resolve_entities=False, no_network=True
    )
    for _, element in events:
        yield element
        element.clear()
        while element.getprevious() is not None:
            parent = element.getparent()
            if parent is None:
                break
            del parent[0]


READ_ERRORS = (etree.XMLSyntaxError, zipfile.BadZipFile, zlib.error, EOFError)


def read_error(what: str, name: str, exc: Exception) -> SourceFileError:
    """A one-line :class:`SourceFileError` for broken XML or a corrupt zip member."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, etree.XMLSyntaxError):
        return SourceFileError(f"{what}: {name} is not valid XML (truncated?): {first}")
    return SourceFileError(f"{what}: cannot read {name}: corrupt zip ({first})")
