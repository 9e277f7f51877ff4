"""Bounded work for every request: one ASGI middleware in front of the whole app.

In this order, for every HTTP request:

1. **Body size.** The body is read into memory up to the limit of its endpoint (a route declares
   it with ``openapi_extra=body_limit(n)``, so the OpenAPI document shows it; the limit is read
   from the routes, of the area the path belongs to built first (``sitefinder.api.areas``); any
   other request may carry at most :data:`DEFAULT_BODY_LIMIT` bytes): a longer one, by its
   ``Content-Length`` or as it streams in, is answered 413 at once.
2. **Strict JSON.** A JSON body with ``NaN``, ``Infinity``, a number out of the range of a
   double (``1e400``) or an integer of more than 20 digits is answered 422: Python's parser
   accepts them, the rest of the API (and every other JSON parser) cannot.
3. **Admission.** At most ``settings.api_concurrency`` API requests work at once; up to
   ``settings.api_queue`` more wait for a place, each at most ``settings.api_queue_timeout_s``;
   beyond that the answer is 503 "busy" with ``Retry-After`` (never a wait for a database
   connection that times out). ``/api/health`` and the page's static files are not queued:
   the pool keeps connections for health beyond the admitted requests
   (:func:`sitefinder.core.db.api_pool_size`).
4. **Cancellation.** While the app works, the client's connection is watched; when it goes
   away, the request's :class:`Work` is cancelled: its database statement is cancelled on the
   server and a geometry worker process is killed (both register themselves), so no work goes
   on for nobody.
5. **Headers.** Every response gets the security headers (CSP, nosniff, frame-ancestors, ...)
   the app was built with, unless the route set its own.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from collections.abc import (
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    MutableMapping,
)
from contextlib import contextmanager
from typing import Any

import anyio
from starlette.routing import BaseRoute, Route

from sitefinder.api.areas import Areas
from sitefinder.api.errors import error_response
from sitefinder.core.errors import BodyTooLargeError, InvalidParameterError, ServiceBusyError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("sitefinder.api")

BODY_LIMIT_KEY = "x-body-limit-bytes"
DEFAULT_BODY_LIMIT = 16 * 1024  # bytes: any request without a declared body
QUEUED = ("/api/", "/ogc")  # the API and its OGC API Features: admitted, queued
NOT_QUEUED = frozenset({"/api/health"})
MAX_INT_DIGITS = 20
WORK_KEY = "sitefinder.work"


def body_limit(n_bytes: int) -> dict[str, Any]:
    """A route's ``openapi_extra``: its request body may be at most ``n_bytes`` long."""
    return {BODY_LIMIT_KEY: n_bytes}


class Work:
    """The cancellable work of one request: hooks that stop it when the client has gone.

    A hook (cancel a statement, kill a process) is registered by whoever starts such work, in
    any thread, and removed when the work is done; :meth:`cancel` runs the hooks registered at
    that moment and every one registered later at once.
    """

    def __init__(self) -> None:
        self._hooks: dict[int, Callable[[], None]] = {}
        self._lock = threading.Lock()
        self._next = 0
        self.cancelled = False

    def on_cancel(self, hook: Callable[[], None]) -> Callable[[], None]:
        """Run ``hook`` when the request is cancelled; returns the function that removes it."""
        with self._lock:
            if not self.cancelled:
                key = self._next
                self._next += 1
                self._hooks[key] = hook

                def remove() -> None:
                    with self._lock:
                        self._hooks.pop(key, None)

                return remove
        hook()
        return lambda: None

    @contextmanager
    def guarding(self, hook: Callable[[], None]) -> Iterator[None]:
        """``hook`` stops the work of this block if the request is cancelled meanwhile; never
        after the block (a connection back in the pool may already serve someone else)."""
        lock = threading.Lock()
        active = True

        def guarded() -> None:
            with lock:
                if active:
                    hook()

        remove = self.on_cancel(guarded)
        try:
            yield
        finally:
            with lock:
                active = False
            remove()

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            hooks, self._hooks = list(self._hooks.values()), {}
        for hook in hooks:
            try:
                hook()
            except Exception:  # a hook that fails must not keep the others from running
                logger.warning("cancelling a request's work failed", exc_info=True)


def work_of(scope: Mapping[str, Any]) -> Work:
    """The request's :class:`Work` (a fresh one outside the middleware, e.g. in unit tests)."""
    work = scope.get(WORK_KEY)
    return work if isinstance(work, Work) else Work()


