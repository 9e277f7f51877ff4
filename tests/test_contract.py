"""The OpenAPI contract is what the API does (issue 9, finding 10).

schemathesis runs every check it has (``--checks all``: server errors, status codes, content
types, headers, response schemas, schema-valid requests accepted, schema-violating requests
rejected, unsupported methods ...) over every operation of the running app on the demo region,
with a bounded number of examples and a fixed seed; it must find nothing. ``schemathesis.toml``
(the repository's root) holds the one exception, for the geometry rules no JSON Schema keyword
can state. One worker: CPython 3.11's ``ast.parse`` is not safe in threads, and hypothesis
parses sources while it generates.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Server

from sitefinder.api import create_app
from sitefinder.core.settings import PROJECT_ROOT, Settings

MAX_EXAMPLES = 5
SEED = 20261201


@pytest.fixture(scope="module")
def server(demo_settings: Settings) -> Iterator[Server]:
    with Server(create_app(demo_settings)) as running:
        yield running


def _operations(url: str) -> int:
    # the first request builds the document: seconds on a busy 2-core machine (httpx waits 5 s)
    document: dict[str, Any] = httpx.get(f"{url}/openapi.json", timeout=60).json()
    return sum(len(operations) for operations in document["paths"].values())


def _schemathesis(url: str, *extra: str) -> str:
    """Run schemathesis over every operation of the server at ``url``; its report's end."""
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--no-color",
        *extra,
    ]
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    lines = [line if len(line) < 400 else line[:400] + " ..." for line in done.stdout.splitlines()]
    report = "\n".join(lines)[-8000:]  # long request bodies cut, the summary kept
    assert done.returncode == 0, report
    assert "❌" not in report and " passed" in report, report
    return report


def test_schemathesis_finds_nothing(server: Server) -> None:
    n = _operations(server.url)
    report = _schemathesis(server.url)
    assert f"Selected: {n}/{n}" in report and f"Tested: {n}" in report, report


def test_the_document_states_the_limits(server: Server) -> None:
    document: dict[str, Any] = httpx.get(f"{server.url}/openapi.json", timeout=60).json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"500", "503"} <= set(responses), (path, method)
            assert "Retry-After" in responses["503"]["headers"], (path, method)
            if "requestBody" in operation:
                assert "413" in responses and operation["x-body-limit-bytes"] > 0
    sites = {p["name"]: p["schema"] for p in document["paths"]["/api/sites"]["get"]["parameters"]}
    assert sites["limit"]["maximum"] == 2000
    string_of = {
        name: next(o for o in schema.get("anyOf", [schema]) if o.get("type") == "string")
        for name, schema in sites.items()
        if name in ("weights", "bbox", "gemeente")
    }
    assert "transit" in string_of["weights"]["pattern"]
    assert string_of["gemeente"]["pattern"] == "^(?:[Gg][Mm][0-9]{4})?$"
    assert string_of["bbox"]["pattern"].startswith("^(?:-?[0-9]{1,3}")
    point = document["components"]["schemas"]["PointIn"]["properties"]["coordinates"]
    lon, lat = point["prefixItems"]
    assert (lon["minimum"], lon["maximum"], lat["minimum"], lat["maximum"]) == (
        3.2,
        7.3,
        50.7,
        53.7,
    )
    assert lon["type"] == "number"  # never a string
    ring = document["components"]["schemas"]["PolygonIn"]["properties"]["coordinates"]["items"]
    assert (ring["minItems"], ring["maxItems"]) == (4, 5000)
