"""Combinations of offers that add up (docs/scoring.md, section 10): when no single offer has
the places a demand needs, the matches propose small sets of offers that match in everything
else and whose places add up, each member with why it matches; none when one offer suffices;
a coordinator proposes a combination as one act (one match per member, sharing a
``combination_id``, each in the audit trail); many offers are searched within the bounds."""

from __future__ import annotations

from typing import Any

import pytest
from accounts_helpers import Account, act_as
from fastapi.testclient import TestClient
from match_helpers import api_fixtures, demand_body, offer, write
from psycopg import sql

from sitefinder.accounts import matching
from sitefinder.core import db
from sitefinder.core.settings import Settings

app, client, accounts = api_fixtures("combos-")


@pytest.fixture(scope="module")
def offers(client: TestClient, accounts: dict[str, Account]) -> dict[int, dict[str, Any]]:
    """Three offers in Ede, by their places: none has the 30 places of the demand."""
    token = act_as(client, accounts, "eigenaar")
    return {n: offer(client, token, name=f"Pand {n}", places=n) for n in (20, 15, 12)}


def _demand(client: TestClient, accounts: dict[str, Account], places: int) -> dict[str, Any]:
    token = act_as(client, accounts, "gemeente")
    made: dict[str, Any] = write(
        client, "POST", "/api/demands", token, demand_body(places=places, title=f"{places}")
    )
    return made


def _matches(client: TestClient, demand_id: int) -> dict[str, Any]:
    response = client.get(f"/api/demands/{demand_id}/matches")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def _combined_low(combination: dict[str, Any]) -> float:
    members = combination["members"]
    weighted = sum(m["places"] * (m["score_low"] or 0.0) for m in members)
    return float(weighted / sum(m["places"] for m in members))


def test_offers_that_add_up_when_no_single_offer_has_enough(
    client: TestClient, accounts: dict[str, Account], offers: dict[int, dict[str, Any]]
) -> None:
    demand = _demand(client, accounts, 30)
    found = _matches(client, demand["id"])
    assert not [
        o for o in found["offers"] if o["property_id"] in {o["id"] for o in offers.values()}
    ]
    ids = {n: o["id"] for n, o in offers.items()}
    combos = found["combinations"]
    # pairs only (the fewest offers); 15 + 12 = 27 does not add up
    assert sorted(sorted(c["property_ids"]) for c in combos) == sorted(
        [sorted([ids[20], ids[15]]), sorted([ids[20], ids[12]])]
    )
    assert found["combination_search"] == {"candidates": 3, "considered": 3, "truncated": False}
    for c in combos:
        assert c["places"] == sum(m["places"] for m in c["members"]) >= 30
        assert c["why"] == [
            {"code": "places_sum", "places": c["places"], "needed": 30, "offers": 2}
        ]
        assert c["id"] == "combination:" + "+".join(str(i) for i in c["property_ids"])
        for member in c["members"]:  # each member's reasons, but places
            codes = [r["code"] for r in member["why"]]
            assert codes[0] == "in_area" and "period" in codes and "places" not in codes
            assert set(member["unknown"]) <= set(c["unknown"])
    # the rule: the highest combined conservative score first, then the fewest to spare
    keys = [(-round(_combined_low(c), 4), c["places"]) for c in combos]
    assert keys == sorted(keys)


def test_no_combination_when_one_offer_suffices(
    client: TestClient, accounts: dict[str, Account], offers: dict[int, dict[str, Any]]
) -> None:
    demand = _demand(client, accounts, 15)
    found = _matches(client, demand["id"])
    alone = {o["property_id"] for o in found["offers"]}
    assert {offers[20]["id"], offers[15]["id"]} <= alone and offers[12]["id"] not in alone
    assert found["combinations"] == []


