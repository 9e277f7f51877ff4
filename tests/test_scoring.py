"""Scoring: raw criteria on real PostGIS with hand-placed features, and every value function,
profile, exclusion and missing-data rule against hand-calculated values.

Coordinates are EPSG:28992 metres around Amsterdam (121000, 487000).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pytest

from sitefinder.core.errors import InvalidParameterError
from sitefinder.core.settings import PROJECT_ROOT
from sitefinder.scoring import (
    engine,
    load_profile,
    parse_weights,
    piecewise,
    profile_names,
    score_all,
)
from sitefinder.scoring.base import id_list
from sitefinder.scoring.criteria import catalogue, declarations, groups, raw_columns
from sitefinder.scoring.declaration import Criterion, Declaration
from sitefinder.scoring.engine import (
    Scores,
    SiteTable,
    breakdown,
    evaluate,
    stability,
    top_indices,
    weight_vector,
)
from sitefinder.scoring.explain import explain, feature_names
from sitefinder.scoring.profile import parse_profile

STANDAARD = load_profile("standaard")

# The criteria, coverage columns and groups this file was written against, in catalogue order.
# They are pinned: each must stay, in this order, with these groups. The enumeration of what must
# be covered comes from the catalogue and the criteria package's modules instead, so a new
# criterion (a module of its own) needs no edit here, and the catalogue cannot lose, gain or
# reorder one of these unnoticed.
KNOWN_CRITERIA = [
    "transit", "care_distance", "care_count", "care_hospital", "care_gp",
    "care_mental_health", "care_social", "care_pharmacy", "daily_needs", "schools",
    "zoning", "size", "natura2000", "constraints",
]  # fmt: skip
KNOWN_COVERAGE = [
    "cov_stops", "cov_stops_connexxion", "cov_stops_govi", "cov_stops_htm",
    "cov_stops_ferries", "cov_stations", "cov_care", "cov_care_osm", "cov_supermarkets",
    "cov_schools", "cov_zoning", "cov_natura2000",
]  # fmt: skip
KNOWN_GROUPS = {
    "gemeenten": ["gemeente"],
    "stops": ["transit"],
    "care": ["care_distance", "care_count", "care_hospital"],
    "care_osm": ["care_gp", "care_mental_health", "care_social", "care_pharmacy"],
    "supermarkets": ["daily_needs"],
    "schools": ["schools"],
    "zoning": ["zoning"],
    "natura2000": ["natura2000"],
    "constraints": ["constraints"],
}


def _pinned(found: list[str], known: list[str]) -> list[str]:
    """``found`` restricted to ``known``: equal to ``known`` when each of them is there, once,
    in the same order."""
    return [name for name in found if name in known]


def _point(x: float, y: float) -> str:
    return f"SRID=28992;POINT({x} {y})"


def _box(x0: float, y0: float, x1: float, y1: float) -> str:
    return f"SRID=28992;MULTIPOLYGON((({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0})))"


@pytest.fixture
def scene(conn: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    for table in ("site_raw", "site", "poi", "area", "layer_coverage"):
        conn.execute(f"DELETE FROM {table}")
    conn.execute(
        "INSERT INTO site (id, layer, name, source, source_ref, geom, kind, props) VALUES"
        " ('offices:1', 'offices', 'Kantoor', 't', '1', %s, 'kantoor', '{\"places\": 20}'),"
        " ('plots:far', 'plots', 'Ver weg', 't', 'far', %s, 'kavel', '{}'),"
        " ('plots:n2k', 'plots', 'In natuur', 't', 'n2k', %s, 'kavel', '{}'),"
        " ('plots:water', 'plots', 'Water', 't', 'water', %s, 'kavel', '{}')",
        (
            _point(121000, 487000),
            _point(181200, 456600),
            _point(150050, 450050),
            _point(121500, 487500),
        ),
    )
    conn.execute(
        "INSERT INTO poi (id, layer, name, source, source_ref, geom, category) VALUES"
        " ('stops:a', 'stops', 'Halte A', 't', 'a', %s, 'tram'),"
        " ('stops:b', 'stops', 'Station B', 't', 'b', %s, 'rail'),"
        " ('care:a', 'care', 'Ziekenhuis', 't', 'a', %s, 'hospital'),"
        " ('supermarkets:a', 'supermarkets', 'Winkel', 't', 'a', %s, 'supermarket')",
        (
            _point(121300, 487000),
            _point(121000, 487900),
            _point(121000, 488000),
            _point(121000, 487600),
        ),
    )
    conn.execute(
        "INSERT INTO area (id, layer, name, source, source_ref, geom, category) VALUES"
        " ('natura2000:x', 'natura2000', 'Testveen', 't', 'x', %s, NULL),"
        " ('zoning:w', 'zoning', 'Water', 't', 'w', %s, 'water')",
        (_box(150000, 450000, 150100, 450100), _box(121400, 487400, 121600, 487600)),
    )
    conn.execute(
        "INSERT INTO layer_coverage VALUES"
        " ('stops', false, ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(121000, 487000), 28992),"
        "  3000))), ('care', true, NULL), ('natura2000', true, NULL),"
        " ('supermarkets', true, NULL), ('zoning', false, %s)",
        (_box(121400, 487400, 121600, 487600),),
    )
    return conn


def _loaded(conn: psycopg.Connection[Any]) -> SiteTable:
    score_all(conn)
    return SiteTable.load(conn, version=0)


# ---------------------------------------------------------------------------------------------
# value functions


@pytest.mark.parametrize(
    ("x", "expected"),
    [(0, 1.0), (400, 1.0), (600, 0.8), (800, 0.6), (1150, 0.3), (1500, 0.0), (5000, 0.0)],
)
def test_piecewise_hand_values(x: float, expected: float) -> None:
    xs, ys = np.array([400.0, 800.0, 1500.0]), np.array([1.0, 0.6, 0.0])
    assert float(piecewise(x, xs, ys)) == pytest.approx(expected)


def test_piecewise_keeps_missing_missing() -> None:
    out = piecewise(np.array([np.nan, 400.0]), np.array([0.0, 1.0]), np.array([1.0, 0.0]))
    assert np.isnan(out[0]) and out[1] == 0.0


def _raw(**overrides: Any) -> pd.DataFrame:
    """One site's raw criteria: everything covered, nothing near, no constraints."""
    row: dict[str, Any] = {
        "stop_local_id": None, "stop_local_m": np.nan, "stop_local_dph": np.nan,
        "stop_rail_id": None, "stop_rail_m": np.nan, "stop_rail_dph": np.nan,
        "care_id": None, "care_m": np.nan, "care_n": 0,
        "supermarket_id": None, "supermarket_m": np.nan,
        "zoning_id": None, "zoning_class": None,
        "natura2000_id": None, "natura2000_m": 9999.0,
        "constraint_ids": None, "places": np.nan,
        "cov_stops": True, "cov_care": True, "cov_supermarkets": True, "cov_zoning": True,
        "cov_natura2000": True,
    }  # fmt: skip
    row.update(overrides)
    return pd.DataFrame([row])


