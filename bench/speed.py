"""The measures of issue 14 for ``bench/scoring_bench.py`` (one ``make bench`` run): CLI start,
a fresh API process's first answer (snapshot mapped vs the database load), the partitioned
criteria on a local Dask cluster against the single-process run (with the equality check),
and the ETL pipeline against ``ogr2ogr -f PostgreSQL`` on the same SYNTHETIC file.

Times are wall-clock seconds (``_s``) or milliseconds (``_ms``); memory MiB. Geometry EPSG:28992
(RD New, metres) unless a name says otherwise; the ETL file is WGS84 (EPSG:4326) as an OSM
export is, and both loaders reproject it to EPSG:28992.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

import geopandas as gpd
import httpx
import numpy as np
import pandas as pd
import psycopg
import pyogrio
import shapely

ROOT = Path(__file__).resolve().parent.parent
SITEFINDER = ROOT / ".venv" / "bin" / "sitefinder"
ETL_LAYER = "supermarkets"  # the pipeline measured (etl/osm_supermarkets.py: a point file)
OGR_TABLE = "bench_ogr2ogr_supermarkets"


def _median(values: list[float]) -> float:
    return float(np.median(values)) if values else float("nan")


# ------------------------------------------------------------------------------------------
# CLI start


def cli_start(runs: int = 7) -> dict[str, Any]:
    """Wall time of ``sitefinder --help`` (a fresh process each time): median and min."""
    command = [str(SITEFINDER), "--help"] if SITEFINDER.exists() else [sys.executable, "-m"]
    if not SITEFINDER.exists():
        command = [sys.executable, "-c", "from sitefinder.cli import main; main(['--help'])"]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, timeout=60)
        times.append(time.perf_counter() - t0)
    return {
        "runs": runs,
        "median_s": round(_median(times), 3),
        "min_s": round(min(times), 3),
    }


# ------------------------------------------------------------------------------------------
# a fresh API process


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _memory(pid: int) -> dict[str, float]:
    """RSS and PSS (the share of pages shared with other processes counted once) in MiB."""
    out = {"rss_mib": float("nan"), "pss_mib": float("nan")}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                out["rss_mib"] = round(int(line.split()[1]) / 1024, 1)
            elif line.startswith("Pss:"):
                out["pss_mib"] = round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return out


SERVE = [sys.executable, "-c", "from sitefinder.cli import main; main(['serve'])"]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used (its own, not its children's): on a busy
    machine a steadier measure of its work than the wall time."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 3)


def fresh_process(
    database_url: str, snapshot_dir: Path, timeout_s: float = 600.0, code: Path | None = None
) -> dict:
    """Start ``sitefinder serve`` in a new process and time its first ``GET /api/sites``:
    from the start of the process (imports included) and from when it listens. ``code``:
    another checkout of the project to run instead of this one (on PYTHONPATH, and the working
    directory: ``python -c`` puts that first on sys.path)."""
    port = _free_port()
    env = {
        **os.environ,
        "SITEFINDER_DATABASE_URL": database_url,
        "SITEFINDER_SNAPSHOT_DIR": str(snapshot_dir),
        "SITEFINDER_PORT": str(port),
    }
    command = [str(SITEFINDER), "serve"] if SITEFINDER.exists() and code is None else SERVE
    if code is not None:
        env["PYTHONPATH"] = str(code)
    t0 = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=code or ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    listening = None
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=timeout_s) as client:
            while True:
                if process.poll() is not None:
                    raise SystemExit("sitefinder serve stopped before answering")
                if time.perf_counter() - t0 > timeout_s:
                    raise SystemExit("sitefinder serve did not answer in time")
                try:
                    t1 = time.perf_counter()
                    response = client.get("/api/sites", params={"limit": 50})
                except httpx.TransportError:
                    time.sleep(0.01)
                    continue
                if listening is None:
                    listening = t1
                if response.status_code == 200:
                    break
                time.sleep(0.01)
            first = time.perf_counter()
            memory = _memory(process.pid)
            cpu = _cpu_seconds(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    return {
        "process_start_to_first_answer_s": round(first - t0, 3),
        "first_request_s": round(first - (listening or first), 3),
        "cpu_to_first_answer_s": cpu,
        **memory,
    }


def import_seconds(runs: int = 3, code: Path | None = None) -> float:
    """Median wall time of a fresh ``python -c 'import sitefinder.api'``: the part of a
    fresh process's start that no data layout changes (``code``: as for ``fresh_process``)."""
    env = {**os.environ, **({"PYTHONPATH": str(code)} if code is not None else {})}
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", "import sitefinder.api"],
            check=True,
            capture_output=True,
            env=env,
            cwd=code or ROOT,  # python -c puts the working directory first on sys.path
        )
        times.append(time.perf_counter() - t0)
    return round(_median(times), 3)


