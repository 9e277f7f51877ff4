"""The API's areas (one router module each in ``sitefinder.api.routers``), most built when first
asked for.

A fresh process answers its first ``GET /api/sites`` without building the routes and models of
the areas that request does not use (accounts, flags, OGC API Features, tiles, matching, ...;
issue 14: importing them was two thirds of the start). Such an area has a ``paths`` pattern:
until it is built, a stand-in route (:class:`Pending`) holds its place in the app's route list
(the order decides which route matches first, e.g. ``/sites/{site_id:path}/report`` before
``/sites/{site_id:path}``). Its module is imported and its router included in that place:

* before a request whose path the pattern matches is read (:meth:`Areas.ready`, called by the
  guard: the body limits of its routes apply), in a worker thread, so that the event loop goes
  on serving the other requests meanwhile;
* for the OpenAPI document (every area: the document lists every route; ``/openapi.json`` is
  prepared by ``ready`` like any path, :meth:`Areas.build_all` builds what is left);
* by the stand-in itself, when it is asked to match a path of its area (a request that came
  without the guard) or to name a route (``url_path_for``): the app answers every request and
  every route name exactly as if all areas had been built at the start.

A pattern may match more paths than its area has (the cost is building the area early), never
fewer: ``tests/test_cli_start.py`` checks every route of every lazy area against it.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

ROUTERS = "sitefinder.api.routers"


@dataclass(frozen=True)
class Area:
    """A router module of ``sitefinder.api.routers``; ``paths``: a regular expression matched at
    the start of a request's path that every path of its routes matches (the area is then built
    when first asked for); ``None``: built with the app."""

    module: str
    paths: str | None = None

    def router(self) -> APIRouter:
        router: APIRouter = importlib.import_module(f"{ROUTERS}.{self.module}").router
        return router


class Pending(BaseRoute):
    """The place of an area not built yet in the app's routes (see the module docstring)."""

    def __init__(self, areas: Areas, area: Area) -> None:
        self.areas, self.area = areas, area
        self.pattern = re.compile(area.paths or "")
        self.routes: list[BaseRoute] | None = None  # what took its place, once built

    def _built(self) -> list[BaseRoute]:
        if self.routes is None:
            self.areas.build([self.area])
        assert self.routes is not None
        return self.routes

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self.routes is None and (
            scope["type"] not in ("http", "websocket") or not self.pattern.match(scope["path"])
        ):
            return Match.NONE, {}
        partial: tuple[Match, Scope] | None = None
        for route in self._built():
            match, child = route.matches(scope)
            if match == Match.FULL:
                return match, child
            if match == Match.PARTIAL and partial is None:
                partial = (match, child)
        return partial or (Match.NONE, {})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        chosen = None
        for route in self._built():
            match, _ = route.matches(scope)
            if match == Match.FULL:
                chosen = route
                break
            if match == Match.PARTIAL and chosen is None:
                chosen = route
        assert chosen is not None  # handle follows a match
        await chosen.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        for route in self._built():
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        raise NoMatchFound(name, path_params)


class Areas:
    """The areas of ``app``, in their order; those with ``paths`` built when first needed."""

    def __init__(self, app: FastAPI, areas: Sequence[Area]) -> None:
        self.app = app
        self.version = 0  # goes up with every area built (the guard re-reads the body limits)
        self._routers: list[APIRouter] = []
        self._pending: dict[Area, Pending] = {}
        self._lock = threading.Lock()
        for area in areas:
            if area.paths is None:
                self._include(area.router())
            else:
                self._pending[area] = pending = Pending(self, area)
                app.router.routes.append(pending)

    def _include(self, router: APIRouter) -> list[BaseRoute]:
        routes = self.app.router.routes
        before = len(routes)
        self.app.include_router(router)
        self._routers.append(router)
        self.version += 1
        return routes[before:]

    def pending(self, path: str) -> list[Area]:
        """The areas not built yet whose pattern matches ``path`` (all for the OpenAPI
        document)."""
        if not self._pending:
            return []  # every area built: what each request asks once they all were
        every = path == self.app.openapi_url
        held = list(self._pending.items())  # a copy: another thread may build meanwhile
        return [area for area, p in held if every or p.pattern.match(path)]

    async def ready(self, path: str) -> None:
        """Build the areas ``path`` may belong to, their imports in a worker thread."""
        todo = self.pending(path)
        if todo:
            await anyio.to_thread.run_sync(_import, todo)
            self.build(todo)

    def build_all(self) -> None:
        self.build(list(self._pending))

    def build(self, areas: Iterable[Area]) -> None:
        """Include the routers of ``areas`` in the places of their stand-ins."""
        for area in areas:
            router = area.router()  # the import: outside the lock (it takes its own)
            with self._lock:
                pending = self._pending.pop(area, None)
                if pending is None:
                    continue  # built meanwhile
                routes = self.app.router.routes
                added = self._include(router)
                del routes[len(routes) - len(added) :]
                place = routes.index(pending)
                routes[place : place + 1] = added
                pending.routes = added

    def routes(self) -> list[BaseRoute]:
        """The routes of every area built so far, as their routers declare them."""
        return [route for router in self._routers for route in router.routes]


def _import(areas: Iterable[Area]) -> None:
    for area in areas:
        area.router()
