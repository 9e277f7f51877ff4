"""Optional single sign-on: OpenID Connect (authorization code flow, PKCE S256 and a nonce).

Authlib does the protocol: ``OAuth2Client`` builds the authorization URL and exchanges the code
(client_secret_basic), joserfc checks the ID token's signature against the provider's JWKS and
Authlib's ``CodeIDToken`` its claims (issuer, audience = our client id, expiry, nonce, at_hash).

``start`` stores the state, the nonce and the PKCE verifier (single use, ``STATE_TTL``) bound
to a random browser token, which goes in a short-lived HttpOnly cookie: the callback is
accepted only from the browser that began the login. ``finish`` consumes that row, so a
callback cannot be replayed. The provider only proves who the user is; the account and its
roles are ours: a subject already linked to an account signs in to it, else a verified e-mail
address that matches an enabled account links the subject to it. Anyone else is refused.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx2
import psycopg
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from sitefinder.accounts import users
from sitefinder.core.errors import DownloadError, NotAuthenticatedError
from sitefinder.core.settings import Settings

Conn = psycopg.Connection[Any]
STATE_TTL = timedelta(minutes=10)
TIMEOUT_S = 15.0
LEEWAY_S = 120
REFUSED = "single sign-on refused: no account here for this user; ask an administrator"


@dataclass(frozen=True)
class Started:
    url: str  # where the browser goes: the provider's authorization endpoint
    browser_token: str  # for the short-lived cookie only


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def metadata(settings: Settings) -> dict[str, Any]:
    """The provider's discovery document (``/.well-known/openid-configuration``)."""
    url = settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = httpx2.get(url, timeout=TIMEOUT_S)
        response.raise_for_status()
        found: dict[str, Any] = response.json()
    except (httpx2.HTTPError, ValueError) as exc:
        raise DownloadError(f"the sign-on provider did not answer at {url}: {exc}") from exc
    if found.get("issuer") != settings.oidc_issuer:
        raise DownloadError(f"the sign-on provider at {url} names another issuer")
    return found


def _client(settings: Settings, redirect_uri: str) -> OAuth2Client:
    return OAuth2Client(
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value(),
        scope=settings.oidc_scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=TIMEOUT_S,
    )


def start(conn: Conn, settings: Settings, redirect_uri: str) -> Started:
    """Begin a login: the provider URL to send the browser to, and the browser token."""
    meta = metadata(settings)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier, browser = secrets.token_urlsafe(48), secrets.token_urlsafe(32)
    conn.execute("DELETE FROM oidc_login WHERE created_at < now() - %s", (STATE_TTL,))
    conn.execute(
        "INSERT INTO oidc_login (state_hash, browser_hash, nonce, code_verifier)"
        " VALUES (%s, %s, %s, %s)",
        (_digest(state), _digest(browser), nonce, verifier),
    )
    with _client(settings, redirect_uri) as client:
        url, _ = client.create_authorization_url(
            meta["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce
        )
    return Started(url=url, browser_token=browser)


def finish(
    conn: Conn,
    settings: Settings,
    redirect_uri: str,
    *,
    state: str,
    code: str,
    browser_token: str,
) -> dict[str, Any]:
    """Complete a login: the account row the provider's user signs in to."""
    row = conn.execute(
        "DELETE FROM oidc_login WHERE state_hash = %s AND browser_hash = %s"
        " AND created_at > now() - %s RETURNING nonce, code_verifier",
        (_digest(state), _digest(browser_token), STATE_TTL),
    ).fetchone()
    if row is None:
        raise NotAuthenticatedError("single sign-on expired or was started elsewhere; try again")
    meta = metadata(settings)
    try:
        with _client(settings, redirect_uri) as client:
            token = client.fetch_token(
                meta["token_endpoint"], code=code, code_verifier=row["code_verifier"]
            )
            keys = client.get(meta["jwks_uri"])
            keys.raise_for_status()
        claims = _id_token_claims(settings, meta, token, keys.json(), row["nonce"])
    except (httpx2.HTTPError, ValueError, KeyError, JoseError, OAuthError) as exc:
        raise NotAuthenticatedError(f"single sign-on failed: {type(exc).__name__}") from exc
    return _account(conn, settings.oidc_issuer, claims)


def _id_token_claims(
    settings: Settings,
    meta: dict[str, Any],
    token: dict[str, Any],
    jwks: dict[str, Any],
    nonce: str,
) -> dict[str, Any]:
    decoded = jwt.decode(
        token["id_token"],
        KeySet.import_key_set(jwks),  # type: ignore[arg-type]
        registry=JWSRegistry(algorithms=meta.get("id_token_signing_alg_values_supported")),
    )
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        {
            "iss": {"essential": True, "value": settings.oidc_issuer},
            "aud": {"essential": True, "value": settings.oidc_client_id},
        },
        {
            "nonce": nonce,
            "client_id": settings.oidc_client_id,
            "access_token": token.get("access_token"),
        },
    )
    claims.validate(leeway=LEEWAY_S)
    return dict(claims)


def _account(conn: Conn, issuer: str, claims: dict[str, Any]) -> dict[str, Any]:
    subject = str(claims["sub"])
    row: dict[str, Any] | None = conn.execute(
        "SELECT * FROM app_user WHERE oidc_issuer = %s AND oidc_subject = %s",
        (issuer, subject),
    ).fetchone()
    if row is None and claims.get("email") and claims.get("email_verified") is True:
        found = users.find(conn, str(claims["email"]))
        if found is not None and found["oidc_subject"] is None:
            conn.execute(
                "UPDATE app_user SET oidc_issuer = %s, oidc_subject = %s WHERE id = %s",
                (issuer, subject, found["id"]),
            )
            row = found
    if row is None or row["disabled"]:
        raise NotAuthenticatedError(REFUSED)
    return row
