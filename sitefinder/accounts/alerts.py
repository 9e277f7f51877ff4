"""Saved searches and alerts: the inbox, e-mail through SMTP and an Atom feed per search.

A **saved search** holds matchmaking criteria (``matching.Criteria``: profile, places, period,
area, must-haves, minimum score). When it is saved, what matches it then is recorded as seen
(``alert_seen``); :func:`run` later finds the matches that are new, as the search's owner may
see them (their scope: an offer reaches only the users in its scope), and raises one
notification per new match (the inbox), one e-mail per search with new matches (when SMTP is
configured and the search asks for it) and an entry in the search's feed. ``run`` is called
after a new offer, a change of an offer's or a match's status (the API, after its answer:
``sitefinder.api.alertstep``) and after an ETL run (``sitefinder alerts`` and ``sitefinder
etl run``).

**E-mail goes through an outbox** (``alert_email``): ``run`` writes it in the transaction of
its notifications, :func:`deliver` sends what is due later, records every attempt and the last
error and retries with a growing wait, so a slow or unreachable SMTP server never holds or
fails the change that raised the alert.

A proposal and a change of a match's status are told to its parties directly (:func:`notify`).

The feed is read with a secret token in its URL (``/api/feeds/<token>.atom``); only the
token's SHA-256 is stored, so the URL is shown once, when the search is saved.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from collections.abc import Iterable
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from xml.sax.saxutils import escape

import psycopg
import shapely
from psycopg import sql
from psycopg.types.json import Jsonb

from sitefinder.accounts import matching, users
from sitefinder.accounts.roles import Viewer
from sitefinder.accounts.scope import ScopeFilter
from sitefinder.core.errors import InvalidParameterError, PermissionDeniedError, UnknownSiteError
from sitefinder.core.settings import Settings
from sitefinder.scoring.engine import SiteTable
from sitefinder.scoring.spatial import Layers

logger = logging.getLogger("sitefinder.alerts")
Conn = psycopg.Connection[Any]
MAX_SEARCHES = 50  # per user
TOKEN_BYTES = 32


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _items(found: dict[str, Any]) -> list[dict[str, Any]]:
    return [*found["offers"], *found["sites"]]


def _matches_for(
    conn: Conn, viewer: Viewer, table: SiteTable, layers: Layers, criteria: matching.Criteria
) -> list[dict[str, Any]]:
    found = matching.find_matches(conn, ScopeFilter.of(viewer), table, layers, criteria)
    # an owner's own offers are no news to them
    return [m for m in _items(found) if not (m.get("offer") or {}).get("own")]


def create_search(
    conn: Conn,
    viewer: Viewer,
    table: SiteTable,
    layers: Layers,
    *,
    name: str,
    criteria: matching.Criteria,
    email: bool,
) -> tuple[int, str]:
    """Save a search of ``viewer``; what matches it now counts as seen. (id, feed token)."""
    if viewer.user_id is None:
        raise PermissionDeniedError("log in to save a search")
    count = conn.execute(
        "SELECT count(*) AS n FROM saved_search WHERE user_id = %s", (viewer.user_id,)
    ).fetchone()
    if count is not None and count["n"] >= MAX_SEARCHES:
        raise InvalidParameterError(f"at most {MAX_SEARCHES} saved searches per account")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    current = _matches_for(conn, viewer, table, layers, criteria)
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO saved_search (user_id, name, criteria, area, email, feed_token_hash)"
            " VALUES (%s, %s, %s, ST_Multi(ST_GeomFromWKB(%s, 28992)), %s, %s) RETURNING id",
            (
                viewer.user_id,
                name.strip()[:200],
                Jsonb(criteria.public()),
                shapely.to_wkb(criteria.area),
                email,
                token_hash(token),
            ),
        ).fetchone()
        assert row is not None
        _mark_seen(conn, int(row["id"]), [m["id"] for m in current])
    return int(row["id"]), token


def _mark_seen(conn: Conn, search_id: int, items: Iterable[str]) -> None:
    conn.execute(
        "INSERT INTO alert_seen (search_id, item) SELECT %s, unnest(%s::text[])"
        " ON CONFLICT DO NOTHING",
        (search_id, list(items)),
    )


def delete_search(conn: Conn, viewer: Viewer, search_id: int) -> None:
    gone = conn.execute(
        "DELETE FROM saved_search WHERE id = %s AND user_id = %s", (search_id, viewer.user_id)
    ).rowcount
    if not gone:
        raise UnknownSiteError(f"you have no saved search with id {search_id}")


def list_searches(conn: Conn, scope: ScopeFilter) -> list[dict[str, Any]]:
    rows = conn.execute(
        sql.SQL(
            "SELECT s.id, s.name, s.criteria, s.email, s.created_at,"
            " ST_AsGeoJSON(ST_Transform(s.area, 4326), 6)::json AS area"
            " FROM {searches} s ORDER BY s.id"
        ).format(searches=scope.searches),
        scope.bind(),
    ).fetchall()
    return [dict(r) for r in rows]


# --- the run: new matches of every saved search ---


def _words(item: dict[str, Any]) -> tuple[str, str]:
    """Title and body of a notification about a new match (Dutch first, then English)."""
    what = "Nieuw aanbod" if item["source"] == "offer" else "Nieuwe locatie"
    score = f"{item['score']:.2f}" if item.get("score") is not None else "?"
    places = item.get("places")
    title = f"{what}: {item['name'] or item['id']}"
    body = (
        f"{what} past bij uw zoekopdracht (score {score}"
        + (f", {places} plaatsen" if places is not None else "")
        + "). / A new match for your saved search."
    )
    return title, body


def run(
    conn: Conn,
    settings: Settings,
    table: SiteTable,
    layers: Layers,
    *,
    search_ids: list[int] | None = None,
) -> int:
    """Raise the notifications (and e-mails) of the new matches of every saved search (or of
    ``search_ids``); the number of notifications raised."""
    searches = conn.execute(
        "SELECT s.id, s.user_id, s.name, s.criteria, s.email, ST_AsBinary(s.area) AS wkb,"
        " u.email AS user_email, u.name AS user_name, u.disabled"
        " FROM saved_search s JOIN app_user u ON u.id = s.user_id"
        " WHERE (%(ids)s::bigint[] IS NULL OR s.id = ANY(%(ids)s)) ORDER BY s.id",
        {"ids": search_ids},
    ).fetchall()
    raised = 0
    for search in searches:  # each search with its owner's scope
        if search["disabled"] or search["wkb"] is None:
            continue
        viewer = users.viewer(
            conn, {"id": search["user_id"], "email": search["user_email"], "name": ""}
        )
        criteria = matching.criteria_from(
            search["criteria"], shapely.from_wkb(bytes(search["wkb"]))
        )
        found = _matches_for(conn, viewer, table, layers, criteria)
        seen = {
            r["item"]
            for r in conn.execute(
                "SELECT item FROM alert_seen WHERE search_id = %s", (search["id"],)
            ).fetchall()
        }
        new = [m for m in found if m["id"] not in seen]
        if not new:
            continue
        with conn.transaction():  # the notifications and their e-mail, or neither
            _mark_seen(conn, search["id"], [m["id"] for m in new])
            for item in new:
                title, body = _words(item)
                conn.execute(
                    "INSERT INTO notification (user_id, search_id, kind, item, title, body)"
                    " VALUES (%s, %s, 'new_match', %s, %s, %s)",
                    (search["user_id"], search["id"], item["id"], title, body),
                )
            if search["email"] and settings.smtp_host:
                _queue_email(conn, settings, search, new)
        raised += len(new)
    return raised


def _queue_email(
    conn: Conn, settings: Settings, search: dict[str, Any], new: list[dict[str, Any]]
) -> None:
    """One e-mail about the new matches of a search, into the outbox (``alert_email``)."""
    name = search["name"]
    lines = [f"Nieuwe matches voor uw zoekopdracht '{name}':", ""]
    for item in new:
        title, body = _words(item)
        lines += [f"- {title}", f"  {body}"]
    if settings.public_url:
        lines += ["", f"Bekijk ze op {settings.public_url.rstrip('/')}/"]
    conn.execute(
        "INSERT INTO alert_email (user_id, search_id, items, subject, body)"
        " VALUES (%s, %s, %s, %s, %s)",
        (
            search["user_id"],
            search["id"],
            [m["id"] for m in new],
            f"Woonplek: {len(new)} nieuwe match(es) voor '{name}'",
            "\n".join(lines),
        ),
    )


# --- the outbox: e-mails sent after the change that raised them ---

MAX_ATTEMPTS = 8  # then the e-mail stays unsent with its last error (the inbox has it)
RETRY_FIRST_S = 60  # the wait after a failed attempt doubles: 1, 2, 4 ... 64 minutes
CLAIM_S = 600  # an e-mail being sent is not taken by another delivery for this long
DELIVER_BATCH = 50


def deliver(conn: Conn, settings: Settings, *, limit: int = DELIVER_BATCH) -> tuple[int, int]:
    """Send the due e-mails of the outbox, at most ``limit``; (sent, failed).

    Each is claimed first (its next attempt moved ``CLAIM_S`` on, committed), then sent with
    no transaction open, then recorded: sent (and its notifications marked e-mailed), or the
    error with the next attempt ``RETRY_FIRST_S * 2**(attempts-1)`` seconds later, none after
    ``MAX_ATTEMPTS``. Nothing is sent when SMTP is not configured."""
    if not settings.smtp_host:
        return 0, 0
    with conn.transaction():
        due = conn.execute(
            "UPDATE alert_email e SET next_attempt_at = now() + make_interval(secs => %(claim)s),"
            " attempts = e.attempts + 1"
            " FROM app_user u WHERE e.id IN (SELECT id FROM alert_email"
            "  WHERE sent_at IS NULL AND next_attempt_at <= now()"
            "  ORDER BY next_attempt_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
            " AND u.id = e.user_id AND NOT u.disabled"
            " RETURNING e.id, e.search_id, e.items, e.subject, e.body, e.attempts, u.email",
            {"claim": CLAIM_S, "limit": limit},
        ).fetchall()
    sent = failed = 0
    for row in due:  # one SMTP conversation per e-mail, outside any transaction
        error = _send(settings, row["email"], row["subject"], row["body"])
        with conn.transaction():
            if error is None:
                sent += 1
                conn.execute(
                    "UPDATE alert_email SET sent_at = now(), next_attempt_at = NULL,"
                    " last_error = NULL WHERE id = %s",
                    (row["id"],),
                )
                conn.execute(
                    "UPDATE notification SET emailed_at = now() WHERE search_id = %s"
                    " AND item = ANY(%s) AND emailed_at IS NULL",
                    (row["search_id"], row["items"]),
                )
                continue
            failed += 1
            again = row["attempts"] < MAX_ATTEMPTS
            conn.execute(
                "UPDATE alert_email SET last_error = %s, next_attempt_at = CASE WHEN %s"
                " THEN now() + make_interval(secs => %s) END WHERE id = %s",
                (error, again, RETRY_FIRST_S * 2 ** (row["attempts"] - 1), row["id"]),
            )
    return sent, failed


def _send(settings: Settings, to: str, subject: str, body: str) -> str | None:
    """Send one e-mail; None, or the error (logged: the inbox and feed still have it)."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("an alert e-mail could not be sent", exc_info=True)
        return f"{type(exc).__name__}: {exc}"[:500]
    return None


