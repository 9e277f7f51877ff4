"""The API benchmarks cannot rot: ``bench/load.py`` for a few seconds with a few clients against
the app on the demo region (the full runs, 50 clients for 60 s, are in bench/README.md)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator

import pytest
from conftest import Server

from sitefinder.api import create_app
from sitefinder.core.settings import PROJECT_ROOT, Settings


@pytest.fixture(scope="module")
def bench() -> Iterator[None]:
    sys.path.insert(0, str(PROJECT_ROOT / "bench"))
    try:
        yield
    finally:
        sys.path.remove(str(PROJECT_ROOT / "bench"))


def test_load_smoke(bench: None, demo_settings: Settings) -> None:
    import load  # bench/load.py
    import serving

    with pytest.raises(SystemExit):
        serving.check_loopback("http://10.0.0.1:8000")
    with pytest.raises(SystemExit):
        serving.check_database_url("postgresql://postgres@127.0.0.1:5432/sitefinder")
    with Server(create_app(demo_settings)) as server:
        result = asyncio.run(load.run(server.url, clients=4, seconds=2, seed=1))
    assert result["requests"] > 0 and result["errors"] == 0, result["error_kinds"]
    assert set(result["per_kind"]) <= {"list", "detail", "score", "page"}
    assert result["health"]["n"] > 0 and result["all"]["p50_ms"] > 0
