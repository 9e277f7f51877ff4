"""Scores that are honest about missing data: the range, the cautious ranking, stability that
draws the unknown values, and the minimum size per kind, on real PostGIS with hand-placed
features and against docs/scoring.md (sections 3, 3a, 7 and 8).

Coordinates are EPSG:28992 metres; the sites of section 3a lie around (100000, 400000).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pytest

from sitefinder.core.settings import PROJECT_ROOT
from sitefinder.scoring import load_profile, score_all
from sitefinder.scoring.engine import (
    RANK_BY,
    SOLID_COMPLETENESS,
    Scores,
    SiteTable,
    _kth_best_per_row,
    conservative_key,
    evaluate,
    position,
    rank,
    ranking_keys,
    stability,
    weight_vector,
)
from sitefinder.scoring.profile import parse_profile

STANDAARD = load_profile("standaard")
W = weight_vector(STANDAARD.weights)
DOCS = (PROJECT_ROOT / "docs" / "scoring.md").read_text(encoding="utf-8")
SITES = {"A": "offices:a", "B": "holidayparks:b", "C": "offices:c", "D": "plots:d"}


def _point(x: float, y: float) -> str:
    return f"SRID=28992;POINT({x} {y})"


def _box(*boxes: tuple[float, float, float, float]) -> str:
    polygons = ",".join(
        f"(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))" for x0, y0, x1, y1 in boxes
    )
    return f"SRID=28992;MULTIPOLYGON({polygons})"


@pytest.fixture
def four(conn: psycopg.Connection[Any]) -> SiteTable:
    """The four sites of docs/scoring.md section 3a, scored from PostGIS."""
    for table in ("site_raw", "site", "poi", "area", "layer_coverage", "scoring_state"):
        conn.execute(f"DELETE FROM {table}")
    sites = [
        ("offices:a", "offices", "kantoor", 100000, '{"places": 40}'),
        ("offices:c", "offices", "kantoor", 104000, '{"places": 40}'),
        ("holidayparks:b", "holidayparks", "vakantiepark", 108000, "{}"),
        ("plots:d", "plots", "kavel", 133000, '{"places": 5}'),
    ]
    for site_id, layer, kind, x, props in sites:
        conn.execute(
            "INSERT INTO site (id, layer, name, source, source_ref, geom, kind, props)"
            " VALUES (%s, %s, %s, 't', %s, %s, %s, %s)",
            (site_id, layer, site_id, site_id, _point(x, 400000), kind, props),
        )
    # A, C and B each have a hospital 1,000 m north and a supermarket 300 m south of them;
    # A and C a tram stop 300 m east. D is 25 km and more from all of them.
    for n, x in enumerate((100000, 104000, 108000)):
        rows = [("care", "hospital", x, 401000), ("supermarkets", "supermarket", x, 399700)]
        if x < 108000:
            rows.append(("stops", "tram", x + 300, 400000))
        for layer, category, px, py in rows:
            conn.execute(
                "INSERT INTO poi (id, layer, name, source, source_ref, geom, category)"
                " VALUES (%s, %s, %s, 't', %s, %s, %s)",
                (f"{layer}:{n}", layer, f"{category} {n}", str(n), _point(px, py), category),
            )
    conn.execute(
        "INSERT INTO area (id, layer, name, source, source_ref, geom, category) VALUES"
        " ('zoning:k', 'zoning', 'Kantoor', 't', 'k', %s, 'kantoor'),"
        " ('zoning:v', 'zoning', 'Verkeer', 't', 'v', %s, 'verkeer')",
        (_box((99900, 399900, 100100, 400100)), _box((132900, 399900, 133100, 400100))),
    )
    conn.execute(
        "INSERT INTO layer_coverage VALUES ('stops', false, %s), ('zoning', false, %s),"
        " ('care', true, NULL), ('supermarkets', true, NULL), ('natura2000', true, NULL)",
        (
            _box((99000, 399000, 105000, 402000), (132000, 399000, 134000, 401000)),
            _box((99500, 399500, 100500, 400500), (132500, 399500, 133500, 400500)),
        ),
    )
    score_all(conn)
    return SiteTable.load(conn, version=0)


def _documented_table() -> dict[str, tuple[float, float, float, float, int, int]]:
    """Section 3a's table: site -> known weight, score, low, high, conservative, by score."""
    rows = re.findall(
        r"^\| ([A-D]) \| (\d+) % \| ([0-9.]+) \| ([0-9.]+)–([0-9.]+) \| (\d) \| (\d) \|$",
        DOCS,
        re.MULTILINE,
    )
    assert len(rows) == 4, "docs/scoring.md section 3a lost its table"
    return {
        site: (int(k) / 100, float(s), float(lo), float(hi), int(c), int(p))
        for site, k, s, lo, hi, c, p in rows
    }