class Admission:
    """At most ``limit`` requests at work, at most ``queue`` waiting, each at most ``wait_s``."""

    def __init__(self, limit: int, queue: int, wait_s: float) -> None:
        self.limit, self.queue, self.wait_s = limit, queue, wait_s
        self.waiting = 0
        self._slots: anyio.Semaphore | None = None  # made in the event loop, on first use

    def _semaphore(self) -> anyio.Semaphore:
        if self._slots is None:
            self._slots = anyio.Semaphore(self.limit)
        return self._slots

    async def enter(self) -> None:
        slots = self._semaphore()
        if slots.value == 0 and self.waiting >= self.queue:
            raise ServiceBusyError(
                f"the server is busy ({self.limit} requests at work, {self.waiting} waiting);"
                " try again in a few seconds"
            )
        self.waiting += 1
        try:
            with anyio.move_on_after(self.wait_s):
                await slots.acquire()
                return
        finally:
            self.waiting -= 1
        raise ServiceBusyError(
            f"the server is busy (no place within {self.wait_s:g} s); try again in a few seconds"
        )

    def leave(self) -> None:
        self._semaphore().release()


def _reject_constant(name: str) -> Any:
    raise InvalidParameterError(f"body: {name} is not a JSON number (numbers must be finite)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidParameterError(f"body: the number {text[:30]} is out of range")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise InvalidParameterError(f"body: the number {text[:30]}... is out of range")
    return int(text)


def check_json(body: bytes) -> None:
    """Raise :class:`InvalidParameterError` for a body that is not strict JSON (see above)."""
    try:
        json.loads(
            body,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except RecursionError:
        raise InvalidParameterError("body: is nested too deeply") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidParameterError("body: is not valid JSON") from None


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            kind = value.split(b";", 1)[0].strip().lower()
            return bool(kind == b"application/json" or kind.endswith(b"+json"))
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def body_limits(routes: Iterable[BaseRoute]) -> list[tuple[re.Pattern[str], str, int]]:
    """(path, method, limit) of the ``routes`` that declare one (``body_limit``), read from the
    routes themselves: the OpenAPI document would be built on the first request for it (at
    start, hundreds of milliseconds of a fresh process's first answer)."""
    out = []
    for route in routes:
        extra = getattr(route, "openapi_extra", None) or {}
        if BODY_LIMIT_KEY in extra and isinstance(route, Route):
            for method in sorted(route.methods or ()):
                out.append((route.path_regex, method.lower(), int(extra[BODY_LIMIT_KEY])))
    return out


class Guard:
    """The middleware (see the module docstring). ``areas``: the app's routes, built when first
    needed; ``headers``: added to every response."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        areas: Areas,
        admission: Admission,
        headers: Mapping[str, str],
    ) -> None:
        self.app = app
        self.areas = areas
        self._limits: list[tuple[re.Pattern[str], str, int]] = []
        self._limits_version = -1  # of the areas the limits were read from
        self.admission = admission
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    def _limit(self, scope: Scope) -> int:
        if self._limits_version != self.areas.version:
            self._limits_version = self.areas.version
            self._limits = body_limits(self.areas.routes())
        method, path = str(scope.get("method", "")).lower(), str(scope.get("path", ""))
        for pattern, verb, limit in self._limits:
            if verb == method and pattern.fullmatch(path):
                return limit
        return DEFAULT_BODY_LIMIT

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        where = f"{scope.get('method')} {scope.get('path')}"
        await self.areas.ready(str(scope.get("path", "")))
        try:
            body = await self._read_body(scope, receive)
            if body and _is_json(scope):
                check_json(body)
        except (BodyTooLargeError, InvalidParameterError) as exc:
            await error_response(exc, where)(scope, receive, send_with_headers)
            return
        path = str(scope.get("path", ""))
        queued = path.startswith(QUEUED) and path not in NOT_QUEUED
        if queued:
            try:
                await self.admission.enter()
            except ServiceBusyError as exc:
                await error_response(exc, where)(scope, receive, send_with_headers)
                return
        try:
            await self._run(scope, receive, send_with_headers, body)
        finally:
            if queued:
                self.admission.leave()

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        limit = self._limit(scope)
        declared = _content_length(scope)
        what = f"{scope.get('method')} {scope.get('path')}"
        if declared is not None and declared > limit:
            raise BodyTooLargeError(f"the request body is larger than {limit} bytes ({what})")
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BodyTooLargeError(f"the request body is larger than {limit} bytes ({what})")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _run(self, scope: Scope, receive: Receive, send: Send, body: bytes) -> None:
        """Run the app on the buffered ``body``; cancel its :class:`Work` if the client goes."""
        work = Work()
        scope[WORK_KEY] = work
        gone = anyio.Event()
        delivered = answered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send_noting_end(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                answered = True
            await send(message)

        async with anyio.create_task_group() as group:

            async def watch() -> None:
                # servers also report a disconnect once the response is complete: not a cancel
                while (await receive())["type"] != "http.disconnect":
                    pass
                gone.set()
                if answered:
                    return
                logger.info("%s %s: the client went away; cancelling its work", *_where(scope))
                await anyio.to_thread.run_sync(work.cancel)
                group.cancel_scope.cancel()

            group.start_soon(watch)
            try:
                await self.app(scope, replay, send_noting_end)
            finally:
                group.cancel_scope.cancel()


def _where(scope: Scope) -> tuple[str, str]:
    return str(scope.get("method")), str(scope.get("path"))
