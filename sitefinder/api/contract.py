"""The OpenAPI document, made to say what the API does (``schemathesis`` checks it in tests).

FastAPI builds the document from the routes and models; :func:`install` completes it once,
in one place, with what holds for every operation and what only the running app knows:

* every operation answers 500 and 503 (busy, over its time budget, database unavailable; with
  ``Retry-After``), every one with parameters or a body 422, every one with a body 413 (its
  limit is ``x-body-limit-bytes``), each with the one error body (``ErrorBody``);
* ``limit`` of the site list and detail has the configured maximum
  (``SITEFINDER_API_MAX_LIMIT``); ``weights`` the pattern of the criteria in the catalogue now
  (a criterion added as a plug-in is in it).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from sitefinder.api.areas import Areas
from sitefinder.api.deps import weights_pattern
from sitefinder.api.errors import DESCRIPTIONS
from sitefinder.api.guard import BODY_LIMIT_KEY, DEFAULT_BODY_LIMIT
from sitefinder.core.settings import Settings

ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}
RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 0},
    }
}


def _error(code: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": DESCRIPTIONS[code],
        "content": {"application/json": {"schema": ERROR_BODY}},
    }
    if code == 503:
        response["headers"] = RETRY_AFTER
    return response


def amend(document: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Complete FastAPI's ``document`` (see the module docstring); returns it."""
    pattern = weights_pattern()
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            codes = [500, 503]
            if operation.get("parameters") or "requestBody" in operation:
                codes.append(422)
            if "requestBody" in operation:
                codes.append(413)
                operation.setdefault(BODY_LIMIT_KEY, DEFAULT_BODY_LIMIT)  # what the guard applies
            for code in codes:
                responses[str(code)] = _error(code)
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter["name"] == "limit" and "maximum" not in schema:
                    schema["maximum"] = settings.api_max_limit
                if parameter["name"] == "weights":
                    schema["pattern"] = pattern
                _pattern_on_the_string(schema)
    _drop_unused(document, ("HTTPValidationError", "ValidationError"))
    return document


def _drop_unused(document: dict[str, Any], names: tuple[str, ...]) -> None:
    """Remove FastAPI's own 422 schemas once every 422 says ``ErrorBody`` (a route that
    declares no 422 of its own gets FastAPI's default first, replaced above)."""
    schemas = document.get("components", {}).get("schemas", {})
    for name in names:
        held = schemas.pop(name, None)
        if held is not None and f"#/components/schemas/{name}" in json.dumps(document):
            schemas[name] = held  # still referenced: keep it


def _pattern_on_the_string(schema: dict[str, Any]) -> None:
    """Move a parameter's ``pattern`` onto its string option (FastAPI wraps an optional
    parameter in ``anyOf``, and puts what a dependency declares beside it)."""
    if "pattern" not in schema or "anyOf" not in schema:
        return
    pattern = schema.pop("pattern")
    for option in schema["anyOf"]:
        if option.get("type") == "string":
            option["pattern"] = pattern


def install(app: FastAPI, settings: Settings, areas: Areas) -> None:
    """Serve the amended document at ``app.openapi_url`` (built once, on first use, with every
    area of ``areas`` built: it lists every route)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            areas.build_all()
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = amend(document, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