def cold_start(
    database_url: str, snapshot_dir: Path, *, fallback: bool = True, run: bool = True
) -> dict[str, Any]:
    """A fresh API process with the snapshot mapped, and (``fallback``) one with none: the
    database load it replaces; and the import time of the app alone."""
    if not run:
        return {"mapped": None, "database_load": None, "import_s": None}
    mapped = fresh_process(database_url, snapshot_dir)
    imports = import_seconds()
    if not fallback:
        return {"mapped": mapped, "database_load": None, "import_s": imports}
    empty = Path(tempfile.mkdtemp(prefix="sitefinder-nosnapshot-"))
    try:
        from_db = fresh_process(database_url, empty)
    finally:
        shutil.rmtree(empty, ignore_errors=True)
    return {"mapped": mapped, "database_load": from_db, "import_s": imports}


SNAPSHOT = """
import sys
from sitefinder.core import db
from sitefinder.core.settings import Settings
from sitefinder.scoring import snapshot
from sitefinder.scoring.engine import SiteTable
settings = Settings(database_url=sys.argv[1], snapshot_dir=sys.argv[2])
folder = snapshot.database_dir(settings)
with db.connection(settings) as conn:
    key = snapshot.table_key(conn)
    if snapshot.current(folder, key) is None:
        snapshot.write(folder, SiteTable.load(conn, version=key.version), key)
"""


def write_snapshot(database_url: str, snapshot_dir: Path, code: Path | None = None) -> None:
    """The served snapshot of the database under ``snapshot_dir``, written by the checkout
    ``code`` (as for ``fresh_process``: its snapshot format may differ) unless current."""
    env = {**os.environ, **({"PYTHONPATH": str(code)} if code is not None else {})}
    subprocess.run(
        [sys.executable, "-c", SNAPSHOT, database_url, str(snapshot_dir)],
        check=True,
        env=env,
        cwd=code or ROOT,
        timeout=3600,
    )


def cold_compare(
    database_url: str, snapshot_dir: Path, codes: dict[str, Path | None], runs: int
) -> dict[str, Any]:
    """``fresh_process`` and ``import_seconds`` of each checkout in ``codes`` (the same launcher,
    ``python -c``, for each), taking turns ``runs`` times so that both see the same load; each
    serves the snapshot its own code wrote (in ``snapshot_dir``/its name)."""
    seen: dict[str, list[dict[str, Any]]] = {name: [] for name in codes}
    imports: dict[str, list[float]] = {name: [] for name in codes}
    for name, code in codes.items():
        write_snapshot(database_url, snapshot_dir / name, code)
    load = [round(os.getloadavg()[0], 2)]
    for _ in range(runs):
        for name, code in codes.items():
            seen[name].append(fresh_process(database_url, snapshot_dir / name, code=code))
            imports[name].append(import_seconds(1, code=code))
        load.append(round(os.getloadavg()[0], 2))
    out: dict[str, Any] = {"runs": runs, "load_avg_1m": load}
    for name in codes:
        out[name] = {
            key: round(_median([float(r[key]) for r in seen[name]]), 3) for key in seen[name][0]
        }
        out[name]["import_s"] = round(_median(imports[name]), 3)
        out[name]["start_to_first_answer_each_s"] = [
            r["process_start_to_first_answer_s"] for r in seen[name]
        ]
    return out


