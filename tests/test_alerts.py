"""Saved searches and alerts: a new matching offer raises a notification in the inbox (with a
count), an e-mail through SMTP (a local aiosmtpd server on 127.0.0.1) and an entry in the
search's Atom feed behind its secret token; only for searches whose owner may see the offer;
``sitefinder alerts`` (run after an ETL run) finds what is new since. The e-mail goes through
an outbox after the answer: an SMTP server that is down fails nothing, and is retried."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from accounts_helpers import Account, act_as
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from conftest import free_port
from fakeservices import run_cli
from fastapi import FastAPI
from fastapi.testclient import TestClient
from match_helpers import accounts_fixture, client_fixture, offer, write

from sitefinder.accounts import alerts
from sitefinder.api import create_app
from sitefinder.core import db
from sitefinder.core.settings import Settings

ATOM = "{http://www.w3.org/2005/Atom}"


class Inbox:
    """The aiosmtpd handler: every message received, parsed."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        message = message_from_bytes(envelope.content)
        message["X-Rcpt"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def app(demo_copy: Settings, smtp: tuple[Inbox, int]) -> FastAPI:
    configured = demo_copy.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp[1],
            "smtp_from": "alerts@woonplek.example",
            "public_url": "http://sitefinder.example",
        }
    )
    return create_app(configured)


client, accounts = client_fixture(), accounts_fixture("alerts-")


SEARCH = {"name": "Ede 20+", "profile": "begeleid_wonen", "places": 20, "gemeentecode": "GM0228"}


@pytest.fixture(scope="module")
def searches(client: TestClient, accounts: dict[str, Account]) -> dict[str, dict[str, Any]]:
    """The gemeente's search, and the same search by another owner and by a province
    elsewhere (who may not see Ede's offers)."""
    made = {}
    for who in ("gemeente", "eigenaar", "provincie_other"):
        token = act_as(client, accounts, who)
        made[who] = write(client, "POST", "/api/searches", token, SEARCH)
    return made


def _unread(client: TestClient) -> tuple[int, list[dict[str, Any]]]:
    inbox = client.get("/api/notifications").json()
    return inbox["unread"], inbox["notifications"]