def _value(criterion: str, profile: str = "standaard", **raw: Any) -> float:
    evaluation = evaluate(_raw(**raw), load_profile(profile))
    return float(evaluation.values[0, evaluation.col[criterion]])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"stop_local_m": 300.0}, 1.0),  # 300 m x 1.3 = 390 m walking <= 400
        ({"stop_local_m": 500.0}, 1 - 0.4 * 250 / 400),  # 650 m, between 400 -> 1, 800 -> 0.6
        ({"stop_rail_m": 800.0}, 1 - 0.2 * 240 / 400),  # 1040 m, between 800 -> 1, 1200 -> 0.8
        ({"stop_local_m": 1000.0, "stop_rail_m": 600.0}, 1.0),  # the station (780 m) wins
        ({"stop_local_m": 300.0, "stop_local_dph": 2.0}, 0.6),  # service 0.4 + 0.4 x 2/4
        ({"stop_local_m": 300.0, "stop_local_dph": 12.0}, 1.0),
    ],
)
def test_transit_value_function(raw: dict[str, float], expected: float) -> None:
    assert _value("transit", **raw) == pytest.approx(expected)


def test_transit_outside_coverage_is_missing_not_zero() -> None:
    assert np.isnan(_value("transit", stop_local_m=100.0, cov_stops=False))
    assert _value("transit") == 0.0  # covered, but no stop at all: a real zero


@pytest.mark.parametrize(
    ("criterion", "raw", "expected"),
    [
        ("care_distance", {"care_m": 1000.0}, 1 - 0.5 * 300 / 2000),  # 1300 m walking
        ("care_distance", {"care_m": 9000.0}, 0.0),
        ("care_count", {"care_n": 0}, 0.0),
        ("care_count", {"care_n": 2}, 0.85),
        ("care_count", {"care_n": 7}, 1.0),
        ("daily_needs", {"supermarket_m": 300.0}, 1.0),  # 390 m
        ("daily_needs", {"supermarket_m": 1000.0}, 0.7 - 0.7 * 300 / 1500),  # 1300 m
        ("size", {"places": 5.0}, 0.25),
        ("size", {"places": 25.0}, 0.75),
        ("size", {"places": 100.0}, 1.0),
        ("zoning", {"zoning_class": "wonen"}, 1.0),
        ("zoning", {"zoning_class": "kantoor"}, 0.7),
        ("zoning", {"zoning_class": "iets_anders"}, 0.4),  # the profile's default
        ("natura2000", {"natura2000_m": 0.0}, 0.0),
        ("natura2000", {"natura2000_m": 10.0}, 1.0),
        ("constraints", {"constraint_ids": ["flood:1"]}, 0.0),
    ],
)
def test_value_functions_standaard(criterion: str, raw: dict[str, Any], expected: float) -> None:
    assert _value(criterion, **raw) == pytest.approx(expected)


