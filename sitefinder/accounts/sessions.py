"""Logins with rate limits, and cookie sessions with a CSRF token each.

A session is a random token (256 bits) in an HttpOnly cookie; the database keeps only its
SHA-256, so a copy of the table opens no session. Each session has its own CSRF token, which
the page sends back in a header on every write. A session ends after ``session_idle_s``
without a request and ``session_max_s`` after it began, at logout, when the password is set
anew and when the account is disabled.

Failed logins are counted per account (the e-mail as typed, lower case, whether or not such an
account exists) and per client address within ``login_window_s``; past the limits a login is
refused with 429 before the password is even checked. The answer to a wrong e-mail, a wrong
password and a disabled account is the same message, in the same time.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from sitefinder.accounts import passwords, users
from sitefinder.accounts.roles import Viewer
from sitefinder.core.errors import NotAuthenticatedError, TooManyAttemptsError
from sitefinder.core.settings import Settings

Conn = psycopg.Connection[Any]
LOGIN_FAILED = "e-mail address or password is wrong"
TOUCH_EVERY_S = 60  # last_seen_at is written at most this often per session
MAX_USER_AGENT = 300


@dataclass(frozen=True)
class Session:
    """A valid session: who it belongs to and the CSRF token its writes must carry."""

    viewer: Viewer
    csrf_token: str
    token_hash: bytes
    method: str


@dataclass(frozen=True)
class NewSession:
    token: str  # for the cookie only: never logged, never stored
    session: Session


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def login(
    conn: Conn,
    settings: Settings,
    email: str,
    password: str,
    *,
    address: str,
    user_agent: str = "",
) -> NewSession:
    """Check the rate limits and the password; a new session, or NotAuthenticatedError."""
    account = email.strip().lower()[: users.MAX_EMAIL]
    _check_rate_limits(conn, settings, account, address)
    row = users.find(conn, account)
    ok = passwords.verify_password(row["password_hash"] if row else None, password)
    ok = ok and row is not None and not row["disabled"]
    conn.execute(
        "INSERT INTO login_attempt (account, address, success) VALUES (%s, %s, %s)",
        (account, address, ok),
    )
    if not ok or row is None:
        raise NotAuthenticatedError(LOGIN_FAILED)
    if passwords.needs_rehash(row["password_hash"]):
        users.set_password(conn, row["id"], password)
    # a success forgives the account's earlier failures (not the address's)
    conn.execute("DELETE FROM login_attempt WHERE account = %s AND NOT success", (account,))
    return create_session(conn, settings, row, "password", address=address, user_agent=user_agent)


def _check_rate_limits(conn: Conn, settings: Settings, account: str, address: str) -> None:
    window = timedelta(seconds=settings.login_window_s)
    conn.execute("DELETE FROM login_attempt WHERE at < now() - %s", (window * 4,))
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE account = %(account)s) AS n_account,"
        " count(*) FILTER (WHERE address = %(address)s) AS n_address,"
        " min(at) FILTER (WHERE account = %(account)s) AS first_account,"
        " min(at) FILTER (WHERE address = %(address)s) AS first_address"
        " FROM login_attempt WHERE NOT success AND at > now() - %(window)s"
        " AND (account = %(account)s OR address = %(address)s)",
        {"account": account, "address": address, "window": window},
    ).fetchone()
    assert row is not None
    for n, limit, first in (
        (row["n_account"], settings.login_max_failures_account, row["first_account"]),
        (row["n_address"], settings.login_max_failures_address, row["first_address"]),
    ):
        if n >= limit:
            wait = int((first + window - datetime.now(UTC)).total_seconds()) + 1
            minutes = max(1, (wait + 59) // 60)
            raise TooManyAttemptsError(
                f"too many failed logins; try again in {minutes} minute(s)", max(wait, 1)
            )


def create_session(
    conn: Conn,
    settings: Settings,
    row: dict[str, Any],
    method: str,
    *,
    address: str,
    user_agent: str = "",
) -> NewSession:
    """A new session for the account ``row`` (logged in by ``method``: password or oidc)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    digest = token_hash(token)
    with conn.transaction():
        conn.execute(
            "INSERT INTO user_session (token_hash, user_id, csrf_token, method, expires_at,"
            " address, user_agent) VALUES (%s, %s, %s, %s, now() + %s, %s, %s)",
            (
                digest,
                row["id"],
                csrf,
                method,
                timedelta(seconds=settings.session_max_s),
                address,
                user_agent[:MAX_USER_AGENT],
            ),
        )
        conn.execute("UPDATE app_user SET last_login_at = now() WHERE id = %s", (row["id"],))
        conn.execute("DELETE FROM user_session WHERE expires_at < now()")
    return NewSession(token, Session(users.viewer(conn, row), csrf, digest, method))


def lookup(conn: Conn, settings: Settings, token: str) -> Session | None:
    """The session of a cookie token, when it is valid (not expired, idle, or disabled)."""
    if not token or len(token) > 100:
        return None
    digest = token_hash(token)
    row = conn.execute(
        "SELECT s.csrf_token, s.method, s.last_seen_at < now() - %s AS stale,"
        " u.id, u.email, u.name FROM user_session s JOIN app_user u ON u.id = s.user_id"
        " WHERE s.token_hash = %s AND s.expires_at > now() AND NOT u.disabled"
        " AND s.last_seen_at > now() - %s",
        (timedelta(seconds=TOUCH_EVERY_S), digest, timedelta(seconds=settings.session_idle_s)),
    ).fetchone()
    if row is None:
        return None
    if row["stale"]:
        conn.execute(
            "UPDATE user_session SET last_seen_at = now() WHERE token_hash = %s", (digest,)
        )
    return Session(users.viewer(conn, row), row["csrf_token"], digest, row["method"])


def end(conn: Conn, session: Session) -> None:
    conn.execute("DELETE FROM user_session WHERE token_hash = %s", (session.token_hash,))


def require_login(session: Session | None) -> Session:
    if session is None:
        raise NotAuthenticatedError("log in first")
    return session
