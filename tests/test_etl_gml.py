"""``etl/gml.py``, the one GML geometry reader: every construct it reads, on small GML files in
the official form (``tests/data/gml/``), the arc stroking and its chord tolerance (metres), and
the real IMRO plans, whose arcs and rings of curves must all load with every vertex kept.

All coordinates are RD New (EPSG:28992, metres).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import shapely
from lxml import etree

from etl.gml import (
    CHORD_TOLERANCE_M,
    Geometries,
    iter_features,
    stroke_arcs,
    stroke_circle,
    text_of,
)
from etl.imro_zoning import OBJECT_TYPES, ImroZoning, open_plan, read_plan
from sitefinder.core.errors import SourceFileError
from sitefinder.core.settings import PROJECT_ROOT

DATA = Path(__file__).parent / "data" / "gml"
GML32 = DATA / "constructs_gml32.gml"
GML2 = DATA / "constructs_gml2.gml"
PARAPLU = DATA / "NL.IMRO.9999.BPparaplu-ON01.gml"
DEMO_ZONING = sorted((PROJECT_ROOT / "data" / "demo" / "zoning").glob("*.gml*"))
GML_ID = "{http://www.opengis.net/gml/3.2}id"


def read(path: Path, tolerance: float = CHORD_TOLERANCE_M) -> tuple[dict[str, object], str]:
    """Each ``t:Feature``'s geometry by its id (``gml:id``, or GML 2 ``fid``), and the CRS."""
    geometries = Geometries(chord_tolerance_m=tolerance)
    ids: list[str] = []
    with path.open("rb") as handle:
        for feature in iter_features(handle, "Feature"):
            geometries.add(feature.find("{*}geometry"), len(ids))
            ids.append(feature.get(GML_ID) or feature.get("fid") or "")
    return dict(zip(ids, geometries.build(len(ids)), strict=True)), geometries.crs(path.name)


def coords(geom: object) -> list[tuple[float, float]]:
    return [tuple(xy) for xy in shapely.get_coordinates(geom).tolist()]


def on_circle(
    geom: object, centre: tuple[float, float], radius: float, *, tolerance: float
) -> None:
    """The stroked vertices of ``geom`` that are not on a straight side lie on the circle, and
    the middle of every chord between two of them is within ``tolerance`` of it."""
    xy = shapely.get_coordinates(geom)
    distance = np.hypot(xy[:, 0] - centre[0], xy[:, 1] - centre[1])
    arc = np.isclose(distance, radius, atol=1e-6)
    assert arc.sum() > 3
    pairs = arc[:-1] & arc[1:]
    middle = (xy[:-1][pairs] + xy[1:][pairs]) / 2
    sagitta = radius - np.hypot(middle[:, 0] - centre[0], middle[:, 1] - centre[1])
    assert sagitta.max() <= tolerance + 1e-9
    assert sagitta.min() >= 0


def test_gml32_surfaces() -> None:
    found, crs = read(GML32)
    assert crs == "EPSG:28992"
    hole = found["f.polygon-hole"]
    assert hole.equals(
        shapely.MultiPolygon(
            [
                (
                    [(100000, 450000), (100100, 450000), (100100, 450100), (100000, 450100)],
                    [[(100020, 450020), (100020, 450040), (100040, 450040), (100040, 450020)]],
                )
            ]
        )
    )
    assert hole.area == 9600.0
    # srsDimension 3 on the Polygon, gml:pos per point: the height is dropped.
    assert found["f.polygon-pos-3d"].equals(shapely.box(100000, 450000, 100010, 450010))
    assert not shapely.has_z(found["f.polygon-pos-3d"])
    # count="4" and 12 numbers, no srsDimension: three per point.
    triangle = found["f.count-dimension"]
    assert triangle.area == 50.0 and not shapely.has_z(triangle)
    patches = found["f.surface-patches"]
    assert patches.geom_type == "MultiPolygon" and len(patches.geoms) == 2
    assert sorted(p.area for p in patches.geoms) == [100.0, 200.0]
    multi = found["f.multisurface"]
    assert sorted(p.area for p in multi.geoms) == [100.0, 300.0]  # Polygon and Surface members
    members = found["f.multisurface-members"]
    assert [p.area for p in members.geoms] == [100.0, 100.0]
    composite = found["f.compositesurface"]
    assert len(composite.geoms) == 2 and composite.area == 200.0
    # Adjacent members are not a valid MultiPolygon; validation's make_valid joins them.
    assert shapely.make_valid(composite).area == pytest.approx(200.0)