def test_a_new_matching_offer_raises_a_notification_an_email_and_a_feed_entry(
    client: TestClient,
    accounts: dict[str, Account],
    searches: dict[str, dict[str, Any]],
    smtp: tuple[Inbox, int],
) -> None:
    mailbox, _ = smtp
    act_as(client, accounts, "gemeente")
    assert _unread(client)[0] == 0  # what matched when the search was saved is not news
    listed = client.get("/api/searches").json()["searches"]
    assert [s["name"] for s in listed] == ["Ede 20+"] and listed[0]["criteria"]["places"] == 20
    before = len(mailbox.messages)
    # an offer too small for the search: nothing
    token = act_as(client, accounts, "eigenaar")
    offer(client, token, name="Klein huisje", places=4)
    act_as(client, accounts, "gemeente")
    assert _unread(client)[0] == 0
    # a matching offer: a notification, an e-mail and a feed entry
    token = act_as(client, accounts, "eigenaar")
    made = offer(client, token, name="Groot pand Otterlo", places=60)
    act_as(client, accounts, "gemeente")
    count, notes = _unread(client)
    assert count == 1
    assert notes[0]["kind"] == "new_match" and notes[0]["item"] == f"offer:{made['id']}"
    assert "Groot pand Otterlo" in notes[0]["title"]
    mails = mailbox.messages[before:]
    assert len(mails) == 1
    mail = mails[0]
    assert mail["X-Rcpt"] == accounts["gemeente"].email
    assert mail["From"] == "alerts@woonplek.example" and "Ede 20+" in mail["Subject"]
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes) and "Groot pand Otterlo" in body.decode()
    assert "http://sitefinder.example/" in body.decode()
    # the personal data of the owner is in no alert
    assert "prive.example" not in body.decode() and "Geheimnaam" not in body.decode()
    # the feed: public by its secret address only
    client.cookies.clear()
    feed = client.get(searches["gemeente"]["feed_url"])
    assert feed.status_code == 200 and feed.headers["content-type"].startswith(
        "application/atom+xml"
    )
    root = ET.fromstring(feed.text)
    titles = [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
    assert titles == [notes[0]["title"]]
    wrong = searches["gemeente"]["feed_url"].rsplit("/", 1)[0] + "/" + "y" * 43
    assert client.get(wrong).status_code == 404
    # read: the count goes to 0
    token = act_as(client, accounts, "gemeente")
    write(client, "POST", "/api/notifications/read", token, {})
    assert _unread(client)[0] == 0


def test_searches_out_of_the_offers_scope_are_not_told(
    client: TestClient, accounts: dict[str, Account], searches: dict[str, dict[str, Any]]
) -> None:
    token = act_as(client, accounts, "eigenaar")
    offer(client, token, name="Nog een pand", places=80)
    # the offering owner's own search (their offers are no news to them), another province's
    for who in ("eigenaar", "provincie_other"):
        act_as(client, accounts, who)
        _, notes = _unread(client)
        assert not [n for n in notes if n["item"].startswith("offer:")], who


def test_a_search_is_private_and_can_be_deleted(
    client: TestClient, accounts: dict[str, Account], searches: dict[str, dict[str, Any]]
) -> None:
    token = act_as(client, accounts, "provincie")
    assert client.get("/api/searches").json()["searches"] == []
    response = client.delete(
        f"/api/searches/{searches['gemeente']['id']}", headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 404
    token = act_as(client, accounts, "eigenaar")
    write(client, "DELETE", f"/api/searches/{searches['eigenaar']['id']}", token)
    assert client.get("/api/searches").json()["searches"] == []


def test_after_an_etl_run_the_alerts_find_what_is_new(
    demo_copy: Settings, client: TestClient, accounts: dict[str, Account], searches: Any
) -> None:
    """A site that is new to the search (here: one the gemeente's search had not seen, as
    after a load of a site layer) is reported by ``sitefinder alerts`` (run by ``etl run``)."""
    token = act_as(client, accounts, "gemeente")
    write(client, "POST", "/api/notifications/read", token, {})
    with db.connection(demo_copy) as conn:
        forgotten = conn.execute(
            "DELETE FROM alert_seen WHERE search_id = %s AND item LIKE 'site:%%'"
            " AND item = (SELECT min(item) FROM alert_seen WHERE search_id = %s"
            " AND item LIKE 'site:%%') RETURNING item",
            (searches["gemeente"]["id"], searches["gemeente"]["id"]),
        ).fetchone()
        assert forgotten is not None, "the search matches sites of Ede"
    result = run_cli(demo_copy, "alerts")
    assert result.exit_code == 0 and "1 new match" in result.output, result.output
    again = run_cli(demo_copy, "alerts")
    assert "nothing new" in again.output  # told once
    act_as(client, accounts, "gemeente")
    count, notes = _unread(client)
    assert count == 1 and notes[0]["item"] == forgotten["item"]


class Stalls:
    """An aiosmtpd handler that answers the message later than the client waits."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(STALL_S)
        return "250 OK"


STALL_S = 2.0


@pytest.fixture(params=["down", "slow"])
def broken_smtp(request: pytest.FixtureRequest) -> Iterator[tuple[str, dict[str, Any]]]:
    """An SMTP server that refuses connections (nobody listens), or one that stalls: the
    error each leaves, and the settings that reach it."""
    port = free_port()
    if request.param == "down":
        yield "ConnectionRefused", {"smtp_port": port}
        return
    controller = Controller(Stalls(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "timed out", {"smtp_port": port, "smtp_timeout_s": STALL_S / 4}
    finally:
        controller.stop()


def test_an_smtp_server_down_or_slow_neither_holds_nor_fails_the_change(
    demo_copy: Settings,
    app: FastAPI,
    accounts: dict[str, Account],
    searches: dict[str, dict[str, Any]],
    smtp: tuple[Inbox, int],
    broken_smtp: tuple[str, dict[str, Any]],
) -> None:
    """The e-mail goes into the outbox with its notification; delivery after the answer meets
    a refused connection or a server that does not answer in time: the offer is made all the
    same, the attempt and its error are recorded with a later retry, and the retry sends it
    once the server works."""
    settings: Settings = app.state.settings
    error, broken = broken_smtp
    down = create_app(settings.model_copy(update=broken))
    name = f"Pand bij een mailserver: {error}"
    mailbox, _ = smtp
    before = len(mailbox.messages)
    with TestClient(down) as other:
        token = act_as(other, accounts, "gemeente")
        write(other, "POST", "/api/notifications/read", token, {})
        token = act_as(other, accounts, "eigenaar")
        made = offer(other, token, name=name, places=50)
        act_as(other, accounts, "gemeente")
        count, notes = _unread(other)
    assert count == 1 and notes[0]["item"] == f"offer:{made['id']}"  # the inbox has it
    assert len(mailbox.messages) == before
    item = f"offer:{made['id']}"
    with db.connection(demo_copy) as conn:
        queued = conn.execute(
            "SELECT id, attempts, sent_at, last_error, next_attempt_at > now() AS later"
            " FROM alert_email WHERE search_id = %s AND %s = ANY(items)",
            (searches["gemeente"]["id"], item),
        ).fetchone()
        assert queued is not None
        assert (queued["attempts"], queued["sent_at"], queued["later"]) == (1, None, True)
        assert error in queued["last_error"]
        # the retry, once due, through the server that is up (as `sitefinder alerts` does)
        conn.execute(
            "UPDATE alert_email SET next_attempt_at = now() WHERE id = %s", (queued["id"],)
        )
        assert alerts.deliver(conn, settings) == (1, 0)
        assert alerts.deliver(conn, settings) == (0, 0)  # sent once
        done = conn.execute(
            "SELECT e.attempts, e.sent_at IS NOT NULL AS sent, e.last_error, n.emailed_at"
            " FROM alert_email e JOIN notification n ON n.search_id = e.search_id"
            " AND n.item = %s WHERE e.id = %s",
            (item, queued["id"]),
        ).fetchone()
    assert done is not None and (done["attempts"], done["sent"], done["last_error"]) == (
        2,
        True,
        None,
    )
    assert done["emailed_at"] is not None
    mails = mailbox.messages[before:]
    assert [m["X-Rcpt"] for m in mails] == [accounts["gemeente"].email]
    assert name in str(mails[0].get_payload(decode=True))
