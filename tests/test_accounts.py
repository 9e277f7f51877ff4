"""Accounts: Argon2 hashes and password strength, logins with rate limits (per account and per
address), the session cookie's attributes, idle sessions, passwords never in logs, answers or
the database, the `sitefinder user ...` commands and the demo accounts, and a database with
data at the revision before accounts that upgrades without loss."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from accounts_helpers import Account, csrf, login
from alembic import command
from conftest import Drops
from fakeservices import run_cli
from fastapi.testclient import TestClient
from test_criterion_plugin import _alembic

from sitefinder.accounts import passwords, users
from sitefinder.accounts.demo import DEMO_ACCOUNTS, create_demo_accounts
from sitefinder.accounts.flags import FlagChange, set_flag
from sitefinder.accounts.roles import Grant, parse_grant
from sitefinder.api import create_app
from sitefinder.core import db
from sitefinder.core.errors import InvalidParameterError, WeakPasswordError
from sitefinder.core.settings import Settings


@pytest.fixture(scope="module")
def limited(settings: Settings) -> Settings:
    """The module's database with small login limits (3 per account, 5 per address)."""
    return settings.model_copy(
        update={"login_max_failures_account": 3, "login_max_failures_address": 5}
    )


@pytest.fixture(scope="module")
def client(limited: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(limited)) as test_client:
        yield test_client


def _add(settings: Settings, email: str, *grants: Grant) -> str:
    password = passwords.generate_password()
    with db.connection(settings) as conn:
        users.create_user(conn, email, name="T", password=password, grants=grants)
    return password


def test_argon2id_hashes_and_strength() -> None:
    digest = passwords.hash_password("een lange zin als wachtwoord")
    assert digest.startswith("$argon2id$") and "lange" not in digest
    assert passwords.verify_password(digest, "een lange zin als wachtwoord")
    assert not passwords.verify_password(digest, "een lange zin als wachtwoorD")
    assert not passwords.verify_password(None, "anything at all")
    assert not passwords.verify_password("not-a-hash", "anything at all")
    for weak, why in (
        ("kort1!", "at least 12"),
        ("aaaaaaaaaaaaaaa", "different characters"),
        ("abababababababab", "different characters"),
        ("Wachtwoord2024!", "too common"),
        ("123456789012345", "too common"),
        ("jan.jansen-2026-x", "e-mail"),
    ):
        with pytest.raises(WeakPasswordError, match=why):
            passwords.check_strength(weak, email="jan.jansen@provincie.example", min_length=12)
    passwords.check_strength("paard-batterij-nietje", email="jan@x.example", min_length=12)
    made = passwords.generate_password()
    passwords.check_strength(made, min_length=12)
    assert len(made) == 23 and made != passwords.generate_password()


def test_grants_check_their_scope() -> None:
    assert parse_grant("provincie", "pv25") == Grant("provincie", "PV25")
    assert parse_grant("coordinator", "nl") == Grant("coordinator", "NL")
    for role, scope in (
        ("provincie", "GM0228"),
        ("gemeente", "PV25"),
        ("eigenaar", "GM0228"),
        ("coordinator", "GM0228"),
        ("koning", ""),
    ):
        with pytest.raises(InvalidParameterError):
            parse_grant(role, scope)


