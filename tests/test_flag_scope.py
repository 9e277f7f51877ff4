"""Confidentiality: a confidential flag, its note, tags and audit entries reach only the users
of its province and its coordinators, through every read path of the API; everyone else
(the public, an owner, another province, a gemeente, a beheerder) sees the site as
``niet_beoordeeld``: in lists, details, filters, counts, exports and error messages.

Every GET route of the OpenAPI document is visited (a new one without samples here fails
``test_every_read_path_is_visited``), and no module reads the flag tables other than through
the scope filter (``sitefinder.accounts.scope``).
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import openpyxl
import pyogrio
import pytest
from accounts_helpers import PROVINCE, Account, csrf, login, make_accounts
from fastapi import FastAPI
from fastapi.testclient import TestClient
from match_helpers import app_fixtures

from sitefinder.core.settings import PROJECT_ROOT, Settings

CONF_PARK = "holidayparks:osm:node/2300231065"  # de Lindehof, Ede (PV25)
CONF_PARK_LON, CONF_PARK_LAT = 5.778116, 52.107029  # where it lies (WGS84)
PUBLIC_PARK = "holidayparks:osm:node/2952837963"  # De Midden Veluwe, Ede
TURNED_PUBLIC = "holidayparks:osm:node/2765355165"  # confidential first, then public
CANARIES = ("GEHEIM-notitie-7f3a", "geheim-label-7f3a", "GEHEIM-tweede-7f3a", "GEHEIM-oud-7f3a")
SEE = ("provincie", "coordinator", "coordinator_region")
NOT_SEE = ("anonymous", "eigenaar", "gemeente", "provincie_other", "coordinator_other", "beheerder")
EDE_BBOX = "5.55,51.95,5.95,52.2"
EDE_TILE = "10/528/337"  # z/x/y of the tile over Ede that holds CONF_PARK
MVT = "application/vnd.mapbox-vector-tile"

# Every GET route with the requests that read it (path parameters filled in).
SAMPLES: dict[str, list[str]] = {
    "/api/health": ["/api/health"],
    "/api/config": ["/api/config"],
    "/api/gemeenten": ["/api/gemeenten"],
    "/api/profiles": ["/api/profiles"],
    "/api/layers": ["/api/layers"],
    "/api/layers/{name}": [f"/api/layers/holidayparks?bbox={EDE_BBOX}&limit=20000"],
    # the features at a point (an owner's click): at the confidential park, and a parcel
    "/api/layers/{name}/at": [
        f"/api/layers/holidayparks/at?lon={CONF_PARK_LON}&lat={CONF_PARK_LAT}&radius_m=100",
        "/api/layers/plots/at?lon=5.769164&lat=52.097308",
    ],
    "/api/sites": [
        "/api/sites?status=in_onderzoek",
        "/api/sites?status=kansrijk,in_onderzoek&include_excluded=true&limit=2000",
        "/api/sites?gemeente=GM0228&include_excluded=true&limit=2000",
        "/api/sites?status=niet_beoordeeld&gemeente=GM0228&include_excluded=true&limit=2000",
        # exports of the selection (sitefinder/api/siteexport.py): every format
        "/api/sites?f=csv&gemeente=GM0228&include_excluded=true",
        "/api/sites?f=geojson&status=in_onderzoek&include_excluded=true",
        f"/api/sites?f=gpkg&bbox={EDE_BBOX}&include_excluded=true",
        "/api/sites?f=xlsx&status=niet_beoordeeld&gemeente=GM0228&include_excluded=true",
    ],
    "/api/sites/{site_id}": [f"/api/sites/{CONF_PARK}", f"/api/sites/{TURNED_PUBLIC}"],
    "/api/auth/me": ["/api/auth/me"],
    "/api/auth/oidc/login": ["/api/auth/oidc/login"],
    "/api/auth/oidc/callback": ["/api/auth/oidc/callback?state=x&code=y"],
    "/api/users": ["/api/users"],
    "/api/flags/statuses": ["/api/flags/statuses"],
    "/api/flags/sites/{site_id}": [
        f"/api/flags/sites/{CONF_PARK}",
        f"/api/flags/sites/{TURNED_PUBLIC}",
        "/api/flags/sites/holidayparks:osm:node/0",
    ],
    "/api/flags": [
        "/api/flags",
        "/api/flags?status=in_onderzoek",
        f"/api/flags?provincie={PROVINCE}",
    ],
    "/api/flags.csv": ["/api/flags.csv", f"/api/flags.csv?provincie={PROVINCE}"],
    "/api/flags/provincies/{code}": [
        f"/api/flags/provincies/{PROVINCE}?kind=vakantiepark",
        f"/api/flags/provincies/{PROVINCE}",
    ],
    "/api/audit": [
        "/api/audit",
        f"/api/audit?site_id={CONF_PARK}",
        f"/api/audit?provincie={PROVINCE}",
    ],
    "/api/audit.csv": ["/api/audit.csv", f"/api/audit.csv?site_id={CONF_PARK}"],
    # issue 12: reports (HTML: a flag's status shows only to who may see it) and the map file
    "/api/sites/{site_id}/report": [f"/api/sites/{CONF_PARK}/report"],
    "/api/shortlist/report": [f"/api/shortlist/report?ids={CONF_PARK},{PUBLIC_PARK}"],
    "/api/shortlist/map": [f"/api/shortlist/map?ids={CONF_PARK},{PUBLIC_PARK}"],
    "/api/fairshare/regions": ["/api/fairshare/regions?kind=provincie"],
    "/api/fairshare": [
        "/api/fairshare?kind=centrumgemeente&region=GM0228&need=100&min_score=0",
        "/api/fairshare?kind=provincie&region=PV25&f=csv",
    ],
    # OGC API Features (routers/ogc.py): no flag data in any collection
    "/ogc": ["/ogc", "/ogc?f=html"],
    "/ogc/conformance": ["/ogc/conformance"],
    "/ogc/collections": ["/ogc/collections"],
    "/ogc/collections/{collectionId}": [
        "/ogc/collections/sites-standaard",
        "/ogc/collections/holidayparks",
    ],
    "/ogc/collections/{collectionId}/items": [
        f"/ogc/collections/sites-standaard/items?bbox={EDE_BBOX}&limit=2000",
        f"/ogc/collections/sites-begeleid_wonen/items?bbox={EDE_BBOX}&limit=2000",
        f"/ogc/collections/holidayparks/items?bbox={EDE_BBOX}&limit=2000",
    ],
    "/ogc/collections/{collectionId}/items/{featureId}": [
        f"/ogc/collections/sites-standaard/items/{CONF_PARK}",
        f"/ogc/collections/holidayparks/items/{CONF_PARK}",
        f"/ogc/collections/sites-standaard/items/{TURNED_PUBLIC}",
    ],
    # vector tiles (sitefinder.api.mvt) carry no flag data: decoded below, the confidential
    # park's feature has no status, flag, note or tag (EDE_TILE holds it)
    "/api/tiles/sites/{z}/{x}/{y}.mvt": [
        f"/api/tiles/sites/{EDE_TILE}.mvt",
        f"/api/tiles/sites/{EDE_TILE}.mvt?profile=statushouders",
    ],
    "/api/tiles/{layer}/{z}/{x}/{y}.mvt": [f"/api/tiles/holidayparks/{EDE_TILE}.mvt"],
    "/api/tiles/sites.json": ["/api/tiles/sites.json"],
    "/api/tiles/{layer}.json": ["/api/tiles/holidayparks.json"],
    # matchmaking (issue 11); the owners' personal data: tests/test_offers.py
    "/api/properties": ["/api/properties", "/api/properties?own=true"],
    "/api/properties/{property_id}": ["/api/properties/1"],
    "/api/demands": ["/api/demands"],
    "/api/demands/{demand_id}": ["/api/demands/1"],
    "/api/demands/{demand_id}/matches": ["/api/demands/1/matches"],
    "/api/matches": ["/api/matches"],
    "/api/matches/{match_id}/audit": ["/api/matches/1/audit"],
    "/api/searches": ["/api/searches"],
    "/api/notifications": ["/api/notifications"],
    "/api/geocode": ["/api/geocode?q=1011AB 105"],
    "/api/feeds/{token}": ["/api/feeds/" + "x" * 40],
}


app, client = app_fixtures()


@pytest.fixture(scope="module")
def accounts(demo_copy: Settings, client: TestClient) -> dict[str, Account]:
    """The accounts, after the province has flagged three parks (one confidential)."""
    made = make_accounts(demo_copy)
    token = login(client, made["provincie"])

    def put(site: str, status: str, note: str, tags: list[str], confidential: bool) -> None:
        body = {"status": status, "note": note, "tags": tags, "confidential": confidential}
        response = client.put(
            f"/api/flags/sites/{site}", json=body, headers={"X-CSRF-Token": token}
        )
        assert response.status_code == 200, response.text

    put(CONF_PARK, "kansrijk", CANARIES[0], [CANARIES[1]], True)
    put(CONF_PARK, "in_onderzoek", CANARIES[2], [CANARIES[1]], True)
    put(PUBLIC_PARK, "kansrijk", "openbare notitie", ["openbaar"], False)
    put(TURNED_PUBLIC, "kansrijk", CANARIES[3], [], True)
    put(TURNED_PUBLIC, "kansrijk", "nu openbaar", ["openbaar"], False)
    client.cookies.clear()
    return made


def _as(client: TestClient, accounts: dict[str, Account], viewer: str) -> None:
    client.cookies.clear()
    if viewer != "anonymous":
        login(client, accounts[viewer])


def _body(response: Any) -> Any:
    kind = response.headers.get("content-type", "")
    media = kind.split(";")[0]
    if media == "application/json" or media.endswith("+json"):  # and GeoJSON
        return response.json()
    if response.headers.get("content-type", "").startswith(MVT):  # features with properties
        return mapbox_vector_tile.decode(response.content) if response.content else {}
    if response.status_code == 200 and kind.startswith(tuple(SITE_EXPORTS)):
        return _export_rows(kind, response.content)
    return response.text


# the site exports' media types: read back as rows (each with the site's ``id``)
SITE_EXPORTS = (
    "application/geopackage+sqlite3",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


def _export_rows(kind: str, content: bytes) -> list[dict[str, Any]]:
    if kind.startswith(SITE_EXPORTS[0]):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "export.gpkg"  # GDAL warns about a GeoPackage without its name
            path.write_bytes(content)
            frame = pyogrio.read_dataframe(path, layer="sites", read_geometry=False)
        return [dict(r) for r in frame.astype(object).where(frame.notna(), None).to_dict("records")]
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True)["locaties"]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _site_csv(text: str) -> list[dict[str, Any]] | None:
    """A site export's CSV (header starting ``rank,id``) as rows, else None."""
    if not text.startswith("\ufeffrank,id,"):
        return None
    return list(csv.DictReader(io.StringIO(text[1:])))


