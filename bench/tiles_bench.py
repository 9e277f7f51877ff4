"""Vector tile benchmark on a SYNTHETIC data set (never the demo database), against tipg.

Run: ``.venv/bin/python bench/tiles_bench.py`` (1M sites, 500k zoning polygons: the issue's
set); a short run: ``--sites 100000 --zoning 50000 --paint-sites 10000``.

What it does, in one run:

1. **Paint at ``--paint-sites`` (10,000) sites**: its own database (``sitefinder_tilesbench``)
   with the real gemeenten and Natura 2000 and synthetic layers made by
   ``bench/scoring_bench.py``'s generator (every synthetic row marked so), scored with
   ``compute_all``; the map served by ``sitefinder serve`` and opened in headless Chromium
   (Debian's ``chromium``): time to first paint of the sites (first site tile drawn, and every
   tile in view drawn, ms since navigation) and the recolour time after a weight change (from
   the slider's change to the frame that shows it; ``web/src/sitetiles.js`` writes both).
2. **Tiles at ``--sites`` (1,000,000) sites**: the same database rebuilt at full size; our
   server (``sitefinder serve``, one worker) and **tipg** (``uvicorn tipg.main:app``, one
   worker, asyncpg) serve the same tables ``site`` and ``area`` (zoning: ``?layer=zoning``) of
   the same database, side by side in the same run, with the same tile extent (4096) and buffer
   (64) and no feature limit (``TIPG_MAX_FEATURES_PER_TILE``). Per tile set (sites, zoning) and
   zoom (8, 12, 15): requests per second with ``--concurrency`` clients and p50/p95 latency over
   tiles that hold data (drawn where the sites resp. zoning polygons are), and the mean tile
   size. tipg twice: with every column of the table (its default) and with only the
   attributes our tiles carry besides the criterion values (``properties=``).
3. Paint again at the full size (``--no-paint-full`` skips it), as often as at 10,000. Each
   paint bench starts its own server: its first run is the first page that server serves
   (the server builds the default profile's tile values in the background after it
   started; a page that comes sooner waits for them); the
   figures are the medians over the runs, every run is in the results.

Writes ``bench/results/tiles.json``. Goals (issue 13): at least 1.5x tipg's throughput at the
same or smaller tile size; first paint < 1.5 s; recolour < 200 ms. Geometry: stored EPSG:28992,
tiles EPSG:3857 (XYZ). Times in ms (``_ms``) or seconds (``_s``); sizes in bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:  # run as a script from anywhere
        sys.path.insert(0, str(path))

import scoring_bench as synthetic  # noqa: E402

from sitefinder.api.mvt import lonlat_to_tile  # noqa: E402
from sitefinder.core import db  # noqa: E402
from sitefinder.scoring.compute import compute_all  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/sitefinder_tilesbench"
ZOOMS = (8, 12, 15)
TARGETS = {"throughput_x": 1.5, "first_paint_ms": 1500.0, "recolour_ms": 200.0}
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PANE = ".leaflet-siteTiles-pane"
STATEMENT_TIMEOUT_MS = 120_000
MVT_EXTENT, MVT_BUFFER = 4096, 64  # sitefinder.api.mvt: tipg is given the same


def log(message: str) -> None:
    print(message, flush=True)


def load_avg() -> float:
    return round(os.getloadavg()[0], 2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build(url: str, sites: int, zoning: int, seed: int) -> dict[str, Any]:
    """(Re)create the bench database with ``sites`` synthetic sites (the other layers scaled
    as scoring_bench.py's defaults are to its 1M sites) and score them; returns counts and
    seconds."""
    settings = synthetic.bench_settings(url)
    synthetic.ensure_unused(settings)
    scale = sites / 1_000_000
    sizes = synthetic.Sizes(
        sites=sites,
        stops=max(int(50_000 * scale), 200),
        care=max(int(30_000 * scale), 100),
        supermarkets=max(int(5_000 * scale), 50),
        zoning=zoning,
    )
    timer = synthetic.Timer()
    started = time.perf_counter()
    db.drop_database(settings)
    db.init_database(settings)
    with db.connection(settings) as conn:
        synthetic.load_real(conn, settings, "gemeenten")
        synthetic.load_real(conn, settings, "natura2000")
        gem = synthetic.Gemeenten.load(conn)
        counts = synthetic.generate_and_load(conn, gem, sizes, seed, timer)
        t0 = time.perf_counter()
        compute_all(conn, full=True)
        scored_s = time.perf_counter() - t0
    return {
        "sizes": vars(sizes),
        "loaded": counts,
        "scoring_s": round(scored_s, 1),
        "build_s": round(time.perf_counter() - started, 1),
    }


@contextmanager
def server(command: list[str], env: dict[str, str], port: int, probe: str) -> Iterator[str]:
    """A server process on 127.0.0.1:``port``; yields its base URL once ``probe`` answers."""
    process = subprocess.Popen(
        command,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise SystemExit(f"{command[:3]} stopped: {process.stderr.read()[-2000:]}")  # type: ignore[union-attr]
            try:
                if httpx.get(base + probe, timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{command[:3]} did not answer {probe}")
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def ours(url: str, port: int) -> Any:
    env = {
        "SITEFINDER_DATABASE_URL": url,
        # the page must not reach out: a basemap on a port nobody listens on
        "SITEFINDER_BASEMAP_URL": f"http://127.0.0.1:{free_port()}/{{z}}/{{x}}/{{y}}.png",
        # a zoom-8 tile of a million sites holds 10^5 of them: more than the API's default
        # 1.5 s statement budget on a loaded machine (tipg has none)
        "SITEFINDER_API_STATEMENT_TIMEOUT_MS": str(STATEMENT_TIMEOUT_MS),
    }
    command = [str(ROOT / ".venv" / "bin" / "sitefinder"), "serve", "--workers", "1"]
    command += ["--port", str(port)]
    return server(command, env, port, "/api/tiles/sites.json")


def tipg(url: str, port: int) -> Any:
    env = {
        "DATABASE_URL": url,
        "TIPG_DB_SCHEMAS": '["public"]',
        "TIPG_DB_TABLES": '["public.site", "public.area"]',
        "TIPG_MAX_FEATURES_PER_TILE": "10000000",
        "TIPG_TILE_RESOLUTION": str(MVT_EXTENT),
        "TIPG_TILE_BUFFER": str(MVT_BUFFER),
        "TIPG_DEBUG": "false",
    }
    command = [sys.executable, "-m", "uvicorn", "tipg.main:app", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", "1", "--log-level", "warning"]
    return server(command, env, port, "/collections/public.site")


def sample_tiles(url: str, table: str, layer: str | None, n: int, seed: int) -> dict[int, list]:
    """Per zoom ``n`` distinct tiles that hold data: where random rows of ``table`` lie."""
    settings = synthetic.bench_settings(url)
    with db.connection(settings) as conn:
        where = "WHERE layer = %(layer)s" if layer else ""
        rows = conn.execute(
            "SELECT ST_X(p) AS lon, ST_Y(p) AS lat FROM (SELECT ST_Transform(ST_PointOnSurface("
            f"geom), 4326) AS p FROM {table} {where} ORDER BY md5(id || %(seed)s) LIMIT 2000) x",
            {"layer": layer, "seed": str(seed)},
        ).fetchall()
    out: dict[int, list] = {}
    for z in ZOOMS:
        seen: list[tuple[int, int, int]] = []
        for r in rows:
            tile = (z, *lonlat_to_tile(r["lon"], r["lat"], z))
            if tile not in seen:
                seen.append(tile)
            if len(seen) == n:
                break
        out[z] = seen
    return out


@dataclass
class Timings:
    """What one server's timed requests gave, added up over the rounds."""

    latencies: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    wall: float = 0.0

    def summary(self) -> dict[str, Any]:
        ms = np.array(self.latencies) * 1000
        return {
            "requests": len(self.latencies),
            "rps": round(len(self.latencies) / self.wall, 2),
            "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "mean_bytes": int(np.mean(self.sizes)),
            "statuses": self.statuses,
        }


def measure(urls: list[str], concurrency: int, into: Timings | None = None) -> Timings:
    """GET every url once (``concurrency`` at a time, kept-alive connections), added to
    ``into``: latencies, sizes, statuses and the wall time they took."""
    timings = into if into is not None else Timings()

    def worker(part: list[str]) -> None:
        with httpx.Client(timeout=300) as client:
            for url in part:
                t0 = time.perf_counter()
                response = client.get(url)
                timings.latencies.append(time.perf_counter() - t0)
                timings.sizes.append(len(response.content))
                status = str(response.status_code)
                timings.statuses[status] = timings.statuses.get(status, 0) + 1

    parts = [urls[i::concurrency] for i in range(concurrency)]
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, parts))
    timings.wall += time.perf_counter() - started
    return timings