def test_gml32_ring_of_curve_members_with_an_arc() -> None:
    """A Ring of three curveMembers (LineStringSegments, an Arc, a LineString): a 100 m square
    whose top side is a half circle of radius 50 m around (100050, 450100)."""
    found, _ = read(GML32)
    shape = found["f.ring-curvemembers"]
    assert shape.geom_type == "MultiPolygon" and shape.is_valid
    ring = coords(shapely.get_exterior_ring(shape.geoms[0]))
    assert ring[0] == ring[-1] == (100000.0, 450000.0)
    for control in [(100100, 450000), (100100, 450100), (100050, 450150), (100000, 450100)]:
        assert control in ring  # every written vertex, the arc's middle point too
    assert len(ring) == len(set(ring)) + 1  # the joints between members once
    true_area = 100 * 100 + math.pi * 50**2 / 2
    # Inscribed chords: a little less than the true area, by at most arc length x tolerance.
    assert true_area - math.pi * 50 * CHORD_TOLERANCE_M <= shape.area < true_area
    on_circle(shape, (100050, 450100), 50, tolerance=CHORD_TOLERANCE_M)


def test_gml32_arcstring_and_circle() -> None:
    found, _ = read(GML32)
    circle = found["f.arcstring"]  # two arcs of an ArcString, radius 10 m
    assert circle.is_valid
    assert math.pi * 100 - 2 * math.pi * 10 * CHORD_TOLERANCE_M <= circle.area < math.pi * 100
    for control in [(100210, 450000), (100200, 450010), (100190, 450000), (100200, 449990)]:
        assert control in coords(circle)
    on_circle(circle, (100200, 450000), 10, tolerance=CHORD_TOLERANCE_M)
    disc = found["f.circle"]  # a Circle through three points, radius 25 m, given clockwise
    assert disc.is_valid
    assert math.pi * 625 - 2 * math.pi * 25 * CHORD_TOLERANCE_M <= disc.area < math.pi * 625
    ring = coords(shapely.get_exterior_ring(disc.geoms[0]))
    assert ring[0] == ring[-1] == (100325.0, 450000.0)
    on_circle(disc, (100300, 450000), 25, tolerance=CHORD_TOLERANCE_M)


def test_gml32_curves_and_points() -> None:
    found, _ = read(GML32)
    assert found["f.linestring"].equals(
        shapely.MultiLineString([[(100000, 456000), (100010, 456000), (100010, 456010)]])
    )
    # orientation="-": the base curve (two LineStringSegments) backwards.
    assert coords(found["f.orientable"]) == [
        (100010.0, 457010.0),
        (100010.0, 457000.0),
        (100000.0, 457000.0),
    ]
    curves = found["f.multicurve"]
    assert curves.geom_type == "MultiLineString" and len(curves.geoms) == 2
    quarter = curves.geoms[1]  # a quarter circle of radius 10 m: length 5 pi
    assert 5 * math.pi - 0.01 < quarter.length <= 5 * math.pi
    on_circle(quarter, (100100, 458000), 10, tolerance=CHORD_TOLERANCE_M)
    assert found["f.point"].equals(shapely.Point(100000, 459000))
    assert found["f.multipoint"].equals(shapely.MultiPoint([(100000, 459100), (100010, 459100)]))


def test_gml32_unreadable_geometries_are_none() -> None:
    """The framework quarantines a record without geometry ('no geometry')."""
    found, _ = read(GML32)
    for name in ("f.ring-of-three", "f.not-numbers", "f.unsupported", "f.referenced", "f.empty"):
        assert found[name] is None, name


def test_gml2_coordinates_boundaries_and_multi_geometries() -> None:
    found, crs = read(GML2)
    assert crs == "EPSG:28992"
    polygon = found["f.gml2-polygon"]
    assert polygon.area == 9600.0 and len(polygon.geoms[0].interiors) == 1
    # decimal="," cs=";" in the first member, three values per tuple in the second
    multi = found["f.gml2-multipolygon"]
    assert [p.area for p in multi.geoms] == [105.0, 100.0]
    assert not shapely.has_z(multi)
    lines = found["f.gml2-multilinestring"]
    assert lines.geom_type == "MultiLineString" and lines.length == 20.0


