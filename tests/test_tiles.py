"""Vector tiles (issue 13): MVT of the sites (criterion values per site, so a client scores them
with any weights) and of every layer with geometry, TileJSON per tile set, ETag/304, tile
bounds; decoded with mapbox-vector-tile, on the demo region (real PostGIS)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pytest
from conftest import Server
from fastapi.testclient import TestClient

from layers import catalogue
from sitefinder.api import create_app
from sitefinder.api.mvt import (
    BUFFER,
    EXTENT,
    THIN_CELL,
    Tile,
    lonlat_to_tile,
    mercator,
    site_index,
)
from sitefinder.core import db
from sitefinder.core.settings import PROJECT_ROOT, Settings
from sitefinder.scoring import load_profile
from sitefinder.scoring.criteria import catalogue as criteria

SITE_FIELDS = {"site_id", "kind", "gemeentecode", "excluded"}
THINNED_FIELDS = {"count"}  # only in a thinned tile (more than mvt.MAX_TILE_SITES sites)
LAYER_FIELDS = {"id", "name", "code", "category"}
FLAG_WORDS = {"status", "flag", "note", "tags", "confidential", "audit"}


@pytest.fixture(scope="module")
def client(demo_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(demo_settings)) as test_client:
        yield test_client


def _decode(body: bytes) -> dict[str, Any]:
    decoded: dict[str, Any] = mapbox_vector_tile.decode(body) if body else {}
    return decoded


def client_score(props: dict[str, Any], weights: dict[str, float]) -> float | None:
    """The score as the page computes it from a tile (web/src/sitetiles.js): the weighted
    mean over the criteria with a value; none when excluded or no weighted value."""
    if props["excluded"]:
        return None
    num = sum(w * props[name] for name, w in weights.items() if name in props)
    den = sum(w for name, w in weights.items() if name in props)
    return num / den if den > 0 else None


def _sites(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    query = {"include_excluded": "true", "limit": 2000, **params}
    features: list[dict[str, Any]] = client.get("/api/sites", params=query).json()["features"]
    return features


def _tile_of(feature: dict[str, Any], z: int) -> tuple[int, int]:
    lon, lat = feature["geometry"]["coordinates"]
    return lonlat_to_tile(lon, lat, z)


def test_site_tilejson_names_the_values_and_weights(client: TestClient) -> None:
    doc = client.get("/api/tiles/sites.json").json()
    assert doc["tilejson"] == "3.0.0" and doc["scheme"] == "xyz"
    assert doc["tiles"][0].endswith("/api/tiles/sites/{z}/{x}/{y}.mvt?profile=" + doc["profile"])
    scored = [name for name, c in criteria().items() if not c.constraint]
    assert doc["criteria"] == scored and len(scored) < len(criteria())
    assert set(doc["weights"]) == set(scored)
    fields = doc["vector_layers"][0]["fields"]
    assert set(fields) == SITE_FIELDS | THINNED_FIELDS | set(scored)
    west, south, east, north = doc["bounds"]
    assert 3.2 <= west < east <= 7.3 and 50.7 <= south < north <= 53.7


def test_a_site_tile_carries_every_site_in_it_with_its_values(client: TestClient) -> None:
    everything = _sites(client)
    assert len(everything) > 50
    z = 11
    x, y = _tile_of(everything[0], z)
    in_tile = {f["id"] for f in everything if _tile_of(f, z) == (x, y)}
    response = client.get(f"/api/tiles/sites/{z}/{x}/{y}.mvt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    layer = _decode(response.content)["sites"]
    assert layer["extent"] == EXTENT
    props = {f["properties"]["site_id"]: f["properties"] for f in layer["features"]}
    # every site whose point lies in the tile, and those within the buffer beyond its edge
    assert in_tile <= set(props), in_tile - set(props)
    assert all(f["geometry"]["type"] == "Point" for f in layer["features"])
    names = {name for name, c in criteria().items() if not c.constraint}
    for p in props.values():
        assert set(p) <= SITE_FIELDS | names and not (set(p) & FLAG_WORDS)
        assert set(p) >= SITE_FIELDS
        values = [p[n] for n in names if n in p]
        assert values and all(0.0 <= v <= 1.0 for v in values)


def test_scores_from_tile_values_equal_the_api_scores(client: TestClient) -> None:
    """Moving a weight recolours from the tile: the weighted values give the API's score."""
    own = dict.fromkeys(criteria(), 0.0)
    weights_sets = [
        client.get("/api/tiles/sites.json").json()["weights"],
        {**own, "transit": 3.0, "care_distance": 1.0},
    ]
    z = 12
    for weights in weights_sets:
        positive = {k: v for k, v in weights.items() if v > 0}
        spec = ",".join(f"{k}:{v}" for k, v in positive.items())
        listed = _sites(client, weights=spec)[:40]
        checked = 0
        for feature in listed:
            x, y = _tile_of(feature, z)
            tile = _decode(client.get(f"/api/tiles/sites/{z}/{x}/{y}.mvt").content)["sites"]
            props = next(
                f["properties"]
                for f in tile["features"]
                if f["properties"]["site_id"] == feature["id"]
            )
            expected = feature["properties"]["score"]
            got = client_score(props, positive)
            if expected is None:
                assert got is None, feature["id"]
            else:
                assert got is not None and abs(got - expected) < 0.002, (feature["id"], got)
            checked += 1
        assert checked == len(listed) > 10


