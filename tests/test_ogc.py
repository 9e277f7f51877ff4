"""OGC API - Features (issue 13): what GIS software reads, checked with the software itself.

GDAL's OAPIF driver (through pyogrio) lists and reads every collection of the app served by
uvicorn on the demo data; paging (next links, every feature exactly once), the CRSs (CRS84 and
EPSG:28992, checked against PostGIS), bbox and bbox-crs, the conformance classes, the HTML
encoding and the 4xx of bad parameters are checked over HTTP; ``/docs`` and the HTML pages
render in Chromium with every request that does not go to 127.0.0.1 blocked (offline).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pyogrio
import pytest
from conftest import free_port
from psycopg import sql
from psycopg.rows import dict_row
from test_browser import CHROMIUM, CHROMIUM_ARGS

from layers import catalogue
from sitefinder.api.ogcqueries import collections
from sitefinder.core.settings import Settings
from sitefinder.scoring import profile_names

RD = "http://www.opengis.net/def/crs/EPSG/0/28992"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
AMSTERDAM_RD = "119000,480000,126000,490000"  # metres, EPSG:28992
AMSTERDAM = "4.85,52.33,4.95,52.40"  # degrees, CRS84


class Served:
    """``sitefinder serve`` in its own process on a free port of 127.0.0.1: not uvicorn in a
    thread of the test (``conftest.Server``), because pyogrio holds the GIL while GDAL reads,
    so a server in the same process could never answer GDAL's requests."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "SITEFINDER_DATABASE_URL": settings.database_url}
        # the server's log (a pipe could fill and block it); closed in __exit__
        self.log = tempfile.TemporaryFile()  # noqa: SIM115
        command = [str(Path(sys.executable).parent / "sitefinder"), "serve", "--host"]
        self.process = subprocess.Popen(
            [*command, "127.0.0.1", "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    def __enter__(self) -> Served:
        deadline = time.monotonic() + 120
        while True:
            assert self.process.poll() is None, self._log()
            assert time.monotonic() < deadline, "the server did not start"
            try:
                if httpx.get(f"{self.url}/ogc", timeout=5).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)

    def _log(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def server(demo_settings: Settings) -> Iterator[Served]:
    with Served(demo_settings) as running:
        yield running


@pytest.fixture(scope="module")
def db(demo_settings: Settings) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(demo_settings.database_url, row_factory=dict_row) as conn:
        yield conn


def _get(server: Served, path: str, **params: Any) -> httpx.Response:
    return httpx.get(server.url + path, params=params, timeout=60)


def _layer_ids(db: psycopg.Connection[Any], layer: str) -> set[str]:
    table = catalogue()[layer].table
    rows = db.execute(
        sql.SQL("SELECT id FROM {} WHERE layer = %s").format(sql.Identifier(table)), (layer,)
    ).fetchall()
    return {r["id"] for r in rows}


def _scored_ids(db: psycopg.Connection[Any]) -> set[str]:
    rows = db.execute("SELECT s.id FROM site s JOIN site_raw r ON r.site_id = s.id").fetchall()
    return {r["id"] for r in rows}


def test_collections_come_from_the_catalogues() -> None:
    expected = [f"sites-{name}" for name in profile_names()] + [
        name for name, layer in catalogue().items() if layer.kind != "table"
    ]
    assert list(collections()) == expected


def test_gdal_lists_and_reads_every_collection(server: Served, db: psycopg.Connection[Any]) -> None:
    """The OAPIF driver finds every collection and reads each one whole, in EPSG:28992 (the
    storage CRS it picks), paging with the next links: every feature exactly once."""
    url = f"OAPIF:{server.url}/ogc"
    listed = {str(name): str(kind) for name, kind in pyogrio.list_layers(url)}
    assert list(listed) == list(collections())
    scored = _scored_ids(db)
    for name in listed:
        frame = pyogrio.read_dataframe(url, layer=name)
        expected = scored if name.startswith("sites-") else _layer_ids(db, name)
        ids = list(frame["id"]) if len(frame) else []
        assert len(ids) == len(set(ids)) == len(expected), name
        assert set(ids) == expected, name
        if ids:
            assert frame.crs.to_epsg() == 28992, name
            assert frame.geometry.notna().all(), name
    sites = pyogrio.read_dataframe(url, layer="sites-standaard")
    assert {"score", "score_low", "score_high", "completeness", "rank", "excluded"} <= set(
        sites.columns
    )
    ranks = sites["rank"].dropna()
    assert list(ranks) == list(range(1, len(ranks) + 1))  # in ranked order
    zoning = pyogrio.read_dataframe(url, layer="zoning")
    assert set(zoning.geometry.geom_type) <= {"MultiPolygon", "Polygon"}


def _all_pages(server: Served, path: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every feature of a collection, following the next links; the number of pages."""
    response = _get(server, path, **params)
    features, pages = [], 0
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        pages += 1
        assert page["numberReturned"] == len(page["features"])
        features += page["features"]
        following = [link["href"] for link in page["links"] if link["rel"] == "next"]
        if not following:
            assert len(features) == page["numberMatched"]
            return features, pages
        assert pages < 1000
        response = httpx.get(following[0], timeout=60)


def test_paging_gives_every_feature_once_in_ranked_order(
    server: Served, db: psycopg.Connection[Any]
) -> None:
    features, pages = _all_pages(server, "/ogc/collections/sites-standaard/items", limit=700)
    ids = [f["id"] for f in features]
    assert pages == -(-len(ids) // 700) and pages > 1
    assert len(ids) == len(set(ids)) and set(ids) == _scored_ids(db)
    ranks = [f["properties"]["rank"] for f in features]
    scored = [r for r in ranks if r is not None]
    assert scored == list(range(1, len(scored) + 1))
    assert ranks[: len(scored)] == scored  # the unranked (excluded, no score) come last
    unranked = [f["properties"] for f in features[len(scored) :]]
    assert all(p["excluded"] or p["score"] is None for p in unranked)
    # the same order as the map's list over every site (GET /api/sites)
    listed = _get(server, "/api/sites", include_excluded="true", limit=200).json()
    assert ids[:200] == [f["id"] for f in listed["features"]]

    stops, _ = _all_pages(server, "/ogc/collections/stops_htm/items", limit=50)
    assert [f["id"] for f in stops] == sorted(_layer_ids(db, "stops_htm"))

    # page 2 has a prev link back to page 1; a page past the end is empty, without next
    second = _get(server, "/ogc/collections/stops_htm/items", limit=50, offset=50).json()
    prev = next(link["href"] for link in second["links"] if link["rel"] == "prev")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(prev).query)["offset"] == ["0"]
    beyond = _get(server, "/ogc/collections/stops_htm/items", offset=100000).json()
    assert beyond["features"] == [] and not [x for x in beyond["links"] if x["rel"] == "next"]


def _point_rd(db: psycopg.Connection[Any], table: str, ids: list[str]) -> dict[str, Any]:
    rows = db.execute(
        sql.SQL(
            "SELECT id, ST_X(p) AS x, ST_Y(p) AS y, ST_X(w) AS lon, ST_Y(w) AS lat FROM {t},"
            " LATERAL (SELECT ST_PointOnSurface(geom) AS p) a,"
            " LATERAL (SELECT ST_Transform(p, 4326) AS w) b WHERE id = ANY(%s)"
        ).format(t=sql.Identifier(table)),
        (ids,),
    ).fetchall()
    return {r["id"]: r for r in rows}


@pytest.mark.parametrize("collection", ["sites-zelfredzaam", "stations"])
def test_crs_28992_gives_the_stored_coordinates(
    server: Served, db: psycopg.Connection[Any], collection: str
) -> None:
    path = f"/ogc/collections/{collection}/items"
    rd = _get(server, path, crs=RD, limit=300)
    assert rd.status_code == 200, rd.text
    assert rd.headers["content-type"].startswith("application/geo+json")
    assert rd.headers["content-crs"] == f"<{RD}>"
    wgs = _get(server, path, limit=300)
    assert wgs.headers["content-crs"] == f"<{CRS84}>"
    table = "site" if collection.startswith("sites-") else "poi"
    features = rd.json()["features"]
    stored = _point_rd(db, table, [f["id"] for f in features])
    assert len(stored) == len(features) == 300
    for feature, other in zip(features, wgs.json()["features"], strict=True):
        x, y = feature["geometry"]["coordinates"]
        row = stored[feature["id"]]
        assert abs(x - row["x"]) <= 0.005 and abs(y - row["y"]) <= 0.005, feature["id"]
        lon, lat = other["geometry"]["coordinates"]
        assert abs(lon - row["lon"]) <= 1e-6 and abs(lat - row["lat"]) <= 1e-6

    # one feature alone, in both CRSs
    first = features[0]["id"]
    one = _get(server, f"{path}/{urllib.parse.quote(first, safe='')}", crs=RD)
    assert one.status_code == 200 and one.headers["content-crs"] == f"<{RD}>"
    assert one.json()["geometry"] == features[0]["geometry"]
    assert {link["rel"] for link in one.json()["links"]} >= {"self", "collection"}


@pytest.mark.parametrize("collection", ["sites-standaard", "stops_connexxion", "buurten"])
def test_bbox_in_either_crs_selects_what_postgis_selects(
    server: Served, db: psycopg.Connection[Any], collection: str
) -> None:
    path = f"/ogc/collections/{collection}/items"
    in_rd, _ = _all_pages(server, path, bbox=AMSTERDAM_RD, **{"bbox-crs": RD}, limit=2000)
    in_wgs, _ = _all_pages(server, path, bbox=AMSTERDAM, limit=2000)
    x0, y0, x1, y1 = (float(v) for v in AMSTERDAM_RD.split(","))
    w, s, e, n = (float(v) for v in AMSTERDAM.split(","))
    if collection.startswith("sites-"):  # the ranking's point
        where = "s.id IN (SELECT site_id FROM site_raw) AND ST_Intersects(ST_PointOnSurface(geom),"
        table = "site"
    else:
        where = "layer = %(layer)s AND ST_Intersects(geom,"
        table = catalogue()[collection].table
    params = {"layer": collection, "x0": x0, "y0": y0, "x1": x1, "y1": y1}
    box_rd = "ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 28992))"
    expected = {
        r["id"]
        for r in db.execute(
            f"SELECT id FROM {table} s WHERE {where} {box_rd}",
            params,
        ).fetchall()
    }
    assert expected and {f["id"] for f in in_rd} == expected
    params.update(x0=w, y0=s, x1=e, y1=n)
    box_wgs = (
        "ST_Transform(ST_Segmentize(ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326),"
        " 0.01), 28992))"
    )
    expected = {
        r["id"]
        for r in db.execute(
            f"SELECT id FROM {table} s WHERE {where} {box_wgs}",
            params,
        ).fetchall()
    }
    assert expected and {f["id"] for f in in_wgs} == expected
    # the world selects everything; an inverted box nothing
    world = _get(server, path, bbox="-180,-90,180,90", limit=1).json()
    whole = _get(server, path, limit=1).json()
    assert world["numberMatched"] == whole["numberMatched"] > 0
    inverted = _get(server, path, bbox="5,53,4,52").json()
    assert inverted["numberMatched"] == 0 and inverted["features"] == []


def test_landing_page_and_conformance(server: Served) -> None:
    landing = _get(server, "/ogc")
    assert landing.status_code == 200
    rels = {  # the JSON one of each
        link["rel"]: link["href"]
        for link in landing.json()["links"]
        if link["type"] != "text/html" or link["rel"] not in ("conformance", "data")
    }
    assert {"self", "alternate", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    assert httpx.get(rels["service-desc"]).json()["paths"]["/ogc/collections"]
    classes = httpx.get(rels["conformance"]).json()["conformsTo"]
    assert set(classes) == {
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    }
    described = httpx.get(rels["data"]).json()
    assert described["crs"] == [CRS84, RD]
    for c in described["collections"]:
        assert c["crs"] == [CRS84, RD] and c["storageCrs"] == RD, c["id"]
        w, s, e, n = c["extent"]["spatial"]["bbox"][0]
        assert 3.2 <= w < e <= 7.3 and 50.7 <= s < n <= 53.7, c["id"]
        assert any(link["rel"] == "items" for link in c["links"])
    one = _get(server, "/ogc/collections/zoning").json()
    assert one["id"] == "zoning" and one["title"].startswith("Bestemmingsplannen")


def test_html_encoding(server: Served) -> None:
    site = _get(server, "/ogc/collections/sites-standaard/items", limit=1).json()["features"][0]
    quoted = urllib.parse.quote(site["id"], safe="")
    for path, words in (
        ("/ogc", ["OGC API - Features", "/ogc/collections"]),
        ("/ogc/conformance", ["ogcapi-features-2/1.0/conf/crs"]),
        ("/ogc/collections", ["sites-standaard", "zoning", "storageCrs"]),
        ("/ogc/collections/zoning", ["Bestemmingsplannen", "items"]),
        ("/ogc/collections/sites-standaard/items", [site["id"], "next page", "score"]),
        (f"/ogc/collections/sites-standaard/items/{quoted}", [site["id"], "completeness"]),
    ):
        response = _get(server, path, f="html")
        assert response.status_code == 200, (path, response.text)
        assert response.headers["content-type"].startswith("text/html"), path
        assert "<script" not in response.text and "<style" not in response.text, path
        for word in words:
            assert word in response.text, (path, word)
    # without f: what the Accept header prefers (a browser's: HTML; GDAL's, httpx's: JSON)
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = httpx.get(f"{server.url}/ogc/collections", headers={"Accept": browser})
    assert page.headers["content-type"].startswith("text/html")
    assert _get(server, "/ogc/collections").headers["content-type"] == "application/json"
    gdal = {"Accept": "application/geo+json, application/json"}
    items = httpx.get(f"{server.url}/ogc/collections/zoning/items", headers=gdal)
    assert items.headers["content-type"] == "application/geo+json"


@pytest.mark.parametrize(
    ("path", "params", "status", "words"),
    [
        ("/ogc/collections/nope", {}, 404, "no collection"),
        ("/ogc/collections/nope/items", {}, 404, "no collection"),
        ("/ogc/collections/zoning/items/zoning:nope", {}, 404, "no feature"),
        ("/ogc/collections/sites-standaard/items/nope", {}, 404, "no feature"),
        ("/ogc/collections/zoning/items", {"bbox": "4,52,5"}, 422, "bbox must be"),
        ("/ogc/collections/zoning/items", {"bbox": "4,52,5,nan"}, 422, "bbox"),
        ("/ogc/collections/zoning/items", {"limit": "0"}, 422, "limit"),
        ("/ogc/collections/zoning/items", {"limit": "2001"}, 422, "at most 2000"),
        ("/ogc/collections/zoning/items", {"offset": "-1"}, 422, "offset"),
        ("/ogc/collections/zoning/items", {"crs": "EPSG:4326"}, 422, "crs"),
        ("/ogc/collections/zoning/items", {"bbox-crs": "EPSG:3857"}, 422, "bbox-crs"),
        ("/ogc/collections", {"f": "xml"}, 422, "f"),
    ],
)
def test_bad_parameters_are_4xx_with_a_message(
    server: Served, path: str, params: dict[str, str], status: int, words: str
) -> None:
    response = _get(server, path, **params)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]


# --- in Chromium, offline: /docs and the HTML pages ---


@pytest.fixture(scope="module")
def offline_page(server: Served) -> Iterator[tuple[Any, list[str], list[str]]]:
    """A page in headless Chromium that may reach 127.0.0.1 only (every other request is
    aborted and noted), with the console errors it logs."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run `make setup` (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        blocked: list[str] = []
        errors: list[str] = []

        def route(r: Any) -> None:
            if urllib.parse.urlsplit(r.request.url).hostname == "127.0.0.1":
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page, blocked, errors
        browser.close()


def test_docs_render_offline(server: Served, offline_page: Any, output_dir: Path) -> None:
    from playwright.sync_api import expect

    page, blocked, errors = offline_page
    page.goto(f"{server.url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "Woonplek Sitefinder", timeout=20000
    )
    expect(page.locator(".opblock-tag-section").first).to_be_visible(timeout=20000)
    assert page.locator(".opblock").count() > 20  # every operation listed
    assert page.get_by_text("/ogc/collections/{collectionId}/items").first.is_visible()
    page.screenshot(path=str(output_dir / "docs-offline.png"))
    assert not blocked, blocked
    assert not errors, errors


def test_html_pages_render_offline(server: Served, offline_page: Any) -> None:
    from playwright.sync_api import expect

    page, blocked, errors = offline_page
    page.goto(f"{server.url}/ogc?f=html")
    expect(page.locator("h1")).to_contain_text("OGC API - Features")
    page.get_by_role("link", name="collections (HTML)").click()
    expect(page.locator("h1")).to_have_text("Collections")
    page.locator("h2 a", has_text="zoning").click()
    expect(page.locator("h1")).to_have_text("zoning: features")
    page.get_by_role("link", name="next page").first.click()
    assert "offset=100" in page.url
    page.locator("h2 a").first.click()
    expect(page.locator("th", has_text="props")).to_be_visible()
    assert not blocked, blocked
    assert not errors, errors
