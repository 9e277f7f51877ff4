"""Served snapshots on disk: the scored site table written at score time, memory-mapped by the API.

At a million sites, reading ``site JOIN site_raw`` and evaluating every profile takes the API
seconds (8.8 s idle, 17.8 s busy) and 440 MB per process. So ``sitefinder score`` writes, next
to the database, what the API serves from: per site its id, kind, gemeente, vacancy and
lon/lat (WGS84), and per profile the value matrices of ``engine.Evaluation`` (values, present,
excluding, and the float32 ``filled``/``present_f`` the re-rank multiplies) with what a first
re-rank would derive from them over every site (the exclusions, the presence patterns), each
one ``.npy`` file. A fresh API process maps them into memory (``numpy.load(mmap_mode="r")``):
it answers at once, and every process on the machine shares the same pages of the page cache.

A snapshot is keyed by the scoring version (``TableKey``: ``scoring_state.version`` and
``computed_at``, and the newest load of a site layer) and by a ``fingerprint`` of the
catalogue and the profiles; the API uses it only when both match what the database and the
code say now, else it loads the table from the database as before (the fallback). Files live
under ``Settings.snapshot_dir`` (default ``<cache_dir>/snapshots``), one folder per database,
and are replaced atomically (written to a temporary folder, then renamed); older versions of
the same database are removed after a new one is written (a process that still maps one keeps
its pages: Linux frees them when the last mapping goes).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import urllib.parse
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

from layers import catalogue as layer_catalogue
from sitefinder.core.settings import Settings
from sitefinder.scoring.base import NDArray
from sitefinder.scoring.criteria import catalogue, raw_columns
from sitefinder.scoring.engine import Coded, Evaluation, SiteTable
from sitefinder.scoring.profile import load_profile, profile_names

FORMAT = 3  # bump when the files change (2: ``filled`` column-major; 3: the exclusions and
# presence patterns too)
ARRAYS = ("values", "present", "excluding", "filled", "present_f")
# what an evaluation derives from them over every site on first use (``Evaluation.excluded``,
# ``Evaluation.patterns``: a sort of a million keys), written too: a fresh API process's first
# re-rank does not compute them
DERIVED = ("excluded", "pattern", "pattern_rows")


@dataclass(frozen=True)
class TableKey:
    """What decides whether the served site table is current: the scoring version (and when
    it was computed: a recreated database starts again at version 1) and the newest load of a
    site layer."""

    version: int
    computed_at: str
    sites_run: int

    def folder(self) -> str:
        stamp = hashlib.sha256(self.computed_at.encode()).hexdigest()[:10]
        return f"v{self.version}-s{self.sites_run}-{stamp}"


def site_layers() -> list[str]:
    return sorted(name for name, layer in layer_catalogue().items() if layer.kind == "site")


def table_key(conn: psycopg.Connection[Any]) -> TableKey:
    """The ``TableKey`` the database holds now (one small query)."""
    row = conn.execute(
        "SELECT (SELECT coalesce(max(version), 0) FROM scoring_state) AS scored,"
        " (SELECT coalesce(max(computed_at)::text, '') FROM scoring_state) AS computed_at,"
        " (SELECT coalesce(max(id), 0) FROM etl_run WHERE status = 'ok' AND layer = ANY(%s))"
        " AS sites",
        (site_layers(),),
    ).fetchone()
    if row is None:
        return TableKey(0, "", 0)
    return TableKey(int(row["scored"]), str(row["computed_at"]), int(row["sites"]))


def fingerprint() -> str:
    """The catalogue's criteria and raw columns and the profiles' files: a snapshot written
    under other ones is stale."""
    digest = hashlib.sha256(f"format {FORMAT}\n".encode())
    digest.update(json.dumps(list(catalogue())).encode())
    digest.update(json.dumps([(c.name, c.type) for c in raw_columns()]).encode())
    folder = resources.files("sitefinder.scoring") / "profiles"
    for name in profile_names():
        digest.update(name.encode())
        digest.update((folder / f"{name}.toml").read_bytes())
    return digest.hexdigest()


def database_dir(settings: Settings) -> Path:
    """The snapshot folder of ``settings``' database (host, port and database name)."""
    root = settings.snapshot_dir or settings.cache_dir / "snapshots"
    url = urllib.parse.urlsplit(settings.database_url)
    where = f"{url.hostname}:{url.port}/{url.path.lstrip('/')}"
    name = url.path.lstrip("/") or "db"
    return Path(root) / f"{name}-{hashlib.sha256(where.encode()).hexdigest()[:12]}"


