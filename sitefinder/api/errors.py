"""One table from error type to HTTP status, one ``add_exception_handlers`` that answers and logs.

Every error response has the body ``ErrorBody``: ``{"detail": "<one-line message>"}``, plus
``errors`` (one entry per field) for an invalid request. The message of a ``SitefinderError``
is written for users and is sent as is; any other exception gets a generic message for its
status, and its details (a traceback for 5xx) go to the log only, never to the client.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sitefinder.api.models import ErrorBody, FieldError
from sitefinder.core.errors import (
    DatabaseUnavailableError,
    DownloadError,
    InvalidParameterError,
    NotAuthenticatedError,
    PermissionDeniedError,
    SitefinderError,
    SourceFileError,
    TooManyAttemptsError,
    TransitionError,
    UnknownLayerError,
    UnknownSiteError,
    UnknownUserError,
)

logger = logging.getLogger("sitefinder.api")

# Looked up along the exception's class hierarchy (the nearest entry wins).
DEFAULT_STATUS_CODES: dict[type[Exception], int] = {
    InvalidParameterError: 422,
    SourceFileError: 422,
    UnknownLayerError: 404,
    UnknownSiteError: 404,
    UnknownUserError: 404,
    NotAuthenticatedError: 401,
    PermissionDeniedError: 403,
    TransitionError: 409,
    TooManyAttemptsError: 429,
    DownloadError: 502,  # an upstream server failed us: never the client's fault
    DatabaseUnavailableError: 503,
    psycopg.OperationalError: 503,  # unreachable, or the pool timed out
    psycopg.errors.UndefinedTable: 503,  # not migrated
    Exception: 500,
}

GENERIC_MESSAGES = {
    502: "an upstream service failed; see the server log",
    503: "database unavailable or not set up; see the server log",
}
INTERNAL_ERROR = "internal error; see the server log"

DESCRIPTIONS = {
    401: "Not logged in, or the login failed",
    403: "Not allowed: role, scope or CSRF token",
    404: "Not found",
    409: "The flag's current status does not allow this change",
    422: "Invalid parameter or body",
    429: "Too many failed logins: wait (Retry-After)",
    500: "Internal error (details in the server log)",
    502: "An upstream service failed",
    503: "Database unavailable or not set up",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` of a route: the error body model for each status it can give."""
    return {code: {"model": ErrorBody, "description": DESCRIPTIONS[code]} for code in codes}


def _respond(
    request: Request,
    status: int,
    body: ErrorBody,
    exc: Exception,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    where = f"{request.method} {request.url.path}"
    if status >= 500:
        logger.error("%s -> %d: %s", where, status, body.detail, exc_info=exc)
    else:
        logger.info("%s -> %d: %s", where, status, body.detail)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def message_for(exc: Exception, status: int) -> str:
    """The user's message: ours as written (one line), a generic one for anything else."""
    if isinstance(exc, SitefinderError) and str(exc).strip():
        return " ".join(str(exc).split())
    return GENERIC_MESSAGES.get(status, INTERNAL_ERROR)


def _field_message(error: dict[str, Any]) -> str:
    """Pydantic's error as a short phrase, e.g. 'must be at most 2000'."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    phrases = {
        "missing": "is required",
        "less_than_equal": f"must be at most {ctx.get('le')}",
        "less_than": f"must be less than {ctx.get('lt')}",
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "greater_than": f"must be more than {ctx.get('gt')}",
        "int_parsing": "must be a whole number",
        "int_type": "must be a whole number",
        "int_from_float": "must be a whole number",
        "float_parsing": "must be a number",
        "float_type": "must be a number",
        "finite_number": "must be a finite number",
        "bool_parsing": "must be true or false",
        "string_too_long": f"must be at most {ctx.get('max_length')} characters",
        "string_too_short": f"must be at least {ctx.get('min_length')} characters",
        "json_invalid": "is not valid JSON",
        "model_attributes_type": "must be a JSON object",
        "dict_type": "must be a JSON object",
        "literal_error": f"must be one of {ctx.get('expected')}",
    }
    if kind in phrases:
        return phrases[kind]
    return str(error.get("msg", "is not valid")).removeprefix("Value error, ")


def validation_errors(exc: RequestValidationError) -> list[FieldError]:
    return [
        FieldError(
            field=".".join(str(part) for part in error.get("loc", ())) or "request",
            message=_field_message(error),
        )
        for error in exc.errors()
    ]


def add_exception_handlers(
    app: FastAPI, status_codes: dict[type[Exception], int] = DEFAULT_STATUS_CODES
) -> None:
    """Answer every error with ``ErrorBody`` and its status from ``status_codes``; log it."""

    async def known(request: Request, exc: Exception) -> JSONResponse:
        status = next((status_codes[cls] for cls in type(exc).__mro__ if cls in status_codes), 500)
        headers = getattr(exc, "headers", None) if isinstance(exc, SitefinderError) else None
        body = ErrorBody(detail=message_for(exc, status))
        return _respond(request, status, body, exc, headers=headers)

    async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = validation_errors(exc)
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors) or "invalid request"
        return _respond(request, 422, ErrorBody(detail=detail, errors=errors), exc)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        # raised by FastAPI/Starlette themselves (unknown path, method not allowed, static files)
        assert isinstance(exc, StarletteHTTPException)
        body = ErrorBody(detail=str(exc.detail))
        return _respond(request, exc.status_code, body, exc, headers=exc.headers)

    for cls in status_codes:
        app.add_exception_handler(cls, known)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