def test_chord_tolerance_decides_the_number_of_segments() -> None:
    """A half circle of radius 50 m: finer tolerance, more segments, never more than it off."""
    control = np.array([[100.0, 0.0], [0.0, 100.0], [-100.0, 0.0]])
    sizes = []
    for tolerance in (1.0, 0.1, 0.01):
        line = stroke_arcs(control, tolerance)
        sizes.append(len(line))
        assert line[0].tolist() == [100.0, 0.0] and line[-1].tolist() == [-100.0, 0.0]
        assert [0.0, 100.0] in line.tolist()
        middle = (line[1:] + line[:-1]) / 2
        assert (100 - np.hypot(middle[:, 0], middle[:, 1])).max() <= tolerance
    assert sizes[0] < sizes[1] < sizes[2]
    # Clockwise control points give the arc on the other side.
    assert (stroke_arcs(control[::-1] * [1, -1], 0.01)[:, 1] <= 1e-9).all()
    # Collinear control points are a straight line: the three points as given.
    straight = np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 3.0]])
    assert stroke_arcs(straight).tolist() == straight.tolist()
    full = stroke_circle(np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]), 0.001)
    assert full[0].tolist() == full[-1].tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match="chord_tolerance_m"):
        Geometries(chord_tolerance_m=0)


def test_one_crs_per_file() -> None:
    parts = [
        f'<gml:Point xmlns:gml="http://www.opengis.net/gml/3.2" srsName="EPSG:{code}">'
        "<gml:pos>5.1 52.1</gml:pos></gml:Point>"
        for code in (28992, 4326)
    ]
    geometries = Geometries()
    for index, part in enumerate(parts):
        assert geometries.add(etree.fromstring(part), index)
    with pytest.raises(SourceFileError, match="mixes coordinate systems"):
        geometries.crs("test.gml")


@pytest.mark.parametrize("plan", DEMO_ZONING, ids=lambda p: p.name)
def test_imro_plans_load_every_area_with_every_vertex(plan: Path) -> None:
    """Every plan object (main zoning and overlays) of the bundled plans has a valid
    (Multi)Polygon (none lost to its geometry), and every vertex written in its GML (also the
    arcs' control points) is in it."""
    frame = read_plan(plan)
    geoms = frame.geometry.to_numpy()
    assert len(frame) > 0 and not shapely.is_missing(geoms).any()
    assert shapely.is_valid(geoms).all()
    written: list[set[tuple[float, float]]] = []
    with open_plan(plan) as handle:
        for element in iter_features(handle, *OBJECT_TYPES):
            points = " ".join(p.text or "" for p in element.iterfind("{*}geometrie//{*}posList"))
            values = np.array(points.split(), dtype=float).reshape(-1, 2)
            written.append({(x, y) for x, y in values.tolist()})
            group = (
                "gebiedsaanduidinggroep" if "aanduiding" in element.tag else "bestemmingshoofdgroep"
            )
            assert text_of(element, "{*}" + group) is not None
    assert len(written) == len(frame)
    for geom, vertices in zip(geoms, written, strict=True):
        assert vertices <= set(coords(geom))


def test_imro_paraplu_plan_without_enkelbestemming() -> None:
    """A plan with only a Dubbelbestemming loads that overlay and says so (GDAL could not open
    its missing Enkelbestemming layer at all)."""
    paraplu = read_plan(PARAPLU)
    assert list(paraplu["name"]) == ["Waarde - Archeologie"]
    assert [p["zoning_role"] for p in paraplu["props"]] == ["overlay"]
    assert list(paraplu["partition_key"]) == ["NL.IMRO.9999.BPparaplu"]
    pipeline = ImroZoning()
    frame = pipeline.read([PARAPLU, DEMO_ZONING[0]])
    assert len(frame) == len(read_plan(DEMO_ZONING[0])) + 1
    assert pipeline.notes == [
        "NL.IMRO.9999.BPparaplu-ON01 is a paraplu plan (no main zoning; it changes the rules of"
        " the plans in force in its area): its overlays loaded (1 Dubbelbestemming)"
    ]