def cold_main(argv: list[str] | None = None) -> int:
    """``python bench/speed.py``: only the cold start, on a bench database kept by
    ``scoring_bench.py --keep`` (scored: ``--only criteria`` at least), this checkout beside
    ``--before`` (another checkout, e.g. ``git archive`` of the base commit), each with the
    snapshot its code writes (written first when there is none)."""
    import argparse
    import json

    p = argparse.ArgumentParser(description=cold_main.__doc__)
    p.add_argument("--database-url", required=True, help="a bench database (name with 'bench')")
    p.add_argument("--snapshot-dir", type=Path, default=Path(tempfile.gettempdir()) / "sf-cold")
    p.add_argument("--before", type=Path, default=None, help="the checkout to compare with")
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    if "bench" not in urllib.parse.urlsplit(args.database_url).path:
        raise SystemExit("the database's name must contain 'bench'")
    codes = {"after": ROOT, **({"before": args.before} if args.before else {})}
    result = cold_compare(args.database_url, args.snapshot_dir, codes, args.runs)
    print(json.dumps(result, indent=1))
    return 0


# ------------------------------------------------------------------------------------------
# partitioned criteria on a local Dask cluster


def dask_compare(conn: psycopg.Connection[Any], workers: int, partitions: int | None) -> dict:
    """Every criterion of every site into ``site_raw`` (``compute_all``, read, criteria,
    write): in one process vs partitioned by gemeente on a local Dask cluster of ``workers``
    processes, whose tasks read their sites and neighbourhoods from PostGIS and write their
    rows themselves; seconds and steps of each, and whether site_raw is identical."""
    from sitefinder.scoring import store
    from sitefinder.scoring.compute import compute_all
    from sitefinder.scoring.partitioned import local_client, on, same_frames

    t0 = time.perf_counter()
    single = compute_all(conn, full=True)
    single_s = time.perf_counter() - t0
    single_raw = store.read(conn)
    t0 = time.perf_counter()
    client = local_client(workers)
    start_s = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        parted = compute_all(conn, full=True, every=on(client, partitions))
        dask_s = time.perf_counter() - t0
    finally:
        client.close()
        client.cluster.close()
    differ = same_frames(single_raw, store.read(conn))
    return {
        "sites": single.sites,
        "workers": workers,
        "partitions": partitions or workers,  # ``partitioned.on``: one per worker thread
        "single_process_s": round(single_s, 3),
        # read, criteria, write (into a staging table, at once on two connections, and swap)
        "single_steps_s": single.seconds,
        "cluster_start_s": round(start_s, 3),
        "dask_s": round(dask_s, 3),
        # partition (the sites' gemeenten counted, in SQL), tasks (each partition's sites and
        # neighbourhoods read, its criteria, its rows written, on the workers), swap
        "dask_steps_s": parted.seconds,
        "speedup_x": round(single_s / dask_s, 2) if dask_s > 0 else None,
        "identical": not differ,
        "differing_columns": differ,
    }


# ------------------------------------------------------------------------------------------
# ETL vs ogr2ogr


def synthetic_supermarkets(path: Path, gem: Any, n: int, seed: int) -> Path:
    """A SYNTHETIC point GeoPackage shaped like the OSM supermarket export (EPSG:4326):
    ``osm_type``, ``osm_id``, a ``SYNTHETISCH`` name, brand, opening hours, address."""
    rng = np.random.default_rng(seed + 7)
    x, y, g = gem.sample(n, 0.7, rng)
    lon_lat = gpd.GeoSeries(shapely.points(x, y), crs="EPSG:28992").to_crs("EPSG:4326")
    brands = np.array(["SYNTHETISCH A", "SYNTHETISCH B", "SYNTHETISCH C", None], dtype=object)
    ids = np.arange(1, n + 1)
    frame = gpd.GeoDataFrame(
        {
            "osm_type": "node",
            "osm_id": ids,
            "name": pd.Series(ids).astype(str).radd("SYNTHETISCH supermarkt ").to_numpy(),
            "brand": brands[rng.integers(0, len(brands), n)],
            "opening_hours": np.where(rng.random(n) < 0.5, "Mo-Sa 08:00-21:00", None),
            "addr_street": "SYNTHETISCH straat",
            "addr_housenumber": pd.Series(rng.integers(1, 300, n)).astype(str).to_numpy(),
            "addr_city": gem.codes[g],
            "synthetic": True,
        },
        geometry=lon_lat.to_numpy(),
        crs="EPSG:4326",
    )
    pyogrio.write_dataframe(frame, path, layer="synthetic_supermarkets", driver="GPKG")
    return path


