"""Every online source, end to end (``sitefinder etl run LAYER --online`` -> PostGIS), against the
fake services on 127.0.0.1 (``tests/fakeservices.py``), never a mock and never the internet:
``SITEFINDER_HTTP_ALLOWED_HOSTS`` pins every download to loopback.

Per service: the features loaded (exact counts, and the same rows the bundled files give where
both exist), the requests the fake received (area, POST body, API key header, paging, polling),
failures (503 then success; a refused or missing key; a BGT request that ends FAILED; an
Overpass server that gives up) giving one-line errors and leaving the loaded data as it was,
and a second run on the same day served from the cache without a single request.
"""

from __future__ import annotations

import json
import urllib.parse
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from fakeservices import (
    BGT_CUSTOM,
    ITEMS_BUURTEN,
    ITEMS_NATURA,
    ITEMS_PROVINCIES,
    OVAPI_GTFS_PATH,
    OVERPASS_PATH,
    RP_API_KEY,
    RP_BASE,
    RP_SEARCH,
    FakeServices,
    build_overpass_elements,
    demo_path,
    element_point,
    fake_fixture,  # noqa: F401 - the fixture 'fake'
    fake_services_fixture,  # noqa: F401 - the fixture 'fake_services'
    gemeente_geometry,
    imro_features,
    mirrors,
    ok_sources,
    one,
    rows,
    run_cli,
)

from etl import get_pipeline, http, overpass
from etl.areas import parse_bbox
from etl.osm_care import OsmCare
from etl.osm_supermarkets import OsmSupermarkets
from sitefinder.core.errors import DownloadError
from sitefinder.core.settings import Settings

EDE_SUPERMARKETS = 28  # SOURCES.md: supermarkets in gemeente Ede
OTTERLO_BOX = "179000,454000,184000,460000"  # RD metres, around the whole BGT sample
BGT_LOADED = 1681  # SOURCES/bgt_panden: 2,273 records - 562 historic - 30 planned


@pytest.fixture
def online(settings: Settings, tmp_path: Path, fake: FakeServices) -> Settings:
    """Every real service mirrored to the fake, downloads pinned to loopback, an empty cache,
    no waiting between retries or polls, a valid ruimtelijkeplannen key, small pages."""
    return settings.model_copy(
        update={
            "cache_dir": tmp_path / "cache",
            "http_backoff_s": 0.0,
            "ogc_limit": 100,
            "online_mirrors": mirrors(fake.url),
            "http_allowed_hosts": ["127.0.0.1"],
            "ruimtelijkeplannen_api_key": RP_API_KEY,
            "ruimtelijkeplannen_page_size": 5,
            "pdok_download_poll_s": 0.0,
        }
    )


def count(settings: Settings, table: str, layer: str) -> int:
    return int(one(settings, f"SELECT count(*) FROM {table} WHERE layer = %s", layer))


def last_run(settings: Settings, layer: str) -> dict[str, Any]:
    return rows(
        settings,
        "SELECT status, source, uri, publisher, licence, data_as_of, message, n_loaded FROM etl_run"
        " WHERE layer = %s ORDER BY id DESC LIMIT 1",
        layer,
    )[0]


def fingerprint(settings: Settings, table: str, layer: str) -> tuple[int, str]:
    """(rows, digest of ids and geometries) of a layer: to see that it did not change."""
    found = rows(
        settings,
        f"SELECT count(*) AS n, md5(string_agg(id || ST_AsEWKB(geom)::text, ',' ORDER BY id))"
        f" AS d FROM {table} WHERE layer = %s",
        layer,
    )[0]
    return int(found["n"]), str(found["d"])


def ensure_gemeenten(settings: Settings) -> None:
    if count(settings, "area", "gemeenten") != 342:
        assert run_cli(settings, "etl", "run", "gemeenten", "--force").exit_code == 0