def test_a_coordinator_proposes_a_combination(
    client: TestClient, accounts: dict[str, Account], offers: dict[int, dict[str, Any]]
) -> None:
    demand = _demand(client, accounts, 30)
    pair = [offers[20]["id"], offers[12]["id"]]
    body = {"demand_id": demand["id"], "property_ids": pair, "note": "samen"}
    # who may not: the gemeente, a coordinator of another province
    for who in ("gemeente", "coordinator_other"):
        token = act_as(client, accounts, who)
        response = client.post("/api/matches", json=body, headers={"X-CSRF-Token": token})
        assert response.status_code == 403, (who, response.text)
    token = act_as(client, accounts, "coordinator_region")
    too_few = {**body, "property_ids": [offers[15]["id"], offers[12]["id"]]}
    for wrong, status in (
        (too_few, 422),  # 27 places do not add up to 30
        ({**body, "property_ids": [pair[0]]}, 422),
        ({**body, "property_ids": [pair[0], pair[0]]}, 422),
        ({**body, "property_ids": [pair[0], 2**40]}, 404),
        ({**body, "site_id": "x"}, 422),
    ):
        response = client.post("/api/matches", json=wrong, headers={"X-CSRF-Token": token})
        assert response.status_code == status, (wrong, response.text)
        assert response.json()["detail"]
    first = write(client, "POST", "/api/matches", token, body)
    assert first["combination_id"] == first["id"]
    listed = client.get("/api/matches", params={"demand_id": demand["id"]}).json()["matches"]
    assert sorted(m["property_id"] for m in listed) == sorted(pair)
    assert {m["combination_id"] for m in listed} == {first["id"]}
    assert {m["status"] for m in listed} == {"voorgesteld"}
    for m in listed:  # each member in the audit trail
        entries = client.get(f"/api/matches/{m['id']}/audit").json()["entries"]
        assert [(e["to_status"], e["note"]) for e in entries] == [("voorgesteld", "samen")]
    response = client.post("/api/matches", json=body, headers={"X-CSRF-Token": token})
    assert response.status_code == 409  # proposed already
    # the owner is told, and moves their member on like a single match
    token = act_as(client, accounts, "eigenaar")
    notes = client.get("/api/notifications").json()["notifications"]
    told = {n["match_id"] for n in notes if n["kind"] == "proposal"}
    assert {m["id"] for m in listed} <= told
    mine = client.get("/api/matches", params={"demand_id": demand["id"]}).json()["matches"]
    assert {m["combination_id"] for m in mine} == {first["id"]}
    moved = write(
        client, "POST", f"/api/matches/{first['id']}/status", token, {"status": "in_gesprek"}
    )
    assert moved["status"] == "in_gesprek" and moved["combination_id"] == first["id"]


def test_many_offers_are_searched_within_the_bounds(
    demo_copy: Settings,
    client: TestClient,
    accounts: dict[str, Account],
    offers: dict[int, dict[str, Any]],
) -> None:
    """Forty more small offers (copies of one, written directly): the search considers the
    best ``MAX_COMBINATION_POOL``, says it left the rest out, and answers within its bounds."""
    with db.connection(demo_copy) as conn:
        names = [
            r["column_name"]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = 'owner_property' AND column_name NOT IN ('id', 'name')"
            ).fetchall()
        ]
        columns = sql.SQL(", ").join(map(sql.Identifier, names))
        conn.execute(
            sql.SQL(
                "INSERT INTO owner_property (name, {columns}) SELECT 'Kopie ' || n, {columns}"
                " FROM owner_property, generate_series(1, 40) n WHERE id = %s"
            ).format(columns=columns),
            (offers[12]["id"],),
        )
    demand = _demand(client, accounts, 30)
    act_as(client, accounts, "coordinator")
    found = _matches(client, demand["id"])
    search = found["combination_search"]
    assert search["candidates"] == 43 and search["truncated"] is True
    assert search["considered"] == matching.MAX_COMBINATION_POOL
    assert 0 < len(found["combinations"]) <= matching.MAX_COMBINATIONS
    assert len({len(c["members"]) for c in found["combinations"]}) == 1  # the fewest only
