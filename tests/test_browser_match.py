"""Browser test of matchmaking in Chromium, on a copy of the demo data, with a local SMTP
server (aiosmtpd): an owner finds an address on the BAG, reads the plot from a file, fills in
the places, saves and offers it; a gemeente (Amsterdam) posts a demand and sees the offer among
the matches with why; it saves the demand as a search; a coordinator proposes the offer; the
owner sees the proposal; a new matching offer raises a notification in the gemeente's inbox
and an e-mail; a demand that no single offer fills shows the two offers as a combination,
which the coordinator proposes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from accounts_helpers import Account
from test_alerts import Inbox, smtp
from test_browser import _open_page, browser, serving

from sitefinder.accounts import users
from sitefinder.accounts.passwords import generate_password
from sitefinder.accounts.roles import Grant
from sitefinder.core import db
from sitefinder.core.settings import Settings

__all__ = ["browser", "smtp"]  # the shared Chromium and SMTP fixtures

CONTACT_EMAIL = "owner.contact@prive.example"


def _plot(west: float) -> dict[str, Any]:
    """A plot of about 30 x 30 m at De Ruijterkade, Amsterdam (WGS84)."""
    south, east, north = 52.3776, west + 0.0004, 52.3779
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    return {"type": "FeatureCollection", "features": [feature]}


@pytest.fixture(scope="module")
def people(demo_copy: Settings) -> dict[str, Account]:
    made = {}
    with db.connection(demo_copy) as conn:
        for who, grant in (
            ("eigenaar", Grant("eigenaar")),
            ("gemeente", Grant("gemeente", "GM0363")),
            ("coordinator", Grant("coordinator", "NL")),
        ):
            email = f"match-{who}@test.example"
            password = generate_password()
            new = users.create_user(
                conn, email, name=who.title(), password=password, grants=[grant]
            )
            made[who] = Account(email, password, new)
    return made


@pytest.fixture(scope="module")
def match_url(demo_copy: Settings, smtp: tuple[Inbox, int]) -> Iterator[str]:
    configured = demo_copy.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp[1],
            "smtp_from": "alerts@woonplek.example",
        }
    )
    with serving(configured) as url:
        yield url


def _login(page: Any, account: Account) -> None:
    from playwright.sync_api import expect

    page.click("#login-open")
    page.fill("#login-email", account.email)
    page.fill("#login-password", account.password)
    page.keyboard.press("Enter")
    expect(page.locator("#login-dialog")).to_be_hidden(timeout=10000)
    expect(page.locator("#account-user")).to_be_visible()


def _offer(page: Any, tmp_path: Path, name: str, west: float) -> None:
    """Read the plot from a file, fill in, save (privately), then offer it."""
    from playwright.sync_api import expect

    path = tmp_path / f"{name}.geojson"
    path.write_text(json.dumps(_plot(west)))
    page.set_input_files("#offer-file", str(path))
    expect(page.locator("#offer-plot")).to_contain_text("score", timeout=15000)
    page.fill("#offer-name", name)
    page.fill("#offer-places", "40")
    page.fill("#offer-from", "2027-01-01")
    page.fill("#offer-to", "2029-12-31")
    page.fill("#offer-contact-name", "Eigenaar Jansen")
    page.fill("#offer-contact-email", CONTACT_EMAIL)
    page.check("#offer-consent")
    page.click("#offer-save")
    item = page.locator("#offer-list .match-item", has_text=name)
    expect(item).to_contain_text("Bewaard (privé)", timeout=10000)
    item.get_by_role("button", name="Aanbieden").click()
    expect(page.locator("#offer-list .match-item", has_text=name)).to_contain_text(
        "Aangeboden", timeout=10000
    )


def test_owner_offers_gemeente_asks_coordinator_proposes_alerts_follow(
    browser: object,
    match_url: str,
    people: dict[str, Account],
    smtp: tuple[Inbox, int],
    tmp_path: Path,
    output_dir: Path,
) -> None:
    from playwright.sync_api import expect

    mailbox, _ = smtp
    # --- the owner finds the address, reads the plot from a file, saves and offers it
    owner, owner_errors = _open_page(browser, match_url)
    _login(owner, people["eigenaar"])
    expect(owner.locator("#offers-panel")).to_be_visible()
    owner.fill("#offer-address", "1011AB 105")
    owner.click("#offer-address-search")
    found = owner.locator("#offer-addresses button", has_text="De Ruijterkade 105")
    expect(found.first).to_be_visible(timeout=10000)
    found.first.click()
    expect(owner.locator("#offer-plot")).to_contain_text("De Ruijterkade 105")
    _offer(owner, tmp_path, "Pakhuis De Ruijterkade", 4.9048)
    expect(owner.locator("#detail")).to_be_visible()  # the plot's score and breakdown
    owner.screenshot(path=str(output_dir / "match-owner.png"), full_page=True)

    # --- the gemeente posts a demand and sees the offer among the matches, with why
    gemeente, gemeente_errors = _open_page(browser, match_url)
    _login(gemeente, people["gemeente"])
    expect(gemeente.locator("#demand-form")).to_be_visible()
    gemeente.fill("#demand-title", "Statushouders centrum")
    gemeente.select_option("#demand-profile", "statushouders")
    gemeente.fill("#demand-places", "30")
    gemeente.fill("#demand-from", "2027-03-01")
    gemeente.fill("#demand-to", "2028-03-01")
    gemeente.click("#demand-post")
    offer_match = gemeente.locator(
        "#demand-matches .source-offer", has_text="Pakhuis De Ruijterkade"
    )
    expect(offer_match).to_be_visible(timeout=20000)
    expect(offer_match).to_contain_text("40 plaatsen (nodig: 30)")
    expect(offer_match).to_contain_text("ligt in het gevraagde gebied")
    expect(offer_match).to_contain_text("beschikbaar van 2027-01-01 tot 2029-12-31")
    expect(offer_match).to_contain_text(CONTACT_EMAIL)  # in scope, with consent
    expect(gemeente.locator("#demand-matches .source-site").first).to_contain_text("Onbekend")
    # ... and saves it as a search with alerts
    gemeente.click("#demand-save-search")
    expect(gemeente.locator("#demand-feed-link")).to_be_visible(timeout=15000)
    feed_url = gemeente.locator("#demand-feed-link").get_attribute("href")
    assert feed_url and "/api/feeds/" in feed_url
    gemeente.screenshot(path=str(output_dir / "match-gemeente.png"), full_page=True)

    # --- the coordinator proposes the offer
    coordinator, coordinator_errors = _open_page(browser, match_url)
    _login(coordinator, people["coordinator"])
    proposable = coordinator.locator(
        "#demand-matches .source-offer", has_text="Pakhuis De Ruijterkade"
    )
    expect(proposable).to_be_visible(timeout=20000)
    proposable.get_by_role("button", name="Stel voor").click()
    expect(coordinator.locator("#demand-proposals .proposal")).to_contain_text(
        "Voorgesteld", timeout=10000
    )

    # --- the owner sees the proposal (and is told)
    owner.reload()
    proposal = owner.locator("#offer-proposals .proposal")
    expect(proposal).to_contain_text("Voorgesteld", timeout=15000)
    expect(proposal).to_contain_text("Statushouders centrum")
    expect(owner.locator("#inbox-count")).not_to_have_text("0", timeout=10000)
    proposal.get_by_role("button", name="In gesprek").click()
    expect(owner.locator("#offer-proposals .proposal")).to_contain_text("In gesprek", timeout=10000)

    # --- a new matching offer: a notification in the gemeente's inbox, and an e-mail
    before = len(mailbox.messages)
    _offer(owner, tmp_path, "Loods Oosterdok", 4.9056)
    gemeente.click("#inbox-open")
    expect(gemeente.locator("#inbox-list .notification", has_text="Loods Oosterdok")).to_be_visible(
        timeout=15000
    )
    assert int(gemeente.locator("#inbox-count").inner_text()) >= 1
    deadline = time.monotonic() + 10
    while len(mailbox.messages) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    mails = [m for m in mailbox.messages[before:] if m["X-Rcpt"] == people["gemeente"].email]
    assert len(mails) == 1 and "Statushouders centrum" in mails[0]["Subject"]
    feed = gemeente.request.get(feed_url)
    assert feed.ok and "Loods Oosterdok" in feed.text()
    gemeente.screenshot(path=str(output_dir / "match-inbox.png"), full_page=True)

    # --- a demand no single offer fills: the two offers of 40 places as a combination
    gemeente.fill("#demand-title", "Zeventig plaatsen")
    gemeente.fill("#demand-places", "70")
    gemeente.click("#demand-post")
    combination = gemeente.locator("#demand-matches .source-combination")
    expect(combination).to_contain_text(
        "samen 80 plaatsen uit 2 aanbiedingen (nodig: 70)", timeout=20000
    )
    expect(combination).to_contain_text("Pakhuis De Ruijterkade + Loods Oosterdok")
    expect(combination.locator(".combination-member")).to_have_count(2)
    coordinator.reload()
    combined = coordinator.locator("#demand-matches .source-combination")
    expect(combined).to_be_visible(timeout=20000)
    combined.get_by_role("button", name="Stel combinatie voor").click()
    expect(coordinator.locator("#demand-proposals .proposal")).to_have_count(2, timeout=10000)
    expect(coordinator.locator("#demand-proposals .proposal").first).to_contain_text(
        "deel van combinatie"
    )
    for errors in (owner_errors, gemeente_errors, coordinator_errors):
        assert not errors, errors
    for page in (owner, gemeente, coordinator):
        page.close()
