"""Test fixtures on a real PostGIS: a throw-away database per test session, never a mock.

The server is the local PostgreSQL (or the one in ``SITEFINDER_TEST_ADMIN_URL``); each session
creates ``sitefinder_test_<random>``, migrates it and drops it at the end.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import uvicorn
from fastapi import FastAPI
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from sitefinder.core import db
from sitefinder.core.settings import PROJECT_ROOT, Settings

ADMIN_URL = os.environ.get(
    "SITEFINDER_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
DEMO_DATA = PROJECT_ROOT / "data" / "demo"
OUTPUT_DIR = PROJECT_ROOT / "test-output"


def _fresh_settings() -> Settings:
    name = f"sitefinder_test_{secrets.token_hex(4)}"
    base, _, query = ADMIN_URL.partition("?")
    url = base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")
    return Settings(database_url=url, data_dir=DEMO_DATA)


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR


@pytest.fixture(scope="module")
def settings() -> Iterator[Settings]:
    """A freshly migrated, empty database for one test module."""
    settings = _fresh_settings()
    db.init_database(settings)
    try:
        yield settings
    finally:
        db.drop_database(settings)


@pytest.fixture
def conn(settings: Settings) -> Iterator[psycopg.Connection[Any]]:
    with db.connection(settings) as connection:
        yield connection


@pytest.fixture(scope="session")
def demo_settings() -> Iterator[Settings]:
    """One database with the whole demo region loaded and scored (shared by API/browser tests)."""
    from sitefinder.pipeline import load_and_score

    settings = _fresh_settings()
    db.init_database(settings)
    try:
        load_and_score(settings, progress=False)
        yield settings
    finally:
        db.drop_database(settings)


@pytest.fixture(scope="module")
def demo_copy(demo_settings: Settings) -> Iterator[Settings]:
    """A copy of the demo database for one test module that writes (accounts, flags), so the
    shared demo database stays as loaded. PostgreSQL copies it from the template in a moment."""
    copy = _fresh_settings()
    source = str(conninfo_to_dict(demo_settings.database_url)["dbname"])
    target = str(conninfo_to_dict(copy.database_url)["dbname"])
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        for attempt in range(50):  # a closing pool of another module may still be connected
            try:
                admin.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(target), sql.Identifier(source)
                    )
                )
                break
            except psycopg.errors.ObjectInUse:
                if attempt == 49:
                    raise
                time.sleep(0.1)
    db.setup_api_role(copy)  # the copy's own read-only API role
    try:
        yield copy
    finally:
        db.drop_database(copy)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The app under uvicorn in a thread, on a free port of 127.0.0.1."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
