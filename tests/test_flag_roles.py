"""The role matrix: every write endpoint x every role (and not logged in) gives exactly the
status it should (200, 401 or 403), with a valid CSRF token; without one every write is
refused (403, or 401 when not logged in). And the audit trail cannot be changed: not through
the API (no route writes it) and not in the database (triggers refuse UPDATE, DELETE,
TRUNCATE, and a flag change that names no actor)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import psycopg
import pytest
from accounts_helpers import PARK, PROVINCE, ROLE_GRANTS, Account, csrf, login, make_accounts
from fastapi import FastAPI
from fastapi.testclient import TestClient
from match_helpers import app_fixtures

from sitefinder.accounts import users
from sitefinder.accounts.passwords import generate_password
from sitefinder.accounts.roles import Grant
from sitefinder.core import db
from sitefinder.core.settings import Settings

ANONYMOUS = "anonymous"
ROLES = [ANONYMOUS, *ROLE_GRANTS]
FLAGGERS = {"provincie", "coordinator", "coordinator_region"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _only(allowed: set[str]) -> dict[str, int]:
    return {r: 401 if r == ANONYMOUS else (200 if r in allowed else 403) for r in ROLES}


EVERYONE = dict.fromkeys(ROLES, 200)
LOGGED_IN = _only(set(ROLE_GRANTS))
ADMIN = _only({"beheerder"})
EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    # stores nothing: scoring a geometry is open to everyone, without a CSRF token
    ("POST", "/api/score"): EVERYONE,
    ("POST", "/api/auth/login"): EVERYONE,
    ("POST", "/api/auth/logout"): LOGGED_IN,
    ("POST", "/api/auth/password"): LOGGED_IN,
    ("PUT", "/api/flags/sites/{site_id}"): _only(FLAGGERS),
    ("POST", "/api/flags/bulk"): _only(FLAGGERS),
    ("POST", "/api/users/{user_id}/disable"): ADMIN,
    ("POST", "/api/users/{user_id}/enable"): ADMIN,
    ("POST", "/api/users/{user_id}/roles"): ADMIN,
    ("POST", "/api/users/{user_id}/roles/revoke"): ADMIN,
    # a region's need (fair share): coordinators covering the region (here Gelderland, PV25)
    ("PUT", "/api/fairshare/need"): _only({"coordinator", "coordinator_region"}),
    # matchmaking (issue 11)
    ("POST", "/api/geometry/read"): EVERYONE,  # reads an uploaded file, stores nothing
    ("POST", "/api/properties"): _only({"eigenaar"}),
    ("PUT", "/api/properties/{property_id}"): _only({"eigenaar"}),
    ("POST", "/api/properties/{property_id}/offer"): _only({"eigenaar"}),
    ("POST", "/api/properties/{property_id}/withdraw"): _only({"eigenaar"}),
    ("DELETE", "/api/properties/{property_id}"): _only({"eigenaar"}),
    ("POST", "/api/demands"): _only({"gemeente"}),
    ("POST", "/api/matches"): _only({"coordinator", "coordinator_region"}),
    ("POST", "/api/matches/{match_id}/status"): _only(
        {"eigenaar", "gemeente", "provincie", "coordinator", "coordinator_region"}
    ),
    ("POST", "/api/searches"): LOGGED_IN,
    ("DELETE", "/api/searches/{search_id}"): LOGGED_IN,
    ("POST", "/api/notifications/read"): LOGGED_IN,
    ("DELETE", "/api/account"): LOGGED_IN,  # each role deletes a fresh account of its own
}
NEEDS_NO_CSRF = {("POST", "/api/score"), ("POST", "/api/geometry/read")}


@pytest.fixture(scope="module")
def accounts(demo_copy: Settings) -> dict[str, Account]:
    return make_accounts(demo_copy)


@pytest.fixture(scope="module")
def victim(demo_copy: Settings) -> int:
    """The account the beheerder's writes act on."""
    with db.connection(demo_copy) as conn:
        return users.create_user(conn, "victim@test.example", grants=[Grant("eigenaar")])


