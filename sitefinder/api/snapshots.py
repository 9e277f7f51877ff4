"""The API's read side in memory: the scored site table and the criterion layers.

Both are loaded before the app serves (the layers take seconds: they are prepared for the
spatial queries), then replaced whole, by a background thread, when their data changed (it
looks every :data:`POLL_S` seconds); a request uses the snapshot that is current when it
starts and never waits for a load (only when the database was down at start: the first
requests then wait for the background thread, at most :data:`LAYERS_WAIT_S` for the layers).
When the site table can be memory-mapped from the snapshot ``sitefinder score`` wrote
(``sitefinder.scoring.snapshot``: at a million sites in a fraction of a second instead of
seconds), the app serves at once and the background thread loads the layers
:data:`LAYERS_START_DELAY_S` later, so that the first requests do not share the process with
that work; a ``POST /api/score`` meanwhile starts the load at once and waits for it (at most
:data:`LAYERS_START_WAIT_S`).

* **The site table** (:class:`sitefinder.scoring.engine.SiteTable`: every site with its raw
  criteria, ``site JOIN site_raw``) is reloaded when ``sitefinder score`` has run (the version
  in ``scoring_state``) *or* a site layer was loaded (its newest ``etl_run``). After a site
  layer load without rescoring the table therefore holds the sites that still exist with
  their last scores (new sites appear once scored), and never a site whose row is gone: the
  list and the detail stay consistent (``sitefinder etl run`` rescores itself; see
  :func:`sitefinder.pipeline.load_layers`).
* **The criterion layers** (:class:`sitefinder.scoring.spatial.Layers`, what ``POST
  /api/score`` scores against) are reloaded when one of them was loaded.
* **The site tiles' index** (``sitefinder.api.mvt.SiteTileIndex``: the sites sorted by Web
  Mercator x, a few tenths of a second at a million sites) and the default profile's tile
  values (``mvt.ProfileTiles``, a second or more) are built with each new site table, before it
  is served, so that the map's first site tiles do not wait for them; at start by the
  background thread instead, with the layers (:data:`LAYERS_START_DELAY_S` after a mapped
  table is served, at once after a loaded one): the first ``GET /api/sites`` of a fresh process
  neither waits for them nor shares the process with them; a site tile before then builds them
  itself.
* **The layers' versions** (their last successful ETL run), looked up with every poll: a layer
  tile's ETag is keyed on them without a query per tile.
* **The health body** (counts per layer, scored sites) is counted again only when a load or a
  scoring has run since: ``/api/health`` itself then costs one small query, so that it answers
  at once even when every worker is busy.

A load runs with the statement timeout lifted (it reads every site: seconds at national
scale), in one read-only transaction, so it sees one state of the database.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import psycopg

from sitefinder.api import mvt, queries
from sitefinder.core.errors import ServiceBusyError
from sitefinder.scoring import load_profile, snapshot
from sitefinder.scoring.compute import load_layers
from sitefinder.scoring.criteria import layer_names
from sitefinder.scoring.engine import SiteTable
from sitefinder.scoring.spatial import Layers

logger = logging.getLogger("sitefinder.api")

POLL_S = 1.0  # how often the background thread looks for new data (seconds)
LAYERS_WAIT_S = 1.0  # how long a request waits for a first load of the layers (then 503)
# ... while that first load is under way (started from a mapped site table, the list is served
# while the layers still load): as long as a start took before, at most this long
LAYERS_START_WAIT_S = 120.0
# ... and begins this long after start (seconds of work that holds the GIL, beside the first
# requests: it doubled the first GET /api/sites of a fresh process), unless a request needs the
# layers sooner (then at once)
LAYERS_START_DELAY_S = 3.0
Connect = Callable[[], AbstractContextManager[psycopg.Connection[Any]]]


def table_key(conn: psycopg.Connection[Any]) -> snapshot.TableKey:
    """(scoring version and when, newest load of a site layer): changes when the site table
    must."""
    return snapshot.table_key(conn)


class Snapshots:
    """The current site table and criterion layers (see the module docstring)."""

    def __init__(self, folder: Path | None = None, tile_profile: str | None = None) -> None:
        self._folder = folder  # the database's served snapshots (``scoring.snapshot``)
        self._tile_profile = tile_profile  # whose site tile values are built ahead (or none)
        self._table: SiteTable | None = None
        self._table_key: snapshot.TableKey | None = None
        self.mapped = False  # whether the current table is memory-mapped from a snapshot
        self._layers: Layers | None = None
        self._layers_key: int | None = None
        self._layers_ready = threading.Event()
        self._layers_loading = threading.Event()  # the first load of the layers is under way
        self._layers_wanted = threading.Event()  # a request waits for them: load them now
        self._health: tuple[tuple[int, int], dict[str, Any]] | None = None
        self._layer_versions: dict[str, int] | None = None
        self._loading = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def key(self) -> snapshot.TableKey | None:
        """The version of the current site table (scoring version, newest site layer load):
        what a cached answer built from it (a vector tile's ETag) is keyed on."""
        return self._table_key

    @property
    def loaded_table(self) -> SiteTable | None:
        """The current site table, None before the first load (no database needed)."""
        return self._table

    def table(self, conn: psycopg.Connection[Any]) -> SiteTable:
        """The current site table (loaded now only if there is none yet)."""
        if self._table is None:
            self.refresh(conn, layers=False)
        assert self._table is not None
        return self._table

    def layers(self, conn: psycopg.Connection[Any]) -> Layers:
        """The current criterion layers; until the first load is done (seconds after start),
        wait for it."""
        self._layers_wanted.set()
        wait = LAYERS_START_WAIT_S if self._layers_loading.is_set() else LAYERS_WAIT_S
        if self._layers is None and not self._layers_ready.wait(wait):
            raise ServiceBusyError("the server is still loading its data; try again shortly")
        assert self._layers is not None
        return self._layers

    def layer_version(self, conn: psycopg.Connection[Any], name: str) -> int:
        """The layer's last successful ETL run as of the last look (at most :data:`POLL_S`
        old: what a layer tile's ETag is keyed on, without a query per tile)."""
        versions = self._layer_versions
        if versions is None:
            return queries.scoring_data_version(conn, [name])
        return versions.get(name, 0)

    def health(self, conn: psycopg.Connection[Any]) -> dict[str, Any]:
        """``queries.health``, counted again only when a load or a scoring has run since."""
        row = conn.execute(
            "SELECT (SELECT coalesce(max(id), 0) FROM etl_run) AS runs,"
            " (SELECT coalesce(max(version), 0) FROM scoring_state) AS scored"
        ).fetchone()
        key = (int(row["runs"]), int(row["scored"])) if row else (0, 0)
        cached = self._health
        if cached is None or cached[0] != key:
            cached = (key, queries.health(conn))
            self._health = cached
        return cached[1]

    def refresh(self, conn: psycopg.Connection[Any], *, layers: bool = True) -> None:
        """Load what changed since the last load (the layers only with ``layers``), in one
        read-only transaction."""
        with self._loading, conn.transaction():
            conn.execute("SET LOCAL statement_timeout = 0")
            conn.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
            key = table_key(conn)
            if self._table is None or key != self._table_key:
                mapped = None if self._folder is None else snapshot.open_table(self._folder, key)
                table = mapped if mapped is not None else SiteTable.load(conn, version=key.version)
                if self._table is not None:  # a reload: the site tiles' index and values
                    self._build_tile_values(mvt.site_index(table))  # before it is served
                self._table, self._table_key, self.mapped = table, key, mapped is not None
                if mapped is None:
                    # a million rows of Python objects: keep full collections from walking them
                    gc.collect()
                    gc.freeze()
            versions = queries.layer_versions(conn)
            self._layer_versions = versions
            if not layers:
                return
            version = max((versions.get(name, 0) for name in layer_names()), default=0)
            if self._layers is None or version != self._layers_key:
                if self._layers is None:
                    self._layers_loading.set()
                try:
                    self._layers, self._layers_key = load_layers(conn), version
                finally:
                    self._layers_loading.clear()
                self._layers_ready.set()
                # hundreds of thousands of geometries and ids: keep full collections (pauses
                # in every request) from walking them, as for the site table
                gc.collect()
                gc.freeze()

    def start(self, connect: Connect) -> None:
        """Load both now (if the database is there), then every :data:`POLL_S` seconds what
        changed, in a daemon thread, each time over ``connect()``."""
        try:
            with connect() as conn:
                # the site table now (memory-mapped from its snapshot: at once); the layers,
                # which only POST /api/score needs, too unless the table could be mapped: then
                # the background thread loads them while the list is already served
                self.refresh(conn, layers=not self.mapped_available(conn))
        except Exception:
            logger.warning("the API's data could not be loaded at start; retrying", exc_info=True)

        if self._layers is None and self._table is not None:
            self._layers_loading.set()  # the thread below loads them first thing

        def loop() -> None:
            failing = False
            if self._layers is None and self._table is not None:  # serving from the mapped
                # table: the layers after the first requests (or when one needs them)
                self._layers_wanted.wait(LAYERS_START_DELAY_S)
            if self._table is not None:  # the first table's tile index and values, likewise
                # (off the first answers; a site tile before then builds them)
                self._build_tile_values(mvt.site_index(self._table))
            while not self._stop.is_set():
                try:
                    with connect() as conn:
                        self.refresh(conn)
                    failing = False
                except Exception:  # the database may be down: keep serving, try again
                    if not failing:
                        logger.warning("refreshing the API's data failed", exc_info=True)
                    failing = True
                self._stop.wait(POLL_S)

        self._thread = threading.Thread(target=loop, name="sitefinder-snapshots", daemon=True)
        self._thread.start()

    def _build_tile_values(self, index: mvt.SiteTileIndex) -> None:
        """The default profile's site tile values (``mvt.ProfileTiles``), ahead of a tile."""
        if self._tile_profile is None:
            return
        try:
            index.profile(load_profile(self._tile_profile))
        except Exception:  # a tile builds them itself then (and says what is wrong)
            logger.warning("building the site tiles' values failed", exc_info=True)

    def mapped_available(self, conn: psycopg.Connection[Any]) -> bool:
        """Whether a current snapshot of the site table is on disk (``scoring.snapshot``)."""
        if self._folder is None:
            return False
        return snapshot.current(self._folder, table_key(conn)) is not None

    def stop(self) -> None:
        self._stop.set()
        self._layers_wanted.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
