"""Export benchmark on a SYNTHETIC data set: 100,000 sites as GeoPackage and CSV (GeoJSON and
XLSX with ``--formats``), through the real API (``GET /api/sites?f=...``): seconds and peak
memory.

Run: ``.venv/bin/python bench/export_bench.py`` (a few minutes on 2 cores); quicker:
``--sites 20000``. Results: ``bench/results/export.json``.

1. (Re)creates its own database (``sitefinder_export_bench``), loads the real CBS gemeenten
   through their pipeline and generates SYNTHETIC sites, stops, care points, supermarkets and
   zoning with ``bench/scoring_bench.py``'s generators (every row ``source =
   'synthetic-bench'``, named ``SYNTHETISCH ...``, each layer an ``etl_run`` row saying so),
   then scores them (``compute_all``).
2. Serves the real app with uvicorn on 127.0.0.1 (in this process), warms it up (the site
   table and the profile's evaluation are loaded by a first list request), then downloads
   each export of all sites (``include_excluded=true``) with httpx, streaming the body to a
   file that is read back and removed. For each: seconds to the first byte and in all, bytes,
   and this process's resident memory (RSS, sampled every 10 ms) above what it was before
   the export (after a ``gc.collect`` and ``malloc_trim``), at its peak. The CSV and the
   GeoPackage are read back (csv, pyogrio) and must hold every site exactly once.
   CSV and GeoPackage are also exported for the holiday parks alone (5 % of the sites): a
   streamed export needs about the same memory for both, a file built in memory 20 times more.
3. Optionally (``--tracemalloc csv,gpkg``) the same export once more in-process under
   ``tracemalloc``: the peak of the Python heap during the export,
   which is what would grow if a file were built in memory whole (GDAL's own allocations for
   the GeoPackage are not in it; the RSS figure includes them).

Streamed means: the memory an export needs stays near that of one chunk
(``siteexport.CHUNK`` sites) however many sites it holds, far below the size of the file.
Times are seconds; memory and sizes MiB.
"""

from __future__ import annotations

import argparse
import csv
import ctypes
import gc
import json
import os
import sys
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pyogrio

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:  # run as a script from anywhere
        sys.path.insert(0, str(path))

import scoring_bench as sb  # noqa: E402

from sitefinder.accounts.roles import PUBLIC  # noqa: E402
from sitefinder.accounts.scope import ScopeFilter  # noqa: E402
from sitefinder.api import flagview, queries, siteexport  # noqa: E402
from sitefinder.core import db  # noqa: E402
from sitefinder.core.settings import Settings  # noqa: E402
from sitefinder.scoring import load_profile  # noqa: E402
from sitefinder.scoring.compute import compute_all  # noqa: E402

DEFAULT_URL = sb.default_url().rsplit("/", 1)[0] + "/sitefinder_export_bench"
FORMATS = ("csv", "gpkg", "geojson", "xlsx")
DEFAULT_FORMATS = "csv,gpkg"  # what the issue asks for; --formats csv,gpkg,geojson,xlsx: all
MIB = 1024 * 1024
ALL = "include_excluded=true"  # every site
PARKS = "include_excluded=true&kind=vakantiepark"  # 5 % of them


def release_memory() -> None:
    """Collect garbage and hand freed heap back to the system (glibc ``malloc_trim``), so an
    export's RSS peak above "before" is what it needed, not what an earlier one left."""
    gc.collect()
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextmanager
def rss_peak() -> Iterator[dict[str, float]]:
    """Samples this process's RSS every 10 ms; fills ``before`` and ``peak_above`` (MiB)."""
    out = {"before": rss_mib(), "peak": 0.0}
    out["peak"] = out["before"]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.01):
            out["peak"] = max(out["peak"], rss_mib())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield out
    finally:
        stop.set()
        thread.join()
        out["peak"] = max(out["peak"], rss_mib())
        out["peak_above"] = round(out["peak"] - out["before"], 1)
        out["before"] = round(out["before"], 1)
        out["peak"] = round(out["peak"], 1)


def download(client: httpx.Client, url: str, keep: Path | None) -> dict[str, Any]:
    """Stream ``url``'s body; seconds to the first byte and in all, bytes (kept in ``keep``)."""
    t0 = time.perf_counter()
    first = None
    size = 0
    sink = keep.open("wb") if keep else None
    try:
        with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code} {response.read()[:300]!r}")
            for chunk in response.iter_bytes(1 << 16):
                if first is None:
                    first = time.perf_counter() - t0
                size += len(chunk)
                if sink:
                    sink.write(chunk)
    finally:
        if sink:
            sink.close()
    return {
        "seconds": round(time.perf_counter() - t0, 2),
        "first_byte_s": round(first or 0.0, 3),
        "mib": round(size / MIB, 1),
        "streamed": response.headers.get("content-length") is None,
    }


def check(fmt: str, path: Path, n_sites: int) -> int:
    """The number of distinct site ids the downloaded file holds (must be ``n_sites``)."""
    if fmt == "gpkg":
        frame = pyogrio.read_dataframe(path, layer="sites", columns=["id"], read_geometry=False)
        ids = list(frame["id"])
    elif fmt == "csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            ids = [row["id"] for row in csv.DictReader(f)]
    else:
        return n_sites  # GeoJSON and XLSX: read back in tests/test_exports.py
    if len(set(ids)) != n_sites or len(ids) != n_sites:
        raise SystemExit(f"{fmt}: {len(ids)} rows, {len(set(ids))} distinct, expected {n_sites}")
    return len(ids)