@pytest.fixture(scope="module")
def matchmaking(demo_copy: Settings, accounts: dict[str, Account]) -> dict[str, Any]:
    """What the matchmaking writes act on: properties of the matrix's eigenaar (one to edit,
    one to delete, one offered), demands of its gemeente with a proposal each (one per cell
    that proposes or moves a match: each takes the next), a saved search per account."""
    from match_helpers import PLOT

    from sitefinder.accounts import matching, offers
    from sitefinder.api.adhoc import _transform, to_shape
    from sitefinder.api.geojson import PolygonIn
    from sitefinder.core.crs import RD, WGS84, transformer

    rd = _transform(to_shape(PolygonIn.model_validate(PLOT)), transformer(WGS84, RD))
    with db.connection(demo_copy) as conn:

        def viewer(role: str) -> Any:
            return users.viewer(conn, users.require_id(conn, accounts[role].id))

        owner = viewer("eigenaar")
        data = offers.PropertyData(geometry=rd, name="matrix", places=30, available_from=None)
        edit, gone, offered = (offers.save(conn, owner, data) for _ in range(3))
        conn.execute(
            "UPDATE owner_property SET status = 'offered', available_from = '2027-01-01'"
            " WHERE id = %s",
            (offered,),
        )
        criteria = matching.Criteria(
            profile="standaard",
            area=matching.territory(conn, "GM0228"),
            places=10,
            period_from=date(2027, 2, 1),
        )
        demands, proposals = [], []
        for _ in range(2 * len(ROLES)):
            demand = matching.create_demand(
                conn,
                viewer("gemeente"),
                title="matrix",
                criteria=criteria,
                area_kind="territory",
                radius_m=None,
                gemeentecode="GM0228",
            )
            demands.append(demand)
            proposals.append(
                matching.propose(
                    conn,
                    viewer("coordinator"),
                    demand,
                    property_id=offered,
                    site_id=None,
                    note="matrix",
                )
            )
        searches = {}
        for account in accounts.values():
            row = conn.execute(
                "INSERT INTO saved_search (user_id, name, criteria, feed_token_hash)"
                " VALUES (%s, 'matrix', '{\"profile\": \"standaard\"}', %s) RETURNING id",
                (account.id, generate_password().encode()),
            ).fetchone()
            assert row is not None
            searches[account.email] = row["id"]
    return {
        "edit": edit,
        "gone": gone,
        "demands": iter(demands),
        "proposals": iter(proposals),
        "searches": searches,
    }


app, client = app_fixtures()


Request = tuple[str, str, dict[str, Any] | None]


def _requests(
    victim: int, account: Account | None, made: dict[str, Any] | None = None
) -> dict[tuple[str, str], Callable[[], Request]]:
    """A valid request per write endpoint (the body a permitted user would send)."""
    login_as = account.email if account else "eigenaar@test.example"
    made = made or {"edit": 1, "gone": 1, "demands": iter([1]), "proposals": iter([1])}
    search = made.get("searches", {}).get(account.email if account else "", 1)

    def password_change() -> Request:
        new = generate_password()
        if account is None:  # not logged in: refused before the body is looked at
            return "POST", "/api/auth/password", {"current": "unknown", "new": new}
        body = {"current": account.password, "new": new}
        account.password = new  # from now on (the change succeeds for every logged-in role)
        return "POST", "/api/auth/password", body

    return {
        ("POST", "/api/score"): lambda: (
            "POST",
            "/api/score",
            {"geometry": {"type": "Point", "coordinates": [5.78, 52.06]}},
        ),
        ("POST", "/api/auth/login"): lambda: ("POST", "/api/auth/login", {"email": login_as}),
        ("POST", "/api/auth/logout"): lambda: ("POST", "/api/auth/logout", None),
        ("POST", "/api/auth/password"): password_change,
        ("PUT", "/api/flags/sites/{site_id}"): lambda: (
            "PUT",
            f"/api/flags/sites/{PARK}",
            {"status": "kansrijk", "note": "matrix", "tags": ["matrix"], "confidential": False},
        ),
        ("POST", "/api/flags/bulk"): lambda: (
            "POST",
            "/api/flags/bulk",
            {"site_ids": [PARK], "status": "kansrijk"},
        ),
        ("POST", "/api/users/{user_id}/disable"): lambda: (
            "POST",
            f"/api/users/{victim}/disable",
            None,
        ),
        ("POST", "/api/users/{user_id}/enable"): lambda: (
            "POST",
            f"/api/users/{victim}/enable",
            None,
        ),
        ("POST", "/api/users/{user_id}/roles"): lambda: (
            "POST",
            f"/api/users/{victim}/roles",
            {"role": "gemeente", "scope": "GM0228"},
        ),
        ("POST", "/api/users/{user_id}/roles/revoke"): lambda: (
            "POST",
            f"/api/users/{victim}/roles/revoke",
            {"role": "gemeente", "scope": "GM0228"},
        ),
        ("PUT", "/api/fairshare/need"): lambda: (
            "PUT",
            "/api/fairshare/need",
            {"kind": "provincie", "region": PROVINCE, "profile": "standaard", "need": 50},
        ),
        **_matchmaking_requests(made, search),
    }


