"""The API's error table: every error type answers with its status and the one error body.

The handlers are exercised through a real FastAPI app and HTTP requests; the errors raised by
real requests against the demo database are tested in test_api.py.
"""

from __future__ import annotations

import logging

import psycopg
import pytest
from fastapi import FastAPI, Query
from fastapi.testclient import TestClient

from sitefinder.api.errors import DEFAULT_STATUS_CODES, add_exception_handlers
from sitefinder.core import errors

INTERNAL = "internal error; see the server log"
DB_DOWN = "database unavailable or not set up; see the server log"

# (the error raised, the status, the detail the client gets)
CASES: list[tuple[Exception, int, str]] = [
    (errors.InvalidParameterError("bbox must be four numbers"), 422, "bbox must be four numbers"),
    (errors.SourceFileError("offices.gpkg is empty"), 422, "offices.gpkg is empty"),
    (errors.UnknownLayerError("Unknown layer 'x'"), 404, "Unknown layer 'x'"),
    (errors.UnknownSiteError("no site with id 'x'"), 404, "no site with id 'x'"),
    (
        errors.DownloadError("PDOK answered 500 after 4 attempts"),
        502,
        "PDOK answered 500 after 4 attempts",
    ),
    (
        errors.DatabaseUnavailableError("Cannot reach the database"),
        503,
        "Cannot reach the database",
    ),
    (psycopg.OperationalError("connection to 10.1.2.3 port 5432 failed: password"), 503, DB_DOWN),
    (psycopg.errors.UndefinedTable('relation "site" does not exist'), 503, DB_DOWN),
    (ValueError("cannot convert float NaN to integer (numpy.float64)"), 500, INTERNAL),
    (KeyError("gemeentecode"), 500, INTERNAL),
]


UNEXPECTED = next(i for i, (exc, _, _) in enumerate(CASES) if isinstance(exc, ValueError))
DOWNLOAD = next(i for i, (exc, _, _) in enumerate(CASES) if isinstance(exc, errors.DownloadError))


def _app() -> FastAPI:
    app = FastAPI()
    add_exception_handlers(app, DEFAULT_STATUS_CODES)

    @app.get("/raise/{case}")
    def raise_case(case: int) -> dict[str, str]:
        raise CASES[case][0]

    @app.get("/limited")
    def limited(limit: int = Query(ge=1, le=2000)) -> dict[str, int]:
        return {"limit": limit}

    return app


@pytest.fixture(scope="module")
def client() -> TestClient:
    # unexpected errors must come back as a 500 response, not be raised into the test
    return TestClient(_app(), raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("case", "status", "detail"),
    [(i, status, detail) for i, (_, status, detail) in enumerate(CASES)],
    ids=[type(exc).__name__ for exc, _, _ in CASES],
)
def test_each_error_type_has_its_status_and_body(
    client: TestClient, case: int, status: int, detail: str
) -> None:
    response = client.get(f"/raise/{case}")
    assert response.status_code == status
    assert response.json() == {"detail": detail}


def test_a_download_error_is_502_never_422(client: TestClient) -> None:
    response = client.get(f"/raise/{DOWNLOAD}")
    assert response.status_code == 502
    assert "PDOK" in response.json()["detail"]


def test_every_sitefinder_error_type_is_in_the_table() -> None:
    def subclasses(cls: type[Exception]) -> set[type[Exception]]:
        direct = set(cls.__subclasses__())
        return direct.union(*(subclasses(c) for c in direct))

    # a subclass (etl.http.HttpStatusError is a DownloadError) answers as its nearest entry
    for cls in subclasses(errors.SitefinderError):
        assert any(c in DEFAULT_STATUS_CODES for c in cls.__mro__ if c is not Exception), cls
    assert DEFAULT_STATUS_CODES[Exception] == 500


def test_unexpected_errors_are_logged_with_their_traceback(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="sitefinder.api"):
        assert client.get(f"/raise/{UNEXPECTED}").status_code == 500
        assert client.get("/raise/0").status_code == 422
    server, user = (r for r in caplog.records if r.name == "sitefinder.api")
    assert server.levelno == logging.ERROR and server.exc_info is not None
    assert f"GET /raise/{UNEXPECTED} -> 500" in server.getMessage()
    assert user.levelno == logging.INFO and user.exc_info is None
    assert "bbox must be four numbers" in user.getMessage()


def test_validation_errors_become_one_line_with_a_list(client: TestClient) -> None:
    too_big = client.get("/limited?limit=5000")
    assert too_big.status_code == 422
    assert too_big.json() == {
        "detail": "query.limit: must be at most 2000",
        "errors": [{"field": "query.limit", "message": "must be at most 2000"}],
    }
    body = client.get("/limited?limit=abc").json()
    assert body["detail"] == "query.limit: must be a whole number"
    assert client.get("/limited").json()["detail"] == "query.limit: is required"


def test_framework_errors_use_the_same_body(client: TestClient) -> None:
    missing = client.get("/no/such/path")
    assert missing.status_code == 404 and missing.json() == {"detail": "Not Found"}
    wrong = client.post("/limited?limit=1")
    assert wrong.status_code == 405 and wrong.json() == {"detail": "Method Not Allowed"}
