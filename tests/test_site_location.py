"""The site pipelines' shared check against the municipalities (``etl.loading``), on PostGIS.

Two hand-made square gemeenten (EPSG:28992, 1 km each) and four offices (the VBO point file
format): inside one, 40 m outside it (kept, flagged, given the nearest gemeente), 600 m outside
both (quarantined) and inside the other. The gemeenten layer is a dependency of every site
layer: it loads first, and reloading it reloads the sites.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg

from etl import get_pipeline, run_order
from etl.declarations import SITE_UPSTREAM
from etl.loading import OUTSIDE_GEMEENTE, SITE_BOUNDARY_MARGIN_M, no_progress, run_pipeline
from layers import site_layers

CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}


def _square(x: float, y: float, size: float = 1000.0) -> dict[str, Any]:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def _write(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "crs": CRS, "features": features}))
    return path


def _gemeenten(path: Path, shift: float = 0.0) -> Path:
    return _write(
        path,
        [
            {
                "type": "Feature",
                "properties": {"gemeentecode": code, "gemeentenaam": name},
                "geometry": _square(x + shift, 450000),
            }
            for code, name, x in (("GM9001", "Oostdorp", 150000), ("GM9002", "Westdorp", 160000))
        ],
    )


def _offices(path: Path) -> Path:
    points = {
        "0000010000000001": (150500, 450500),  # inside Oostdorp
        "0000010000000002": (151040, 450500),  # 40 m east of Oostdorp: on the boundary
        "0000010000000003": (151600, 450500),  # 600 m from Oostdorp: outside the country
        "0000010000000004": (160500, 450500),  # inside Westdorp
    }
    return _write(
        path,
        [
            {
                "type": "Feature",
                "properties": {
                    "vbo_id": vbo,
                    "gebruiksdoelen_bag": "kantoorfunctie",
                    "oppervlakte_m2": 200,
                    "status": "Verblijfsobject in gebruik",
                },
                "geometry": {"type": "Point", "coordinates": list(xy)},
            }
            for vbo, xy in points.items()
        ],
    )


def _run(conn: psycopg.Connection[Any], layer: str, path: Path) -> Any:
    return run_pipeline(conn, get_pipeline(layer), [path], progress=no_progress)


def test_gemeenten_load_before_every_site_layer() -> None:
    order = run_order()
    for layer in site_layers():
        assert set(SITE_UPSTREAM) <= set(get_pipeline(layer.name).upstream())
        assert order.index("gemeenten") < order.index(layer.name), layer.name


def test_sites_outside_every_municipality(conn: psycopg.Connection[Any], tmp_path: Path) -> None:
    for table in ("site", "area", "quarantine"):
        conn.execute(f"DELETE FROM {table}")
    offices = _offices(tmp_path / "vbo.geojson")
    # without the gemeenten layer there is nothing to check against: everything loads
    first = _run(conn, "offices", offices)
    assert (first.n_loaded, first.n_quarantined) == (4, 0)

    assert _run(conn, "gemeenten", _gemeenten(tmp_path / "gm.geojson")).n_loaded == 2
    result = _run(conn, "offices", offices)  # the gemeenten changed: the offices reload
    assert result.status == "ok"
    assert (result.n_loaded, result.n_quarantined) == (3, 1)
    reason = f"{OUTSIDE_GEMEENTE} (more than {SITE_BOUNDARY_MARGIN_M:.0f} m from the nearest)"
    assert result.reasons == {reason: 1}
    record = conn.execute(
        "SELECT source_ref, record -> 'props' -> 'location_check' AS c FROM quarantine"
        " WHERE layer = 'offices'"
    ).fetchone()
    assert record is not None and record["source_ref"] == "0000010000000003"
    assert record["c"] == {
        "code": "outside_gemeente",
        "gemeentecode": "GM9001",
        "gemeentenaam": "Oostdorp",
        "distance_m": 600,
    }
    rows = conn.execute(
        "SELECT source_ref, gemeentecode, props -> 'location_check' AS c FROM site"
        " WHERE layer = 'offices' ORDER BY source_ref"
    ).fetchall()
    assert [(r["source_ref"], r["gemeentecode"], r["c"]) for r in rows] == [
        ("0000010000000001", None, None),  # inside: the scorer derives its gemeente
        (
            "0000010000000002",
            "GM9001",
            {
                "code": "outside_gemeente",
                "gemeentecode": "GM9001",
                "gemeentenaam": "Oostdorp",
                "distance_m": 40,
            },
        ),
        ("0000010000000004", None, None),
    ]
    # nothing changed: unchanged; moved boundaries: the check runs again
    assert _run(conn, "offices", offices).status == "unchanged"
    _run(conn, "gemeenten", _gemeenten(tmp_path / "gm2.geojson", shift=-300.0))
    again = _run(conn, "offices", offices)
    assert again.status == "ok" and (again.n_loaded, again.n_quarantined) == (2, 2)
