"""The one database access module: connections, the pool, creating the database, migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from sitefinder.core.errors import DatabaseUnavailableError
from sitefinder.core.settings import Settings, get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _configure(conn: psycopg.Connection[Any]) -> None:
    """Per-connection set-up, in one place.

    Connections are in autocommit mode: every unit of work that must be atomic is wrapped in an
    explicit ``with conn.transaction():`` block, so no work is left in an implicit transaction.
    """
    conn.autocommit = True
    conn.execute("SET TIME ZONE 'UTC'")


def connect(settings: Settings | None = None, **kwargs: Any) -> psycopg.Connection[Any]:
    settings = settings or get_settings()
    try:
        conn = psycopg.connect(settings.database_url, row_factory=dict_row, **kwargs)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailableError(
            f"Cannot reach the database at {redact(settings.database_url)}: "
            f"{str(exc).strip().splitlines()[0]}"
        ) from exc
    _configure(conn)
    return conn


@contextmanager
def connection(settings: Settings | None = None) -> Iterator[psycopg.Connection[Any]]:
    conn = connect(settings)
    try:
        yield conn
    finally:
        conn.close()


def make_pool(settings: Settings) -> ConnectionPool:
    return ConnectionPool(
        settings.database_url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        kwargs={"row_factory": dict_row},
        configure=_configure,
        open=True,
    )


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    params = conninfo_to_dict(url)
    if "password" in params:
        params["password"] = "***"  # noqa: S105 - a mask, not a secret
    return make_conninfo("", **params)


def ensure_database(settings: Settings | None = None) -> bool:
    """Create the database named in the URL when it is missing; return True when created."""
    settings = settings or get_settings()
    params = conninfo_to_dict(settings.database_url)
    dbname = str(params.get("dbname") or "postgres")
    admin = make_conninfo(settings.database_url, dbname="postgres")
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)
            ).fetchone()
            if exists:
                return False
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
            return True
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailableError(
            f"Cannot reach PostgreSQL at {redact(admin)}: {str(exc).strip().splitlines()[0]}"
        ) from exc


def drop_database(settings: Settings) -> None:
    dbname = str(conninfo_to_dict(settings.database_url).get("dbname"))
    admin = make_conninfo(settings.database_url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
        )


def migrate(settings: Settings | None = None) -> None:
    """Bring the schema to the newest Alembic revision (creates PostGIS first)."""
    from alembic import command
    from alembic.config import Config

    settings = settings or get_settings()
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", settings.sqlalchemy_url.replace("%", "%%"))
    command.upgrade(cfg, "head")


def init_database(settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    ensure_database(settings)
    migrate(settings)