def test_begeleid_wonen_has_its_own_care_thresholds() -> None:
    # 1000 m straight = 1300 m walking; begeleid wonen: 500 -> 1, 1500 -> 0.5
    assert _value("care_distance", "begeleid_wonen", care_m=1000.0) == pytest.approx(
        1 - 0.5 * 800 / 1000
    )


def test_unknown_places_and_zoning_outside_plans_are_missing() -> None:
    assert np.isnan(_value("size"))
    assert np.isnan(_value("zoning", zoning_class="wonen", cov_zoning=False))
    assert np.isnan(_value("zoning"))  # covered, but no plan object under the site


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ({"natura2000_m": 0.0}, "natura2000"),
        ({"zoning_class": "water"}, "zoning"),
        ({"zoning_class": "natuur"}, "zoning"),
        ({"constraint_ids": ["geluid:3"]}, "constraints"),
    ],
)
def test_exclusions(raw: dict[str, Any], reason: str) -> None:
    evaluation = evaluate(_raw(stop_local_m=100.0, **raw), STANDAARD)
    assert evaluation.excluded[0] and evaluation.reason[0] == reason
    assert np.isnan(evaluation.scores(weight_vector(STANDAARD.weights))[0])


# ---------------------------------------------------------------------------------------------
# profiles and weights


def test_profiles_are_data_and_sum_to_one() -> None:
    assert profile_names() == ["standaard", "begeleid_wonen", "statushouders", "zelfredzaam"]
    for name in profile_names():
        weights = load_profile(name).weights
        assert set(weights) == set(catalogue())
        assert sum(weights.values()) == pytest.approx(1.0), name
    zelf, zorg = load_profile("zelfredzaam").weights, load_profile("begeleid_wonen").weights
    assert zelf["transit"] == max(zelf.values())  # transit to work first
    assert zorg["care_distance"] == max(zorg.values())  # care nearby decisive
    assert load_profile("statushouders").weights["daily_needs"] >= 0.25


@pytest.mark.parametrize("name", ["../etc/passwd", "bestaat_niet", "Standaard", ""])
def test_unknown_profiles_are_refused(name: str) -> None:
    with pytest.raises(InvalidParameterError):
        load_profile(name)


def test_parse_weights() -> None:
    w = parse_weights("transit:0.5, care_distance:0.25")
    assert w["transit"] == 0.5 and w["care_distance"] == 0.25 and w["zoning"] == 0.0
    for bad in ("transit", "transit:x", "foo:1", "transit:-1", "transit:0", "transit:inf"):
        with pytest.raises(InvalidParameterError):
            parse_weights(bad)


def test_hand_calculated_score_and_explanation() -> None:
    raw = _raw(stop_local_m=300.0, care_m=1000.0, care_n=1, supermarket_m=1000.0, places=25.0)
    evaluation = evaluate(raw, STANDAARD)
    w = weight_vector(STANDAARD.weights)
    # transit 1.0 x 0.30 + care 0.925 x 0.15 + count 0.7 x 0.05 + shop 0.56 x 0.15
    # + size 0.75 x 0.10; zoning missing: divide by 0.75
    hand = (0.30 * 1.0 + 0.15 * 0.925 + 0.05 * 0.7 + 0.15 * 0.56 + 0.10 * 0.75) / 0.75
    assert evaluation.scores(w)[0] == pytest.approx(hand)
    items = breakdown(evaluation, 0, w)
    assert sum(item["contribution"] for item in items) == pytest.approx(hand)
    zoning = next(item for item in items if item["criterion"] == "zoning")
    assert zoning["missing"] and zoning["effective_weight"] == 0
    transit = next(item for item in items if item["criterion"] == "transit")
    assert transit["effective_weight"] == pytest.approx(0.30 / 0.75)


def test_custom_weights_change_the_ranking() -> None:
    raw = pd.concat(
        [_raw(stop_local_m=100.0, places=1.0), _raw(stop_local_m=1400.0, places=60.0)],
        ignore_index=True,
    )
    evaluation = evaluate(raw, STANDAARD)
    transit_first = evaluation.scores(weight_vector(parse_weights("transit:1")))
    size_first = evaluation.scores(weight_vector(parse_weights("size:1")))
    assert transit_first[0] > transit_first[1]
    assert size_first[1] > size_first[0]


