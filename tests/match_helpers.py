"""Helpers of the matchmaking tests: places in the demo region, and writing through the API.

A plot in Ede (gemeente Ede GM0228, Gelderland PV25), so that the accounts of
``accounts_helpers`` fall on both sides of its scope: the gemeente, provincie and coordinators
of PV25 see its offer; those of PV27, a beheerder, another owner and the public do not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from accounts_helpers import Account, make_accounts
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sitefinder.api import create_app
from sitefinder.core.settings import Settings

# A plot of about 100 x 100 m in Ede (WGS84), outside Natura 2000 and the constraints.
PLOT_LON, PLOT_LAT = 5.6650, 52.0400
D = 0.0007
PLOT = {
    "type": "Polygon",
    "coordinates": [
        [
            [PLOT_LON - D, PLOT_LAT - D / 1.6],
            [PLOT_LON + D, PLOT_LAT - D / 1.6],
            [PLOT_LON + D, PLOT_LAT + D / 1.6],
            [PLOT_LON - D, PLOT_LAT + D / 1.6],
            [PLOT_LON - D, PLOT_LAT - D / 1.6],
        ]
    ],
}
CONTACT = {
    "contact_name": "Jantje Geheimnaam-9c1e",
    "contact_email": "jantje.9c1e@prive.example",
    "contact_phone": "06-99119c1e",
}
CANARIES = tuple(CONTACT.values())


def property_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "geometry": PLOT,
        "name": "Boerderij Otterlo",
        "places": 40,
        "available_from": "2027-01-01",
        "available_to": "2029-12-31",
        "conditions": "tijdelijk, 3 jaar",
        "consent_contact": True,
        **CONTACT,
    }
    body.update(changes)
    return body


def write(client: TestClient, method: str, url: str, token: str, body: Any = None) -> Any:
    response = client.request(method, url, json=body, headers={"X-CSRF-Token": token})
    assert response.status_code == 200, (method, url, response.text)
    return response.json()


def offer(client: TestClient, token: str, **changes: Any) -> dict[str, Any]:
    """Save a property and offer it; the offer as answered."""
    saved = write(client, "POST", "/api/properties", token, property_body(**changes))
    assert saved["status"] == "saved"
    offered: dict[str, Any] = write(client, "POST", f"/api/properties/{saved['id']}/offer", token)
    assert offered["status"] == "offered"
    return offered


def demand_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Opvang statushouders",
        "profile": "statushouders",
        "places": 30,
        "period_from": "2027-03-01",
        "period_to": "2028-03-01",
        "area_kind": "territory",
    }
    body.update(changes)
    return body


def client_fixture() -> Any:
    """The module fixture ``client``: a ``TestClient`` over the module's ``app`` fixture."""

    @pytest.fixture(scope="module")
    def client(app: FastAPI) -> Iterator[TestClient]:
        with TestClient(app) as test_client:
            yield test_client

    return client


def app_fixtures() -> tuple[Any, Any]:
    """The module fixtures ``app`` (over the module's demo copy) and ``client``:
    ``app, client = app_fixtures()``."""

    @pytest.fixture(scope="module")
    def app(demo_copy: Settings) -> FastAPI:
        return create_app(demo_copy)

    return app, client_fixture()


def accounts_fixture(prefix: str) -> Any:
    """The module fixture ``accounts``: one per role, e-mail ``<prefix><role>@test.example``."""

    @pytest.fixture(scope="module")
    def accounts(demo_copy: Settings) -> dict[str, Account]:
        return make_accounts(demo_copy, prefix=prefix)

    return accounts


def api_fixtures(prefix: str) -> tuple[Any, Any, Any]:
    """The module fixtures ``app``, ``client`` and ``accounts`` of a matchmaking test
    (``app_fixtures``, ``accounts_fixture``): ``app, client, accounts = api_fixtures("x-")``."""
    return (*app_fixtures(), accounts_fixture(prefix))
