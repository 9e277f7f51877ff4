"""API tests on the whole demo region loaded into a real PostGIS (through the real ETL)."""

from __future__ import annotations

import importlib
import itertools
import pkgutil
import secrets
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row

from sitefinder.api import create_app, routers
from sitefinder.api.models import SiteCollection
from sitefinder.core.settings import Settings
from sitefinder.scoring.criteria import catalogue

AMSTERDAM = "4.85,52.33,4.95,52.40"


@pytest.fixture(scope="module")
def client(demo_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(demo_settings)) as test_client:
        yield test_client


def _get(client: TestClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.text
    return response.json()


def test_health_counts_layers(client: TestClient) -> None:
    body = _get(client, "/api/health")
    assert body["status"] == "ok" and body["database"] is True
    layers = body["layers"]
    assert layers["gemeenten"]["count"] == 342
    assert layers["gemeenten"]["data_as_of"] == "2023-01-01"
    for name in ("offices", "holidayparks", "plots", "stops", "care", "zoning", "natura2000"):
        assert layers[name]["count"] > 0, name
    assert body["scored_sites"] == sum(
        layers[n]["count"] for n in ("offices", "holidayparks", "plots")
    )


def test_site_list_is_the_model_it_documents(client: TestClient) -> None:
    """The list is serialised without pydantic (orjson, for speed): it must still be exactly
    what ``SiteCollection`` (undeclared keys refused) validates and would have sent."""
    for query in ("limit=50", "limit=5&include_excluded=true&rank_by=score"):
        body = _get(client, f"/api/sites?{query}")
        assert body["features"], query
        model = SiteCollection.model_validate(body)
        assert model.model_dump(mode="json", exclude_unset=True) == body, query


def test_sites_sorted_with_total_and_paging(client: TestClient) -> None:
    first = _get(client, "/api/sites?limit=10")
    assert first["type"] == "FeatureCollection"
    assert first["total"] > 10 and len(first["features"]) == 10
    # the cautious default: solid scores by their lower end (docs/scoring.md section 3)
    assert first["rank_by"] == "conservative"
    solid = [f["properties"]["score_low"] for f in first["features"] if f["properties"]["solid"]]
    assert solid and solid == sorted(solid, reverse=True)
    by_score = _get(client, "/api/sites?limit=10&rank_by=score")
    scores = [f["properties"]["score"] for f in by_score["features"]]
    assert scores == sorted(scores, reverse=True)
    assert [f["properties"]["rank"] for f in first["features"]] == list(range(1, 11))
    second = _get(client, "/api/sites?limit=10&offset=10")
    assert second["total"] == first["total"]
    assert {f["id"] for f in first["features"]}.isdisjoint(f["id"] for f in second["features"])
    lon, lat = first["features"][0]["geometry"]["coordinates"]
    assert 3.0 < lon < 7.5 and 50.7 < lat < 53.7  # WGS84 out


def test_sites_filters(client: TestClient) -> None:
    offices = _get(client, "/api/sites?kind=kantoor&limit=2000")
    assert offices["total"] > 0
    assert {f["properties"]["kind"] for f in offices["features"]} == {"kantoor"}
    ams = _get(client, "/api/sites?gemeente=GM0363&limit=2000")
    assert ams["total"] > 0
    assert {f["properties"]["gemeentecode"] for f in ams["features"]} == {"GM0363"}
    assert {f["properties"]["gemeentenaam"] for f in ams["features"]} == {"Amsterdam"}
    lower = _get(client, "/api/sites?gemeente=gm0363&limit=1")  # case-insensitive code
    assert lower["total"] == ams["total"]
    good = _get(client, "/api/sites?min_score=0.6&limit=2000")
    assert all(f["properties"]["score"] >= 0.6 for f in good["features"])
    boxed = _get(client, f"/api/sites?bbox={AMSTERDAM}&limit=2000")
    for f in boxed["features"]:
        lon, lat = f["geometry"]["coordinates"]
        assert 4.84 <= lon <= 4.96 and 52.32 <= lat <= 52.41
    everything = _get(client, "/api/sites?include_excluded=true&limit=1")
    plain = _get(client, "/api/sites?limit=1")
    assert everything["total"] >= plain["total"]


def test_zoning_has_no_data_in_amsterdam_and_is_reported_missing(client: TestClient) -> None:
    ams = _get(client, "/api/sites?gemeente=GM0363&limit=5")
    for f in ams["features"]:
        assert "zoning" in f["properties"]["missing"]


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("/api/sites?bbox=1,2,3", "bbox"),
        ("/api/sites?bbox=a,b,c,d", "bbox"),
        ("/api/sites?gemeente=Amsterdam", "GM0363"),
        ("/api/sites?kind=hut", "kantoor"),
        ("/api/sites?min_score=2", "min_score"),
        ("/api/sites?limit=0", "limit"),
        ("/api/sites?limit=abc", "limit"),
        ("/api/sites?profile=../x", "profile"),
        ("/api/layers/stops?bbox=nan,1,2,3", "bbox"),
        ("/api/sites?weights=transit:x", "weights"),
        ("/api/sites?weights=foo:1", "unknown criterion"),
        ("/api/sites?weights=transit:0", "positive"),
        ("/api/sites?stability_k=0", "stability_k"),
        ("/api/sites?rank_by=best", "rank_by"),
        ("/api/sites?min_completeness=2", "min_completeness"),
        ("/api/sites?vacancy=vol", "vacancy"),
    ],
)
def test_bad_parameters_get_422_with_message(client: TestClient, url: str, fragment: str) -> None:
    response = client.get(url)
    assert response.status_code == 422, response.text
    assert fragment.lower() in response.text.lower()