def test_top_indices_and_stability() -> None:
    n = 50
    raw = pd.concat(
        [_raw(stop_local_m=100.0 + 20 * i, places=float(i + 1)) for i in range(n)],
        ignore_index=True,
    )
    evaluation = evaluate(raw, STANDAARD)
    w = weight_vector(STANDAARD.weights)
    candidates = np.arange(n)
    scores = evaluation.scores(w)
    top = top_indices(scores, candidates, 5)
    assert list(top) == list(np.argsort(-scores, kind="stable")[:5])
    share = stability(evaluation, w, candidates, top, k=5)
    assert ((share >= 0) & (share <= 1)).all()
    # the same seed: the same answer
    assert list(share) == list(stability(evaluation, w, candidates, top, k=5))
    # a site far outside the top can never be in the top 5
    assert stability(evaluation, w, candidates, np.array([int(np.argmin(scores))]), k=5)[0] == 0


def test_stability_extra_sites_by_sampled_threshold_are_the_full_rule_s() -> None:
    """At 200,000 sites ``_reaching`` takes its sampled threshold; the sites it picks (and
    their order) are those of the full rule: every allowed site with a score whose upper end
    reaches the floor, the 1,000 highest upper ends when more, ties by site."""
    rng = np.random.default_rng(7)
    n = 200_000
    high = rng.uniform(0.0, 1.0, n).round(3).astype(np.float32)  # many ties
    point = np.where(rng.random(n) < 0.05, np.nan, high).astype(np.float32)
    high[rng.random(n) < 0.05] = np.nan  # excluded
    scores = Scores(point=point, low=high - 0.1, high=high, completeness=np.ones(n, np.float32))
    for floor, share in ((0.3, 0.9), (0.99, 0.5), (0.9995, 0.2)):
        allowed = rng.random(n) < share
        reach = (high >= floor) & ~np.isnan(point) & allowed
        rows = np.flatnonzero(reach)
        expected = np.sort(rows[np.lexsort((rows, -high[rows]))][:1000])
        found = engine._reaching(scores, allowed, floor, 1000)
        assert list(found) == list(expected), floor


def test_stability_unknown_values_keep_their_places_when_the_pool_grows() -> None:
    """The values a missing criterion takes per pool place and draw are drawn once per process;
    a longer pool draws further, the first places keep theirs (the same answer as before)."""
    first = np.array(engine._unknown_values(3, 100))
    engine._UNKNOWN.pop(3)
    longer = engine._unknown_values(3, 5_000)
    assert first.shape == (100, engine.STABILITY_DRAWS) and longer.shape[0] == 5_000
    assert np.array_equal(longer[:100], first)
    assert float(longer.min()) >= 0.0 and float(longer.max()) < 1.0
    assert abs(float(longer.mean()) - 0.5) < 0.01  # U(0, 1)
    other = engine._unknown_values(4, 100)  # a stream of its own per criterion
    assert not np.array_equal(other, longer[:100])


# ---------------------------------------------------------------------------------------------
# raw criteria from PostGIS


def test_raw_criteria_from_postgis(scene: psycopg.Connection[Any]) -> None:
    table = _loaded(scene)
    raw = table.raw.set_index("site_id")
    office = raw.loc["offices:1"]
    assert office["stop_local_id"] == "stops:a" and office["stop_local_m"] == pytest.approx(300)
    assert office["stop_rail_id"] == "stops:b" and office["stop_rail_m"] == pytest.approx(900)
    assert office["care_m"] == pytest.approx(1000) and office["care_n"] == 1  # 1000 m inclusive
    assert office["supermarket_m"] == pytest.approx(600)
    assert office["places"] == 20 and office["cov_stops"] and not office["cov_zoning"]
    far = raw.loc["plots:far"]
    assert not far["cov_stops"] and far["cov_care"]
    assert raw.loc["plots:n2k", "natura2000_m"] == 0
    assert raw.loc["plots:water", "zoning_class"] == "water"
    assert raw.loc["plots:water", "zoning_id"] == "zoning:w"


