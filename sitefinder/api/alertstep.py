"""The saved searches' alerts after a change of offers or matches, off the request path.

A route that changes offers or matches calls :func:`schedule` with its ``BackgroundTasks``:
the answer goes out first, then one worker thread runs ``alerts.run`` (the new matches of
every saved search, with their notifications and their e-mails into the outbox) and
``alerts.deliver`` (the due e-mails of the outbox, each attempt recorded, retried later when
the SMTP server is slow or down), on a connection of its own from the writer's pool. One run
at a time per app: a change while one runs makes it run once more, so bursts of changes cost
one run each, not one per change. A failure is logged, never the change's: the next run, or
``sitefinder alerts``, catches up.
"""

from __future__ import annotations

import logging
import threading

from fastapi import BackgroundTasks, Request
from starlette.datastructures import State

logger = logging.getLogger("sitefinder.api")


class AlertStep:
    """The alerts of one app: asked for by :meth:`ask`, run by :meth:`drain`."""

    def __init__(self, state: State) -> None:
        self._state = state
        self._running = threading.Lock()
        self._asked = threading.Event()

    def ask(self) -> None:
        self._asked.set()

    def drain(self) -> None:
        """Run while asked; return at once when another thread runs (it runs once more)."""
        while self._asked.is_set():
            if not self._running.acquire(blocking=False):
                return
            try:
                self._asked.clear()
                self._once()
            finally:
                self._running.release()

    def _once(self) -> None:
        # imported here: only the routes that change offers or matches ask for a run, and the
        # API starts without them (sitefinder.api.areas; issue 14)
        from sitefinder.accounts import alerts

        state = self._state
        try:
            with state.accounts_pool.connection(timeout=10) as conn:
                try:
                    table, layers = state.engine.table(conn), state.engine.layers(conn)
                    alerts.run(conn, state.settings, table, layers)
                except Exception:
                    logger.warning("running the alerts failed", exc_info=True)
                alerts.deliver(conn, state.settings)
        except Exception:
            logger.warning("delivering the alert e-mails failed", exc_info=True)


def schedule(request: Request, background: BackgroundTasks) -> None:
    """Run the alerts after this request's answer (see the module docstring)."""
    step: AlertStep = request.app.state.alert_step
    step.ask()
    background.add_task(step.drain)