def test_sql_injection_attempts_are_just_values(client: TestClient) -> None:
    body = _get(client, "/api/sites/offices:1' OR '1'='1", status=404)
    assert "no site" in body["detail"]
    _get(client, "/api/layers/site;DROP TABLE site", status=404)
    assert _get(client, "/api/health")["layers"]["offices"]["count"] > 0


def test_site_detail_breakdown_sums_to_score(client: TestClient) -> None:
    best = _get(client, "/api/sites?gemeente=GM0363&limit=1")["features"][0]
    detail = _get(client, f"/api/sites/{best['id']}")
    props = detail["properties"]
    assert props["score"] == pytest.approx(best["properties"]["score"])
    assert props["rank"] >= 1
    total = sum(b["contribution"] for b in props["breakdown"])
    assert total == pytest.approx(props["score"])
    by = {b["criterion"]: b for b in props["breakdown"]}
    # one item per criterion of the catalogue, in its order (test_scoring pins the names)
    assert [b["criterion"] for b in props["breakdown"]] == list(catalogue())
    assert by["transit"]["unit"] == "m" and by["transit"]["missing"] is False
    assert by["zoning"]["missing"] is True and by["zoning"]["value"] is None
    stop = props["nearest"]["stop"]
    assert stop["name"] and stop["walk_m"] >= stop["distance_m"] >= 0
    assert props["nearest"]["care"]["name"]
    assert props["sources"] and props["sources"][0]["licence"]
    # the transit item explains itself by its nearest stop (the page words "Dichtstbijzijnde: ...")
    assert by["transit"]["facts"] == {"nearest": stop}
    assert stop["category"] in {"bus", "tram", "metro", "ferry", "rail"}
    assert "departures_per_hour" in stop  # null: timetable unknown
    # facts only: no server-built sentences, titles or the old nearest_* keys
    assert not {"nearest_stop", "nearest_care", "nearest_supermarket"} & set(props)
    assert all(not {"explanation", "title"} & set(b) for b in props["breakdown"])
    assert by["zoning"]["facts"] is None


def test_unknown_site_is_404(client: TestClient) -> None:
    assert "no site" in _get(client, "/api/sites/offices:doesnotexist", status=404)["detail"]


def test_layers_catalogue_and_features(client: TestClient) -> None:
    layers = {x["name"]: x for x in _get(client, "/api/layers")["layers"]}
    assert layers["gemeenten"]["title"] == {"nl": "Gemeentegrenzen", "en": "Municipal boundaries"}
    assert layers["gemeenten"]["loaded"]["count"] == 342
    assert layers["stops"]["kind"] == "criterion"
    stops = _get(client, f"/api/layers/stops?bbox={AMSTERDAM}&limit=5")
    assert stops["total"] > 5 and stops["truncated"] is True and len(stops["features"]) == 5
    gemeenten = _get(client, "/api/layers/gemeenten?limit=20000")
    assert gemeenten["total"] == 342 and gemeenten["features"][0]["geometry"]["type"] in (
        "Polygon",
        "MultiPolygon",
    )
    nothing = _get(client, "/api/layers/stops?bbox=5.7,52.0,5.9,52.1")  # Ede: no stops data
    assert nothing["total"] == 0