def tile_bench(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Ours against tipg (all columns; our attributes only), per tile set and zoom.

    The servers take turns: each round times every server once, in an order that rotates from
    round to round, and each server's figures add up its rounds. A load spike on this shared
    machine then falls on all of them alike instead of on whichever ran at that moment."""
    sets = {
        "sites": sample_tiles(url, "site", None, args.tiles, args.seed),
        "zoning": sample_tiles(url, "area", "zoning", args.tiles, args.seed),
    }
    same_attributes = {"sites": "id,kind,gemeentecode", "zoning": "id,name,code,category"}
    results: dict[str, Any] = {}
    with ours(url, free_port()) as mine, tipg(url, free_port()) as theirs:
        servers = {
            "sitefinder": lambda s, t: f"{mine}/api/tiles/{s}/{t[0]}/{t[1]}/{t[2]}.mvt",
            "tipg": lambda s, t: (
                f"{theirs}/collections/public.{'site' if s == 'sites' else 'area'}/tiles/"
                f"WebMercatorQuad/{t[0]}/{t[1]}/{t[2]}" + ("?layer=zoning" if s == "zoning" else "")
            ),
            "tipg_same_attributes": lambda s, t: (
                f"{theirs}/collections/public.{'site' if s == 'sites' else 'area'}/tiles/"
                f"WebMercatorQuad/{t[0]}/{t[1]}/{t[2]}?properties={same_attributes[s]}"
                + ("&layer=zoning" if s == "zoning" else "")
            ),
        }
        labels = list(servers)
        for name, tiles_by_zoom in sets.items():
            for z, tiles in tiles_by_zoom.items():
                low = z <= 8
                count = args.requests_low_zoom if low else args.requests
                rounds = args.rounds_low_zoom if low else args.rounds
                row: dict[str, Any] = {"tiles": len(tiles), "rounds": rounds}
                row["load_before"] = load_avg()
                urls = {label: [make(name, t) for t in tiles] for label, make in servers.items()}
                for label in labels:
                    measure(urls[label], args.concurrency)  # warm: caches, the profile's values
                timings = {label: Timings() for label in labels}
                for r in range(rounds):
                    for label in labels[r % len(labels) :] + labels[: r % len(labels)]:
                        timed = [urls[label][i % len(tiles)] for i in range(count)]
                        measure(timed, args.concurrency, timings[label])
                for label in labels:
                    row[label] = timings[label].summary()
                    log(f"  {name} z{z} {label:22s} {row[label]}")
                row["load_after"] = load_avg()
                row["throughput_x"] = round(row["sitefinder"]["rps"] / row["tipg"]["rps"], 2)
                # against tipg with only our non-criterion attributes (smaller tiles than ours
                # at zoom 12-15, which also carry every criterion value)
                row["throughput_x_same_attributes"] = round(
                    row["sitefinder"]["rps"] / row["tipg_same_attributes"]["rps"], 2
                )
                row["size_ratio"] = round(
                    row["sitefinder"]["mean_bytes"] / max(row["tipg"]["mean_bytes"], 1), 3
                )
                results[f"{name}_z{z}"] = row
    return results


def paint_bench(url: str, repeats: int) -> dict[str, Any]:
    """First paint of the tile-drawn sites and recolour time, in headless Chromium."""
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {"runs": []}
    with ours(url, free_port()) as base, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        for run in range(repeats):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(base + "/")
            page.wait_for_function(
                f"() => document.querySelector('{PANE}')?.dataset.loaded", timeout=300_000
            )
            page.wait_for_timeout(500)
            pane = page.evaluate(f"() => ({{...document.querySelector('{PANE}').dataset}})")
            recolours = []
            slider = page.locator("#weights input[type=range].weight-slider").first
            for i, value in enumerate(("1", "0", "0.5")):
                slider.fill(value)
                page.wait_for_function(
                    f"() => Number(document.querySelector('{PANE}').dataset.recolours ?? 0) > {i}",
                    timeout=120_000,
                )
                recolours.append(
                    float(page.evaluate(f"document.querySelector('{PANE}').dataset.recolourMs"))
                )
            record = {
                "first_tile_ms": float(pane["firstTile"]),
                "all_tiles_ms": float(pane["loaded"]),
                "features_drawn": int(pane["features"]),
                "recolour_ms": recolours,
                "load": load_avg(),
            }
            log(f"  paint run {run + 1}: {record}")
            out["runs"].append(record)
            page.close()
        browser.close()
    runs = out["runs"]
    out["first_paint_ms"] = float(np.median([r["first_tile_ms"] for r in runs]))
    out["all_tiles_ms"] = float(np.median([r["all_tiles_ms"] for r in runs]))
    out["recolour_ms"] = float(np.median([m for r in runs for m in r["recolour_ms"]]))
    out["features_drawn"] = runs[-1]["features_drawn"]
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--sites", type=int, default=1_000_000, help="sites for the tile bench")
    p.add_argument("--zoning", type=int, default=500_000, help="zoning polygons")
    p.add_argument("--paint-sites", type=int, default=10_000, help="sites for the paint bench")
    p.add_argument("--no-paint-full", action="store_true", help="no paint run at --sites")
    p.add_argument("--tiles", type=int, default=10, help="distinct tiles per zoom")
    p.add_argument("--requests", type=int, default=40, help="timed requests at zoom 12, 15")
    p.add_argument("--requests-low-zoom", type=int, default=12, help="timed requests, zoom 8")
    p.add_argument("--rounds", type=int, default=5, help="turns of every server, zoom 12, 15")
    p.add_argument("--rounds-low-zoom", type=int, default=2, help="turns of every server, zoom 8")
    p.add_argument("--concurrency", type=int, default=2, help="clients at once (2 cores)")
    p.add_argument("--paint-repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=20261201)
    env = os.environ.get("SITEFINDER_DATABASE_URL", "")
    default = (
        urllib.parse.urlsplit(env)._replace(path="/sitefinder_tilesbench").geturl()
        if env.startswith(("postgresql://", "postgres://"))
        else DEFAULT_URL
    )
    p.add_argument("--database-url", default=default, help="dropped and recreated ('bench')")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "tiles.json")
    p.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    p.add_argument(
        "--reuse",
        action="store_true",
        help="no build: phases 2 and 3 on the bench database a --keep run left (for iterating)",
    )
    return p.parse_args(argv)


def verdicts(results: dict[str, Any]) -> dict[str, bool]:
    tiles = results["tiles"]
    ok = {
        f"throughput_{key}": row["throughput_x"] >= TARGETS["throughput_x"]
        and row["size_ratio"] <= 1.0
        for key, row in tiles.items()
    }
    for size in results.get("paint_failed", {}):
        ok[f"first_paint_{size}"] = ok[f"recolour_{size}"] = False
    for size, paint in results["paint"].items():
        ok[f"first_paint_{size}"] = paint["first_paint_ms"] < TARGETS["first_paint_ms"]
        ok[f"recolour_{size}"] = paint["recolour_ms"] < TARGETS["recolour_ms"]
    return ok


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "synthetic": True,
        "note": synthetic.NOTE,
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "params": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "targets": TARGETS,
        "load_avg_1m": {"start": load_avg()},
        "paint": {},
    }
    try:
        if not args.reuse:
            log(f"[1] paint at {args.paint_sites:,} sites")
            results["build_paint"] = build(
                args.database_url, args.paint_sites, max(args.paint_sites // 2, 1000), args.seed
            )
            paint = paint_bench(args.database_url, args.paint_repeats)
            results["paint"][str(args.paint_sites)] = paint
        log(f"[2] tiles at {args.sites:,} sites, {args.zoning:,} zoning polygons: ours and tipg")
        if not args.reuse:
            results["build"] = build(args.database_url, args.sites, args.zoning, args.seed)
            log(f"  built in {results['build']['build_s']} s; load {load_avg()}")
        results["load_avg_1m"]["before_tiles"] = load_avg()
        results["tiles"] = tile_bench(args.database_url, args)
        if not args.no_paint_full:
            log(f"[3] paint at {args.sites:,} sites")
            try:
                paint = paint_bench(args.database_url, args.paint_repeats)
                results["paint"][str(args.sites)] = paint
            except Exception as exc:  # e.g. no paint within the time-out: say so, keep the rest
                log(f"  paint at {args.sites:,} sites failed: {exc!s:.300}")
                results["paint_failed"] = {str(args.sites): f"{type(exc).__name__}: {exc!s:.300}"}
        results["load_avg_1m"]["end"] = load_avg()
        results["pass"] = verdicts(results)
        results["wall_s"] = round(time.perf_counter() - started, 1)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        for key, ok in results["pass"].items():
            log(f"  {'PASS' if ok else 'FAIL'}  {key}")
        log(f"wall {results['wall_s']} s; results in {args.out}")
    finally:
        if not args.keep:
            db.drop_database(synthetic.bench_settings(args.database_url))
    return 0 if all(results.get("pass", {"run": False}).values()) else 1


if __name__ == "__main__":
    sys.exit(main())