def test_the_world_tile_holds_every_site_and_tiles_beyond_nl_none(client: TestClient) -> None:
    """Zoom 0 (the envelope far beyond the RD domain is cut to it before it is transformed to
    EPSG:28992) holds every scored site; a tile outside the Netherlands is empty."""
    everything: set[str] = set()
    while not everything or len(everything) % 2000 == 0:
        page = {f["id"] for f in _sites(client, offset=len(everything))}
        if not page:
            break
        everything |= page
    assert len(everything) > 2000
    world = _decode(client.get("/api/tiles/sites/0/0/0.mvt").content)["sites"]["features"]
    assert {f["properties"]["site_id"] for f in world} == everything
    assert len(world) == len(everything)
    for url in ("/api/tiles/sites/6/0/0.mvt", "/api/tiles/zoning/9/100/100.mvt"):
        response = client.get(url)
        assert response.status_code == 200 and response.content == b"", url


def test_a_thinned_tile_shows_the_best_site_of_each_cell_and_counts_them(
    client: TestClient,
) -> None:
    """Above ``max_sites`` (mvt.MAX_TILE_SITES; the demo region has fewer) a site tile holds
    one site per cell of THIN_CELL tile units: the best under the profile's weights, with its
    own values and position, and ``count`` = the sites of its cell; the counts add up to every
    site of the tile."""
    app: Any = client.app
    doc = client.get("/api/tiles/sites.json").json()
    profile = load_profile(doc["profile"])
    with app.state.pool.connection() as conn:
        table = app.state.engine.table(conn)
    index = site_index(table)
    feature = _sites(client)[0]
    z = 8
    x, y = _tile_of(feature, z)
    tile = Tile.checked(z, x, y)
    down = {"y_coord_down": True}  # tile rows as encoded, for the cells
    full = mapbox_vector_tile.decode(index.tile(tile, profile), default_options=down)
    full = full["sites"]["features"]
    assert len(full) > 200 and not any("count" in f["properties"] for f in full)
    thinned = mapbox_vector_tile.decode(index.tile(tile, profile, 100), default_options=down)
    thinned = thinned["sites"]["features"]
    assert 0 < len(thinned) < len(full)
    assert sum(f["properties"]["count"] for f in thinned) == len(full)
    weights = {k: v for k, v in doc["weights"].items() if v > 0}
    by_id = {f["properties"]["site_id"]: f for f in full}

    def cell(f: dict[str, Any]) -> tuple[int, int]:
        px, py = f["geometry"]["coordinates"]
        return (px + BUFFER) // THIN_CELL, (py + BUFFER) // THIN_CELL

    def rank(f: dict[str, Any]) -> float:
        score = client_score(f["properties"], weights)
        return -1.0 if score is None else score

    cells: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for f in full:
        cells.setdefault(cell(f), []).append(f)
    assert len(cells) == len(thinned)
    for shown in thinned:
        props = dict(shown["properties"])
        count = props.pop("count")
        same = by_id[props["site_id"]]
        assert props == same["properties"] and shown["geometry"] == same["geometry"]
        members = cells[cell(shown)]
        assert count == len(members)
        assert rank(shown) >= max(rank(m) for m in members) - 0.002