def _matchmaking_requests(made: dict[str, Any], search: int) -> dict[tuple[str, str], Any]:
    from match_helpers import PLOT, demand_body, property_body

    plot = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {}, "geometry": PLOT}],
    }
    return {
        ("POST", "/api/geometry/read"): lambda: (
            "POST",
            "/api/geometry/read?filename=plot.geojson",
            plot,
        ),
        ("POST", "/api/properties"): lambda: ("POST", "/api/properties", property_body()),
        ("PUT", "/api/properties/{property_id}"): lambda: (
            "PUT",
            f"/api/properties/{made['edit']}",
            property_body(),
        ),
        ("POST", "/api/properties/{property_id}/offer"): lambda: (
            "POST",
            f"/api/properties/{made['edit']}/offer",
            None,
        ),
        ("POST", "/api/properties/{property_id}/withdraw"): lambda: (
            "POST",
            f"/api/properties/{made['edit']}/withdraw",
            None,
        ),
        ("DELETE", "/api/properties/{property_id}"): lambda: (
            "DELETE",
            f"/api/properties/{made['gone']}",
            None,
        ),
        ("POST", "/api/demands"): lambda: ("POST", "/api/demands", demand_body()),
        ("POST", "/api/matches"): lambda: (
            "POST",
            "/api/matches",
            {"demand_id": next(made["demands"]), "site_id": PARK, "note": "matrix"},
        ),
        ("POST", "/api/matches/{match_id}/status"): lambda: (
            "POST",
            f"/api/matches/{next(made['proposals'])}/status",
            {"status": "in_gesprek", "note": "matrix"},
        ),
        ("POST", "/api/searches"): lambda: (
            "POST",
            "/api/searches",
            {"name": "matrix", "profile": "standaard", "gemeentecode": "GM0228"},
        ),
        ("DELETE", "/api/searches/{search_id}"): lambda: (
            "DELETE",
            f"/api/searches/{search}",
            None,
        ),
        ("POST", "/api/notifications/read"): lambda: ("POST", "/api/notifications/read", {}),
        ("DELETE", "/api/account"): lambda: ("DELETE", "/api/account", None),
    }