def _meta(key: TableKey) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "key": [key.version, key.computed_at, key.sites_run],
        "fingerprint": fingerprint(),
    }


def write(folder: Path, table: SiteTable, key: TableKey) -> Path:
    """Write ``table`` (loaded from the database, ``SiteTable.load``) with the evaluation of
    every profile as the snapshot of ``key`` under ``folder``; returns its path. Older
    snapshots in ``folder`` are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / key.folder()
    tmp = folder / f".tmp-{key.folder()}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    ids = np.char.encode(np.asarray(table.ids, dtype=str), "utf-8")
    order = np.argsort(ids, kind="stable")
    arrays: dict[str, NDArray] = {
        "ids": ids,
        "sorted_ids": ids[order],
        "id_order": order.astype(np.int64),
        "lon": np.asarray(table.lon, dtype=np.float64),
        "lat": np.asarray(table.lat, dtype=np.float64),
    }
    categories: dict[str, list[str]] = {}
    for name in ("kind", "gemeente", "vacancy"):
        column: Coded = getattr(table, name)
        arrays[name] = np.asarray(column.codes)
        categories[name] = [str(c) for c in column.categories]
    profiles = profile_names()
    criteria = list(catalogue())
    for profile in profiles:
        evaluation = table.evaluation(load_profile(profile))
        for field in ARRAYS:
            array = getattr(evaluation, field)
            # ``filled`` is column-major (``Evaluation``): kept so, the file says its order
            contiguous = array.flags.c_contiguous or array.flags.f_contiguous
            arrays[f"{profile}.{field}"] = array if contiguous else np.ascontiguousarray(array)
        derived = (evaluation.excluded, *evaluation.patterns)
        for field, array in zip(DERIVED, derived, strict=True):
            arrays[f"{profile}.{field}"] = np.ascontiguousarray(array)
        criteria = evaluation.names
    for name, array in arrays.items():
        np.save(tmp / f"{name}.npy", array, allow_pickle=False)
    meta = {**_meta(key), "n": len(table), "categories": categories, "profiles": profiles}
    meta["criteria"] = criteria
    (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    for other in folder.iterdir():
        if other != target and other.is_dir() and not other.name.startswith(".tmp-"):
            shutil.rmtree(other, ignore_errors=True)
    return target


def current(folder: Path, key: TableKey) -> Path | None:
    """The snapshot of ``key`` in ``folder`` when it is there and current, else None."""
    path = folder / key.folder()
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return (
        path if {k: meta.get(k) for k in ("format", "key", "fingerprint")} == _meta(key) else None
    )


def open_table(folder: Path, key: TableKey) -> SiteTable | None:
    """The site table of snapshot ``key``, memory-mapped; None when there is none that is
    current (the caller then loads the table from the database)."""
    path = current(folder, key)
    if path is None:
        return None
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))

    def load(name: str) -> NDArray:
        # a plain ndarray over the mapping (np.memmap's subclass hooks cost in every product)
        array: NDArray = np.asarray(np.load(path / f"{name}.npy", mmap_mode="r"))
        return array

    try:
        cats = {
            name: Coded(load(name), tuple(values)) for name, values in meta["categories"].items()
        }
        table = SiteTable(
            version=key.version,
            ids=load("ids"),
            index=None,
            kind=cats["kind"],
            gemeente=cats["gemeente"],
            vacancy=cats["vacancy"],
            lon=load("lon"),
            lat=load("lat"),
            raw=None,
            _cache={},
            sorted_ids=load("sorted_ids"),
            id_order=load("id_order"),
        )
        for profile in meta["profiles"]:
            parts = {array: load(f"{profile}.{array}") for array in ARRAYS}
            excluded, pattern, rows = (load(f"{profile}.{field}") for field in DERIVED)
            table._cache[(profile, *catalogue())] = Evaluation.from_arrays(
                list(meta["criteria"]), **parts, excluded=excluded, patterns=(pattern, rows)
            )
    except (OSError, ValueError, KeyError):
        return None  # removed or cut short under us: the database has it
    return table
