"""The contract holds for a logged-in user too (issue 9, finding 10; issue 10's write routes).

``tests/test_contract.py`` runs schemathesis anonymously: every write route then stops at its
login check. Here the same run goes as a user who may write everywhere, on a copy of the demo
(a module of its own: the copy is made from the shared demo database while no other module's
server holds connections to it).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from conftest import Server
from test_contract import _operations, _schemathesis

from sitefinder.accounts import users
from sitefinder.accounts.passwords import generate_password
from sitefinder.accounts.roles import Grant
from sitefinder.api import create_app
from sitefinder.core import db
from sitefinder.core.settings import Settings


@pytest.fixture(scope="module")
def admin_server(demo_copy: Settings) -> Iterator[Server]:
    """The app on a copy of the demo (its writes stay there), for a logged-in run."""
    with Server(create_app(demo_copy)) as running:
        yield running


def test_schemathesis_finds_nothing_logged_in(admin_server: Server, demo_copy: Settings) -> None:
    """The same run as a user who may write everywhere (beheerder, coordinator of the whole
    country, eigenaar, gemeente), with the session cookie and its CSRF token: every write
    route is exercised past its login check. Logging out, changing the password and deleting
    the account are left out: they would end the session the run depends on (covered in
    tests/test_accounts.py and tests/test_offers.py)."""
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
    # the session held: the routes only a logged-in user reaches answered more than 401/403
    # (the report lists those that did not: SSO, not configured here, and a few per scope)
    for reached in ("GET /api/users", "GET /api/audit", "POST /api/flags/bulk"):
        assert f"- {reached}\n" not in report, report
