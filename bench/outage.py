"""Database outage: how fast the API answers while PostgreSQL is gone, and how soon it is back.

A ``sitefinder serve`` of its own connects to the bench database through a TCP proxy on
127.0.0.1 (``bench/tcpproxy.py``). The script warms it up, then takes the database away (the
proxy drops every connection and refuses new ones, as a stopped PostgreSQL does) for
``--down`` seconds while ``--clients`` clients keep asking for sites, and brings it back.
Reported: the answers while down (statuses, the slowest, whether any body shows driver text),
and the time from the database's return to the first 200 and to every client's first 200.

    .venv/bin/python bench/outage.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/sitefinder_bench_NAME
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import serving
import tcpproxy

DRIVER_WORDS = ("psycopg", "connection to server", "5432", "couldn't get a connection")


def _client(url: str, stop: threading.Event, log: list[tuple[float, int, str]]) -> None:
    with httpx.Client(base_url=url, timeout=30) as http:
        while not stop.is_set():
            started = time.monotonic()
            try:
                response = http.get("/api/sites", params={"limit": 20})
                status, body = response.status_code, response.text[:300]
            except httpx.HTTPError as exc:
                status, body = 0, type(exc).__name__
            log.append((started, status, body))
            log.append((time.monotonic(), -1, ""))  # the end of that request
            time.sleep(0.05)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True, help="its name must contain 'bench'")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--down", type=float, default=10.0, help="seconds without a database")
    parser.add_argument("--out", type=Path, default=serving.ROOT / "bench/results/outage.json")
    args = parser.parse_args(argv)
    if args.clients > 100 or args.down > 120:
        raise SystemExit("bounded: at most 100 clients and 120 s down")
    database_url = serving.check_database_url(args.database_url)
    serving.prepare(database_url)
    parts = urllib.parse.urlsplit(database_url)
    with tcpproxy.Proxy((parts.hostname or "127.0.0.1", parts.port or 5432)) as proxy:
        via = parts._replace(
            netloc=parts.netloc.replace(f":{parts.port or 5432}", f":{proxy.port}")
        )
        process, url = serving.start(urllib.parse.urlunsplit(via))
        logs: list[list[tuple[float, int, str]]] = [[] for _ in range(args.clients)]
        stop = threading.Event()
        threads = [
            threading.Thread(target=_client, args=(url, stop, log), daemon=True) for log in logs
        ]
        try:
            for thread in threads:
                thread.start()
            time.sleep(3)
            went = time.monotonic()
            proxy.down()
            time.sleep(args.down)
            back = time.monotonic()
            proxy.up()
            time.sleep(10)
            stop.set()
            for thread in threads:
                thread.join(timeout=35)
        finally:
            stopped = serving.stop(process)
    down_answers: list[float] = []
    statuses: Counter[str] = Counter()
    driver_text = 0
    first_ok: list[float] = []
    for log in logs:
        pairs = list(zip(log[::2], log[1::2], strict=False))
        for (start, status, body), (end, _, _) in pairs:
            if went + 0.5 <= start < back:  # answers that began while the database was gone
                down_answers.append(end - start)
                statuses[str(status)] += 1
                driver_text += any(word in body for word in DRIVER_WORDS)
        after = [start for (start, status, _), _ in pairs if start >= back and status == 200]
        if after:
            first_ok.append(after[0] - back)
    report = {
        "clients": args.clients,
        "down_s": args.down,
        "while_down": {
            "answers": len(down_answers),
            "statuses": dict(statuses),
            "bodies_with_driver_text": driver_text,
            **serving.percentiles(down_answers),
        },
        "recovery_s": {
            "first_ok": round(min(first_ok), 2) if first_ok else None,
            "every_client_ok": round(max(first_ok), 2) if len(first_ok) == args.clients else None,
        },
        "sigterm_to_exit_s": round(stopped, 2),
        "load_avg_1m": serving.load_average(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