def test_docs_four_sites_from_postgis(four: SiteTable) -> None:
    evaluation = four.evaluation(STANDAARD)
    scores = evaluation.score_all(W)
    candidates = np.flatnonzero(~evaluation.excluded)
    assert len(candidates) == 4
    cautious = [str(four.ids[i]) for i in rank(scores, candidates, 4)]
    by_score = [str(four.ids[i]) for i in rank(scores, candidates, 4, "score")]
    for name, (known, point, low, high, place, place_by_score) in _documented_table().items():
        i = four.index[SITES[name]]
        assert scores.completeness[i] == pytest.approx(known, abs=1e-6), name
        assert scores.point[i] == pytest.approx(point, abs=5e-4), name
        assert scores.low[i] == pytest.approx(low, abs=5e-4), name
        assert scores.high[i] == pytest.approx(high, abs=5e-4), name
        assert cautious.index(SITES[name]) + 1 == place, name
        assert by_score.index(SITES[name]) + 1 == place_by_score, name
        assert position(scores, candidates, i) == place, name
        assert position(scores, candidates, i, "score") == place_by_score, name
    b = four.index[SITES["B"]]
    assert not scores.completeness[b] >= SOLID_COMPLETENESS  # B is not solid
    weighted = W > 0  # criteria without weight in the profile (care per category...) aside
    assert [evaluation.names[j] for j in np.flatnonzero(~evaluation.present[b] & weighted)] == [
        "transit",
        "zoning",
        "size",
    ]


def test_docs_stability_draws_the_unknown_values(four: SiteTable) -> None:
    """Section 7's example: k = 1; C leads on the point score only by its unknown zoning."""
    evaluation = four.evaluation(STANDAARD)
    scores = evaluation.score_all(W)
    candidates = np.flatnonzero(~evaluation.excluded)
    ranked = rank(scores, candidates, 4)
    share = dict(
        zip(
            (str(four.ids[i]) for i in ranked),
            stability(evaluation, W, candidates, ranked, 1, ranked=ranked, scores=scores),
            strict=True,
        )
    )
    text = DOCS[DOCS.index("## 7. Rank stability") :]
    a, c = (int(x) / 100 for x in re.findall(r"in about (\d+) %", text)[:2])
    assert share["offices:a"] == pytest.approx(a, abs=0.1)
    assert share["offices:c"] == pytest.approx(c, abs=0.1)
    assert share["holidayparks:b"] < 0.05
    assert share["plots:d"] == 0.0
    assert sum(share.values()) == pytest.approx(1.0)  # one site is first in every draw
    # seeded: the same answer again
    again = stability(evaluation, W, candidates, ranked, 1, ranked=ranked, scores=scores)
    assert list(again) == [share[str(four.ids[i])] for i in ranked]


def test_docs_worked_example_range_from_postgis(conn: psycopg.Connection[Any]) -> None:
    """Section 8: the office 300 m from a tram stop, outside the zoning plans."""
    for table in ("site_raw", "site", "poi", "area", "layer_coverage", "scoring_state"):
        conn.execute(f"DELETE FROM {table}")
    conn.execute(
        "INSERT INTO site (id, layer, name, source, source_ref, geom, kind, props) VALUES"
        " ('offices:1', 'offices', 'Kantoor', 't', '1', %s, 'kantoor', '{\"places\": 20}')",
        (_point(121000, 487000),),
    )
    for poi_id, layer, category, x, y in (
        ("stops:a", "stops", "tram", 121300, 487000),
        ("stops:b", "stops", "rail", 121000, 487900),
        ("care:a", "care", "hospital", 121000, 488000),
        ("supermarkets:a", "supermarkets", "supermarket", 121000, 487600),
    ):
        conn.execute(
            "INSERT INTO poi (id, layer, name, source, source_ref, geom, category)"
            " VALUES (%s, %s, %s, 't', %s, %s, %s)",
            (poi_id, layer, poi_id, poi_id, _point(x, y), category),
        )
    conn.execute(
        "INSERT INTO layer_coverage VALUES ('stops', true, NULL), ('care', true, NULL),"
        " ('supermarkets', true, NULL), ('natura2000', true, NULL)"
    )
    score_all(conn)
    table = SiteTable.load(conn, version=0)
    scores = table.evaluation(STANDAARD).score_all(W)
    documented = re.search(r"^  range = \[([0-9.]+), ([0-9.]+)\]$", DOCS, re.MULTILINE)
    assert documented is not None
    assert scores.low[0] == pytest.approx(float(documented.group(1)), abs=5e-4)
    assert scores.high[0] == pytest.approx(float(documented.group(2)), abs=5e-4)
    assert scores.completeness[0] == pytest.approx(0.75)
    assert scores.low[0] == pytest.approx(scores.point[0] * 0.75, abs=1e-6)