# --- direct notifications (proposals, status changes) and the inbox ---


def notify(
    conn: Conn, user_ids: Iterable[int], *, kind: str, match_id: int, title: str, body: str
) -> None:
    conn.execute(
        "INSERT INTO notification (user_id, match_id, kind, title, body)"
        " SELECT unnest(%s::bigint[]), %s, %s, %s, %s",
        (list(user_ids), match_id, kind, title, body),
    )


def inbox(conn: Conn, scope: ScopeFilter, limit: int = 200) -> dict[str, Any]:
    rows = conn.execute(
        sql.SQL(
            "SELECT n.id, n.kind, n.item, n.title, n.body, n.search_id, n.match_id,"
            " n.created_at, n.read_at FROM {notifications} n ORDER BY n.id DESC"
            " LIMIT %(limit)s"
        ).format(notifications=scope.notifications),
        scope.bind({"limit": limit}),
    ).fetchall()
    unread = conn.execute(
        sql.SQL("SELECT count(*) AS n FROM {notifications} n WHERE n.read_at IS NULL").format(
            notifications=scope.notifications
        ),
        scope.bind(),
    ).fetchone()
    return {"unread": int(unread["n"]) if unread else 0, "notifications": [dict(r) for r in rows]}


def mark_read(conn: Conn, viewer: Viewer, ids: list[int] | None) -> int:
    """Mark the viewer's notifications read (``ids``, or all); how many changed."""
    changed = conn.execute(
        "UPDATE notification SET read_at = now() WHERE user_id = %s AND read_at IS NULL"
        " AND (%s::bigint[] IS NULL OR id = ANY(%s))",
        (viewer.user_id, ids, ids),
    ).rowcount
    return changed


