"""Who is asking, and may they: the session from the cookie, the CSRF token on writes, roles.

The dependencies every route of accounts and flags uses:

* ``AccountsConn``: THE connection for accounts, sessions, flags and the audit trail: every
  write, and the reads of session and password tables. Its pool is ``app.state.accounts_pool``
  (``SITEFINDER_WRITE_DATABASE_URL``, a role that may write only those tables; unset: the app's
  pool). Other reads keep using ``deps.Conn``.
* ``CurrentViewer`` / ``Scope``: the viewer (``roles.PUBLIC`` without a valid session) and its
  scope filter (``sitefinder.accounts.scope``), for every read that shows flags.
* ``LoggedIn``: a valid session, else 401. ``Writer``: logged in and the request carries the
  session's CSRF token in the ``X-CSRF-Token`` header, else 403. ``Flagger`` (provincie or
  coordinator) and ``Admin`` (beheerder) add a role check (403).

The session cookie is HttpOnly, SameSite=Lax, Secure when ``SITEFINDER_COOKIE_SECURE`` is set
(behind HTTPS). Before login the page gets a login CSRF token (``GET /api/auth/me``, kept in
an HttpOnly cookie too), so the login is a write with a CSRF token like every other.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator
from typing import Annotated, Any

import psycopg
from fastapi import Depends, Request, Response
from psycopg_pool import ConnectionPool

from sitefinder.accounts import sessions
from sitefinder.accounts.roles import PUBLIC, Viewer
from sitefinder.accounts.scope import ScopeFilter
from sitefinder.accounts.sessions import Session
from sitefinder.api.deps import AppSettings
from sitefinder.core import db
from sitefinder.core.errors import PermissionDeniedError
from sitefinder.core.settings import Settings

SESSION_COOKIE = "sf_session"
LOGIN_CSRF_COOKIE = "sf_login_csrf"
OIDC_COOKIE = "sf_oidc"
CSRF_HEADER = "X-CSRF-Token"
CSRF_MISSING = "missing or wrong CSRF token (header X-CSRF-Token; GET /api/auth/me gives it)"


def make_accounts_pool(settings: Settings) -> ConnectionPool:
    """The pool of the role that writes accounts, sessions, flags and the audit trail
    (``db.writer_url``; the API's own pool reads only)."""
    return db.make_pool(settings, writer_url=db.writer_url(settings))


def _accounts_pool(request: Request) -> ConnectionPool:
    state = request.app.state
    pool: ConnectionPool = getattr(state, "accounts_pool", None) or state.pool
    return pool


def accounts_connection(request: Request) -> Iterator[psycopg.Connection[Any]]:
    with _accounts_pool(request).connection(timeout=10) as conn:
        yield conn


AccountsConn = Annotated[psycopg.Connection[Any], Depends(accounts_connection)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def current_session(request: Request, settings: AppSettings) -> Session | None:
    """The valid session of the request's cookie; no database work without a cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with _accounts_pool(request).connection(timeout=10) as conn:
        return sessions.lookup(conn, settings, token)


CurrentSession = Annotated[Session | None, Depends(current_session)]


def current_viewer(session: CurrentSession) -> Viewer:
    return session.viewer if session else PUBLIC


CurrentViewer = Annotated[Viewer, Depends(current_viewer)]


def scope_filter(viewer: CurrentViewer) -> ScopeFilter:
    return ScopeFilter.of(viewer)


Scope = Annotated[ScopeFilter, Depends(scope_filter)]


def logged_in(session: CurrentSession) -> Session:
    return sessions.require_login(session)


LoggedIn = Annotated[Session, Depends(logged_in)]


def _same(given: str, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def writer(request: Request, session: LoggedIn) -> Session:
    if not _same(request.headers.get(CSRF_HEADER, ""), session.csrf_token):
        raise PermissionDeniedError(CSRF_MISSING)
    return session


Writer = Annotated[Session, Depends(writer)]


def flagger(session: Writer) -> Session:
    if not session.viewer.can_flag:
        raise PermissionDeniedError("only provincie and coordinator accounts may flag sites")
    return session


Flagger = Annotated[Session, Depends(flagger)]


def admin(session: Writer) -> Session:
    if not session.viewer.has("beheerder"):
        raise PermissionDeniedError("only a beheerder may manage accounts")
    return session


Admin = Annotated[Session, Depends(admin)]


def admin_reader(session: LoggedIn) -> Session:
    if not session.viewer.has("beheerder"):
        raise PermissionDeniedError("only a beheerder may manage accounts")
    return session


AdminReader = Annotated[Session, Depends(admin_reader)]


def login_csrf(request: Request, session: CurrentSession) -> Session | None:
    """A login carries the login CSRF token (or, when logged in already, the session's); the
    session the request had, if any."""
    given = request.headers.get(CSRF_HEADER, "")
    if _same(given, request.cookies.get(LOGIN_CSRF_COOKIE, "")):
        return session
    if session is not None and _same(given, session.csrf_token):
        return session
    raise PermissionDeniedError(CSRF_MISSING)


LoginCsrf = Annotated[Session | None, Depends(login_csrf)]


def login_csrf_token(request: Request, response: Response, settings: Settings) -> str:
    """The browser's login CSRF token, set in its cookie when it has none yet."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not token or len(token) > 100:
        token = secrets.token_urlsafe(32)
        _cookie(response, settings, LOGIN_CSRF_COOKIE, token, max_age=None, samesite="strict")
    return token


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    _cookie(response, settings, SESSION_COOKIE, token, max_age=settings.session_max_s)


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=settings.cookie_secure, httponly=True, samesite="lax"
    )


def set_oidc_cookie(response: Response, settings: Settings, token: str) -> None:
    _cookie(response, settings, OIDC_COOKIE, token, max_age=600)


def _cookie(
    response: Response,
    settings: Settings,
    name: str,
    value: str,
    *,
    max_age: int | None,
    samesite: Any = "lax",
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        secure=settings.cookie_secure,
        samesite=samesite,
    )
