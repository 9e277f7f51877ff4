"""The online modes of the site layers (issue 3), end to end against the fake services on
127.0.0.1 (``tests/fakeservices.py``), never a mock and never the internet
(``SITEFINDER_HTTP_ALLOWED_HOSTS`` pins every download to loopback):

* ``offices``: the PDOK BAG OGC API v2, collection ``verblijfsobject``;
* ``plots``: the PDOK BRK Kadastrale Kaart OGC API v1, collection ``perceel`` (the building
  layers from the database, as always);
* ``holidayparks``: the Overpass API (``tourism=camp_site|chalet``, ``leisure=resort``,
  ``landuse=recreation_ground``; never ``caravan_site``).

Per layer: ``etl run LAYER --online --gemeente|--bbox`` loads exactly the expected sites (the
same rows the bundled files give for the same records), the fake received the area's bounding
box, pages were followed, a 503 is retried, and a second run the same day comes from the cache
without a single request.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import psycopg
import pytest
import shapely
from fakeservices import (
    ITEMS_PERCEEL,
    ITEMS_VBO,
    OVERPASS_PATH,
    FakeServices,
    demo_path,
    fake_fixture,  # noqa: F401 - the fixture 'fake'
    fake_services_fixture,  # noqa: F401 - the fixture 'fake_services'
    gemeente_geometry,
    mirrors,
    one,
    rows,
    run_cli,
)

from etl import http, overpass
from etl.areas import parse_bbox
from etl.bag_offices import BagOffices
from etl.brk_plots import BrkPlots
from etl.holidayparks import SELECT, HolidayParks
from etl.loading import run_pipeline
from etl.ogcapi import OGC_API
from sitefinder.core.settings import Settings

EDE, AMSTERDAM = "GM0228", "GM0363"
CAMPSITES = demo_path("holidayparks", "osm_nl_campsites_tourism_camp_site.geojson")
PARKLIST = demo_path("holidayparks", "vakantieparken_nl_list_geocoded.geojson")
REGISTER = demo_path("offices", "leegstandsregister_amsterdam_voorbeeld.csv")
RUIJTERKADE_BOX = "121900,486800,122600,487900"  # RD metres: the bagadresplus sample
DOESBURG_BOX = "6.13,52.01,6.14,52.02"  # degrees: the two Doesburg units
EDE_CAMPSITES = 34  # SOURCES.md: campsites in gemeente Ede
OFFICES_AMSTERDAM = 16  # 4 of the VBO sample + 12 of bagadresplus (as the bundled files)
UNBUILT_OTTERLO = ["Otterlo B 2318", "Otterlo B 2320", "Otterlo B 2625"]


@pytest.fixture
def online(settings: Settings, tmp_path: Path, fake: FakeServices) -> Settings:
    """Every real service mirrored to the fake, downloads pinned to loopback, an empty cache,
    no waiting between retries, small pages."""
    return settings.model_copy(
        update={
            "cache_dir": tmp_path / "cache",
            "http_backoff_s": 0.0,
            "ogc_limit": 100,
            "online_mirrors": mirrors(fake.url),
            "http_allowed_hosts": ["127.0.0.1"],
        }
    )


def last_run(settings: Settings, layer: str) -> dict[str, Any]:
    return rows(
        settings,
        "SELECT status, source, uri, licence, data_as_of, n_read, n_loaded, n_quarantined"
        " FROM etl_run WHERE layer = %s ORDER BY id DESC LIMIT 1",
        layer,
    )[0]


def ensure_gemeenten(settings: Settings) -> None:
    if one(settings, "SELECT count(*) FROM area WHERE layer = 'gemeenten'") != 342:
        assert run_cli(settings, "etl", "run", "gemeenten", "--force").exit_code == 0


def sites(settings: Settings, layer: str, *columns: str) -> dict[str, dict[str, Any]]:
    """The layer's sites by ``source_ref``: the given columns and the point/shape (RD)."""
    found = rows(
        settings,
        f"SELECT source_ref, {', '.join(columns)}, ST_AsBinary(geom) AS geom FROM site"
        " WHERE layer = %s",
        layer,
    )
    return {r.pop("source_ref"): {**r, "geom": shapely.from_wkb(bytes(r["geom"]))} for r in found}


