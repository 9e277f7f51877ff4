"""Single sign-on (OpenID Connect through Authlib) against a real provider on 127.0.0.1
(tests/fake_oidc.py): a user with an account signs in and is linked to the provider's
subject; a user without one, a wrong nonce, audience or signature, a replayed or foreign
callback are refused, and none of them gets a session."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from fake_oidc import Provider, running_provider
from fastapi.testclient import TestClient
from pydantic import SecretStr

from sitefinder.accounts import users
from sitefinder.accounts.roles import Grant
from sitefinder.api import create_app
from sitefinder.core import db
from sitefinder.core.settings import Settings


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider(Provider()) as running:
        yield running


@pytest.fixture(scope="module")
def client(settings: Settings, provider: Provider) -> Iterator[TestClient]:
    sso = settings.model_copy(
        update={
            "oidc_issuer": provider.issuer,
            "oidc_client_id": provider.client_id,
            "oidc_client_secret": SecretStr(provider.client_secret),
            "oidc_title": "Provincie-SSO",
        }
    )
    with db.connection(settings) as conn:
        users.create_user(conn, "sso@provincie.example", grants=[Grant("provincie", "PV25")])
    with TestClient(create_app(sso)) as test_client:
        yield test_client


def _sign_in(client: TestClient) -> tuple[str, str]:
    """Start at our login URL, let the provider answer, and return our callback's redirect
    target and the callback URL (path and query) that was used."""
    started = client.get("/api/auth/oidc/login", follow_redirects=False)
    assert started.status_code == 302, started.text
    assert "sf_oidc=" in started.headers["set-cookie"]
    at_provider = httpx.get(started.headers["location"], follow_redirects=False)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["location"])
    assert back.path == "/api/auth/oidc/callback"
    callback = f"{back.path}?{back.query}"
    done = client.get(callback, follow_redirects=False)
    assert done.status_code == 302
    return done.headers["location"], callback


def test_me_offers_single_sign_on(client: TestClient) -> None:
    sso = client.get("/api/auth/me").json()["sso"]
    assert sso == {
        "enabled": True,
        "title": "Provincie-SSO",
        "login_url": "http://testserver/api/auth/oidc/login",
    }


def test_a_user_with_an_account_signs_in_and_is_linked(
    client: TestClient, provider: Provider, settings: Settings
) -> None:
    client.cookies.clear()
    provider.user = {"sub": "p-123", "email": "SSO@provincie.example", "email_verified": True}
    target, _ = _sign_in(client)
    assert target == "/"
    me = client.get("/api/auth/me").json()
    assert me["user"]["email"] == "sso@provincie.example"
    assert me["user"]["roles"] == [{"role": "provincie", "scope": "PV25"}]
    with db.connection(settings) as conn:
        row = users.require(conn, "sso@provincie.example")
        assert (row["oidc_issuer"], row["oidc_subject"]) == (provider.issuer, "p-123")
        method = conn.execute(
            "SELECT method FROM user_session WHERE user_id = %s", (row["id"],)
        ).fetchone()
        assert method == {"method": "oidc"}
    # the next time the subject alone is enough, whatever e-mail the provider sends
    client.cookies.clear()
    provider.user = {"sub": "p-123", "email": "changed@elsewhere.example"}
    assert _sign_in(client)[0] == "/"
    assert client.get("/api/auth/me").json()["user"]["email"] == "sso@provincie.example"


@pytest.mark.parametrize(
    ("user", "tamper"),
    [
        ({"sub": "x-1", "email": "nobody@provincie.example", "email_verified": True}, ""),
        ({"sub": "x-2", "email": "sso-unverified@provincie.example", "email_verified": False}, ""),
        ({"sub": "p-123"}, "nonce"),
        ({"sub": "p-123"}, "audience"),
        ({"sub": "p-123"}, "key"),
    ],
    ids=["no-account", "unverified-email", "wrong-nonce", "wrong-audience", "wrong-key"],
)
def test_refused_sign_ins_get_no_session(
    client: TestClient, provider: Provider, settings: Settings, user: dict[str, object], tamper: str
) -> None:
    with db.connection(settings) as conn:
        if users.find(conn, "sso-unverified@provincie.example") is None:
            users.create_user(conn, "sso-unverified@provincie.example", grants=[Grant("eigenaar")])
    client.cookies.clear()
    provider.user, provider.tamper = user, tamper
    try:
        target, _ = _sign_in(client)
    finally:
        provider.tamper = ""
    assert target == "/?sso=failed"
    assert client.get("/api/auth/me").json()["user"] is None


def test_a_callback_cannot_be_replayed_or_used_by_another_browser(
    client: TestClient, provider: Provider
) -> None:
    client.cookies.clear()
    provider.user = {"sub": "p-123"}
    started = client.get("/api/auth/oidc/login", follow_redirects=False)
    at_provider = httpx.get(started.headers["location"], follow_redirects=False)
    back = urlsplit(at_provider.headers["location"])
    callback = f"{back.path}?{back.query}"
    # another browser (without this one's sf_oidc cookie) brings the code: refused
    cookies = dict(client.cookies)
    client.cookies.clear()
    assert client.get(callback, follow_redirects=False).headers["location"] == "/?sso=failed"
    for name, value in cookies.items():
        client.cookies.set(name, value)
    assert client.get(callback, follow_redirects=False).headers["location"] == "/"
    # the same callback again: the state was used up
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, value)
    assert client.get(callback, follow_redirects=False).headers["location"] == "/?sso=failed"
