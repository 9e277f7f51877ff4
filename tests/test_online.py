"""Online sources against fake services on 127.0.0.1 (``tests/fakeservices.py``), never a mock.

Downloads (``etl/http.py``): the day cache (a second call makes no request), retries after 503
with Retry-After and with exponential back-off, giving up with a one-line error, resuming a
dropped download with a Range request (and restarting when the server ignores Range), a 404
failing at once. OGC API paging (``etl/ogcapi.py``): every feature exactly once through >= 3
pages, the bbox filter, a page that is not JSON. End to end (CLI -> PostGIS): gemeenten and BAG
panden from their PDOK services (mirrored to the fake server), by gemeente and by RD box, the
provenance recorded, and a download killed for good leaving the loaded data untouched.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from fakeservices import (
    BAG_BASE,
    BROKEN_BASE,
    GEMEENTEN_BASE,
    GTFS_PATH,
    RP_API_KEY,
    FakeServices,
    demo_path,
    fake_fixture,  # noqa: F401 - the fixture 'fake'
    fake_services_fixture,  # noqa: F401 - the fixture 'fake_services'
    gemeente_geometry,
    mirrors,
    ok_sources,
    one,
    rows,
    run_cli,
)

from etl import http, ogcapi
from etl.areas import AreaSpec, parse_bbox, resolve_area
from etl.readers import read_vector
from sitefinder.core import db
from sitefinder.core.errors import DownloadError
from sitefinder.core.settings import Settings

GTFS = demo_path("pt", "gvb_gtfs_20170212_ovapi_no_stop_times.zip")
ITEMS_GEMEENTEN = f"{GEMEENTEN_BASE}/collections/gemeenten/items"
ITEMS_PAND = f"{BAG_BASE}/collections/pand/items"


@pytest.fixture
def net(settings: Settings, tmp_path: Path) -> Settings:
    """Settings for downloads: an empty cache, no waiting between retries, 100 per page."""
    return settings.model_copy(
        update={"cache_dir": tmp_path / "cache", "http_backoff_s": 0.0, "ogc_limit": 100}
    )


@pytest.fixture
def online(net: Settings, fake: FakeServices) -> Settings:
    """As ``net``, with the PDOK services the pipelines declare mirrored to the fake server."""
    return net.model_copy(
        update={
            "online_mirrors": mirrors(fake.url),
            "ruimtelijkeplannen_api_key": RP_API_KEY,
            "pdok_download_poll_s": 0.0,
        }
    )


# --------------------------------------------------------------------------------------------
# etl/http.py


def test_fetch_caches_per_url_and_day(net: Settings, fake: FakeServices) -> None:
    url = fake.url + GTFS_PATH
    path = http.fetch(url, settings=net, progress=False)
    assert path.read_bytes() == GTFS.read_bytes()
    assert path.suffix == ".zip" and path.parent.name == http.utc_day()
    assert json.loads(path.with_name(path.name + ".meta.json").read_text())["url"] == url
    assert not list(path.parent.glob("*.part"))
    assert http.fetch(url, settings=net, progress=False) == path  # from the cache
    assert len(fake.requests(GTFS_PATH)) == 1
    # Other parameters are another download; refresh fetches again.
    http.fetch(url, settings=net, params={"v": 2}, progress=False)
    http.fetch(url, settings=net, progress=False, refresh=True)
    assert len(fake.requests(GTFS_PATH)) == 3


def test_fetch_retries_503_honouring_retry_after(net: Settings, fake: FakeServices) -> None:
    waits: list[float] = []
    fake.fail_next(2, status=503, retry_after="0")
    path = http.fetch(
        fake.url + GTFS_PATH, settings=net.model_copy(update={"http_backoff_s": 5.0}),
        progress=False, sleep=waits.append,
    )  # fmt: skip
    assert path.read_bytes() == GTFS.read_bytes()
    assert len(fake.requests(GTFS_PATH)) == 3
    assert waits == [0.0, 0.0]  # Retry-After: 0 wins over the 5 s back-off


def test_fetch_backs_off_exponentially(net: Settings, fake: FakeServices) -> None:
    waits: list[float] = []
    fake.fail_next(3, status=429, retry_after=None)
    settings = net.model_copy(update={"http_backoff_s": 0.5, "http_max_delay_s": 1.5})
    http.fetch(fake.url + GTFS_PATH, settings=settings, progress=False, sleep=waits.append)
    assert waits == [0.5, 1.0, 1.5]  # 0.5 x 2^n, capped at http_max_delay_s


def test_fetch_gives_up_with_one_line(net: Settings, fake: FakeServices) -> None:
    fake.fail_next(10, status=502)
    settings = net.model_copy(update={"http_attempts": 3})
    with pytest.raises(DownloadError) as caught:
        http.fetch(fake.url + GTFS_PATH, settings=settings, progress=False)
    message = str(caught.value)
    assert "\n" not in message and "502" in message and "3 attempts" in message
    assert len(fake.requests(GTFS_PATH)) == 3
    assert not list((net.cache_dir / "http" / http.utc_day()).glob("*.zip"))


def test_fetch_resumes_a_dropped_download(net: Settings, fake: FakeServices) -> None:
    fake.drop_next(1, after=300_000)
    path = http.fetch(fake.url + GTFS_PATH, settings=net, progress=False)
    assert path.read_bytes() == GTFS.read_bytes()
    first, second = fake.requests(GTFS_PATH)
    assert first.range is None
    assert second.range == "bytes=300000-"  # only the rest was asked for (and served, 206)


def test_fetch_restarts_when_range_is_ignored(net: Settings, fake: FakeServices) -> None:
    fake.faults.ranges = False
    fake.drop_next(2, after=200_000)
    path = http.fetch(fake.url + GTFS_PATH, settings=net, progress=False)
    assert path.read_bytes() == GTFS.read_bytes()  # the 200 replaced the partial file
    ranges = [r.range for r in fake.requests(GTFS_PATH)]
    assert ranges == [None, "bytes=200000-", "bytes=200000-"]


def test_404_fails_at_once(net: Settings, fake: FakeServices) -> None:
    with pytest.raises(DownloadError) as caught:
        http.fetch(fake.url + "/files/missing.zip", settings=net, progress=False)
    assert "\n" not in str(caught.value) and "HTTP 404" in str(caught.value)
    assert len(fake.requests("/files/missing.zip")) == 1  # no retries


def test_only_http_urls(net: Settings) -> None:
    with pytest.raises(DownloadError, match="not an http"):
        http.fetch("file:///etc/passwd", settings=net, progress=False)


# --------------------------------------------------------------------------------------------
# etl/ogcapi.py


def test_ogc_paging_gets_every_feature_once(net: Settings, fake: FakeServices) -> None:
    path = ogcapi.fetch_collection(
        fake.url + GEMEENTEN_BASE, "gemeenten", settings=net, limit=100, progress=False
    )
    pages = fake.requests(ITEMS_GEMEENTEN)
    assert len(pages) == 4  # 343 features, 100 a page
    assert "cursor" not in pages[0].query and len({p.query.get("cursor") for p in pages}) == 4
    frame = read_vector(path)
    assert len(frame) == 343 and frame["gemeentecode"].is_unique
    assert set(frame["gemeentecode"]) == {
        f["properties"]["gemeentecode"] for f in fake.gemeenten.features
    }
    assert frame.crs.to_epsg() == 4326
    # Read again today: the combined file comes from the cache, no request.
    again = ogcapi.fetch_collection(
        fake.url + GEMEENTEN_BASE, "gemeenten", settings=net, limit=100, progress=False
    )
    assert again == path and len(fake.requests(ITEMS_GEMEENTEN)) == 4


def test_ogc_paging_without_number_matched(net: Settings, fake: FakeServices) -> None:
    fake.number_matched = False
    path = ogcapi.fetch_collection(
        fake.url + BAG_BASE, "pand", settings=net, limit=25, progress=False
    )
    assert len(fake.requests(ITEMS_PAND)) == 4  # 79 panden, 25 a page
    assert len(read_vector(path)) == 79


def test_ogc_bbox_returns_only_the_area(net: Settings, fake: FakeServices) -> None:
    amsterdam = gpd.GeoSeries([gemeente_geometry("GM0363")], crs=28992).to_crs(4326)
    bbox = tuple(float(v) for v in amsterdam.total_bounds)
    path = ogcapi.fetch_collection(
        fake.url + GEMEENTEN_BASE, "gemeenten", settings=net, bbox_wgs84=bbox, progress=False
    )
    sent = fake.requests(ITEMS_GEMEENTEN)[0].query["bbox"]
    assert sent == ogcapi.items_params(limit=100, bbox_wgs84=bbox)["bbox"]
    got = set(read_vector(path)["gemeentecode"])
    demo = gpd.read_file(demo_path("boundaries", "gemeenten_2023_cbs.geojson"))
    box = shapely.box(*(float(v) for v in sent.split(",")))
    expected = set(demo.loc[demo.intersects(box), "gemeentecode"])
    assert got == expected
    assert {"GM0363", "GM0362"} <= got and "GM0014" not in got and len(got) < 30


def test_ogc_page_that_is_not_json(net: Settings, fake: FakeServices) -> None:
    with pytest.raises(DownloadError) as caught:
        ogcapi.fetch_collection(fake.url + BROKEN_BASE, "gemeenten", settings=net, progress=False)
    assert "\n" not in str(caught.value) and "not JSON" in str(caught.value)
    # The bad page is not kept in the cache.
    assert not list((net.cache_dir / "http").rglob("*.json"))


# --------------------------------------------------------------------------------------------
# end to end: sitefinder etl run ... --online / --from URL, into PostGIS


def test_gemeenten_online(online: Settings, fake: FakeServices) -> None:
    result = run_cli(online, "etl", "run", "gemeenten", "--online")
    assert result.exit_code == 0, result.output
    assert "342 geladen" in result.output
    assert len(fake.requests(ITEMS_GEMEENTEN)) == 4  # 343 features at 100 a page
    assert one(online, "SELECT count(*) FROM area WHERE layer = 'gemeenten'") == 342
    ams = rows(online, "SELECT name, props FROM area WHERE id = 'gemeenten:GM0363'")[0]
    assert ams["name"] == "Amsterdam"
    assert ams["props"]["aantalInwoners"] == 918117  # snake_case key figures read too
    run = rows(
        online,
        "SELECT source, uri, publisher, licence, data_as_of, status FROM etl_run"
        " WHERE layer = 'gemeenten' ORDER BY id DESC LIMIT 1",
    )[0]
    assert run["status"] == "ok" and run["data_as_of"] == http.utc_day()
    assert run["source"] == "pdok_ogc_cbs_wijken_en_buurten_2023_gemeenten"
    assert run["uri"].startswith(f"{fake.url}{ITEMS_GEMEENTEN}?f=json&limit=100 (cache: ")
    assert "PDOK" in run["publisher"] and run["licence"] == "CC BY 4.0"
    # Same day, same query: nothing is downloaded and the unchanged input is skipped.
    again = run_cli(online, "etl", "run", "gemeenten", "--online")
    assert again.exit_code == 0 and "ongewijzigd" in again.output
    assert len(fake.requests(ITEMS_GEMEENTEN)) == 4


def test_gemeenten_from_a_collection_url(net: Settings, fake: FakeServices) -> None:
    url = f"{fake.url}{ITEMS_GEMEENTEN}"
    result = run_cli(net, "etl", "run", "gemeenten", "--from", url, "--force")
    assert result.exit_code == 0, result.output
    assert one(net, "SELECT count(*) FROM area WHERE layer = 'gemeenten'") == 342
    assert len(fake.requests(ITEMS_GEMEENTEN)) == 4


def test_bag_panden_online_for_a_gemeente(online: Settings, fake: FakeServices) -> None:
    """Needs the gemeenten loaded (by the tests above, or here)."""
    if one(online, "SELECT count(*) FROM area WHERE layer = 'gemeenten'") == 0:
        assert run_cli(online, "etl", "run", "gemeenten").exit_code == 0
    result = run_cli(online, "etl", "run", "bag_panden", "--online", "--gemeente", "GM0363")
    assert result.exit_code == 0, result.output
    assert "gemeente GM0363 (Amsterdam)" in result.output
    sent = fake.requests(ITEMS_PAND)[0].query
    box = [float(v) for v in sent["bbox"].split(",")]
    ams = gpd.GeoSeries([gemeente_geometry("GM0363")], crs=28992).to_crs(4326).total_bounds
    # The request asks for Amsterdam's bounding box in degrees, not more than about 10 m out.
    assert box[:2] <= list(ams[:2]) and box[2:] >= list(ams[2:])
    assert max(abs(a - b) for a, b in zip(box, ams, strict=True)) < 1e-4
    loaded = rows(online, "SELECT source_ref, code, props FROM area WHERE layer = 'bag_panden'")
    assert len(loaded) == 79  # every sample pand is in Amsterdam
    assert all(r["code"] == r["source_ref"] and len(r["code"]) == 16 for r in loaded)
    assert {r["props"]["bag_id"] for r in loaded} == {
        f["properties"]["identificatie"] for f in fake.panden.features
    }
    message = one(
        online,
        "SELECT message FROM etl_run WHERE layer = 'bag_panden' AND status = 'ok'"
        " ORDER BY id DESC LIMIT 1",
    )
    assert message.startswith("limited to gemeente GM0363 (Amsterdam): 79 loaded, 0 outside")
    # Buildings elsewhere in the country would not be: a gemeente without sample panden.
    other = run_cli(online, "etl", "run", "bag_panden", "--online", "--gemeente", "GM0362")
    assert other.exit_code == 0, other.output
    assert one(online, "SELECT count(*) FROM area WHERE layer = 'bag_panden'") == 0


def test_bag_panden_online_for_an_rd_box(online: Settings, fake: FakeServices) -> None:
    demo = gpd.read_file(demo_path("bag", "amsterdam_pand_sample_2015_rd.geojson"))
    x0, y0, x1, y1 = demo.total_bounds
    # The western half of the sample, RD metres.
    box = tuple(round(v, 1) for v in (x0 - 1, y0 - 1, (x0 + x1) / 2, y1 + 1))
    expected = int(demo.intersects(shapely.box(*box)).sum())
    assert 0 < expected < 79
    text = ",".join(f"{v:.1f}" for v in box)
    result = run_cli(online, "etl", "run", "bag_panden", "--online", "--bbox", text)
    assert result.exit_code == 0, result.output
    assert one(online, "SELECT count(*) FROM area WHERE layer = 'bag_panden'") == expected
    coverage = one(
        online,
        "SELECT ST_CoveredBy(geom, ST_Buffer(ST_MakeEnvelope(%s, %s, %s, %s, 28992), 0.01))"
        " FROM layer_coverage WHERE layer = 'bag_panden'",
        *box,
    )
    assert coverage  # the coverage is cut to the box


def test_killed_download_leaves_the_data(online: Settings, fake: FakeServices) -> None:
    if one(online, "SELECT count(*) FROM area WHERE layer = 'gemeenten'") != 342:
        assert run_cli(online, "etl", "run", "gemeenten", "--online").exit_code == 0
    before = rows(online, "SELECT max(id) AS id, count(*) AS n FROM etl_run")[0]
    digest = one(
        online,
        "SELECT md5(string_agg(id || ST_AsEWKB(geom)::text, ',' ORDER BY id)) FROM area"
        " WHERE layer = 'gemeenten'",
    )
    fake.drop_next(100, after=5_000)  # every response breaks off
    settings = online.model_copy(update={"http_attempts": 2})
    result = run_cli(settings, "etl", "run", "gemeenten", "--online", "--refresh", "--force")
    assert result.exit_code == 2
    error = result.stderr.strip()
    assert "\n" not in error and "cannot download" in error and "2 attempts" in error
    assert rows(online, "SELECT max(id) AS id, count(*) AS n FROM etl_run")[0] == before
    assert digest == one(
        online,
        "SELECT md5(string_agg(id || ST_AsEWKB(geom)::text, ',' ORDER BY id)) FROM area"
        " WHERE layer = 'gemeenten'",
    )
    assert not list((online.cache_dir / "ogc").rglob("*.part"))


def test_file_load_limited_to_a_gemeente(online: Settings) -> None:
    """A file load with --gemeente keeps only the features in it; the coverage is the area."""
    if one(online, "SELECT count(*) FROM area WHERE layer = 'gemeenten'") != 342:
        assert run_cli(online, "etl", "run", "gemeenten", "--force").exit_code == 0
    amsterdam = gemeente_geometry("GM0363")
    shops = gpd.read_file(demo_path("osm", "osm_nl_supermarkets.geojson")).to_crs(28992)
    expected = int(shops.intersects(amsterdam).sum())
    assert expected == 258  # as SOURCES.md counts them
    result = run_cli(online, "etl", "run", "supermarkets", "--gemeente", "Amsterdam")
    assert result.exit_code == 0, result.output
    assert f"{4852 - expected} erbuiten" in result.output
    assert one(online, "SELECT count(*) FROM poi WHERE layer = 'supermarkets'") == expected
    cov = rows(
        online,
        "SELECT national, ST_Area(geom) AS a FROM layer_coverage WHERE layer = 'supermarkets'",
    )[0]
    assert cov["national"] is False and cov["a"] == pytest.approx(amsterdam.area, rel=1e-3)
    # Without the area the same file is a different input: all of it loads again.
    full = run_cli(online, "etl", "run", "supermarkets")
    assert full.exit_code == 0 and "4852 geladen" in full.output
    assert one(online, "SELECT national FROM layer_coverage WHERE layer = 'supermarkets'")


def test_all_online_for_a_gemeente(online: Settings, fake: FakeServices) -> None:
    """``etl run all --online --gemeente``: online where a layer has a service, else the
    bundled files; every layer limited to the area except the boundary layers."""
    if one(online, "SELECT count(*) FROM area WHERE layer = 'gemeenten'") != 342:
        assert run_cli(online, "etl", "run", "gemeenten").exit_code == 0
    # no building data covers Amsterdam's parcels: every one is quarantined, which the loss
    # guard refuses without --accept-loss
    args = ("--online", "--gemeente", "GM0363", "--accept-loss")
    result = run_cli(online, "etl", "run", "all", *args)
    assert result.exit_code == 0, result.output
    assert "care           geen online bron / no online source: bundled files" in result.output
    assert "gemeenten      geen online bron" not in result.output
    counts = {
        r["layer"]: r["n"]
        for r in rows(
            online,
            "SELECT layer, count(*) AS n FROM (SELECT layer FROM area UNION ALL"
            " SELECT layer FROM poi UNION ALL SELECT layer FROM site) t GROUP BY layer",
        )
    }
    assert counts["gemeenten"] == 342 and counts["provincies"] == 12  # boundaries: whole
    assert counts["bag_panden"] == 79 and counts["stops"] == 1281  # Amsterdam only
    assert "supermarkets" not in counts  # the recorded Overpass answer has none in Amsterdam
    sources = ok_sources(online)
    assert sources["gemeenten"] == "pdok_ogc_cbs_wijken_en_buurten_2023_gemeenten"
    assert sources["bag_panden"] == "pdok_ogc_bag_pand"
    assert sources["supermarkets"] == "osm_overpass_supermarkets"


def test_an_empty_answer_without_an_area_changes_nothing(net: Settings, fake: FakeServices) -> None:
    """A service that returns no features at all must not empty a layer loaded for all NL."""
    if one(net, "SELECT count(*) FROM area WHERE layer = 'gemeenten'") != 342:
        assert run_cli(net, "etl", "run", "gemeenten", "--force").exit_code == 0
    url = f"{fake.url}{ITEMS_GEMEENTEN}?bbox=0,0,1,1"  # the query of a collection URL is kept
    result = run_cli(net, "etl", "run", "gemeenten", "--from", url)
    assert result.exit_code == 2
    assert "returned no features" in result.stderr and "\n" not in result.stderr.strip()
    assert fake.requests(ITEMS_GEMEENTEN)[0].query["bbox"] == "0,0,1,1"
    assert one(net, "SELECT count(*) FROM area WHERE layer = 'gemeenten'") == 342


def test_areas_resolve(net: Settings) -> None:
    if one(net, "SELECT count(*) FROM area WHERE layer = 'gemeenten'") != 342:
        assert run_cli(net, "etl", "run", "gemeenten", "--force").exit_code == 0
    assert run_cli(net, "etl", "run", "provincies").exit_code == 0
    with db.connection(net) as conn:
        for value in ("GM0363", "gm363", "0363", "amsterdam"):
            area = resolve_area(conn, AreaSpec("gemeente", value))
            assert area.code == "GM0363" and area.label == "gemeente GM0363 (Amsterdam)"
        nh = resolve_area(conn, AreaSpec("provincie", "27"))
        assert nh.label == "provincie PV27 (Noord-Holland)"
        assert resolve_area(conn, AreaSpec("provincie", "noord-holland")).code == "PV27"
    ams = gemeente_geometry("GM0363")
    assert area.geom.area == pytest.approx(ams.area, rel=1e-6)  # m², EPSG:28992
    assert nh.geom.contains(ams.representative_point())
    lon0, lat0, lon1, lat1 = area.bbox_wgs84
    assert 4.7 < lon0 < lon1 < 5.2 and 52.2 < lat0 < lat1 < 52.5
    # --bbox in degrees or in RD metres.
    degrees = parse_bbox("4.85,52.35,4.95,52.40")
    assert degrees.name.endswith("(WGS84)")
    assert degrees.geom.contains(shapely.Point(121_304, 487_362))  # the Dam, RD
    rd = parse_bbox("120000, 480000, 125000, 490000")
    assert rd.name.endswith("(RD)") and rd.geom.area == 5000 * 10000


def test_links_to_the_real_host_go_through_the_mirror(online: Settings, fake: FakeServices) -> None:
    """PDOK's next links name https://api.pdok.nl; with a mirror they are read from it too."""
    fake.link_base = "https://api.pdok.nl"
    path = ogcapi.fetch_collection(
        "https://api.pdok.nl" + BAG_BASE, "pand", settings=online, limit=30, progress=False
    )
    assert len(fake.requests(ITEMS_PAND)) == 3 and len(read_vector(path)) == 79
