"""All settings in one place, read from the environment with the prefix ``SITEFINDER_``."""

from __future__ import annotations

import os
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/sitefinder`` when that is set, else ``~/.cache/sitefinder``."""
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "sitefinder"


class Settings(BaseSettings):
    """Runtime settings.

    ``database_url`` is a libpq URL (``postgresql://user@host:port/db``); the same URL serves
    psycopg and (with the ``+psycopg`` driver added internally) SQLAlchemy/Alembic.
    """

    model_config = SettingsConfigDict(env_prefix="SITEFINDER_", env_file=".env", extra="ignore")

    database_url: str = "postgresql://postgres@127.0.0.1:5432/sitefinder"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    data_dir: Path = PROJECT_ROOT / "data" / "demo"
    web_dir: Path = PROJECT_ROOT / "web"
    pool_min_size: int = Field(default=1, ge=0)
    pool_max_size: int = Field(default=8, ge=1)
    # The API (sitefinder/api/guard.py, docs/operations.md): at most ``api_concurrency``
    # requests work at once per worker process (each may hold one pooled connection; the pool
    # keeps two more, so /api/health never waits); up to ``api_queue`` more wait, each at most
    # ``api_queue_timeout_s`` seconds, then 503 "busy" with Retry-After. ``api_workers``
    # processes serve (``sitefinder serve``). Every API statement is cancelled after
    # ``api_statement_timeout_ms``; a request waits at most ``api_pool_timeout_s`` for a
    # connection (while the database is down: at once).
    api_concurrency: int = Field(default=4, ge=1, le=64)
    api_queue: int = Field(default=200, ge=0)
    api_queue_timeout_s: float = Field(default=20.0, gt=0)
    api_workers: int = Field(default=1, ge=1, le=16)
    api_statement_timeout_ms: int = Field(default=1500, ge=100)
    api_pool_timeout_s: float = Field(default=0.5, gt=0)
    # The database role the API connects as: read-only (``sitefinder db init`` creates it and
    # grants SELECT). Unset: ``<database>_api``. ``api_database_url`` replaces the whole URL
    # (another host, a pooler); otherwise it is ``database_url`` with this role and
    # ``api_password`` (empty: none, for trust or peer authentication).
    api_role: str | None = None
    api_password: str = ""
    api_database_url: str | None = None
    basemap_url: str = (
        "https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/{z}/{x}/{y}.png"
    )
    basemap_attribution: str = "Kaartgegevens &copy; Kadaster (BRT-Achtergrondkaart)"
    default_profile: str = "standaard"
    api_max_limit: int = Field(default=2000, ge=1)
    # An export (GET /api/sites?f=csv|geojson|gpkg|xlsx) holds at most this many sites; a
    # larger selection is answered 422 (sitefinder/api/siteexport.py).
    api_export_max_sites: int = Field(default=100_000, ge=1)

    # Online sources (etl/http.py, etl/ogcapi.py). Downloads are cached per URL and UTC day in
    # ``cache_dir``; failed requests are retried ``http_attempts`` times in all, waiting
    # ``http_backoff_s`` x 2^n seconds (or the server's Retry-After), never more than
    # ``http_max_delay_s``; ``http_timeout_s`` is the connect/read timeout in seconds.
    cache_dir: Path = Field(default_factory=_default_cache_dir)
    # Served snapshots (sitefinder/scoring/snapshot.py): ``sitefinder score`` writes the scored
    # site table here and the API maps it into memory; unset: ``<cache_dir>/snapshots``.
    snapshot_dir: Path | None = None
    http_attempts: int = Field(default=4, ge=1, le=20)
    http_backoff_s: float = Field(default=1.0, ge=0)
    http_max_delay_s: float = Field(default=120.0, ge=0)
    http_timeout_s: float = Field(default=60.0, gt=0)
    # Features per OGC API Features page (PDOK serves at most 1000).
    ogc_limit: int = Field(default=1000, ge=1, le=10000)
    # URL prefix -> replacement for the online sources the pipelines declare, e.g.
    # SITEFINDER_ONLINE_MIRRORS='{"https://api.pdok.nl": "http://127.0.0.1:8080"}' (a mirror,
    # a proxy, or a test server).
    online_mirrors: dict[str, str] = Field(default_factory=dict)
    # When not empty, the only hosts a download may contact (after the mirrors are applied),
    # e.g. SITEFINDER_HTTP_ALLOWED_HOSTS='["127.0.0.1"]' to make sure nothing leaves the machine.
    http_allowed_hosts: list[str] = Field(default_factory=list)
    # Overpass API (etl/overpass.py): the query's [timeout:N] in seconds (the server stops a
    # query after it); the read timeout of the request is raised to this plus a minute.
    overpass_timeout_s: int = Field(default=180, ge=1, le=3600)
    # ruimtelijkeplannen.nl API v4 (etl/ruimtelijkeplannen.py): the key sent as x-api-key (free,
    # from developer.omgevingswet.overheid.nl, "API-key aanvragen"; without one the zoning layer
    # has no online mode) and the number of plans / plan objects per page.
    ruimtelijkeplannen_api_key: str = ""
    ruimtelijkeplannen_page_size: int = Field(default=100, ge=1, le=100)
    # PDOK download API (etl/pdok_download.py, the BGT custom download): seconds between two
    # status polls, and how long (seconds) to wait in all for the download to be prepared.
    pdok_download_poll_s: float = Field(default=5.0, ge=0)
    pdok_download_timeout_s: float = Field(default=1800.0, gt=0)
    # Archives (etl/archives.py): a zip member may inflate to at most ``etl_max_unzipped_mb``
    # MiB (all members together too) and at most ``etl_max_zip_ratio`` times its compressed
    # size, so that a small archive cannot exhaust memory or disk.
    etl_max_unzipped_mb: int = Field(default=8192, ge=1)
    etl_max_zip_ratio: int = Field(default=200, ge=1)

    # Pipeline options (given to the pipelines by ``etl.get_pipeline``). A change in either is
    # part of the layer's input checksum, so the next run reloads the layer.
    # GTFS (etl/ov_stops.py): the service date (YYYY-MM-DD) whose 07:00-19:00 departures give
    # each stop's departures per hour; unset: the feed's busiest Tuesday.
    gtfs_service_date: date | None = None
    # Constraints (etl/constraints.py): one category for every feature of the loaded file
    # (flood, noise, nnn, external_safety, other, or a Dutch synonym such as 'geluid');
    # unset: each feature's own category column.
    constraint_category: str | None = None
    # Geocoder of addresses (etl/geocoding.py: the schools): "bag" places them on the BAG
    # address files given to the run, offline; "pdok" then asks the PDOK Locatieserver for
    # the rest (online, one request per address, cached per day).
    geocoder: Literal["bag", "pdok"] = "bag"

    # Accounts, sessions and flags (sitefinder/accounts, sitefinder/api/security.py).
    # The role that writes accounts, sessions, flags and the audit trail (and reads the session
    # and password tables): ``<database>_writer``, made by ``sitefinder db init`` with
    # ``write_password`` (empty: none, for trust or peer authentication) and granted only
    # those writes; ``write_database_url`` names another (then db init leaves roles to you).
    write_database_url: str = ""
    write_password: str = ""
    # Session cookie: Secure only over HTTPS (set true behind a TLS proxy); a session ends after
    # ``session_idle_s`` seconds without a request, and ``session_max_s`` after login at most.
    cookie_secure: bool = False
    session_idle_s: int = Field(default=8 * 3600, ge=60)
    session_max_s: int = Field(default=7 * 24 * 3600, ge=60)
    # Login rate limits: at most this many failed logins per account and per client address
    # within ``login_window_s`` seconds; then 429 until the oldest failure leaves the window.
    login_window_s: int = Field(default=15 * 60, ge=1)
    login_max_failures_account: int = Field(default=5, ge=1)
    login_max_failures_address: int = Field(default=20, ge=1)
    password_min_length: int = Field(default=12, ge=8, le=128)
    # Optional single sign-on (OpenID Connect, sitefinder/accounts/oidc.py): the issuer URL
    # (its /.well-known/openid-configuration is read), the client registered there, and the
    # callback URL as registered (empty: <this server>/api/auth/oidc/callback). A user signs in
    # only to an existing, enabled account with the same (verified) e-mail address.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr = SecretStr("")
    oidc_redirect_url: str = ""
    oidc_scopes: str = "openid email profile"
    oidc_title: str = "SSO"

    # Matchmaking alerts (sitefinder/accounts/alerts.py): e-mail through this SMTP server
    # (empty host: no e-mail, the inbox and the Atom feeds only); STARTTLS and a login when
    # given. ``public_url``: this site's address in e-mails and feeds (empty: links are left out).
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "sitefinder@localhost"
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    smtp_timeout_s: float = Field(default=10.0, gt=0)
    public_url: str = ""

    @field_validator("write_database_url")
    @classmethod
    def _libpq_url_or_empty(cls, value: str) -> str:
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("SITEFINDER_WRITE_DATABASE_URL must start with postgresql://")
        return value

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @field_validator("constraint_category", mode="before")
    @classmethod
    def _category_or_unset(cls, value: object) -> object:
        """An empty variable (``SITEFINDER_CONSTRAINT_CATEGORY=``) means: not set."""
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("gtfs_service_date", mode="before")
    @classmethod
    def _iso_date_or_unset(cls, value: object) -> object:
        """``YYYY-MM-DD``; an empty variable means: not set."""
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                f"SITEFINDER_GTFS_SERVICE_DATE={value!r} is not a date (YYYY-MM-DD)"
            ) from None

    @field_validator("database_url")
    @classmethod
    def _libpq_url(cls, value: str) -> str:
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("SITEFINDER_DATABASE_URL must start with postgresql://")
        return value

    @property
    def sqlalchemy_url(self) -> str:
        return "postgresql+psycopg://" + self.database_url.split("://", 1)[1]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
