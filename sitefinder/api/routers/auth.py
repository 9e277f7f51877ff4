"""Auth routes: who am I (with the CSRF token), log in and out, change the password, and the
optional single sign-on (OpenID Connect). See ``sitefinder.api.security`` for the cookies."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from sitefinder.accounts import passwords, sessions, users
from sitefinder.accounts.sessions import Session
from sitefinder.api import security
from sitefinder.api.accountmodels import Done, LoginBody, Me, PasswordBody
from sitefinder.api.deps import AppSettings
from sitefinder.api.errors import error_responses
from sitefinder.api.security import AccountsConn, CurrentSession, LoginCsrf, Writer
from sitefinder.core.errors import NotAuthenticatedError, SitefinderError
from sitefinder.core.settings import Settings

logger = logging.getLogger("sitefinder.api")
router = APIRouter(prefix="/api/auth", tags=["auth"])


def _me(request: Request, settings: Settings, session: Session | None, csrf: str) -> Me:
    sso_url = str(request.url_for("oidc_login")) if settings.oidc_enabled else None
    return Me.model_validate(
        {
            "user": session.viewer.public() if session else None,
            "csrf_token": csrf,
            "sso": {
                "enabled": settings.oidc_enabled,
                "title": settings.oidc_title,
                "login_url": sso_url,
            },
        }
    )


@router.get("/me", responses=error_responses(500, 503))
def me(request: Request, response: Response, settings: AppSettings, session: CurrentSession) -> Me:
    """The logged-in user (null when not logged in) and the CSRF token for writes: the
    session's, or before login the login token (also set in an HttpOnly cookie)."""
    response.headers["Cache-Control"] = "no-store"
    if session is not None:
        return _me(request, settings, session, session.csrf_token)
    return _me(request, settings, None, security.login_csrf_token(request, response, settings))


@router.post("/login", responses=error_responses(401, 403, 422, 429, 500, 503))
def login(
    request: Request,
    response: Response,
    body: LoginBody,
    c: AccountsConn,
    settings: AppSettings,
    session: LoginCsrf,
) -> Me:
    """Log in with e-mail and password: a session cookie (HttpOnly) and its CSRF token."""
    new = sessions.login(
        c,
        settings,
        body.email,
        body.password.get_secret_value(),
        address=security.client_address(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    if session is not None:
        sessions.end(c, session)
    security.set_session_cookie(response, settings, new.token)
    response.headers["Cache-Control"] = "no-store"
    return _me(request, settings, new.session, new.session.csrf_token)


@router.post("/logout", responses=error_responses(401, 403, 500, 503))
def logout(response: Response, session: Writer, c: AccountsConn, settings: AppSettings) -> Done:
    """End this session."""
    sessions.end(c, session)
    security.clear_session_cookie(response, settings)
    return Done(ok=True)


@router.post("/password", responses=error_responses(401, 403, 422, 500, 503))
def change_password(
    request: Request,
    response: Response,
    body: PasswordBody,
    session: Writer,
    c: AccountsConn,
    settings: AppSettings,
) -> Me:
    """Change your own password (the current one is asked); every other session ends."""
    row = users.require_id(c, int(session.viewer.user_id or 0))
    if not passwords.verify_password(row["password_hash"], body.current.get_secret_value()):
        raise NotAuthenticatedError("the current password is wrong")
    new = body.new.get_secret_value()
    passwords.check_strength(new, email=row["email"], min_length=settings.password_min_length)
    users.set_password(c, row["id"], new)
    fresh = sessions.create_session(
        c, settings, row, session.method, address=security.client_address(request)
    )
    security.set_session_cookie(response, settings, fresh.token)
    return _me(request, settings, fresh.session, fresh.session.csrf_token)


def _redirect_uri(request: Request, settings: Settings) -> str:
    return settings.oidc_redirect_url or str(request.url_for("oidc_callback"))


def _sso_configured(settings: Settings) -> None:
    if not settings.oidc_enabled:
        raise NotAuthenticatedError("single sign-on is not configured here")


@router.get(
    "/oidc/login",
    name="oidc_login",
    status_code=302,
    response_class=RedirectResponse,
    responses={302: {"description": "to the provider"}, **error_responses(401, 500, 502)},
)
def oidc_login(request: Request, c: AccountsConn, settings: AppSettings) -> RedirectResponse:
    """Start single sign-on: a redirect to the organisation's OpenID Connect provider."""
    _sso_configured(settings)
    from sitefinder.accounts import oidc  # authlib, joserfc: imported once sign-on is used

    started = oidc.start(c, settings, _redirect_uri(request, settings))
    response = RedirectResponse(started.url, status_code=302)
    security.set_oidc_cookie(response, settings, started.browser_token)
    return response


@router.get(
    "/oidc/callback",
    name="oidc_callback",
    status_code=302,
    response_class=RedirectResponse,
    responses={302: {"description": "to the map page"}, **error_responses(401, 422, 500)},
)
def oidc_callback(
    request: Request,
    c: AccountsConn,
    settings: AppSettings,
    state: str = "",
    code: str = "",
    error: str = "",
) -> RedirectResponse:
    """The provider sends the browser back here: a session cookie, then the map page."""
    _sso_configured(settings)
    from sitefinder.accounts import oidc  # as in oidc_login

    try:
        if error or not state or not code:
            raise NotAuthenticatedError(f"single sign-on refused by the provider: {error[:60]}")
        row = oidc.finish(
            c,
            settings,
            _redirect_uri(request, settings),
            state=state[:200],
            code=code[:2000],
            browser_token=request.cookies.get(security.OIDC_COOKIE, ""),
        )
        new = sessions.create_session(
            c,
            settings,
            row,
            "oidc",
            address=security.client_address(request),
            user_agent=request.headers.get("user-agent", ""),
        )
    except SitefinderError as exc:
        logger.info("GET /api/auth/oidc/callback -> sign-on failed: %s", exc)
        response = RedirectResponse("/?sso=failed", status_code=302)
    else:
        response = RedirectResponse("/", status_code=302)
        security.set_session_cookie(response, settings, new.token)
    response.delete_cookie(security.OIDC_COOKIE, path="/")
    return response
