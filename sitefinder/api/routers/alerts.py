"""Alert routes: saved searches, the inbox of notifications, and the Atom feed per search.

The feed is read without a login, by the secret token in its URL (only its SHA-256 is stored;
a wrong token is a 404 like any unknown resource)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from sitefinder.accounts import alerts
from sitefinder.api.accountmodels import Done
from sitefinder.api.deps import AppSettings, RequestWork
from sitefinder.api.errors import error_responses
from sitefinder.api.guard import body_limit
from sitefinder.api.matchmodels import (
    Inbox,
    ReadBody,
    SavedSearches,
    SearchBody,
    SearchCreated,
)
from sitefinder.api.routers.matches import criteria_of
from sitefinder.api.security import AccountsConn, LoggedIn, Scope, Writer

router = APIRouter(prefix="/api", tags=["alerts"])
Id = Annotated[int, Path(ge=1, le=2**62)]
WRITE_ERRORS = error_responses(401, 403, 404, 413, 422, 500, 503)
ATOM: dict[int | str, dict[str, object]] = {
    200: {"content": {"application/atom+xml": {}}, "description": "Atom feed (RFC 4287)"}
}


@router.get("/searches", responses=error_responses(401, 500, 503))
def list_searches(session: LoggedIn, c: AccountsConn, scope: Scope) -> SavedSearches:
    """Your saved searches."""
    return SavedSearches.model_validate({"searches": alerts.list_searches(c, scope)})


@router.post("/searches", responses=WRITE_ERRORS, openapi_extra=body_limit(1 << 20))
def save_search(
    request: Request, body: SearchBody, session: Writer, c: AccountsConn, work: RequestWork
) -> SearchCreated:
    """Save a search (profile, places, period, area: a gemeente's territory, a radius or a
    polygon; care within, minimum score). New matches raise a notification, an e-mail (when
    ``email``) and an entry in the search's Atom feed, whose secret URL is answered once."""
    kind = "radius" if body.center else "polygon" if body.polygon else "territory"
    code = body.gemeentecode or next(iter(sorted(session.viewer.gemeenten)), None)
    criteria = criteria_of(c, request, work, body, kind=kind, gemeentecode=code)
    engine = request.app.state.engine
    new, token = alerts.create_search(
        c,
        session.viewer,
        engine.table(c),
        engine.layers(c),
        name=body.name,
        criteria=criteria,
        email=body.email,
    )
    url = str(request.url_for("alert_feed", token=token))
    return SearchCreated(id=new, feed_url=url)


@router.delete("/searches/{search_id}", responses=WRITE_ERRORS)
def delete_search(search_id: Id, session: Writer, c: AccountsConn) -> Done:
    alerts.delete_search(c, session.viewer, search_id)
    return Done(ok=True)


@router.get("/notifications", responses=error_responses(401, 500, 503))
def inbox(session: LoggedIn, c: AccountsConn, scope: Scope) -> Inbox:
    """Your notifications, newest first, and how many are unread."""
    return Inbox.model_validate(alerts.inbox(c, scope))


@router.post("/notifications/read", responses=WRITE_ERRORS)
def mark_read(body: ReadBody, session: Writer, c: AccountsConn) -> Done:
    """Mark your notifications read (``ids``, or all)."""
    alerts.mark_read(c, session.viewer, body.ids)
    return Done(ok=True)


@router.get(
    "/feeds/{token}",
    name="alert_feed",
    response_class=Response,
    responses={**ATOM, **error_responses(404, 422, 500, 503)},
)
def alert_feed(
    token: Annotated[str, Path(min_length=20, max_length=100)],
    c: AccountsConn,
    settings: AppSettings,
) -> Response:
    """The Atom feed of a saved search (its secret address, from POST /api/searches)."""
    return Response(alerts.feed(c, settings, token), media_type="application/atom+xml")
