"""What the API benchmarks share: a ``sitefinder serve`` of their own on 127.0.0.1, its memory,
and percentiles (``bench/load.py``, ``bench/outage.py``, ``bench/pathological.py``).

Every benchmark talks to 127.0.0.1 only and to a database whose name contains ``bench``
(prepared with the demo region when it has no sites yet): never a database in use.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SITEFINDER = str(Path(sys.executable).parent / "sitefinder")


def check_database_url(url: str) -> str:
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"the database name must contain 'bench' (got {name!r})")
    return url


def check_loopback(url: str) -> str:
    host = urllib.parse.urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost"):
        raise SystemExit(f"benchmarks talk to 127.0.0.1 only (got {host!r})")
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(database_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "SITEFINDER_DATABASE_URL": database_url, **extra}


def prepare(database_url: str) -> None:
    """Load and score the demo region into the bench database unless it holds sites already."""
    done = subprocess.run(
        [SITEFINDER, "demo", "--no-serve"],
        env=environment(database_url),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"preparing the bench database failed:\n{done.stderr[-2000:]}")


def start(
    database_url: str, *, workers: int = 1, port: int = 0, log: Path | None = None, **env: str
) -> tuple[subprocess.Popen[bytes], str]:
    """``sitefinder serve`` on 127.0.0.1 (its warnings to ``log``); returns the process and its
    base URL once it answers."""
    port = port or free_port()
    command = [SITEFINDER, "serve", "--host", "127.0.0.1", "--port", str(port)]
    sink = log.open("ab") if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(
        [*command, "--workers", str(workers)],
        env=environment(database_url, **env),
        stdout=subprocess.DEVNULL,
        stderr=sink,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            if httpx.get(f"{url}/api/health", timeout=5).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit("the server did not start")
        time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> float:
    """SIGTERM, and the seconds until the process has gone."""
    started = time.monotonic()
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return time.monotonic() - started


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def rss_mib(pid: int) -> dict[str, float]:
    """Resident memory (MiB) of ``pid`` itself and of all its descendants."""

    def one(p: int) -> float:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    descendants, todo = [], _children(pid)
    while todo:
        child = todo.pop()
        descendants.append(child)
        todo += _children(child)
    return {"server": round(one(pid), 1), "children": round(sum(one(c) for c in descendants), 1)}


def percentiles(seconds: list[float]) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds."""
    if not seconds:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    ms = np.asarray(seconds) * 1000
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return {
        "p50_ms": round(float(p50), 1),
        "p95_ms": round(float(p95), 1),
        "p99_ms": round(float(p99), 1),
        "max_ms": round(float(ms.max()), 1),
    }


def load_average() -> float:
    return round(os.getloadavg()[0], 2)