def same_sites(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]], tol_m: float) -> None:
    """Equal attributes; geometries equal within ``tol_m`` metres (a CRS84 round trip)."""
    assert a.keys() == b.keys()
    for ref in a:
        attrs_a = {k: v for k, v in a[ref].items() if k != "geom"}
        attrs_b = {k: v for k, v in b[ref].items() if k != "geom"}
        assert attrs_a == attrs_b, ref
        assert a[ref]["geom"].hausdorff_distance(b[ref]["geom"]) < tol_m, ref


def box_wgs84(code: str) -> tuple[float, float, float, float]:
    lon0, lat0, lon1, lat1 = (
        gpd.GeoSeries([gemeente_geometry(code)], crs=28992).to_crs(4326)[0].bounds
    )
    return lon0, lat0, lon1, lat1


def assert_bbox(query: dict[str, str], expected: tuple[float, float, float, float]) -> None:
    """The page asked for ``expected`` (WGS84), rounded outwards to 1e-6 degree."""
    sent = [float(v) for v in query["bbox"].split(",")]
    assert sent[0] <= expected[0] and sent[1] <= expected[1]
    assert sent[2] >= expected[2] and sent[3] >= expected[3]
    assert max(abs(s - e) for s, e in zip(sent, expected, strict=True)) < 2e-6


def served(fake: FakeServices, name: str, box: Any) -> list[dict[str, Any]]:
    """The features of the fake's collection ``name`` whose geometry meets ``box`` (RD)."""
    collection = fake.built(name)
    inside = shapely.intersects(collection.geoms_rd, box)
    return [f for f, ok in zip(collection.features, inside, strict=True) if ok]


def cached_file(uri: str) -> Path:
    found = re.search(r"\(cache: (.+)\)$", uri)
    assert found is not None, uri
    return Path(found.group(1))


# --------------------------------------------------------------------------------------------
# offices: PDOK BAG OGC API v2, collection verblijfsobject


def test_offices_online_for_a_gemeente(online: Settings, fake: FakeServices) -> None:
    ensure_gemeenten(online)
    assert run_cli(online, "etl", "run", "offices", "--force").exit_code == 0  # bundled files
    columns = ("name", "floor_area_m2", "area_m2")
    from_files = sites(online, "offices", *columns)
    assert len(from_files) == OFFICES_AMSTERDAM

    settings = online.model_copy(update={"ogc_limit": 40})
    result = run_cli(settings, "etl", "run", "offices", "--online", "--gemeente", "Amsterdam")
    assert result.exit_code == 0, result.output
    assert f"{OFFICES_AMSTERDAM} geladen" in result.output
    from_api = sites(online, "offices", *columns)
    same_sites(from_api, from_files, tol_m=0.01)  # ids, addresses as names, m², points
    vacancy = rows(online, "SELECT DISTINCT props->>'leegstand' AS v FROM site WHERE layer = %s",
                   "offices")  # fmt: skip
    assert vacancy == [{"v": "onbekend"}]  # the service says nothing of vacancy

    # Amsterdam's box, page after page (40 a page, 183 units in the box: 5 pages).
    pages = fake.requests(ITEMS_VBO)
    in_box = served(fake, "verblijfsobjecten", shapely.box(*gemeente_geometry(AMSTERDAM).bounds))
    assert len(in_box) == 96 + 87  # the VBO sample and bagadresplus, not Doesburg
    assert len(pages) == 5
    for page in pages:
        assert_bbox(page.query, box_wgs84(AMSTERDAM))
        assert page.query["limit"] == "40"
    assert "cursor" not in pages[0].query and all("cursor" in p.query for p in pages[1:])
    run = last_run(online, "offices")
    assert run["source"] == "pdok_ogc_bag_verblijfsobject" and run["licence"] == "CC0 1.0"
    assert run["data_as_of"] == http.utc_day()
    assert run["uri"].startswith(f"{fake.url}{ITEMS_VBO}?")
    # The same request today: from the cache, no request at all, the input unchanged.
    again = run_cli(settings, "etl", "run", "offices", "--online", "--gemeente", AMSTERDAM)
    assert again.exit_code == 0 and "ongewijzigd" in again.output
    assert len(fake.requests()) == len(pages)