def error_line(result: Any) -> str:
    text = result.stderr.strip()
    assert "\n" not in text, text
    return str(text)


# --------------------------------------------------------------------------------------------
# etl/http.py: POST bodies in the cache key, secret headers kept out, allowed hosts


def test_fetch_post_is_cached_per_body_and_keeps_keys_out(online: Settings, fake: FakeServices):
    url = fake.url + OVERPASS_PATH
    query = overpass.build_query({"shop": frozenset({"supermarket"})}, None, 25)
    body = urllib.parse.urlencode({"data": query}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "x-api-key": "s3cret"}
    path = http.fetch(url, settings=online, data=body, headers=headers, suffix=".json")
    assert http.fetch(url, settings=online, data=body, headers=headers, suffix=".json") == path
    assert len(fake.requests(OVERPASS_PATH)) == 1 and fake.requests()[0].method == "POST"
    assert fake.requests()[0].headers["x-api-key"] == "s3cret"  # sent ...
    meta = path.with_name(path.name + ".meta.json").read_text()
    assert "s3cret" not in meta and json.loads(meta)["method"] == "POST"  # ... never stored
    # Another key gives the same cached answer; another body is another request.
    other_key = {**headers, "x-api-key": "other"}
    assert http.fetch(url, settings=online, data=body, headers=other_key, suffix=".json") == path
    other = urllib.parse.urlencode({"data": query.replace("25", "26")}).encode()
    assert http.fetch(url, settings=online, data=other, headers=headers, suffix=".json") != path
    assert len(fake.requests(OVERPASS_PATH)) == 2
    # GET behaviour unchanged: the key of a plain GET is the URL itself.
    assert http.request_key("http://x/y?a=1") == "http://x/y?a=1"


def test_hosts_outside_the_allowed_list_are_refused(online: Settings) -> None:
    for call in (
        lambda: http.fetch("https://example.invalid/data.zip", settings=online),
        lambda: http.request("https://example.invalid/status", settings=online),
    ):
        with pytest.raises(DownloadError) as caught:
            call()
        assert "not in SITEFINDER_HTTP_ALLOWED_HOSTS" in str(caught.value)


# --------------------------------------------------------------------------------------------
# 1. public transport: the OVapi GTFS NL feed


def test_stops_online_downloads_the_national_feed(online: Settings, fake: FakeServices) -> None:
    fake.drop_next(1, after=300_000)  # the first attempt breaks off: resumed with Range
    result = run_cli(online, "etl", "run", "stops", "--online")
    assert result.exit_code == 0, result.output
    assert "1437 geladen" in result.output and "stop_times" in result.output
    first, second = fake.requests(OVAPI_GTFS_PATH)
    assert first.range is None and second.range == "bytes=300000-"
    assert count(online, "poi", "stops") == 1437
    run = last_run(online, "stops")
    assert run["source"] == "ovapi_gtfs_nl" and run["data_as_of"] == http.utc_day()
    assert run["uri"].startswith(f"{fake.url}{OVAPI_GTFS_PATH} (cache: ")
    again = run_cli(online, "etl", "run", "stops", "--online")
    assert again.exit_code == 0 and "ongewijzigd" in again.output
    assert len(fake.requests(OVAPI_GTFS_PATH)) == 2  # the day's copy: no new request