def test_tiles_differ_per_profile_and_answer_304_to_their_etag(client: TestClient) -> None:
    feature = _sites(client)[0]
    x, y = _tile_of(feature, 10)
    url = f"/api/tiles/sites/10/{x}/{y}.mvt"
    first = client.get(url)
    tag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public, max-age=")
    again = client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    profiles = [p["name"] for p in client.get("/api/profiles").json()["profiles"]]
    other = next(p for p in profiles if p != client.get("/api/tiles/sites.json").json()["profile"])
    assert client.get(url, params={"profile": other}).headers["etag"] != tag
    # elsewhere, another tag; an empty tile is an empty body
    empty = client.get("/api/tiles/sites/10/0/0.mvt")
    assert empty.status_code == 200 and empty.content == b""
    assert empty.headers["etag"] != tag


@pytest.mark.parametrize(
    "url",
    [
        "/api/tiles/sites/3/8/0.mvt",  # x beyond 2^3 - 1: no such tile (404)
        "/api/tiles/sites/3/0/8.mvt",
        "/api/tiles/sites/21/0/0.mvt",  # deeper than served
        "/api/tiles/sites/-1/0/0.mvt",
        "/api/tiles/sites/5/-1/0.mvt",
        "/api/tiles/sites/5/a/0.mvt",
        "/api/tiles/zoning/4/16/0.mvt",
        "/api/tiles/nosuchlayer/4/0/0.mvt",
        "/api/tiles/regions/4/0/0.mvt",  # a table without geometry
        "/api/tiles/nosuchlayer.json",
        "/api/tiles/sites/10/0/0.mvt?profile=nosuchprofile",
    ],
)
def test_tiles_outside_the_grid_are_refused(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (404, 422), (url, response.status_code)
    assert response.json()["detail"]


def test_every_layer_with_geometry_has_tiles(client: TestClient) -> None:
    """Derived from the catalogue: each layer with geometry has a TileJSON, and a loaded one
    has features in the tile over the middle of its extent."""
    loaded = {
        layer["name"]: layer["loaded"] for layer in client.get("/api/layers").json()["layers"]
    }
    seen = 0
    for name, layer in catalogue().items():
        response = client.get(f"/api/tiles/{name}.json")
        if layer.kind == "table":
            assert response.status_code == 422
            continue
        doc = response.json()
        assert doc["tiles"][0].endswith(f"/api/tiles/{name}/{{z}}/{{x}}/{{y}}.mvt")
        assert set(doc["vector_layers"][0]["fields"]) == LAYER_FIELDS
        if not loaded.get(name) or not loaded[name]["count"]:
            continue
        first = client.get(f"/api/layers/{name}", params={"limit": 1}).json()["features"][0]
        lon, lat = _first_position(first["geometry"]["coordinates"])
        x, y = lonlat_to_tile(lon, lat, 15)
        body = client.get(f"/api/tiles/{name}/15/{x}/{y}.mvt").content
        features = _decode(body)[name]["features"]
        assert first["id"] in {f["properties"]["id"] for f in features}, name
        assert all(set(f["properties"]) <= LAYER_FIELDS for f in features)
        seen += 1
    assert seen >= 10


def _first_position(coordinates: Any) -> tuple[float, float]:
    while isinstance(coordinates[0], list):
        coordinates = coordinates[0]
    return coordinates[0], coordinates[1]


def test_zoning_tiles_hold_polygons_in_the_right_place(client: TestClient) -> None:
    first = client.get("/api/layers/zoning", params={"limit": 1}).json()["features"][0]
    lon, lat = _first_position(first["geometry"]["coordinates"])
    z = 12
    x, y = lonlat_to_tile(lon, lat, z)
    layer = _decode(client.get(f"/api/tiles/zoning/{z}/{x}/{y}.mvt").content)["zoning"]
    polygons = [f for f in layer["features"] if "Polygon" in f["geometry"]["type"]]
    assert polygons
    # tile coordinates (y up in the decoder) stay within the tile and its buffer
    for feature in polygons[:50]:
        ring = feature["geometry"]["coordinates"][0]
        ring = ring[0] if feature["geometry"]["type"] == "MultiPolygon" else ring
        assert all(-64 <= px <= EXTENT + 64 and -64 <= py <= EXTENT + 64 for px, py in ring)


def test_a_site_is_drawn_where_it_lies(client: TestClient) -> None:
    feature = _sites(client)[0]
    lon, lat = feature["geometry"]["coordinates"]
    z = 14
    x, y = lonlat_to_tile(lon, lat, z)
    layer = _decode(client.get(f"/api/tiles/sites/{z}/{x}/{y}.mvt").content)["sites"]
    found = next(f for f in layer["features"] if f["properties"]["site_id"] == feature["id"])
    px, py = found["geometry"]["coordinates"]
    mx, my = mercator([lon], [lat])
    size = 2 * 20037508.342789244 / (1 << z)
    expect_x = (mx[0] - (-20037508.342789244 + x * size)) / size * EXTENT
    expect_y = (my[0] - (20037508.342789244 - (y + 1) * size)) / size * EXTENT  # y up
    assert abs(px - expect_x) <= 1.5 and abs(py - expect_y) <= 1.5


def test_schemathesis_finds_nothing_on_the_tile_routes(demo_settings: Settings) -> None:
    """The contract of the tile routes (binary answers documented as such, 404 outside the
    grid, 422 for a bad zoom or layer), as tests/test_contract.py checks every route."""
    with Server(create_app(demo_settings)) as server:
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "schemathesis"),
                "run",
                f"{server.url}/openapi.json",
                "--checks",
                "all",
                "--max-examples",
                "5",
                "--seed",
                "20261201",
                "--workers",
                "1",
                "--no-color",
                "--include-path-regex",
                "^/api/tiles/",
            ],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    report = done.stdout[-4000:]
    assert done.returncode == 0 and "No issues found" in report, report
    assert "Tested: 4" in report, report