def test_scores_exclusions_and_missing_from_postgis(scene: psycopg.Connection[Any]) -> None:
    summary = score_all(scene)
    assert summary.sites == 4 and summary.excluded == 2 and summary.no_data == 0
    assert summary.missing["stops"] == 2  # the office and the water plot are in its coverage
    table = SiteTable.load(scene, version=0)
    evaluation = table.evaluation(STANDAARD)
    w = weight_vector(STANDAARD.weights)
    scores = evaluation.scores(w)
    i = table.index["offices:1"]
    # transit 1.0, care 0.925, count 0.7, shop 600 m -> 780 m walking: 1 - 0.3 x 280/500
    shop = 1 - 0.3 * 280 / 500
    size = 0.5 + 0.5 * 10 / 30
    hand = (0.30 * 1.0 + 0.15 * 0.925 + 0.05 * 0.7 + 0.15 * shop + 0.10 * size) / 0.75
    assert scores[i] == pytest.approx(hand)
    assert evaluation.reason[table.index["plots:n2k"]] == "natura2000"
    assert evaluation.reason[table.index["plots:water"]] == "zoning"
    far = table.index["plots:far"]
    assert not evaluation.present[far, evaluation.col["transit"]]

    raw = table.raw.iloc[i].to_dict()
    explained = explain(STANDAARD, w, evaluation, i, raw, feature_names(scene, raw))
    stop = explained["nearest"]["stop"]
    assert (stop["name"], stop["category"], stop["walk_m"]) == ("Halte A", "tram", 390)
    transit = explained["breakdown"][evaluation.col["transit"]]
    assert transit["facts"] == {"nearest": stop}  # the page words it: "Halte A (tram), 390 m"
    assert transit["raw"] == pytest.approx(390.0)
    zoning = explained["breakdown"][evaluation.col["zoning"]]
    assert zoning["missing"] and zoning["facts"] is None  # the page: "Geen gegevens hier"
    assert [b["criterion"] for b in explained["breakdown"]] == list(catalogue())
    # facts only: no sentences, titles or old keys from the server (the page words the facts)
    assert set(explained) == {"breakdown", "reasons", "nearest"}
    for item in explained["breakdown"]:
        assert set(item) == {
            "criterion", "unit", "raw", "value", "weight", "effective_weight", "contribution",
            "missing", "excluded", "facts",
        }  # fmt: skip


def test_score_recomputes_only_what_changed(scene: psycopg.Connection[Any]) -> None:
    def run(layer: str) -> None:  # record a successful ETL run of ``layer``
        scene.execute(
            "INSERT INTO etl_run (layer, source, uri, publisher, licence, status, started_at)"
            " VALUES (%s, 't', 't', 't', 't', 'ok', now())",
            (layer,),
        )

    for layer in ("offices", "plots", "stops", "care", "supermarkets", "natura2000", "zoning"):
        run(layer)
    first = score_all(scene)
    assert first.groups == list(groups())
    assert _pinned(list(groups()), list(KNOWN_GROUPS)) == list(KNOWN_GROUPS)
    assert score_all(scene).groups == []  # nothing changed: nothing recomputed

    before = SiteTable.load(scene, version=0).raw.set_index("site_id")
    # a new stop right next to the office, then a reload of only the stops layer
    scene.execute(
        "INSERT INTO poi (id, layer, name, source, source_ref, geom, category)"
        " VALUES ('stops:c', 'stops', 'Halte C', 't', 'c', %s, 'bus')",
        (_point(121050, 487000),),
    )
    run("stops")
    again = score_all(scene)
    assert again.groups == ["stops"]
    after = SiteTable.load(scene, version=0).raw.set_index("site_id")
    assert after.loc["offices:1", "stop_local_id"] == "stops:c"
    assert after.loc["offices:1", "stop_local_m"] == pytest.approx(50)
    pd.testing.assert_series_equal(before["care_m"], after["care_m"])
    pd.testing.assert_series_equal(before["supermarket_m"], after["supermarket_m"])

    run("offices")  # the sites changed: everything is recomputed
    assert score_all(scene).groups == list(groups())
    assert score_all(scene, full=True).groups == list(groups())


def test_constraint_layers_and_far_nature_through_postgis(scene: psycopg.Connection[Any]) -> None:
    scene.execute(
        "INSERT INTO area (id, layer, name, source, source_ref, geom, category) VALUES"
        " ('constraints:f1', 'constraints', 'Overstromingsgebied', 't', 'f1', %s, 'flood')",
        (_box(120900, 486900, 121100, 487100),),
    )
    scene.execute(
        "INSERT INTO layer_coverage VALUES ('constraints', false, %s)",
        (_box(120900, 486900, 121100, 487100),),
    )
    score_all(scene, full=True)
    table = SiteTable.load(scene, version=0)
    raw = table.raw.set_index("site_id")
    assert id_list(raw.loc["offices:1", "constraint_ids"]) == ["constraints:f1"]
    assert id_list(raw.loc["plots:far", "constraint_ids"]) == []
    # Otterlo is more than 1 km from the test Natura 2000 area: distance unknown, not inside
    assert np.isnan(raw.loc["plots:far", "natura2000_m"])
    evaluation = table.evaluation(STANDAARD)
    office = table.index["offices:1"]
    assert evaluation.excluded[office] and evaluation.reason[office] == "constraints"
    assert evaluation.values[table.index["plots:far"], evaluation.col["natura2000"]] == 1.0
    i = table.index["offices:1"]
    row = table.raw.iloc[i].to_dict()
    explained = explain(
        STANDAARD, weight_vector(STANDAARD.weights), evaluation, i, row, feature_names(scene, row)
    )
    constraint = explained["breakdown"][evaluation.col["constraints"]]
    assert constraint["excluded"]
    assert [area["name"] for area in constraint["facts"]["areas"]] == ["Overstromingsgebied"]
    assert explained["reasons"] == [{"criterion": "constraints"}]