def test_login_sets_a_safe_cookie_and_me_shows_the_user(
    limited: Settings, client: TestClient
) -> None:
    password = _add(limited, "Cookie@Test.Example", Grant("provincie", "PV25"))
    client.cookies.clear()
    token = csrf(client)
    response = client.post(
        "/api/auth/login",
        json={"email": " cookie@test.example ", "password": password},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"]
    assert "sf_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http in the test; SITEFINDER_COOKIE_SECURE sets it
    me = client.get("/api/auth/me").json()
    assert me["user"]["email"] == "cookie@test.example"
    assert me["user"]["roles"] == [{"role": "provincie", "scope": "PV25"}]
    assert me["csrf_token"] == response.json()["csrf_token"] != token
    secure = limited.model_copy(update={"cookie_secure": True})
    with TestClient(create_app(secure), base_url="https://testserver") as https:
        answer = https.post(
            "/api/auth/login",
            json={"email": "cookie@test.example", "password": password},
            headers={"X-CSRF-Token": csrf(https)},
        )
        assert answer.status_code == 200 and "Secure" in answer.headers["set-cookie"]
    # logout ends the session on the server, not only the cookie
    stolen = client.cookies.get("sf_session")
    assert (
        client.post("/api/auth/logout", headers={"X-CSRF-Token": me["csrf_token"]}).status_code
        == 200
    )
    client.cookies.clear()
    client.cookies.set("sf_session", stolen or "")
    assert client.get("/api/auth/me").json()["user"] is None


def test_idle_and_disabled_sessions_end(limited: Settings, client: TestClient) -> None:
    password = _add(limited, "idle@test.example", Grant("eigenaar"))
    client.cookies.clear()
    login(client, Account("idle@test.example", password, 0))
    assert client.get("/api/auth/me").json()["user"] is not None
    with db.connection(limited) as conn:
        conn.execute(
            "UPDATE user_session SET last_seen_at = now() - interval '9 hours'"
            " WHERE user_id = (SELECT id FROM app_user WHERE email = 'idle@test.example')"
        )
    assert client.get("/api/auth/me").json()["user"] is None  # idle longer than 8 h
    client.cookies.clear()
    login(client, Account("idle@test.example", password, 0))
    with db.connection(limited) as conn:
        row = users.require(conn, "idle@test.example")
        users.set_disabled(conn, row["id"], True)
    assert client.get("/api/auth/me").json()["user"] is None


def test_login_rate_limits_per_account_and_per_address(
    limited: Settings, client: TestClient
) -> None:
    password = _add(limited, "limited@test.example", Grant("eigenaar"))
    client.cookies.clear()
    token = csrf(client)

    def attempt(email: str, pw: str) -> tuple[int, dict[str, str], str]:
        r = client.post(
            "/api/auth/login",
            json={"email": email, "password": pw},
            headers={"X-CSRF-Token": token},
        )
        return r.status_code, dict(r.headers), r.json()["detail"] if r.status_code != 200 else ""

    wrong = [attempt("limited@test.example", "wrong-password-1") for _ in range(3)]
    assert [w[0] for w in wrong] == [401, 401, 401]
    assert {w[2] for w in wrong} == {"e-mail address or password is wrong"}
    # the account is locked now, even with the right password; no hint whether it exists
    status, headers, detail = attempt("limited@test.example", password)
    assert status == 429 and int(headers["retry-after"]) > 0 and "too many" in detail
    assert attempt("nobody@test.example", "wrong-password-1")[2] == wrong[0][2]
    # per address: two more failures (5 in all from this address) lock every account here
    attempt("nobody@test.example", "wrong-password-2")
    other = _add(limited, "other@test.example", Grant("eigenaar"))
    assert attempt("other@test.example", other)[0] == 429
    with db.connection(limited) as conn:  # the window passes
        conn.execute("UPDATE login_attempt SET at = at - interval '16 minutes'")
    assert attempt("other@test.example", other)[0] == 200


def test_passwords_never_reach_logs_answers_or_the_database(
    limited: Settings, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    password = _add(limited, "secret@test.example", Grant("eigenaar"))
    caplog.set_level(logging.DEBUG)
    client.cookies.clear()
    token = csrf(client)
    answers = [
        client.post(
            "/api/auth/login",
            json={"email": "secret@test.example", "password": password},
            headers={"X-CSRF-Token": token},
        ),
    ]
    session_csrf = answers[0].json()["csrf_token"]
    new = passwords.generate_password()
    answers += [
        client.post(
            "/api/auth/password",
            json={"current": password, "new": "kort"},
            headers={"X-CSRF-Token": session_csrf},
        ),
        client.post(
            "/api/auth/password",
            json={"current": password, "new": new},
            headers={"X-CSRF-Token": session_csrf},
        ),
        client.post(
            "/api/auth/login",
            json={"email": "secret@test.example", "password": new + "x"},
            headers={"X-CSRF-Token": token},
        ),
        client.post(
            "/api/auth/login",
            json={"email": "secret@test.example", "pasword": new},
            headers={"X-CSRF-Token": token},
        ),
    ]
    assert [a.status_code for a in answers] == [200, 422, 200, 401, 422]
    for secret in (password, new, "kort"):
        assert secret not in caplog.text
        for answer in answers:
            assert secret not in answer.text and secret not in str(answer.headers)
    with db.connection(limited) as conn:
        rows = conn.execute("SELECT * FROM app_user").fetchall()
        sessions = conn.execute("SELECT * FROM user_session").fetchall()
    assert password not in str(rows) and new not in str(rows)
    assert all(str(client.cookies.get("sf_session")) not in str(s) for s in sessions)


def _shown_password(output: str) -> str:
    return next(line for line in output.splitlines() if "password for" in line).split()[-1]


def test_user_commands(limited: Settings) -> None:
    added = run_cli(
        limited,
        "user",
        "add",
        "Cli@Test.Example",
        "--role",
        "gemeente",
        "--scope",
        "GM0228",
        "--scope",
        "GM0363",
        "--name",
        "Cli",
    )
    assert added.exit_code == 0, added.output
    assert added.output.count("password for") == 1  # shown once
    password = _shown_password(added.output)
    with db.connection(limited) as conn:
        row = users.require(conn, "cli@test.example")
        assert users.grants_of(conn, row["id"]) == {
            Grant("gemeente", "GM0228"),
            Grant("gemeente", "GM0363"),
        }
        assert passwords.verify_password(row["password_hash"], password)
    listed = run_cli(limited, "user", "list")
    assert "cli@test.example" in listed.output and "gemeente GM0228" in listed.output
    assert password not in listed.output
    assert (
        run_cli(limited, "user", "grant", "cli@test.example", "--role", "beheerder").exit_code == 0
    )
    assert (
        run_cli(
            limited, "user", "revoke", "cli@test.example", "--role", "gemeente", "--scope", "GM0363"
        ).exit_code
        == 0
    )
    bad = run_cli(
        limited, "user", "grant", "cli@test.example", "--role", "provincie", "--scope", "GM0228"
    )
    assert bad.exit_code != 0 and "PV25" in bad.output
    reset = run_cli(limited, "user", "reset", "cli@test.example")
    new = _shown_password(reset.output)
    assert new != password
    assert run_cli(limited, "user", "disable", "cli@test.example").exit_code == 0
    with db.connection(limited) as conn:
        row = users.require(conn, "cli@test.example")
        assert row["disabled"] and passwords.verify_password(row["password_hash"], new)
        assert users.grants_of(conn, row["id"]) == {Grant("gemeente", "GM0228"), Grant("beheerder")}
    assert run_cli(limited, "user", "enable", "cli@test.example").exit_code == 0
    twice = run_cli(limited, "user", "add", "cli@test.example")
    assert twice.exit_code == 2 and "exists already" in twice.output
    unknown = run_cli(limited, "user", "reset", "nobody@test.example")
    assert unknown.exit_code == 2 and "no account" in unknown.output


def test_demo_accounts_one_per_role_passwords_once(limited: Settings) -> None:
    with db.connection(limited) as conn:
        first = create_demo_accounts(conn)
        again = create_demo_accounts(conn)
        roles = {g.role for _, _, grants in DEMO_ACCOUNTS for g in grants}
        assert roles == {"eigenaar", "gemeente", "provincie", "coordinator", "beheerder"}
        assert all(password for _, _, password in first)
        assert [password for _, _, password in again] == [None] * len(DEMO_ACCOUNTS)
        for email, _, password in first:
            row = users.require(conn, email)
            assert password and passwords.verify_password(row["password_hash"], password)


# --- migrations: a database with data before the accounts upgrades without loss ---


@pytest.fixture
def old_database(settings: Settings, drops: Drops) -> Iterator[Settings]:
    name = settings.database_url.rsplit("/", 1)[1].partition("?")[0] + "_before_accounts"
    old = settings.model_copy(
        update={"database_url": settings.database_url.rsplit("/", 1)[0] + "/" + name}
    )
    db.ensure_database(old)
    try:
        command.upgrade(_alembic(old), "0006")
        yield old
    finally:
        drops.drop(old)  # in the background (conftest.Drops)


def _contents(settings: Settings) -> dict[str, list[dict[str, object]]]:
    with db.connection(settings) as conn:
        return {
            table: [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()]
            for table in ("etl_run", "site", "site_raw", "area")
        }


def _kept(after: dict[str, list[dict[str, object]]], before: dict[str, list[dict[str, object]]]):
    """``after`` limited to the columns ``before`` had: a later migration may add a column (e.g.
    0008's partition_key); what was there must be unchanged."""
    return {
        table: [{k: row[k] for k in (before[table][0] if before[table] else row)} for row in rows]
        for table, rows in after.items()
    }


def test_a_database_with_data_upgrades_to_accounts_without_loss(old_database: Settings) -> None:
    with db.connection(old_database) as conn:
        conn.execute(
            "INSERT INTO etl_run (layer, source, uri, publisher, licence, status, started_at)"
            " VALUES ('holidayparks', 'osm', 'file', 'OSM', 'ODbL', 'ok', now())"
        )
        conn.execute(
            "INSERT INTO site (id, layer, name, source, source_ref, geom, kind, gemeentecode)"
            " VALUES ('holidayparks:1', 'holidayparks', 'Park', 'osm', '1',"
            " ST_SetSRID(ST_MakePoint(180000, 450000), 28992), 'vakantiepark', 'GM0228')"
        )
        conn.execute(
            "INSERT INTO area (id, layer, name, source, source_ref, geom, code) VALUES"
            " ('provincies:PV25', 'provincies', 'Gelderland', 'cbs', 'PV25', ST_Multi("
            "ST_Buffer(ST_SetSRID(ST_MakePoint(180000, 450000), 28992), 5000)), 'PV25')"
        )
        conn.execute(
            "INSERT INTO site_raw (site_id, computed_at, gemeentecode)"
            " VALUES ('holidayparks:1', now(), 'GM0228')"
        )
    before = _contents(old_database)
    command.upgrade(_alembic(old_database), "head")
    assert _kept(_contents(old_database), before) == before
    with db.connection(old_database) as conn:
        user_id = users.create_user(conn, "na@test.example", grants=[Grant("provincie", "PV25")])
        viewer = users.viewer(conn, users.require_id(conn, user_id))
    with db.connection(old_database) as conn:
        flag = set_flag(conn, viewer, "holidayparks:1", FlagChange("kansrijk", "n", (), True))
        assert flag["provinciecode"] == "PV25" and flag["status"] == "kansrijk"
    # down to before the accounts (their tables go, the data stays) and up again
    command.downgrade(_alembic(old_database), "0006")
    assert _contents(old_database) == before
    command.upgrade(_alembic(old_database), "head")
    assert _kept(_contents(old_database), before) == before