def _routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the API serves, from its OpenAPI document."""
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }


def _write_routes(app: FastAPI) -> set[tuple[str, str]]:
    return {(method, path) for method, path in _routes(app) if method in WRITE_METHODS}


def test_every_write_endpoint_is_in_the_matrix(app: FastAPI) -> None:
    assert _write_routes(app) == set(EXPECTED), "add the new write endpoint to EXPECTED"


def _send(
    client: TestClient, role: str, accounts: dict[str, Account], request: Request, token: str
) -> tuple[int, str | None]:
    """Send one request; its status and the CSRF token of the session it leaves (if new)."""
    method, url, body = request
    if url == "/api/auth/login":
        account = accounts.get(role) or accounts["eigenaar"]
        body = {"email": account.email, "password": account.password}
    if url == "/api/account" and role in accounts:  # delete a fresh account of the role
        token = login(client, _fresh(accounts, role))
    response = client.request(method, url, json=body, headers={"X-CSRF-Token": token})
    answer = response.json() if response.headers.get("content-type") == "application/json" else {}
    return response.status_code, answer.get("csrf_token") if isinstance(answer, dict) else None


_SETTINGS: list[Settings] = []


def _fresh(accounts: dict[str, Account], role: str) -> Account:
    """A new account with the grants of ``role`` (the one DELETE /api/account deletes)."""
    password = generate_password()
    email = f"fresh-{role.replace('_', '-')}-{generate_password()[:6].lower()}@test.example"
    email = "".join(ch for ch in email if ch.isalnum() or ch in "@.-")
    with db.connection(_SETTINGS[0]) as conn:
        new = users.create_user(conn, email, password=password, grants=ROLE_GRANTS[role])
    return Account(email, password, new)


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(
    demo_copy: Settings,
    client: TestClient,
    accounts: dict[str, Account],
    victim: int,
    matchmaking: dict[str, Any],
    role: str,
) -> None:
    _SETTINGS[:] = [demo_copy]
    account = accounts.get(role)
    client.cookies.clear()
    token = login(client, account) if account else csrf(client)
    got, want = {}, {}
    for endpoint, make in _requests(victim, account, matchmaking).items():
        got[endpoint], renewed = _send(client, role, accounts, make(), token)
        want[endpoint] = EXPECTED[endpoint][role]
        if account is None:  # stay anonymous (a login cell logged the client in)
            client.cookies.clear()
            token = csrf(client)
        elif endpoint in (("POST", "/api/auth/logout"), ("DELETE", "/api/account")):
            client.cookies.clear()
            token = login(client, account)
        elif renewed and got[endpoint] == 200:
            token = renewed  # login and password change begin a new session
    assert got == want


@pytest.mark.parametrize("endpoint", sorted(set(EXPECTED) - NEEDS_NO_CSRF))
def test_every_write_needs_the_csrf_token(
    client: TestClient, accounts: dict[str, Account], victim: int, endpoint: tuple[str, str]
) -> None:
    role = "beheerder" if "/users/" in endpoint[1] else "provincie"
    for header in ({}, {"X-CSRF-Token": "wrong"}):
        client.cookies.clear()
        login(client, accounts[role])
        method, url, body = _requests(victim, None)[endpoint]()
        if url == "/api/auth/login":
            body = {"email": accounts[role].email, "password": accounts[role].password}
        if url == "/api/auth/password":
            body = {"current": accounts[role].password, "new": generate_password()}
        response = client.request(method, url, json=body, headers=header)
        assert response.status_code == 403, (endpoint, header, response.text)
        assert "CSRF" in response.json()["detail"]
    # not logged in: 401 first (login itself: 403, it is the one write before a session)
    client.cookies.clear()
    method, url, body = _requests(victim, None)[endpoint]()
    if url == "/api/auth/login":
        body = {"email": accounts[role].email, "password": accounts[role].password}
    response = client.request(method, url, json=body)
    assert response.status_code == (403 if url == "/api/auth/login" else 401)


def test_no_route_changes_the_audit_trail(app: FastAPI) -> None:
    audit_routes = [(method, path) for method, path in _routes(app) if "audit" in path]
    assert audit_routes and {m for m, _ in audit_routes} == {"GET"}


def test_the_audit_trail_is_append_only_in_the_database(
    demo_copy: Settings, client: TestClient, accounts: dict[str, Account]
) -> None:
    client.cookies.clear()
    token = login(client, accounts["provincie"])
    body = {"status": "kansrijk", "note": "voor de audit", "tags": [], "confidential": False}
    response = client.put(f"/api/flags/sites/{PARK}", json=body, headers={"X-CSRF-Token": token})
    assert response.status_code == 200, response.text
    with db.connection(demo_copy) as conn:
        before = conn.execute("SELECT count(*) AS n FROM flag_audit").fetchone()
        assert before is not None and before["n"] > 0
        for statement in (
            "UPDATE flag_audit SET note = 'changed'",
            "DELETE FROM flag_audit",
            "TRUNCATE flag_audit",
            "DELETE FROM site_flag",
            "TRUNCATE site_flag",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="not allowed"):
                conn.execute(statement)
        # a change must name its actor: the trigger refuses one that does not
        with pytest.raises(psycopg.errors.RaiseException, match="actor"):
            conn.execute("UPDATE site_flag SET note = 'stil' WHERE site_id = %s", (PARK,))
        after = conn.execute(
            "SELECT count(*) AS n, count(*) FILTER (WHERE note IN ('changed', 'stil')) AS changed"
            " FROM flag_audit"
        ).fetchone()
        assert after == {"n": before["n"], "changed": 0}