def _feature_point(settings: Settings, table: str, layer: str) -> dict[str, Any]:
    """One feature of a layer in the demo database, with its area (m², EPSG:28992) and a
    WGS84 point inside it, to ask GET /api/layers/{name}/at about."""
    query = sql.SQL(
        "SELECT id, ST_Area(geom) AS area, ST_X(p) AS lon, ST_Y(p) AS lat FROM"
        " (SELECT id, geom, ST_Transform(ST_PointOnSurface(geom), 4326) AS p FROM {t}"
        "  WHERE layer = %(layer)s ORDER BY ST_Area(geom) DESC, id LIMIT 1) f"
    ).format(t=sql.Identifier(table))
    with psycopg.connect(settings.database_url, row_factory=dict_row) as conn:
        row = conn.execute(query, {"layer": layer}).fetchone()
    assert row is not None, layer
    return row


def test_layer_features_at_a_point(client: TestClient, demo_settings: Settings) -> None:
    """What an owner clicks on the map: the parcel or building under the point, as GeoJSON
    (WGS84) that POST /api/score scores as their own site."""
    import shapely

    for table, layer in (("site", "plots"), ("area", "bgt_panden"), ("area", "bag_panden")):
        there = _feature_point(demo_settings, table, layer)
        url = f"/api/layers/{layer}/at?lon={there['lon']:.7f}&lat={there['lat']:.7f}"
        found = _get(client, url)
        assert found["layer"] == layer and found["total"] >= 1, (layer, found)
        feature = found["features"][0]
        assert len(found["features"]) == 1 and found["truncated"] == (found["total"] > 1)
        assert feature["id"] == there["id"] and feature["properties"]["id"] == there["id"]
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        shape = shapely.geometry.shape(feature["geometry"])
        assert shape.buffer(1e-6).contains(shapely.Point(there["lon"], there["lat"]))
        # ... scored as the owner's own site: the same shape (area within 1 %, 6 decimals)
        scored = client.post("/api/score", json={"geometry": feature["geometry"]})
        assert scored.status_code == 200, scored.text
        area = scored.json()["properties"]["area_m2"]
        assert abs(area - there["area"]) <= 0.01 * there["area"] + 1, (layer, area, there)
    plot = _feature_point(demo_settings, "site", "plots")
    assert _get(client, f"/api/layers/plots/at?lon={plot['lon']}&lat={plot['lat']}")["features"][0][
        "properties"
    ]["name"].startswith("Otterlo ")
    # a radius finds what lies near; limit bounds the answer, total counts all
    near = _get(client, "/api/layers/bgt_panden/at?lon=5.7712&lat=52.0980&radius_m=100&limit=10")
    assert 1 <= len(near["features"]) <= 10 and near["total"] >= len(near["features"])
    assert near["truncated"] == (near["total"] > len(near["features"])) and near["radius_m"] == 100
    # nothing there: an empty collection, not an error
    nothing = _get(client, "/api/layers/plots/at?lon=3.3&lat=53.6")
    assert nothing["features"] == [] and nothing["total"] == 0 and nothing["truncated"] is False
    assert (nothing["lon"], nothing["lat"], nothing["radius_m"]) == (3.3, 53.6, 0)


@pytest.mark.parametrize(
    ("url", "status", "fragment"),
    [
        ("/api/layers/plots/at?lon=200&lat=52", 422, "lon"),
        ("/api/layers/plots/at?lon=5.7&lat=abc", 422, "lat"),
        ("/api/layers/plots/at?lon=5.7", 422, "lat"),
        ("/api/layers/plots/at?lon=nan&lat=52", 422, "lon"),
        ("/api/layers/plots/at?lon=5.7&lat=-inf", 422, "lat"),
        ("/api/layers/plots/at?lon=5.7&lat=52&radius_m=1000", 422, "radius_m"),
        ("/api/layers/plots/at?lon=5.7&lat=52&radius_m=-1", 422, "radius_m"),
        ("/api/layers/plots/at?lon=5.7&lat=52&limit=11", 422, "limit"),
        ("/api/layers/perceel/at?lon=5.7&lat=52", 404, "unknown layer"),
        ("/api/layers/plots' OR '1'='1/at?lon=5.7&lat=52", 404, "unknown layer"),
        ("/api/layers/regions/at?lon=5.7&lat=52", 404, "without geometry"),
    ],
)
def test_layer_features_at_bad_requests(
    client: TestClient, url: str, status: int, fragment: str
) -> None:
    response = client.get(url)
    assert response.status_code == status, response.text
    assert (
        fragment.lower()
        in response.json()["detail"].lower() + str(response.json().get("errors", "")).lower()
    )