def traced(app: Any, settings: Settings, fmt: str) -> dict[str, float]:
    """The export once more in-process under tracemalloc: peak of the Python heap (MiB)."""
    with db.connection(settings) as conn:
        table = app.state.engine.table(conn)
        profile = load_profile(settings.default_profile)
        q = queries.SiteQuery(profile=profile, weights=profile.weights, include_excluded=True)
        shown = flagview.visible(conn, ScopeFilter.of(PUBLIC))  # the public's flags: none
        tracemalloc.start()
        t0 = time.perf_counter()
        export = siteexport.prepare(conn, table, q, shown, settings.api_export_max_sites)
        if fmt == "csv":
            for _ in siteexport.csv_chunks(export):
                pass
        else:
            folder = ROOT / "bench" / "results" / "tmp-export"
            folder.mkdir(exist_ok=True)
            target = folder / "traced.gpkg"
            target.unlink(missing_ok=True)
            siteexport.write_gpkg(export, target)
            target.unlink()
            folder.rmdir()
        seconds = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {"python_heap_peak_mib": round(peak / MIB, 1), "seconds_traced": round(seconds, 1)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--sites", type=int, default=100_000, help="synthetic candidate sites")
    p.add_argument(
        "--formats", default=DEFAULT_FORMATS, help=f"comma-separated, of {','.join(FORMATS)}"
    )
    p.add_argument(
        "--tracemalloc",
        default="",
        help="formats to export once more under tracemalloc, e.g. csv,gpkg (slow: several"
        " times the export's time)",
    )
    p.add_argument("--seed", type=int, default=20261201)
    p.add_argument("--database-url", default=DEFAULT_URL, help="dropped and recreated")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "export.json")
    p.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = sb.bench_settings(args.database_url).model_copy(
        update={"api_export_max_sites": max(args.sites, 100_000)}
    )
    sizes = sb.Sizes(
        sites=args.sites,
        stops=max(args.sites // 20, 500),
        care=max(args.sites // 30, 300),
        supermarkets=max(args.sites // 100, 100),
        zoning=max(args.sites // 5, 1000),
    )
    load = {"start": round(os.getloadavg()[0], 2)}
    started = time.perf_counter()
    timer = sb.Timer()
    sb.log(f"SYNTHETIC export benchmark: {sizes} -> {db.redact(settings.database_url)}")
    sb.ensure_unused(settings)
    with timer.step("drop + create + migrate"):
        db.drop_database(settings)
        db.init_database(settings)
    results: dict[str, Any] = {}
    try:
        with db.connection(settings) as conn:
            with timer.step("gemeenten (real, pipeline)"):
                sb.load_real(conn, settings, "gemeenten")
            gem = sb.Gemeenten.load(conn)
            counts = sb.generate_and_load(conn, gem, sizes, args.seed, timer)
            with timer.step("score (compute_all)"):
                compute_all(conn, full=True)
        exports: dict[str, Any] = {}
        folder = ROOT / "bench" / "results" / "tmp-export"
        with sb.serve(settings) as (base, app), httpx.Client(base_url=base, timeout=600) as client:
            with timer.step("warm-up (site table, evaluation)"):
                first = client.get("/api/sites?limit=1&include_excluded=true").json()
            total = int(first["total"])
            sb.log(f"\n[export] {total:,} sites (all of them, include_excluded=true)")
            load["before_exports"] = round(os.getloadavg()[0], 2)
            folder.mkdir(parents=True, exist_ok=True)
            parks = client.get(f"/api/sites?limit=1&{PARKS}").json()["total"]
            for fmt in [f for f in args.formats.split(",") if f]:
                # all sites, and for CSV and GeoPackage also the parks alone (5 %): a streamed
                # export needs about the same memory for both
                selections = [("all", ALL, total)]
                if fmt in ("csv", "gpkg"):
                    selections.insert(0, ("parks", PARKS, parks))
                for label, query, n in selections:
                    release_memory()  # so that "before" is what the server really holds
                    keep = folder / f"export.{fmt}" if fmt in ("csv", "gpkg") else None
                    with rss_peak() as memory:
                        got = download(client, f"/api/sites?{query}&f={fmt}", keep)
                    got["sites"] = n
                    got["rss_mib"] = memory
                    if keep:
                        got["rows_checked"] = check(fmt, keep, n)
                        keep.unlink()
                    exports[fmt if label == "all" else f"{fmt}_{label}"] = got
                    sb.log(
                        f"  {fmt:<8} {n:>7,} sites {got['seconds']:7.1f} s (first byte"
                        f" {got['first_byte_s']:.2f} s) {got['mib']:7.1f} MiB  RSS peak"
                        f" +{memory['peak_above']:.0f} MiB (before {memory['before']:.0f} MiB)"
                    )
            for fmt in [f for f in args.tracemalloc.split(",") if f]:
                exports[fmt]["traced"] = traced(app, settings, fmt)
                sb.log(f"  {fmt:<8} tracemalloc: {exports[fmt]['traced']}")
            if folder.exists() and not any(folder.iterdir()):
                folder.rmdir()
        results = {
            "synthetic": True,
            "note": sb.NOTE.replace(
                "scoring_bench.py", "export_bench.py (generators of scoring_bench.py)"
            ),
            "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
            "params": {**vars(sizes), "seed": args.seed, "chunk_sites": siteexport.CHUNK},
            "loaded": counts,
            "sites_exported": total,
            "setup_s": dict(timer.steps),
            "exports": exports,
            "load_avg_1m": {**load, "end": round(os.getloadavg()[0], 2)},
            "wall_s": round(time.perf_counter() - started, 1),
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        sb.log(f"\nwall time {results['wall_s']:.0f} s; results in {args.out}")
    finally:
        if not args.keep:
            db.drop_database(settings)
            sb.log(f"dropped {db.redact(settings.database_url)} (use --keep to keep it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
