"""Pathological requests (issue 9, findings 1, 2, 7): the worst time any of them holds the
server, how much it grows, and whether ``/api/health`` keeps answering meanwhile.

A ``sitefinder serve`` of its own on the bench database (127.0.0.1). Each input of the audit
is sent alone (and the worst one twice at once) while a probe in a process of its own asks
``/api/health`` every 50 ms: self-intersecting polygons of 300 to 100,000 random vertices, a
valid polygon of a million vertices, a MultiPolygon of 100,000 parts, 50 MB of body, NaN and
1e400, a body nested a million levels deep, the largest valid geometry, the whole world as a
bbox and the largest layer pages. Reported per input: status and seconds; for the run: the
slowest request, the server's peak resident memory (VmHWM) above its resident memory before
the first input, the geometry workers' peak, and the health probe's latencies.

    .venv/bin/python bench/pathological.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/sitefinder_bench_NAME
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import serving

RNG = np.random.default_rng(1)


def _star(n: int) -> bytes:
    lon = 4.90 + RNG.uniform(-0.005, 0.005, n)
    lat = 52.37 + RNG.uniform(-0.003, 0.003, n)
    ring = np.column_stack([lon, lat]).round(6).tolist()
    return json.dumps({"geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}}).encode()


def _circle(n: int, radius: float = 0.01) -> list[list[float]]:
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = np.column_stack([4.9 + radius * np.cos(a), 52.37 + 0.6 * radius * np.sin(a)])
    out = ring.round(7).tolist()
    return [*out, out[0]]


def _valid(n: int) -> bytes:
    return json.dumps({"geometry": {"type": "Polygon", "coordinates": [_circle(n)]}}).encode()


def _parts(n: int, size: int = 4) -> bytes:
    polygons = [[_circle(size, 0.0001)] for _ in range(n)]
    return json.dumps({"geometry": {"type": "MultiPolygon", "coordinates": polygons}}).encode()


def _raw(text: str) -> bytes:
    return text.encode()


POST = "/api/score"
INPUTS: list[tuple[str, str, Callable[[], bytes] | None]] = [
    ("star 300 vertices", POST, lambda: _star(300)),
    ("star 1,000 vertices", POST, lambda: _star(1_000)),
    ("star 2,000 vertices", POST, lambda: _star(2_000)),
    ("star 5,000 vertices", POST, lambda: _star(5_000)),
    ("star 100,000 vertices", POST, lambda: _star(100_000)),
    ("valid polygon 1,000,000 vertices", POST, lambda: _valid(1_000_000)),
    ("valid polygon 5,000 vertices (a ring's limit)", POST, lambda: _valid(4_999)),
    ("MultiPolygon 100,000 parts", POST, lambda: _parts(100_000)),
    ("MultiPolygon 50 parts x 399 vertices", POST, lambda: _parts(50, 399)),
    ("50 MB body", POST, lambda: b'{"geometry": ' + b" " * (50 << 20) + b"}"),
    ("NaN", POST, lambda: _raw('{"geometry": {"type": "Point", "coordinates": [NaN, 52]}}')),
    ("1e400", POST, lambda: _raw('{"geometry": {"type": "Point", "coordinates": [1e400, 52]}}')),
    ("nested 1,000,000 deep", POST, lambda: b"[" * 500_000 + b"]" * 500_000),
    (
        "string coordinates",
        POST,
        lambda: _raw('{"geometry": {"type": "Point", "coordinates": ["4.9", "52.4"]}}'),
    ),
    ("world bbox, gemeenten", "/api/layers/gemeenten?bbox=-180,-90,180,90&limit=20000", None),
    ("natura2000, every area", "/api/layers/natura2000?limit=20000", None),
    ("buurten, every area", "/api/layers/buurten?limit=20000", None),
    ("sites, 2000 with own weights", "/api/sites?limit=2000&weights=transit:1,size:1", None),
    ("sites, offset 10,000,000", "/api/sites?offset=10000000&limit=2000", None),
]


def probe(url: str, stop: Any, out: Any) -> None:
    """``/api/health`` every 50 ms until ``stop`` is set; the times go to ``out``."""
    times = []
    with httpx.Client(base_url=url, timeout=30) as http:
        while not stop.is_set():
            started = time.monotonic()
            with contextlib.suppress(httpx.HTTPError):
                http.get("/api/health")
            times.append(time.monotonic() - started)
            time.sleep(0.05)
    out.put(times)


def _send(http: httpx.Client, path: str, body: bytes | None) -> tuple[int, float, str]:
    started = time.monotonic()
    try:
        if body is None:
            response = http.get(path)
        else:
            response = http.post(path, content=body, headers={"content-type": "application/json"})
        status, detail = (
            response.status_code,
            response.text[:140] if response.status_code >= 400 else "",
        )
    except httpx.HTTPError as exc:
        status, detail = 0, type(exc).__name__
    return status, time.monotonic() - started, detail


def _peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True, help="its name must contain 'bench'")
    parser.add_argument(
        "--out", type=Path, default=serving.ROOT / "bench/results/pathological.json"
    )
    args = parser.parse_args(argv)
    database_url = serving.check_database_url(args.database_url)
    serving.prepare(database_url)
    process, url = serving.start(database_url)
    context = multiprocessing.get_context("spawn")
    stop, queue = context.Event(), context.Queue()
    prober = context.Process(target=probe, args=(url, stop, queue), daemon=True)
    results = []
    try:
        with httpx.Client(base_url=url, timeout=60) as http:
            http.get("/api/sites?limit=1")
            before = serving.rss_mib(process.pid)
            prober.start()
            time.sleep(1)
            for name, path, make in INPUTS:
                body = make() if make is not None else None
                status, seconds, detail = _send(http, path, body)
                results.append(
                    {
                        "input": name,
                        "bytes": len(body or b""),
                        "status": status,
                        "seconds": round(seconds, 3),
                        "detail": detail,
                    }
                )
            # the worst repair twice at once (the audit: two such requests killed the server)
            pair: list[tuple[int, float, str]] = []
            star = _star(2_000)
            threads = [
                threading.Thread(
                    target=lambda: pair.append(
                        _send(httpx.Client(base_url=url, timeout=60), POST, star)
                    )
                )
                for _ in range(2)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            for status, seconds, detail in pair:
                results.append(
                    {
                        "input": "star 2,000 vertices, two at once",
                        "bytes": len(star),
                        "status": status,
                        "seconds": round(seconds, 3),
                        "detail": detail,
                    }
                )
            time.sleep(1)
            stop.set()
            health = queue.get(timeout=60)
            prober.join(timeout=10)
            after = serving.rss_mib(process.pid)
            peak = _peak_mib(process.pid)
            answer = http.get("/api/health").status_code
    finally:
        stopped = serving.stop(process)
    report = {
        "inputs": results,
        "worst_seconds": max(r["seconds"] for r in results),
        "server_mib": {
            "before": before["server"],
            "after": after["server"],
            "peak": round(peak, 1),
            "peak_growth": round(peak - before["server"], 1),
        },
        "workers_mib": {"before": before["children"], "after": after["children"]},
        "health_during": {"n": len(health), **serving.percentiles(health)},
        "health_after": answer,
        "sigterm_to_exit_s": round(stopped, 2),
        "load_avg_1m": serving.load_average(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for r in results:
        print(f"{r['status']:>4} {r['seconds']:7.3f} s  {r['bytes']:>10} B  {r['input']}")
    print(json.dumps({k: v for k, v in report.items() if k != "inputs"}, indent=2))
    return report


if __name__ == "__main__":
    main()