def test_gemeenten_with_sites_and_config(client: TestClient) -> None:
    gemeenten = {g["code"]: g for g in _get(client, "/api/gemeenten")["gemeenten"]}
    assert "GM0363" in gemeenten and gemeenten["GM0363"]["n_sites"] > 0
    config = _get(client, "/api/config")
    assert "pdok.nl" in config["basemap"]["url"]
    assert "OpenStreetMap" in config["attribution"]
    assert config["bounds"][0] < config["bounds"][2]


def test_openapi_and_static_page(client: TestClient) -> None:
    assert "/api/sites" in _get(client, "/openapi.json")["paths"]
    page = client.get("/")
    assert page.status_code == 200 and "leaflet" in page.text.lower()
    assert client.get("/vendor/leaflet/leaflet.js").status_code == 200


def test_profiles_listed(client: TestClient) -> None:
    body = _get(client, "/api/profiles")
    names = [p["name"] for p in body["profiles"]]
    assert names == ["standaard", "begeleid_wonen", "statushouders", "zelfredzaam"]
    assert body["default"] == "standaard"
    assert {c["name"] for c in body["criteria"] if c["constraint"]} == {"natura2000", "constraints"}


def test_profile_and_weights_rerank(client: TestClient) -> None:
    base = _get(client, "/api/sites?limit=20&gemeente=GM0363")
    care = _get(client, "/api/sites?limit=20&gemeente=GM0363&profile=begeleid_wonen")
    assert care["profile"] == "begeleid_wonen"
    assert care["weights"]["care_distance"] == 0.25
    assert [f["id"] for f in base["features"]] != [f["id"] for f in care["features"]]
    size = _get(client, "/api/sites?limit=20&gemeente=GM0363&weights=size:1")
    assert size["weights"]["size"] == 1.0 and size["weights"]["transit"] == 0.0
    places = [f["properties"]["places"] or 0 for f in size["features"]]
    scored = [f for f in size["features"] if f["properties"]["score"] is not None]
    assert scored and places[0] == max(places)


def test_stability_per_site(client: TestClient) -> None:
    body = _get(client, "/api/sites?limit=15&stability_k=5")
    shares = [f["properties"]["stability"]["in_top_k"] for f in body["features"]]
    assert all(0.0 <= s <= 1.0 for s in shares)
    assert body["features"][0]["properties"]["stability"]["k"] == 5
    # ranks 6-15 are outside the top 5 at the given weights: rarely inside after perturbing
    assert sum(shares[:5]) > sum(shares[5:10])


def test_detail_follows_custom_weights(client: TestClient) -> None:
    first = _get(client, "/api/sites?limit=1&weights=transit:1")["features"][0]
    detail = _get(client, f"/api/sites/{first['id']}?weights=transit:1")["properties"]
    by = {b["criterion"]: b for b in detail["breakdown"]}
    assert by["transit"]["effective_weight"] == 1.0
    assert detail["score"] == pytest.approx(first["properties"]["score"])
    assert detail["rank"] == 1


def test_score_adhoc_geometry(client: TestClient) -> None:
    plot = {
        "type": "Polygon",
        "coordinates": [
            [[4.90, 52.37], [4.901, 52.37], [4.901, 52.3705], [4.90, 52.3705], [4.90, 52.37]]
        ],
    }
    response = client.post(
        "/api/score?profile=begeleid_wonen", json={"geometry": plot, "places": 12}
    )
    assert response.status_code == 200, response.text
    props = response.json()["properties"]
    assert 0 <= props["score"] <= 1
    assert props["area_m2"] == pytest.approx(68 * 56, rel=0.1)  # about 68 m x 56 m
    assert props["nearest"]["stop"]["name"] and props["nearest"]["care"]["name"]
    assert all(set(r) == {"criterion"} for r in props["reasons"])
    assert all(not {"explanation", "title"} & set(b) for b in props["breakdown"])
    assert sum(b["contribution"] for b in props["breakdown"]) == pytest.approx(
        props["score"], abs=1e-3
    )
    for body, fragment in (
        ({"geometry": {"type": "Point", "coordinates": [2.35, 48.85]}}, "outside"),
        (
            {"geometry": {"type": "LineString", "coordinates": [[4.9, 52.3], [4.91, 52.31]]}},
            "Polygon",
        ),
        ({"geometry": {"type": "Point"}}, "GeoJSON"),
        ({"geometry": {"type": "Point", "coordinates": [4.9, 52.37]}, "places": -1}, "places"),
    ):
        bad = client.post("/api/score", json=body)
        assert bad.status_code == 422 and fragment in bad.text, bad.text


