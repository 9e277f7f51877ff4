"""One table from error type to HTTP status, one ``add_exception_handlers`` that answers and logs.

Every error response has the body ``ErrorBody``: ``{"detail": "<one-line message>"}``, plus
``errors`` (one entry per field) for an invalid request. The message of a ``SitefinderError``
is written for users and is sent as is; any other exception gets a generic message for its
status, and its details (a traceback for 5xx) go to the log only, never to the client. A 503
carries ``Retry-After`` (seconds). :func:`error_response` is the one place that answers an
error, for the handlers here and for the middleware in ``guard.py``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sitefinder.api.models import ErrorBody, FieldError
from sitefinder.core.errors import (
    BodyTooLargeError,
    DatabaseUnavailableError,
    DownloadError,
    InvalidParameterError,
    NotAuthenticatedError,
    PermissionDeniedError,
    ServiceBusyError,
    SitefinderError,
    SourceFileError,
    TimeBudgetError,
    TooManyAttemptsError,
    TransitionError,
    UnknownAreaError,
    UnknownLayerError,
    UnknownRegionError,
    UnknownSiteError,
    UnknownTileError,
    UnknownUserError,
)

logger = logging.getLogger("sitefinder.api")

# Looked up along the exception's class hierarchy (the nearest entry wins).
DEFAULT_STATUS_CODES: dict[type[Exception], int] = {
    InvalidParameterError: 422,
    BodyTooLargeError: 413,
    SourceFileError: 422,
    UnknownLayerError: 404,
    UnknownSiteError: 404,
    UnknownRegionError: 404,
    UnknownTileError: 404,
    UnknownAreaError: 404,
    UnknownUserError: 404,
    NotAuthenticatedError: 401,
    PermissionDeniedError: 403,
    TransitionError: 409,
    TooManyAttemptsError: 429,
    DownloadError: 502,  # an upstream server failed us: never the client's fault
    DatabaseUnavailableError: 503,
    ServiceBusyError: 503,
    TimeBudgetError: 503,
    psycopg.OperationalError: 503,  # unreachable, or the pool timed out
    psycopg.errors.UndefinedTable: 503,  # not migrated
    psycopg.errors.InsufficientPrivilege: 503,  # the API role not set up (sitefinder db init)
    Exception: 500,
}
RETRY_AFTER_S = 1  # what a 503 tells the client to wait before trying again

GENERIC_MESSAGES = {
    502: "an upstream service failed; see the server log",
    503: "database unavailable or not set up; see the server log",
}
INTERNAL_ERROR = "internal error; see the server log"

DESCRIPTIONS = {
    401: "Not logged in, or the login failed",
    403: "Not allowed: role, scope or CSRF token",
    404: "Not found",
    405: "Method not allowed (see the Allow header)",
    409: "The flag's current status does not allow this change",
    413: "Request body larger than the endpoint's limit (x-body-limit-bytes)",
    422: "Invalid parameter or body",
    429: "Too many failed logins: wait (Retry-After)",
    500: "Internal error (details in the server log)",
    502: "An upstream service failed",
    503: (
        "Busy (every worker at work and the queue full), a request over its time budget, or"
        " the database unavailable or not set up; try again after Retry-After seconds"
    ),
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` of a route: the error body model for each status it can give."""
    return {code: {"model": ErrorBody, "description": DESCRIPTIONS[code]} for code in codes}


def _respond(
    where: str,
    status: int,
    body: ErrorBody,
    exc: Exception,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    # our own 503s (busy, down, over budget) are expected under load: no traceback for them
    if status >= 500 and not isinstance(exc, SitefinderError):
        logger.error("%s -> %d: %s", where, status, body.detail, exc_info=exc)
    elif status >= 500:
        logger.warning("%s -> %d: %s", where, status, body.detail)
    else:
        logger.info("%s -> %d: %s", where, status, body.detail)
    if status == 503:
        headers = {"Retry-After": str(RETRY_AFTER_S), **(headers or {})}
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def status_of(exc: Exception, status_codes: Mapping[type[Exception], int]) -> int:
    """The status of ``exc``: the nearest entry of its class hierarchy in ``status_codes``."""
    return next((status_codes[cls] for cls in type(exc).__mro__ if cls in status_codes), 500)


def error_response(
    exc: Exception,
    where: str,
    status_codes: Mapping[type[Exception], int] = DEFAULT_STATUS_CODES,
) -> JSONResponse:
    """The response to ``exc`` (logged; ``where`` is e.g. ``POST /api/score``)."""
    status = status_of(exc, status_codes)
    headers = getattr(exc, "headers", None) if isinstance(exc, SitefinderError) else None
    return _respond(where, status, ErrorBody(detail=message_for(exc, status)), exc, headers)


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
        "extra_forbidden": "is not a member of this body",
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


def allowed_methods(request: Request) -> list[str]:
    """Every method the API documents at the request's path (for ``Allow``): Starlette names
    only those of the first route that matches, and two routes may share a path."""
    path = request.url.path
    paths = request.app.openapi().get("paths", {})
    # a parameter is one path segment, unless no template matches so (site ids hold a "/")
    for segment in ("[^/]+", ".+"):
        methods: set[str] = set()
        for template, operations in paths.items():
            pattern = re.sub(r"\\\{[^}]*\\\}", segment, re.escape(template))
            if re.fullmatch(pattern, path):
                methods |= {m.upper() for m in operations}
        if methods:
            return sorted(methods)
    return []


def add_exception_handlers(
    app: FastAPI, status_codes: dict[type[Exception], int] = DEFAULT_STATUS_CODES
) -> None:
    """Answer every error with ``ErrorBody`` and its status from ``status_codes``; log it."""

    def where(request: Request) -> str:
        return f"{request.method} {request.url.path}"

    async def known(request: Request, exc: Exception) -> JSONResponse:
        return error_response(exc, where(request), status_codes)

    async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = validation_errors(exc)
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors) or "invalid request"
        return _respond(where(request), 422, ErrorBody(detail=detail, errors=errors), exc)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        # raised by FastAPI/Starlette themselves (unknown path, method not allowed, static files)
        assert isinstance(exc, StarletteHTTPException)
        body = ErrorBody(detail=str(exc.detail))
        headers = exc.headers
        if exc.status_code == 405:  # Starlette names the methods of the first route only
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return _respond(where(request), exc.status_code, body, exc, headers=headers)

    for cls in status_codes:
        app.add_exception_handler(cls, known)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
