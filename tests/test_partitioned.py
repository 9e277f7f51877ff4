"""The criteria partitioned by gemeente (sitefinder/scoring/partitioned.py) give exactly what the
single-process run gives, also where the answer lies far outside a partition's neighbourhood;
in memory, no database (the Dask run itself: tests/test_bench_smoke.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from sitefinder.core.settings import Settings
from sitefinder.scoring.compute import raw_criteria
from sitefinder.scoring.partitioned import (
    WHOLE_BELOW,
    InMemory,
    compute_partition,
    partition,
    raw_criteria_partitioned,
    same_frames,
    site_gemeenten,
)
from sitefinder.scoring.spatial import NL_BOX, LayerIndex, Layers, Sites

# RD New (EPSG:28992) metres: two gemeenten side by side, 20 km each
WEST = shapely.box(100_000, 400_000, 120_000, 420_000)
EAST = shapely.box(120_000, 400_000, 140_000, 420_000)


def _index(name: str, geoms: list[shapely.Geometry], categories: list[str]) -> LayerIndex:
    n = len(geoms)
    return LayerIndex(
        name,
        np.array([f"{name}:{i}" for i in range(n)], dtype=object),
        np.array([f"SYNTHETISCH {name} {i}" for i in range(n)], dtype=object),
        np.array(categories, dtype=object),
        np.array(geoms, dtype=object),
        {"departures_per_hour": np.linspace(1.0, 9.0, n)},
        {},
    )


def _layers(rng: np.random.Generator) -> Layers:
    stops = [
        shapely.Point(x, y) for x, y in rng.uniform([100_500, 400_500], [139_500, 419_500], (60, 2))
    ]
    # one station far to the east of everything: every site's nearest station is 30+ km away
    stops.append(shapely.Point(175_000, 410_000))
    categories = ["bus"] * 60 + ["rail"]
    care = [
        shapely.Point(x, y) for x, y in rng.uniform([100_000, 400_000], [140_000, 420_000], (40, 2))
    ]
    gemeenten = _index("gemeenten", [WEST, EAST], ["GM0001", "GM0002"])
    return Layers(
        indexes={
            ("gemeenten", True): gemeenten,
            ("stops", False): _index("stops", stops, categories),
            ("care", False): _index("care", care, ["general_practice"] * 40),
        },
        coverage={"gemeenten": NL_BOX, "stops": NL_BOX, "care": NL_BOX},
    )


def _sites(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    xy = rng.uniform([100_000, 400_000], [140_000, 420_000], (400, 2))
    points = list(shapely.points(xy))
    # plots (polygons) straddling the border between the two gemeenten
    points += [
        shapely.box(119_950 + i, 410_000 + 3 * i, 120_050 + i, 410_060 + 3 * i) for i in range(20)
    ]
    places = np.where(rng.random(len(points)) < 0.5, 10.0, np.nan)
    return np.array(points, dtype=object), places


def test_partitions_are_whole_gemeenten() -> None:
    rng = np.random.default_rng(1)
    layers = _layers(rng)
    geoms, places = _sites(rng)
    sites = Sites(geoms, places)
    codes = site_gemeenten(layers, sites)
    parts = partition(sites, codes, 2)
    assert [p.gemeenten for p in parts] == [("GM0001",), ("GM0002",)]
    assert sorted(np.concatenate([p.rows for p in parts])) == list(range(len(geoms)))
    for p in parts:
        assert set(codes[p.rows]) == set(p.gemeenten)


def test_partitioned_equals_single_process_even_far_beyond_the_buffer() -> None:
    rng = np.random.default_rng(2)
    layers = _layers(rng)
    geoms, places = _sites(rng)
    single = raw_criteria(layers, geoms, places)
    assert single["stop_rail_m"].min() > 30_000  # the answer lies far outside every buffer
    # whole_below=0: every layer clipped, the far station found in the further rounds; by
    # default these small layers go whole to every partition
    for buffer_m, whole_below in ((1_000.0, 0), (5_000.0, 0), (1_000.0, WHOLE_BELOW)):
        parted = raw_criteria_partitioned(
            layers, geoms, places, partitions=2, buffer_m=buffer_m, whole_below=whole_below
        )
        assert same_frames(single, parted) == []
    # one neighbourhood alone would be wrong: the far station is not in it
    clipped = raw_criteria(
        layers.clip(shapely.box(99_000, 399_000, 141_000, 421_000)), geoms, places
    )
    assert "stop_rail_m" in same_frames(single, clipped)
    assert same_frames(single, compute_partition(InMemory(layers, 0), geoms, places, 1_000.0)) == []


def test_same_frames_names_what_differs() -> None:
    a = pd.DataFrame({"m": [1.0, np.nan], "ids": [["x"], None], "n": [1, 2]})
    b = a.copy()
    assert same_frames(a, b) == []
    b.loc[1, "m"] = 2.0
    b.at[0, "ids"] = ["y"]
    assert same_frames(a, b) == ["m", "ids"]


def test_score_on_a_local_dask_cluster_writes_the_same_site_raw(demo_copy: Settings) -> None:
    """``sitefinder score --full --dask local``: site_raw as the single process writes it."""
    from sitefinder.core import db
    from sitefinder.scoring import score_all, store

    with db.connection(demo_copy) as conn:
        score_all(conn, full=True)
        single = store.read(conn)
        score_all(conn, full=True, dask="local", workers=2)
        parted = store.read(conn)
    assert len(single) > 1000
    assert same_frames(single, parted) == []
