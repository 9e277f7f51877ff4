"""Coverage per kind of data: transit per mode (stations national, local stops per feed, with a
station's class and a stop's departures per hour and provenance in the facts), care per
category (hospital, GP, GGZ, shelter and social care, pharmacy) and schools, each missing
where no layer that holds it covers a site and a real value inside. Hand-placed features on
real PostGIS; coordinates EPSG:28992 metres around Amsterdam (121000, 487000). The demo's own
transit coverage is checked at the end.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pytest

from sitefinder.core import db
from sitefinder.core.settings import Settings
from sitefinder.scoring import load_profile, score_all
from sitefinder.scoring.engine import SiteTable, evaluate, weight_vector
from sitefinder.scoring.explain import explain, feature_names

STANDAARD = load_profile("standaard")


def _point(x: float, y: float) -> str:
    return f"SRID=28992;POINT({x} {y})"


def _square(x: float, y: float, r: float) -> str:
    """A square of half-width ``r`` around (x, y), as a coverage polygon."""
    ring = f"{x - r} {y - r},{x + r} {y - r},{x + r} {y + r},{x - r} {y + r},{x - r} {y - r}"
    return f"SRID=28992;MULTIPOLYGON((({ring})))"


def _run(conn: psycopg.Connection[Any], layer: str, source: str, as_of: str) -> None:
    conn.execute(
        "INSERT INTO etl_run (layer, source, uri, publisher, licence, data_as_of, status,"
        " started_at) VALUES (%s, %s, 't', 't', 't', %s, 'ok', now())",
        (layer, source, as_of),
    )


@pytest.fixture
def region(conn: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    """Sites near and far from local stops, stations of two classes, care of several kinds."""
    for table in ("site_raw", "site", "poi", "area", "layer_coverage", "etl_run"):
        conn.execute(f"DELETE FROM {table}")
    sites = {
        "near_bus": (121000, 487000),  # a Connexxion stop 200 m away
        "park": (130000, 487000),  # no local feed here; an intercity station 1,000 m away
        "halt": (121000, 492000),  # in the bus feed's area, no bus near; a stoptrein halt
        "tram": (140000, 487000),  # an HTM tram stop with its timetable
        "nowhere": (200000, 400000),  # only the national layers know anything here
    }
    conn.execute(
        "INSERT INTO site (id, layer, name, source, source_ref, geom, kind) VALUES "
        + ", ".join(
            f"('holidayparks:{k}', 'holidayparks', '{k}', 't', '{k}', '{_point(*xy)}', 'park')"
            for k, xy in sites.items()
        )
    )
    conn.execute(
        "INSERT INTO poi (id, layer, name, source, source_ref, geom, category, props) VALUES"
        " ('stops_connexxion:1', 'stops_connexxion', 'Bus', 'connexxion_haltes_2011', '1', %s,"
        "  'bus', '{}'),"
        " ('stations:IC', 'stations', 'Intercity', 'rdt_stations_2020_01', 'IC', %s, 'rail',"
        '  \'{"station_type": "intercitystation"}\'),'
        " ('stations:ST', 'stations', 'Halte', 'rdt_stations_2020_01', 'ST', %s, 'rail',"
        '  \'{"station_type": "stoptreinstation"}\'),'
        " ('stops_htm:1', 'stops_htm', 'Tram', 'htm_tram_gtfs_20180301', '1', %s, 'tram',"
        "  '{\"departures_per_hour\": 2.0}'),"
        " ('care:h', 'care', 'Ziekenhuis', 't', 'h', %s, 'hospital', '{}'),"
        " ('care_osm:gp', 'care_osm', 'Huisarts', 'osm', 'gp', %s, 'gp', '{}'),"
        " ('care_osm:ggz', 'care_osm', 'GGZ', 'osm', 'ggz', %s, 'mental_health', '{}')",
        (
            _point(121200, 487000),
            _point(131000, 487000),
            _point(121000, 492600),
            _point(140100, 487000),
            _point(121000, 489000),
            _point(121300, 487000),
            _point(123000, 487000),
        ),
    )
    conn.execute(
        "INSERT INTO layer_coverage VALUES"
        " ('stations', true, NULL), ('care', true, NULL),"
        " ('stops_connexxion', false, %s), ('stops_htm', false, %s), ('care_osm', false, %s)",
        (
            _square(121000, 489000, 3500),
            _square(140000, 487000, 1500),
            _square(121000, 487000, 2500),
        ),
    )
    for layer, source, as_of in (
        ("stops_connexxion", "connexxion_haltes_2011", "2011-12"),
        ("stations", "rdt_stations_2020_01", "2020-01"),
        ("stops_htm", "htm_tram_gtfs_20180301", "2018-03-01"),
        ("care", "t", "2016"),
        ("care_osm", "osm", "2025"),
    ):
        _run(conn, layer, source, as_of)
    return conn


def _scored(conn: psycopg.Connection[Any]) -> tuple[SiteTable, Any]:
    score_all(conn, full=True)
    table = SiteTable.load(conn, version=0)
    return table, table.evaluation(STANDAARD)


def _facts(conn: psycopg.Connection[Any], table: SiteTable, site: str) -> dict[str, Any]:
    i = table.index[f"holidayparks:{site}"]
    raw = table.raw.iloc[i].to_dict()
    w = weight_vector(STANDAARD.weights)
    explained = explain(STANDAARD, w, table.evaluation(STANDAARD), i, raw, feature_names(conn, raw))
    return {b["criterion"]: b for b in explained["breakdown"]}


def _value(table: SiteTable, evaluation: Any, site: str, criterion: str) -> float:
    return float(evaluation.values[table.index[f"holidayparks:{site}"], evaluation.col[criterion]])


# --------------------------------------------------------------------------------------------
# transit per mode


def test_a_park_far_from_local_stops_has_a_real_rail_value(region: psycopg.Connection[Any]) -> None:
    table, evaluation = _scored(region)
    # 1,000 m to an intercity station: 1,300 m walking, between 1,200 -> 0.8 and 2,000 -> 0
    assert _value(table, evaluation, "park", "transit") == pytest.approx(0.8 - 0.8 * 100 / 800)
    park = _facts(region, table, "park")["transit"]
    assert not park["missing"]
    assert park["facts"]["nearest"] == {
        "id": "stations:IC",
        "name": "Intercity",
        "category": "rail",
        "walk_m": 1300,
        "distance_m": 1000,
        "departures_per_hour": None,
        "station_type": "intercitystation",
        "source": "rdt_stations_2020_01",
        "as_of": "2020-01",
    }
    # far from everything, but the station list is national: a real 0, not missing
    assert _value(table, evaluation, "nowhere", "transit") == 0.0


def test_local_stops_with_source_and_year_and_a_station_by_its_class(
    region: psycopg.Connection[Any],
) -> None:
    table, evaluation = _scored(region)
    assert _value(table, evaluation, "near_bus", "transit") == 1.0  # 260 m walking, no timetable
    bus = _facts(region, table, "near_bus")["transit"]["facts"]["nearest"]
    assert (bus["id"], bus["source"], bus["as_of"]) == (
        "stops_connexxion:1",
        "connexxion_haltes_2011",
        "2011-12",
    )
    assert bus["departures_per_hour"] is None and "station_type" not in bus
    # inside the bus feed's area but 3.5 km from its stop: local 0; a stoptrein halt at 600 m
    # (780 m walking -> 1) counts at its class, 0.8
    assert _value(table, evaluation, "halt", "transit") == pytest.approx(0.8)
    halt = _facts(region, table, "halt")["transit"]["facts"]["nearest"]
    assert halt["station_type"] == "stoptreinstation"


def test_departures_per_hour_of_a_timetabled_stop_show_in_the_score(
    region: psycopg.Connection[Any],
) -> None:
    table, evaluation = _scored(region)
    # 100 m from a tram stop with 2 departures an hour: 1 x (0.4 + 0.4 x 2/4) = 0.6
    assert _value(table, evaluation, "tram", "transit") == pytest.approx(0.6)
    tram = _facts(region, table, "tram")["transit"]["facts"]["nearest"]
    assert tram["departures_per_hour"] == 2.0 and tram["as_of"] == "2018-03-01"


def test_without_the_station_list_a_park_outside_every_feed_has_no_transit_data(
    region: psycopg.Connection[Any],
) -> None:
    region.execute("DELETE FROM layer_coverage WHERE layer = 'stations'")
    table, evaluation = _scored(region)
    park = table.index["holidayparks:park"]
    assert not evaluation.present[park, evaluation.col["transit"]]
    assert evaluation.present[table.index["holidayparks:near_bus"], evaluation.col["transit"]]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"stop_rail_m": 600.0, "stop_rail_class": "megastation"}, 1.0),
        ({"stop_rail_m": 600.0, "stop_rail_class": "sneltreinstation"}, 0.9),
        ({"stop_rail_m": 600.0, "stop_rail_class": "knooppuntStoptreinstation"}, 0.8),
        ({"stop_rail_m": 600.0, "stop_rail_class": "facultatiefStation"}, 0.4),
        ({"stop_rail_m": 600.0, "stop_rail_class": "onbekend_type"}, 1.0),  # unknown: 1
        # a timetable beats the class: 2 departures an hour -> 0.6
        ({"stop_rail_m": 600.0, "stop_rail_class": "megastation", "stop_rail_dph": 2.0}, 0.6),
        # local unknown (no feed covers the site), rail known: the rail value
        ({"stop_local_m": 100.0, "stop_rail_m": 1000.0, "cov_stops": False}, 0.8 - 0.1),
    ],
)
def test_station_class_and_known_modes_in_the_value(raw: dict[str, Any], expected: float) -> None:
    row = {
        "stop_local_m": np.nan, "stop_local_dph": np.nan, "stop_rail_m": np.nan,
        "stop_rail_dph": np.nan, "stop_rail_class": None, "cov_stops": False,
        "cov_stations": True,
    }  # fmt: skip
    row.update(raw)
    evaluation = evaluate(pd.DataFrame([row]), STANDAARD)
    assert evaluation.values[0, evaluation.col["transit"]] == pytest.approx(expected)


# --------------------------------------------------------------------------------------------
# care per category, schools


def test_care_categories_have_their_own_coverage(region: psycopg.Connection[Any]) -> None:
    table, evaluation = _scored(region)
    # inside the OSM extract: a GP 300 m away (390 m walking -> 1), GGZ 2 km (2,600 m walking)
    assert _value(table, evaluation, "near_bus", "care_gp") == 1.0
    assert _value(table, evaluation, "near_bus", "care_mental_health") == pytest.approx(
        1 - 0.5 * 1600 / 2000
    )
    # the extract has no shelter or pharmacy: inside it, a real 0 ...
    assert _value(table, evaluation, "near_bus", "care_social") == 0.0
    assert _value(table, evaluation, "near_bus", "care_pharmacy") == 0.0
    # ... outside it, missing, not 0
    for criterion in ("care_gp", "care_mental_health", "care_social", "care_pharmacy"):
        assert np.isnan(_value(table, evaluation, "park", criterion))
    # hospitals: the national list, everywhere
    # 2,000 m to the hospital: 2,600 m walking, between 2,000 -> 1 and 5,000 -> 0.6
    assert _value(table, evaluation, "near_bus", "care_hospital") == pytest.approx(
        1 - 0.4 * 600 / 3000
    )
    assert not np.isnan(_value(table, evaluation, "nowhere", "care_hospital"))
    gp = _facts(region, table, "near_bus")["care_gp"]["facts"]["nearest"]
    assert gp == {
        "id": "care_osm:gp",
        "name": "Huisarts",
        "category": "gp",
        "walk_m": 390,
        "distance_m": 300,
    }
    # no school layer is loaded: missing everywhere
    assert evaluation.present[:, evaluation.col["schools"]].sum() == 0


def test_profiles_weigh_the_categories(region: psycopg.Connection[Any]) -> None:
    table, _ = _scored(region)
    zorg = load_profile("begeleid_wonen")
    evaluation = table.evaluation(zorg)
    w = weight_vector(zorg.weights)
    i = table.index["holidayparks:near_bus"]
    raw = table.raw.iloc[i].to_dict()
    items = {
        b["criterion"]: b
        for b in explain(zorg, w, evaluation, i, raw, feature_names(region, raw))["breakdown"]
    }
    assert items["care_mental_health"]["weight"] == 0.10
    assert items["care_social"]["weight"] == 0.10 and items["care_social"]["value"] == 0.0
    park = table.index["holidayparks:park"]
    # outside the extract both are missing: their weight goes to the others, not a 0
    assert not evaluation.present[park, evaluation.col["care_social"]]
    assert load_profile("zelfredzaam").weights["care_gp"] == 0.05
    assert load_profile("statushouders").weights["schools"] == 0.10


# --------------------------------------------------------------------------------------------
# the demo


def test_demo_transit_covers_half_the_scored_sites_and_some_have_departures(
    demo_settings: Settings,
) -> None:
    with db.connection(demo_settings) as conn:
        table = SiteTable.load(conn, version=0)
        evaluation = table.evaluation(STANDAARD)
        w = weight_vector(STANDAARD.weights)
        scored = np.flatnonzero(~np.isnan(evaluation.scores(w)))
        j = evaluation.col["transit"]
        with_transit = scored[evaluation.present[scored, j]]
        assert len(with_transit) >= 0.5 * len(scored)
        timetabled = 0
        for i in with_transit:
            raw = table.raw.iloc[i].to_dict()
            if raw.get("stop_local_dph") is None or np.isnan(raw["stop_local_dph"]):
                continue
            item = explain(STANDAARD, w, evaluation, int(i), raw, feature_names(conn, raw))[
                "breakdown"
            ][j]
            if item["facts"]["nearest"]["departures_per_hour"] is not None:
                timetabled += 1
        assert timetabled > 0
