"""Run work that may take unbounded time or memory in a worker process that can be abandoned.

Repairing an invalid polygon (``make_valid``) grows faster than its number of vertices: a
self-intersecting polygon of 300 random vertices took 37 s, and 1,000 vertices more than two
minutes and 1.8 GB in the server. No limit on the input makes that cheap, so the API repairs in
a worker process: each call gets a time budget and the worker an address space of
:data:`MEMORY_BYTES` beyond what it starts with; a worker that exceeds its budget, or whose
caller gives up (the client went away), is killed and replaced, and the server's own memory is
never touched.

:class:`Workers` keeps a few workers running (``python -m sitefinder.core.isolate``: a fresh
interpreter that imports only shapely and this module, never a fork of the multi-threaded
server), so a call costs about a millisecond plus the work itself. A task names one of
:data:`TASKS` and passes bytes (WKB) both ways over the worker's stdin/stdout. The module lives
in the bottom layer so that the workers import nothing of the API.
"""

from __future__ import annotations

import logging
import os
import queue
import resource
import select
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import IO, Any

import shapely

logger = logging.getLogger("sitefinder.isolate")

BUDGET_S = 1.0
MEMORY_BYTES = 1 << 30  # address space a worker may add to what it starts with (1 GiB)
RECYCLE_BYTES = 256 << 20  # a worker whose resident memory grew beyond this is replaced
HEADER = struct.Struct("!BQ")  # status (or task number), payload length
Guard = Callable[[Callable[[], None]], AbstractContextManager[Any]]


def repair_wkb(data: bytes) -> bytes:
    """A valid geometry for the WKB ``data``: ``make_valid`` by structure (the area inside the
    exterior rings, minus the holes: what a drawn outline means), collapsed parts dropped."""
    geometry = shapely.from_wkb(data)
    repaired = shapely.make_valid(geometry, method="structure", keep_collapsed=False)
    return bytes(shapely.to_wkb(repaired))


def _sleep_wkb(data: bytes) -> bytes:
    """Sleeps as many seconds as ``data`` says (tests of the budget); returns ``data``."""
    time.sleep(float(data or b"0"))
    return data


TASKS: tuple[Callable[[bytes], bytes], ...] = (repair_wkb, _sleep_wkb)


class BudgetExceeded(Exception):
    """The work took longer than its budget, ran out of memory, failed, or was cancelled."""


def _read_exactly(stream: IO[bytes], n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class Worker:
    """One worker process (see the module docstring)."""

    def __init__(self, memory_bytes: int = MEMORY_BYTES) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sitefinder.core.isolate", str(memory_bytes)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin, self.stdout = self.process.stdin, self.process.stdout

    def call(self, task: int, data: bytes, budget_s: float) -> bytes:
        """Run ``TASKS[task]`` on ``data``; :class:`BudgetExceeded` after ``budget_s``."""
        deadline = time.monotonic() + budget_s
        try:
            self.stdin.write(HEADER.pack(task, len(data)) + data)
            self.stdin.flush()
            ready, _, _ = select.select([self.stdout], [], [], budget_s)
            if not ready:
                raise BudgetExceeded(f"took longer than {budget_s:g} s")
            status, size = HEADER.unpack(_read_exactly(self.stdout, HEADER.size))
            payload = _read_exactly(self.stdout, size)
        except (EOFError, BrokenPipeError, OSError, ValueError) as exc:
            raise BudgetExceeded("the worker stopped") from exc
        if time.monotonic() > deadline:
            raise BudgetExceeded(f"took longer than {budget_s:g} s")
        if status != 0:
            raise BudgetExceeded(payload.decode(errors="replace"))
        return payload

    def resident_bytes(self) -> int:
        try:
            with open(f"/proc/{self.process.pid}/statm", encoding="ascii") as statm:  # noqa: PTH123
                return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            return 0

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=5)
        self.stdin.close()
        self.stdout.close()


class Workers:
    """``size`` workers; :meth:`run` takes an idle one (waiting at most the budget for it).

    With ``delay_s`` they start that many seconds later (or at the first :meth:`run`, if that
    comes first): a fresh API process then answers its first requests without two interpreters
    starting beside it on the same cores."""

    def __init__(self, size: int = 2, memory_bytes: int = MEMORY_BYTES, delay_s: float = 0) -> None:
        self.memory_bytes = memory_bytes
        self._size = size
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._all: set[Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._started = False
        if delay_s > 0:
            timer = threading.Timer(delay_s, self.start)
            timer.daemon = True
            timer.start()
        else:
            self.start()

    def start(self) -> None:
        """Start the workers (once)."""
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
        for _ in range(self._size):
            self._add()

    def _add(self) -> None:
        worker = Worker(self.memory_bytes)
        with self._lock:
            if self._closed:
                worker.kill()
                return
            self._all.add(worker)
        self._idle.put(worker)

    def _replace(self, worker: Worker) -> None:
        """Kill ``worker`` and start its successor in the background."""
        with self._lock:
            self._all.discard(worker)
        worker.kill()
        threading.Thread(target=self._add, name="sitefinder-isolate", daemon=True).start()

    def run(
        self,
        func: Callable[[bytes], bytes],
        data: bytes,
        *,
        budget_s: float = BUDGET_S,
        guard: Guard | None = None,
    ) -> bytes:
        """``func(data)`` (one of :data:`TASKS`) in a worker within ``budget_s`` seconds, or
        :class:`BudgetExceeded`. ``guard(kill)`` wraps the work, so that the caller can stop
        it meanwhile (the API: when the client goes away)."""
        started = time.monotonic()
        self.start()
        try:
            worker = self._idle.get(timeout=budget_s)
        except queue.Empty:
            raise BudgetExceeded("every worker is busy") from None
        left = budget_s - (time.monotonic() - started)
        ok = False
        try:
            with guard(worker.process.kill) if guard is not None else nullcontext():
                result = worker.call(TASKS.index(func), data, max(left, 0.001))
            ok = True
            return result
        finally:
            if ok and worker.resident_bytes() < RECYCLE_BYTES:
                self._idle.put(worker)
            else:
                self._replace(worker)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.kill()


def _serve(memory_bytes: int) -> None:
    """The worker's loop: read a task from stdin, answer on stdout, until stdin closes."""
    with open("/proc/self/statm", encoding="ascii") as statm:  # noqa: PTH123 - Linux only
        mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (mapped + memory_bytes, mapped + memory_bytes))
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            task, size = HEADER.unpack(_read_exactly(source, HEADER.size))
            data = _read_exactly(source, size)
        except EOFError:
            return
        try:
            status, payload = 0, TASKS[task](data)
        except MemoryError:
            status, payload = 1, b"out of memory"
        except Exception as exc:  # reported to the caller, which logs it; never to a client
            status, payload = 1, f"{type(exc).__name__}: {exc}".encode()
        sink.write(HEADER.pack(status, len(payload)) + payload)
        sink.flush()


if __name__ == "__main__":
    _serve(int(sys.argv[1]) if len(sys.argv) > 1 else MEMORY_BYTES)
