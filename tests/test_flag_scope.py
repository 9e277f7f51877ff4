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
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from accounts_helpers import PROVINCE, Account, csrf, login, make_accounts
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sitefinder.api import create_app
from sitefinder.core.settings import PROJECT_ROOT, Settings

CONF_PARK = "holidayparks:osm:node/2300231065"  # de Lindehof, Ede (PV25)
PUBLIC_PARK = "holidayparks:osm:node/2952837963"  # De Midden Veluwe, Ede
TURNED_PUBLIC = "holidayparks:osm:node/2765355165"  # confidential first, then public
CANARIES = ("GEHEIM-notitie-7f3a", "geheim-label-7f3a", "GEHEIM-tweede-7f3a", "GEHEIM-oud-7f3a")
SEE = ("provincie", "coordinator", "coordinator_region")
NOT_SEE = ("anonymous", "eigenaar", "gemeente", "provincie_other", "coordinator_other", "beheerder")
EDE_BBOX = "5.55,51.95,5.95,52.2"

# Every GET route with the requests that read it (path parameters filled in).
SAMPLES: dict[str, list[str]] = {
    "/api/health": ["/api/health"],
    "/api/config": ["/api/config"],
    "/api/gemeenten": ["/api/gemeenten"],
    "/api/profiles": ["/api/profiles"],
    "/api/layers": ["/api/layers"],
    "/api/layers/{name}": [f"/api/layers/holidayparks?bbox={EDE_BBOX}&limit=20000"],
    "/api/sites": [
        "/api/sites?status=in_onderzoek",
        "/api/sites?status=kansrijk,in_onderzoek&include_excluded=true&limit=2000",
        "/api/sites?gemeente=GM0228&include_excluded=true&limit=2000",
        "/api/sites?status=niet_beoordeeld&gemeente=GM0228&include_excluded=true&limit=2000",
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


@pytest.fixture(scope="module")
def app(demo_copy: Settings) -> FastAPI:
    return create_app(demo_copy)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


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
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json()
    return response.text


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
        if isinstance(body, str):  # CSV exports: the site is not listed at all
            assert CONF_PARK not in body, (viewer, url)
            continue
        for seen in _about(body, CONF_PARK):
            assert seen.get("status") in (None, "niet_beoordeeld"), (viewer, url, seen)
            assert not seen.get("flag") and not seen.get("confidential"), (viewer, url, seen)
            assert seen.get("to_status") is None, (viewer, url, seen)  # no audit entry


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
    turned = client.get(f"/api/audit?site_id={TURNED_PUBLIC}").json()["entries"]
    assert [e["confidential"] for e in turned] == [True, True]  # was confidential before


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