def test_adhoc_polygon_containing_a_shop_has_distance_zero(client: TestClient) -> None:
    area = {
        "type": "Polygon",
        "coordinates": [
            [[4.85, 52.36], [4.87, 52.36], [4.87, 52.375], [4.85, 52.375], [4.85, 52.36]]
        ],
    }
    props = client.post("/api/score", json={"geometry": area}).json()["properties"]
    shop = next(b for b in props["breakdown"] if b["criterion"] == "daily_needs")
    assert shop["raw"] == 0 and shop["value"] == 1.0
    # a real 0 m (the page words "0 m", not "?"), the same in the nearest places
    assert shop["facts"]["nearest"]["walk_m"] == 0 and shop["facts"]["nearest"]["distance_m"] == 0
    assert props["nearest"]["supermarket"] == shop["facts"]["nearest"]


def test_completeness_shows_how_much_weight_has_data(client: TestClient) -> None:
    ams = _get(client, "/api/sites?gemeente=GM0363&limit=5")["features"]
    for f in ams:
        # zoning (0.25) has no data in Amsterdam: at most 75 % of the weight has data
        assert 0 < f["properties"]["completeness"] <= 0.75


def test_openapi_documents_every_response(client: TestClient) -> None:
    doc = _get(client, "/openapi.json")
    schemas = doc["components"]["schemas"]

    def schema_of(response: dict[str, Any]) -> dict[str, Any]:
        content = response["content"]
        ref = content.get("application/json", content.get("application/geo+json"))["schema"]["$ref"]
        return schemas[ref.rsplit("/", 1)[1]]

    routes = [
        (path, method, op) for path, ops in doc["paths"].items() for method, op in ops.items()
    ]
    # every route of every router module (sitefinder/api/routers/) is documented, with its
    # methods, and nothing else is: the page's own routes, /docs and the static files are not
    # part of the API, and an endpoint outside the routers would show here
    declared = {
        (route.path_format, method.lower())
        for info in pkgutil.iter_modules(routers.__path__)
        for route in importlib.import_module(f"{routers.__name__}.{info.name}").router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    assert {(path, method) for path, method, _ in routes} == declared
    # the routes this test was written against (a new route needs no edit here)
    assert {path for path, _, _ in routes} >= {
        "/api/health",
        "/api/config",
        "/api/gemeenten",
        "/api/sites",
        "/api/sites/{site_id}",
        "/api/profiles",
        "/api/score",
        "/api/layers",
        "/api/layers/{name}",
        "/api/layers/{name}/at",
        # accounts and flags (sitefinder/api/routers/auth.py, users.py, flags.py)
        "/api/auth/me",
        "/api/auth/login",
        "/api/auth/logout",
        "/api/auth/password",
        "/api/auth/oidc/login",
        "/api/auth/oidc/callback",
        "/api/users",
        "/api/users/{user_id}/disable",
        "/api/users/{user_id}/enable",
        "/api/users/{user_id}/roles",
        "/api/users/{user_id}/roles/revoke",
        "/api/flags/statuses",
        "/api/flags/sites/{site_id}",
        "/api/flags/bulk",
        "/api/flags",
        "/api/flags.csv",
        "/api/flags/provincies/{code}",
        "/api/audit",
        "/api/audit.csv",
        # reports, the shortlist map and fair share (issue 12: routers/site_reports.py, regions.py)
        "/api/sites/{site_id}/report",
        "/api/shortlist/report",
        "/api/shortlist/map",
        "/api/fairshare/regions",
        "/api/fairshare",
        "/api/fairshare/need",
        # vector tiles (sitefinder/api/routers/tiles.py)
        "/api/tiles/sites/{z}/{x}/{y}.mvt",
        "/api/tiles/{layer}/{z}/{x}/{y}.mvt",
        "/api/tiles/sites.json",
        "/api/tiles/{layer}.json",
    }
    for path, method, op in routes:
        if "302" in op["responses"]:  # single sign-on: redirects, no body of its own
            assert "200" not in op["responses"], (path, method)
        elif path.endswith(".mvt"):  # binary: Mapbox Vector Tiles
            content = op["responses"]["200"]["content"]
            assert set(content) == {"application/vnd.mapbox-vector-tile"}, (path, method)
            assert "304" in op["responses"], (path, method)
        elif path.endswith(".csv"):
            assert "text/csv" in op["responses"]["200"]["content"], (path, method)
        elif path == "/api/feeds/{token}":
            assert "application/atom+xml" in op["responses"]["200"]["content"], (path, method)
        elif "application/json" not in op["responses"]["200"].get("content", {}):
            # a document (HTML report or map, PDF): its media types are declared
            assert {"text/html"} <= set(op["responses"]["200"]["content"]), (path, method)
        else:
            ok = schema_of(op["responses"]["200"])
            assert ok["properties"] and ok["required"], (path, method)
        errors = {code: r for code, r in op["responses"].items() if code[0] in "45"}
        assert "500" in errors, (path, method)
        if op.get("parameters") or "requestBody" in op:
            assert "422" in errors, (path, method)
        for code, response in errors.items():
            assert schema_of(response)["title"] == "ErrorBody", (path, method, code)
    for path in ("/api/sites/{site_id}", "/api/layers/{name}"):
        assert "404" in doc["paths"][path]["get"]["responses"]
    assert "HTTPValidationError" not in schemas  # FastAPI's default 422 body is not ours
    # the typed pieces a client reads: site properties, breakdown facts, site kinds
    summary = schemas["SiteSummary"]["properties"]
    assert {"score", "rank", "completeness", "stability", "missing", "reasons"} <= set(summary)
    item = schemas["BreakdownItem"]["properties"]
    assert {"criterion", "unit", "raw", "value", "effective_weight", "facts"} <= set(item)
    assert {"nearest", "count", "radius_m", "zoning", "places", "inside", "areas"} <= set(
        schemas["Facts"]["properties"]
    )
    # no legacy sentences or keys are declared any more
    assert not {"explanation", "title"} & set(item)
    assert set(schemas["Reason"]["properties"]) == {"criterion"}
    assert not {"nearest_stop", "nearest_care", "nearest_supermarket"} & set(
        schemas["SiteDetail"]["properties"]
    )
    assert "nearest" in schemas["AdHocProperties"]["required"]
    assert set(schemas["SiteKindInfo"]["required"]) == {
        "code",
        "title",
        "plural",
        "shape",
        "colour",
    }
    params = {p["name"]: p for p in doc["paths"]["/api/sites"]["get"]["parameters"]}
    assert "kantoor" in params["kind"]["schema"]["enum"]
    assert "begeleid_wonen" in params["profile"]["schema"]["enum"]


def test_error_bodies_of_real_requests(client: TestClient) -> None:
    assert _get(client, "/api/sites?limit=0", status=422) == {
        "detail": "query.limit: must be at least 1",
        "errors": [{"field": "query.limit", "message": "must be at least 1"}],
    }
    assert _get(client, "/api/sites?limit=2001", status=422) == {
        "detail": "limit must be at most 2000"
    }
    assert _get(client, "/api/sites/offices:nope", status=404) == {
        "detail": "no site with id 'offices:nope'"
    }
    assert _get(client, "/api/layers/nope", status=404)["detail"].startswith("Unknown layer")
    long_id = _get(client, "/api/sites/" + "x" * 201, status=422)
    assert long_id["detail"] == "path.site_id: must be at most 200 characters"
    bad = client.post("/api/score", json={"geometry": {"type": "Point", "coordinates": "x"}})
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("body.geometry: geometry must be a GeoJSON Point")
    not_json = client.post("/api/score", content=b"{", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 422 and "is not valid JSON" in not_json.json()["detail"]


def test_api_max_limit_bounds_a_page(demo_settings: Settings) -> None:
    with TestClient(create_app(demo_settings.model_copy(update={"api_max_limit": 50}))) as small:
        assert len(_get(small, "/api/sites?limit=50")["features"]) == 50
        assert _get(small, "/api/sites?limit=51", status=422) == {
            "detail": "limit must be at most 50"
        }


def test_a_database_that_is_not_set_up_is_503(demo_settings: Settings) -> None:
    name = f"sitefinder_test_empty_{secrets.token_hex(4)}"
    admin = make_conninfo(demo_settings.database_url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        base, _, query = demo_settings.database_url.partition("?")
        url = base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")
        empty = demo_settings.model_copy(update={"database_url": url})
        with TestClient(create_app(empty)) as bare:
            body = _get(bare, "/api/health", status=503)
            assert body == {
                "detail": "the database is unavailable or not set up (sitefinder db init);"
                " try again in a few seconds"
            }
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


# ---------------------------------------------------------------------------------------------
# honest about missing data (docs/scoring.md section 3) and site data that agrees with itself


def test_top_twenty_are_solid_unless_surely_ahead(client: TestClient) -> None:
    """The default ranking on the demo: none of the top 20 has completeness below 0.6 unless
    its whole range lies above the next site's."""
    features = _get(client, "/api/sites?limit=21")["features"]
    assert len(features) == 21
    for this, following in itertools.pairwise(features):
        p, q = this["properties"], following["properties"]
        assert p["score_low"] <= p["score"] <= p["score_high"]
        assert p["score_high"] - p["score_low"] == pytest.approx(1 - p["completeness"], abs=2e-3)
        if p["completeness"] < 0.6:
            assert p["score_low"] > q["score_high"], (this["id"], following["id"])
        else:
            assert p["solid"] is True


def test_range_filters_and_rank_by(client: TestClient) -> None:
    # weights under which size (unknown for most holiday parks) is half the weight, so
    # that thinly known sites exist beside well known ones
    w = "weights=size:0.5,transit:0.3,daily_needs:0.2"
    everything = _get(client, f"/api/sites?limit=2000&{w}")
    solid = _get(client, f"/api/sites?limit=2000&min_completeness=0.6&{w}")
    assert 0 < solid["total"] < everything["total"]
    assert all(f["properties"]["completeness"] >= 0.6 for f in solid["features"])
    assert solid["min_completeness"] == 0.6 and solid["solid_completeness"] == 0.6
    # ranking by the point score lifts thinly known sites; the cautious ranking moves them down
    by_score = _get(client, f"/api/sites?limit=500&rank_by=score&{w}")["features"]
    thin = next(f for f in by_score if f["properties"]["completeness"] < 0.6)
    # a thinly known site ranks above the best solid one only when it surely beats it
    ranked = [f["properties"] for f in everything["features"]]
    best_solid = next(p for p in ranked if p["solid"])
    for p in ranked[: ranked.index(best_solid)]:
        assert p["score_low"] > best_solid["score_high"]
    # the detail ranks the same way as the list asked for
    detail = _get(client, f"/api/sites/{thin['id']}?rank_by=score&{w}")["properties"]
    assert detail["rank"] == thin["properties"]["rank"] and detail["rank_by"] == "score"
    cautious = _get(client, f"/api/sites/{thin['id']}?{w}")["properties"]
    assert cautious["rank"] > detail["rank"]
    assert cautious["score_low"] == pytest.approx(thin["properties"]["score_low"])


def test_offices_vacancy_filter_and_fields(client: TestClient) -> None:
    vacant = _get(client, "/api/sites?vacancy=leeg&limit=100")
    assert vacant["total"] == 4  # the four offices the example register lists
    for f in vacant["features"]:
        assert f["properties"]["kind"] == "kantoor" and f["properties"]["vacancy"] == "leeg"
        assert f["properties"]["vacant_since"] >= "2022-01-01"
    unknown = _get(client, "/api/sites?vacancy=onbekend&limit=100")["features"]
    assert unknown and {f["properties"]["vacancy"] for f in unknown} == {"onbekend"}
    both = _get(client, "/api/sites?vacancy=leeg,onbekend&kind=kantoor&limit=1")
    offices = _get(client, "/api/sites?kind=kantoor&limit=1")
    assert both["total"] == offices["total"]
    parks = _get(client, "/api/sites?kind=vakantiepark&limit=1")["features"][0]
    assert parks["properties"]["vacancy"] is None
    detail = _get(client, f"/api/sites/{vacant['features'][0]['id']}")["properties"]
    assert detail["props"]["leegstand_gemeente_m2"] == 284550  # Amsterdam 2013-2014: context


def test_places_are_one_number(client: TestClient) -> None:
    """A park's capacity is the places the score uses and the places the site shows."""
    parks = _get(client, "/api/sites?kind=vakantiepark&limit=2000")["features"]
    with_capacity = [f for f in parks if f["properties"]["places_source"] == "capacity"]
    assert len(with_capacity) > 100
    for f in with_capacity[:5]:
        detail = _get(client, f"/api/sites/{f['id']}")["properties"]
        size = next(b for b in detail["breakdown"] if b["criterion"] == "size")
        assert detail["places"] == size["facts"]["places"] == size["raw"]
        assert size["missing"] is False
        assert detail["places"] == detail["props"]["capacity"]
    unknown = next(f for f in parks if f["properties"]["places"] is None)
    assert unknown["properties"]["places_source"] is None
    assert "size" in unknown["properties"]["missing"]


def test_sites_too_small_are_excluded_with_the_reason(client: TestClient) -> None:
    for site_id in ("plots:84920232070000", "offices:0363010000964973"):  # 6 m², 1 m² floor
        detail = _get(client, f"/api/sites/{site_id}")["properties"]
        assert detail["excluded"] is True and detail["score"] is None
        assert [r["criterion"] for r in detail["reasons"]] == ["size"]
        size = next(b for b in detail["breakdown"] if b["criterion"] == "size")
        assert size["facts"] == {"places": 0, "min_places": 1}
    listed = {f["id"] for f in _get(client, "/api/sites?limit=2000")["features"]}
    assert "plots:84920232070000" not in listed
    kinds = {k["site_kind"]["code"]: k["site_kind"] for k in _get(client, "/api/layers")["layers"]
             if k["site_kind"]}  # fmt: skip
    assert {code: k["min_places"] for code, k in kinds.items()} == {
        "kantoor": 1,
        "kavel": 1,
        "vakantiepark": 1,
    }


def test_every_site_has_a_municipality_or_is_quarantined(
    client: TestClient, demo_settings: Settings
) -> None:
    with psycopg.connect(demo_settings.database_url) as conn:
        none = conn.execute(
            "SELECT count(*) FROM site s LEFT JOIN site_raw r ON r.site_id = s.id"
            " WHERE COALESCE(r.gemeentecode, s.gemeentecode) IS NULL"
        ).fetchone()
        outside = conn.execute(
            "SELECT source_ref, record -> 'props' -> 'location_check' FROM quarantine"
            " WHERE reason LIKE 'outside every Dutch municipality%%' ORDER BY source_ref"
        ).fetchall()
        flagged = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM site WHERE props ? 'location_check' ORDER BY id"
            ).fetchall()
        ]
    assert none == (0,)
    # the camping across the Belgian border and two points far out in the Veluwemeer
    assert [ref for ref, _ in outside] == [
        "osm:way/75720862",
        "osm:way/876141420",
        "osm:way/980137386",
    ]
    assert all(check["distance_m"] > 100 for _, check in outside)
    assert len(flagged) == 11  # in the water by the shore, or just across a generalised border
    for site_id in flagged:
        props = _get(client, f"/api/sites/{site_id}")["properties"]
        (check,) = props["checks"]
        assert check["code"] == "outside_gemeente" and check["distance_m"] <= 100
        assert props["gemeentecode"] == check["gemeentecode"]
    marina = _get(client, "/api/sites/holidayparks:osm:way/813665566")["properties"]
    assert marina["gemeentenaam"] == "Zeewolde" and marina["checks"][0]["distance_m"] == 9


def test_adhoc_score_says_what_is_unknown_and_what_to_fill_in(client: TestClient) -> None:
    point = {"type": "Point", "coordinates": [4.90, 52.37]}
    unknown = client.post("/api/score", json={"geometry": point}).json()["properties"]
    assert unknown["places"] is None and "size" in unknown["missing"]
    assert unknown["fill_in"] == ["places", "floor_area_m2"]
    assert unknown["score_low"] < unknown["score"] < unknown["score_high"]
    assert unknown["score_high"] - unknown["score_low"] == pytest.approx(
        1 - unknown["completeness"], abs=2e-3
    )
    given = client.post("/api/score", json={"geometry": point, "floor_area_m2": 610}).json()
    props = given["properties"]
    assert props["places"] == 24 and props["places_source"] == "estimate"  # 610 / 25 m²
    assert props["fill_in"] == [] and "size" not in props["missing"]
    assert props["completeness"] == pytest.approx(unknown["completeness"] + 0.10, abs=1e-3)
    assert (
        props["score_low"] >= unknown["score_low"] and props["score_high"] <= unknown["score_high"]
    )
    places = client.post("/api/score", json={"geometry": point, "places": 0}).json()["properties"]
    assert places["excluded"] is True and places["places_source"] == "given"
    assert [r["criterion"] for r in places["reasons"]] == ["size"]