def _about(found: Any, site: str) -> Iterator[dict[str, Any]]:
    """Every object in an answer that describes ``site`` (a feature's properties, a row)."""
    if isinstance(found, dict):
        if site in (found.get("site_id"), found.get("id")):
            yield found.get("properties", found) if "properties" in found else found
        for value in found.values():
            yield from _about(value, site)
    elif isinstance(found, list):
        for value in found:
            yield from _about(value, site)


def test_every_read_path_is_visited(app: FastAPI) -> None:
    gets = {path for path, ops in app.openapi()["paths"].items() if "get" in ops}
    assert gets <= set(SAMPLES), f"add samples for {sorted(gets - set(SAMPLES))}"


@pytest.mark.parametrize("viewer", NOT_SEE)
def test_no_read_path_shows_the_confidential_flag(
    client: TestClient, accounts: dict[str, Account], viewer: str
) -> None:
    _as(client, accounts, viewer)
    for url in (u for urls in SAMPLES.values() for u in urls):
        response = client.get(url, follow_redirects=False)
        assert response.status_code in (200, 302, 401, 403, 404), (url, response.text)
        text = response.text
        for canary in CANARIES:
            assert canary not in text and canary.lower() not in text.lower(), (viewer, url)
        body = _body(response)
        if response.headers.get("content-type", "").startswith("text/html"):  # a report
            assert "in_onderzoek" not in text, (viewer, url)  # the site, not its status
            continue
        if isinstance(body, str) and _site_csv(body) is not None:
            body = _site_csv(body)  # the site list as CSV: the site is listed, unflagged
        if isinstance(body, list):  # a site export read back: no canary in any cell either
            cells = json.dumps(body, default=str).lower()
            assert not any(canary.lower() in cells for canary in CANARIES), (viewer, url)
        if isinstance(body, str):  # CSV exports of flags: the site is not listed at all
            assert CONF_PARK not in body, (viewer, url)
            continue
        for seen in _about(body, CONF_PARK):
            assert seen.get("status") in (None, "niet_beoordeeld"), (viewer, url, seen)
            assert not seen.get("flag") and not seen.get("confidential"), (viewer, url, seen)
            assert not seen.get("tags"), (viewer, url, seen)
            assert seen.get("to_status") is None, (viewer, url, seen)  # no audit entry