def test_stops_online_feed_with_a_timetable(online: Settings, fake: FakeServices) -> None:
    fake.ovapi_gtfs = fake.gtfs_small
    centraal = "4.895,52.375,4.905,52.385"  # degrees, around Amsterdam Centraal
    result = run_cli(online, "etl", "run", "stops", "--online", "--bbox", centraal)
    assert result.exit_code == 0, result.output
    loaded = {
        r["source_ref"]: r["props"]
        for r in rows(online, "SELECT source_ref, props FROM poi WHERE layer = 'stops'")
    }
    box = parse_bbox(centraal).geom
    with zipfile.ZipFile(demo_path("pt", "gtfs_gvb_test_feed_with_stop_times.zip")) as archive:
        stops = pd.read_csv(archive.open("stops.txt"), dtype=str).fillna("")
    feed = gpd.GeoDataFrame(
        stops,
        geometry=gpd.points_from_xy(stops.stop_lon.astype(float), stops.stop_lat.astype(float)),
        crs=4326,
    ).to_crs(28992)
    served = feed[feed.location_type.isin(["", "0"]) & feed.intersects(box)]
    expected = set(served.stop_id) - {"GVB:00005"}  # never served: quarantined
    assert set(loaded) == expected and len(expected) >= 2
    assert loaded["GVB:09903"]["departures_per_hour"] == pytest.approx(4 / 12, abs=1e-4)


# --------------------------------------------------------------------------------------------
# 2. Overpass API: supermarkets and care_osm


def sample_points(tag_ok: Any) -> gpd.GeoDataFrame:
    """The fake's Overpass elements with ``tag_ok(tags)``, as points in RD."""
    chosen = [e for e in build_overpass_elements() if tag_ok(e["tags"])]
    points = [shapely.Point(*element_point(e)) for e in chosen]
    refs = [f"{e['type']}/{e['id']}" for e in chosen]
    return gpd.GeoDataFrame({"ref": refs}, geometry=points, crs=4326).to_crs(28992)


def test_supermarkets_online_for_a_gemeente(online: Settings, fake: FakeServices) -> None:
    ensure_gemeenten(online)
    result = run_cli(online, "etl", "run", "supermarkets", "--online", "--gemeente", "Ede")
    assert result.exit_code == 0, result.output
    ede = gemeente_geometry("GM0228")
    shops = sample_points(lambda t: t.get("shop") == "supermarket")
    expected = set(shops.loc[shops.intersects(ede), "ref"])
    assert len(expected) == EDE_SUPERMARKETS
    loaded = {
        r["source_ref"]
        for r in rows(online, "SELECT source_ref FROM poi WHERE layer = 'supermarkets'")
    }
    assert loaded == expected
    (posted,) = fake.requests(OVERPASS_PATH)
    assert posted.method == "POST"
    assert posted.headers["content-type"] == "application/x-www-form-urlencoded"
    query = posted.form()["data"]
    lon0, lat0, lon1, lat1 = gpd.GeoSeries([ede], crs=28992).to_crs(4326).total_bounds
    south, west, north, east = (
        float(v) for v in query.split('"supermarket"](')[1].split(")")[0].split(",")
    )
    assert south <= lat0 and west <= lon0 and north >= lat1 and east >= lon1
    assert max(lat0 - south, lon0 - west, north - lat1, east - lon1) < 1e-4  # the area's box
    assert query == (
        '[out:json][timeout:180];(nwr["shop"="supermarket"]'
        f"({south:.6f},{west:.6f},{north:.6f},{east:.6f}););out center tags;"
    )
    run = last_run(online, "supermarkets")
    assert run["source"] == "osm_overpass_supermarkets" and "ODbL" in run["licence"]
    assert run["uri"].startswith(f"{fake.url}{OVERPASS_PATH}?data=")
    # The same query today: from the cache, no new request, the input unchanged.
    again = run_cli(online, "etl", "run", "supermarkets", "--online", "--gemeente", "GM0228")
    assert again.exit_code == 0 and "ongewijzigd" in again.output
    assert len(fake.requests(OVERPASS_PATH)) == 1


def test_supermarkets_online_without_an_area_asks_for_the_netherlands(
    online: Settings, fake: FakeServices
) -> None:
    fake.fail_next(1, status=503)  # busy: retried
    result = run_cli(online, "etl", "run", "supermarkets", "--online")
    assert result.exit_code == 0, result.output
    first, second = fake.requests(OVERPASS_PATH)
    assert first.body == second.body
    assert 'area["ISO3166-1"="NL"][admin_level=2]->.nl;' in second.form()["data"]
    expected = len(sample_points(lambda t: t.get("shop") == "supermarket"))
    assert count(online, "poi", "supermarkets") == expected == 78
    assert "national Overpass query" in last_run(online, "supermarkets")["message"]


