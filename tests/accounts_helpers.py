"""Accounts for tests: one user per role on a database, and logging in through the real API.

Test modules import these with ``from accounts_helpers import ...``. Passwords are generated
per run (never written anywhere); the returned mapping is the only place they live.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from sitefinder.accounts import users
from sitefinder.accounts.passwords import generate_password
from sitefinder.accounts.roles import Grant
from sitefinder.core import db
from sitefinder.core.settings import Settings

# An Ede holiday park (PV25 Gelderland, GM0228) and another in Ede, from the demo data.
PARK = "holidayparks:osm:node/26859329"
OTHER_PARK = "holidayparks:osm:node/2300231064"
PROVINCE = "PV25"
GEMEENTE = "GM0228"

# The roles of the matrix: name -> grants (anonymous: not logged in).
ROLE_GRANTS: dict[str, tuple[Grant, ...]] = {
    "eigenaar": (Grant("eigenaar"),),
    "gemeente": (Grant("gemeente", GEMEENTE),),
    "provincie": (Grant("provincie", PROVINCE),),
    "provincie_other": (Grant("provincie", "PV27"),),
    "coordinator": (Grant("coordinator", "NL"),),
    "coordinator_region": (Grant("coordinator", PROVINCE),),
    "coordinator_other": (Grant("coordinator", "PV27"),),
    "beheerder": (Grant("beheerder"),),
}


@dataclass
class Account:
    email: str
    password: str
    id: int


def make_accounts(settings: Settings, prefix: str = "") -> dict[str, Account]:
    """One account per role of ``ROLE_GRANTS`` (e-mail ``<prefix><role>@test.example``)."""
    made = {}
    with db.connection(settings) as conn:
        for role, grants in ROLE_GRANTS.items():
            email = f"{prefix}{role.replace('_', '-')}@test.example"
            password = generate_password()
            user_id = users.create_user(conn, email, name=role, password=password, grants=grants)
            made[role] = Account(email, password, user_id)
    return made


def csrf(client: TestClient) -> str:
    response = client.get("/api/auth/me")
    assert response.status_code == 200, response.text
    token: str = response.json()["csrf_token"]
    return token


def login(client: TestClient, account: Account) -> str:
    """Log ``client`` in (it keeps the cookie); the session's CSRF token."""
    response = client.post(
        "/api/auth/login",
        json={"email": account.email, "password": account.password},
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["csrf_token"]
    return token


def act_as(client: TestClient, accounts: dict[str, Account], who: str) -> str:
    """Make ``client`` the account of role ``who`` (``anonymous``: nobody); its CSRF token."""
    client.cookies.clear()
    return csrf(client) if who == "anonymous" else login(client, accounts[who])
