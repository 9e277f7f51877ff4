"""Demands and matchmaking through the API: a gemeente posts a demand (its territory, a radius,
a drawn polygon), sees the offers and candidate sites that match it, ranked with the demand's
profile by the engine, each with why and what is unknown; what does not fit (too few places,
not available in the period, outside the area, care too far) is left out; a coordinator
proposes, the parties move the match on with notes and the audit trail, which nobody can
change."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg
import pytest
from accounts_helpers import PARK, Account, act_as
from fastapi.testclient import TestClient
from match_helpers import PLOT_LAT, PLOT_LON, api_fixtures, demand_body, offer, write

from sitefinder.core import db
from sitefinder.core.settings import Settings
from sitefinder.scoring import load_profile
from sitefinder.scoring.engine import SiteTable, weight_vector

app, client, accounts = api_fixtures("matches-")


@pytest.fixture(scope="module")
def offers(client: TestClient, accounts: dict[str, Account]) -> dict[str, dict[str, Any]]:
    """Offers in Ede: one that fits, one too small, one available too late."""
    token = act_as(client, accounts, "eigenaar")
    return {
        "fits": offer(client, token, name="Past", places=40),
        "small": offer(client, token, name="Te klein", places=5),
        "late": offer(client, token, name="Te laat", available_from="2028-06-01"),
    }


@pytest.fixture(scope="module")
def demand(client: TestClient, accounts: dict[str, Account], offers: Any) -> dict[str, Any]:
    token = act_as(client, accounts, "gemeente")
    made: dict[str, Any] = write(client, "POST", "/api/demands", token, demand_body())
    return made


def test_a_gemeente_posts_a_demand_of_its_territory(demand: dict[str, Any]) -> None:
    assert (demand["gemeentecode"], demand["provinciecode"]) == ("GM0228", "PV25")
    assert demand["gemeentenaam"] == "Ede" and demand["area"]["type"] == "MultiPolygon"
    assert demand["places"] == 30 and demand["profile"] == "statushouders"


def test_only_its_own_municipality(client: TestClient, accounts: dict[str, Account]) -> None:
    token = act_as(client, accounts, "gemeente")
    response = client.post(
        "/api/demands",
        json=demand_body(gemeentecode="GM0363"),
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 403 and "GM0228" in response.json()["detail"]
    response = client.post(
        "/api/demands",
        json=demand_body(profile="onbekend"),
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 422 and "profile" in response.json()["detail"]


def test_matches_hold_the_fitting_offer_with_why(
    client: TestClient, accounts: dict[str, Account], demand: dict[str, Any], offers: Any
) -> None:
    act_as(client, accounts, "gemeente")
    found = client.get(f"/api/demands/{demand['id']}/matches").json()
    names = [m["name"] for m in found["offers"]]
    assert names == ["Past"]  # too small and available too late are left out
    match = found["offers"][0]
    codes = {w["code"]: w for w in match["why"]}
    assert set(codes) == {"in_area", "places", "period", "score"}
    assert codes["places"] == {"code": "places", "places": 40, "needed": 30}
    assert codes["period"] == {"code": "period", "from": "2027-01-01", "to": "2029-12-31"}
    assert match["unknown"] == []
    assert 0 <= match["score"] <= 1 and match["score_low"] <= match["score"] <= match["score_high"]
    assert match["offer"]["contact_email"]  # the gemeente of its place sees the contact


def test_the_offers_score_is_the_engines(
    client: TestClient, accounts: dict[str, Account], demand: dict[str, Any], offers: Any
) -> None:
    """The same geometry and places through POST /api/score give the same score."""
    from match_helpers import PLOT

    act_as(client, accounts, "gemeente")
    match = client.get(f"/api/demands/{demand['id']}/matches").json()["offers"][0]
    scored = client.post(
        "/api/score?profile=statushouders", json={"geometry": PLOT, "places": 40}
    ).json()["properties"]
    assert match["score"] == pytest.approx(scored["score"], abs=1e-4)


def test_candidate_sites_are_ranked_by_the_profile_inside_the_area(
    demo_copy: Settings, client: TestClient, accounts: dict[str, Account], demand: dict[str, Any]
) -> None:
    act_as(client, accounts, "gemeente")
    sites = client.get(f"/api/demands/{demand['id']}/matches").json()["sites"]
    assert sites, "the demo has candidate sites in Ede"
    scores = [s["score"] for s in sites if s["score"] is not None]
    assert scores == sorted(scores, reverse=True)
    with db.connection(demo_copy) as conn:
        table = SiteTable.load(conn, version=0)
        inside = conn.execute(
            "SELECT s.id FROM site s JOIN area g ON g.layer = 'gemeenten' AND g.code = 'GM0228'"
            " AND ST_Intersects(g.geom, ST_PointOnSurface(s.geom))"
        ).fetchall()
    inside_ids = {r["id"] for r in inside}
    assert {s["site_id"] for s in sites} <= inside_ids
    # the best of them is the best non-excluded site of Ede with enough (or unknown) places
    profile = load_profile("statushouders")
    evaluation = table.evaluation(profile)
    point = evaluation.score_all(weight_vector(profile.weights)).point
    places = table.raw["places"].to_numpy(dtype=float)
    ok = (
        np.isin(table.ids, list(inside_ids))
        & ~evaluation.excluded
        & (np.isnan(places) | (places >= 30))
        & ~np.isnan(point)
    )
    assert sites[0]["score"] == pytest.approx(float(np.max(point[ok])), abs=1e-4)
    for site in sites:
        if site["places"] is None:
            assert "places" in site["unknown"]
        else:
            assert site["places"] >= 30
        assert "period" in site["unknown"]  # a site's availability is not in the data


def test_a_radius_and_a_drawn_area(
    client: TestClient, accounts: dict[str, Account], offers: Any
) -> None:
    token = act_as(client, accounts, "gemeente")
    near = write(
        client, "POST", "/api/demands", token,
        demand_body(area_kind="radius", radius_m=500,
                    center={"type": "Point", "coordinates": [PLOT_LON, PLOT_LAT]}),
    )  # fmt: skip
    assert [m["name"] for m in client.get(f"/api/demands/{near['id']}/matches").json()["offers"]]
    far = write(
        client, "POST", "/api/demands", token,
        demand_body(area_kind="radius", radius_m=500,
                    center={"type": "Point", "coordinates": [5.78, 52.06]}),
    )  # fmt: skip
    assert client.get(f"/api/demands/{far['id']}/matches").json()["offers"] == []
    box = {
        "type": "Polygon",
        "coordinates": [
            [[5.655, 52.035], [5.675, 52.035], [5.675, 52.045], [5.655, 52.045], [5.655, 52.035]]
        ],
    }
    drawn = write(
        client, "POST", "/api/demands", token, demand_body(area_kind="polygon", polygon=box)
    )
    found = client.get(f"/api/demands/{drawn['id']}/matches").json()
    assert [m["name"] for m in found["offers"]] == ["Past"]
    assert all(5.655 <= s["lon"] <= 5.675 and 52.035 <= s["lat"] <= 52.045 for s in found["sites"])


def test_care_must_have(client: TestClient, accounts: dict[str, Account], offers: Any) -> None:
    token = act_as(client, accounts, "gemeente")
    strict = write(client, "POST", "/api/demands", token, demand_body(max_care_m=1))
    found = client.get(f"/api/demands/{strict['id']}/matches").json()
    assert found["offers"] == []  # no care facility within a metre of the plot
    for site in found["sites"]:
        assert "care" in site["unknown"] or any(w["code"] == "care" for w in site["why"])
    loose = write(client, "POST", "/api/demands", token, demand_body(max_care_m=50_000))
    match = client.get(f"/api/demands/{loose['id']}/matches").json()["offers"][0]
    care = next(w for w in match["why"] if w["code"] == "care")
    assert care["max"] == 50_000 and 0 < care["m"] <= 50_000


def test_others_do_not_see_the_demand(
    client: TestClient, accounts: dict[str, Account], demand: dict[str, Any]
) -> None:
    for who in ("anonymous", "eigenaar", "provincie_other", "coordinator_other", "beheerder"):
        act_as(client, accounts, who)
        response = client.get(f"/api/demands/{demand['id']}/matches")
        assert response.status_code in (401, 404), (who, response.text)
        if who != "anonymous":
            assert client.get("/api/demands").json()["demands"] == []
    for who in ("provincie", "coordinator", "coordinator_region"):
        act_as(client, accounts, who)
        assert demand["id"] in {d["id"] for d in client.get("/api/demands").json()["demands"]}


def test_a_coordinator_proposes_and_the_parties_move_it_on(
    demo_copy: Settings,
    client: TestClient,
    accounts: dict[str, Account],
    demand: dict[str, Any],
    offers: Any,
) -> None:
    fits = offers["fits"]["id"]
    token = act_as(client, accounts, "coordinator")
    proposal = write(
        client, "POST", "/api/matches", token,
        {"demand_id": demand["id"], "property_id": fits, "note": "Lijkt goed te passen"},
    )  # fmt: skip
    assert proposal["status"] == "voorgesteld" and proposal["next"] == ["in_gesprek", "afgewezen"]
    again = client.post(
        "/api/matches",
        json={"demand_id": demand["id"], "property_id": fits},
        headers={"X-CSRF-Token": token},
    )
    assert again.status_code == 409
    site = write(
        client, "POST", "/api/matches", token, {"demand_id": demand["id"], "site_id": PARK}
    )
    assert site["site_id"] == PARK and site["name"]
    # the owner sees the proposal (and is told in the inbox)
    token = act_as(client, accounts, "eigenaar")
    mine = client.get("/api/matches").json()["matches"]
    assert [m["id"] for m in mine] == [proposal["id"]] and mine[0]["own"] is True
    assert mine[0]["demand_title"] == "Opvang statushouders"
    inbox = client.get("/api/notifications").json()
    assert inbox["unread"] >= 1
    assert any(
        n["kind"] == "proposal" and n["match_id"] == proposal["id"] for n in inbox["notifications"]
    )
    moved = write(
        client, "POST", f"/api/matches/{proposal['id']}/status", token,
        {"status": "in_gesprek", "note": "Graag een afspraak"},
    )  # fmt: skip
    assert moved["status"] == "in_gesprek" and moved["next"] == ["akkoord", "afgewezen"]
    # a status that does not follow is refused
    response = client.post(
        f"/api/matches/{proposal['id']}/status",
        json={"status": "voorgesteld"},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 409
    # the gemeente agrees
    token = act_as(client, accounts, "gemeente")
    done = write(
        client, "POST", f"/api/matches/{proposal['id']}/status", token,
        {"status": "akkoord", "note": "Akkoord per 1 maart"},
    )  # fmt: skip
    assert done["status"] == "akkoord" and done["next"] == []
    trail = client.get(f"/api/matches/{proposal['id']}/audit").json()["entries"]
    assert [(e["from_status"], e["to_status"], e["note"], e["actor"]) for e in trail] == [
        (None, "voorgesteld", "Lijkt goed te passen", accounts["coordinator"].email),
        ("voorgesteld", "in_gesprek", "Graag een afspraak", "eigenaar"),  # never the e-mail
        ("in_gesprek", "akkoord", "Akkoord per 1 maart", accounts["gemeente"].email),
    ]
    # outsiders see neither the match nor its trail
    for who in ("provincie_other", "beheerder"):
        act_as(client, accounts, who)
        assert client.get("/api/matches").json()["matches"] == []
        assert client.get(f"/api/matches/{proposal['id']}/audit").json()["entries"] == []
    # the trail cannot be changed in the database either
    with db.connection(demo_copy) as conn:
        for statement in (
            "UPDATE match_audit SET note = 'x'",
            "DELETE FROM match_audit",
            "TRUNCATE match_audit",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="not allowed"):
                conn.execute(statement)
        with pytest.raises(psycopg.errors.RaiseException, match="actor"):
            conn.execute("UPDATE match SET note = 'stil' WHERE id = %s", (proposal["id"],))


def test_a_coordinator_of_another_region_cannot_propose(
    client: TestClient, accounts: dict[str, Account], demand: dict[str, Any], offers: Any
) -> None:
    for who in ("coordinator_other", "gemeente", "eigenaar", "provincie"):
        token = act_as(client, accounts, who)
        response = client.post(
            "/api/matches",
            json={"demand_id": demand["id"], "property_id": offers["small"]["id"]},
            headers={"X-CSRF-Token": token},
        )
        assert response.status_code == 403, (who, response.text)