def test_care_online_matches_the_pbf(online: Settings, fake: FakeServices) -> None:
    assert run_cli(online, "etl", "run", "care_osm", "--force").exit_code == 0  # the PBF
    from_pbf = rows(
        online,
        "SELECT source_ref, category, name FROM poi WHERE layer = 'care_osm' ORDER BY 1",
    )
    campus = "4.34,51.98,4.39,52.01"  # degrees: the TU Delft campus
    result = run_cli(online, "etl", "run", "care_osm", "--online", "--bbox", campus)
    assert result.exit_code == 0, result.output
    from_overpass = rows(
        online,
        "SELECT source_ref, category, name FROM poi WHERE layer = 'care_osm' ORDER BY 1",
    )
    assert from_overpass == from_pbf and len(from_pbf) == 4
    query = fake.requests(OVERPASS_PATH)[0].form()["data"]
    assert OsmCare.online is not None
    select = overpass.parse_tags(OsmCare.online.collection)
    assert query == overpass.build_query(select, parse_bbox(campus).bbox_wgs84, 180)
    assert '["amenity"~"^(clinic|doctors|health_centre|hospital|pharmacy|social_facility)$"]' in (
        query
    )
    assert '["healthcare"]' in query


def test_overpass_that_gives_up_fails_and_keeps_the_data(
    online: Settings, fake: FakeServices
) -> None:
    ensure_gemeenten(online)
    assert run_cli(online, "etl", "run", "supermarkets", "--force").exit_code == 0
    before = fingerprint(online, "poi", "supermarkets")
    fake.overpass_remark = 'runtime error: Query timed out in "query" at line 1 after 180 seconds.'
    result = run_cli(online, "etl", "run", "supermarkets", "--online", "--gemeente", "GM0228")
    assert result.exit_code == 2
    assert "gave up on the query: runtime error: Query timed out" in error_line(result)
    assert fingerprint(online, "poi", "supermarkets") == before
    assert not list((online.cache_dir / "http").rglob("*.json"))  # the partial answer: dropped


def test_supermarkets_from_an_overpass_url(online: Settings, fake: FakeServices) -> None:
    """``--from`` an Overpass endpoint (a mirror or one's own instance) is read as Overpass."""
    box = "5.6,52.0,5.7,52.1"  # degrees: Ede and Bennekom
    args = ("--from", fake.url + OVERPASS_PATH, "--bbox", box, "--force")
    result = run_cli(online, "etl", "run", "supermarkets", *args)
    assert result.exit_code == 0, result.output
    (posted,) = fake.requests(OVERPASS_PATH)
    assert OsmSupermarkets.online is not None
    select = overpass.parse_tags(OsmSupermarkets.online.collection)
    assert posted.form()["data"] == overpass.build_query(select, parse_bbox(box).bbox_wgs84, 180)
    shops = sample_points(lambda t: t.get("shop") == "supermarket")
    expected = int(shops.intersects(parse_bbox(box).geom).sum())
    assert count(online, "poi", "supermarkets") == expected > 10


# --------------------------------------------------------------------------------------------
# 3./4. PDOK OGC API: natura2000, buurten, provincies