def test_offices_online_retried_and_a_register_added_from_files(
    online: Settings, fake: FakeServices
) -> None:
    fake.fail_next(1, status=503)  # busy: retried
    result = run_cli(online, "etl", "run", "offices", "--online", "--bbox", RUIJTERKADE_BOX)
    assert result.exit_code == 0, result.output
    first, second = fake.requests(ITEMS_VBO)
    assert first.query == second.query
    box = parse_bbox(RUIJTERKADE_BOX)
    assert_bbox(second.query, box.bbox_wgs84)
    in_box = served(fake, "verblijfsobjecten", box.geom)
    expected = {
        f["properties"]["identificatie"]
        for f in in_box
        if "kantoorfunctie" in f["properties"]["gebruiksdoel"].split(",")
        and f["properties"]["status"] != "Verblijfsobject gevormd"
    }
    loaded = sites(online, "offices", "name")
    assert set(loaded) == expected and len(expected) == 12
    assert loaded["0363010000618807"]["name"] == "De Ruijterkade 120-H"

    # A vacancy register is added by loading from files: the online run's cached GeoJSON and
    # the register. The same matches as the bundled files give.
    cached = cached_file(last_run(online, "offices")["uri"])
    files = ("--from", str(cached), "--from", str(REGISTER))
    result = run_cli(online, "etl", "run", "offices", *files)
    assert result.exit_code == 0, result.output
    vacant = rows(
        online,
        "SELECT source_ref, props->>'leeg_sinds' AS since FROM site WHERE layer = 'offices'"
        " AND props->>'leegstand' = 'leeg' ORDER BY source_ref",
    )
    assert [(r["source_ref"], r["since"]) for r in vacant] == [
        ("0363010000618807", "2022-11-15"),  # by address: De Ruijterkade 120-H, '1011 AB'
        ("0363010000618813", "2023-09-30"),  # by BAG id
        ("0363010000783155", "2024-01-08"),  # by address: Prins Hendrikkade 120, '1011am'
        ("0363010000977860", "2023-03-01"),  # by BAG id
    ]
    run = last_run(online, "offices")
    assert (run["n_read"], run["n_loaded"], run["n_quarantined"]) == (14, 12, 2)
    assert len(fake.requests(ITEMS_VBO)) == 2  # the files: no request


def test_offices_online_where_the_units_are_no_offices(
    online: Settings, fake: FakeServices
) -> None:
    """Doesburg: the service has two units there (a dwelling, an 'overige' unit), no office:
    nothing is loaded, and the layer holds just that (empty) area."""
    result = run_cli(online, "etl", "run", "offices", "--online", "--bbox", DOESBURG_BOX)
    assert result.exit_code == 0, result.output
    (page,) = fake.requests(ITEMS_VBO)
    assert len(served(fake, "verblijfsobjecten", parse_bbox(DOESBURG_BOX).geom)) == 2
    assert_bbox(page.query, parse_bbox(DOESBURG_BOX).bbox_wgs84)
    assert one(online, "SELECT count(*) FROM site WHERE layer = 'offices'") == 0
    assert "0 geladen" in result.output


# --------------------------------------------------------------------------------------------
# plots: PDOK BRK Kadastrale Kaart OGC API v1, collection perceel


def test_plots_online_for_a_gemeente(online: Settings, fake: FakeServices) -> None:
    ensure_gemeenten(online)
    for layer in ("bag_panden", "bgt_panden", "plots"):  # the bundled files
        assert run_cli(online, "etl", "run", layer, "--force").exit_code == 0
    columns = ("name", "area_m2", "props")
    from_gml = sites(online, "plots", *columns)
    assert sorted(s["name"] for s in from_gml.values()) == UNBUILT_OTTERLO

    settings = online.model_copy(update={"ogc_limit": 4})
    fake.fail_next(1, status=503)  # busy: retried
    result = run_cli(settings, "etl", "run", "plots", "--online", "--gemeente", "Ede")
    assert result.exit_code == 0, result.output
    assert "3 geladen" in result.output and "0 in quarantaine" in result.output
    from_api = sites(online, "plots", *columns)
    same_sites(from_api, from_gml, tol_m=0.05)  # ids, names, registered m², places, polygons
    run = last_run(online, "plots")
    # 11 Otterlo parcels read (8 built, left out); the Zuidas parcels were never asked for.
    assert (run["n_read"], run["n_loaded"], run["n_quarantined"]) == (11, 3, 0)
    assert run["source"] == "pdok_ogc_brk_kadastrale_kaart_perceel"
    assert run["data_as_of"] == http.utc_day()
    pages = fake.requests(ITEMS_PERCEEL)
    assert len(pages) == 1 + 3  # the 503, then 4 + 4 + 3 parcels
    assert pages[0].query == pages[1].query
    for page in pages:
        assert_bbox(page.query, box_wgs84(EDE))
    assert [("cursor" in p.query) for p in pages] == [False, False, True, True]
    ede_box = shapely.box(*gemeente_geometry(EDE).bounds)
    assert len(served(fake, "percelen", ede_box)) == 11
    # Today again: from the cache (pages and all), unchanged.
    again = run_cli(settings, "etl", "run", "plots", "--online", "--gemeente", EDE)
    assert again.exit_code == 0 and "ongewijzigd" in again.output
    assert len(fake.requests()) == len(pages)