def test_a_layer_tile_leaves_out_polygons_smaller_than_a_pixel(
    client: TestClient, demo_settings: Settings
) -> None:
    """Generalised as tippecanoe does: a zoning polygon smaller than a map pixel both ways
    (Tile.pixel_rd) is not in that zoom's tile, and is in the tile of a zoom where it is
    larger; the TileJSON says so."""
    with db.connection(demo_settings) as conn:
        row = conn.execute(
            "SELECT id, greatest(ST_XMax(geom) - ST_XMin(geom), ST_YMax(geom) - ST_YMin(geom))"
            " AS size, ST_X(p) AS lon, ST_Y(p) AS lat FROM area,"
            " LATERAL (SELECT ST_Transform(ST_PointOnSurface(geom), 4326) AS p) q"
            " WHERE layer = 'zoning' ORDER BY ST_Area(geom) LIMIT 1"
        ).fetchone()
    assert row is not None
    small = next(z for z in range(20, -1, -1) if Tile(z, 0, 0).pixel_rd > row["size"])
    large = next(z for z in range(21) if Tile(z, 0, 0).pixel_rd < row["size"] / 2)

    def ids(z: int) -> set[str]:
        x, y = lonlat_to_tile(row["lon"], row["lat"], z)
        body = client.get(f"/api/tiles/zoning/{z}/{x}/{y}.mvt").content
        return {
            f["properties"]["id"] for f in _decode(body).get("zoning", {"features": []})["features"]
        }

    assert row["id"] not in ids(small)
    assert row["id"] in ids(large)
    doc = client.get("/api/tiles/zoning.json").json()
    assert "smaller than a pixel" in doc["vector_layers"][0]["description"]


def test_the_tile_pool_survives_a_lost_connection(demo_settings: Settings) -> None:
    """The layer tiles' pool hands out connections unchecked (one round trip less); a read on
    a connection the server closed (a restart) is repeated once on a fresh one, not a 503."""
    gate = db.tile_gate(demo_settings)
    try:
        first = gate.read(lambda c: c.execute("SELECT pg_backend_pid() AS pid").fetchone())
        assert first is not None
        with db.connection(demo_settings) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (first["pid"],))
        again = gate.read(lambda c: c.execute("SELECT pg_backend_pid() AS pid").fetchone())
        assert again is not None and again["pid"] != first["pid"]
        assert not gate.down
    finally:
        gate.pool.close(timeout=2)