# --- the Atom feed ---


def feed(conn: Conn, settings: Settings, token: str) -> str:
    """The Atom feed (RFC 4287) of the saved search whose token this is, newest first."""
    search = conn.execute(
        "SELECT id, name, created_at FROM saved_search WHERE feed_token_hash = %s",
        (token_hash(token),),
    ).fetchone()
    if search is None:
        raise UnknownSiteError("no feed at this address")
    rows = conn.execute(
        "SELECT id, title, body, item, created_at FROM notification"
        " WHERE search_id = %s ORDER BY id DESC LIMIT 100",
        (search["id"],),
    ).fetchall()
    updated = rows[0]["created_at"] if rows else search["created_at"]
    base = settings.public_url.rstrip("/")
    entries = []
    for r in rows:
        link = f'<link href="{escape(base)}/"/>' if base else ""
        entries.append(
            "<entry>"
            f"<id>urn:woonplek:notification:{r['id']}</id>"
            f"<title>{escape(r['title'])}</title>"
            f"<updated>{_iso(r['created_at'])}</updated>{link}"
            f"<summary>{escape(r['body'])}</summary>"
            f'<category term="{escape(r["item"])}"/>'
            "</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>urn:woonplek:search:{search['id']}</id>"
        f"<title>Woonplek: {escape(search['name'] or 'zoekopdracht')}</title>"
        f"<updated>{_iso(updated)}</updated>"
        "<author><name>Woonplek Sitefinder</name></author>" + "".join(entries) + "</feed>"
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
