"""Test fixtures on a real PostGIS: a throw-away database per test session, never a mock.

The server is the local PostgreSQL (or the one in ``SITEFINDER_TEST_ADMIN_URL``); each session
migrates one ``sitefinder_test_<random>`` database and copies it (as a template) for every module
that asks for an empty one and for the demo database; every database is dropped at the end.
"""

from __future__ import annotations

import os
import queue
import secrets
import shutil
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


class Drops:
    """Drops the session's databases (and their snapshot folders) in a background thread.
    ``DROP DATABASE`` waits for a cluster-wide checkpoint (seconds when the server has written
    much), which need not hold up the next test module; :meth:`finish` waits for every drop and
    raises the first failure."""

    def __init__(self) -> None:
        self.queue: queue.Queue[Settings | None] = queue.Queue()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, name="drop-databases", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        from sitefinder.scoring.snapshot import database_dir

        while (settings := self.queue.get()) is not None:
            try:
                db.drop_database(settings)
                # scoring wrote the served snapshot of the database under ~/.cache/sitefinder
                shutil.rmtree(database_dir(settings), ignore_errors=True)
            except BaseException as exc:  # raised again in finish()
                self.errors.append(exc)

    def drop(self, settings: Settings) -> None:
        self.queue.put(settings)

    def finish(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.errors:
            raise self.errors[0]


@pytest.fixture(scope="session")
def drops() -> Iterator[Drops]:
    drops = Drops()
    yield drops
    drops.finish()


def _dbname(settings: Settings) -> str:
    return str(conninfo_to_dict(settings.database_url)["dbname"])


def _clone(source: Settings) -> Settings:
    """A new database copied from ``source`` (CREATE DATABASE ... TEMPLATE: a fraction of a
    second, where migrating takes seconds), with its own API roles as ``db.init_database`` sets
    them up (roles and database grants are not copied with a template)."""
    copy = _fresh_settings()
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        for attempt in range(50):  # a closing pool of another module may still be connected
            try:
                admin.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(_dbname(copy)), sql.Identifier(_dbname(source))
                    )
                )
                break
            except psycopg.errors.ObjectInUse:
                if attempt == 49:
                    raise
                time.sleep(0.1)
    db.setup_api_role(copy)
    return copy


@pytest.fixture(scope="session")
def migrated(drops: Drops) -> Iterator[Settings]:
    """One migrated, empty database per session, without API roles: the template of every
    module's ``settings`` and of the demo database. Nothing connects to it after migrating."""
    settings = _fresh_settings()
    try:
        db.ensure_database(settings)
        db.migrate(settings)
        yield settings
    finally:
        drops.drop(settings)


@pytest.fixture(scope="module")
def settings(migrated: Settings, drops: Drops) -> Iterator[Settings]:
    """A freshly migrated, empty database for one test module (a copy of ``migrated``: the same
    as ``db.init_database`` on a new database)."""
    settings = _clone(migrated)
    try:
        yield settings
    finally:
        drops.drop(settings)


@pytest.fixture
def conn(settings: Settings) -> Iterator[psycopg.Connection[Any]]:
    with db.connection(settings) as connection:
        yield connection


@pytest.fixture(scope="session")
def demo_settings(migrated: Settings, drops: Drops) -> Iterator[Settings]:
    """One database with the whole demo region loaded and scored (shared by API/browser tests)."""
    from sitefinder.pipeline import load_and_score

    settings = _clone(migrated)
    try:
        load_and_score(settings, progress=False)
        yield settings
    finally:
        drops.drop(settings)


@pytest.fixture(scope="module")
def demo_copy(demo_settings: Settings, drops: Drops) -> Iterator[Settings]:
    """A copy of the demo database for one test module that writes (accounts, flags), so the
    shared demo database stays as loaded. PostgreSQL copies it from the template in a moment."""
    copy = _clone(demo_settings)
    try:
        yield copy
    finally:
        drops.drop(copy)


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