# ---------------------------------------------------------------------------------------------
# the range and the ranking rules on many random sites


def _random_scores(n: int, seed: int) -> Scores:
    """Scores of ``n`` sites with random values, weights and missing criteria (float32)."""
    rng = np.random.default_rng(seed)
    values = rng.random((n, 6))
    present = rng.random((n, 6)) < rng.uniform(0.2, 1.0, (n, 1))
    weights = rng.uniform(0.05, 0.4, 6)
    known = (np.where(present, values, 0) * weights).sum(axis=1) / weights.sum()
    complete = (present * weights).sum(axis=1) / weights.sum()
    with np.errstate(invalid="ignore"):
        point = known / complete
    as32 = (np.asarray(a, dtype=np.float32) for a in (point, known, known + 1 - complete))
    point32, low, high = as32
    return Scores(point=point32, low=low, high=high, completeness=complete.astype(np.float32))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_site_ranks_below_one_it_surely_beats(seed: int) -> None:
    scores = _random_scores(3000, seed)
    candidates = np.flatnonzero(~np.isnan(scores.point))
    order = rank(scores, candidates, len(candidates))
    place = np.empty(len(scores.point), dtype=int)
    place[order] = np.arange(len(order))
    low, high = scores.low[order], scores.high[order]
    # for every site, the best-placed site it surely beats must not be above it
    for i in range(0, len(order), 7):  # a sample of sites; each check is vectorised
        beaten = np.flatnonzero(high < low[i])
        assert len(beaten) == 0 or beaten.min() > i, (i, beaten.min())
    solid = scores.completeness[order] >= SOLID_COMPLETENESS - 1e-6
    # a weak site above a solid one only where it surely beats the solid one right below it
    for i in np.flatnonzero(~solid[:-1] & solid[1:]):
        assert low[i] > high[i + 1]
    # solid sites keep the order of their lower ends
    solid_low = low[solid]
    assert (np.diff(solid_low) <= 1e-7).all()


@pytest.mark.parametrize("solid_sites", [0, 3, 40, 199, 200, 201, 1500, None])
@pytest.mark.parametrize("rank_by", RANK_BY)
def test_the_top_of_a_ranking_is_the_top_of_the_full_rule(
    solid_sites: int | None, rank_by: str
) -> None:
    """``rank``'s shortcut for a top ``count`` (keys over all sites, the lift of weak sites on
    the few that matter) gives the order of every candidate sorted by ``ranking_keys``: with no
    solid site, fewer solid candidates than asked for, exactly as many, more, and a filter."""
    scores = _random_scores(3000, 7)
    rng = np.random.default_rng(8)
    if solid_sites is not None:  # exactly this many solid sites
        complete = np.full(3000, 0.3, dtype=np.float32)
        complete[rng.choice(3000, solid_sites, replace=False)] = 0.9
        scores = Scores(point=scores.point, low=scores.low, high=scores.high, completeness=complete)
    everyone = np.flatnonzero(~np.isnan(scores.point))
    for candidates in (everyone, everyone[rng.random(len(everyone)) < 0.4]):
        for count in (1, 50, 200, len(candidates) - 1):
            primary, secondary = ranking_keys(scores, candidates, rank_by)
            q = np.where(np.isnan(secondary), -np.inf, secondary)
            full = candidates[np.lexsort((candidates, -q, -primary))][:count]
            assert list(rank(scores, candidates, count, rank_by)) == list(full)


def test_the_kth_best_of_the_draws_is_the_kth_of_a_full_sort() -> None:
    """Stability's k-th best per draw, sorted on the few values that can be it, equals the
    k-th of each draw sorted whole; with repeated scores too."""
    rng = np.random.default_rng(9)
    for repeats in (False, True):
        s = rng.random((200, 3000)).astype(np.float32)
        if repeats:
            s = np.round(s * 20) / 20  # 21 distinct scores
        s[:, :300] += 0.2  # the pool's best first, as the ranking gives it
        for k in (1, 10, 50):
            assert np.array_equal(_kth_best_per_row(s, k), np.sort(s, axis=1)[:, -k])


def test_a_weak_site_moves_up_just_above_the_solid_site_it_surely_beats() -> None:
    f32 = np.float32
    point = np.array([0.90, 0.40, 0.20, 0.95], dtype=f32)
    complete = np.array([1.0, 1.0, 1.0, 0.4], dtype=f32)
    low = np.array([0.90, 0.40, 0.20, 0.38], dtype=f32)  # the weak site: 0.38 of 0.4 known
    scores = Scores(point=point, low=low, high=low + (1 - complete), completeness=complete)
    candidates = np.arange(4)
    # 0.38 surely beats the solid site at 0.20 (its whole range), not the one at 0.40
    assert list(rank(scores, candidates, 4)) == [0, 1, 3, 2]
    assert list(rank(scores, candidates, 4, "score")) == [3, 0, 1, 2]
    key = conservative_key(scores, candidates, SOLID_COMPLETENESS)
    assert key[3] == pytest.approx(0.20)  # the key of the site it passes; the point score ties
    # with nothing it surely beats it comes last, by its lower end
    worse = Scores(point=point, low=np.array([0.9, 0.4, 0.39, 0.38], f32), high=np.array(
        [0.9, 0.4, 0.39, 0.98], f32), completeness=complete)  # fmt: skip
    assert list(rank(worse, candidates, 4)) == [0, 1, 2, 3]