def test_plots_online_outside_the_building_data(online: Settings, fake: FakeServices) -> None:
    """The Zuidas parcels (Amsterdam): served for Amsterdam's box, quarantined because no
    building layer covers them, as from the bundled GML."""
    ensure_gemeenten(online)
    for layer in ("bag_panden", "bgt_panden"):
        assert run_cli(online, "etl", "run", layer, "--force").exit_code == 0
    refused = run_cli(online, "etl", "run", "plots", "--online", "--gemeente", AMSTERDAM)
    assert refused.exit_code == 2  # the loss guard: every parcel would be quarantined
    assert "all 8 records read would be quarantined" in refused.stderr
    assert "\n" not in refused.stderr.strip()
    args = ("--online", "--gemeente", AMSTERDAM, "--accept-loss")
    result = run_cli(online, "etl", "run", "plots", *args)
    assert result.exit_code == 0, result.output
    assert "8× no building data covers this parcel" in result.output
    run = last_run(online, "plots")
    assert (run["n_read"], run["n_loaded"], run["n_quarantined"]) == (8, 0, 8)
    (page,) = fake.requests(ITEMS_PERCEEL)
    assert_bbox(page.query, box_wgs84(AMSTERDAM))


# --------------------------------------------------------------------------------------------
# holidayparks: the Overpass API


def test_holidayparks_online_for_a_gemeente(online: Settings, fake: FakeServices) -> None:
    ensure_gemeenten(online)
    args = ("--from", str(CAMPSITES), "--gemeente", EDE, "--force")
    assert run_cli(online, "etl", "run", "holidayparks", *args).exit_code == 0
    columns = ("name", "source", "kind", "props", "sources")
    from_file = sites(online, "holidayparks", *columns)
    assert len(from_file) == EDE_CAMPSITES

    fake.fail_next(1, status=503)  # busy: retried
    result = run_cli(online, "etl", "run", "holidayparks", "--online", "--gemeente", "Ede")
    assert result.exit_code == 0, result.output
    assert f"{EDE_CAMPSITES} geladen" in result.output and "20 erbuiten" in result.output
    from_overpass = sites(online, "holidayparks", *columns)
    # The same sites: ids, names, every prop and source; points within 1 cm (7 decimals).
    same_sites(from_overpass, from_file, tol_m=0.02)
    assert from_overpass["osm:way/402047318"]["props"]["leisure"] == "resort"  # De Wije Werelt

    first, posted = fake.requests(OVERPASS_PATH)
    assert first.body == posted.body and posted.method == "POST"
    query = posted.form()["data"]
    assert query == overpass.build_query(SELECT, box_wgs84(EDE), 180)
    for wanted in (
        '["tourism"~"^(camp_site|chalet)$"]',
        '["leisure"="resort"]',
        '["landuse"="recreation_ground"]',
    ):
        assert wanted in query
    assert "caravan_site" not in query
    south, west, north, east = (float(v) for v in query.split("](")[1].split(")")[0].split(","))
    lon0, lat0, lon1, lat1 = box_wgs84(EDE)
    assert south <= lat0 and west <= lon0 and north >= lat1 and east >= lon1
    run = last_run(online, "holidayparks")
    assert run["source"] == "osm_overpass_holidayparks" and "ODbL" in run["licence"]
    assert run["uri"].startswith(f"{fake.url}{OVERPASS_PATH}?data=")
    assert (run["n_read"], run["n_loaded"]) == (EDE_CAMPSITES + 20, EDE_CAMPSITES)
    # The same query today: from the cache, no new request, the input unchanged.
    again = run_cli(online, "etl", "run", "holidayparks", "--online", "--gemeente", EDE)
    assert again.exit_code == 0 and "ongewijzigd" in again.output
    assert len(fake.requests(OVERPASS_PATH)) == 2
    # The park list is added by loading from files: the cached answer and the list, merged.
    files = ("--from", str(cached_file(run["uri"])), "--from", str(PARKLIST))
    result = run_cli(online, "etl", "run", "holidayparks", *files, "--gemeente", EDE)
    assert result.exit_code == 0, result.output
    merged = sites(online, "holidayparks", "source", "sources")
    assert sum(s["source"] == "osm" for s in merged.values()) == EDE_CAMPSITES
    joined = {
        ref: [e["source_ref"] for e in s["sources"][1:]]
        for ref, s in merged.items()
        if len(s["sources"]) > 1
    }
    assert joined == {"osm:way/1127339822": ["parklist:79"]}  # De Dikkenberg, within 250 m