def _pg_connection_string(url: str) -> str:
    """``PG:`` connection string for ogr2ogr from a libpq URL."""
    parts = urllib.parse.urlsplit(url)
    items = {
        "host": parts.hostname or "127.0.0.1",
        "port": str(parts.port or 5432),
        "dbname": parts.path.lstrip("/"),
        "user": parts.username or "postgres",
    }
    if parts.password:
        items["password"] = parts.password
    return "PG:" + " ".join(f"{k}={v}" for k, v in items.items())


def etl_vs_ogr2ogr(
    conn: psycopg.Connection[Any], settings: Any, gem: Any, n: int, seed: int
) -> dict[str, Any]:
    """Load one SYNTHETIC ``n``-feature file twice into the bench database, side by side: the
    full pipeline (read, validate, quarantine, COPY, swap; ``etl.loading.run_pipeline``) and
    ``ogr2ogr -f PostgreSQL`` (reprojected to EPSG:28992 too); features per second of both."""
    from etl import get_pipeline
    from etl.loading import no_progress, run_pipeline

    folder = Path(tempfile.mkdtemp(prefix="sitefinder-etl-bench-"))
    try:
        t0 = time.perf_counter()
        path = synthetic_supermarkets(folder / "synthetic_supermarkets.gpkg", gem, n, seed)
        generate_s = time.perf_counter() - t0
        pipeline = get_pipeline(ETL_LAYER, settings)
        t0 = time.perf_counter()
        result = run_pipeline(
            conn, pipeline, [path], force=True, progress=no_progress, accept_loss=True
        )
        pipeline_s = time.perf_counter() - t0
        if result.status != "ok":
            raise SystemExit(f"ETL bench: pipeline ended {result.status}: {result.message}")
        ogr = shutil.which("ogr2ogr")
        ogr_s = float("nan")
        loaded_ogr = 0
        if ogr:
            t0 = time.perf_counter()
            subprocess.run(
                [
                    ogr, "-f", "PostgreSQL", _pg_connection_string(settings.database_url),
                    str(path), "-nln", OGR_TABLE, "-overwrite", "-t_srs", "EPSG:28992",
                    "-lco", "GEOMETRY_NAME=geom", "-lco", "SPATIAL_INDEX=GIST",
                    "--config", "PG_USE_COPY", "YES", "-gt", "65536",
                ],
                check=True, capture_output=True, timeout=3600,
            )  # fmt: skip
            ogr_s = time.perf_counter() - t0
            row = conn.execute(f"SELECT count(*) AS n FROM {OGR_TABLE}").fetchone()
            loaded_ogr = int(row["n"]) if row else 0
            conn.execute(f"DROP TABLE IF EXISTS {OGR_TABLE}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "features": n,
        "file": "GeoPackage, EPSG:4326 (SYNTHETIC)",
        "generate_s": round(generate_s, 2),
        "pipeline_s": round(pipeline_s, 2),
        "pipeline_loaded": result.n_loaded,
        "pipeline_features_per_s": round(n / pipeline_s),
        "ogr2ogr_s": round(ogr_s, 2),
        "ogr2ogr_loaded": loaded_ogr,
        "ogr2ogr_features_per_s": round(n / ogr_s) if ogr_s == ogr_s else None,
        "ratio_x": round(pipeline_s / ogr_s, 2) if ogr_s == ogr_s else None,
        "ogr2ogr": ogr or "not installed",
    }


if __name__ == "__main__":
    sys.exit(cold_main())