def test_tiles_are_the_same_for_every_viewer(
    client: TestClient, accounts: dict[str, Account]
) -> None:
    """Tiles carry no flag data: the confidential park is in the tile, without any flag
    attribute, and its province sees the very same bytes as the public."""
    seen = {}
    for viewer in ("anonymous", "provincie"):
        _as(client, accounts, viewer)
        response = client.get(f"/api/tiles/sites/{EDE_TILE}.mvt")
        features = _body(response)["sites"]["features"]
        park = next(f["properties"] for f in features if f["properties"]["site_id"] == CONF_PARK)
        assert not {"status", "flag", "note", "tags", "confidential"} & set(park)
        seen[viewer] = response.content
    assert seen["anonymous"] == seen["provincie"]


@pytest.mark.parametrize("viewer", NOT_SEE)
def test_filters_and_counts_treat_it_as_not_assessed(
    client: TestClient, accounts: dict[str, Account], viewer: str
) -> None:
    _as(client, accounts, viewer)
    assert client.get("/api/sites?status=in_onderzoek&include_excluded=true").json()["total"] == 0
    listed = client.get(
        "/api/sites?status=niet_beoordeeld&gemeente=GM0228&include_excluded=true&limit=2000"
    ).json()
    assert CONF_PARK in {f["id"] for f in listed["features"]}
    assert PUBLIC_PARK not in {f["id"] for f in listed["features"]}
    view = client.get(f"/api/flags/provincies/{PROVINCE}?kind=vakantiepark").json()
    assert view["counts"]["in_onderzoek"] == 0
    assert view["counts"]["kansrijk"] == 2  # the public park and the one made public
    assert view["counts"]["niet_beoordeeld"] == view["total"] - 2
    flagged = client.get("/api/flags").json()
    assert {s["site_id"] for s in flagged["sites"]} == {PUBLIC_PARK, TURNED_PUBLIC}
    assert flagged["total"] == 2