def test_natura2000_online(online: Settings, fake: FakeServices) -> None:
    settings = online.model_copy(update={"ogc_limit": 1})
    result = run_cli(settings, "etl", "run", "natura2000", "--online")
    assert result.exit_code == 0, result.output
    assert len(fake.requests(ITEMS_NATURA)) == 2  # one area a page
    loaded = rows(
        online, "SELECT code, name, props FROM area WHERE layer = 'natura2000' ORDER BY code"
    )
    assert [(r["code"], r["name"]) for r in loaded] == [("55", "Aamsveen"), ("83", "Botshol")]
    assert loaded[1]["props"]["sitecodes_h"] == ["NL9801044"]
    run = last_run(online, "natura2000")
    assert run["source"] == "pdok_ogc_rvo_natura2000" and run["data_as_of"] == http.utc_day()
    # Limited to a box around Botshol (degrees): only that area is asked for and loaded.
    boxed = run_cli(
        online, "etl", "run", "natura2000", "--online", "--bbox", "4.88,52.22,4.95,52.28"
    )
    assert boxed.exit_code == 0, boxed.output
    sent = [float(v) for v in fake.requests(ITEMS_NATURA)[-1].query["bbox"].split(",")]
    assert sent == pytest.approx([4.88, 52.22, 4.95, 52.28], abs=2e-6)  # rounded outwards
    assert [
        r["code"] for r in rows(online, "SELECT code FROM area WHERE layer = 'natura2000'")
    ] == ["83"]


def test_buurten_online_equal_the_bundled_file(online: Settings, fake: FakeServices) -> None:
    box = "120000,485000,122500,487500"  # RD metres: the centre of Amsterdam
    assert run_cli(online, "etl", "run", "buurten", "--bbox", box, "--force").exit_code == 0
    query = "SELECT code, name, category, props FROM area WHERE layer = 'buurten' ORDER BY code"
    from_file = rows(online, query)
    settings = online.model_copy(update={"ogc_limit": 10})
    result = run_cli(settings, "etl", "run", "buurten", "--online", "--bbox", box)
    assert result.exit_code == 0, result.output
    from_api = rows(online, query)
    demo = gpd.read_file(demo_path("boundaries", "amsterdam_buurten_kwb.geojson")).to_crs(28992)
    expected = set(demo.loc[demo.intersects(parse_bbox(box).geom), "BU_CODE"])
    assert {r["code"] for r in from_api} == expected and len(expected) == len(from_file) > 20
    assert from_api == from_file  # names, figures (a_inw, bev_dich …): all the same
    pages = fake.requests(ITEMS_BUURTEN)
    assert len(pages) >= 3 and "bbox" in pages[0].query  # the area's box, page after page
    assert last_run(online, "buurten")["source"] == "pdok_ogc_cbs_wijken_en_buurten_2023_buurten"


def test_provincies_online_keep_the_newest_year(online: Settings, fake: FakeServices) -> None:
    result = run_cli(online, "etl", "run", "provincies", "--online")
    assert result.exit_code == 0, result.output
    assert "12 geladen" in result.output and "12 features of older years left out" in result.output
    assert len(fake.requests(ITEMS_PROVINCIES)) == 1
    loaded = rows(online, "SELECT code, name FROM area WHERE layer = 'provincies' ORDER BY code")
    assert loaded[0] == {"code": "PV20", "name": "Groningen"} and len(loaded) == 12
    run = last_run(online, "provincies")
    assert run["source"] == "pdok_ogc_cbs_gebiedsindelingen_provincies"
    assert "kept jaarcode 2023" in run["message"]


# --------------------------------------------------------------------------------------------
# 5. zoning: the ruimtelijkeplannen API v4


def goes_box() -> tuple[str, set[str]]:
    """An RD box around the two Goes plans, and the ids of their GML files."""
    names = ("NL.IMRO.0664.BPBS02-VG99", "NL.IMRO.0664.BPBS03-ON99")
    contours = [
        imro_features(demo_path("zoning", f"{n}.gml"), "Bestemmingsplangebied").geometry.iloc[0]
        for n in names
    ]
    x0, y0, x1, y1 = shapely.union_all(contours).bounds
    return f"{x0 - 10:.0f},{y0 - 10:.0f},{x1 + 10:.0f},{y1 + 10:.0f}", set(names)