# ---------------------------------------------------------------------------------------------
# explanations as facts (FACTS.md)


def _explained(conn: psycopg.Connection[Any], table: SiteTable, site: str) -> dict[str, Any]:
    evaluation = table.evaluation(STANDAARD)
    i = table.index[site]
    raw = table.raw.iloc[i].to_dict()
    w = weight_vector(STANDAARD.weights)
    return explain(STANDAARD, w, evaluation, i, raw, feature_names(conn, raw))


def test_explanations_are_facts(scene: psycopg.Connection[Any]) -> None:
    table = _loaded(scene)
    office = _explained(scene, table, "offices:1")
    facts = {b["criterion"]: b["facts"] for b in office["breakdown"]}
    stop = {
        "id": "stops:a",
        "name": "Halte A",
        "category": "tram",
        "walk_m": 390,
        "distance_m": 300,
        "departures_per_hour": None,  # the test feed has no timetable
        "source": "t",  # the stop's source key; no ETL run recorded its data date
        "as_of": None,
    }
    care = {"id": "care:a", "name": "Ziekenhuis", "category": "hospital"}
    shop = {"id": "supermarkets:a", "name": "Winkel", "category": "supermarket"}
    expected = {
        "transit": {"nearest": stop},
        "care_distance": {"nearest": {**care, "walk_m": 1300, "distance_m": 1000}},
        "care_count": {"count": 1, "radius_m": 1000, "layer": "care"},
        "care_hospital": {"nearest": {**care, "walk_m": 1300, "distance_m": 1000}},
        # no layer that holds GPs, GGZ, shelters, pharmacies or schools covers the office
        "care_gp": None,
        "care_mental_health": None,
        "care_social": None,
        "care_pharmacy": None,
        "daily_needs": {"nearest": {**shop, "walk_m": 780, "distance_m": 600}},
        "schools": None,
        "zoning": None,  # outside the zoning coverage: missing, no facts
        "size": {"places": 20, "min_places": 1},  # an office needs one place (layers.SiteKind)
        "natura2000": {"inside": False, "area": None, "nearest": None, "search_radius_m": 1000},
        "constraints": {"areas": []},
    }
    # every criterion of the catalogue has its expected facts here: a new one adds its own
    untested = [name for name in catalogue() if name not in expected]
    assert not untested, f"add the office's expected facts of {untested} to this test"
    assert list(facts) == list(catalogue())  # one item per criterion, in catalogue order
    assert facts == expected
    assert office["reasons"] == []
    assert office["nearest"] == {
        "stop": stop,
        "care": facts["care_distance"]["nearest"],
        "supermarket": facts["daily_needs"]["nearest"],
    }
    # every criterion emits only the fact keys it declares (GET /api/profiles lists them)
    for item in office["breakdown"]:
        if item["facts"] is not None:
            assert set(item["facts"]) <= set(catalogue()[item["criterion"]].fact_keys)

    nature = _explained(scene, table, "plots:n2k")
    by = {b["criterion"]: b for b in nature["breakdown"]}
    assert by["natura2000"]["facts"] == {
        "inside": True,
        "area": {"id": "natura2000:x", "name": "Testveen"},
    }
    assert by["natura2000"]["excluded"] and by["transit"]["facts"] is None
    assert [r["criterion"] for r in nature["reasons"]] == ["natura2000"]
    assert nature["nearest"] == {
        "stop": None,  # outside the stops' coverage: no data, not "no stop"
        "care": by["care_distance"]["facts"]["nearest"],
        "supermarket": by["daily_needs"]["facts"]["nearest"],
    }

    water = _explained(scene, table, "plots:water")
    zoning = next(b for b in water["breakdown"] if b["criterion"] == "zoning")
    assert zoning["facts"] == {
        "zoning": {
            "class": "water",
            "name": "Water",
            "plan": None,  # a zoning area without plan fields (written by hand here)
            "plan_name": None,
            "plan_status": None,
            "plan_date": None,
            "plan_type": None,
            "overlay_factor": 1.0,
        }
    }
    # the reason is the criterion only; the page words it with its title ("Uitgesloten door:
    # Bestemming") from GET /api/profiles
    assert water["reasons"] == [{"criterion": "zoning"}]
    assert catalogue()["zoning"].public()["title"] == {"nl": "Bestemming", "en": "Zoning"}


