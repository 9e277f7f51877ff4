"""The OpenAPI contract is what the API does (issue 9, finding 10).

schemathesis runs every check it has (``--checks all``: server errors, status codes, content
types, headers, response schemas, schema-valid requests accepted, schema-violating requests
rejected, unsupported methods ...) over every operation of the running app on the demo region,
with a bounded number of examples and a fixed seed; it must find nothing. ``schemathesis.toml``
(the repository's root) holds the one exception, for the geometry rules no JSON Schema keyword
can state. One worker: CPython 3.11's ``ast.parse`` is not safe in threads, and hypothesis
parses sources while it generates.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Server

from sitefinder.accounts import users
from sitefinder.accounts.passwords import generate_password
from sitefinder.accounts.roles import Grant
from sitefinder.api import create_app
from sitefinder.core import db
from sitefinder.core.settings import PROJECT_ROOT, Settings

MAX_EXAMPLES = 5
SEED = 20261201


@pytest.fixture(scope="module")
def server(demo_settings: Settings) -> Iterator[Server]:
    with Server(create_app(demo_settings)) as running:
        yield running


def _operations(url: str) -> int:
    document: dict[str, Any] = httpx.get(f"{url}/openapi.json").json()
    return sum(len(operations) for operations in document["paths"].values())


def _schemathesis(url: str, *extra: str) -> str:
    """Run schemathesis over every operation of the server at ``url``; its report's end."""
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--no-color",
        *extra,
    ]
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    report = done.stdout[-6000:]
    assert done.returncode == 0, report
    assert "No issues found" in report, report
    return report


def test_schemathesis_finds_nothing(server: Server) -> None:
    n = _operations(server.url)
    report = _schemathesis(server.url)
    assert f"Selected: {n}/{n}" in report and f"Tested: {n}" in report, report


@pytest.fixture(scope="module")
def admin_server(demo_copy: Settings) -> Iterator[Server]:
    """The app on a copy of the demo (its writes stay there), for a logged-in run."""
    with Server(create_app(demo_copy)) as running:
        yield running


def test_schemathesis_finds_nothing_logged_in(admin_server: Server, demo_copy: Settings) -> None:
    """The same run as a user who may write everywhere (beheerder, coordinator of the whole
    country, eigenaar, gemeente), with the session cookie and its CSRF token: every write
    route is exercised past its login check. Logging out and changing the password are left
    out: they would end the session the run depends on (both are covered in
    tests/test_accounts.py), and so would deleting the account (tests/test_offers.py)."""
    password = generate_password()
    grants = [Grant("beheerder"), Grant("coordinator", "NL")]
    grants += [Grant("eigenaar"), Grant("gemeente", "GM0228")]  # matchmaking's writes too
    with db.connection(demo_copy) as conn:
        users.create_user(conn, "fuzz@test.example", name="fuzz", password=password, grants=grants)
    with httpx.Client(base_url=admin_server.url) as client:
        token = client.get("/api/auth/me").json()["csrf_token"]
        answer = client.post(
            "/api/auth/login",
            json={"email": "fuzz@test.example", "password": password},
            headers={"X-CSRF-Token": token},
        )
        assert answer.status_code == 200, answer.text
        cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        session_token = answer.json()["csrf_token"]
    n = _operations(admin_server.url)
    report = _schemathesis(
        admin_server.url,
        "-H",
        f"Cookie: {cookies}",
        "-H",
        f"X-CSRF-Token: {session_token}",
        "--exclude-path",
        "/api/auth/logout",
        "--exclude-path",
        "/api/auth/password",
        "--exclude-path",
        "/api/account",  # deleting the account would end the run's session too
    )
    assert f"Tested: {n - 3}" in report, report
    assert "Authentication failed" not in report, report


def test_the_document_states_the_limits(server: Server) -> None:
    document: dict[str, Any] = httpx.get(f"{server.url}/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"500", "503"} <= set(responses), (path, method)
            assert "Retry-After" in responses["503"]["headers"], (path, method)
            if "requestBody" in operation:
                assert "413" in responses and operation["x-body-limit-bytes"] > 0
    sites = {p["name"]: p["schema"] for p in document["paths"]["/api/sites"]["get"]["parameters"]}
    assert sites["limit"]["maximum"] == 2000
    string_of = {
        name: next(o for o in schema.get("anyOf", [schema]) if o.get("type") == "string")
        for name, schema in sites.items()
        if name in ("weights", "bbox", "gemeente")
    }
    assert "transit" in string_of["weights"]["pattern"]
    assert string_of["gemeente"]["pattern"] == "^(?:[Gg][Mm][0-9]{4})?$"
    assert string_of["bbox"]["pattern"].startswith("^(?:-?[0-9]{1,3}")
    point = document["components"]["schemas"]["PointIn"]["properties"]["coordinates"]
    lon, lat = point["prefixItems"]
    assert (lon["minimum"], lon["maximum"], lat["minimum"], lat["maximum"]) == (
        3.2,
        7.3,
        50.7,
        53.7,
    )
    assert lon["type"] == "number"  # never a string
    ring = document["components"]["schemas"]["PolygonIn"]["properties"]["coordinates"]["items"]
    assert (ring["minItems"], ring["maxItems"]) == (4, 5000)
