"""Integration tests: every source pipeline on its real demo file, into a real PostGIS.

For each layer: the exact numbers read, loaded and quarantined (with reasons), SRID 28992 and
geometry types, known real values, the coverage row, and idempotence (a second run is
'unchanged'; a forced run leaves the table byte-identical).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pytest
from tqdm import tqdm

from etl import get_pipeline
from etl.declarations import RunResult
from etl.loading import run_pipeline
from etl.readers import json_objects
from sitefinder.core import db
from sitefinder.core.settings import PROJECT_ROOT, Settings

DEMO_DATA = PROJECT_ROOT / "data" / "demo"


def _quiet(total: int, desc: str) -> Any:
    return tqdm(total=total, desc=desc, disable=True)


@dataclass(frozen=True)
class Expected:
    table: str
    n_read: int
    n_loaded: int
    geometry_types: frozenset[str]
    coverage: str  # national | union | hull
    reasons: dict[str, int] = field(default_factory=dict)


EXPECTED: dict[str, Expected] = {
    "provincies": Expected("area", 12, 12, frozenset({"ST_MultiPolygon"}), "national"),
    "buurten": Expected("area", 443, 443, frozenset({"ST_MultiPolygon"}), "union"),
    "natura2000": Expected(
        "area",
        144,
        141,
        frozenset({"ST_MultiPolygon"}),
        "national",
        {"outside the Netherlands": 3},
    ),
    "zoning": Expected("area", 163, 163, frozenset({"ST_MultiPolygon"}), "union"),
    "stops": Expected("poi", 561, 561, frozenset({"ST_Point"}), "hull"),
    "care": Expected("poi", 265, 265, frozenset({"ST_Point"}), "national"),
    "supermarkets": Expected("poi", 4852, 4852, frozenset({"ST_Point"}), "national"),
}
LAYERS = list(EXPECTED)


def fetch(conn: psycopg.Connection[Any], query: str, *params: Any) -> list[dict[str, Any]]:
    """Run a query in its own transaction, so the connection stays idle between pipelines."""
    with conn.transaction():
        return conn.execute(query, params).fetchall()


def one(conn: psycopg.Connection[Any], query: str, *params: Any) -> Any:
    rows = fetch(conn, query, *params)
    assert len(rows) == 1
    return next(iter(rows[0].values()))


def table_hash(conn: psycopg.Connection[Any], layer: str) -> str:
    table = EXPECTED[layer].table
    return str(
        one(
            conn,
            f"SELECT md5(string_agg(id || ST_AsEWKT(geom) || props::text, ',' ORDER BY id))"
            f" FROM {table} WHERE layer = %s",
            layer,
        )
    )


@pytest.fixture(scope="module")
def first_runs(settings: Settings) -> dict[str, RunResult]:
    """Load every layer once, on one connection (as ``sitefinder load`` does)."""
    results = {}
    with db.connection(settings) as conn:
        for name in LAYERS:
            pipeline = get_pipeline(name)
            results[name] = run_pipeline(
                conn, pipeline, pipeline.default_paths(settings.data_dir), progress=_quiet
            )
    return results


# --------------------------------------------------------------------------------------------
# counts, quarantine, geometry


@pytest.mark.parametrize("layer", LAYERS)
def test_counts_and_quarantine(
    layer: str, first_runs: dict[str, RunResult], conn: psycopg.Connection[Any]
) -> None:
    expected = EXPECTED[layer]
    result = first_runs[layer]
    n_quarantined = sum(expected.reasons.values())
    assert result.status == "ok"
    assert (result.n_read, result.n_loaded, result.n_quarantined) == (
        expected.n_read,
        expected.n_loaded,
        n_quarantined,
    )
    assert result.reasons == expected.reasons
    assert expected.n_loaded + n_quarantined == expected.n_read
    # Committed: visible from a new connection.
    count = one(conn, f"SELECT count(*) FROM {expected.table} WHERE layer = %s", layer)
    assert count == expected.n_loaded
    reasons = fetch(
        conn,
        "SELECT reason, count(*) AS n FROM quarantine WHERE layer = %s GROUP BY reason",
        layer,
    )
    assert {r["reason"]: r["n"] for r in reasons} == expected.reasons
    run = fetch(
        conn,
        "SELECT status, n_read, n_loaded, n_quarantined, licence FROM etl_run"
        " WHERE layer = %s ORDER BY id LIMIT 1",
        layer,
    )[0]
    assert (run["status"], run["n_read"], run["n_loaded"], run["n_quarantined"]) == (
        "ok",
        expected.n_read,
        expected.n_loaded,
        n_quarantined,
    )
    assert run["licence"]


@pytest.mark.parametrize("layer", LAYERS)
def test_srid_geometry_and_clean_props(
    layer: str, first_runs: dict[str, RunResult], conn: psycopg.Connection[Any]
) -> None:
    table = EXPECTED[layer].table
    rows = fetch(
        conn,
        f"SELECT ST_SRID(geom) AS srid, ST_GeometryType(geom) AS type,"
        f" bool_and(ST_IsValid(geom)) AS valid, bool_and(NOT ST_IsEmpty(geom)) AS nonempty"
        f" FROM {table} WHERE layer = %s GROUP BY 1, 2",
        layer,
    )
    assert {r["srid"] for r in rows} == {28992}
    assert {r["type"] for r in rows} == EXPECTED[layer].geometry_types
    assert all(r["valid"] and r["nonempty"] for r in rows)
    # Inside the RD New domain, and ids are '<layer>:<source_ref>'.
    assert (
        one(
            conn,
            f"SELECT count(*) FROM {table} WHERE layer = %s AND NOT ("
            " ST_X(ST_Centroid(geom)) BETWEEN -7000 AND 300000"
            " AND ST_Y(ST_Centroid(geom)) BETWEEN 289000 AND 629000"
            " AND id = layer || ':' || source_ref)",
            layer,
        )
        == 0
    )
    # Missing values are absent or JSON null in props, never placeholder strings.
    placeholders = one(
        conn,
        f"SELECT count(*) FROM {table} t, jsonb_each_text(t.props) p WHERE t.layer = %s"
        " AND p.value IN ('None', 'nan', 'NaN', '<NA>', 'NaT', '')",
        layer,
    )
    assert placeholders == 0


# --------------------------------------------------------------------------------------------
# coverage


@pytest.mark.parametrize("layer", LAYERS)
def test_coverage_row(
    layer: str, first_runs: dict[str, RunResult], conn: psycopg.Connection[Any]
) -> None:
    expected = EXPECTED[layer]
    row = fetch(
        conn,
        "SELECT national, ST_SRID(geom) AS srid, ST_GeometryType(geom) AS type,"
        " ST_Area(geom) AS area FROM layer_coverage WHERE layer = %s",
        layer,
    )[0]
    if expected.coverage == "national":
        assert row["national"] is True
        assert row["srid"] is None
        return
    assert row["national"] is False
    assert (row["srid"], row["type"]) == (28992, "ST_MultiPolygon")
    # Every feature lies within the coverage polygon.
    outside = one(
        conn,
        f"SELECT count(*) FROM {expected.table} t, layer_coverage c"
        " WHERE t.layer = %s AND c.layer = t.layer"
        " AND NOT ST_DWithin(c.geom, ST_PointOnSurface(t.geom), 0.01)",
        layer,
    )
    assert outside == 0
    if expected.coverage == "union":
        # The union of the features (no buffer): its area equals the summed feature area
        # minus overlaps, so it can be at most the sum; zoning overlays lie on its main zoning.
        total = one(
            conn, f"SELECT sum(ST_Area(geom)) FROM {expected.table} WHERE layer = %s", layer
        )
        assert row["area"] <= total * 1.0001
        union = one(
            conn,
            f"SELECT ST_Area(ST_Union(geom)) FROM {expected.table} WHERE layer = %s",
            layer,
        )
        assert row["area"] == pytest.approx(union, rel=1e-6)
        if layer != "zoning":
            assert 0.95 * total <= row["area"]
    else:  # hull, grown by 1500 m: larger than the bare convex hull
        hull = one(
            conn,
            f"SELECT ST_Area(ST_ConvexHull(ST_Collect(geom))) FROM {expected.table}"
            " WHERE layer = %s",
            layer,
        )
        assert row["area"] > hull


# --------------------------------------------------------------------------------------------
# known real values


def test_provincies_values(first_runs: dict[str, RunResult], conn: psycopg.Connection[Any]) -> None:
    rows = fetch(
        conn,
        "SELECT code, name, props FROM area WHERE layer = 'provincies' ORDER BY code",
    )
    assert [r["code"] for r in rows] == [f"PV{n}" for n in range(20, 32)]
    by_code = {r["code"]: r for r in rows}
    assert by_code["PV27"]["name"] == "Noord-Holland"
    assert by_code["PV27"]["props"] == {"aantalInwoners": 2952622, "aantal_gemeenten": 44}
    assert sum(r["props"]["aantal_gemeenten"] for r in rows) == 342
    # The 12 provinces tile the land: about 35,000-42,000 km2 (land and inland water).
    area_km2 = one(conn, "SELECT sum(ST_Area(geom)) / 1e6 FROM area WHERE layer = 'provincies'")
    assert 33_000 < area_km2 < 42_000


def test_buurten_values(first_runs: dict[str, RunResult], conn: psycopg.Connection[Any]) -> None:
    row = fetch(conn, "SELECT name, code, props FROM area WHERE id = 'buurten:BU03630000'")[0]
    assert (row["name"], row["code"]) == ("Kop Zeedijk", "BU03630000")
    props = row["props"]
    assert props["a_inw"] == 1110 and isinstance(props["a_inw"], int)
    assert props["a_hh"] == 770
    assert props["bev_dich"] == 18349
    # Columns the source filled with 0 everywhere (no data) are left out, not stored as 0.
    for missing in ("a_woning", "g_woz", "p_leegsw", "g_afs_hp"):
        assert missing not in props
    assert (
        one(
            conn,
            "SELECT count(*) FROM area WHERE layer = 'buurten'"
            " AND (NOT code LIKE 'BU0363%%' OR jsonb_typeof(props->'a_inw') <> 'number')",
        )
        == 0
    )


def test_natura2000_values(first_runs: dict[str, RunResult], conn: psycopg.Connection[Any]) -> None:
    assert one(conn, "SELECT name FROM area WHERE id = 'natura2000:aamsveen'") == "Aamsveen"
    quarantined = fetch(
        conn,
        "SELECT source_ref, record->>'name' AS name FROM quarantine"
        " WHERE layer = 'natura2000' ORDER BY source_ref",
    )
    assert [(r["source_ref"], r["name"]) for r in quarantined] == [
        ("doggersbank", "Doggersbank"),
        ("friese-front", "Friese Front"),
        ("klaverbank", "Klaverbank"),
    ]


def test_zoning_values(first_runs: dict[str, RunResult], conn: psycopg.Connection[Any]) -> None:
    main = "props->>'zoning_role' = 'bestemming'"
    categories = {
        r["category"]: r["n"]
        for r in fetch(
            conn,
            f"SELECT category, count(*) AS n FROM area WHERE layer = 'zoning' AND {main}"
            " GROUP BY 1",
        )
    }
    assert categories["kantoor"] == 7  # 3 in Stationsomgeving Zuid-Oost, 4 in Zuid-West
    assert categories["wonen"] == 48  # 39 in Goes and Gieterveen, 9 in Arnhem
    assert all(c == c.lower() for c in categories)
    plans = fetch(
        conn,
        "SELECT code, partition_key AS key, props->>'imro_versie' AS imro,"
        " props->>'planstatus' AS status, props->>'plan_type' AS type,"
        " props->>'plan_naam' AS naam, count(*) FILTER (WHERE " + main + ") AS n_main,"
        " count(*) FILTER (WHERE props->>'zoning_role' = 'overlay') AS n_overlay"
        " FROM area WHERE layer = 'zoning' GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1",
    )
    # plan id -> IMRO version, planstatus, type, main zoning objects, overlays
    assert {
        p["code"]: (p["imro"], p["status"], p["type"], p["n_main"], p["n_overlay"]) for p in plans
    } == {
        "NL.IMRO.0200.bp1416-ont1": ("IMRO2012", "ontwerp", "bestemmingsplan", 5, 2),
        "NL.IMRO.0202.957-0301": ("IMRO2012", "vastgesteld", "uitwerkingsplan", 5, 0),
        "NL.IMRO.0202.974-0301": ("IMRO2012", "vastgesteld", "bestemmingsplan", 16, 0),
        "NL.IMRO.0297.BGBBP20140020-OW01": ("IMRO2012", "ontwerp", "bestemmingsplan", 0, 7),
        "NL.IMRO.0664.BPBS02-VG99": ("IMRO2012", "vastgesteld", "bestemmingsplan", 11, 4),
        "NL.IMRO.0664.BPBS03-ON99": ("IMRO2012", "ontwerp", "bestemmingsplan", 13, 1),
        "NL.IMRO.1680.1800030105-0000": ("IMRO2008", "concept", "bestemmingsplan", 84, 13),
        "NL.IMRO.1930.BPRaadhuislaanSP-1001": ("IMRO2012", "voorontwerp", "bestemmingsplan", 1, 1),
    }
    # one partition per plan: the plan id without its version
    assert all(p["code"].startswith(p["key"] + "-") for p in plans)
    names = {p["code"]: p["naam"] for p in plans}
    assert names["NL.IMRO.0664.BPBS02-VG99"] == "Stationsomgeving Zuid-Oost"
    assert names["NL.IMRO.1680.1800030105-0000"] == "Gieterveen"
    assert names["NL.IMRO.0297.BGBBP20140020-OW01"] == (
        "Buitengebied Parapluplan Nieuwe Hollandse Waterlinie"
    )
    # Every object type read as IMRO defines it; ids are qualified by the plan (IMRO2008 ids
    # are local).
    objecttypes = {
        (r["t"], r["role"]): r["n"]
        for r in fetch(
            conn,
            "SELECT props->>'objecttype' AS t, props->>'zoning_role' AS role, count(*) AS n"
            " FROM area WHERE layer = 'zoning' GROUP BY 1, 2",
        )
    }
    assert objecttypes == {
        ("Enkelbestemming", "bestemming"): 135,
        ("Dubbelbestemming", "overlay"): 13,
        ("Gebiedsaanduiding", "overlay"): 15,
    }
    assert (
        one(
            conn,
            "SELECT count(*) FROM area WHERE layer = 'zoning'"
            " AND source_ref NOT LIKE code || '/%%'",
        )
        == 0
    )
    assert (
        one(
            conn,
            "SELECT name FROM area WHERE source_ref ="
            " 'NL.IMRO.0664.BPBS03-ON99/NL.IMRO.0664.EP5302177522-00'",
        )
        == "Kantoor"
    )
    # Reading the GML through GDAL wrote no .gfs schema files next to the data.
    assert not list(DEMO_DATA.rglob("*.gfs"))


def test_stops_values(first_runs: dict[str, RunResult], conn: psycopg.Connection[Any]) -> None:
    centraal = fetch(conn, "SELECT name, category, props FROM poi WHERE id = 'stops:2323216'")[0]
    assert (centraal["name"], centraal["category"]) == ("Amsterdam Centraal", "rail")
    assert centraal["props"] == {
        "stop_id": "2323216",
        "agency": "ns",
        "route_type": 2,
        "parent_station": "stoparea:18188",
    }
    modes = fetch(conn, "SELECT category, count(*) AS n FROM poi WHERE layer = 'stops' GROUP BY 1")
    assert {m["category"]: m["n"] for m in modes} == {
        "bus": 396,
        "tram": 117,
        "metro": 26,
        "rail": 15,
        "ferry": 7,
    }


def test_care_values(first_runs: dict[str, RunResult], conn: psycopg.Connection[Any]) -> None:
    amc = fetch(conn, "SELECT name, category, props FROM poi WHERE id = 'care:100101'")[0]
    assert (amc["name"], amc["category"]) == ("Academisch Medisch Centrum", "hospital")
    assert amc["props"]["soort"] == "Academisch ziekenhuis"
    first = fetch(conn, "SELECT name, category, props FROM poi WHERE id = 'care:102404'")[0]
    assert first["category"] == "outpatient_clinic"
    assert first["props"]["postcode"] == "2692 AH"
    assert first["props"]["organisation"] == "Stichting Reinier Haga Groep"
    kinds = fetch(
        conn,
        "SELECT category, props->>'soort' AS soort, count(*) AS n FROM poi"
        " WHERE layer = 'care' GROUP BY 1, 2",
    )
    assert {(k["category"], k["soort"]): k["n"] for k in kinds} == {
        ("hospital", "Algemeen ziekenhuis"): 107,
        ("hospital", "Academisch ziekenhuis"): 8,
        ("hospital", "Kinderziekenhuis"): 5,
        ("hospital", "kinderziekenhuis"): 1,  # spelt so in the source
        ("outpatient_clinic", "Buitenpolikliniek"): 143,
        ("outpatient_clinic", "Buitenpoliklniek"): 1,  # sic
    }


def test_supermarkets_values(
    first_runs: dict[str, RunResult], conn: psycopg.Connection[Any]
) -> None:
    ah = fetch(
        conn, "SELECT name, category, props FROM poi WHERE id = 'supermarkets:node/30839686'"
    )[0]
    assert (ah["name"], ah["category"]) == ("Albert Heijn", "supermarket")
    assert ah["props"]["brand"] == "Albert Heijn"
    assert ah["props"]["addr_city"] == "Heiloo"
    assert ah["props"]["opening_hours"] == "Mo-Sa 08:00-21:00"
    # A shop without brand or address has only the tags it has.
    bare = one(conn, "SELECT props FROM poi WHERE id = 'supermarkets:node/29986846'")
    assert bare == {"opening_hours": "Mo-Su 08:00-01:00"}
    types = fetch(
        conn,
        "SELECT split_part(source_ref, '/', 1) AS t, count(*) AS n FROM poi"
        " WHERE layer = 'supermarkets' GROUP BY 1",
    )
    assert {t["t"]: t["n"] for t in types} == {"node": 4828, "way": 24}


def test_json_objects_as_dicts_would_be() -> None:
    """``props`` built in Arrow (the supermarkets' reader) equal the dicts without their missing
    values: escapes, control characters, numbers, NaN, infinity (null, as orjson writes it),
    a row with nothing, a column of lists (through orjson)."""
    columns = pd.DataFrame(
        {
            "text": pd.Series(["plain", None, 'quote " and \\ back', "new\nline", None]),
            "number": [1.5, np.nan, float("inf"), 2.0, None],
            "count": pd.array([1, None, 3, 4, None], dtype="Int64"),
            "flag": [True, False, None, True, None],
            "nothing": [None] * 5,
            "comma": ["a,", None, None, "é", None],
        }
    )
    expected = [
        {"text": "plain", "number": 1.5, "count": 1, "flag": True, "comma": "a,"},
        {"flag": False},
        {"text": 'quote " and \\ back', "number": None, "count": 3},
        {"text": "new\nline", "number": 2.0, "count": 4, "flag": True, "comma": "é"},
        {},
    ]
    assert [json.loads(text) for text in json_objects(columns)] == expected
    lists = columns.assign(tags=[[1], None, {"k": 1}, None, None])
    assert [json.loads(text) for text in json_objects(lists)] == [
        {**row, **({"tags": tag} if tag is not None else {})}
        for row, tag in zip(expected, [[1], None, {"k": 1}, None, None], strict=True)
    ]


# --------------------------------------------------------------------------------------------
# idempotence


@pytest.mark.parametrize("layer", LAYERS)
def test_second_run_unchanged_and_forced_run_identical(
    layer: str,
    first_runs: dict[str, RunResult],
    settings: Settings,
    conn: psycopg.Connection[Any],
) -> None:
    pipeline = get_pipeline(layer)
    paths = pipeline.default_paths(settings.data_dir)
    before = table_hash(conn, layer)
    quarantined = one(conn, "SELECT count(*) FROM quarantine WHERE layer = %s", layer)

    again = run_pipeline(conn, pipeline, paths, progress=_quiet)
    assert again.status == "unchanged"
    assert table_hash(conn, layer) == before

    forced = run_pipeline(conn, pipeline, paths, force=True, progress=_quiet)
    assert forced.status == "ok"
    assert forced.n_loaded == EXPECTED[layer].n_loaded
    assert table_hash(conn, layer) == before
    assert one(conn, "SELECT count(*) FROM quarantine WHERE layer = %s", layer) == quarantined
    # The old run's quarantine rows were replaced, not added to.
    assert one(conn, "SELECT count(DISTINCT run_id) FROM quarantine WHERE layer = %s", layer) == (
        1 if quarantined else 0
    )
    # And the result is committed: a new connection sees the same table.
    with db.connection(settings) as other:
        assert table_hash(other, layer) == before