def test_facts_of_constraints_and_nature_nearby(scene: psycopg.Connection[Any]) -> None:
    scene.execute(
        "INSERT INTO area (id, layer, name, source, source_ref, geom, category) VALUES"
        " ('constraints:f1', 'constraints', 'Overstromingsgebied', 't', 'f1', %s, 'flood'),"
        " ('natura2000:y', 'natura2000', 'Nabijveen', 't', 'y', %s, NULL)",
        (_box(120900, 486900, 121100, 487100), _box(121000, 486000, 121100, 486400)),
    )
    scene.execute(
        "INSERT INTO layer_coverage VALUES ('constraints', false, %s)",
        (_box(120900, 486900, 121100, 487100),),
    )
    score_all(scene, full=True)
    office = _explained(scene, SiteTable.load(scene, version=0), "offices:1")
    by = {b["criterion"]: b for b in office["breakdown"]}
    assert by["constraints"]["facts"] == {
        "areas": [{"id": "constraints:f1", "name": "Overstromingsgebied", "category": "flood"}]
    }
    assert by["natura2000"]["facts"] == {
        "inside": False,
        "area": None,
        "nearest": {"id": "natura2000:y", "name": "Nabijveen", "category": None, "distance_m": 600},
        "search_radius_m": 1000,
    }
    assert office["reasons"] == [{"criterion": "constraints"}]
    assert by["natura2000"]["excluded"] is False and by["constraints"]["excluded"] is True


def _criteria_modules() -> dict[str, Declaration]:
    """The declaration of every module of ``sitefinder/scoring/criteria/``, by module name,
    read from the package's files (not through the catalogue's own discovery)."""
    import importlib

    package = PROJECT_ROOT / "sitefinder" / "scoring" / "criteria"
    found: dict[str, Declaration] = {}
    for path in sorted(package.glob("*.py")):
        if path.stem == "__init__":
            continue
        module = importlib.import_module(f"sitefinder.scoring.criteria.{path.stem}")
        declared = [
            getattr(module, attribute)
            for attribute in ("CRITERION", "DERIVED")
            if isinstance(getattr(module, attribute, None), Declaration)
        ]
        assert len(declared) == 1, f"{path.name} declares {len(declared)} criteria, not one"
        assert declared[0].name == path.stem, f"{path.name} declares '{declared[0].name}'"
        found[path.stem] = declared[0]
    return found


def test_criteria_are_declared_once_in_the_catalogue() -> None:
    modules = _criteria_modules()
    # every criterion module is in the catalogue, once, and nothing else is
    assert set(catalogue()) == {n for n, d in modules.items() if isinstance(d, Criterion)}
    assert {d.name for d in declarations()} == set(modules)  # derived columns included
    assert list(catalogue()) == [
        d.name
        for d in sorted(modules.values(), key=lambda d: (d.order, d.name))
        if isinstance(d, Criterion)
    ]  # in catalogue order: ``order``, then name
    assert _pinned(list(catalogue()), KNOWN_CRITERIA) == KNOWN_CRITERIA
    assert {name for name, c in catalogue().items() if c.constraint} == {
        "natura2000",
        "constraints",
    }
    columns = [c.name for c in raw_columns()]
    assert len(columns) == len(set(columns))
    assert columns[0] == "gemeentecode"  # the derived column, not a criterion
    # one coverage column per layer whose coverage decides "missing" for some criterion, in
    # catalogue order, after the declared columns
    coverage = [c for c in columns if c.startswith("cov_")]
    assert coverage == list(
        dict.fromkeys(f"cov_{layer}" for c in catalogue().values() for layer in c.coverage_layers)
    )
    assert columns[-len(coverage) :] == coverage
    assert _pinned(coverage, KNOWN_COVERAGE) == KNOWN_COVERAGE
    # the groups follow the layers the declarations read: each declaration that reads a layer
    # is in the group of its first layer (or the one it names), in catalogue order
    assert {name: [d.name for d in members] for name, members in groups().items()} == {
        group: [d.name for d in declarations() if d.group == group]
        for group in dict.fromkeys(d.group for d in declarations() if d.group)
    }
    for declaration in declarations():
        if declaration.reads:
            assert declaration.group in declaration.layer_names, declaration.name
        else:
            assert declaration.group == "", declaration.name  # recomputed on a full run only
    known = [name for names in KNOWN_GROUPS.values() for name in names]
    pinned = {name: _pinned([d.name for d in members], known) for name, members in groups().items()}
    assert {name: names for name, names in pinned.items() if names} == KNOWN_GROUPS
    assert catalogue()["care_count"].public() == {
        "name": "care_count",
        "title": {"nl": "Zorg binnen 1 km", "en": "Care within 1 km"},
        "unit": "count",
        "constraint": False,
        "facts": ["count", "radius_m", "layer"],
    }


# ---------------------------------------------------------------------------------------------
# profiles name only what they change