@pytest.mark.parametrize("viewer", NOT_SEE)
def test_writes_outside_scope_tell_nothing(
    client: TestClient, accounts: dict[str, Account], viewer: str
) -> None:
    _as(client, accounts, viewer)
    token = (
        csrf(client) if viewer == "anonymous" else client.get("/api/auth/me").json()["csrf_token"]
    )
    headers = {"X-CSRF-Token": token}
    for method, url, body in (
        ("PUT", f"/api/flags/sites/{CONF_PARK}", {"status": "omgezet"}),
        ("POST", "/api/flags/bulk", {"site_ids": [CONF_PARK, PUBLIC_PARK], "status": "omgezet"}),
    ):
        response = client.request(method, url, json=body, headers=headers)
        assert response.status_code in (401, 403), (viewer, url, response.text)
        assert "in_onderzoek" not in response.text and "kansrijk" not in response.text


def test_the_gemeente_reads_only_the_public_audit_entries(
    client: TestClient, accounts: dict[str, Account]
) -> None:
    _as(client, accounts, "gemeente")
    entries = client.get("/api/audit").json()["entries"]
    assert {e["site_id"] for e in entries} == {PUBLIC_PARK}
    assert all(not e["confidential"] for e in entries)


@pytest.mark.parametrize("viewer", SEE)
def test_the_province_and_its_coordinators_see_it(
    client: TestClient, accounts: dict[str, Account], viewer: str
) -> None:
    _as(client, accounts, viewer)
    panel = client.get(f"/api/flags/sites/{CONF_PARK}").json()
    assert panel["status"] == "in_onderzoek" and panel["flag"]["note"] == CANARIES[2]
    assert panel["flag"]["confidential"] is True and panel["can_edit"] is True
    audit = client.get(f"/api/audit?site_id={CONF_PARK}").json()["entries"]
    assert [(e["from_status"], e["to_status"], e["note"]) for e in audit] == [
        (None, "kansrijk", CANARIES[0]),
        ("kansrijk", "in_onderzoek", CANARIES[2]),
    ]
    assert audit[0]["actor"] == accounts["provincie"].email
    assert CANARIES[2] in client.get(f"/api/flags.csv?provincie={PROVINCE}").text
    assert CANARIES[0] in client.get(f"/api/audit.csv?site_id={CONF_PARK}").text
    listed = client.get("/api/sites?status=in_onderzoek&include_excluded=true").json()
    assert [f["id"] for f in listed["features"]] == [CONF_PARK]
    assert listed["features"][0]["properties"]["flag"] == {
        "status": "in_onderzoek",
        "confidential": True,
        "tags": [CANARIES[1]],
    }
    view = client.get(f"/api/flags/provincies/{PROVINCE}?kind=vakantiepark").json()
    assert view["counts"]["in_onderzoek"] == 1 and view["counts"]["kansrijk"] == 2
    assert "in_onderzoek" in client.get(f"/api/sites/{CONF_PARK}/report").text
    turned = client.get(f"/api/audit?site_id={TURNED_PUBLIC}").json()["entries"]
    assert [e["confidential"] for e in turned] == [True, True]  # was confidential before