def test_holidayparks_online_in_amsterdam_names_unnamed_objects(
    online: Settings, fake: FakeServices
) -> None:
    ensure_gemeenten(online)
    result = run_cli(online, "etl", "run", "holidayparks", "--online", "--gemeente", AMSTERDAM)
    assert result.exit_code == 0, result.output
    assert "7 geladen" in result.output and "4 erbuiten" in result.output
    box = gpd.GeoSeries([gemeente_geometry(AMSTERDAM)], crs=28992)
    campsites = gpd.read_file(CAMPSITES).to_crs(28992)
    inside = campsites[campsites.intersects(box[0])]
    expected = set("osm:" + inside["osm_type"] + "/" + inside["osm_id"].astype(str))
    assert set(sites(online, "holidayparks", "name")) == expected and len(expected) == 7


def overpass_file(path: Path, elements: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"version": 0.6, "elements": elements}))
    return path


def test_holidayparks_overpass_tags(conn: psycopg.Connection[Any], tmp_path: Path) -> None:
    """Test elements (not OSM data): every tag of the query makes a site, caravan_site never;
    an unnamed object is named by its operator, else its id; none is quarantined as
    'no tourism tag'."""
    path = overpass_file(
        tmp_path / "parks.json",
        [
            {"type": "node", "id": 1, "lat": 52.1, "lon": 5.7,
             "tags": {"tourism": "chalet", "operator": "Chalets BV"}},
            {"type": "way", "id": 2, "center": {"lat": 52.11, "lon": 5.71},
             "tags": {"leisure": "resort", "name": "Resort"}},
            {"type": "relation", "id": 3, "center": {"lat": 52.12, "lon": 5.72},
             "tags": {"landuse": "recreation_ground"}},
            {"type": "way", "id": 4, "center": {"lat": 52.13, "lon": 5.73},
             "tags": {"tourism": "caravan_site", "landuse": "recreation_ground", "name": "C"}},
            {"type": "node", "id": 5, "lat": 52.14, "lon": 5.74,
             "tags": {"tourism": "caravan_site", "name": "Camperplaats"}},
            {"type": "node", "id": 6, "lat": 52.15, "lon": 5.75,
             "tags": {"tourism": "camp_site", "name": "Camping"}},
        ],
    )  # fmt: skip
    pipeline = HolidayParks()
    result = run_pipeline(conn, pipeline, [path], force=True)
    assert (result.n_read, result.n_loaded, result.n_quarantined) == (4, 4, 0)
    assert pipeline.osm_skipped == {"caravan_site": 1}  # way 4; node 5 is not even asked for
    assert "1 OSM tourism=caravan_site object(s) left out" in result.message
    found = {
        r["source_ref"]: (r["name"], r["props"].get("tourism"))
        for r in conn.execute(
            "SELECT source_ref, name, props FROM site WHERE layer = 'holidayparks'"
        ).fetchall()
    }
    assert found == {
        "osm:node/1": ("Chalets BV", "chalet"),
        "osm:way/2": ("Resort", None),
        "osm:relation/3": ("relation/3", None),
        "osm:node/6": ("Camping", "camp_site"),
    }


def test_online_sources_declared() -> None:
    """The three services, with the verified base URLs and collections."""
    assert BagOffices.online is not None and BrkPlots.online is not None
    assert BagOffices.online.fetcher is OGC_API and BrkPlots.online.fetcher is OGC_API
    assert (BagOffices.online.base_url, BagOffices.online.collection) == (
        "https://api.pdok.nl/kadaster/bag/ogc/v2",
        "verblijfsobject",
    )
    assert (BrkPlots.online.base_url, BrkPlots.online.collection) == (
        "https://api.pdok.nl/kadaster/brk-kadastrale-kaart/ogc/v1",
        "perceel",
    )
    assert HolidayParks.online is not None and HolidayParks.online.fetcher is overpass.OVERPASS
    assert overpass.parse_tags(HolidayParks.online.collection) == SELECT
