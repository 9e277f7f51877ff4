"""Scoring arithmetic against hand-calculated values, on real PostGIS with hand-placed features.

Coordinates are EPSG:28992 metres around Amsterdam (121000, 487000).
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from sitefinder.explain import explain_site
from sitefinder.scoring import CRITERIA, criterion_params, load_profile, piecewise, score_all

PROFILE = load_profile("standaard")


def _point(x: float, y: float) -> str:
    return f"SRID=28992;POINT({x} {y})"


@pytest.fixture
def scene(conn: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    for table in ("site_score", "site_criterion", "site", "poi", "area", "layer_coverage"):
        conn.execute(f"DELETE FROM {table}")
    conn.execute(
        "INSERT INTO site (id, layer, name, source, source_ref, geom, kind) VALUES"
        " ('offices:1', 'offices', 'Kantoor', 't', '1', %s, 'kantoor'),"
        " ('plots:far', 'plots', 'Ver weg', 't', 'far', %s, 'kavel'),"
        " ('plots:n2k', 'plots', 'In natuur', 't', 'n2k', %s, 'kavel'),"
        " ('plots:water', 'plots', 'Water', 't', 'water', %s, 'kavel')",
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
        " ('care:a', 'care', 'Ziekenhuis', 't', 'a', %s, 'hospital')",
        (_point(121300, 487000), _point(121000, 487900), _point(121000, 488000)),
    )
    conn.execute(
        "INSERT INTO area (id, layer, name, source, source_ref, geom, category) VALUES"
        " ('natura2000:x', 'natura2000', 'Testveen', 't', 'x',"
        "  ST_Multi(ST_MakeEnvelope(150000, 450000, 150100, 450100, 28992)), NULL),"
        " ('zoning:w', 'zoning', 'Water', 't', 'w',"
        "  ST_Multi(ST_MakeEnvelope(121400, 487400, 121600, 487600, 28992)), 'water')"
    )
    conn.execute(
        "INSERT INTO layer_coverage VALUES"
        " ('stops', false, ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(121000, 487000), 28992),"
        "  3000))), ('care', true, NULL), ('natura2000', true, NULL),"
        " ('zoning', false, ST_Multi(ST_MakeEnvelope(121400, 487400, 121600, 487600, 28992)))"
    )
    conn.commit()
    return conn


def _score(conn: psycopg.Connection[Any], site_id: str) -> dict[str, Any]:
    row = conn.execute(
        "SELECT score, excluded, reasons, breakdown FROM site_score WHERE site_id = %s",
        (site_id,),
    ).fetchone()
    assert row is not None
    row["by"] = {b["criterion"]: b for b in row["breakdown"]}
    return row


@pytest.mark.parametrize(
    ("x", "expected"),
    [(0, 1.0), (400, 1.0), (600, 0.8), (800, 0.6), (1150, 0.3), (1500, 0.0), (5000, 0.0)],
)
def test_piecewise_sql_matches_hand_values(
    conn: psycopg.Connection[Any], x: float, expected: float
) -> None:
    xs, ys = [400.0, 800.0, 1500.0], [1.0, 0.6, 0.0]
    got = conn.execute("SELECT sf_piecewise(%s, %s, %s) AS v", (x, xs, ys)).fetchone()
    assert got is not None
    assert got["v"] == pytest.approx(expected)
    assert piecewise(x, xs, ys) == pytest.approx(expected)


def test_worked_example_from_docs(scene: psycopg.Connection[Any]) -> None:
    summary = score_all(scene)
    assert summary.sites == 4
    s = _score(scene, "offices:1")
    by = s["by"]
    assert by["transit"]["raw"] == pytest.approx(390.0)  # 300 m x 1.3, the tram beats the station
    assert by["transit"]["value"] == pytest.approx(1.0)
    assert by["transit"]["detail"]["name"] == "Halte A"
    assert by["care_distance"]["raw"] == pytest.approx(1300.0)
    assert by["care_distance"]["value"] == pytest.approx(0.925)
    assert by["care_count"]["raw"] == 1
    assert by["care_count"]["value"] == pytest.approx(0.7)
    assert by["zoning"]["missing"] is True
    assert s["score"] == pytest.approx(0.655 / 0.70)
    assert sum(b["contribution"] for b in s["breakdown"]) == pytest.approx(s["score"])
    assert by["transit"]["effective_weight"] == pytest.approx(0.40 / 0.70)
    assert by["zoning"]["effective_weight"] == 0


def test_missing_layer_coverage_is_missing_not_zero(scene: psycopg.Connection[Any]) -> None:
    score_all(scene)
    s = _score(scene, "plots:far")  # Otterlo: no stops coverage, no zoning coverage
    assert s["by"]["transit"]["missing"] is True
    assert s["by"]["transit"]["value"] is None
    assert s["by"]["care_distance"]["missing"] is False
    # only care criteria have data: score = their weighted mean
    care_d = s["by"]["care_distance"]["value"]
    assert s["score"] == pytest.approx((0.2 * care_d + 0.1 * 0.0) / 0.3)


def test_natura2000_and_water_zoning_exclude(scene: psycopg.Connection[Any]) -> None:
    summary = score_all(scene)
    assert summary.excluded == 2
    n2k = _score(scene, "plots:n2k")
    assert n2k["excluded"] is True and n2k["score"] is None
    assert n2k["by"]["natura2000"]["raw"] == 0
    assert n2k["reasons"][0]["criterion"] == "natura2000"
    water = _score(scene, "plots:water")
    assert water["excluded"] is True
    assert water["by"]["zoning"]["detail"]["category"] == "water"
    office = _score(scene, "offices:1")
    assert office["excluded"] is False
    assert office["by"]["natura2000"]["raw"] > 0


def test_explanation_words_and_nearest(scene: psycopg.Connection[Any]) -> None:
    score_all(scene)
    s = _score(scene, "offices:1")
    feature = {"properties": {"breakdown": s["breakdown"], "reasons": []}}
    props = explain_site(feature)["properties"]
    assert props["nearest_stop"] == {"name": "Halte A", "category": "tram", "distance_m": 390}
    transit = next(b for b in props["breakdown"] if b["criterion"] == "transit")
    assert "Halte A" in transit["explanation"]["nl"] and "390 m" in transit["explanation"]["nl"]
    zoning = next(b for b in props["breakdown"] if b["criterion"] == "zoning")
    assert "Geen gegevens" in zoning["explanation"]["nl"]
    assert [b["criterion"] for b in props["breakdown"]] == list(CRITERIA)


def test_profile_is_data_and_validated() -> None:
    params = criterion_params(PROFILE)
    assert params["transit"]["local_xs"] == [400.0, 800.0, 1500.0]
    assert PROFILE.weights["natura2000"] == 0.0
    assert sum(PROFILE.weights.values()) == pytest.approx(1.0)
    from sitefinder.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError):
        load_profile("../etc/passwd")
    with pytest.raises(InvalidParameterError):
        load_profile("bestaat_niet")
