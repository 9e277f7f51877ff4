"""Served snapshots (sitefinder/scoring/snapshot.py): written at score time, memory-mapped by the
API, giving exactly what the table loaded from the database gives; stale or missing -> the
database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from sitefinder.api import create_app, queries
from sitefinder.api.snapshots import Snapshots
from sitefinder.core import db
from sitefinder.core.settings import Settings
from sitefinder.scoring import load_profile, profile_names
from sitefinder.scoring import snapshot as snap
from sitefinder.scoring.engine import SiteTable


@pytest.fixture(scope="module")
def tables(demo_settings: Settings) -> Iterator[tuple[SiteTable, SiteTable]]:
    """(from the database, memory-mapped from the snapshot the demo's scoring wrote)."""
    with db.connection(demo_settings) as conn:
        key = snap.table_key(conn)
        loaded = SiteTable.load(conn, version=key.version)
    mapped = snap.open_table(snap.database_dir(demo_settings), key)
    assert mapped is not None, "the demo's scoring wrote no current snapshot"
    yield loaded, mapped


def _plain(collection: dict[str, Any]) -> str:
    return json.dumps(collection, sort_keys=True, default=str)


def test_scoring_writes_a_current_snapshot(demo_settings: Settings) -> None:
    with db.connection(demo_settings) as conn:
        key = snap.table_key(conn)
    path = snap.current(snap.database_dir(demo_settings), key)
    assert path is not None
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    assert meta["profiles"] == profile_names()
    assert isinstance(np.load(path / "ids.npy", mmap_mode="r"), np.memmap)


def test_mapped_table_lists_what_the_loaded_table_lists(
    demo_settings: Settings, tables: tuple[SiteTable, SiteTable]
) -> None:
    loaded, mapped = tables
    assert len(mapped) == len(loaded)
    assert mapped.site_ids(range(len(mapped))) == [str(i) for i in loaded.ids]
    assert mapped.raw is None and isinstance(mapped.lon.base, np.memmap)
    gemeente = str(loaded.gemeente[0])
    with db.connection(demo_settings) as conn:
        for name in profile_names():
            profile = load_profile(name)
            for extra in (
                {},
                {"weights": {"transit": 0.7, "care_distance": 0.2, "size": 0.1}},
                {"gemeente": gemeente, "rank_by": "score"},
                {"include_excluded": True, "min_completeness": 0.5},
            ):
                q = queries.SiteQuery(profile, extra.pop("weights", profile.weights), **extra)
                a = queries.list_sites(conn, loaded, q)
                b = queries.list_sites(conn, mapped, q)
                assert a["features"], (name, extra)
                assert _plain(a) == _plain(b), (name, extra)


def test_mapped_table_holds_what_a_first_rerank_would_compute(
    tables: tuple[SiteTable, SiteTable],
) -> None:
    """The exclusions and presence patterns of every profile come mapped from the snapshot
    (``snapshot.DERIVED``), equal to those the loaded table computes on its first use."""
    loaded, mapped = tables
    for name in profile_names():
        profile = load_profile(name)
        a, b = loaded.evaluation(profile), mapped.evaluation(profile)
        assert {"excluded", "patterns"} <= set(vars(b)), name  # there before any use
        assert isinstance(b.excluded.base, np.memmap)
        assert np.array_equal(a.excluded, b.excluded)
        assert np.array_equal(a.excluded_rows, b.excluded_rows)
        for computed, held in zip(a.patterns, b.patterns, strict=True):
            assert computed.dtype == held.dtype and np.array_equal(computed, held), name


def test_list_points_are_what_postgis_gives(
    demo_settings: Settings, tables: tuple[SiteTable, SiteTable]
) -> None:
    """The list's geometry comes from the table (``queries.point_geojson``): for every site
    exactly the GeoJSON PostGIS writes of its point on surface (WGS84, 6 decimals)."""
    loaded, mapped = tables
    with db.connection(demo_settings) as conn:
        rows = conn.execute(
            "SELECT id, "
            + queries.GEOJSON_4326.format(geom="ST_PointOnSurface(geom)")
            + " AS geometry FROM site"
        ).fetchall()
    postgis = {row["id"]: row["geometry"] for row in rows}
    assert len(postgis) == len(loaded) > 100
    for table in (loaded, mapped):
        for i, site_id in enumerate(table.site_ids(range(len(table)))):
            ours = queries.point_geojson(float(table.lon[i]), float(table.lat[i]))
            assert json.dumps(ours) == json.dumps(postgis[site_id]), site_id


def test_mapped_table_explains_a_site_as_the_loaded_one(
    demo_settings: Settings, tables: tuple[SiteTable, SiteTable]
) -> None:
    loaded, mapped = tables
    profile = load_profile("standaard")
    q = queries.SiteQuery(profile, profile.weights)
    with db.connection(demo_settings) as conn:
        for i in (0, len(loaded) // 2, len(loaded) - 1):
            site_id = str(loaded.ids[i])
            assert mapped.position(site_id) == i
            a = queries.get_site(conn, loaded, site_id, q)
            b = queries.get_site(conn, mapped, site_id, q)
            assert a is not None and _plain(a) == _plain(b)
    assert mapped.position("offices:no-such-site") is None
    assert mapped.position("x" * 500) is None


def test_stale_or_damaged_snapshot_is_not_used(demo_settings: Settings, tmp_path: Path) -> None:
    with db.connection(demo_settings) as conn:
        key = snap.table_key(conn)
        table = SiteTable.load(conn, version=key.version)
    path = snap.write(tmp_path, table, key)
    assert snap.open_table(tmp_path, key) is not None
    newer = snap.TableKey(key.version + 1, key.computed_at, key.sites_run)
    assert snap.open_table(tmp_path, newer) is None  # scored again since
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    (path / "meta.json").write_text(json.dumps({**meta, "fingerprint": "other"}), "utf-8")
    assert snap.open_table(tmp_path, key) is None  # other criteria or profiles
    (path / "meta.json").write_text(json.dumps(meta), "utf-8")
    (path / "standaard.filled.npy").unlink()
    assert snap.open_table(tmp_path, key) is None  # cut short
    # a new snapshot replaces the older ones of the database
    snap.write(tmp_path, table, newer)
    assert [p.name for p in tmp_path.iterdir()] == [newer.folder()]


def test_api_serves_from_the_snapshot_and_falls_back(
    demo_settings: Settings, tmp_path: Path
) -> None:
    with TestClient(create_app(demo_settings)) as client:
        assert client.app.state.engine.mapped  # type: ignore[attr-defined]
        body = client.get("/api/sites", params={"limit": 5}).json()
        assert len(body["features"]) == 5
        first = body["features"][0]["id"]
        detail = client.get(f"/api/sites/{first}").json()
        assert detail["properties"]["breakdown"]
    # no snapshot in the folder: the table comes from the database, with the same answer
    engine = Snapshots(tmp_path / "empty")
    with db.connection(demo_settings) as conn:
        engine.refresh(conn, layers=False)
        assert not engine.mapped
        table = engine.table(conn)
        profile = load_profile("standaard")
        page = queries.list_sites(conn, table, queries.SiteQuery(profile, profile.weights))
    assert [f["id"] for f in page["features"][:5]] == [f["id"] for f in body["features"]]
