"""Owners' properties and offers through the API: save privately, edit, offer, withdraw, and
who sees what (the owner's contact is personal data); deleting an account deletes the owner's
personal data; finding a property by address (offline on the BAG, online through a fake PDOK
Locatieserver) and by an uploaded file (GeoJSON, GeoPackage, KML, zipped Shapefile, any CRS;
bad files get a clear 4xx)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import psycopg
import pytest
import shapely
from accounts_helpers import Account, act_as, csrf, login, make_accounts
from fakeservices import (
    FakeServices,
    fake_fixture,  # noqa: F401 - the fixture 'fake'
    fake_services_fixture,  # noqa: F401 - the fixture 'fake_services'
    mirrors,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient
from match_helpers import CANARIES, CONTACT, PLOT, app_fixtures, offer, property_body, write

from sitefinder.accounts import users
from sitefinder.accounts.passwords import generate_password
from sitefinder.accounts.roles import Grant
from sitefinder.api import create_app
from sitefinder.core import db
from sitefinder.core.settings import Settings

SEE = ("gemeente", "provincie", "coordinator", "coordinator_region")
NOT_SEE = ("anonymous", "other_owner", "provincie_other", "coordinator_other", "beheerder")


app, client = app_fixtures()


@pytest.fixture(scope="module")
def accounts(demo_copy: Settings) -> dict[str, Account]:
    made = make_accounts(demo_copy, prefix="offers-")
    password = generate_password()
    with db.connection(demo_copy) as conn:
        other = users.create_user(
            conn, "other-owner@test.example", password=password, grants=[Grant("eigenaar")]
        )
    made["other_owner"] = Account("other-owner@test.example", password, other)
    return made


def test_an_owner_saves_edits_offers_and_withdraws(
    client: TestClient, accounts: dict[str, Account]
) -> None:
    token = act_as(client, accounts, "eigenaar")
    saved = write(client, "POST", "/api/properties", token, property_body(places=None))
    assert saved["status"] == "saved" and saved["own"] is True
    assert (saved["gemeentecode"], saved["provinciecode"]) == ("GM0228", "PV25")
    assert saved["gemeentenaam"] == "Ede"
    assert 9_000 < saved["area_m2"] < 12_000  # about 100 x 100 m, measured in EPSG:28992
    pid = saved["id"]
    # a saved property is private: the gemeente of its place does not see it yet
    gemeente_token = act_as(client, accounts, "gemeente")
    assert client.get(f"/api/properties/{pid}").status_code == 404
    assert pid not in {p["id"] for p in client.get("/api/properties").json()["properties"]}
    # an offer needs places (or floor area)
    act_as(client, accounts, "eigenaar")
    token = csrf(client)
    refused = client.post(f"/api/properties/{pid}/offer", headers={"X-CSRF-Token": token})
    assert refused.status_code == 422 and "places" in refused.json()["detail"]
    edited = write(client, "PUT", f"/api/properties/{pid}", token, property_body(places=25))
    assert edited["places"] == 25
    offered = write(client, "POST", f"/api/properties/{pid}/offer", token)
    assert offered["status"] == "offered" and offered["offered_at"]
    # another owner cannot touch it: it does not exist for them
    other_token = act_as(client, accounts, "other_owner")
    for method, url, body in (
        ("PUT", f"/api/properties/{pid}", property_body()),
        ("POST", f"/api/properties/{pid}/withdraw", None),
        ("DELETE", f"/api/properties/{pid}", None),
    ):
        response = client.request(method, url, json=body, headers={"X-CSRF-Token": other_token})
        assert response.status_code == 404, (method, url, response.text)
    # the gemeente sees the offer now, with the contact the owner consented to give
    act_as(client, accounts, "gemeente")
    seen = client.get(f"/api/properties/{pid}").json()
    assert seen["own"] is False and seen["contact_email"] == CONTACT["contact_email"]
    assert gemeente_token
    # a gemeente cannot save a property
    token = act_as(client, accounts, "gemeente")
    response = client.post("/api/properties", json=property_body(), headers={"X-CSRF-Token": token})
    assert response.status_code == 403
    # withdrawn: private again
    token = act_as(client, accounts, "eigenaar")
    assert write(client, "POST", f"/api/properties/{pid}/withdraw", token)["status"] == "withdrawn"
    act_as(client, accounts, "gemeente")
    assert client.get(f"/api/properties/{pid}").status_code == 404


def test_without_consent_the_contact_stays_with_the_owner(
    client: TestClient, accounts: dict[str, Account]
) -> None:
    token = act_as(client, accounts, "eigenaar")
    made = offer(client, token, consent_contact=False, name="Zonder toestemming")
    assert made["contact_name"] == CONTACT["contact_name"]  # the owner sees their own
    for who in SEE:
        act_as(client, accounts, who)
        seen = client.get(f"/api/properties/{made['id']}").json()
        assert seen["name"] == "Zonder toestemming"
        assert (seen["contact_name"], seen["contact_email"], seen["contact_phone"]) == ("", "", "")


@pytest.fixture(scope="module")
def canary_offer(client: TestClient, accounts: dict[str, Account]) -> dict[str, object]:
    token = act_as(client, accounts, "eigenaar")
    return offer(client, token, name="Kanarie-aanbod")


def _read_paths(app: FastAPI, offer_id: int) -> list[str]:
    """Every GET route of the API with its parameters filled in for the canary offer."""
    from test_flag_scope import SAMPLES

    gets = {path for path, ops in app.openapi()["paths"].items() if "get" in ops}
    assert gets <= set(SAMPLES), sorted(gets - set(SAMPLES))
    urls = [url for path in sorted(gets) for url in SAMPLES[path]]
    return [*urls, f"/api/properties/{offer_id}"]


@pytest.mark.parametrize("who", NOT_SEE)
def test_no_read_path_shows_the_owners_contact_outside_scope(
    app: FastAPI,
    client: TestClient,
    accounts: dict[str, Account],
    canary_offer: dict[str, object],
    who: str,
) -> None:
    act_as(client, accounts, who)
    for url in _read_paths(app, int(str(canary_offer["id"]))):
        response = client.get(url, follow_redirects=False)
        assert response.status_code < 500, (who, url, response.text)
        for canary in CANARIES:
            assert canary.lower() not in response.text.lower(), (who, url)
        assert "Kanarie-aanbod" not in response.text, (who, url)


@pytest.mark.parametrize("who", SEE)
def test_the_offers_scope_sees_it(
    client: TestClient,
    accounts: dict[str, Account],
    canary_offer: dict[str, object],
    who: str,
) -> None:
    act_as(client, accounts, who)
    listed = client.get("/api/properties").json()["properties"]
    found = [p for p in listed if p["id"] == canary_offer["id"]]
    assert found and found[0]["contact_phone"] == CONTACT["contact_phone"]


def test_deleting_the_account_deletes_the_personal_data(
    demo_copy: Settings, client: TestClient
) -> None:
    password = generate_password()
    email = "weg-ermee@test.example"
    with db.connection(demo_copy) as conn:
        users.create_user(
            conn, email, name="Wegwezen 77ab", password=password, grants=[Grant("eigenaar")]
        )
    account = Account(email, password, 0)
    client.cookies.clear()
    token = login(client, account)
    secret = {
        "contact_name": "Wegwezen 77ab",
        "contact_email": "wegwezen77ab@prive.example",
        "contact_phone": "06-77ab77ab",
    }
    made = offer(client, token, name="Weg 77ab", **secret)
    response = client.delete("/api/account", headers={"X-CSRF-Token": token})
    assert response.status_code == 200, response.text
    assert client.get("/api/auth/me").json()["user"] is None  # the session ended
    # no table holds anything of it any more: the whole database is searched as text
    needles = [email, *secret.values(), "Weg 77ab"]
    with psycopg.connect(demo_copy.database_url) as conn:
        tables = conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
            " AND NOT c.relispartition"  # a partition's rows are its table's
        ).fetchall()
        for (table,) in tables:
            if table in ("site", "poi", "area", "site_raw", "quarantine", "spatial_ref_sys"):
                continue  # the open data
            for needle in needles:
                hit = conn.execute(
                    psycopg.sql.SQL("SELECT count(*) FROM {} t WHERE t::text ILIKE %s").format(
                        psycopg.sql.Identifier(table)
                    ),
                    (f"%{needle}%",),
                ).fetchone()
                assert hit == (0,), (table, needle)
        gone = conn.execute(
            "SELECT count(*) FROM owner_property WHERE id = %s", (made["id"],)
        ).fetchone()
        assert gone == (0,)
    # and the login is gone
    client.cookies.clear()
    response = client.post(
        "/api/auth/login",
        json={"email": email, "password": password},
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert response.status_code == 401


# --- finding a property ---


def test_address_search_offline_on_the_bag(client: TestClient) -> None:
    found = client.get("/api/geocode", params={"q": "1011 ab 105"}).json()["addresses"]
    assert found and all(a["postcode"] == "1011AB" and a["huisnummer"] == 105 for a in found)
    assert found[0]["label"].startswith("De Ruijterkade 105")
    assert abs(found[0]["lon"] - 4.905167) < 1e-4 and abs(found[0]["lat"] - 52.37778) < 1e-4
    assert found[0]["source"].startswith("BAG")
    exact = client.get("/api/geocode", params={"q": "1011AB 105-2"}).json()["addresses"]
    assert [a["suffix"] for a in exact] == ["2"]
    by_street = client.get("/api/geocode", params={"q": "de ruijterkade 105"}).json()
    assert by_street["addresses"][0]["postcode"] == "1011AB"
    assert client.get("/api/geocode", params={"q": "9999ZZ 1"}).json()["addresses"] == []
    assert client.get("/api/geocode", params={"q": "zomaar wat"}).json()["addresses"] == []


def test_address_search_online_through_the_locatieserver(
    demo_copy: Settings, fake: FakeServices, tmp_path: Path
) -> None:
    # no BAG files offline: the Locatieserver (the fake on 127.0.0.1) places the address
    empty = tmp_path / "data"
    (empty / "bag").mkdir(parents=True)
    online = demo_copy.model_copy(
        update={
            "geocoder": "pdok",
            "online_mirrors": mirrors(fake.url),
            "data_dir": empty,
            "cache_dir": tmp_path / "cache",
            "http_attempts": 1,
        }
    )
    with TestClient(create_app(online)) as client:
        found = client.get("/api/geocode", params={"q": "1011AB 105"}).json()["addresses"]
    assert len(found) == 1 and found[0]["source"] == "PDOK Locatieserver"
    assert abs(found[0]["lon"] - 4.905167) < 1e-4 and abs(found[0]["lat"] - 52.37778) < 1e-4
    assert any("locatieserver" in r.path for r in fake.log)


def _frame() -> gpd.GeoDataFrame:
    plot = shapely.geometry.shape(PLOT)
    return gpd.GeoDataFrame({"naam": ["perceel"]}, geometry=[plot], crs="EPSG:4326")


def _same(geometry: object) -> bool:
    """The plot as read: the same polygon (whatever its ring orientation), to 6 decimals."""
    read, plot = shapely.geometry.shape(geometry), shapely.geometry.shape(PLOT)
    return bool(read.symmetric_difference(plot).area < 5e-3 * plot.area)


def _upload(client: TestClient, filename: str, body: bytes) -> dict[str, object]:
    response = client.post(
        "/api/geometry/read",
        params={"filename": filename},
        content=body,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 200, (filename, response.text)
    answer: dict[str, object] = response.json()
    return answer


def _written(tmp_path: Path, frame: gpd.GeoDataFrame, name: str, driver: str) -> bytes:
    path = tmp_path / name
    frame.to_file(path, driver=driver)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("name", "driver", "crs"),
    [
        ("plot.geojson", "GeoJSON", "EPSG:4326"),
        ("plot.gpkg", "GPKG", "EPSG:28992"),
        ("plot.kml", "KML", "EPSG:4326"),
        ("plot.gpkg", "GPKG", "EPSG:3035"),  # ETRS89-LAEA: any CRS the file declares
    ],
)
def test_upload_reads_the_plot_in_any_crs(
    client: TestClient, tmp_path: Path, name: str, driver: str, crs: str
) -> None:
    body = _written(tmp_path, _frame().to_crs(crs), name, driver)
    answer = _upload(client, name, body)
    assert _same(answer["geometry"])
    assert 9_000 < float(str(answer["area_m2"])) < 12_000


def test_upload_reads_a_zipped_shapefile(client: TestClient, tmp_path: Path) -> None:
    folder = tmp_path / "shp"
    folder.mkdir()
    _frame().to_crs("EPSG:28992").to_file(folder / "perceel.shp")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in folder.iterdir():
            archive.write(part, part.name)
    answer = _upload(client, "perceel.zip", buffer.getvalue())
    assert _same(answer["geometry"])
    assert "28992" in str(answer["crs"])


@pytest.mark.parametrize(
    ("filename", "body", "message"),
    [
        ("plot.txt", b"hello", "upload a GeoJSON"),
        ("plot.geojson", b"{not json", "cannot read"),
        ("plot.geojson", b"", "empty"),
        ("plot.gpkg", b"SQLite format 3\x00garbage", "cannot read"),
        ("plot.zip", b"PK\x03\x04broken", "cannot read"),
        (
            "lines.geojson",
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {},
                            "geometry": {
                                "type": "LineString",
                                "coordinates": [[5.78, 52.06], [5.79, 52.07]],
                            },
                        }
                    ],
                }
            ).encode(),
            "no polygon",
        ),
        (
            "far.geojson",
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {},
                            "geometry": {"type": "Point", "coordinates": [13.4, 52.5]},
                        }
                    ],
                }
            ).encode(),
            "Netherlands",
        ),
    ],
)
def test_bad_files_get_a_clear_message(
    client: TestClient, filename: str, body: bytes, message: str
) -> None:
    response = client.post(
        "/api/geometry/read",
        params={"filename": filename},
        content=body,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]


def test_an_upload_over_the_limit_is_refused(client: TestClient) -> None:
    response = client.post(
        "/api/geometry/read",
        params={"filename": "big.geojson"},
        content=b" " * (5 * 1024 * 1024 + 1),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 413


def test_a_zip_bomb_is_refused_before_reading(client: TestClient) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("perceel.shp", b"\0" * (60 << 20))
    response = client.post(
        "/api/geometry/read",
        params={"filename": "bom.zip"},
        content=buffer.getvalue(),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 422 and "zip bomb" in response.json()["detail"]