@pytest.mark.parametrize("viewer", (*SEE, *NOT_SEE))
def test_site_exports_show_the_flag_only_in_scope(
    client: TestClient, accounts: dict[str, Account], viewer: str
) -> None:
    _as(client, accounts, viewer)
    rows = _site_csv(client.get(f"/api/sites?f=csv&bbox={EDE_BBOX}&include_excluded=true").text)
    assert rows is not None
    by_id = {r["id"]: r for r in rows}
    assert by_id[PUBLIC_PARK]["status"] == "kansrijk" and by_id[PUBLIC_PARK]["tags"] == "openbaar"
    chosen = client.get("/api/sites?f=geojson&status=in_onderzoek&include_excluded=true").json()
    if viewer in SEE:
        assert by_id[CONF_PARK]["status"] == "in_onderzoek"
        assert by_id[CONF_PARK]["tags"] == CANARIES[1]
        assert [f["id"] for f in chosen["features"]] == [CONF_PARK]
    else:
        assert by_id[CONF_PARK]["status"] == "niet_beoordeeld" and by_id[CONF_PARK]["tags"] == ""
        assert chosen["features"] == [] and chosen["total"] == 0


# --- one mechanism: no module reads the flag tables except through the scope filter ---

FLAG_TABLES = re.compile(r"\b(site_flag|flag_audit)\b")
SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|FROM|JOIN)\b")
SCOPE_MODULE = Path("sitefinder/accounts/scope.py")
WRITE_MODULE = Path("sitefinder/accounts/flags.py")


def _sql_strings(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        text = node.value if isinstance(node, ast.Constant) else None
        if isinstance(text, str) and SQL_WORDS.search(text) and FLAG_TABLES.search(text):
            yield text


def test_only_the_scope_filter_reads_the_flag_tables() -> None:
    offenders = []
    for folder in ("sitefinder", "etl", "layers"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            relative = path.relative_to(PROJECT_ROOT)
            if "migrations" in relative.parts or relative == SCOPE_MODULE:
                continue
            for text in _sql_strings(path):
                # the write module: its upsert and the row lock of a change, nothing else
                if relative == WRITE_MODULE and (
                    "INSERT INTO site_flag" in text or "FOR UPDATE" in text
                ):
                    continue
                offenders.append((str(relative), " ".join(text.split())[:80]))
    assert not offenders, offenders