def test_range_of_one_row_and_of_no_data() -> None:
    raw = pd.DataFrame(
        [
            {"care_m": 1000.0, "care_n": 1, "supermarket_m": 300.0, "cov_care": True,
             "cov_supermarkets": True, "natura2000_m": np.nan, "cov_natura2000": True,
             "places": np.nan, "cov_stops": False, "cov_zoning": False},
            {"care_m": np.nan, "care_n": 0, "supermarket_m": np.nan, "cov_care": False,
             "cov_supermarkets": False, "natura2000_m": np.nan, "cov_natura2000": True,
             "places": np.nan, "cov_stops": False, "cov_zoning": False},
        ]
    )  # fmt: skip
    scores = evaluate(raw, STANDAARD).score_all(W)
    # care 0.925 x 0.15 + count 0.7 x 0.05 + shop 1.0 x 0.15 = 0.32375 of the total weight 1.0
    assert scores.low[0] == pytest.approx(0.32375)
    assert scores.high[0] == pytest.approx(0.32375 + 0.65)
    assert scores.point[0] == pytest.approx(0.32375 / 0.35)
    # no criterion with data: no score, the whole range open
    assert np.isnan(scores.point[1]) and scores.completeness[1] == 0
    assert scores.low[1] == 0 and scores.high[1] == 1
    assert scores.point.dtype == np.float32 and scores.low.dtype == np.float32


def test_stability_is_never_certain_with_most_of_the_weight_unknown() -> None:
    """Two sites with a point score of 1.0 among 30 fully known ones a little lower: the one
    that is fully known is in the top 10 in every draw; the one with 65 % of its weight
    unknown cannot get that 100 % badge (weights alone would have given it one)."""
    best = {"care_m": 100.0, "care_n": 3, "supermarket_m": 100.0}
    rows = [
        {"care_m": 1000.0 + 40 * i, "care_n": 1, "supermarket_m": 300.0, "stop_local_m": 300.0,
         "zoning_class": "wonen", "places": 40.0}
        for i in range(30)
    ]  # fmt: skip
    rows.append({**best, "stop_local_m": 100.0, "zoning_class": "wonen", "places": 40.0})
    rows.append({**best, "cov_stops": False, "cov_zoning": False})
    common = {"cov_care": True, "cov_supermarkets": True, "cov_natura2000": True,
              "natura2000_m": np.nan, "cov_stops": True, "cov_zoning": True}  # fmt: skip
    evaluation = evaluate(pd.DataFrame([{**common, **row} for row in rows]), STANDAARD)
    scores = evaluation.score_all(W)
    twin, weak = len(rows) - 2, len(rows) - 1
    assert scores.completeness[twin] == 1 and scores.completeness[weak] == pytest.approx(0.35)
    assert scores.point[twin] == scores.point[weak] == pytest.approx(1.0)
    shares = stability(evaluation, W, np.arange(len(rows)), np.array([twin, weak]), 10)
    assert shares[0] == 1.0
    assert shares[1] < 0.9


# ---------------------------------------------------------------------------------------------
# minimum size per kind


def _sized(places: list[float], kinds: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {"places": places, "kind": kinds, "care_m": 500.0, "cov_care": True}, dtype=object
    ).astype({"places": float, "care_m": float})


def test_a_site_smaller_than_its_kind_needs_is_excluded_as_too_small() -> None:
    raw = _sized([0.0, 1.0, np.nan, 0.0, 3.0], ["kavel", "kavel", "kavel", None, "kavel"])
    evaluation = evaluate(raw, STANDAARD)
    too_small = evaluation.excluding[:, evaluation.col["size"]]
    assert list(too_small) == [True, False, False, True, False]  # unknown places: not small
    assert list(evaluation.reason[:2]) == ["size", None]
    # a profile may ask for more of one kind: the change merges with the kinds' defaults
    bigger = parse_profile(
        "x",
        {"name": "x", "title_nl": "X", "title_en": "X",
         "criteria": {"size": {"min_places": {"kavel": 4}}}},
    )  # fmt: skip
    assert bigger.criteria["size"]["min_places"]["kantoor"] == 1
    assert list(evaluate(raw, bigger).excluding[:, evaluation.col["size"]]) == [
        True,
        True,
        False,
        True,
        True,
    ]