def test_profiles_name_only_what_they_change() -> None:
    for name in profile_names():
        profile = load_profile(name)
        for crit, changes in profile.changes.items():
            defaults = catalogue()[crit].defaults
            for key, value in changes.items():
                assert value != defaults[key], f"{name}: {crit}.{key} restates the default"
    assert load_profile("standaard").changes == {}
    zorg = load_profile("begeleid_wonen").criteria
    assert zorg["care_distance"]["breakpoints"][0] == [500.0, 1.0]
    assert zorg["zoning"]["classes"]["wonen"] == 1.0  # the default table, unchanged
    assert zorg["zoning"]["weight"] == 0.20


def _profile(**criteria: Any) -> dict[str, Any]:
    return {"name": "x", "title_nl": "X", "title_en": "X", "criteria": criteria}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_profile(foo={"weight": 1.0}), "unknown criteria ['foo']"),
        (_profile(transit={"wieght": 1.0}), "criteria.transit has unknown keys ['wieght']"),
        (_profile(transit={"weight": "hoog"}), "transit.weight must be a number"),
        (_profile(transit={"weight": -1.0}), "transit.weight must not be negative"),
        (_profile(natura2000={"exclude": 1}), "natura2000.exclude must be true or false"),
        (_profile(zoning={"classes": {"wonen": "ja"}}), "zoning.classes.wonen must be a number"),
        (
            _profile(care_distance={"breakpoints": [[3000.0, 1.0], [1000.0, 0.0]]}),
            "care_distance.breakpoints needs two or more breakpoints, raw ascending",
        ),
        (_profile(size={"breakpoints": [[0.0, 0.0], [10.0, 2.0]]}), "values must be 0-1"),
        (_profile(size=0.5), "criteria.size must be a table"),
        ({**_profile(), "detour": 1.3}, "unknown keys ['detour']"),
        ({**_profile(), "detour_factor": 9}, "detour_factor must be a number 1-3"),
        ({"name": "x"}, "title_nl (text) is required"),
    ],
)
def test_profile_validation_says_what_is_wrong(data: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=re.escape(message)):
        parse_profile("x", data)


def test_a_changed_class_table_merges_with_the_default() -> None:
    profile = parse_profile("x", _profile(zoning={"classes": {"kantoor": 0.9}}))
    classes = profile.criteria["zoning"]["classes"]
    assert classes["kantoor"] == 0.9 and classes["wonen"] == 1.0
    assert _value("zoning", zoning_class="kantoor") == 0.7  # standaard untouched


# ---------------------------------------------------------------------------------------------
# docs/scoring.md says what the code does


def test_docs_profile_weights_and_worked_example_match_the_code() -> None:
    text = (PROJECT_ROOT / "docs" / "scoring.md").read_text(encoding="utf-8")
    weighted = [name for name, c in catalogue().items() if not c.constraint]
    rows = re.findall(r"^\| `([a-z_]+)` \| ([0-9.]+(?: \| [0-9.]+)+) \|", text, re.MULTILINE)
    table = {name: [float(x) for x in numbers.split(" | ")] for name, numbers in rows}
    assert set(table) == set(profile_names())
    for name, numbers in table.items():
        weights = load_profile(name).weights
        assert numbers == [weights[c] for c in weighted], name
    # the worked example: an office with 20 places, a tram stop at 300 m and a station at 900 m,
    # care at 1,000 m (one within 1 km), a supermarket at 600 m, outside any zoning plan
    raw = _raw(stop_local_m=300.0, stop_rail_m=900.0, care_m=1000.0, care_n=1,
               supermarket_m=600.0, places=20.0, cov_zoning=False)  # fmt: skip
    score = evaluate(raw, STANDAARD).scores(weight_vector(STANDAARD.weights))[0]
    documented = re.search(r"^- score = .* = ([0-9.]+)$", text, re.MULTILINE)
    assert documented is not None
    assert float(documented.group(1)) == pytest.approx(score, abs=5e-4)


def test_a_full_write_keeps_the_indexes_and_keys_of_site_raw(
    scene: psycopg.Connection[Any],
) -> None:
    """The full write drops site_raw's indexes and primary key for the COPY and builds them
    again (``store.replace``): the same definitions afterwards, the rows all there, the key
    enforced; a second full run replaces the rows."""

    def schema() -> list[tuple[str, str]]:
        rows = scene.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'site_raw'"
            " UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'site_raw'::regclass ORDER BY 1"
        ).fetchall()
        return [(r["indexname"], r["indexdef"]) for r in rows]

    before = schema()
    assert any("PRIMARY KEY" in definition for _, definition in before)
    for _ in range(2):
        score_all(scene)
        assert schema() == before
        sites = scene.execute("SELECT count(*) AS n FROM site").fetchone()
        raw = scene.execute("SELECT count(DISTINCT site_id) AS n FROM site_raw").fetchone()
        assert raw == sites
    with pytest.raises(psycopg.errors.UniqueViolation):
        scene.execute(
            "INSERT INTO site_raw (site_id, computed_at)"
            " SELECT site_id, computed_at FROM site_raw LIMIT 1"
        )