def test_zoning_online_equals_the_gml(online: Settings, fake: FakeServices) -> None:
    box, plans = goes_box()
    assert run_cli(online, "etl", "run", "zoning", "--bbox", box, "--force").exit_code == 0
    query = (
        "SELECT source_ref, code, name, category, props - 'imro_versie' AS props FROM area"
        " WHERE layer = 'zoning' ORDER BY source_ref"
    )
    from_gml = rows(online, query)
    assert {r["code"] for r in from_gml} == plans
    assert len(from_gml) == 29  # Enkelbestemming 11 + 13, Dubbelbestemming 4 + 1
    geoms = "SELECT source_ref, ST_AsText(geom, 2) AS g FROM area WHERE layer = 'zoning' ORDER BY 1"
    gml_geoms = rows(online, geoms)
    result = run_cli(online, "etl", "run", "zoning", "--online", "--bbox", box)
    assert result.exit_code == 0, result.output
    assert rows(online, query) == from_gml and rows(online, geoms) == gml_geoms
    # The requests: the search with the key, the area as RD GeoJSON, pages followed.
    searches = fake.requests(RP_SEARCH)
    assert all(r.headers["x-api-key"] == RP_API_KEY for r in fake.requests(RP_BASE))
    assert searches[0].method == "POST" and searches[0].headers["content-crs"] == "epsg:28992"
    sent = shapely.from_geojson(json.dumps(searches[0].json()["_geo"]["intersects"]))
    assert sent.equals(parse_bbox(box).geom)
    assert [r.query.get("page") for r in searches] == ["1"]  # 2 plans: one page of 5
    for plan, n_objects in (("NL.IMRO.0664.BPBS02-VG99", 15), ("NL.IMRO.0664.BPBS03-ON99", 14)):
        pages = fake.requests(f"{RP_BASE}/plannen/{plan}/bestemmingsvlakken")
        assert [p.query["page"] for p in pages] == [
            str(n) for n in range(1, -(-n_objects // 5) + 1)
        ]
        assert all(p.query["expand"] == "geometrie" for p in pages)
        assert all(p.headers["accept-crs"] == "epsg:28992" for p in pages)
    run = last_run(online, "zoning")
    assert run["source"] == "ruimtelijkeplannen_api_v4_bestemmingsvlakken"
    assert run["data_as_of"] == http.utc_day()
    # Today again: from the cache, not a single request.
    n_requests = len(fake.requests())
    again = run_cli(online, "etl", "run", "zoning", "--online", "--bbox", box)
    assert again.exit_code == 0 and "ongewijzigd" in again.output
    assert len(fake.requests()) == n_requests


def test_zoning_online_pages_through_many_plans(online: Settings, fake: FakeServices) -> None:
    """A box over all three plans with 1 plan a page: the search is paged too (POSTed again)."""
    settings = online.model_copy(update={"ruimtelijkeplannen_page_size": 1})
    fake.fail_next(1, status=503)  # the first search: retried
    fake.rp_structuurvisie = True  # one more plan, without bestemmingsvlakken (404): skipped
    result = run_cli(
        settings, "etl", "run", "zoning", "--online", "--bbox", "10000,300000,280000,600000"
    )
    assert result.exit_code == 0, result.output
    searches = fake.requests(RP_SEARCH)
    assert [r.query.get("page") for r in searches] == ["1", "1", "2", "3", "4"]
    assert len({r.body for r in searches}) == 1  # the same body on every page
    # Enkelbestemming 11 + 13 + 84, Dubbelbestemming 4 + 1 + 6
    assert count(online, "area", "zoning") == 11 + 13 + 84 + 4 + 1 + 6
    assert "1 plan(s) without bestemmingsvlakken skipped" in last_run(online, "zoning")["message"]
    assert (
        one(
            online,
            "SELECT count(*) FROM area WHERE layer = 'zoning'"
            " AND props->>'objecttype' NOT IN ('Enkelbestemming', 'Dubbelbestemming')",
        )
        == 0
    )
    assert (
        one(
            online,
            "SELECT count(*) FROM area WHERE layer = 'zoning'"
            " AND props->>'zoning_role' = 'overlay'",
        )
        == 4 + 1 + 6
    )


def test_zoning_online_needs_a_key_and_an_area(online: Settings, fake: FakeServices) -> None:
    assert run_cli(online, "etl", "run", "zoning", "--force").exit_code == 0  # the GML files
    before = fingerprint(online, "area", "zoning")
    box, _ = goes_box()
    keyless = online.model_copy(update={"ruimtelijkeplannen_api_key": ""})
    result = run_cli(keyless, "etl", "run", "zoning", "--online", "--bbox", box)
    assert result.exit_code == 2
    line = error_line(result)
    assert "SITEFINDER_RUIMTELIJKEPLANNEN_API_KEY" in line and "developer.omgevingswet" in line
    assert fake.requests() == []  # nothing asked without a key
    wrong = online.model_copy(update={"ruimtelijkeplannen_api_key": "not-the-key"})
    result = run_cli(wrong, "etl", "run", "zoning", "--online", "--bbox", box)
    assert result.exit_code == 2
    assert "refused the key (HTTP 401)" in error_line(result)
    assert len(fake.requests(RP_SEARCH)) == 1  # a 401 is not retried
    result = run_cli(online, "etl", "run", "zoning", "--online")
    assert result.exit_code == 2 and "searched by area" in error_line(result)
    assert fingerprint(online, "area", "zoning") == before


# --------------------------------------------------------------------------------------------
# 6. BGT: the PDOK download API


def test_bgt_online_requests_polls_and_downloads(online: Settings, fake: FakeServices) -> None:
    fake.fail_next(1, status=503)  # the request itself: retried
    result = run_cli(online, "etl", "run", "bgt_panden", "--online", "--bbox", OTTERLO_BOX)
    assert result.exit_code == 0, result.output
    assert f"{BGT_LOADED} geladen" in result.output
    first, posted = [r for r in fake.requests(BGT_CUSTOM) if r.method == "POST"]
    assert first.body == posted.body and len(fake.bgt_requests) == 1
    asked = posted.json()
    assert asked["featuretypes"] == ["pand"] and asked["format"] == "citygml"
    assert shapely.from_wkt(asked["geofilter"]).equals(parse_bbox(OTTERLO_BOX).geom)
    polls = [r for r in fake.requests(BGT_CUSTOM) if r.path.endswith("/status")]
    downloads = [r for r in fake.requests(BGT_CUSTOM) if r.path.endswith("/download")]
    assert len(polls) == 3 and len(downloads) == 1  # RUNNING, RUNNING, COMPLETED
    run = last_run(online, "bgt_panden")
    assert run["source"] == "pdok_bgt_download_pand" and run["licence"] == "CC0 1.0"
    # The same request today: the zip from the cache, no request at all.
    n_requests = len(fake.requests())
    again = run_cli(online, "etl", "run", "bgt_panden", "--online", "--bbox", OTTERLO_BOX)
    assert again.exit_code == 0 and "ongewijzigd" in again.output
    assert len(fake.requests()) == n_requests


def test_bgt_online_failed_request_keeps_the_data(online: Settings, fake: FakeServices) -> None:
    assert run_cli(online, "etl", "run", "bgt_panden", "--force").exit_code == 0  # bundled
    before = fingerprint(online, "area", "bgt_panden")
    assert before[0] == BGT_LOADED
    fake.bgt_outcome = "FAILED"
    result = run_cli(online, "etl", "run", "bgt_panden", "--online", "--bbox", OTTERLO_BOX)
    assert result.exit_code == 2
    assert "the PDOK download request ended FAILED" in error_line(result)
    assert len([r for r in fake.requests(BGT_CUSTOM) if r.path.endswith("/status")]) == 3
    assert not [r for r in fake.requests(BGT_CUSTOM) if r.path.endswith("/download")]
    result = run_cli(online, "etl", "run", "bgt_panden", "--online")
    assert result.exit_code == 2 and "needs an area" in error_line(result)
    assert fingerprint(online, "area", "bgt_panden") == before


# --------------------------------------------------------------------------------------------
# everything at once


def test_all_online_for_a_gemeente_with_every_service(online: Settings, fake: FakeServices) -> None:
    """``etl run all --online --gemeente``: every layer with a service reads it (mirrored to the
    fake), the others their bundled files; the boundary layers whole, the rest limited."""
    ensure_gemeenten(online)
    plans_before = count(online, "area", "zoning")
    # --accept-loss: no building data covers Amsterdam's parcels (see test_online.py)
    args = ("--online", "--gemeente", "GM0363", "--accept-loss")
    result = run_cli(online, "etl", "run", "all", *args)
    assert result.exit_code == 0, result.output
    sources = ok_sources(online)
    assert sources == {
        **sources,
        "gemeenten": "pdok_ogc_cbs_wijken_en_buurten_2023_gemeenten",
        "provincies": "pdok_ogc_cbs_gebiedsindelingen_provincies",
        "buurten": "pdok_ogc_cbs_wijken_en_buurten_2023_buurten",
        "natura2000": "pdok_ogc_rvo_natura2000",
        "bag_panden": "pdok_ogc_bag_pand",
        "bgt_panden": "pdok_bgt_download_pand",
        "stops": "ovapi_gtfs_nl",
        "supermarkets": "osm_overpass_supermarkets",
        "care_osm": "osm_overpass_care",
        "zoning": "ruimtelijkeplannen_api_v4_bestemmingsvlakken",
        "offices": "pdok_ogc_bag_verblijfsobject",
        "plots": "pdok_ogc_brk_kadastrale_kaart_perceel",
        "holidayparks": "osm_overpass_holidayparks",
    }
    assert "care           geen online bron / no online source: bundled files" in result.output
    counts = {
        r["layer"]: r["n"]
        for r in rows(
            online,
            "SELECT layer, count(*) AS n FROM (SELECT layer FROM area UNION ALL"
            " SELECT layer FROM poi) t GROUP BY layer",
        )
    }
    assert counts["gemeenten"] == 342 and counts["provincies"] == 12  # boundaries: whole
    assert counts["buurten"] == 443 and counts["bag_panden"] == 79 and counts["stops"] == 1281
    # The samples have no supermarkets, Natura 2000, plans or BGT panden in Amsterdam (the
    # Amstelveen supermarkets in Amsterdam's box were asked for and left out).
    for layer in ("supermarkets", "natura2000", "bgt_panden", "care_osm"):
        assert layer not in counts
    # Zoning is a layer of plans: no plan in the area replaces none, the others stay.
    assert last_run(online, "zoning")["n_loaded"] == 0
    assert counts.get("zoning", 0) == plans_before
    assert "supermarkets        0 geladen" in result.output and "23 erbuiten" in result.output


def test_all_online_without_an_area_falls_back_where_a_service_needs_one(
    online: Settings, fake: FakeServices
) -> None:
    """Zoning and BGT cannot be asked for the whole country: 'all --online' without an area
    says so and loads their bundled files; the rest of the run goes on."""
    ensure_gemeenten(online)
    result = run_cli(online, "etl", "run", "all", "--online")
    assert result.exit_code == 0, result.output
    for layer in ("zoning", "bgt_panden"):
        assert f"{layer:<14} online niet mogelijk / not possible" in result.output
    sources = ok_sources(online)
    assert sources["zoning"] == get_pipeline("zoning").source.key  # the bundled IMRO plans
    assert sources["gemeenten"] == "pdok_ogc_cbs_wijken_en_buurten_2023_gemeenten"
