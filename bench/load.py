"""Load: N concurrent clients for S seconds against a ``sitefinder serve`` of its own (127.0.0.1).

The mix of the audit (issue 9): 40 % site lists (random profile, own weights, a gemeente or a
bbox), 30 % site details, 20 % ad-hoc scores (a random plot or point in Amsterdam), 10 % the
page (``/``, ``/src/main.js``). Every client waits for its answer before it asks again
(closed loop, keep-alive, a 30 s timeout per request); a probe asks ``/api/health`` every
200 ms besides, from a process of its own. Reports requests, errors (any answer that is not
2xx, by status, and transport errors), p50/p95/p99 in all and per kind, the health probe's
latency and the server's memory before and after, and writes them to ``--out`` (JSON).

    .venv/bin/python bench/load.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/sitefinder_bench_NAME

The database name must contain ``bench``; it is prepared with the demo region when it has no
sites. ``--url`` measures a server that is already running instead (127.0.0.1 only).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import random
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx
import serving

MIX = {"list": 40, "detail": 30, "score": 20, "page": 10}
PROFILES = ["standaard", "begeleid_wonen", "statushouders", "zelfredzaam"]
GEMEENTEN = ["GM0363", "GM0228", "GM0599", None, None]
CRITERIA = ["transit", "care_distance", "care_count", "daily_needs", "zoning", "size"]


def _list_params(rng: random.Random) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": rng.choice([20, 50, 100]), "profile": rng.choice(PROFILES)}
    if rng.random() < 0.5:
        params["weights"] = ",".join(
            f"{c}:{rng.randint(1, 10) / 10}" for c in rng.sample(CRITERIA, 3)
        )
    gemeente = rng.choice(GEMEENTEN)
    if gemeente:
        params["gemeente"] = gemeente
    elif rng.random() < 0.5:
        lon, lat = rng.uniform(4.8, 5.0), rng.uniform(52.3, 52.4)
        params["bbox"] = f"{lon:.4f},{lat:.4f},{lon + 0.05:.4f},{lat + 0.03:.4f}"
    return params


def _plot(rng: random.Random) -> dict[str, Any]:
    lon, lat = rng.uniform(4.85, 4.95), rng.uniform(52.34, 52.39)
    if rng.random() < 0.3:
        return {"geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}}
    w, h = rng.uniform(0.0003, 0.002), rng.uniform(0.0002, 0.0012)
    ring = [[lon, lat], [lon + w, lat], [lon + w, lat + h], [lon, lat + h], [lon, lat]]
    return {"geometry": {"type": "Polygon", "coordinates": [ring]}, "places": rng.randint(5, 40)}


async def _client(
    http: httpx.AsyncClient, rng: random.Random, ids: list[str], until: float, out: dict[str, Any]
) -> None:
    kinds, weights = list(MIX), list(MIX.values())
    while time.monotonic() < until:
        kind = rng.choices(kinds, weights)[0]
        started = time.monotonic()
        try:
            if kind == "list":
                response = await http.get("/api/sites", params=_list_params(rng))
            elif kind == "detail":
                response = await http.get(
                    f"/api/sites/{rng.choice(ids)}", params={"profile": rng.choice(PROFILES)}
                )
            elif kind == "score":
                response = await http.post(
                    "/api/score", json=_plot(rng), params={"profile": rng.choice(PROFILES)}
                )
            else:
                response = await http.get(rng.choice(["/", "/src/main.js", "/style.css"]))
            status = str(response.status_code)
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        took = time.monotonic() - started
        out["times"][kind].append(took)
        out["statuses"][status] += 1
        if not status.startswith("2"):
            out["errors"][f"{kind} {status}"] += 1


def probe(url: str, seconds: float, out: Any) -> None:
    """``/api/health`` every 200 ms for ``seconds``, in a process of its own (so that its
    times are the server's, not the load generator's); the times go to ``out`` (a queue)."""
    times = []
    until = time.monotonic() + seconds
    with httpx.Client(base_url=url, timeout=30) as http:
        while time.monotonic() < until:
            started = time.monotonic()
            with contextlib.suppress(httpx.HTTPError):  # counted as slow as it was
                http.get("/api/health")
            times.append(time.monotonic() - started)
            time.sleep(0.2)
    out.put(times)


async def run(url: str, clients: int, seconds: float, seed: int) -> dict[str, Any]:
    limits = httpx.Limits(
        max_connections=clients + 2, max_keepalive_connections=clients + 2, keepalive_expiry=10
    )
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:
        first = (
            await http.get("/api/sites", params={"limit": 500, "include_excluded": "true"})
        ).json()
        ids = [f["id"] for f in first["features"]]
        out: dict[str, Any] = {
            "times": defaultdict(list),
            "statuses": Counter(),
            "errors": Counter(),
        }
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        prober = context.Process(target=probe, args=(url, seconds, queue), daemon=True)
        prober.start()
        until = time.monotonic() + seconds
        started = time.monotonic()
        await asyncio.gather(
            *(_client(http, random.Random(seed + i), ids, until, out) for i in range(clients))
        )
        elapsed = time.monotonic() - started
        health: list[float] = queue.get(timeout=60)
        prober.join(timeout=10)
    every = [t for times in out["times"].values() for t in times]
    return {
        "requests": len(every),
        "errors": sum(out["errors"].values()),
        "error_kinds": dict(out["errors"]),
        "statuses": dict(out["statuses"]),
        "requests_per_s": round(len(every) / elapsed, 1),
        "all": serving.percentiles(every),
        "per_kind": {k: {"n": len(v), **serving.percentiles(v)} for k, v in out["times"].items()},
        "health": {"n": len(health), **serving.percentiles(health)},
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="a database whose name contains 'bench'")
    parser.add_argument("--url", help="a running server on 127.0.0.1 instead of one of our own")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=None, help="sitefinder serve --workers")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument(
        "--out", type=Path, default=serving.ROOT / "bench" / "results" / "load.json"
    )
    args = parser.parse_args(argv)
    if args.clients > 200 or args.seconds > 600:
        raise SystemExit("bounded: at most 200 clients and 600 s")
    process = None
    if args.url:
        url = serving.check_loopback(args.url)
    else:
        if not args.database_url:
            raise SystemExit("give --database-url (a bench database) or --url")
        database_url = serving.check_database_url(args.database_url)
        serving.prepare(database_url)
        log = args.out.with_suffix(".server.log")
        log.unlink(missing_ok=True)
        process, url = serving.start(database_url, workers=args.workers or 1, log=log)
    try:
        memory_before = serving.rss_mib(process.pid) if process else None
        load_before = serving.load_average()
        result = asyncio.run(run(url, args.clients, args.seconds, args.seed))
        memory_after = serving.rss_mib(process.pid) if process else None
    finally:
        stopped = serving.stop(process) if process else None
    report = {
        "clients": args.clients,
        "seconds": args.seconds,
        "workers": args.workers or 1,
        "load_avg_1m": {"before": load_before, "after": serving.load_average()},
        "memory_mib": {"before": memory_before, "after": memory_after},
        "sigterm_to_exit_s": None if stopped is None else round(stopped, 2),
        **result,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(
        json.dumps(
            {
                k: report[k]
                for k in (
                    "requests",
                    "errors",
                    "requests_per_s",
                    "all",
                    "health",
                    "statuses",
                    "memory_mib",
                    "load_avg_1m",
                )
            },
            indent=2,
        )
    )
    return report


if __name__ == "__main__":
    main()
